"""CTX-WORKLOAD, CTX-TRAINING, CTX-EXPERIENCE, CTX-SUPERVISION, CTX-VACANCIES (docs/rules.md).

The case is allocated to N01P001 from the start, Fri 22 March 2024.
"""

from __future__ import annotations

from datetime import date

from tests.unit.rules.conftest import (
    STAFF,
    assessment,
    base_case,
    d,
    gaps,
    one,
)

# -- CTX-WORKLOAD -------------------------------------------------------------------------------

def _weeks(*pcts: float, first: str = "2024-03-25", step: int = 7) -> dict:
    t = base_case()
    start = d(first).toordinal()
    t["workload"] = [{"staff_code": STAFF, "week_start": date.fromordinal(start + i * step)
                      .isoformat(), "capacity_pct": p, "caseload_count": 90}
                     for i, p in enumerate(pcts)]
    return t


def test_four_consecutive_weeks_over_110_percent_are_recorded() -> None:
    f = one(gaps(_weeks(111, 111, 111, 111), "CTX-WORKLOAD"))
    assert set(f.evidence) == {"workload:2", "workload:3", "workload:4", "workload:5"}
    assert f.kind == "context" and f.severity == "info"


def test_three_consecutive_weeks_over_110_percent_are_not_enough() -> None:
    assert gaps(_weeks(111, 111, 111, 95), "CTX-WORKLOAD") == []


def test_a_week_at_exactly_110_percent_breaks_the_run() -> None:
    assert gaps(_weeks(111, 111, 110, 111, 111), "CTX-WORKLOAD") == []


def test_weeks_fourteen_days_apart_are_not_consecutive() -> None:
    assert gaps(_weeks(120, 120, 120, 120, step=14), "CTX-WORKLOAD", as_of=date(2024, 6, 1)) == []


def test_a_week_starting_after_as_of_does_not_count() -> None:
    # Weeks of 25 March, 1, 8 and 15 April.
    t = _weeks(111, 111, 111, 111)
    assert len(gaps(t, "CTX-WORKLOAD", as_of=date(2024, 4, 15))) == 1
    assert gaps(t, "CTX-WORKLOAD", as_of=date(2024, 4, 14)) == []


def test_a_week_starting_after_the_allocation_ended_does_not_count() -> None:
    t = _weeks(111, 111, 111, 111)
    t["allocations"][0]["allocated_to"] = "2024-04-14"
    assert gaps(t, "CTX-WORKLOAD") == []


def test_another_practitioners_workload_is_not_recorded_for_this_case() -> None:
    t = _weeks(130, 130, 130, 130)
    for row in t["workload"]:
        row["staff_code"] = "N01P999"
    assert gaps(t, "CTX-WORKLOAD") == []


# -- CTX-TRAINING -------------------------------------------------------------------------------

def _trained(*rows: tuple[str, str, str | None], offence: str = "Assault (domestic)") -> dict:
    t = base_case()
    t["events"][0]["index_offence"] = offence
    t["training"] = [{"staff_code": STAFF, "course_code": c, "status": s, "status_date": w}
                     for c, s, w in rows]
    return t


ALL_DONE = (("DA-CORE", "completed", "2020-06-01"),
            ("SAFEGUARDING-1", "completed", "2020-06-01"))


def test_da_training_completed_on_the_allocation_date_is_in_time() -> None:
    t = _trained(("DA-CORE", "completed", "2024-03-22"), ALL_DONE[1])
    assert gaps(t, "CTX-TRAINING") == []


def test_da_training_completed_the_day_after_allocation_is_recorded() -> None:
    t = _trained(("DA-CORE", "completed", "2024-03-23"), ALL_DONE[1])
    f = one(gaps(t, "CTX-TRAINING"))
    assert f.date == d("2024-03-22")
    assert "DA" in f.summary and "later" in f.summary
    assert set(f.evidence) == {"allocations:2", "training:2"}


def test_unavailable_training_is_said_to_be_unavailable() -> None:
    t = _trained(("DA-CORE", "not_available", "2024-01-10"), ALL_DONE[1])
    assert "not available" in one(gaps(t, "CTX-TRAINING")).summary


def test_booked_overdue_and_not_started_training_are_each_described() -> None:
    for status, words in (("booked", "booked"), ("overdue", "overdue"),
                          ("not_started", "not started")):
        t = _trained(("DA-CORE", status, "2024-05-10"), ALL_DONE[1])
        assert words in one(gaps(t, "CTX-TRAINING")).summary, status


def test_missing_safeguarding_training_is_recorded_separately() -> None:
    t = _trained(ALL_DONE[0])
    f = one(gaps(t, "CTX-TRAINING"))
    assert "SAFEGUARDING" in f.summary


def test_a_case_without_the_trigger_or_a_high_risk_profile_needs_no_training() -> None:
    assert gaps(_trained(offence="Theft"), "CTX-TRAINING") == []


def test_a_high_risk_case_needs_rosh_training() -> None:
    t = _trained(offence="Theft")
    t["assessments"] = [assessment("A1", "2024-03-22", "HIGH")]
    f = one(gaps(t, "CTX-TRAINING"))
    assert "ROSH" in f.summary


def test_rosh_training_is_not_needed_when_high_risk_only_after_allocation() -> None:
    t = _trained(offence="Theft")
    t["assessments"] = [assessment("A1", "2024-03-20"), assessment("A2", "2024-03-23", "HIGH")]
    assert gaps(t, "CTX-TRAINING") == []


# -- CTX-EXPERIENCE -----------------------------------------------------------------------------

def _experience(grade: str, since: str | None, offence: str = "Assault (domestic)") -> dict:
    t = base_case()
    t["events"][0]["index_offence"] = offence
    t["staff"][0].update(grade=grade, in_role_since=since)
    return t


def test_a_po_with_exactly_twelve_months_in_grade_on_a_da_case_is_not_recorded() -> None:
    assert gaps(_experience("PO", "2023-03-22"), "CTX-EXPERIENCE") == []


def test_a_po_one_day_short_of_twelve_months_on_a_da_case_is_recorded() -> None:
    f = one(gaps(_experience("PO", "2023-03-23"), "CTX-EXPERIENCE"))
    assert f.date == d("2024-03-22")
    assert f.evidence == ("allocations:2",)


def test_a_long_serving_pso_on_a_da_case_is_recorded() -> None:
    assert len(gaps(_experience("PSO", "2010-01-01"), "CTX-EXPERIENCE")) == 1


def test_a_pqip_on_a_high_risk_case_is_recorded() -> None:
    t = _experience("PQIP", "2010-01-01", offence="Robbery")
    t["assessments"] = [assessment("A1", "2024-03-20", "VERY_HIGH")]
    assert len(gaps(t, "CTX-EXPERIENCE")) == 1


def test_a_pso_on_a_low_risk_case_without_the_trigger_is_not_recorded() -> None:
    assert gaps(_experience("PSO", "2023-12-01", offence="Theft"), "CTX-EXPERIENCE") == []


# -- CTX-SUPERVISION: formal supervision at least every 42 days ---------------------------------

def _supervised(*rows: tuple[str, str]) -> dict:
    t = base_case()
    t["supervision"] = [{"staff_code": STAFF, "supervision_date": w, "kind": k}
                        for w, k in rows]
    return t


def test_formal_supervision_42_days_after_the_last_is_in_time() -> None:
    # 15 March + 42 days = 26 April 2024.
    t = _supervised(("2024-03-15", "formal"), ("2024-04-26", "formal"))
    assert gaps(t, "CTX-SUPERVISION") == []


def test_formal_supervision_43_days_after_the_last_is_recorded() -> None:
    t = _supervised(("2024-03-15", "formal"), ("2024-04-27", "formal"))
    f = one(gaps(t, "CTX-SUPERVISION"))
    assert set(f.evidence) == {"allocations:2", "supervision:2"}
    assert f.local_default is True


def test_a_case_discussion_is_not_formal_supervision() -> None:
    t = _supervised(("2024-03-15", "formal"), ("2024-04-10", "case_discussion"),
                    ("2024-04-27", "formal"))
    assert len(gaps(t, "CTX-SUPERVISION")) == 1


def test_42_days_without_supervision_up_to_as_of_is_not_recorded() -> None:
    t = _supervised(("2024-03-15", "formal"), ("2024-04-12", "formal"))
    assert gaps(t, "CTX-SUPERVISION", as_of=date(2024, 5, 24)) == []


def test_43_days_without_supervision_up_to_as_of_is_recorded() -> None:
    t = _supervised(("2024-03-15", "formal"), ("2024-04-12", "formal"))
    f = one(gaps(t, "CTX-SUPERVISION", as_of=date(2024, 5, 25)))
    assert set(f.evidence) == {"allocations:2", "supervision:3"}


def test_the_stretch_is_measured_from_the_latest_supervision_before_allocation() -> None:
    # 1 February would be 50 days before 22 March; the 15 March one is the latest.
    t = _supervised(("2024-02-01", "formal"), ("2024-03-15", "formal"),
                    ("2024-04-26", "formal"))
    assert gaps(t, "CTX-SUPERVISION") == []


def test_with_no_earlier_supervision_the_stretch_starts_at_allocation() -> None:
    # 22 March + 42 days = 3 May 2024.
    t = _supervised(("2024-05-03", "formal"))
    assert gaps(t, "CTX-SUPERVISION", as_of=date(2024, 5, 20)) == []
    t = _supervised(("2024-05-04", "formal"))
    assert len(gaps(t, "CTX-SUPERVISION", as_of=date(2024, 5, 20))) == 1


# -- CTX-VACANCIES: in post below 85% of establishment -----------------------------------------

def _teams(*rows: tuple[str, str, float]) -> dict:
    t = base_case()
    t["teams"] = [{"team_code": team, "month": m, "establishment_fte": 10, "in_post_fte": fte}
                  for team, m, fte in rows]
    return t


def test_a_team_at_exactly_85_percent_is_not_recorded() -> None:
    assert gaps(_teams(("N01T01", "2024-04-01", 8.5)), "CTX-VACANCIES") == []


def test_a_team_just_below_85_percent_is_recorded() -> None:
    f = one(gaps(_teams(("N01T01", "2024-04-01", 8.4)), "CTX-VACANCIES"))
    assert set(f.evidence) == {"E1", "teams:2"}
    assert "N01T01" in f.summary


def test_the_month_of_the_start_is_in_the_window() -> None:
    assert len(gaps(_teams(("N01T01", "2024-03-01", 7)), "CTX-VACANCIES")) == 1


def test_the_month_before_the_start_is_not_in_the_window() -> None:
    assert gaps(_teams(("N01T01", "2024-02-01", 7)), "CTX-VACANCIES") == []


def test_a_month_after_as_of_is_not_in_the_window() -> None:
    t = _teams(("N01T01", "2024-05-01", 7))
    assert gaps(t, "CTX-VACANCIES", as_of=date(2024, 4, 30)) == []
    assert len(gaps(t, "CTX-VACANCIES", as_of=date(2024, 5, 1))) == 1


def test_the_allocated_practitioners_team_counts() -> None:
    t = _teams(("N09T09", "2024-04-01", 6))
    t["staff"][0]["team_code"] = "N09T09"
    f = one(gaps(t, "CTX-VACANCIES"))
    assert "N09T09" in f.summary


def test_an_unrelated_team_does_not_count() -> None:
    assert gaps(_teams(("N09T09", "2024-04-01", 6)), "CTX-VACANCIES") == []


def test_several_low_months_make_one_finding_per_team_and_event() -> None:
    t = _teams(("N01T01", "2024-03-01", 7), ("N01T01", "2024-04-01", 8))
    f = one(gaps(t, "CTX-VACANCIES"))
    assert set(f.evidence) == {"E1", "teams:2", "teams:3"}
