"""The manager confirms each proposed answer, or changes it and says why."""

from __future__ import annotations

import pytest

from sfo.domain import early_look as el
from sfo.errors import EarlyLookInvalid
from tests.unit.early_look.conftest import AT, MANAGER


def test_confirming_the_proposed_answer_needs_no_reason(base_state: el.EarlyLookState) -> None:
    s = el.confirm(base_state, "EL05", "not_met", by=MANAGER, at=AT)
    a = s.answer("EL05")
    assert a is not None and (a.answer, a.proposed, a.reason, a.overridden) == (
        "not_met", "not_met", "", False)
    assert (a.by, a.at) == (MANAGER, AT)


def test_changing_the_proposed_answer_without_a_reason_is_refused(
        base_state: el.EarlyLookState) -> None:
    with pytest.raises(EarlyLookInvalid, match="Changing it to 'Partly met' needs a reason"):
        el.confirm(base_state, "EL05", "partly", by=MANAGER, at=AT)
    with pytest.raises(EarlyLookInvalid, match="needs a reason"):
        el.confirm(base_state, "EL05", "partly", by=MANAGER, reason="   ", at=AT)


def test_changing_the_proposed_answer_with_a_reason_is_recorded_as_an_override(
        base_state: el.EarlyLookState) -> None:
    s = el.confirm(base_state, "EL07", "partly", by=MANAGER, at=AT,
                   reason="The police response did not cover the new partner.")
    a = s.answer("EL07")
    assert a is not None and a.overridden and a.proposed == "met" and a.answer == "partly"
    assert s.current("EL07") == "partly"


def test_a_question_for_the_manager_is_answered_without_a_reason(
        base_state: el.EarlyLookState) -> None:
    s = el.confirm(base_state, "EL02", "not_met", by=MANAGER, at=AT)
    a = s.answer("EL02")
    assert a is not None and not a.overridden and a.proposed == "to_answer"


def test_not_supplied_is_an_answer_distinct_from_not_met(base_state: el.EarlyLookState) -> None:
    s = el.confirm(base_state, "EL09", "not_supplied", by=MANAGER, at=AT)
    assert s.current("EL09") == "not_supplied" != "not_met"
    assert set(el.ANSWERS) == {"met", "not_met", "partly", "not_supplied", "not_applicable",
                               "to_answer"}
    assert set(el.ANSWER_MEANINGS) == set(el.ANSWERS)


def test_to_answer_is_not_itself_an_answer(base_state: el.EarlyLookState) -> None:
    with pytest.raises(EarlyLookInvalid, match="'to_answer' is not an answer"):
        el.confirm(base_state, "EL02", "to_answer", by=MANAGER, at=AT)


def test_an_unknown_answer_or_question_is_refused(base_state: el.EarlyLookState) -> None:
    with pytest.raises(EarlyLookInvalid, match="'yes' is not an answer"):
        el.confirm(base_state, "EL02", "yes", by=MANAGER, at=AT)
    with pytest.raises(EarlyLookInvalid, match="has no question EL99"):
        el.confirm(base_state, "EL99", "met", by=MANAGER, at=AT)


def test_an_answer_must_say_who_gave_it(base_state: el.EarlyLookState) -> None:
    with pytest.raises(EarlyLookInvalid, match="Say who"):
        el.confirm(base_state, "EL02", "met", by=" ", at=AT)


def test_answering_again_replaces_the_earlier_answer_and_keeps_checklist_order(
        base_state: el.EarlyLookState) -> None:
    s = el.confirm(base_state, "EL09", "met", by=MANAGER, at=AT)
    s = el.confirm(s, "EL02", "met", by=MANAGER, at=AT)
    s = el.confirm(s, "EL09", "partly", by=MANAGER, at=AT)
    assert [(a.question_id, a.answer) for a in s.answers] == [("EL02", "met"),
                                                              ("EL09", "partly")]


def test_a_change_leaves_the_earlier_state_as_it_was(base_state: el.EarlyLookState) -> None:
    el.confirm(base_state, "EL02", "met", by=MANAGER, at=AT)
    assert base_state.answers == ()
