"""RISK-INIT, RISK-REVIEW and RISK-CONSISTENCY (docs/rules.md)."""

from __future__ import annotations

from datetime import date

from tests.unit.rules.conftest import (
    CRN,
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


def _assessed(*rows: dict) -> dict:
    t = base_case()
    t["assessments"] = list(rows)
    return t


# -- RISK-INIT: from start - 84 days (Fri 29 Dec 2023) to wd(start, 15) (Tue 16 April) ------

def test_assessment_completed_on_the_fifteenth_working_day_is_not_a_gap() -> None:
    assert gaps(_assessed(assessment("A1", "2024-04-16")), "RISK-INIT") == []


def test_assessment_completed_on_the_sixteenth_working_day_is_a_gap() -> None:
    f = one(gaps(_assessed(assessment("A1", "2024-04-17")), "RISK-INIT"))
    assert f.date == d("2024-04-16")
    assert "E1" in f.evidence
    assert f.event_id == "E1"


def test_assessment_completed_exactly_84_days_before_start_counts() -> None:
    assert gaps(_assessed(assessment("A1", "2023-12-29")), "RISK-INIT") == []


def test_assessment_completed_85_days_before_start_does_not_count() -> None:
    f = one(gaps(_assessed(assessment("A1", "2023-12-28")), "RISK-INIT"))
    assert f.date == d("2024-04-16")


def test_an_in_progress_assessment_with_a_completed_date_does_not_count() -> None:
    t = _assessed(assessment("A1", "2024-04-02", status="IN_PROGRESS"))
    assert len(gaps(t, "RISK-INIT")) == 1


def test_a_locked_incomplete_assessment_does_not_count() -> None:
    t = _assessed(assessment("A1", "2024-04-02", status="LOCKED_INCOMPLETE"))
    assert len(gaps(t, "RISK-INIT")) == 1


def test_a_sara_is_not_a_risk_assessment_for_risk_init() -> None:
    t = _assessed(assessment("A1", "2024-04-02", atype="SARA"))
    assert len(gaps(t, "RISK-INIT")) == 1


def test_an_oasys_layer1_assessment_counts() -> None:
    t = _assessed(assessment("A1", "2024-04-02", atype="OASYS_LAYER1"))
    assert gaps(t, "RISK-INIT") == []


def test_no_assessment_is_not_yet_a_gap_before_the_fifteenth_working_day() -> None:
    t = _assessed()
    assert gaps(t, "RISK-INIT", as_of=date(2024, 4, 15)) == []
    f = one(gaps(t, "RISK-INIT", as_of=date(2024, 4, 16)))
    assert f.evidence == ("E1",)


def test_an_assessment_completed_after_as_of_is_not_used() -> None:
    t = _assessed(assessment("A1", "2024-04-18"))
    f = one(gaps(t, "RISK-INIT", as_of=date(2024, 4, 17)))
    assert f.date == d("2024-04-16")
    assert f.evidence == ("E1",)
    assert "18 April" not in f.summary


def test_initial_assessment_on_time_is_good_practice() -> None:
    g = one(good(findings(_assessed(assessment("A1", "2024-04-16")), "RISK-INIT"), "A1"))
    assert g.date == d("2024-04-16")
    assert g.kind == "good_practice"


def test_a_late_initial_assessment_is_not_good_practice() -> None:
    assert good(findings(_assessed(assessment("A1", "2024-04-17")), "RISK-INIT"), "A1") == []


def test_licence_initial_assessment_is_measured_from_release() -> None:
    t = _assessed(assessment("A1", "2024-01-05"))
    t["events"] = [{"crn": CRN, "event_id": "E1", "sentence_type": "licence",
                    "sentence_date": "2022-06-01", "release_date": "2024-03-28"}]
    # release - 84 days = 4 January 2024, so 5 January counts.
    assert gaps(t, "RISK-INIT") == []


# -- RISK-REVIEW (a): more than 112 days without a completed assessment ------------------

def test_reassessment_exactly_112_days_after_the_last_is_not_a_gap() -> None:
    # A1 on 20 March 2024 + 112 days = 10 July 2024.
    t = _assessed(assessment("A1", "2024-03-20"), assessment("A2", "2024-07-10"))
    assert gaps(t, "RISK-REVIEW", as_of=date(2024, 7, 31)) == []


def test_reassessment_113_days_after_the_last_is_a_gap_dated_day_112() -> None:
    t = _assessed(assessment("A1", "2024-03-20"), assessment("A2", "2024-07-11"))
    f = one(gaps(t, "RISK-REVIEW", as_of=date(2024, 7, 31)))
    assert f.date == d("2024-07-10")
    assert set(f.evidence) == {"E1", "A1"}
    assert f.local_default is True


def test_112_days_without_reassessment_up_to_as_of_is_not_a_gap() -> None:
    t = _assessed(assessment("A1", "2024-03-20"))
    assert gaps(t, "RISK-REVIEW", as_of=date(2024, 7, 10)) == []


def test_113_days_without_reassessment_up_to_as_of_is_a_gap() -> None:
    t = _assessed(assessment("A1", "2024-03-20"))
    f = one(gaps(t, "RISK-REVIEW", as_of=date(2024, 7, 11)))
    assert f.date == d("2024-07-10")


def test_with_no_assessment_the_clock_runs_from_the_start() -> None:
    # start 22 March 2024 + 112 days = 12 July 2024.
    t = _assessed()
    assert gaps(t, "RISK-REVIEW", as_of=date(2024, 7, 12)) == []
    f = one(gaps(t, "RISK-REVIEW", as_of=date(2024, 7, 13)))
    assert f.date == d("2024-07-12")
    assert f.evidence == ("E1",)


def test_an_assessment_after_as_of_does_not_reset_the_clock() -> None:
    t = _assessed(assessment("A1", "2024-03-20"), assessment("A2", "2024-07-12"))
    f = one(gaps(t, "RISK-REVIEW", as_of=date(2024, 7, 11)))
    assert "A2" not in f.evidence


# -- RISK-REVIEW (b): reassessment within 10 working days of a significant event ------------

def _arrest(on: str, *done: str) -> dict:
    t = _assessed(assessment("A1", "2024-03-20"),
                  *(assessment(f"A{i + 2}", x) for i, x in enumerate(done)))
    t["contacts"].append(contact("ARR", on, "CARR"))
    return t


def test_reassessment_on_the_tenth_working_day_after_an_arrest_is_not_a_gap() -> None:
    # Mon 8 April 2024 + 10 working days = Mon 22 April.
    assert gaps(_arrest("2024-04-08", "2024-04-22"), "RISK-REVIEW") == []


def test_reassessment_on_the_eleventh_working_day_after_an_arrest_is_a_gap() -> None:
    f = one(gaps(_arrest("2024-04-08", "2024-04-23"), "RISK-REVIEW"))
    assert f.date == d("2024-04-22")
    assert f.evidence == ("ARR",)


def test_reassessment_after_an_arrest_before_easter_skips_the_bank_holidays() -> None:
    # Thu 28 March 2024 + 10 working days = Mon 15 April.
    assert gaps(_arrest("2024-03-28", "2024-04-15"), "RISK-REVIEW") == []
    f = one(gaps(_arrest("2024-03-28", "2024-04-16"), "RISK-REVIEW"))
    assert f.date == d("2024-04-15")


def test_reassessment_on_the_day_of_the_arrest_counts() -> None:
    assert gaps(_arrest("2024-04-08", "2024-04-08"), "RISK-REVIEW") == []


def test_an_arrest_is_not_judged_before_its_ten_working_days_have_passed() -> None:
    assert gaps(_arrest("2024-04-08"), "RISK-REVIEW", as_of=date(2024, 4, 21)) == []
    assert len(gaps(_arrest("2024-04-08"), "RISK-REVIEW", as_of=date(2024, 4, 22))) == 1


def test_a_new_advp_registration_in_the_window_needs_reassessment() -> None:
    t = _assessed(assessment("A1", "2024-03-20"), assessment("A2", "2024-04-23"))
    t["registrations"] = [registration("R1", "ADVP", "2024-04-08")]
    f = one(gaps(t, "RISK-REVIEW"))
    assert f.date == d("2024-04-22")
    assert f.evidence == ("R1",)
    t["assessments"][1]["completed_date"] = "2024-04-22"
    assert gaps(t, "RISK-REVIEW") == []


def test_a_registration_made_before_the_start_is_not_a_significant_event() -> None:
    t = _assessed(assessment("A1", "2024-03-20"))
    t["registrations"] = [registration("R1", "ADVP", "2024-03-21")]
    assert gaps(t, "RISK-REVIEW") == []


def test_a_registration_type_not_listed_is_not_a_significant_event() -> None:
    t = _assessed(assessment("A1", "2024-03-20"))
    t["registrations"] = [registration("R1", "RLRH", "2024-04-08")]
    assert gaps(t, "RISK-REVIEW") == []


# -- RISK-CONSISTENCY ------------------------------------------------------------------------

def test_overall_rosh_equal_to_the_highest_group_is_consistent() -> None:
    t = _assessed(assessment("A1", "2024-03-20", "HIGH", rosh_public="MEDIUM"))
    assert gaps(t, "RISK-CONSISTENCY") == []


def test_overall_rosh_below_a_group_level_is_a_gap_dated_on_the_assessment() -> None:
    t = _assessed(assessment("A1", "2024-03-20", "MEDIUM", rosh_children="HIGH"))
    f = one(gaps(t, "RISK-CONSISTENCY"))
    assert f.date == d("2024-03-20")
    assert f.evidence == ("A1",)


def test_an_assessment_below_an_active_high_rosh_registration_is_a_gap() -> None:
    t = _assessed(assessment("A1", "2024-03-20"), assessment("A2", "2024-04-10", "MEDIUM"))
    t["registrations"] = [registration("R1", "RHRH", "2024-04-10")]
    found = gaps(t, "RISK-CONSISTENCY")
    f = one([x for x in found if "R1" in x.evidence])
    assert f.date == d("2024-04-10")
    assert set(f.evidence) == {"A2", "R1"}



def test_a_rosh_registration_made_the_day_after_the_assessment_is_not_compared() -> None:
    t = _assessed(assessment("A1", "2024-03-20", "MEDIUM"))
    t["registrations"] = [registration("R1", "RHRH", "2024-03-21")]
    assert gaps(t, "RISK-CONSISTENCY", solo=True) == []


def test_a_rosh_registration_ended_on_the_assessment_day_is_not_active() -> None:
    t = _assessed(assessment("A1", "2024-03-20", "MEDIUM"))
    t["registrations"] = [registration("R1", "RHRH", "2024-01-10", deregistered="2024-03-20")]
    assert gaps(t, "RISK-CONSISTENCY", solo=True) == []


def test_a_rosh_registration_ended_the_day_after_the_assessment_was_active() -> None:
    t = _assessed(assessment("A1", "2024-03-20", "MEDIUM"))
    t["registrations"] = [registration("R1", "RHRH", "2024-01-10", deregistered="2024-03-21")]
    assert len(gaps(t, "RISK-CONSISTENCY")) == 1


def test_an_assessment_matching_its_rosh_registration_is_consistent() -> None:
    t = _assessed(assessment("A1", "2024-03-20", "MEDIUM"))
    t["registrations"] = [registration("R1", "RMRH", "2024-01-10")]
    assert gaps(t, "RISK-CONSISTENCY") == []


def _lowered(*rationale: tuple[str, str]) -> dict:
    # A1 HIGH on 20 March, A2 MEDIUM on Fri 12 April; wd(12 April, -10) = Wed 27 March.
    t = _assessed(assessment("A1", "2024-03-20", "HIGH"),
                  assessment("A2", "2024-04-12", "MEDIUM"))
    t["contacts"] += [contact(f"R{i}", day, code) for i, (day, code) in enumerate(rationale)]
    return t


def test_lowering_with_a_rationale_ten_working_days_before_is_explained() -> None:
    assert gaps(_lowered(("2024-03-27", "RROD")), "RISK-CONSISTENCY") == []


def test_lowering_with_a_rationale_eleven_working_days_before_is_a_gap() -> None:
    f = one(gaps(_lowered(("2024-03-26", "RROD")), "RISK-CONSISTENCY"))
    assert f.date == d("2024-04-12")
    assert set(f.evidence) == {"A2", "A1"}


def test_lowering_with_a_rationale_on_the_assessment_day_is_explained() -> None:
    assert gaps(_lowered(("2024-04-12", "CSPO")), "RISK-CONSISTENCY") == []


def test_lowering_with_a_rationale_only_the_day_after_is_a_gap() -> None:
    assert len(gaps(_lowered(("2024-04-13", "CSPO")), "RISK-CONSISTENCY")) == 1


def test_lowering_with_no_rationale_is_a_gap() -> None:
    assert len(gaps(_lowered(), "RISK-CONSISTENCY")) == 1


def test_an_assessment_84_days_before_the_first_start_is_checked() -> None:
    t = _assessed(assessment("A0", "2023-12-29", "MEDIUM", rosh_children="HIGH"))
    assert one(gaps(t, "RISK-CONSISTENCY")).evidence == ("A0",)


def test_an_assessment_85_days_before_the_first_start_is_not_checked() -> None:
    t = _assessed(assessment("A0", "2023-12-28", "MEDIUM", rosh_children="HIGH"))
    assert gaps(t, "RISK-CONSISTENCY") == []


def test_an_inconsistent_assessment_after_as_of_is_not_looked_at() -> None:
    t = _assessed(assessment("A1", "2024-03-20"),
                  assessment("A2", "2024-05-01", "MEDIUM", rosh_children="HIGH"))
    assert gaps(t, "RISK-CONSISTENCY", as_of=date(2024, 4, 30)) == []
    assert len(gaps(t, "RISK-CONSISTENCY", as_of=date(2024, 5, 1))) == 1
