"""The quality check points out gaps in the standards, hindsight, blame wording and hard reading."""

from __future__ import annotations

from datetime import date

import pytest

from sfo.domain import quality as q
from sfo.domain import review as rv
from sfo.domain.factors import EvidenceNote
from sfo.domain.findings import CaseFindings
from tests.unit.review.conftest import AT, REVIEWER

EASY = "We are sorry. The man was on probation. He had to see his officer each week."


def items(state: rv.ReviewState, code: str) -> list[q.QualityItem]:
    return [i for i in q.check(state) if i.code == code]


def test_a_missing_judgement_blocks_and_comes_first(da_case: CaseFindings):
    found = q.check(rv.start(da_case))
    assert found[0].code == "judgement-missing" and found[0].severity == "block"


def test_blame_wording_is_pointed_out_with_the_phrase_and_where(da_case: CaseFindings):
    state = rv.update_episode(rv.start(da_case), "E1", what_happened=(
        "The officer failed to visit and should have known the risk."))
    found = items(state, "blame-wording")
    assert [(i.where, i.message.split("'")[1]) for i in found] == [
        ("E1/what_happened", "failed to"), ("E1/what_happened", "should have known")]
    assert all(i.severity == "prompt" for i in found)


def test_failed_to_gets_a_neutral_rewrite(da_case: CaseFindings):
    state = rv.set_analysis(rv.start(da_case), "planning",
                            "The PSO Failed To record the home visit.")
    (item,) = items(state, "blame-wording")
    assert "the home visit was not recorded (see the working context)" in item.suggestion


@pytest.mark.parametrize("text", ["The shoulder was hurt.", "Careful work.",
                                  "It was clearly recorded."])
def test_blame_words_are_matched_whole_words_only(da_case: CaseFindings, text: str):
    state = rv.set_analysis(rv.start(da_case), "planning", text)
    assert items(state, "blame-wording") == []


def test_criticism_citing_only_later_evidence_is_hindsight(da_case: CaseFindings):
    state = rv.start(da_case)
    ep = next(e for e in state.episodes if e.kind == "gap")
    assert items(state, "hindsight-evidence") == []
    later = EvidenceNote("Police disclosed history after the charge.", "fact", ("p1",),
                         date(2024, 6, 25))
    state = rv.update_episode(state, ep.episode_id, evidence=[later])
    (item,) = items(state, "hindsight-evidence")
    assert item.where == ep.episode_id


def test_saying_something_was_known_that_was_not_recorded_then_is_prompted(
        da_case: CaseFindings):
    state = rv.start(da_case)
    ep = next(e for e in state.episodes if e.kind == "gap")
    state = rv.update_episode(state, ep.episode_id,
                              knew=["Active registrations: ADVP", "previous stalking"])
    found = items(state, "hindsight-known")
    assert [i.message.split("'")[1] for i in found] == ["previous stalking"]


def test_unexplained_acronyms_in_the_family_summary_are_found(da_case: CaseFindings):
    state = rv.set_family_summary(rv.start(da_case), EASY + " The case was managed by MAPPA.")
    (item,) = items(state, "acronym")
    assert "'MAPPA'" in item.message


@pytest.mark.parametrize("text", [
    "Police and others met under multi-agency public protection arrangements (MAPPA). "
    "MAPPA met twice.",
    "They met at MAPPA (multi-agency public protection arrangements). MAPPA met twice.",
])
def test_acronyms_spelt_out_on_first_use_are_accepted(da_case: CaseFindings, text: str):
    state = rv.set_family_summary(rv.start(da_case), text)
    assert items(state, "acronym") == []


def test_a_hard_family_summary_is_prompted_for_readability(da_case: CaseFindings):
    hard = ("Notwithstanding organisational considerations, the practitioner's "
            "documentation demonstrated insufficient consideration of safeguarding "
            "information, communicated inconsistently between multidisciplinary "
            "partnership organisations, ultimately necessitating comprehensive "
            "reconsideration of the management arrangements.")
    state = rv.set_family_summary(rv.start(da_case), hard)
    assert items(state, "readability")
    assert items(state, "long-sentence")
    assert not items(rv.set_family_summary(state, EASY), "readability")


def test_flesch_reading_ease_of_a_textbook_sentence():
    # The usual worked example (Wikipedia, "Flesch-Kincaid readability tests"): 13 words,
    # 24 syllables, reading ease 37.5. One syllable miscounted in 13 words moves the score
    # by 84.6/13 = 6.5, so agreeing within 1 point means the syllables were all counted right.
    text = "The Australian platypus is seemingly a hybrid of a mammal and reptilian creature."
    assert q.reading_ease(text) == pytest.approx(37.5, abs=1.0)
    assert q.reading_ease("The cat sat on the mat.") == pytest.approx(116.145, abs=0.01)


@pytest.mark.parametrize(("word", "n"), [("cat", 1), ("creature", 2), ("table", 2),
                                         ("probation", 3), ("the", 1), ("agree", 2)])
def test_syllables_are_counted_by_vowel_groups(word: str, n: int):
    assert q.count_syllables(word) == n


def test_learning_only_for_individuals_is_prompted(da_case: CaseFindings):
    state = rv.add_learning(rv.start(da_case), "individual", "Training for the PSO.")
    assert items(state, "learning-not-systemic")
    state = rv.add_learning(state, "system", "Police checks take too long.")
    assert not items(state, "learning-not-systemic")


def test_a_complete_fair_review_has_only_factor_prompts_left(da_case: CaseFindings):
    state = rv.start(da_case)
    for heading in rv.HEADINGS:
        state = rv.set_analysis(state, heading, "What happened, judged on what was known.")
    state = rv.set_judgement(state, "partly", reasons="Some checks were not made.",
                             by=REVIEWER, at=AT)
    state = rv.add_learning(state, "organisational", "Allocation of DA cases.")
    state = rv.set_family_summary(state, EASY)
    for f in state.factors:
        state = rv.update_factor(state, f.factor_id, known_at_the_time="yes",
                                 scope="systemic")
    # The toolkit's proposed factors are not enough: the reviewer says how they weighed them.
    assert [i.code for i in q.check(state)] == ["context-not-considered"]
    state = rv.consider_context(state, "Read the workload and supervision records.",
                                by=REVIEWER, at=AT)
    assert q.check(state) == ()
