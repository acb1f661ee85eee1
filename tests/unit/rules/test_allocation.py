"""ALLOC-TIMELY, ALLOC-FIT and OVERSIGHT (docs/rules.md)."""

from __future__ import annotations

from datetime import date

from tests.unit.rules.conftest import (
    CRN,
    STAFF,
    START,
    assessment,
    base_case,
    contact,
    d,
    findings,
    gaps,
    good,
    one,
    registration,
)

OTHER = "N01P002"


def _alloc(*spells: tuple[str, str, str | None]) -> list[dict[str, object]]:
    return [{"crn": CRN, "staff_code": s, "allocated_from": a, "allocated_to": b}
            for s, a, b in spells]


def _staff(code: str, grade: str, since: str | None) -> dict[str, object]:
    return {"staff_code": code, "grade": grade, "in_role_since": since, "team_code": "N01T01"}


# -- ALLOC-TIMELY: first allocation within 3 working days (wd(start, 3) = Wed 27 March) ----

def test_first_allocation_on_the_third_working_day_is_not_a_gap() -> None:
    t = base_case()
    t["allocations"] = _alloc((STAFF, "2024-03-27", None))
    assert gaps(t, "ALLOC-TIMELY") == []


def test_first_allocation_on_the_fourth_working_day_is_a_gap_dated_at_the_third() -> None:
    t = base_case()
    t["allocations"] = _alloc((STAFF, "2024-03-28", None))
    f = one(gaps(t, "ALLOC-TIMELY"))
    assert f.date == d("2024-03-27")
    assert f.event_id == "E1"
    assert set(f.evidence) == {"E1", "allocations:2"}


def test_an_unallocated_team_holder_does_not_count_as_a_named_practitioner() -> None:
    t = base_case()
    t["allocations"] = _alloc(("N01UATU", START, "2024-03-28"), (STAFF, "2024-03-28", None))
    f = one(gaps(t, "ALLOC-TIMELY"))
    assert f.date == d("2024-03-27")
    assert "allocations:3" in f.evidence


def test_an_allocation_made_before_the_start_counts_from_the_start() -> None:
    t = base_case()
    t["allocations"] = _alloc((STAFF, "2024-03-01", None))
    assert gaps(t, "ALLOC-TIMELY") == []


def test_no_allocation_is_not_yet_a_gap_when_the_window_ends_before_the_deadline() -> None:
    t = base_case()
    t["allocations"] = []
    assert gaps(t, "ALLOC-TIMELY", as_of=date(2024, 3, 26)) == []


def test_no_allocation_is_a_gap_once_the_window_runs_past_the_deadline() -> None:
    t = base_case()
    t["allocations"] = []
    f = one(gaps(t, "ALLOC-TIMELY", as_of=date(2024, 3, 28)))
    assert f.date == d("2024-03-27")
    assert "E1" in f.evidence


def test_an_allocation_recorded_after_as_of_does_not_count() -> None:
    t = base_case()
    t["allocations"] = _alloc((STAFF, "2024-04-03", None))
    f = one(gaps(t, "ALLOC-TIMELY", as_of=date(2024, 4, 2)))
    assert f.date == d("2024-03-27")
    assert "allocations:2" not in f.evidence


# Later runs without a named practitioner: 5 or more working days is a gap.

def test_a_later_unallocated_run_of_four_working_days_is_not_a_gap() -> None:
    # Sat 6 to Thu 11 April: Mon 8, Tue 9, Wed 10, Thu 11.
    t = base_case()
    t["allocations"] = _alloc((STAFF, START, "2024-04-05"), (OTHER, "2024-04-12", None))
    t["staff"].append(_staff(OTHER, "PO", "2010-01-01"))
    assert gaps(t, "ALLOC-TIMELY") == []


def test_a_later_unallocated_run_of_five_working_days_is_a_gap() -> None:
    # Sat 6 to Sun 14 April: Mon 8 to Fri 12 is 5 working days; the 5th is Fri 12.
    t = base_case()
    t["allocations"] = _alloc((STAFF, START, "2024-04-05"), (OTHER, "2024-04-15", None))
    t["staff"].append(_staff(OTHER, "PO", "2010-01-01"))
    f = one(gaps(t, "ALLOC-TIMELY"))
    assert f.date == d("2024-04-12")
    assert set(f.evidence) == {"E1", "allocations:2", "allocations:3"}


def test_an_eight_day_run_over_easter_with_four_working_days_is_not_a_gap() -> None:
    # Tue 26 March to Tue 2 April: 26, 27, 28 March and 2 April (Easter skipped).
    t = base_case()
    t["allocations"] = _alloc((STAFF, START, "2024-03-25"), (OTHER, "2024-04-03", None))
    t["staff"].append(_staff(OTHER, "PO", "2010-01-01"))
    assert gaps(t, "ALLOC-TIMELY") == []


def test_a_run_over_easter_with_five_working_days_is_a_gap() -> None:
    # Tue 26 March to Wed 3 April: the 5th working day is Wed 3 April.
    t = base_case()
    t["allocations"] = _alloc((STAFF, START, "2024-03-25"), (OTHER, "2024-04-04", None))
    t["staff"].append(_staff(OTHER, "PO", "2010-01-01"))
    f = one(gaps(t, "ALLOC-TIMELY"))
    assert f.date == d("2024-04-03")


def test_a_same_day_handover_leaves_no_gap() -> None:
    t = base_case()
    t["allocations"] = _alloc((STAFF, START, "2024-04-05"), (OTHER, "2024-04-05", None))
    t["staff"].append(_staff(OTHER, "PO", "2010-01-01"))
    assert gaps(t, "ALLOC-TIMELY") == []


def test_an_unallocated_tail_of_four_working_days_up_to_as_of_is_not_a_gap() -> None:
    t = base_case()
    t["allocations"] = _alloc((STAFF, START, "2024-04-05"))
    assert gaps(t, "ALLOC-TIMELY", as_of=date(2024, 4, 11)) == []


def test_an_unallocated_tail_of_five_working_days_up_to_as_of_is_a_gap() -> None:
    t = base_case()
    t["allocations"] = _alloc((STAFF, START, "2024-04-05"))
    f = one(gaps(t, "ALLOC-TIMELY", as_of=date(2024, 4, 12)))
    assert f.date == d("2024-04-12")


# -- ALLOC-FIT ------------------------------------------------------------------------------

def _high_risk_case() -> dict:
    t = base_case()
    t["assessments"] = [assessment("A1", "2024-03-20", "HIGH")]
    return t


def test_a_high_risk_case_with_a_po_of_exactly_twelve_months_is_fit() -> None:
    t = _high_risk_case()
    t["staff"] = [_staff(STAFF, "PO", "2023-03-22")]
    assert gaps(t, "ALLOC-FIT") == []


def test_a_high_risk_case_with_a_po_one_day_short_of_twelve_months_is_a_gap() -> None:
    t = _high_risk_case()
    t["staff"] = [_staff(STAFF, "PO", "2023-03-23")]
    f = one(gaps(t, "ALLOC-FIT"))
    assert f.evidence == ("allocations:2",)
    assert f.event_id == "E1"


def test_a_high_risk_case_with_an_experienced_spo_is_fit() -> None:
    t = _high_risk_case()
    t["staff"] = [_staff(STAFF, "SPO", "2010-01-01")]
    assert gaps(t, "ALLOC-FIT") == []


def test_a_high_risk_case_with_a_long_serving_pso_is_a_gap() -> None:
    t = _high_risk_case()
    t["staff"] = [_staff(STAFF, "PSO", "2010-01-01")]
    assert len(gaps(t, "ALLOC-FIT")) == 1


def test_a_po_with_no_in_role_since_date_is_not_shown_to_be_fit() -> None:
    t = _high_risk_case()
    t["staff"] = [_staff(STAFF, "PO", None)]
    assert len(gaps(t, "ALLOC-FIT")) == 1


def test_oversight_on_the_fifteenth_day_after_allocation_covers_the_choice() -> None:
    # 22 March + 15 days = Sat 6 April.
    t = _high_risk_case()
    t["staff"] = [_staff(STAFF, "PSO", "2023-09-01")]
    t["contacts"].append(contact("M1", "2024-04-06", "C002"))
    assert gaps(t, "ALLOC-FIT") == []


def test_oversight_on_the_sixteenth_day_after_allocation_is_too_late() -> None:
    t = _high_risk_case()
    t["staff"] = [_staff(STAFF, "PSO", "2023-09-01")]
    t["contacts"].append(contact("M1", "2024-04-07", "C002"))
    assert len(gaps(t, "ALLOC-FIT")) == 1


def test_alloc_fit_is_not_due_before_the_fifteen_days_have_run() -> None:
    t = _high_risk_case()
    t["staff"] = [_staff(STAFF, "PSO", "2023-09-01")]
    assert gaps(t, "ALLOC-FIT", as_of=date(2024, 4, 5)) == []
    assert len(gaps(t, "ALLOC-FIT", as_of=date(2024, 4, 6))) == 1


def test_an_assessment_completed_the_day_after_allocation_does_not_make_it_high_risk() -> None:
    t = base_case()
    t["assessments"] = [assessment("A1", "2024-03-20", "LOW"),
                        assessment("A2", "2024-03-23", "HIGH")]
    t["staff"] = [_staff(STAFF, "PSO", "2023-09-01")]
    assert gaps(t, "ALLOC-FIT") == []


def test_a_high_rosh_registration_active_on_the_allocation_date_applies() -> None:
    t = base_case()
    t["registrations"] = [registration("R1", "RHRH", "2024-03-22")]
    t["staff"] = [_staff(STAFF, "PQIP", "2023-09-01")]
    assert len(gaps(t, "ALLOC-FIT")) == 1


def test_mappa_level_one_is_not_a_high_risk_profile_for_alloc_fit() -> None:
    t = base_case()
    t["registrations"] = [registration("R1", "MAPP", "2024-03-01", level="M1")]
    t["staff"] = [_staff(STAFF, "PSO", "2023-09-01")]
    assert gaps(t, "ALLOC-FIT") == []


def test_mappa_level_two_is_a_high_risk_profile_for_alloc_fit() -> None:
    t = base_case()
    t["registrations"] = [registration("R1", "MAPP", "2024-03-01", level="M2")]
    t["staff"] = [_staff(STAFF, "PSO", "2023-09-01")]
    assert len(gaps(t, "ALLOC-FIT")) == 1


def test_a_domestic_abuse_case_without_a_child_registration_does_not_apply() -> None:
    t = base_case()
    t["events"][0]["index_offence"] = "Assault by beating (domestic)"
    t["registrations"] = [registration("R1", "ADVP", "2024-03-01")]
    t["staff"] = [_staff(STAFF, "PSO", "2023-09-01")]
    assert gaps(t, "ALLOC-FIT") == []


def test_a_domestic_abuse_case_with_a_child_registration_applies() -> None:
    t = base_case()
    t["events"][0]["index_offence"] = "Assault by beating (domestic)"
    t["registrations"] = [registration("R1", "RCCO", "2024-03-22")]
    t["staff"] = [_staff(STAFF, "PSO", "2023-09-01")]
    assert len(gaps(t, "ALLOC-FIT")) == 1


def test_a_child_registration_made_the_day_after_allocation_does_not_apply() -> None:
    t = base_case()
    t["events"][0]["index_offence"] = "Assault by beating (domestic)"
    t["registrations"] = [registration("R1", "RCCO", "2024-03-23")]
    t["staff"] = [_staff(STAFF, "PSO", "2023-09-01")]
    assert gaps(t, "ALLOC-FIT") == []


# -- OVERSIGHT -------------------------------------------------------------------------------

def test_high_risk_oversight_fifteen_days_after_allocation_is_in_time() -> None:
    t = _high_risk_case()
    t["contacts"].append(contact("M1", "2024-04-06", "MO1"))
    assert gaps(t, "OVERSIGHT") == []


def test_high_risk_oversight_sixteen_days_after_allocation_is_a_gap_dated_day_fifteen() -> None:
    t = _high_risk_case()
    t["contacts"].append(contact("M1", "2024-04-07", "MO1"))
    f = one(gaps(t, "OVERSIGHT"))
    assert f.date == d("2024-04-06")
    assert f.evidence == ("allocations:2",)


def test_oversight_fifteen_days_after_allocation_is_recorded_as_good_practice() -> None:
    t = _high_risk_case()
    t["contacts"].append(contact("M1", "2024-04-06", "SPOD03"))
    g = one(good(findings(t, "OVERSIGHT"), "M1"))
    assert g.date == d("2024-04-06")
    assert g.kind == "good_practice" and g.severity == "info"


def test_oversight_sixteen_days_after_allocation_is_not_good_practice() -> None:
    t = _high_risk_case()
    t["contacts"].append(contact("M1", "2024-04-07", "SPOD03"))
    assert good(findings(t, "OVERSIGHT"), "M1") == []


def test_a_low_risk_case_needs_no_first_oversight() -> None:
    t = base_case()
    assert gaps(t, "OVERSIGHT", as_of=date(2024, 5, 16)) == []


def test_oversight_every_fifty_six_days_is_in_time() -> None:
    # 5 April + 56 days = Fri 31 May.
    t = _high_risk_case()
    t["contacts"] += [contact("M1", "2024-04-05", "C002"), contact("M2", "2024-05-31", "C002")]
    assert gaps(t, "OVERSIGHT", as_of=date(2024, 6, 15)) == []


def test_oversight_fifty_seven_days_after_the_last_is_a_gap_dated_day_fifty_six() -> None:
    t = _high_risk_case()
    t["contacts"] += [contact("M1", "2024-04-05", "C002"), contact("M2", "2024-06-01", "C002")]
    f = one(gaps(t, "OVERSIGHT", as_of=date(2024, 6, 15)))
    assert f.date == d("2024-05-31")
    assert set(f.evidence) == {"allocations:2", "M1"}


def test_the_oversight_cadence_runs_to_as_of_when_no_further_oversight_comes() -> None:
    # 5 April + 56 days = 31 May: not yet due on 30 May; missed once 1 June is reached.
    t = _high_risk_case()
    t["contacts"].append(contact("M1", "2024-04-05", "C002"))
    assert gaps(t, "OVERSIGHT", as_of=date(2024, 5, 30)) == []
    f = one(gaps(t, "OVERSIGHT", as_of=date(2024, 6, 1)))
    assert f.date == d("2024-05-31")
    assert set(f.evidence) == {"allocations:2", "M1"}


def test_the_cadence_applies_when_an_assessment_makes_the_case_high_risk_later() -> None:
    # Low risk at allocation (so no 15-day check); HIGH from 1 April; 22 March + 56 = 17 May.
    t = base_case()
    t["assessments"].append(assessment("A2", "2024-04-01", "HIGH"))
    assert gaps(t, "OVERSIGHT", as_of=date(2024, 5, 16)) == []
    f = one(gaps(t, "OVERSIGHT", as_of=date(2024, 5, 18)))
    assert f.date == d("2024-05-17")
    assert f.evidence == ("allocations:2",)


def test_the_cadence_applies_when_a_registration_makes_the_case_high_risk_later() -> None:
    t = base_case()
    t["registrations"] = [registration("R1", "RHRH", "2024-04-01")]
    assert gaps(t, "OVERSIGHT", as_of=date(2024, 5, 16)) == []
    f = one(gaps(t, "OVERSIGHT", as_of=date(2024, 5, 18)))
    assert f.date == d("2024-05-17")


def test_no_cadence_gap_when_the_case_is_no_longer_high_risk_when_the_days_run_out() -> None:
    t = _high_risk_case()
    t["contacts"].append(contact("M1", "2024-04-05", "C002"))
    t["assessments"].append(assessment("A2", "2024-05-30", "MEDIUM"))
    assert gaps(t, "OVERSIGHT", as_of=date(2024, 6, 15)) == []
