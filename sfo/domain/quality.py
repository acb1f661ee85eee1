"""The quality check of an SFO review before it is finalised.

It reads the review the way the Inspectorate and a victim's family will: is
every standard covered (analysis of practice, overall judgement, learning,
victims and families), was the working context considered, is practice
judged on what was known at the time, is the wording free of blame and
counterfactuals, and can a family read the summary. Each item says where it
is and suggests a way forward. Only two things block finalising (no overall
judgement; working context not considered, see
:func:`sfo.domain.review.completion_problems`); everything else is a prompt for
the reviewer to weigh. Nothing here changes the review or reaches a judgement.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sfo.domain import review as rv

__all__ = [
    "BLAME_PHRASES",
    "KNOWN_ACRONYMS",
    "READING_EASE_FLOOR",
    "SENTENCE_WORDS",
    "SEVERITIES",
    "QualityItem",
    "check",
    "count_syllables",
    "reading_ease",
    "sentences",
]

SEVERITIES = ("prompt", "block")
READING_EASE_FLOOR = 60.0   # below this, most adults find text hard going (Flesch's "standard")
SENTENCE_WORDS = 25
KNOWN_ACRONYMS = ("OASys", "RoSH", "MAPPA", "SFO", "PO", "PSO", "SPO", "MARAC", "DA", "NPS",
                  "HMPPS", "CRN", "OGRS", "RSR")
# phrase -> a neutral way to say it. Longer phrases first, so "should have known" is
# reported as itself rather than as "should have".
BLAME_PHRASES: dict[str, str] = {
    "should have known": "say what was known at the time, and what was not (see what was "
                         "known then)",
    "it was clear that": "say what the records showed at the time",
    "could easily have": "say what was expected, and what in the working context made it "
                         "harder",
    "should have": "say what the expected practice was (\"the expected practice was to ...\")",
    "failed to": "say what was not done (\"X was not done (see the working context)\")",
    "obviously": "give the evidence instead",
    "negligent": "describe what happened and the conditions it happened in",
    "careless": "describe what happened and the conditions it happened in",
    "if only": "say what the expected practice was",
}
_BLAME = re.compile(r"\b(" + "|".join(re.escape(p).replace(r"\ ", r"\s+")
                                      for p in BLAME_PHRASES) + r")\b", re.IGNORECASE)
_FAILED_TO = re.compile(r"\bfailed\s+to\s+(\w+)((?:\s+(?!and\b|but\b|or\b|because\b)"
                        r"[\w'-]+)*)", re.IGNORECASE)
_IRREGULAR = {"make": "made", "do": "done", "see": "seen", "hold": "held", "take": "taken",
              "give": "given", "send": "sent", "meet": "met", "write": "written",
              "tell": "told", "get": "got", "find": "found", "read": "read", "put": "put",
              "set": "set", "keep": "kept", "seek": "sought", "begin": "begun"}
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_CAPS = re.compile(r"\b[A-Z][A-Za-z]{1,5}\b")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True)
class QualityItem:
    """One thing the check found: how serious, where, what, and a way forward."""

    code: str
    severity: str       # prompt | block
    where: str          # a section, or an episode id
    message: str
    suggestion: str


def check(state: rv.ReviewState) -> tuple[QualityItem, ...]:
    """Every item the quality check finds, blocks first."""
    items = [*_standards(state), *_context(state), *_hindsight(state), *_wording(state),
             *_family(state), *_factors(state)]
    return tuple(sorted(items, key=lambda i: i.severity != "block"))


# -- the four Inspectorate standards, and the working context --------------------------------

def _standards(state: rv.ReviewState) -> Iterator[QualityItem]:
    for heading, title in rv.HEADINGS.items():
        if not state.analysis_of(heading).strip():
            yield QualityItem("analysis-missing", "prompt", f"analysis/{heading}",
                              f"There is no analysis under '{title}'.",
                              "Write what the practice under this heading was, judged on "
                              "what was known at the time; say so if it did not apply.")
    if state.judgement is None:
        yield QualityItem("judgement-missing", "block", "judgement",
                          "There is no overall judgement on whether all reasonable steps "
                          "were taken.",
                          "Answer yes, partly or no, with the reasons.")
    levels = {x.level for x in state.learning}
    if not levels & {"organisational", "system"}:
        yield QualityItem("learning-not-systemic", "prompt", "learning",
                          "There is no learning at organisational or system level"
                          + (", only for individuals or the team." if levels else "."),
                          "Ask what in the work system (workload, training, systems, "
                          "policy, partners) would let the same thing happen again.")
    if not state.family_summary.strip():
        yield QualityItem("family-summary-missing", "prompt", "family_summary",
                          "There is no summary for the victim's family.",
                          "Write a short plain-English summary, with nothing restricted.")


def _context(state: rv.ReviewState) -> Iterator[QualityItem]:
    if not rv.working_context_considered(state):
        yield QualityItem("context-not-considered", "block", "factors",
                          "There is no statement of how the working context was considered "
                          "(factors the toolkit proposed do not count on their own).",
                          "Say what you looked at (workload, supervision, training, "
                          "experience, vacancies, systems, partners), which factors you "
                          "found and, if none, why.")


# -- hindsight ----------------------------------------------------------------------------------

def _hindsight(state: rv.ReviewState) -> Iterator[QualityItem]:
    for ep in state.episodes:
        if ep.kind != "gap" or ep.decision_date is None:
            continue
        dates = [e.dated for e in ep.evidence]
        if dates and all(d is not None and d > ep.decision_date for d in dates):
            yield QualityItem("hindsight-evidence", "prompt", ep.episode_id,
                              "This criticism cites only evidence dated after its decision "
                              f"point ({ep.decision_date.isoformat()}).",
                              "Judge it on what was recorded by then, or say why the later "
                              "evidence shows what could have been known at the time.")
        known = " ".join(ep.known_then).casefold()
        for claim in ep.knew:
            if claim.strip() and claim.strip().casefold() not in known:
                yield QualityItem("hindsight-known", "prompt", ep.episode_id,
                                  f"The episode says '{claim.strip()}' was known, but it is not "
                                  "in what was recorded by the decision point.",
                                  "Show where it was known at the time, or describe it as "
                                  "learnt afterwards.")


# -- blame and counterfactual wording -------------------------------------------------------

def _texts(state: rv.ReviewState) -> Iterator[tuple[str, str]]:
    for ep in state.episodes:
        for field in ("what_happened", "why_it_made_sense", "expected", "good_practice"):
            yield f"{ep.episode_id}/{field}", getattr(ep, field)
    for heading, text in state.analysis:
        yield f"analysis/{heading}", text
    if state.judgement is not None:
        yield "judgement", state.judgement.reasons
    yield "family_summary", state.family_summary


def _wording(state: rv.ReviewState) -> Iterator[QualityItem]:
    for where, text in _texts(state):
        for m in _BLAME.finditer(text):
            phrase = m.group(1)
            key = re.sub(r"\s+", " ", phrase.lower())
            suggestion = BLAME_PHRASES[key]
            if key == "failed to":
                rewrite = _failed_to_rewrite(text[m.start():])
                if rewrite:
                    suggestion = f"for example \"{rewrite}\""
            yield QualityItem("blame-wording", "prompt", where,
                              f"'{phrase}' reads as blame or hindsight.", suggestion)


def _failed_to_rewrite(text: str) -> str:
    """'failed to record the visit' -> 'the visit was not recorded (see the working context)'."""
    m = _FAILED_TO.match(text)
    if m is None:
        return ""
    verb, rest = m.group(1).lower(), m.group(2).strip()
    done = _participle(verb)
    if not rest:
        return f"this was not {done} (say what, and see the working context)"
    return f"{rest} was not {done} (see the working context)"


def _participle(verb: str) -> str:
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and len(verb) > 1 and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    return verb + "ed"


# -- the family summary -----------------------------------------------------------------------

def _family(state: rv.ReviewState) -> Iterator[QualityItem]:
    text = state.family_summary
    if not text.strip():
        return
    seen: set[str] = set()
    for m in _CAPS.finditer(text):
        token = m.group(0)
        if token in seen or not _is_acronym(token):
            continue
        seen.add(token)
        before, after = text[:m.start()].rstrip(), text[m.end():].lstrip()
        spelt_out = (before.endswith("(") and after.startswith(")")) or after.startswith("(")
        if not spelt_out:
            yield QualityItem("acronym", "prompt", "family_summary",
                              f"'{token}' is not spelt out where it is first used.",
                              f"Write it in full, with '({token})' after it, or leave the "
                              "abbreviation out.")
    score = reading_ease(text)
    if score < READING_EASE_FLOOR:
        yield QualityItem("readability", "prompt", "family_summary",
                          f"The summary's reading ease is {score:.0f} (below "
                          f"{READING_EASE_FLOOR:.0f} many readers find it hard).",
                          "Use shorter sentences and everyday words.")
    for n, s in enumerate(sentences(text), start=1):
        words = len(_WORD.findall(s))
        if words > SENTENCE_WORDS:
            yield QualityItem("long-sentence", "prompt", f"family_summary/sentence {n}",
                              f"Sentence {n} has {words} words ('{s[:40]}...').",
                              f"Split it: aim for {SENTENCE_WORDS} words or fewer.")


def _is_acronym(token: str) -> bool:
    if token in KNOWN_ACRONYMS:
        return True
    return token.isupper() and 2 <= len(token) <= 6


def _factors(state: rv.ReviewState) -> Iterator[QualityItem]:
    for f in state.factors:
        if f.known_at_the_time is None:
            yield QualityItem("factor-known", "prompt", f.factor_id,
                              f"Factor {f.factor_id} ({f.kind.title}) does not say whether it "
                              "was known at the time.",
                              "Answer yes, no, or known only afterwards.")
        if f.scope is None:
            yield QualityItem("factor-scope", "prompt", f.factor_id,
                              f"Factor {f.factor_id} ({f.kind.title}) does not say whether it "
                              "is specific to this case or systemic.",
                              "Say specific or systemic.")


# -- readability ----------------------------------------------------------------------------

def sentences(text: str) -> list[str]:
    """The sentences of a text (split after . ! or ? before a capital or a digit)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def count_syllables(word: str) -> int:
    """Syllables in an English word, by vowel groups less a silent final e (at least 1)."""
    w = re.sub(r"[^a-z]", "", word.lower())
    if not w:
        return 0
    groups = len(re.findall(r"[aeiouy]+", w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1
    return max(groups, 1)


def reading_ease(text: str) -> float:
    """Flesch reading ease: 206.835 - 1.015 words/sentences - 84.6 syllables/words."""
    words = _WORD.findall(text)
    if not words:
        return 0.0
    n_sentences = max(len(sentences(text)), 1)
    syllables = sum(count_syllables(w) for w in words)
    return 206.835 - 1.015 * len(words) / n_sentences - 84.6 * syllables / len(words)
