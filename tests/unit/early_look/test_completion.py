"""An early look is signed off only when nothing is left to do; then it cannot change."""

from __future__ import annotations

from datetime import date

import pytest

from sfo.domain import early_look as el
from sfo.domain import just_culture as jc
from sfo.errors import EarlyLookInvalid
from tests.unit.early_look.conftest import AT, MANAGER, answered, ready

DUE = date(2024, 4, 12)


def with_disciplinary_record(state: el.EarlyLookState, *,
                             hr_advice: bool) -> el.EarlyLookState:
    state = el.add_just_culture(state, "Three absences were not enforced.",
                                staff_code="N56B412")
    (r,) = state.just_culture
    for q in jc.QUESTION_TEXT:
        r = jc.answer(r, q, "no")
    if hr_advice:
        r = jc.record_hr_advice(r, on=date(2024, 4, 15), adviser="HR business partner")
    r = jc.choose_outcome(r, jc.DISCIPLINARY, by=MANAGER, rationale="Records were altered.",
                          concern="misconduct", at=AT)
    r = jc.record_wider_learning(r, "How enforcement is tracked when caseloads are high.")
    return el.update_just_culture(state, r)


def test_a_new_early_look_lists_everything_left_to_do(base_state: el.EarlyLookState) -> None:
    problems = el.completion_problems(base_state)
    assert problems[0] == "The working context has not been confirmed as considered."
    assert "EL02 (Planning) is still to be answered." in problems
    assert ("EL01 (Risk assessment): the proposed answer 'Met' has not been confirmed or "
            "changed.") in problems
    assert problems[-1].startswith("No recommendation has been made. Choose one or more: "
                                   "Full SFO review;")


def test_a_complete_early_look_can_be_signed_off(base_state: el.EarlyLookState) -> None:
    s = ready(base_state)
    assert el.completion_problems(s) == []
    done = el.complete(s, by=MANAGER, at=AT)
    assert done.signed_off == el.Signature(MANAGER, AT)


def test_completion_is_refused_while_the_working_context_is_unconsidered(
        base_state: el.EarlyLookState) -> None:
    s = el.recommend(answered(base_state), ["full_sfo_review"], by=MANAGER,
                     rationale="Enforcement gaps.", at=AT)
    with pytest.raises(EarlyLookInvalid) as err:
        el.complete(s, by=MANAGER, at=AT)
    assert err.value.problems == ["The working context has not been confirmed as considered."]
    assert "cannot be signed off yet: 1 thing to finish" in str(err.value)


def test_completion_is_refused_while_hr_advice_is_missing_for_a_disciplinary_route(
        base_state: el.EarlyLookState) -> None:
    s = with_disciplinary_record(ready(base_state), hr_advice=False)
    with pytest.raises(EarlyLookInvalid) as err:
        el.complete(s, by=MANAGER, at=AT)
    assert err.value.problems == [
        "Just-culture record J1: a referral towards a disciplinary investigation needs HR "
        "advice (date and adviser) recorded first."]
    s = with_disciplinary_record(ready(base_state), hr_advice=True)
    assert el.complete(s, by=MANAGER, at=AT).signed_off is not None


def test_an_override_without_a_reason_in_a_saved_look_is_a_problem(
        base_state: el.EarlyLookState) -> None:
    content = ready(base_state).to_dict()
    content["answers"][0] |= {"answer": "not_met", "reason": ""}  # EL01, proposed met
    problems = el.completion_problems(el.EarlyLookState.from_dict(content))
    assert problems == ["EL01 (Risk assessment): the proposed answer was changed from 'Met' "
                        "to 'Not met' without a reason."]


def test_a_recommendation_without_rationale_in_a_saved_look_is_a_problem(
        base_state: el.EarlyLookState) -> None:
    content = ready(base_state).to_dict()
    content["recommendation"]["rationale"] = ""
    problems = el.completion_problems(el.EarlyLookState.from_dict(content))
    assert problems == ["The recommendation has no rationale."]


def test_something_needing_action_today_must_have_an_immediate_action(
        base_state: el.EarlyLookState) -> None:
    s = el.confirm(ready(base_state), "EL14", "not_met", by=MANAGER, at=AT)
    assert el.completion_problems(s) == [
        "EL14 (Action today: children) is answered 'Not met' but no immediate action is "
        "recorded for it."]
    s = el.add_action(s, "Refer the children at the address to children's services.",
                      owner_role="Senior probation officer", due=DUE, question_id="EL14")
    assert el.completion_problems(s) == []


def test_an_open_action_does_not_stop_sign_off(base_state: el.EarlyLookState) -> None:
    s = el.add_action(ready(base_state), "Dip sample the practitioner's DA cases.",
                      owner_role="Head of the probation delivery unit", due=DUE)
    assert not s.actions[0].done
    assert el.complete(s, by=MANAGER, at=AT).signed_off is not None


def test_a_signed_off_early_look_cannot_be_changed(base_state: el.EarlyLookState) -> None:
    done = el.complete(ready(base_state), by=MANAGER, at=AT)
    for change in (lambda s: el.confirm(s, "EL02", "partly", by=MANAGER, reason="x"),
                   lambda s: el.add_context(s, "systems", "Outage.", by=MANAGER),
                   lambda s: el.consider_context(s, by=MANAGER),
                   lambda s: el.add_action(s, "x", owner_role="SPO", due=DUE),
                   lambda s: el.complete(s, by=MANAGER)):
        with pytest.raises(EarlyLookInvalid, match=r"signed off by spo\.example on 1 July 2024"):
            change(done)


# -- next steps --------------------------------------------------------------------------------

def test_an_action_is_owned_by_a_role_not_a_person(base_state: el.EarlyLookState) -> None:
    for person in ("N56B412", "j.smith@justice.gov.uk"):
        with pytest.raises(EarlyLookInvalid, match="looks like a person"):
            el.add_action(base_state, "Visit.", owner_role=person, due=DUE)
    with pytest.raises(EarlyLookInvalid, match="which role owns"):
        el.add_action(base_state, "Visit.", owner_role=" ", due=DUE)
    s = el.add_action(base_state, "Visit.", owner_role="Senior probation officer", due=DUE)
    assert s.actions == (el.ImmediateAction("A1", "Visit.", "Senior probation officer", DUE),)


def test_an_action_can_be_marked_done_and_removed(base_state: el.EarlyLookState) -> None:
    s = el.add_action(base_state, "Visit.", owner_role="SPO", due=DUE)
    s = el.add_action(s, "Call police.", owner_role="SPO", due=DUE)
    s = el.set_action_done(s, "A2")
    assert [(a.action_id, a.done) for a in s.actions] == [("A1", False), ("A2", True)]
    s = el.remove_action(s, "A1")
    s = el.add_action(s, "Write to the victim liaison officer.", owner_role="SPO", due=DUE)
    assert [a.action_id for a in s.actions] == ["A2", "A3"]  # ids are never reused


def test_a_recommendation_needs_a_rationale_and_known_choices(
        base_state: el.EarlyLookState) -> None:
    with pytest.raises(EarlyLookInvalid, match="rationale"):
        el.recommend(base_state, ["full_sfo_review"], rationale="", by=MANAGER)
    with pytest.raises(EarlyLookInvalid, match="sack is not a recommendation"):
        el.recommend(base_state, ["sack"], rationale="x", by=MANAGER)
    with pytest.raises(EarlyLookInvalid, match="at least one"):
        el.recommend(base_state, [], rationale="x", by=MANAGER)


def test_several_next_steps_can_be_recommended_but_not_with_no_further_action(
        base_state: el.EarlyLookState) -> None:
    s = el.recommend(base_state, ["full_sfo_review", "dip_sample", "full_sfo_review"],
                     rationale="Gaps in enforcement; other DA cases held.", by=MANAGER, at=AT)
    assert s.recommendation is not None
    assert s.recommendation.choices == ("full_sfo_review", "dip_sample")
    with pytest.raises(EarlyLookInvalid, match="cannot be recommended together"):
        el.recommend(base_state, ["no_further_action", "hr_advice"], rationale="x",
                     by=MANAGER)
