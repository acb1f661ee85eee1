"""The working context is proposed from the bundle, edited by the manager, and considered."""

from __future__ import annotations

import pytest

from sfo.domain import early_look as el
from sfo.domain.context import (
    CATEGORIES,
    RESTRICTED_ROLES,
    ContextEntry,
    shareable,
    sparkline,
)
from sfo.errors import InputError
from tests.unit.early_look.conftest import AT, MANAGER, Scenario


def entries(s: Scenario) -> tuple[ContextEntry, ...]:
    return el.prefill_working_context(s.records, s.case, start=s.start, end=s.case.as_of)


# -- prefill -----------------------------------------------------------------------------------

def test_an_overloaded_practitioner_s_workload_is_shown_week_by_week_with_the_110_line(
        scenarios: dict[str, Scenario]) -> None:
    (work,) = [e for e in entries(scenarios["repeated_absences_overloaded"])
               if e.category == "workload" and e.source == "bundle" and not e.is_mitigation]
    assert work.staff_code == "N56B412"
    assert work.text.startswith("N56B412, workload from 15 January 2024 to 11 April 2024: "
                                "average 119% of capacity, peak 131%; 10 of 13 weeks over "
                                "110%. Week by week: ▆▆▆▇▇▇▇▇█▇▇▇▇ (")
    assert "▇ and █ are weeks over 110% of capacity" in work.text


def test_the_context_findings_are_proposed_as_mitigation(
        scenarios: dict[str, Scenario]) -> None:
    got = [(e.category, e.staff_code, e.text.split(" (CTX-")[1])
           for e in entries(scenarios["repeated_absences_overloaded"]) if e.is_mitigation]
    assert got == [("training", "N56B412", "TRAINING)"), ("workload", "N56B412", "WORKLOAD)")]


def test_training_that_was_not_available_is_said_so(scenarios: dict[str, Scenario]) -> None:
    texts = [e.text for e in entries(scenarios["repeated_absences_overloaded"])
             if e.category == "training"]
    assert texts[0] == ("N56B412 training recorded by 11 April 2024: domestic abuse: not "
                        "available; safeguarding: completed; risk of serious harm: completed.")
    assert "the course was recorded as not available to them" in texts[1]


def test_every_practitioner_who_held_the_case_is_covered_for_the_part_they_held(
        scenarios: dict[str, Scenario]) -> None:
    got = [(e.staff_code, e.text.split(":")[0]) for e in
           entries(scenarios["unallocated_spell_bank_holidays"]) if e.category == "experience"]
    # The team's unallocated code N57LDSU held it in between: it is not a person.
    assert got == [("N57A114", "N57A114"), ("N57A236", "N57A236")]


def test_caseload_supervision_experience_and_vacancies_are_given_as_figures(
        scenarios: dict[str, Scenario]) -> None:
    by_cat = {e.category: e.text for e in entries(scenarios["da_curfew_inexperienced_pso"])
              if not e.is_mitigation}
    assert by_cat["experience"] == "N03D208: grade PSO, 6 months in grade on 20 June 2024."
    assert by_cat["caseload"] == ("N03D208, caseload from 9 April 2024 to 20 June 2024: "
                                  "between 31 and 34 cases (latest 34).")
    assert by_cat["supervision"].endswith(
        "3 sessions (24 April 2024, 22 May 2024, 19 June 2024); the longest gap, counting to "
        "20 June 2024, was 28 days.")
    assert by_cat["vacancies"] == ("Team N03CAV, staff in post from 9 April 2024 to 20 June "
                                   "2024: 91% of establishment (10 of 11 FTE) in every month "
                                   "recorded.")


def test_files_that_were_not_supplied_are_said_to_be_not_supplied(
        scenarios: dict[str, Scenario]) -> None:
    got = entries(scenarios["messy_export"])
    assert [e.category for e in got] == ["experience", "workload", "caseload", "supervision",
                                         "training", "vacancies"]
    assert all(e.text.startswith("Not supplied:") and not e.is_mitigation for e in got)
    assert "allocations.csv" in got[1].text and "teams.csv" in got[5].text


def test_nothing_personal_systems_or_partner_related_is_ever_proposed_from_a_bundle(
        scenarios: dict[str, Scenario]) -> None:
    for s in scenarios.values():
        assert not {e.category for e in entries(s)} & {"personal", "systems", "partners"}


# -- restricted entries ------------------------------------------------------------------------

def test_a_personal_entry_is_always_restricted_even_when_asked_not_to_be() -> None:
    e = ContextEntry(entry_id="C1", category="personal", text="Bereavement in March.",
                     restricted=False)
    assert e.restricted
    assert ContextEntry.from_dict(e.to_dict() | {"restricted": False}).restricted


def test_a_personal_entry_added_or_edited_stays_restricted(
        base_state: el.EarlyLookState) -> None:
    s = el.add_context(base_state, "personal", "Carer for a parent.", by=MANAGER,
                       restricted=False, is_mitigation=True)
    new = s.context[-1]
    assert new.restricted and new.source == "entered" and new.by == MANAGER
    s = el.edit_context(s, new.entry_id, by=MANAGER, restricted=False)
    assert s.context[-1].restricted
    s = el.edit_context(s, "C1", by=MANAGER, category="personal")
    assert s.context[0].restricted


def test_restricted_entries_are_seen_only_by_the_manager_reviewer_and_hr() -> None:
    e = ContextEntry(entry_id="C1", category="personal", text="Long-term illness.")
    assert RESTRICTED_ROLES == ("manager", "reviewer", "hr")
    assert all(e.visible_to([r]) for r in RESTRICTED_ROLES)
    assert not e.visible_to(["quality"]) and not e.visible_to(["admin"])
    assert not e.visible_to([])


def test_restricted_entries_are_left_out_of_what_may_be_shared() -> None:
    open_ = ContextEntry(entry_id="C1", category="workload", text="Over 110% for 10 weeks.")
    closed = ContextEntry(entry_id="C2", category="personal", text="Illness.")
    assert shareable([open_, closed]) == (open_,)


# -- editing and considering -------------------------------------------------------------------

def test_entries_can_be_added_edited_and_removed(base_state: el.EarlyLookState) -> None:
    n = len(base_state.context)
    s = el.add_context(base_state, "systems", "nDelius was down for two days in March.",
                       by=MANAGER, is_mitigation=True)
    assert s.context[-1].entry_id == f"C{n + 1}"
    s = el.edit_context(s, f"C{n + 1}", by=MANAGER, text="nDelius was down for three days.")
    assert s.context[-1].text == "nDelius was down for three days."
    first = s.context[0]
    s = el.edit_context(s, first.entry_id, by=MANAGER, is_mitigation=True)
    assert s.context[0].is_mitigation and s.context[0].source == "bundle"
    s = el.remove_context(s, f"C{n + 1}")
    assert len(s.context) == n


def test_an_unknown_category_or_entry_is_refused(base_state: el.EarlyLookState) -> None:
    with pytest.raises(InputError, match="not a working-context category"):
        el.add_context(base_state, "morale", "Low.", by=MANAGER)
    with pytest.raises(InputError, match="no working-context entry C99"):
        el.remove_context(base_state, "C99")
    with pytest.raises(InputError, match="needs some text"):
        el.add_context(base_state, "systems", "  ", by=MANAGER)


def test_considering_the_context_records_who_and_when(base_state: el.EarlyLookState) -> None:
    s = el.consider_context(base_state, by=MANAGER, at=AT)
    assert s.context_considered == el.Signature(MANAGER, AT)


def test_changing_the_context_after_it_was_considered_means_considering_it_again(
        base_state: el.EarlyLookState) -> None:
    s = el.consider_context(base_state, by=MANAGER, at=AT)
    s = el.add_context(s, "partners", "Police checks took six weeks.", by=MANAGER)
    assert s.context_considered is None


def test_the_categories_are_those_the_design_names() -> None:
    assert list(CATEGORIES) == ["workload", "caseload", "supervision", "training",
                                "experience", "vacancies", "systems", "partners", "personal"]


# -- the sparkline -----------------------------------------------------------------------------

def test_the_sparkline_puts_the_110_percent_line_between_its_sixth_and_seventh_marks() -> None:
    # Each mark is 110/6 = 18.3 points wide: 0-18.3 ▁, ..., 91.7-110 ▆, 110-128.3 ▇, above █.
    assert sparkline([0, 18, 19, 50, 92, 100, 110, 110.5, 128, 129, 150, 400]) == (
        "▁▁▂▃▆▆▆▇▇███")


def test_a_week_without_a_measurement_shows_as_a_dot() -> None:
    assert sparkline([100, None, float("nan"), 120]) == "▆··▇"
