"""An early look round-trips through plain JSON, whatever has been recorded in it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfo.domain import early_look as el
from sfo.domain import just_culture as jc
from sfo.domain.context import CATEGORIES
from sfo.errors import EarlyLookInvalid
from tests.unit.early_look.conftest import AT, MANAGER, Scenario, ready

JSON_TYPES = (str, int, float, bool, type(None))
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20).filter(
    str.strip)
WHEN = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 1, 1),
                    timezones=st.just(UTC))


def only_json(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and only_json(v) for k, v in value.items())
    if isinstance(value, list):
        return all(only_json(v) for v in value)
    return isinstance(value, JSON_TYPES)


def round_trip(state: el.EarlyLookState) -> el.EarlyLookState:
    content = state.to_dict()
    assert only_json(content)
    return el.EarlyLookState.from_dict(json.loads(json.dumps(content)))


@pytest.mark.parametrize("name", ["messy_export", "da_curfew_inexperienced_pso",
                                  "well_managed_high_risk"])
def test_a_started_early_look_round_trips_with_its_evidence(
        name: str, scenarios: dict[str, Scenario], checklist: object) -> None:
    s = scenarios[name]
    ctx = el.prefill_working_context(s.records, s.case, start=s.start, end=s.case.as_of)
    state = el.start(checklist, s.case, context=ctx, conditions=s.conditions)  # type: ignore[arg-type]
    assert round_trip(state) == state


def test_a_signed_off_early_look_round_trips(base_state: el.EarlyLookState) -> None:
    done = el.complete(ready(base_state), by=MANAGER, at=AT)
    assert round_trip(done) == done


def test_content_saved_in_another_layout_is_refused(base_state: el.EarlyLookState) -> None:
    with pytest.raises(EarlyLookInvalid, match="layout 99"):
        el.EarlyLookState.from_dict(base_state.to_dict() | {"schema": 99})
    broken = base_state.to_dict()
    del broken["answers"]
    with pytest.raises(EarlyLookInvalid, match="incomplete or damaged"):
        el.EarlyLookState.from_dict(broken)


# One random edit of an early look; hypothesis strings several together.
edits = st.one_of(
    st.tuples(st.just("confirm"), st.sampled_from([f"EL{n:02d}" for n in range(1, 16)]),
              st.sampled_from([a for a in el.ANSWERS if a != "to_answer"]), TEXT, WHEN),
    st.tuples(st.just("context"), st.sampled_from(list(CATEGORIES)), TEXT, st.booleans(),
              st.booleans()),
    st.tuples(st.just("consider"), WHEN),
    st.tuples(st.just("action"), TEXT, st.dates(date(2024, 1, 1), date(2025, 1, 1)),
              st.booleans()),
    st.tuples(st.just("recommend"), st.lists(st.sampled_from(
        ["full_sfo_review", "hr_advice", "dip_sample"]), min_size=1), TEXT, WHEN),
    st.tuples(st.just("just_culture"), TEXT,
              st.lists(st.tuples(st.sampled_from(list(jc.QUESTION_TEXT)),
                                 st.sampled_from(list(jc.REPLIES)), st.text(max_size=10))),
              st.sampled_from([None, *jc.OUTCOMES]), st.booleans(), WHEN),
)


def apply(state: el.EarlyLookState, edit: tuple) -> el.EarlyLookState:  # type: ignore[type-arg]
    kind = edit[0]
    if kind == "confirm":
        _, qid, answer, reason, at = edit
        return el.confirm(state, qid, answer, by=MANAGER, reason=reason, at=at)
    if kind == "context":
        _, category, text, mitigation, restricted = edit
        return el.add_context(state, category, text, by=MANAGER, is_mitigation=mitigation,
                              restricted=restricted)
    if kind == "consider":
        return el.consider_context(state, by=MANAGER, at=edit[1])
    if kind == "action":
        _, text, due, done = edit
        state = el.add_action(state, text, owner_role="Senior probation officer", due=due)
        return el.set_action_done(state, state.actions[-1].action_id, done)
    if kind == "recommend":
        _, choices, why, at = edit
        return el.recommend(state, choices, rationale=why, by=MANAGER, at=at)
    _, act, replies, outcome, hr, at = edit
    state = el.add_just_culture(state, act, staff_code="N56B412")
    r = state.just_culture[-1]
    for q, a, note in replies:
        r = jc.answer(r, q, a, note=note)
    if hr:
        r = jc.record_hr_advice(r, on=at.date(), adviser="HR adviser")
    if outcome is not None:
        r = jc.choose_outcome(r, outcome, by=MANAGER, rationale="Considered.", at=at,
                              concern="misconduct" if outcome == jc.DISCIPLINARY else None)
    return el.update_just_culture(state, r)


@settings(max_examples=60, deadline=timedelta(seconds=2),
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(edits, max_size=12))
def test_any_sequence_of_edits_round_trips_through_json(
        base_state: el.EarlyLookState, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    state = base_state
    for edit in steps:
        state = apply(state, edit)
    assert round_trip(state) == state
    assert el.completion_problems(round_trip(state)) == el.completion_problems(state)


def test_a_saved_look_whose_answers_do_not_match_its_questions_is_refused(
        base_state: el.EarlyLookState) -> None:
    content = base_state.to_dict()
    content["proposals"] = content["proposals"][1:]
    with pytest.raises(EarlyLookInvalid, match="do not match the questions"):
        el.EarlyLookState.from_dict(content)
    content = ready(base_state).to_dict()
    content["answers"][0]["answer"] = "yes"
    with pytest.raises(EarlyLookInvalid, match="'yes' is not an answer"):
        el.EarlyLookState.from_dict(content)


def test_the_public_api_of_the_early_look_is_listed_and_sorted() -> None:
    defined = {n for n, v in vars(el).items() if not n.startswith("_")
               and getattr(v, "__module__", None) == el.__name__}
    assert defined <= set(el.__all__)
    assert {"deadlines", "prefill_working_context", "Deadline"} <= set(el.__all__)
    assert all(hasattr(el, n) for n in el.__all__)
    assert el.__all__ == sorted(el.__all__, key=lambda n: (not n.isupper(),
                                                           not n[0].isupper(), n))
