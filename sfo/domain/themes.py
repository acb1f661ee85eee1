"""Themes across SFO reviews: which findings and factors keep coming up, and when.

The Inspectorate asks for analysis of trends across reviews, not only within
one. :func:`digest` keeps the part of one stored review that such analysis
needs (the rules with gap episodes, the contributory factors, the judgement,
the learning, a date, a region, and the CRN to trace it back) and no
description of any factor; the report never shows a CRN. :func:`themes`
counts these across many reviews, lays the factors out quarter by quarter,
and groups the free-text learning into themes by the words the items share
(TF-IDF and agglomerative clustering, from scikit-learn). The result is one
immutable :class:`ThemesReport` that says which filters and settings made it.

Restricted factors (personal circumstances, or any factor marked restricted)
leave a review only as a number, and the report shows that number only when
it is large enough, and far enough from the total, not to point to a person
(:data:`SMALL_COUNT`).

The grouping is a reading aid for a quality lead, not a finding: it knows
only which words the items share, and with a few dozen short texts it will
sometimes put two ideas together or keep one apart. See docs/themes.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from sfo.domain.factors import EFFECTS, FACTOR_TYPES, LEVELS, SCOPES
from sfo.domain.review import JUDGEMENTS, ReviewState
from sfo.errors import InputError

__all__ = [
    "DISTANCE_THRESHOLD",
    "DOMAIN_STOP_WORDS",
    "MAX_LABEL_TERMS",
    "NOT_JUDGED",
    "OTHER_LEARNING",
    "SMALL_COUNT",
    "FactorCount",
    "FindingCount",
    "LearningItem",
    "ReviewDigest",
    "Theme",
    "ThemesReport",
    "TrendPoint",
    "digest",
    "quarter_of",
    "themes",
]

# Two groups of learning merge while, on average, their items are closer than
# this (cosine distance over shared terms, 0 = the same words, 1 = none in
# common). Chosen on synthetic learning in six topics; see docs/themes.md.
DISTANCE_THRESHOLD = 0.9
MAX_LABEL_TERMS = 4
OTHER_LEARNING = "Other learning"
NOT_JUDGED = "not_judged"
# A count of reviews with a restricted factor is shown only when it, and the
# number of reviews without one, are both at least this (or it is 0): "1 of
# 3 reviews in the North East last quarter" can point to a person.
SMALL_COUNT = 5
# Words in almost every piece of learning, which would otherwise tie unrelated
# items together (on top of scikit-learn's English stop words).
DOMAIN_STOP_WORDS: frozenset[str] = frozenset({
    "case", "cases", "did", "does", "ensure", "ensured", "ensuring", "need", "needed",
    "needs", "people", "person", "practitioner", "practitioners", "probation",
    # Spans of time say how often, not what about: "every six weeks" would otherwise tie
    # supervision to enforcement and to training.
    "day", "days", "week", "weeks", "month", "months", "year", "years",
})
_NON_RESTRICTED = tuple(code for code, t in FACTOR_TYPES.items() if not t.restricted)


# -- one review ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReviewDigest:
    """What cross-review themes need from one stored review: no names and no descriptions.

    ``factors`` holds (code, effect, scope) for each factor that is not
    restricted; restricted ones are only counted (``restricted_factors``).
    ``period_date`` is the day the review was finalised, else its as-of date.
    """

    review_id: int
    crn: str
    period_date: date
    region: str = ""
    judgement: str | None = None                         # yes | partly | no | None
    gap_rules: tuple[str, ...] = ()                      # rule ids of gap episodes
    factors: tuple[tuple[str, str, str | None], ...] = ()  # (code, effect, scope)
    restricted_factors: int = 0
    learning: tuple[tuple[str, str, str], ...] = ()      # (learning_id, level, text)

    def __post_init__(self) -> None:
        if self.judgement is not None and self.judgement not in JUDGEMENTS:
            raise InputError(f"Review {self.review_id}: '{self.judgement}' is not a judgement; "
                             "expected yes, partly, no or none.")
        for code, effect, scope in self.factors:
            if code not in FACTOR_TYPES:
                raise InputError(f"Review {self.review_id}: '{code}' is not a contributory "
                                 f"factor; the factors are {', '.join(FACTOR_TYPES)}.")
            if FACTOR_TYPES[code].restricted:
                raise InputError(f"Review {self.review_id}: {code} is restricted and may only "
                                 "be counted in restricted_factors.")
            if effect not in EFFECTS or (scope is not None and scope not in SCOPES):
                raise InputError(f"Review {self.review_id}: factor {code} has effect "
                                 f"'{effect}' and scope '{scope}'; expected helped or hindered, "
                                 "and specific, systemic or none.")
        if self.restricted_factors < 0:
            raise InputError(f"Review {self.review_id}: a number of restricted factors cannot "
                             "be negative.")
        ids = [learning_id for learning_id, _, _ in self.learning]
        if len(set(ids)) != len(ids):
            raise InputError(f"Review {self.review_id}: two pieces of learning share an id.")
        for learning_id, level, _ in self.learning:
            if level not in LEVELS:
                raise InputError(f"Review {self.review_id}: learning {learning_id} is at level "
                                 f"'{level}'; levels are {', '.join(LEVELS)}.")
        # One canonical form, so that equal reviews give equal digests.
        object.__setattr__(self, "gap_rules", tuple(sorted(set(self.gap_rules))))
        object.__setattr__(self, "factors", tuple(sorted(
            self.factors, key=lambda f: (f[0], f[1], f[2] or ""))))


def digest(review_id: int, state: ReviewState, *, region: str = "") -> ReviewDigest:
    """The digest of one stored review (its id and region come from the store)."""
    finalised = state.finalised
    return ReviewDigest(
        review_id=review_id, crn=state.crn, region=region.strip(),
        period_date=finalised.at.date() if finalised is not None else state.as_of,
        judgement=None if state.judgement is None else state.judgement.all_reasonable_steps,
        gap_rules=tuple(e.rule_id for e in state.episodes if e.kind == "gap" and e.rule_id),
        factors=tuple((f.code, f.effect, f.scope) for f in state.factors if not f.restricted),
        restricted_factors=sum(1 for f in state.factors if f.restricted),
        learning=tuple((x.learning_id, x.level, x.text) for x in state.learning),
    )


def quarter_of(day: date) -> str:
    """The calendar quarter a date falls in, as "2025 Q3" (Q1 is January to March)."""
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


# -- the report ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class FactorCount:
    """How many reviews named one kind of factor; and how many of them said it hindered,
    helped, or was systemic (a review may say both hindered and helped)."""

    code: str
    title: str
    level: str
    reviews: int
    hindered: int
    helped: int
    systemic: int


@dataclass(frozen=True)
class FindingCount:
    """How many reviews had a gap episode under one rule."""

    rule_id: str
    reviews: int


@dataclass(frozen=True)
class TrendPoint:
    """How many reviews in one quarter named one kind of factor."""

    quarter: str
    code: str
    reviews: int


@dataclass(frozen=True)
class LearningItem:
    """One piece of learning and the review it came from."""

    review_id: int
    learning_id: str
    level: str
    text: str


@dataclass(frozen=True)
class Theme:
    """Learning grouped by the words it shares, labelled by the words that weigh most.

    ``other`` marks the group of learning that shares no words with the rest
    (or that did not fit within the number of themes asked for).
    """

    label: str
    terms: tuple[str, ...]
    items: tuple[LearningItem, ...]
    reviews: int                      # distinct reviews among the items
    other: bool = False


@dataclass(frozen=True)
class ThemesReport:
    """Findings, factors and learning across reviews, with the filters and settings used."""

    region: str | None
    start: date | None
    end: date | None
    max_themes: int
    distance_threshold: float
    reviews: int
    quarters: tuple[tuple[str, int], ...]     # every quarter in the range: (quarter, reviews)
    factors: tuple[FactorCount, ...]          # every kind that is not restricted
    findings: tuple[FindingCount, ...]
    judgements: tuple[tuple[str, int], ...]   # yes, partly, no, not_judged
    trend: tuple[TrendPoint, ...]             # every quarter x every factor named in range
    themes: tuple[Theme, ...]
    restricted_reviews: int | None            # None: small enough to point to a person

    @property
    def restricted_summary(self) -> str:
        """One plain-English sentence about restricted factors, safe to show anyone."""
        if self.restricted_reviews is None:
            return ("The number of reviews with a restricted factor (such as personal "
                    "circumstances) is not shown: it is small enough, or close enough to the "
                    "total, to point to a person.")
        if self.restricted_reviews == 0:
            return "No review recorded a restricted factor (such as personal circumstances)."
        return (f"{self.restricted_reviews} of {self.reviews} reviews recorded a restricted "
                "factor (such as personal circumstances).")

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON types only."""
        return {
            "filters": {"region": self.region,
                        "start": None if self.start is None else self.start.isoformat(),
                        "end": None if self.end is None else self.end.isoformat()},
            "grouping": {"method": "TF-IDF over shared words and word pairs; average-linkage "
                                   "agglomerative clustering on cosine distance",
                         "max_themes": self.max_themes,
                         "distance_threshold": self.distance_threshold},
            "reviews": self.reviews,
            "quarters": [{"quarter": q, "reviews": n} for q, n in self.quarters],
            "factors": [{"code": f.code, "title": f.title, "level": f.level,
                         "reviews": f.reviews, "hindered": f.hindered, "helped": f.helped,
                         "systemic": f.systemic} for f in self.factors],
            "findings": [{"rule_id": f.rule_id, "reviews": f.reviews} for f in self.findings],
            "judgements": dict(self.judgements),
            "trend": [{"quarter": t.quarter, "code": t.code, "reviews": t.reviews}
                      for t in self.trend],
            "themes": [{"label": t.label, "terms": list(t.terms), "reviews": t.reviews,
                        "other": t.other,
                        "items": [{"review_id": i.review_id, "learning_id": i.learning_id,
                                   "level": i.level, "text": i.text} for i in t.items]}
                       for t in self.themes],
            "restricted_reviews": self.restricted_reviews,
            "restricted_summary": self.restricted_summary,
        }

    def factor_frame(self) -> pd.DataFrame:
        """One row per kind of factor, most named first."""
        columns = ["code", "title", "level", "reviews", "hindered", "helped", "systemic"]
        return pd.DataFrame([[getattr(f, c) for c in columns] for f in self.factors],
                            columns=columns)

    def finding_frame(self) -> pd.DataFrame:
        """One row per rule with gap episodes, most common first."""
        return pd.DataFrame([[f.rule_id, f.reviews] for f in self.findings],
                            columns=["rule_id", "reviews"])

    def trend_frame(self) -> pd.DataFrame:
        """The trend as a long table for a chart: quarter, code, title, reviews naming the
        factor, and reviews in the quarter (zeros where a quarter had none)."""
        in_quarter = dict(self.quarters)
        return pd.DataFrame(
            [[t.quarter, t.code, FACTOR_TYPES[t.code].title, t.reviews, in_quarter[t.quarter]]
             for t in self.trend],
            columns=["quarter", "code", "title", "reviews", "quarter_reviews"])

    def theme_frame(self) -> pd.DataFrame:
        """One row per piece of learning, with its theme, in theme order."""
        return pd.DataFrame(
            [[t.label, t.reviews, i.review_id, i.learning_id, i.level, i.text]
             for t in self.themes for i in t.items],
            columns=["theme", "theme_reviews", "review_id", "learning_id", "level", "text"])


# -- building it --------------------------------------------------------------------------------

def themes(digests: Iterable[ReviewDigest], *, region: str | None = None,
           start: date | None = None, end: date | None = None, max_themes: int = 8,
           distance_threshold: float = DISTANCE_THRESHOLD) -> ThemesReport:
    """Counts, a quarterly trend and learning themes across the reviews that pass the filters.

    ``region`` must match exactly (None: every region); ``start`` and ``end``
    include their own days and apply to each review's period date. The same
    reviews give the same report in any order.
    """
    given = list(digests)
    if start is not None and end is not None and start > end:
        raise InputError(f"The period starts on {start.isoformat()}, after it ends on "
                         f"{end.isoformat()}.")
    if isinstance(max_themes, bool) or not isinstance(max_themes, int) or max_themes < 1:
        raise InputError(f"Ask for at least one theme (max_themes was {max_themes!r}).")
    if not 0 < distance_threshold <= 1:
        raise InputError("The distance threshold is a cosine distance: above 0, at most 1 "
                         f"(it was {distance_threshold!r}).")
    seen: set[int] = set()
    for d in given:
        if d.review_id in seen:
            raise InputError(f"Review {d.review_id} is given twice; give one version of each "
                             "review.")
        seen.add(d.review_id)
    chosen = sorted((d for d in given
                     if (region is None or d.region == region)
                     and (start is None or d.period_date >= start)
                     and (end is None or d.period_date <= end)),
                    key=lambda d: d.review_id)

    factors = _factor_counts(chosen)
    quarters = _quarters(chosen, start, end)
    named = [f.code for f in factors if f.reviews]
    trend_counts: dict[tuple[str, str], int] = {}
    for d in chosen:
        for code in {code for code, _, _ in d.factors}:
            key = (quarter_of(d.period_date), code)
            trend_counts[key] = trend_counts.get(key, 0) + 1
    trend = tuple(TrendPoint(q, code, trend_counts.get((q, code), 0))
                  for q, _ in quarters for code in named)

    rules: dict[str, int] = {}
    for d in chosen:
        for rule in d.gap_rules:
            rules[rule] = rules.get(rule, 0) + 1
    findings = tuple(FindingCount(rule, n)
                     for rule, n in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0])))
    judged = {key: 0 for key in (*JUDGEMENTS, NOT_JUDGED)}
    for d in chosen:
        judged[d.judgement or NOT_JUDGED] += 1

    items = sorted((LearningItem(d.review_id, lid, level, text)
                    for d in chosen for lid, level, text in d.learning),
                   key=lambda i: (i.review_id, _natural(i.learning_id)))
    restricted = sum(1 for d in chosen if d.restricted_factors)
    return ThemesReport(
        region=region, start=start, end=end, max_themes=max_themes,
        distance_threshold=distance_threshold, reviews=len(chosen), quarters=quarters,
        factors=factors, findings=findings, judgements=tuple(judged.items()), trend=trend,
        themes=_group_learning(items, max_themes=max_themes, threshold=distance_threshold),
        restricted_reviews=_shown(restricted, len(chosen)))


def _factor_counts(chosen: Sequence[ReviewDigest]) -> tuple[FactorCount, ...]:
    out = []
    for code in _NON_RESTRICTED:
        named = [[(effect, scope) for c, effect, scope in d.factors if c == code]
                 for d in chosen]
        named = [n for n in named if n]
        kind = FACTOR_TYPES[code]
        out.append(FactorCount(
            code=code, title=kind.title, level=kind.level, reviews=len(named),
            hindered=sum(1 for n in named if any(e == "hindered" for e, _ in n)),
            helped=sum(1 for n in named if any(e == "helped" for e, _ in n)),
            systemic=sum(1 for n in named if any(s == "systemic" for _, s in n))))
    # Most named first; ties keep the taxonomy's order (sorted() is stable).
    return tuple(sorted(out, key=lambda f: -f.reviews))


def _quarters(chosen: Sequence[ReviewDigest], start: date | None,
              end: date | None) -> tuple[tuple[str, int], ...]:
    dates = [d.period_date for d in chosen]
    first = start or (min(dates) if dates else end)
    last = end or (max(dates) if dates else start)
    if first is None or last is None:
        return ()
    counts: dict[str, int] = {}
    for d in dates:
        counts[quarter_of(d)] = counts.get(quarter_of(d), 0) + 1
    out = []
    year, q = first.year, (first.month - 1) // 3
    while (year, q) <= (last.year, (last.month - 1) // 3):
        label = f"{year} Q{q + 1}"
        out.append((label, counts.get(label, 0)))
        year, q = (year + 1, 0) if q == 3 else (year, q + 1)
    return tuple(out)


def _shown(restricted: int, reviews: int) -> int | None:
    if restricted == 0 or (restricted >= SMALL_COUNT and reviews - restricted >= SMALL_COUNT):
        return restricted
    return None


def _natural(text: str) -> list[Any]:
    # "L2" before "L10": split() puts text at even places and digits at odd ones, so two
    # keys never compare a number with a string.
    return [int(p) if i % 2 else p for i, p in enumerate(re.split(r"(\d+)", text))]


# -- grouping the learning ----------------------------------------------------------------------

def _group_learning(items: Sequence[LearningItem], *, max_themes: int,
                    threshold: float) -> tuple[Theme, ...]:
    """Themes of the learning, items in (review_id, learning_id) order (see the docs)."""
    if not items:
        return ()
    # Imported here: scikit-learn takes most of a second to load and only this needs it.
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
    from sklearn.metrics.pairwise import cosine_distances

    def vectorizer(vocabulary: Sequence[str] | None = None) -> Any:
        return TfidfVectorizer(stop_words=sorted(ENGLISH_STOP_WORDS | DOMAIN_STOP_WORDS),
                               ngram_range=(1, 2), sublinear_tf=True, vocabulary=vocabulary)

    analyse = vectorizer().build_analyzer()
    terms = [analyse(i.text) for i in items]
    if len(items) == 1 and terms[0]:
        # One piece of learning is its own theme, labelled by its first words (word pairs
        # would only repeat them).
        words = [t for t in dict.fromkeys(terms[0]) if " " not in t]
        return (_theme(items, _label_terms(words)),)

    # Only terms that two or more items share can bring items together; a term of one item
    # would only dilute its similarity to the rest, so it is left out.
    document_frequency: dict[str, int] = {}
    for found in terms:
        for term in set(found):
            document_frequency[term] = document_frequency.get(term, 0) + 1
    shared = sorted(t for t, n in document_frequency.items() if n >= 2)
    groups: list[list[int]] = []
    weights: Any = None
    if shared:
        matrix = vectorizer(shared).fit_transform([i.text for i in items])
        weights = matrix.toarray()
        linked = [k for k in range(len(items)) if weights[k].any()]
        if len(linked) >= 2:
            distances = cosine_distances(weights[linked]).clip(min=0.0)
            labels = AgglomerativeClustering(
                n_clusters=None, metric="precomputed", linkage="average",
                distance_threshold=threshold).fit(distances).labels_
            by_label: dict[int, list[int]] = {}
            for k, label in zip(linked, labels, strict=True):
                by_label.setdefault(int(label), []).append(k)
            groups = [g for g in by_label.values() if len(g) >= 2]

    found_themes = []
    for group in groups:
        total = weights[group].sum(axis=0)
        # Heaviest first; on a tie the word pair ("domestic abuse" over "abuse"), then A to Z.
        ranked = sorted((-round(float(w), 9), -t.count(" "), t)
                        for t, w in zip(shared, total, strict=True) if w > 0)
        found_themes.append(_theme([items[k] for k in group],
                                   _label_terms([t for _, _, t in ranked])))
    found_themes.sort(key=lambda t: (-t.reviews, t.label, t.items[0].review_id,
                                     _natural(t.items[0].learning_id)))
    kept = found_themes[:max_themes]
    in_theme = {(i.review_id, i.learning_id) for t in kept for i in t.items}
    rest = [i for i in items if (i.review_id, i.learning_id) not in in_theme]
    if rest:
        kept.append(_theme(rest, (), other=True))
    return tuple(kept)


def _label_terms(ranked: Sequence[str]) -> tuple[str, ...]:
    # The heaviest terms that repeat no word already in the label ("police checks" and
    # then "police" would say the same thing twice); two words picked on their own that
    # also come as a pair become the pair ("children services", not "children, services"),
    # and the room this makes is filled again.
    picked: list[str] = []

    def fill() -> None:
        for term in ranked:
            if len(picked) == MAX_LABEL_TERMS:
                return
            if not any(w in p.split() for p in picked for w in term.split()):
                picked.append(term)

    fill()
    for term in ranked:
        parts = term.split()
        if len(parts) == 2 and parts[0] != parts[1] and all(w in picked for w in parts):
            first, second = sorted(picked.index(w) for w in parts)
            picked[first] = term
            del picked[second]
    fill()
    return tuple(picked)


def _theme(items: Sequence[LearningItem], terms: tuple[str, ...], *,
           other: bool = False) -> Theme:
    ordered = tuple(sorted(items, key=lambda i: (i.review_id, _natural(i.learning_id))))
    return Theme(label=OTHER_LEARNING if other else ", ".join(terms), terms=terms,
                 items=ordered, reviews=len({i.review_id for i in ordered}), other=other)
