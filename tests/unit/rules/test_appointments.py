"""FIRST-APPT, CONTACT-FREQ, OUTCOME-RECORDED and RECALL-TIMELY (docs/rules.md)."""

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
    weekly,
)


def _first_appt_on(day: str) -> dict:
    t = base_case()
    t["contacts"][0]["contact_date"] = day
    return t


# -- FIRST-APPT: community order, wd(Fri 22 March 2024, 5) = Tue 2 April (Easter skipped) ----

def test_first_appointment_on_the_fifth_working_day_is_not_a_gap() -> None:
    assert gaps(_first_appt_on("2024-04-02"), "FIRST-APPT") == []


def test_first_appointment_on_the_sixth_working_day_is_a_gap() -> None:
    f = one(gaps(_first_appt_on("2024-04-03"), "FIRST-APPT"))
    assert f.date == d("2024-04-02")
    assert set(f.evidence) == {"E1", "C1"}
    assert f.event_id == "E1"


def test_a_missed_first_appointment_still_counts_as_the_first_appointment() -> None:
    t = _first_appt_on("2024-04-02")
    t["contacts"][0]["outcome_code"] = "UAAB"
    assert gaps(t, "FIRST-APPT") == []


def test_a_contact_marked_national_standard_counts_whatever_its_type() -> None:
    t = _first_appt_on("2024-04-03")
    t["contacts"].append(contact("X1", "2024-04-02", "CZZZ", "ATTC") | {"national_standard": "Y"})
    assert gaps(t, "FIRST-APPT") == []


def test_an_ns_type_marked_not_national_standard_does_not_count() -> None:
    t = _first_appt_on("2024-04-03")
    t["contacts"].append(contact("X1", "2024-03-25", "COAI", "ATTC") | {"national_standard": "N"})
    f = one(gaps(t, "FIRST-APPT"))
    assert "X1" not in f.evidence


def test_an_appointment_before_the_start_is_not_the_first_appointment() -> None:
    t = _first_appt_on("2024-04-03")
    t["contacts"].append(contact("X1", "2024-03-21", "COAI", "ATTC"))
    assert len(gaps(t, "FIRST-APPT")) == 1


def test_a_contact_without_event_id_belongs_to_the_event_running_on_its_date() -> None:
    t = _first_appt_on("2024-04-03")
    t["contacts"].append(contact("X1", "2024-04-02", "COAI", "ATTC", event_id=None))
    assert gaps(t, "FIRST-APPT") == []


def test_no_first_appointment_is_not_due_before_the_deadline() -> None:
    t = base_case()
    t["contacts"] = []
    assert gaps(t, "FIRST-APPT", as_of=date(2024, 4, 1)) == []


def test_no_first_appointment_is_a_gap_once_the_deadline_is_reached() -> None:
    t = base_case()
    t["contacts"] = []
    f = one(gaps(t, "FIRST-APPT", as_of=date(2024, 4, 2)))
    assert f.date == d("2024-04-02")
    assert f.evidence == ("E1",)


def test_an_appointment_after_as_of_is_not_used_as_the_first_appointment() -> None:
    t = _first_appt_on("2024-04-04")
    f = one(gaps(t, "FIRST-APPT", as_of=date(2024, 4, 3)))
    assert f.evidence == ("E1",)
    assert "4 April" not in f.summary


def test_first_appointment_on_time_is_recorded_as_good_practice() -> None:
    g = one(good(findings(_first_appt_on("2024-04-02"), "FIRST-APPT"), "C1"))
    assert g.date == d("2024-04-02")
    assert g.kind == "good_practice" and g.severity == "info"


def test_a_late_first_appointment_is_not_recorded_as_good_practice() -> None:
    assert good(findings(_first_appt_on("2024-04-03"), "FIRST-APPT"), "C1") == []


def _licence(release: str, appt: str, outcome: str = "ATTC",
             sentence_type: str = "licence") -> dict:
    t = base_case()
    t["events"] = [{"crn": CRN, "event_id": "E1", "sentence_type": sentence_type,
                    "sentence_date": "2023-06-01", "release_date": release,
                    "index_offence": "Robbery"}]
    t["contacts"] = [contact("L1", appt, "COAI", outcome)]
    t["allocations"][0]["allocated_from"] = "2024-03-20"
    return t


def test_licence_first_appointment_on_release_day_is_not_a_gap() -> None:
    assert gaps(_licence("2024-03-28", "2024-03-28"), "FIRST-APPT") == []


def test_licence_first_appointment_on_the_next_working_day_after_easter_is_not_a_gap() -> None:
    # Released Thu 28 March 2024: the next working day is Tue 2 April.
    assert gaps(_licence("2024-03-28", "2024-04-02"), "FIRST-APPT") == []


def test_licence_first_appointment_two_working_days_after_release_is_a_gap() -> None:
    f = one(gaps(_licence("2024-03-28", "2024-04-03"), "FIRST-APPT"))
    assert f.date == d("2024-04-02")
    assert set(f.evidence) == {"E1", "L1"}


def test_post_sentence_supervision_starts_at_release_with_five_working_days() -> None:
    assert gaps(_licence("2024-03-22", "2024-04-02", sentence_type="post_sentence_supervision"),
                "FIRST-APPT") == []
    f = one(gaps(_licence("2024-03-22", "2024-04-03",
                          sentence_type="post_sentence_supervision"), "FIRST-APPT"))
    assert f.date == d("2024-04-02")


def test_an_event_starting_after_as_of_is_ignored() -> None:
    t = base_case()
    t["events"].append({"crn": CRN, "event_id": "E2", "sentence_type": "community_order",
                        "sentence_date": "2024-05-01"})
    found = gaps(t, "FIRST-APPT", as_of=date(2024, 5, 31))
    assert [f.event_id for f in found] == ["E2"]
    assert gaps(t, "FIRST-APPT", as_of=date(2024, 4, 30)) == []


# -- CONTACT-FREQ --------------------------------------------------------------------------

def _appts(*days: str, high: str | None = None) -> dict:
    t = base_case()
    t["contacts"] = [contact(f"C{i + 1}", x, "COAP", "ATTC") for i, x in enumerate(days)]
    if high:
        t["assessments"] = [assessment("A1", "2024-03-20", "LOW"),
                            assessment("A2", high, "HIGH")]
    return t


def _about(found: list, cid: str) -> list:
    return [f for f in found if f.evidence and f.evidence[0] == cid]


def test_next_appointment_28_days_later_is_not_a_gap_for_a_standard_case() -> None:
    assert gaps(_appts("2024-03-25", "2024-04-22"), "CONTACT-FREQ") == []


def test_next_appointment_29_days_later_is_a_gap_dated_day_28() -> None:
    f = one(gaps(_appts("2024-03-25", "2024-04-23"), "CONTACT-FREQ"))
    assert f.date == d("2024-04-22")
    assert f.evidence == ("C1", "C2")
    assert f.local_default is True


def test_no_further_appointment_for_28_days_up_to_as_of_is_not_a_gap() -> None:
    t = _appts("2024-03-25", "2024-04-19")
    assert gaps(t, "CONTACT-FREQ", as_of=date(2024, 5, 17)) == []


def test_no_further_appointment_for_29_days_up_to_as_of_is_a_gap() -> None:
    t = _appts("2024-03-25", "2024-04-19")
    f = one(gaps(t, "CONTACT-FREQ", as_of=date(2024, 5, 18)))
    assert f.date == d("2024-05-17")
    assert f.evidence == ("C2",)


def test_an_appointment_after_as_of_does_not_close_the_gap() -> None:
    t = _appts("2024-03-25", "2024-04-19", "2024-05-19")
    f = one(gaps(t, "CONTACT-FREQ", as_of=date(2024, 5, 18)))
    assert f.evidence == ("C2",)


def test_a_missed_appointment_still_counts_as_contact() -> None:
    t = _appts("2024-03-25", "2024-04-15", "2024-05-10")
    t["contacts"][1]["outcome_code"] = "UAAB"
    assert gaps(t, "CONTACT-FREQ", as_of=date(2024, 5, 12)) == []


def test_a_non_ns_contact_does_not_count_as_an_appointment() -> None:
    t = _appts("2024-03-25", "2024-04-23")
    t["contacts"].append(contact("T1", "2024-04-10", "CTOC", "ATTC"))
    f = one(gaps(t, "CONTACT-FREQ"))
    assert f.evidence == ("C1", "C2")


def test_high_risk_next_appointment_seven_days_later_is_not_a_gap() -> None:
    # Mon 25 March to Easter Monday 1 April: calendar days, holidays count.
    t = _appts("2024-03-25", "2024-04-01", high="2024-03-21")
    assert gaps(t, "CONTACT-FREQ", as_of=date(2024, 4, 1)) == []


def test_high_risk_next_appointment_eight_days_later_is_a_gap_dated_day_seven() -> None:
    t = _appts("2024-03-25", "2024-04-02", high="2024-03-21")
    f = one(gaps(t, "CONTACT-FREQ", as_of=date(2024, 4, 2)))
    assert f.date == d("2024-04-01")
    assert f.evidence == ("C1", "C2")


def test_the_limit_follows_an_assessment_completed_on_the_appointment_day() -> None:
    t = _appts("2024-03-25", "2024-04-05", high="2024-03-25")
    f = one(gaps(t, "CONTACT-FREQ", as_of=date(2024, 4, 5)))
    assert f.date == d("2024-04-01")


def test_the_limit_ignores_an_assessment_completed_after_the_appointment() -> None:
    t = _appts("2024-03-25", "2024-04-05", high="2024-03-26")
    assert _about(gaps(t, "CONTACT-FREQ", as_of=date(2024, 4, 5)), "C1") == []


def _high_weekly_then(*tail: str) -> dict:
    # Weekly (Mondays) from 25 March to 10 June 2024, then the given appointments.
    t = base_case()
    t["contacts"] = [*weekly("2024-03-25", "2024-06-10"),
                     *(contact(f"T{i + 1}", x, "COAP", "ATTC") for i, x in enumerate(tail))]
    t["assessments"] = [assessment("A1", "2024-03-20", "HIGH")]
    return t


def test_high_risk_appointment_on_day_84_after_start_still_has_the_seven_day_limit() -> None:
    # start 22 March + 84 days = Fri 14 June 2024; next appointment 8 days later.
    t = _high_weekly_then("2024-06-14", "2024-06-22")
    f = one(_about(gaps(t, "CONTACT-FREQ", as_of=date(2024, 6, 22)), "T1"))
    assert f.date == d("2024-06-21")


def test_high_risk_appointment_on_day_84_with_next_seven_days_later_is_not_a_gap() -> None:
    t = _high_weekly_then("2024-06-14", "2024-06-21")
    assert _about(gaps(t, "CONTACT-FREQ", as_of=date(2024, 6, 21)), "T1") == []


def test_high_risk_appointment_on_day_85_has_the_fourteen_day_limit() -> None:
    t = _high_weekly_then("2024-06-15", "2024-06-29")
    assert _about(gaps(t, "CONTACT-FREQ", as_of=date(2024, 6, 29)), "T1") == []


def test_high_risk_appointment_on_day_85_with_next_fifteen_days_later_is_a_gap() -> None:
    t = _high_weekly_then("2024-06-15", "2024-06-30")
    f = one(_about(gaps(t, "CONTACT-FREQ", as_of=date(2024, 6, 30)), "T1"))
    assert f.date == d("2024-06-29")
    assert f.evidence == ("T1", "T2")


# -- OUTCOME-RECORDED: wd(Thu 28 March 2024, 2) = Wed 3 April ---------------------------

def _with(extra: dict) -> dict:
    t = base_case()
    t["contacts"].append(extra)
    return t


def test_a_missing_outcome_one_working_day_before_as_of_is_not_yet_a_gap() -> None:
    t = _with(contact("N1", "2024-03-28", "COAP"))
    assert gaps(t, "OUTCOME-RECORDED", as_of=date(2024, 4, 2)) == []


def test_a_missing_outcome_two_working_days_before_as_of_is_a_gap() -> None:
    t = _with(contact("N1", "2024-03-28", "COAP"))
    f = one(gaps(t, "OUTCOME-RECORDED", as_of=date(2024, 4, 3)))
    assert f.date == d("2024-04-03")
    assert f.evidence == ("N1",)


def test_a_non_ns_contact_without_an_outcome_is_not_a_gap() -> None:
    t = _with(contact("N1", "2024-03-28", "CTOC"))
    assert gaps(t, "OUTCOME-RECORDED") == []


def test_a_missing_outcome_after_as_of_is_not_looked_at() -> None:
    t = _with(contact("N1", "2024-05-01", "COAP"))
    assert gaps(t, "OUTCOME-RECORDED", as_of=date(2024, 4, 30)) == []


def test_an_afta_decided_on_the_second_working_day_is_not_a_gap() -> None:
    t = _with(contact("N1", "2024-03-28", "COAP", "AFTA"))
    t["contacts"].append(contact("D1", "2024-04-03", "AWLI"))
    assert gaps(t, "OUTCOME-RECORDED") == []


def test_an_afta_decided_on_the_third_working_day_is_a_gap() -> None:
    t = _with(contact("N1", "2024-03-28", "COAP", "AFTA"))
    t["contacts"].append(contact("D1", "2024-04-04", "AWLI"))
    f = one(gaps(t, "OUTCOME-RECORDED"))
    assert f.date == d("2024-04-03")
    assert f.evidence == ("N1",)


def test_an_afta_with_an_enforcement_code_on_the_contact_is_decided() -> None:
    t = _with(contact("N1", "2024-03-28", "COAP", "AFTA", enforcement_code="EA02"))
    assert gaps(t, "OUTCOME-RECORDED") == []


def test_an_afta_is_not_judged_before_its_two_working_days_have_passed() -> None:
    t = _with(contact("N1", "2024-03-28", "COAP", "AFTA"))
    assert gaps(t, "OUTCOME-RECORDED", as_of=date(2024, 4, 2)) == []


# -- RECALL-TIMELY: released Thu 28 March 2024; wd(28 March, 1) = Tue 2 April --------------

def test_recall_considered_on_the_next_working_day_after_a_failed_first_appointment() -> None:
    t = _licence("2024-03-28", "2024-03-28", "UAAB")
    t["contacts"].append(contact("R1", "2024-04-02", "C286"))
    assert gaps(t, "RECALL-TIMELY") == []


def test_recall_considered_two_working_days_after_a_failed_first_appointment_is_a_gap() -> None:
    t = _licence("2024-03-28", "2024-03-28", "UAAB")
    t["contacts"].append(contact("R1", "2024-04-03", "C286"))
    f = one(gaps(t, "RECALL-TIMELY"))
    assert f.date == d("2024-04-02")
    assert set(f.evidence) == {"E1", "L1"}


def test_recall_considered_on_time_is_recorded_as_good_practice() -> None:
    t = _licence("2024-03-28", "2024-03-28", "UAAB")
    t["contacts"].append(contact("R1", "2024-04-02", "RECDI"))
    g = one(good(findings(t, "RECALL-TIMELY"), "R1"))
    assert g.date == d("2024-04-02")


def test_recall_not_yet_due_before_the_working_day_has_passed() -> None:
    t = _licence("2024-03-28", "2024-03-28", "UAAB")
    assert gaps(t, "RECALL-TIMELY", as_of=date(2024, 4, 1)) == []
    assert len(gaps(t, "RECALL-TIMELY", as_of=date(2024, 4, 3))) == 1


def test_an_attended_first_appointment_needs_no_recall_consideration() -> None:
    t = _licence("2024-03-28", "2024-03-28", "ATTC")
    t["contacts"].append(contact("L2", "2024-04-04", "COAP", "UAAB"))
    assert gaps(t, "RECALL-TIMELY") == []


def test_a_failed_first_appointment_on_a_community_order_is_not_a_recall_matter() -> None:
    t = base_case()
    t["contacts"][0]["outcome_code"] = "UAAB"
    assert gaps(t, "RECALL-TIMELY") == []
