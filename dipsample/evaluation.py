"""Evaluation: what the audited sample says about every eligible case, with honest uncertainty.

How answers count
-----------------
Each checklist answer is one of ``ANSWERS``. A case *fails* a question when
the answer is "no", "partly" or "unable_to_assess". Unable to assess means the
records needed were missing, and a missing record is itself a failure of
practice: it is counted as failing and never dropped (dropping it would make
poor recording look like good practice). "not_applicable" is left out of the
denominator: the question did not arise for that case. Answers are compared
trimmed and case-insensitively, with spaces or hyphens read as underscores;
"n/a" and "na" are read as not_applicable.

Which answer counts
-------------------
For each case and question the first row in file order is the primary
answer, the one the figures use. A later row from a different reviewer is a
second review, used only to measure agreement between reviewers. A sampled
case with no answer yet for a question is reported as not yet assessed: it is
neither a failure nor in the denominator, and a warning says so.

Intervals
---------
Exact (Clopper-Pearson) and Wilson intervals, and one-sided upper limits.
These treat the sample as drawn with replacement, which ignores the finite
population correction and so errs on the wide, safe side. Estimates across
strata are weighted by stratum size with the finite population correction
(normal approximation). Agreement is Cohen's kappa on the five answers, with
the share of pairs that agree.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from dipsample import hashing, planning
from dipsample.errors import Issue, PlanInvalid, ResultsInvalid

ANSWERS = ("yes", "no", "partly", "not_applicable", "unable_to_assess")
FAILING = frozenset({"no", "partly", "unable_to_assess"})
NOT_APPLICABLE = "not_applicable"
ALIASES = {"n/a": NOT_APPLICABLE, "na": NOT_APPLICABLE}
INTERVALS = ("exact", "wilson")
REQUIRED_COLUMNS = ("crn", "question_id", "answer", "reviewer")
SAMPLE_COLUMNS = ("crn", "stratum")
MIN_PAIRS = 10  # fewer second reviews than this say little about agreement

# XORed into the seed so that the second-review subset is ranked by a
# different key from the main draw: otherwise it would simply be the first
# cases drawn. The bytes spell "dipsample:review" (16 bytes, 128 bits).
SECOND_REVIEW_DOMAIN = int.from_bytes(b"dipsample:review", "little")

_ANSWER_LIST = "yes, no, partly, not_applicable or unable_to_assess"


# -- intervals -------------------------------------------------------------------

def _check_counts(k: int, n: int) -> tuple[int, int]:
    for value, what in ((n, "The number of cases checked"), (k, "The number failing")):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise PlanInvalid(f"{what} must be a whole number of 0 or more, not {value!r}.")
    if n == 0:
        raise PlanInvalid("No cases were checked, so there is nothing to give a confidence "
                          "interval for.")
    if k > n:
        raise PlanInvalid(f"{k} cases cannot fail out of {n} checked: the number failing must "
                          "be at most the number checked.")
    return int(k), int(n)


def _alpha(confidence: float) -> float:
    """1 - confidence, as the decimal typed (1 - 0.95 is 0.05, not 0.050000000000000044)."""
    return float(1 - Fraction(repr(planning.check_confidence(confidence))))


def clopper_pearson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The exact (Clopper-Pearson) two-sided confidence interval for k failing out of n."""
    k, n = _check_counts(k, n)
    alpha = _alpha(confidence)
    low = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return low, high


def _wilson(k: int, n: int, z: float) -> tuple[float, float]:
    centre = (k + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4)
    # At k = 0 and k = n the bounds are 0 and 1 exactly; float error would
    # otherwise leave a speck either side.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score two-sided confidence interval for k failing out of n."""
    k, n = _check_counts(k, n)
    return _wilson(k, n, float(stats.norm.ppf(1 - _alpha(confidence) / 2)))


def upper_bound(k: int, n: int, confidence: float = 0.95, method: str = "exact") -> float:
    """The one-sided upper confidence limit for the failing rate ("exact" or "wilson")."""
    k, n = _check_counts(k, n)
    alpha = _alpha(confidence)
    if method == "exact":
        return 1.0 if k == n else float(stats.beta.ppf(1 - alpha, k + 1, n - k))
    if method == "wilson":
        return _wilson(k, n, float(stats.norm.ppf(1 - alpha)))[1]
    raise PlanInvalid(f"The interval method must be exact or wilson, not {method!r}.")


# -- stratified estimate -----------------------------------------------------------

@dataclass(frozen=True)
class StratifiedEstimate:
    """A failing rate across strata, weighted by stratum size, with its confidence interval."""

    proportion: float
    standard_error: float
    low: float
    high: float
    confidence: float
    covered_share: float  # share of eligible cases in strata with at least one case assessed
    not_covered: tuple[str, ...]
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "proportion": self.proportion, "standard_error": self.standard_error,
            "low": self.low, "high": self.high, "confidence": self.confidence,
            "covered_share": self.covered_share, "not_covered": list(self.not_covered),
            "warnings": list(self.warnings),
        }


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise PlanInvalid(f"{what} must be a whole number of 0 or more, not {value!r}.")
    return int(value)


def stratified_estimate(population: Mapping[str, int], assessed: Mapping[str, int],
                        failing: Mapping[str, int],
                        confidence: float = 0.95) -> StratifiedEstimate:
    """The failing rate weighted by stratum size (N_h / N), with the finite population correction.

    Variance: sum of W_h^2 (1 - n_h/N_h) p_h (1 - p_h) / (n_h - 1); the interval
    is the normal one, clipped to 0 to 1. Strata with no case assessed are left
    out: the estimate then describes only the covered strata (weights are
    shares of the covered cases), and ``covered_share`` says how much that is.
    """
    conf = planning.check_confidence(confidence)
    for name in sorted(set(assessed) | set(failing)):
        if name not in population:
            raise PlanInvalid(f"Stratum '{name}' has results but no number of eligible cases.")
    rows = []
    for name, size in population.items():
        big = _whole(size, f"The number of eligible cases in stratum '{name}'")
        n = _whole(assessed.get(name, 0), f"The number assessed in stratum '{name}'")
        f = _whole(failing.get(name, 0), f"The number failing in stratum '{name}'")
        if n > big:
            raise PlanInvalid(f"Stratum '{name}' has {n} cases assessed but only {big} eligible.")
        if f > n:
            raise PlanInvalid(f"Stratum '{name}' has {f} cases failing but only {n} assessed.")
        rows.append((name, big, n, f))
    total = sum(big for _, big, _, _ in rows)
    covered = [(name, big, n, f) for name, big, n, f in rows if n > 0]
    if total == 0 or not covered:
        raise PlanInvalid("No case has been assessed in any stratum, so there is nothing to "
                          "estimate.")
    covered_total = sum(big for _, big, _, _ in covered)
    warnings: list[str] = []
    not_covered = tuple(name for name, big, n, _ in rows if n == 0 and big > 0)
    for name, big, _, _ in rows:
        if name in not_covered:
            warnings.append(
                f"No case was assessed in stratum '{name}' ({big} eligible cases), so the "
                f"estimate leaves it out and covers only "
                f"{planning.format_percent(covered_total / total)} of eligible cases.")
    proportion = 0.0
    variance = 0.0
    for name, big, n, f in covered:
        weight = big / covered_total
        p = f / n
        proportion += weight * p
        if n == 1:
            if big > 1:
                warnings.append(
                    f"Only one case was assessed in stratum '{name}', so its uncertainty cannot "
                    "be measured and the confidence interval is narrower than it should be.")
            continue
        variance += weight * weight * (1 - n / big) * p * (1 - p) / (n - 1)
    se = math.sqrt(variance)
    if se == 0 and any(n < big for _, big, n, _ in covered):
        warnings.append(
            "In every stratum either no case or every case failed, so the weighted confidence "
            "interval has no width. Use each stratum's exact upper limit, weighted by stratum "
            "size, instead.")
    z = float(stats.norm.ppf(1 - _alpha(conf) / 2))
    return StratifiedEstimate(
        proportion=proportion, standard_error=se, low=max(0.0, proportion - z * se),
        high=min(1.0, proportion + z * se), confidence=conf,
        covered_share=covered_total / total, not_covered=not_covered, warnings=tuple(warnings))


# -- agreement -------------------------------------------------------------------------

def _check_pairs(a: Sequence[str], b: Sequence[str]) -> None:
    if len(a) != len(b):
        raise PlanInvalid(f"Agreement needs one answer from each reviewer for every case: "
                          f"{len(a)} and {len(b)} answers were given.")
    if not a:
        raise PlanInvalid("Agreement needs at least one case answered by both reviewers.")


def percent_agreement(a: Sequence[str], b: Sequence[str]) -> float:
    """The share of cases (0 to 1, not 0 to 100) on which the two reviewers gave the same answer."""
    _check_pairs(a, b)
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def cohen_kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's kappa for two reviewers' answers (NaN if both gave one same answer throughout)."""
    _check_pairs(a, b)
    n = len(a)
    agree = sum(x == y for x, y in zip(a, b, strict=True))
    count_a: dict[str, int] = {}
    count_b: dict[str, int] = {}
    for x, y in zip(a, b, strict=True):
        count_a[x] = count_a.get(x, 0) + 1
        count_b[y] = count_b.get(y, 0) + 1
    chance = sum(count * count_b.get(answer, 0) for answer, count in count_a.items())
    # kappa = (p_o - p_e) / (1 - p_e) with p_o = agree/n and p_e = chance/n^2,
    # kept in whole numbers until the one division so no rounding creeps in.
    if chance == n * n:
        return math.nan  # both gave one and the same answer every time
    return (n * agree - chance) / (n * n - chance)


def _strength(kappa: float) -> str:
    """Landis and Koch's (1977) words for a kappa value."""
    if kappa < 0:
        return "poor"
    for limit, word in ((0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial")):
        if kappa <= limit:
            return word
    return "almost perfect"


@dataclass(frozen=True)
class Agreement:
    """How far two reviewers agreed on the cases both answered (question_id None: all questions)."""

    question_id: str | None
    pairs: int
    percent_agreement: float  # a share from 0 to 1
    kappa: float               # NaN when it cannot be worked out
    warning: str | None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (a kappa that cannot be worked out is null)."""
        return {"question_id": self.question_id, "pairs": self.pairs,
                "percent_agreement": self.percent_agreement,
                "kappa": None if math.isnan(self.kappa) else self.kappa,
                "warning": self.warning}


def _agreement(question_id: str | None, first: list[str], second: list[str],
               kappa_warning: float) -> Agreement:
    kappa = cohen_kappa(first, second)
    share = percent_agreement(first, second)
    where = f"on {question_id}" if question_id is not None else "across all questions"
    notes = []
    if math.isnan(kappa):
        notes.append(
            f"Cohen's kappa cannot be worked out {where}: both reviewers gave the same answer "
            f"('{first[0]}') every time.")
    elif kappa < kappa_warning:
        notes.append(
            f"Agreement between reviewers {where} is only {_strength(kappa)} (Cohen's kappa "
            f"{kappa:.2f}, below {kappa_warning:g}): agree what the question means before "
            "relying on the results.")
    if len(first) < MIN_PAIRS:
        noun = "case was" if len(first) == 1 else "cases were"
        notes.append(
            f"Only {len(first)} {noun} reviewed twice {where}, too few to judge agreement "
            f"reliably: aim for at least {MIN_PAIRS}.")
    return Agreement(question_id=question_id, pairs=len(first), percent_agreement=share,
                     kappa=kappa, warning=" ".join(notes) or None)


# -- second review ------------------------------------------------------------------------

def _repeated(values: Sequence[str]) -> list[str]:
    """The values that occur more than once, sorted."""
    return sorted(v for v, count in Counter(values).items() if count > 1)


def second_review_subset(crns: Sequence[str], seed: int, *, size: int | None = None,
                         fraction: float | None = None) -> tuple[str, ...]:
    """The sampled cases to review a second time: reproducible from the seed, in review order.

    Give exactly one of ``size`` (a number of cases) or ``fraction`` (a share,
    rounded up, so at least one case when there are any).
    """
    try:
        hashing.check_seed(seed)
    except ValueError as error:
        raise PlanInvalid(f"The {error}.") from None
    ids = [str(c) for c in crns]
    repeated = _repeated(ids)
    if repeated:
        raise PlanInvalid(f"Each case can be listed once for second review; repeated: "
                          f"{', '.join(repeated)}.")
    if (size is None) == (fraction is None):
        raise PlanInvalid("Give either the number of cases to review twice or the share of "
                          "cases, not both or neither.")
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not (
                0 <= size <= len(ids)):
            raise PlanInvalid(f"The number of cases to review twice must be a whole number from "
                              f"0 to {len(ids)} (the cases in the sample), not {size!r}.")
        count = int(size)
    else:
        share = planning.as_real(fraction)
        if share is None or not 0 < share <= 1:
            raise PlanInvalid(f"The share of cases to review twice must be a fraction more than "
                              f"0 and at most 1 (for example 0.1 for 10%), not {fraction!r}.")
        count = math.ceil(Fraction(repr(share)) * len(ids))
    order = hashing.rank_order(ids, seed ^ SECOND_REVIEW_DOMAIN)
    return tuple(ids[i] for i in order[:count].tolist())


# -- results -----------------------------------------------------------------------------

@dataclass(frozen=True)
class StratumResult:
    """One question's results within one stratum."""

    stratum: str
    population: int
    assessed: int
    failing: int
    proportion: float | None   # None when no case here was assessed
    exact: tuple[float, float]  # 0 to 1 when no case here was assessed: nothing is known

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"stratum": self.stratum, "population": self.population,
                "assessed": self.assessed, "failing": self.failing,
                "proportion": self.proportion, "exact": list(self.exact)}


def _one_in(upper: float) -> int:
    """X for "fewer than 1 in X": floor(1/upper), so that 1/X >= upper holds."""
    x = math.floor(1 / upper)
    # floor of a rounded division can land one too high; 1/X must not fall below upper.
    while x > 1 and 1 / x < upper:
        x -= 1
    return x


@dataclass(frozen=True)
class QuestionResult:
    """What the sample says about one checklist question."""

    question_id: str
    counts: Mapping[str, int]     # primary answers of each kind
    assessed: int                 # the denominator: primary answers other than not applicable
    failing: int
    proportion: float
    exact: tuple[float, float]
    wilson: tuple[float, float]
    upper_bound: float            # one-sided, by the Evaluator's interval method
    per_stratum: tuple[StratumResult, ...]
    stratified: StratifiedEstimate | None  # None with a single stratum
    confidence: float
    population: int               # eligible cases over all strata

    def statement(self, population_total: int | None = None) -> str:
        """The result in plain English, ending with what it says about every eligible case."""
        total = self.population if population_total is None else population_total
        conf = planning.format_percent(self.confidence, 4)
        eligible = f"the {total} eligible cases" if total else "all eligible cases"
        if self.failing == 0:
            first = f"None of the {self.assessed} cases checked failed."
        else:
            verb = "case" if self.assessed == 1 else "cases"
            first = (f"{self.failing} of {self.assessed} {verb} checked "
                     f"({planning.format_percent(self.proportion)}) did not meet this standard.")
        est = self.stratified
        covered = ""
        if est is not None and est.covered_share < 1:
            covered = (f" This covers only {planning.format_percent(est.covered_share)} of "
                       f"eligible cases: none were checked in stratum "
                       f"{', '.join(repr(s) for s in est.not_covered)}.")
        if est is not None and est.standard_error > 0:
            return (f"{first} Weighted by the size of each stratum, an estimated "
                    f"{planning.format_percent(est.proportion)} of {eligible} would not meet it. "
                    f"We can be {conf} confident that the true figure is between "
                    f"{planning.format_percent(est.low)} and {planning.format_percent(est.high)}"
                    f"{self._one_in_words(est.high)}.{covered}")
        upper = self.upper_bound
        weighted = ""
        if est is not None:
            upper = self.weighted_upper_bound()
            weighted = " Weighted by the size of each stratum, we"
        limit = planning.format_percent(upper)
        if upper > 0.5:
            return (f"{first}{weighted or ' We'} cannot rule out that more than half of "
                    f"{eligible} would not meet it: at {conf} confidence the upper limit is "
                    f"{limit}.{covered}")
        if _one_in(upper) < 3:
            # "fewer than 1 in 2" reads oddly; the percentage says it plainly.
            return (f"{first}{weighted or ' We'} can be {conf} confident that no more than "
                    f"{limit} of {eligible} would not meet it.{covered}")
        return (f"{first}{weighted or ' We'} can be {conf} confident that fewer than 1 in "
                f"{_one_in(upper)} (upper limit {limit}) of {eligible} would not meet it."
                f"{covered}")

    def weighted_upper_bound(self) -> float:
        """Each stratum's exact one-sided upper limit, weighted by its share of the covered cases.

        Used when the weighted normal interval has no width (every stratum had
        no failures, or all failed). With no failures it is a valid limit: a
        population rate above it needs some stratum's rate above that
        stratum's own limit, and each of those alone makes seeing no failures
        there no more likely than 1 - confidence.
        """
        covered = [s for s in self.per_stratum if s.assessed]
        total = sum(s.population for s in covered)
        return min(1.0, sum(
            s.population / total * upper_bound(s.failing, s.assessed, self.confidence, "exact")
            for s in covered))

    @staticmethod
    def _one_in_words(high: float) -> str:
        if high <= 0:
            return ""
        if high > 0.5:
            return ", so more than half may not meet it"
        if _one_in(high) < 3:
            return ""  # the interval already says it; "fewer than 1 in 2" reads oddly
        return f", so fewer than 1 in {_one_in(high)}"

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form, with the plain-English statement."""
        return {
            "question_id": self.question_id, "counts": dict(self.counts),
            "assessed": self.assessed, "failing": self.failing, "proportion": self.proportion,
            "exact": list(self.exact), "wilson": list(self.wilson),
            "upper_bound": self.upper_bound,
            "per_stratum": [s.as_dict() for s in self.per_stratum],
            "stratified": self.stratified.as_dict() if self.stratified else None,
            "confidence": self.confidence, "population": self.population,
            "statement": self.statement(),
        }


@dataclass(frozen=True)
class Evaluation:
    """Everything an audited dip sample says: per question, agreement, what is still to do."""

    questions: tuple[QuestionResult, ...]
    agreement: tuple[Agreement, ...]   # per question, then all questions (question_id None)
    not_assessed: Mapping[str, tuple[str, ...]]
    warnings: tuple[str, ...]          # every warning a report must show
    confidence: float
    params: Mapping[str, object]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "questions": [q.as_dict() for q in self.questions],
            "agreement": [a.as_dict() for a in self.agreement],
            "not_assessed": {q: list(c) for q, c in self.not_assessed.items()},
            "warnings": list(self.warnings),
            "confidence": self.confidence,
            "params": dict(self.params),
        }


def _text(column: pd.Series) -> pd.Series:
    """A column as trimmed text, with missing values as empty strings."""
    return column.astype("string").fillna("").str.strip().astype(object)


def normalise_answers(answers: pd.Series) -> pd.Series:
    """Answers as the words in ANSWERS where they can be read as one (trimmed, any case)."""
    words = _text(answers).str.lower().str.replace(r"[\s\-]+", "_", regex=True)
    return words.map(lambda word: ALIASES.get(word, word))


class Evaluator:
    """Turns a results file and the drawn sample into an Evaluation (scikit-learn style)."""

    def __init__(self, confidence: float = 0.95, interval: str = "exact",
                 kappa_warning: float = 0.6) -> None:
        self.confidence = confidence
        self.interval = interval
        self.kappa_warning = kappa_warning

    def get_params(self) -> dict[str, Any]:
        """The parameters, as given to the constructor."""
        return {"confidence": self.confidence, "interval": self.interval,
                "kappa_warning": self.kappa_warning}

    def _check_params(self) -> tuple[float, str, float]:
        conf = planning.check_confidence(self.confidence)
        if self.interval not in INTERVALS:
            raise PlanInvalid(f"The interval method must be exact or wilson, not "
                              f"{self.interval!r}.")
        kw = planning.as_real(self.kappa_warning)
        if kw is None or not -1 <= kw <= 1:
            raise PlanInvalid(f"The kappa warning level must be a number from -1 to 1 (for "
                              f"example 0.6), not {self.kappa_warning!r}.")
        return conf, self.interval, kw

    def evaluate(self, results: pd.DataFrame, sample: pd.DataFrame,
                 population: Mapping[str, int], *, source: str = "results.csv") -> Evaluation:
        """Evaluate ``results`` (crn, question_id, answer, reviewer) for the drawn ``sample``.

        ``sample`` has the columns crn and stratum (the final sample, after any
        substitution); ``population`` gives the eligible cases in each stratum.
        Every problem in ``results`` is collected into one ResultsInvalid.
        """
        conf, interval, kappa_warning = self._check_params()
        # Strata are compared as text, as they are read from a file.
        sizes = {str(name): size for name, size in population.items()}
        stratum_of, display = _read_sample(sample, sizes)
        table = _read_results(results, display, source)

        warnings: list[str] = []
        primary = table[~table["_second"]]
        second = table[table["_second"]]
        question_ids = sorted(table["question_id"].unique().tolist())
        strata = sorted(sizes)
        population_total = sum(int(sizes[s]) for s in strata)
        sample_crns = list(display.values())

        questions = []
        not_assessed: dict[str, tuple[str, ...]] = {}
        primary_of = {str(q): g for q, g in primary.groupby("question_id", sort=False)}
        second_of = {str(q): g for q, g in second.groupby("question_id", sort=False)}
        for qid in question_ids:
            rows = primary_of[qid]
            answered = set(rows["crn"].tolist())
            missing = tuple(c for c in sample_crns if c not in answered)
            if missing:
                not_assessed[qid] = missing
                noun = "case has" if len(missing) == 1 else "cases have"
                warnings.append(
                    f"{len(missing)} sampled {noun} no answer yet for {qid}. They are not "
                    "counted as failures and are left out of the figures until answered.")
            result = _question(qid, rows, stratum_of, sizes, conf, interval, population_total)
            if result is None:
                warnings.append(
                    f"{qid} did not apply to any case answered so far (every answer was "
                    "not applicable), so it has no figures.")
                continue
            if result.stratified is not None:
                warnings.extend(f"{qid}: {w}" for w in result.stratified.warnings)
            questions.append(result)

        agreement = []
        if len(second):
            first_answer = {(c, q): a for c, q, a in zip(
                primary["crn"], primary["question_id"], primary["answer"], strict=True)}
            pooled_a: list[str] = []
            pooled_b: list[str] = []
            for qid in question_ids:
                if qid not in second_of:
                    continue
                rows = second_of[qid]
                a = [first_answer[(c, qid)] for c in rows["crn"]]
                b = rows["answer"].tolist()
                pooled_a += a
                pooled_b += b
                agreement.append(_agreement(qid, a, b, kappa_warning))
            agreement.append(_agreement(None, pooled_a, pooled_b, kappa_warning))
            warnings.extend(found.warning for found in agreement if found.warning)
        elif len(table):
            warnings.append("No case was reviewed by a second reviewer, so agreement between "
                            "reviewers was not measured.")
        if not len(table):
            warnings.append("The results file has no answers yet.")

        return Evaluation(
            questions=tuple(questions), agreement=tuple(agreement),
            not_assessed=MappingProxyType(not_assessed), warnings=tuple(warnings),
            confidence=conf, params=MappingProxyType(self.get_params()))


def _read_sample(sample: pd.DataFrame,
                 population: Mapping[str, int]) -> tuple[dict[str, str], dict[str, str]]:
    """The stratum of each sampled case and its spelling, both keyed by upper-case CRN."""
    missing = [c for c in SAMPLE_COLUMNS if c not in sample.columns]
    if missing:
        raise PlanInvalid(f"The sample needs the columns crn and stratum; missing: "
                          f"{', '.join(missing)}.")
    crns = _text(sample["crn"]).tolist()
    strata = _text(sample["stratum"]).tolist()
    if any(not c for c in crns):
        raise PlanInvalid("Every case in the sample needs a CRN; some are empty.")
    keys = [c.upper() for c in crns]
    repeated = _repeated(keys)
    if repeated:
        raise PlanInvalid(f"Each case can be in the sample once; repeated: {', '.join(repeated)}.")
    counts: dict[str, int] = {}
    for s in strata:
        counts[s] = counts.get(s, 0) + 1
    for s, count in sorted(counts.items()):
        if s not in population:
            raise PlanInvalid(f"Stratum '{s}' is in the sample but no number of eligible cases "
                              "was given for it.")
        size = planning.check_population(population[s],
                                         f"The number of eligible cases in stratum '{s}'")
        if count > size:
            raise PlanInvalid(f"The sample has {count} cases in stratum '{s}' but only {size} "
                              "eligible cases were given for it.")
    return dict(zip(keys, strata, strict=True)), dict(zip(keys, crns, strict=True))


def _read_results(results: pd.DataFrame, display: Mapping[str, str], source: str) -> pd.DataFrame:
    """The results as clean text, one row per answer, with ``_second`` marking second reviews."""
    issues: list[Issue] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in results.columns]
    for column in missing:
        issues.append(Issue(None, column, f"The column '{column}' is missing. A results file "
                                          "needs the columns crn, question_id, answer and "
                                          "reviewer."))
    if missing:
        raise ResultsInvalid(issues, source=source)

    if "row" in results.columns:
        given = pd.to_numeric(results["row"], errors="coerce")
        fallback = pd.Series(np.arange(len(results)) + 2, index=results.index)
        rows = given.where(given.notna(), fallback).astype("int64").tolist()
    else:
        rows = (np.arange(len(results)) + 2).tolist()
    raw_answer = _text(results["answer"]).tolist()
    table = pd.DataFrame({
        "row": pd.Series(rows, dtype="int64"),
        "crn": pd.Series(_text(results["crn"]).tolist(), dtype=object),
        "question_id": pd.Series(_text(results["question_id"]).tolist(), dtype=object),
        "answer": pd.Series(normalise_answers(results["answer"]).tolist(), dtype=object),
        "reviewer": pd.Series(_text(results["reviewer"]).tolist(), dtype=object),
    })

    empty = {
        "crn": "The CRN is empty: give the case reference number of a sampled case.",
        "question_id": "The question_id is empty: give the checklist question this answer is for.",
        "answer": f"The answer is empty: use {_ANSWER_LIST}.",
        "reviewer": "The reviewer is empty: give the name or staff code of who answered.",
    }
    by_row: list[tuple[int, int, Issue]] = []  # (position, column order, issue) for sorting
    order = {c: i for i, c in enumerate(REQUIRED_COLUMNS)}

    def report(pos: int, column: str, message: str) -> None:
        by_row.append((pos, order[column], Issue(rows[pos], column, message)))

    for column, message in empty.items():
        for pos in np.flatnonzero((table[column] == "").to_numpy()).tolist():
            report(pos, column, message)
    bad_answer = ~table["answer"].isin(ANSWERS) & (table["answer"] != "")
    for pos in np.flatnonzero(bad_answer.to_numpy()).tolist():
        report(pos, "answer", f"'{raw_answer[pos]}' is not an answer the checklist allows: use "
                              f"{_ANSWER_LIST}.")
    keys = table["crn"].str.upper()
    outside = ~keys.isin(list(display)) & (table["crn"] != "")
    crn_text = table["crn"].tolist()
    for pos in np.flatnonzero(outside.to_numpy()).tolist():
        report(pos, "crn", f"{crn_text[pos]} is not in the sample; results can only be given "
                           "for sampled cases.")
    table["crn"] = [display.get(k, c) for k, c in zip(keys, table["crn"], strict=True)]

    # Reviewers are compared ignoring case and surrounding spaces.
    complete = (table[["crn", "question_id", "reviewer"]] != "").all(axis=1).to_numpy()
    positions = pd.Series(np.arange(len(table)))[complete]
    if len(positions):
        first = positions.groupby([table["crn"][complete], table["question_id"][complete],
                                   table["reviewer"][complete].str.casefold()]).transform("min")
        repeats = positions[positions != first]
        for pos, first_pos in zip(repeats.tolist(), first[repeats.index].tolist(), strict=True):
            report(pos, "reviewer",
                   f"{table['reviewer'].iat[pos]} answered {table['question_id'].iat[pos]} for "
                   f"{table['crn'].iat[pos]} twice (rows {rows[first_pos]} and {rows[pos]}): "
                   "keep one answer.")

    if by_row:
        by_row.sort(key=lambda item: (item[0], item[1]))
        raise ResultsInvalid([issue for _, _, issue in by_row], source=source)
    # The first answer in file order for a case and question is the primary
    # one; any later answer (from another reviewer, as repeats are refused)
    # is a second review.
    table["_second"] = table.duplicated(["crn", "question_id"], keep="first")
    return table


def _question(qid: str, rows: pd.DataFrame, stratum_of: Mapping[str, str],
              population: Mapping[str, int], conf: float, interval: str,
              population_total: int) -> QuestionResult | None:
    """One question's figures from its primary answers (None when none applied)."""
    strata = sorted(population)
    answers = rows["answer"].tolist()
    counts = {a: answers.count(a) for a in ANSWERS}
    assessed = len(answers) - counts[NOT_APPLICABLE]
    failing = sum(counts[a] for a in FAILING)
    if not assessed:
        return None

    by_stratum_n = dict.fromkeys(strata, 0)
    by_stratum_f = dict.fromkeys(strata, 0)
    for crn, answer in zip(rows["crn"], answers, strict=True):
        if answer == NOT_APPLICABLE:
            continue
        s = stratum_of[crn.upper()]
        by_stratum_n[s] += 1
        by_stratum_f[s] += answer in FAILING
    per_stratum = tuple(
        StratumResult(
            stratum=s, population=int(population[s]), assessed=by_stratum_n[s],
            failing=by_stratum_f[s],
            proportion=by_stratum_f[s] / by_stratum_n[s] if by_stratum_n[s] else None,
            exact=clopper_pearson(by_stratum_f[s], by_stratum_n[s], conf)
            if by_stratum_n[s] else (0.0, 1.0))
        for s in strata)

    stratified = None
    if len(population) > 1:
        stratified = stratified_estimate(population, by_stratum_n, by_stratum_f, conf)
    return QuestionResult(
        question_id=qid, counts=MappingProxyType(counts), assessed=assessed, failing=failing,
        proportion=failing / assessed, exact=clopper_pearson(failing, assessed, conf),
        wilson=wilson(failing, assessed, conf),
        upper_bound=upper_bound(failing, assessed, conf, interval),
        per_stratum=per_stratum, stratified=stratified, confidence=conf,
        population=population_total)
