"""Answers are proposed from the rule findings, with the records behind them.

The expected answers below follow from each scenario's expected.toml (which
rule ids fire) and the checklist's mapping of rules to questions. EL02, EL09,
EL12 and EL13-15 have no rules, so they are always "to_answer".
"""

from __future__ import annotations

from datetime import date

import pytest

from sfo.domain import early_look as el
from sfo.domain.checklist import Checklist
from sfo.domain.findings import CaseFindings, Finding, NotChecked
from tests.unit.early_look.conftest import Scenario, proposed

MANAGER_ANSWERS = {"EL02": "to_answer", "EL09": "to_answer", "EL12": "to_answer",
                   "EL13": "to_answer", "EL14": "to_answer", "EL15": "to_answer"}

EXPECTED = {
    "da_curfew_inexperienced_pso": {
        "EL01": "not_met",         # RISK-CONSISTENCY: HIGH lowered to MEDIUM, no rationale
        "EL03": "not_met",         # ALLOC-FIT: a PSO, 4 months in grade
        "EL04": "met", "EL05": "met",
        "EL06": "not_applicable",  # a community order
        "EL07": "not_met",         # DA-CHECKS: no police or children's services check
        "EL08": "not_met",         # HOME-VISIT: none within 20 working days
        "EL10": "met", "EL11": "met",
    },
    "licence_missed_first_appt_slow_recall": {
        "EL01": "met", "EL03": "met", "EL04": "met", "EL05": "met",
        "EL06": "not_met",         # RECALL-TIMELY: C286 three working days late
        "EL07": "not_applicable", "EL08": "not_applicable",  # robbery, no DA registrations
        "EL10": "met", "EL11": "met",
    },
    "messy_export": {
        "EL01": "met",
        "EL03": "not_supplied",    # allocations.csv and staff.csv missing
        "EL04": "not_met",         # FIRST-APPT: 5 June, due 29 May
        "EL05": "met",
        "EL06": "not_applicable",
        "EL07": "not_supplied", "EL08": "not_supplied",  # registrations.csv missing
        "EL10": "not_supplied",    # registrations.csv missing
        "EL11": "not_supplied",    # allocations.csv missing
    },
    "repeated_absences_overloaded": {
        "EL01": "met", "EL03": "met", "EL04": "met",
        "EL05": "not_met",         # ENFORCEMENT: four gaps
        "EL06": "not_applicable",
        "EL07": "met", "EL08": "met",  # checks and home visit done: good practice
        "EL10": "not_met",         # REG-REVIEW: ADVP review date passed
        "EL11": "met",
    },
    "unallocated_spell_bank_holidays": {
        "EL01": "met",
        "EL03": "not_met",         # ALLOC-TIMELY: 5 working days unallocated over Easter
        "EL04": "met", "EL05": "met", "EL06": "not_applicable",
        "EL07": "not_applicable", "EL08": "not_applicable",
        "EL10": "met", "EL11": "met",
    },
    "well_managed_high_risk": {
        "EL01": "met", "EL03": "met", "EL04": "met", "EL05": "met",
        "EL06": "met",             # a licence; first appointment attended
        "EL07": "not_applicable", "EL08": "not_applicable",
        "EL10": "met", "EL11": "met",
    },
}


def test_there_is_an_expectation_for_every_scenario_bundle(
        scenarios: dict[str, Scenario]) -> None:
    assert set(EXPECTED) == set(scenarios)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_scenario_gets_exactly_the_expected_proposed_answers(
        name: str, scenarios: dict[str, Scenario], checklist: Checklist) -> None:
    assert proposed(checklist, scenarios[name]) == EXPECTED[name] | MANAGER_ANSWERS


def test_the_well_managed_high_risk_case_has_no_answer_proposed_as_not_met(
        scenarios: dict[str, Scenario], checklist: Checklist) -> None:
    assert "not_met" not in proposed(checklist, scenarios["well_managed_high_risk"]).values()


def test_a_not_met_answer_carries_each_gap_with_its_date_records_and_what_was_known(
        scenarios: dict[str, Scenario], checklist: Checklist) -> None:
    s = scenarios["da_curfew_inexperienced_pso"]
    (p,) = [p for p in el.prefill(checklist, s.case, conditions=s.conditions)
            if p.question_id == "EL08"]
    (gap,) = p.evidence
    assert (gap.rule_id, gap.kind, gap.date) == ("HOME-VISIT", "gap", date(2024, 5, 8))
    assert gap.records == ("2500093112",)
    assert "No home visit was recorded within 20 working days" in gap.summary
    assert gap.known == ("Latest completed risk assessment: 7100262114 on 26 April 2024 "
                         "(overall RoSH high).", "Active registrations: ADVP, RCCO.",
                         "Held by N03D208 (PSO).")
    assert "1 gap (HOME-VISIT)" in p.basis


def test_a_not_met_answer_also_shows_the_good_practice_of_its_rules(
        scenarios: dict[str, Scenario], checklist: Checklist) -> None:
    s = scenarios["da_curfew_inexperienced_pso"]
    (p,) = [p for p in el.prefill(checklist, s.case, conditions=s.conditions)
            if p.question_id == "EL01"]
    assert [(e.rule_id, e.kind) for e in p.evidence] == [
        ("RISK-CONSISTENCY", "gap"), ("GOOD-PRACTICE", "good_practice")]
    assert "7100262114" in p.evidence[1].records


def test_a_met_answer_says_no_gap_was_found_and_shows_the_good_practice(
        scenarios: dict[str, Scenario], checklist: Checklist) -> None:
    s = scenarios["repeated_absences_overloaded"]
    (p,) = [p for p in el.prefill(checklist, s.case, conditions=s.conditions)
            if p.question_id == "EL07"]
    assert p.answer == "met"
    assert p.basis.startswith("No gap found by the rules (DA-CHECKS).")
    (good,) = p.evidence
    assert good.records == ("2500058266", "2504005800", "2504005801")


def test_not_supplied_names_the_files_that_were_missing(
        scenarios: dict[str, Scenario], checklist: Checklist) -> None:
    s = scenarios["messy_export"]
    by_id = {p.question_id: p for p in el.prefill(checklist, s.case, conditions=s.conditions)}
    assert by_id["EL03"].not_checked == (
        "ALLOC-TIMELY: allocations (allocations.csv) not supplied.",
        "ALLOC-FIT: allocations (allocations.csv) and staff grades and experience "
        "(staff.csv) not supplied.")
    assert "allocations.csv" in by_id["EL03"].basis
    assert "registrations.csv" in by_id["EL10"].basis
    assert "registrations.csv" in by_id["EL07"].basis


def test_every_good_practice_finding_in_every_scenario_belongs_to_a_rule(
        scenarios: dict[str, Scenario]) -> None:
    for s in scenarios.values():
        for f in s.case.findings:
            if f.kind == "good_practice":
                assert el.good_practice_rule(f) is not None, (s.name, f.summary)


def test_the_scenarios_establish_the_conditions_questions_can_be_limited_to(
        scenarios: dict[str, Scenario]) -> None:
    assert {n: s.conditions for n, s in scenarios.items()} == {
        "da_curfew_inexperienced_pso": {"licence": False, "da_child": True},
        "licence_missed_first_appt_slow_recall": {"licence": True, "da_child": False},
        "messy_export": {"licence": False, "da_child": None},
        "repeated_absences_overloaded": {"licence": False, "da_child": True},
        "unallocated_spell_bank_holidays": {"licence": False, "da_child": False},
        "well_managed_high_risk": {"licence": True, "da_child": False},
    }


# -- the same rules, on made-up findings -------------------------------------------------------

def case(findings: tuple[Finding, ...] = (),
         not_checked: tuple[NotChecked, ...] = ()) -> CaseFindings:
    return CaseFindings(crn="X1", as_of=date(2024, 6, 1), as_of_source="given",
                        findings=findings, not_checked=not_checked)


def answers(checklist: Checklist, c: CaseFindings, **kw: object) -> dict[str, str]:
    return {p.question_id: p.answer for p in el.prefill(checklist, c, **kw)}  # type: ignore[arg-type]


def test_without_conditions_a_question_limited_to_licences_is_judged_by_its_rules(
        checklist: Checklist) -> None:
    assert answers(checklist, case())["EL06"] == "met"


def test_some_rules_checked_and_some_not_is_left_for_the_manager_to_answer(
        checklist: Checklist) -> None:
    c = case(not_checked=(NotChecked("ALLOC-FIT", "Not checked: staff.csv not supplied."),))
    (p,) = [p for p in el.prefill(checklist, c) if p.question_id == "EL03"]
    assert p.answer == "to_answer"
    assert "ALLOC-TIMELY" in p.basis and "ALLOC-FIT: staff.csv not supplied." in p.basis


def test_a_rule_switched_off_in_the_rule_pack_counts_as_not_checked_not_as_no_gap(
        checklist: Checklist) -> None:
    got = answers(checklist, case(), disabled={"REG-REVIEW", "ALLOC-FIT"})
    assert got["EL10"] == "not_supplied"
    assert got["EL03"] == "to_answer"


def test_a_gap_wins_over_rules_that_could_not_be_checked(checklist: Checklist) -> None:
    gap = Finding(crn="X1", rule_id="ALLOC-TIMELY", kind="gap", severity="medium",
                  date=date(2024, 5, 1), summary="No named practitioner.", evidence=("a:1",),
                  known=())
    c = case((gap,), (NotChecked("ALLOC-FIT", "Not checked: staff.csv not supplied."),))
    (p,) = [p for p in el.prefill(checklist, c) if p.question_id == "EL03"]
    assert p.answer == "not_met"
    assert p.not_checked == ("ALLOC-FIT: staff.csv not supplied.",)


def test_a_gap_is_never_hidden_by_a_question_being_proposed_not_applicable(
        checklist: Checklist) -> None:
    gap = Finding(crn="X1", rule_id="RECALL-TIMELY", kind="gap", severity="high",
                  date=date(2024, 5, 1), summary="Recall late.", evidence=(), known=())
    got = answers(checklist, case((gap,)), conditions={"licence": False, "da_child": False})
    assert got["EL06"] == "not_met"
    assert got["EL07"] == "not_applicable"


def test_context_findings_never_make_a_question_not_met(checklist: Checklist) -> None:
    ctx = Finding(crn="X1", rule_id="CTX-WORKLOAD", kind="context", severity="info",
                  date=date(2024, 5, 1), summary="Over 110%.", evidence=(), known=())
    assert "not_met" not in answers(checklist, case((ctx,))).values()
