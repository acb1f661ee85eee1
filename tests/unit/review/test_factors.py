"""Contributory factors: fixed data, proposed from the working context, personal ones restricted."""

from __future__ import annotations

import pytest

from sfo.domain import early_look as el
from sfo.domain import factors as fx
from sfo.domain import review as rv
from sfo.domain.context import ContextEntry
from sfo.domain.findings import CaseFindings
from sfo.errors import ReviewInvalid


def test_every_factor_sits_in_seips_the_london_protocol_and_a_level():
    for t in fx.FACTOR_TYPES.values():
        assert t.seips in fx.SEIPS and t.london in fx.LONDON_PROTOCOL and t.level in fx.LEVELS
    assert set(fx.FACTOR_TYPES) == {
        "workload", "staffing_vacancies", "supervision", "training",
        "experience_vs_complexity", "systems_it", "policy_workability",
        "partner_information", "task_design", "personal_circumstances"}


def test_an_overloaded_practitioner_gives_a_workload_and_a_training_factor(
        overloaded_case: CaseFindings):
    proposed = fx.propose_factors((), overloaded_case.findings)
    codes = [f.code for f in proposed]
    assert codes == ["workload", "training"]
    workload = proposed[0]
    assert "110%" in workload.evidence[0].text and workload.evidence[0].grade == "fact"
    assert workload.known_at_the_time is None and workload.scope is None


def test_early_look_context_entries_do_not_duplicate_the_ctx_findings(
        overloaded_case: CaseFindings):
    entries = tuple(
        ContextEntry(entry_id=f"C{i}", category=cat, text=f"{f.summary} ({f.rule_id})",
                     is_mitigation=True, source="bundle")
        for i, (cat, f) in enumerate(
            (("workload" if f.rule_id == "CTX-WORKLOAD" else "training", f)
             for f in overloaded_case.findings if f.kind == "context"), start=1))
    entries += (ContextEntry("C9", "systems", "nDelius was down for two days."),)
    proposed = fx.propose_factors(entries, overloaded_case.findings)
    assert [f.code for f in proposed] == ["workload", "training", "systems_it"]
    assert [len(f.evidence) for f in proposed] == [1, 1, 1]
    assert proposed[2].evidence[0].grade == "hearsay"


def test_personal_circumstances_factors_are_always_restricted():
    f = fx.Factor("F1", "personal_circumstances", "Bereavement.", restricted=False)
    assert f.restricted
    again = fx.Factor.from_dict({**f.to_dict(), "restricted": False})
    assert again.restricted
    entry = ContextEntry("C1", "personal", "Caring for a parent.")
    (proposed,) = fx.propose_factors((entry,), ())
    assert proposed.code == "personal_circumstances" and proposed.restricted


def test_a_review_cannot_lift_the_restriction_on_personal_circumstances(
        da_case: CaseFindings):
    state = rv.add_factor(rv.start(da_case), "personal_circumstances", "Illness.")
    fid = state.factors[-1].factor_id
    state = rv.update_factor(state, fid, restricted=False)
    assert state.factors[-1].restricted


def test_a_review_started_from_an_early_look_proposes_factors_from_its_context(
        da_case: CaseFindings):
    look = el.EarlyLookState(crn=da_case.crn, as_of=da_case.as_of,
                             charge_date=da_case.as_of, checklist_name="x",
                             checklist_version="1", questions=(), proposals=(),
                             context=(ContextEntry("C1", "partners",
                                                   "Police information came late."),))
    state = rv.start(da_case, early_look=look)
    assert "partner_information" in {f.code for f in state.factors}
    assert {"experience_vs_complexity", "training"} <= {f.code for f in state.factors}
    assert state.context == look.context


def test_wrong_factor_values_are_refused_plainly():
    with pytest.raises(ReviewInvalid, match="not a contributory factor"):
        fx.Factor("F1", "bad_luck", "x")
    with pytest.raises(ReviewInvalid, match="helped or hindered"):
        fx.Factor("F1", "workload", "x", effect="blamed")
    with pytest.raises(ReviewInvalid, match="does not apply"):
        fx.Factor("F1", "workload", "x", variant="late")
    with pytest.raises(ReviewInvalid, match="evidence grade"):
        fx.EvidenceNote("x", grade="rumour")
