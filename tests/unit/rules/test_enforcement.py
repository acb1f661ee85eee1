"""ENFORCEMENT and REG-REVIEW (docs/rules.md)."""

from __future__ import annotations

from datetime import date

from tests.unit.rules.conftest import (
    CRN,
    base_case,
    contact,
    d,
    findings,
    gaps,
    good,
    one,
    registration,
)


def _failures(*rows: dict) -> dict:
    t = base_case()
    t["contacts"] += list(rows)
    return t


def _warning_on(day: str, code: str = "AWLI", cid: str = "W1") -> dict:
    return contact(cid, day, code)


# -- ENFORCEMENT (a): warning, breach or recall within 7 days --------------------------------

def test_a_warning_seven_days_after_a_failure_is_in_time() -> None:
    t = _failures(contact("F1", "2024-04-10", "COAP", "UAAB"), _warning_on("2024-04-17"))
    assert gaps(t, "ENFORCEMENT") == []


def test_a_warning_eight_days_after_a_failure_is_a_gap_dated_day_seven() -> None:
    t = _failures(contact("F1", "2024-04-10", "COAP", "UAAB"), _warning_on("2024-04-18"))
    f = one(gaps(t, "ENFORCEMENT"))
    assert f.date == d("2024-04-17")
    assert f.evidence == ("F1",)
    assert f.event_id == "E1"


def test_a_warning_code_on_the_failure_itself_is_enough() -> None:
    t = _failures(contact("F1", "2024-04-10", "COAP", "UAAB", enforcement_code="EA02"))
    assert gaps(t, "ENFORCEMENT") == []


def test_every_unacceptable_outcome_needs_action() -> None:
    for outcome in ("UAAB", "AFTC", "ATSH", "AFTA"):
        t = _failures(contact("F1", "2024-04-10", "COAP", outcome))
        assert len(gaps(t, "ENFORCEMENT")) == 1, outcome


def test_an_acceptable_absence_needs_no_action() -> None:
    t = _failures(contact("F1", "2024-04-10", "COAP", "AAAB"))
    assert gaps(t, "ENFORCEMENT") == []


def test_a_failure_is_not_judged_before_its_seven_days_have_run() -> None:
    t = _failures(contact("F1", "2024-04-10", "COAP", "UAAB"))
    assert gaps(t, "ENFORCEMENT", as_of=date(2024, 4, 16)) == []
    assert len(gaps(t, "ENFORCEMENT", as_of=date(2024, 4, 17))) == 1


def test_a_warning_after_as_of_does_not_count() -> None:
    t = _failures(contact("F1", "2024-04-10", "COAP", "UAAB"), _warning_on("2024-04-15"))
    assert gaps(t, "ENFORCEMENT", as_of=date(2024, 4, 17)) == []
    t = _failures(contact("F1", "2024-04-10", "COAP", "UAAB"), _warning_on("2024-04-18"))
    f = one(gaps(t, "ENFORCEMENT", as_of=date(2024, 4, 17)))
    assert f.evidence == ("F1",)


def test_a_recall_contact_counts_as_enforcement() -> None:
    t = _failures(contact("F1", "2024-04-10", "COAP", "UAAB"), _warning_on("2024-04-17", "C286"))
    assert gaps(t, "ENFORCEMENT") == []


def test_enforcement_within_seven_days_is_recorded_as_good_practice() -> None:
    t = _failures(contact("F1", "2024-04-10", "COAP", "UAAB"), _warning_on("2024-04-17"))
    assert len(good(findings(t, "ENFORCEMENT"), "F1")) == 1


def test_late_enforcement_is_not_good_practice() -> None:
    t = _failures(contact("F1", "2024-04-10", "COAP", "UAAB"), _warning_on("2024-04-18"))
    assert good(findings(t, "ENFORCEMENT"), "F1") == []


# -- ENFORCEMENT (b): a second failure within 365 days -> breach within 10 working days ------
# F2 on Thu 28 March 2024: wd(28 March, 10) = Mon 15 April (Easter skipped).

def _repeat(breach: str | None, code: str = "AIBR") -> dict:
    rows = [contact("F1", "2024-03-26", "COAP", "UAAB"), _warning_on("2024-03-27", cid="W1"),
            contact("F2", "2024-03-28", "COAP", "UAAB"), _warning_on("2024-03-29", cid="W2")]
    if breach:
        rows.append(contact("B1", breach, code))
    return _failures(*rows)


def test_breach_on_the_tenth_working_day_after_a_second_failure_is_in_time() -> None:
    assert gaps(_repeat("2024-04-15"), "ENFORCEMENT") == []


def test_breach_on_the_eleventh_working_day_after_a_second_failure_is_a_gap() -> None:
    f = one(gaps(_repeat("2024-04-16"), "ENFORCEMENT"))
    assert f.date == d("2024-04-15")
    assert set(f.evidence) == {"F2", "F1"}


def test_a_warning_is_not_a_breach_after_a_second_failure() -> None:
    assert len(gaps(_repeat("2024-04-02", "AWLF"), "ENFORCEMENT")) == 1


def test_a_breach_code_on_the_second_failure_is_enough() -> None:
    t = _repeat(None)
    t["contacts"][-2]["enforcement_code"] = "IBR"
    assert gaps(t, "ENFORCEMENT") == []


def _year_apart(first: str) -> dict:
    t = base_case()
    t["events"][0]["sentence_date"] = "2023-03-01"
    t["allocations"][0]["allocated_from"] = "2023-03-01"
    t["contacts"] += [contact("F1", first, "COAP", "UAAB"),
                      _warning_on(first, cid="W1"),
                      contact("F2", "2024-03-28", "COAP", "UAAB"),
                      _warning_on("2024-03-29", cid="W2")]
    return t


def _repeat_gaps(found: list) -> list:
    return [f for f in found if "F2" in f.evidence]


def test_a_previous_failure_365_days_before_makes_a_repeat() -> None:
    # 29 March 2023 to 28 March 2024 is 365 days (29 February 2024 included).
    f = one(_repeat_gaps(gaps(_year_apart("2023-03-29"), "ENFORCEMENT")))
    assert f.date == d("2024-04-15")


def test_a_previous_failure_366_days_before_is_not_a_repeat() -> None:
    assert _repeat_gaps(gaps(_year_apart("2023-03-28"), "ENFORCEMENT")) == []


def test_a_failure_in_another_event_is_not_a_repeat() -> None:
    t = _repeat(None)
    t["events"].append({"crn": CRN, "event_id": "E2", "sentence_type": "community_order",
                        "sentence_date": "2024-03-20"})
    for row in t["contacts"]:
        if row["contact_id"] in ("F1", "W1"):
            row["event_id"] = "E2"
    assert gaps(t, "ENFORCEMENT") == []


def test_enforcement_is_checked_without_an_events_file() -> None:
    t = _failures(contact("F1", "2024-04-10", "COAP", "UAAB"))
    del t["events"]
    f = one(gaps(t, "ENFORCEMENT"))
    assert f.date == d("2024-04-17")


# -- REG-REVIEW ---------------------------------------------------------------------------------

def _regs(*rows: dict) -> dict:
    t = base_case()
    t["registrations"] = list(rows)
    return t


def test_a_review_date_equal_to_as_of_is_not_overdue() -> None:
    t = _regs(registration("R1", "ADVP", "2024-02-01", next_review="2024-05-01"))
    assert gaps(t, "REG-REVIEW", as_of=date(2024, 5, 1)) == []


def test_a_review_date_the_day_before_as_of_is_overdue() -> None:
    t = _regs(registration("R1", "ADVP", "2024-02-01", next_review="2024-05-01"))
    f = one(gaps(t, "REG-REVIEW", as_of=date(2024, 5, 2)))
    assert f.date == d("2024-05-01")
    assert f.evidence == ("R1",)


def test_a_mappa_registration_without_a_review_date_is_due_after_three_months() -> None:
    # 31 January 2024 + 3 months = 30 April 2024 (clipped to the month's end).
    t = _regs(registration("R1", "MAPP", "2024-01-31", level="M1"))
    assert gaps(t, "REG-REVIEW", as_of=date(2024, 4, 30)) == []
    f = one(gaps(t, "REG-REVIEW", as_of=date(2024, 5, 1)))
    assert f.date == d("2024-04-30")


def test_a_rosh_registration_without_a_review_date_is_due_after_six_months() -> None:
    t = _regs(registration("R1", "RMRH", "2023-11-15"))
    assert gaps(t, "REG-REVIEW", as_of=date(2024, 5, 15)) == []
    f = one(gaps(t, "REG-REVIEW", as_of=date(2024, 5, 16)))
    assert f.date == d("2024-05-15")


def test_other_registration_types_without_a_review_date_are_not_checked() -> None:
    t = _regs(registration("R1", "RCHD", "2022-01-01"), registration("R2", "WEAP", "2022-01-01"))
    assert gaps(t, "REG-REVIEW") == []


def test_a_registration_ended_on_or_before_as_of_is_not_checked() -> None:
    t = _regs(registration("R1", "ADVP", "2023-01-01", deregistered="2024-04-30"))
    assert gaps(t, "REG-REVIEW", as_of=date(2024, 4, 30)) == []


def test_a_deregistration_after_as_of_is_not_looked_at() -> None:
    t = _regs(registration("R1", "ADVP", "2023-01-01", deregistered="2024-05-01"))
    assert len(gaps(t, "REG-REVIEW", as_of=date(2024, 4, 30))) == 1


def test_a_registration_made_after_as_of_is_not_looked_at() -> None:
    t = _regs(registration("R1", "ADVP", "2024-05-01", next_review="2024-01-01"))
    assert gaps(t, "REG-REVIEW", as_of=date(2024, 4, 30)) == []
