"""The just-culture record structures and records the manager's judgement; it never makes it."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfo.domain import just_culture as jc
from sfo.errors import EarlyLookInvalid
from tests.unit.early_look.conftest import AT, MANAGER

ALL_QUESTIONS = list(jc.QUESTION_TEXT)


def record() -> jc.JustCultureRecord:
    return jc.new_record("J1", "The home visit was not made within 20 working days.",
                         staff_code="N03D208")


def fully_answered(reply: str = "no") -> jc.JustCultureRecord:
    r = record()
    for q in ALL_QUESTIONS:
        r = jc.answer(r, q, reply)
    return r


def test_the_sequence_follows_the_nhs_guide_in_order() -> None:
    assert [s.id for s in jc.STEPS] == ["deliberate_harm", "health", "foresight",
                                        "substitution", "mitigation"]
    sub = jc.STEPS[3]
    assert any("same experience, training and workload" in t for _, t in sub.questions)
    assert any("training" in t and "miss" in t for _, t in sub.questions)
    assert any("supervision" in t for _, t in sub.questions)
    assert any("workable" in t for _, t in jc.STEPS[2].questions)


def test_the_outcome_options_are_the_five_the_design_names() -> None:
    assert list(jc.OUTCOMES) == ["no_case_to_answer", "system_learning_only",
                                 "individual_development", "performance_improvement_plan",
                                 "refer_hr_disciplinary"]


def test_answers_are_yes_no_or_unsure_with_a_note() -> None:
    r = jc.answer(record(), "JC8", "unsure", note="Peers were not asked yet.")
    assert r.reply("JC8") == jc.Reply("JC8", "unsure", "Peers were not asked yet.")
    with pytest.raises(EarlyLookInvalid, match="answer yes, no or unsure"):
        jc.answer(record(), "JC8", "maybe")
    with pytest.raises(EarlyLookInvalid, match="not a question of the just-culture"):
        jc.answer(record(), "JC99", "yes")


@given(st.lists(st.tuples(st.sampled_from(ALL_QUESTIONS), st.sampled_from(list(jc.REPLIES))),
                max_size=30))
def test_no_pattern_of_answers_ever_sets_an_outcome(replies: list[tuple[str, str]]) -> None:
    r = record()
    for q, a in replies:
        r = jc.answer(r, q, a)
    assert r.outcome is None and r.concern is None and r.rationale == ""


@given(st.lists(st.tuples(st.sampled_from(ALL_QUESTIONS), st.sampled_from(list(jc.REPLIES))),
                max_size=30),
       st.sampled_from([o for o in jc.OUTCOMES if o != jc.DISCIPLINARY]))
def test_the_outcome_is_only_ever_the_one_the_manager_set(
        replies: list[tuple[str, str]], outcome: str) -> None:
    r = jc.choose_outcome(record(), outcome, by=MANAGER, rationale="Considered.", at=AT)
    for q, a in replies:
        r = jc.answer(r, q, a)
    assert r.outcome == outcome and r.chosen_by == MANAGER


def test_the_module_exposes_nothing_that_could_suggest_an_outcome() -> None:
    public = {n for n, v in vars(jc).items() if callable(v) and not n.startswith("_")
              and getattr(v, "__module__", "") == jc.__name__}
    assert public == {"Step", "Reply", "HrAdvice", "JustCultureRecord", "new_record",
                      "answer", "choose_outcome", "clear_outcome", "record_hr_advice",
                      "record_wider_learning"}
    for name in public:
        assert not any(w in name.lower() for w in ("suggest", "recommend", "decide", "score",
                                                   "compute", "propose", "infer", "auto"))
    # The only function that sets an outcome takes it from its caller.
    assert "outcome" in inspect.signature(jc.choose_outcome).parameters
    fields = {f.name for f in dataclasses.fields(jc.JustCultureRecord)}
    methods = {n for n in vars(jc.JustCultureRecord) if not n.startswith("_")} - fields
    assert methods == {"wider_learning_required", "reply", "unanswered", "problems",
                       "summary", "to_dict", "from_dict"}


def test_wider_learning_is_always_required_and_cannot_be_switched_off() -> None:
    r = fully_answered()
    r = jc.choose_outcome(r, "no_case_to_answer", by=MANAGER, rationale="Peers would too.",
                          at=AT)
    assert r.wider_learning_required is True
    assert "wider_learning_required" not in {f.name for f in dataclasses.fields(r)}
    with pytest.raises(TypeError):
        dataclasses.replace(r, wider_learning_required=False)  # type: ignore[call-arg]
    assert r.to_dict()["wider_learning_required"] is True
    assert any("wider learning is always still required" in p for p in r.problems())
    with pytest.raises(EarlyLookInvalid, match="always still required"):
        jc.record_wider_learning(r, " ")


def test_a_disciplinary_route_without_hr_advice_is_a_problem() -> None:
    r = jc.record_wider_learning(fully_answered(), "Allocation of DA cases to new PSOs.")
    r = jc.choose_outcome(r, jc.DISCIPLINARY, by=MANAGER, rationale="Records were altered.",
                          concern="misconduct", at=AT)
    assert r.problems() == ["Just-culture record J1: a referral towards a disciplinary "
                            "investigation needs HR advice (date and adviser) recorded "
                            "first."]
    r = jc.record_hr_advice(r, on=date(2024, 6, 24), adviser="HR business partner")
    assert r.problems() == []


def test_a_disciplinary_route_must_say_misconduct_or_gross_misconduct() -> None:
    with pytest.raises(EarlyLookInvalid, match="misconduct or gross misconduct"):
        jc.choose_outcome(record(), jc.DISCIPLINARY, by=MANAGER, rationale="x", at=AT)
    with pytest.raises(EarlyLookInvalid, match="only with a referral"):
        jc.choose_outcome(record(), "no_case_to_answer", by=MANAGER, rationale="x",
                          concern="misconduct", at=AT)


def test_an_outcome_needs_a_rationale_and_a_known_name() -> None:
    with pytest.raises(EarlyLookInvalid, match="Give the reason"):
        jc.choose_outcome(record(), "no_case_to_answer", by=MANAGER, rationale=" ", at=AT)
    with pytest.raises(EarlyLookInvalid, match="'sack' is not an outcome"):
        jc.choose_outcome(record(), "sack", by=MANAGER, rationale="x", at=AT)


def test_no_case_to_answer_stays_open_whatever_the_answers() -> None:
    r = fully_answered("yes")  # even "yes" to deliberate harm: the manager still chooses
    r = jc.choose_outcome(r, "no_case_to_answer", by=MANAGER, rationale="See HR note.", at=AT)
    assert r.outcome == "no_case_to_answer"


def test_unanswered_questions_and_a_missing_outcome_are_problems() -> None:
    r = jc.answer(record(), "JC1", "no")
    problems = r.problems()
    assert problems[0] == ("Just-culture record J1: 10 questions of the sequence not yet "
                           "answered (JC2, JC3, JC4, JC5, JC6, JC7, JC8, JC9, JC10, JC11).")
    assert "no outcome has been chosen" in problems[1]


def test_the_summary_reads_in_the_order_of_the_sequence_and_names_the_chooser() -> None:
    r = jc.answer(fully_answered(), "JC8", "yes", note="Two peers said they would have too.")
    r = jc.choose_outcome(r, "system_learning_only", by=MANAGER, at=AT,
                          rationale="Peers with the same caseload would have done the same.")
    r = jc.record_wider_learning(r, "Review how DA cases are allocated to new PSOs.")
    text = r.summary()
    lines = text.splitlines()
    assert lines[0] == ("Act or omission by N03D208: The home visit was not made within 20 "
                        "working days.")
    assert [ln.split(":")[0] for ln in lines[1:6]] == [s.title for s in jc.STEPS]
    assert "Yes. Two peers said they would have too." in lines[4]
    assert lines[6] == (f"Outcome, chosen by {MANAGER}: Learning for the system only. "
                        "Rationale: Peers with the same caseload would have done the same.")
    assert lines[-1] == ("Wider learning is still required: Review how DA cases are "
                         "allocated to new PSOs.")


def test_a_record_round_trips_through_its_plain_form() -> None:
    r = jc.record_hr_advice(fully_answered("unsure"), on=date(2024, 6, 24), adviser="HR",
                            note="Advice by phone.")
    r = jc.choose_outcome(r, jc.DISCIPLINARY, by=MANAGER, rationale="x",
                          concern="gross_misconduct", at=AT)
    r = jc.record_wider_learning(r, "Supervision of new staff.")
    assert jc.JustCultureRecord.from_dict(r.to_dict()) == r
