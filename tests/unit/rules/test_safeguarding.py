"""DA-CHECKS and HOME-VISIT (docs/rules.md).

start = sentence = Fri 22 March 2024: the check period runs from 21 February
(sentence - 30 days) to wd(start, 10) = Tue 9 April; the home visit is due by
wd(start, 20) = Tue 23 April.
"""

from __future__ import annotations

from datetime import date

from tests.unit.rules.conftest import (
    base_case,
    contact,
    d,
    findings,
    gaps,
    good,
    one,
    registration,
)


def _da(police: str | None = "2024-03-25", police_resp: str | None = "2024-03-26",
        children: str | None = "2024-03-25", children_resp: str | None = "2024-03-26",
        visit: str | None = "2024-04-10", offence: str = "Assault by beating (domestic abuse)",
        ) -> dict:
    t = base_case()
    t["events"][0]["index_offence"] = offence
    for cid, day, code in (("P1", police, "C369"), ("P2", police_resp, "C515"),
                           ("S1", children, "SFGC"), ("S2", children_resp, "SFRR"),
                           ("V1", visit, "CHVS")):
        if day:
            t["contacts"].append(contact(cid, day, code, "ATTC" if code == "CHVS" else None))
    return t


def _police(found: list) -> list:
    return [f for f in found if "police" in f.summary]


def _children(found: list) -> list:
    return [f for f in found if "children" in f.summary]


# -- DA-CHECKS --------------------------------------------------------------------------------

def test_a_well_handled_domestic_abuse_case_has_no_da_check_gaps() -> None:
    assert gaps(_da(), "DA-CHECKS") == []


def test_police_check_on_the_tenth_working_day_after_start_is_in_time() -> None:
    assert gaps(_da(police="2024-04-09", police_resp="2024-04-10"), "DA-CHECKS") == []


def test_police_check_on_the_eleventh_working_day_after_start_is_a_gap() -> None:
    f = one(gaps(_da(police="2024-04-10", police_resp="2024-04-11"), "DA-CHECKS"))
    assert f.date == d("2024-04-09")
    assert f.evidence == ("E1",)
    assert _police([f]) == [f]


def test_police_check_30_days_before_sentence_counts() -> None:
    assert gaps(_da(police="2024-02-21", police_resp="2024-02-22"), "DA-CHECKS") == []


def test_police_check_31_days_before_sentence_does_not_count() -> None:
    f = one(gaps(_da(police="2024-02-20", police_resp="2024-02-22"), "DA-CHECKS"))
    assert _police([f]) == [f]
    assert f.date == d("2024-04-09")


def test_children_check_on_the_eleventh_working_day_after_start_is_a_gap() -> None:
    f = one(gaps(_da(children="2024-04-10", children_resp="2024-04-11"), "DA-CHECKS"))
    assert _children([f]) == [f]
    assert f.date == d("2024-04-09")


def test_the_other_check_codes_count() -> None:
    t = _da(police=None, police_resp=None, children=None, children_resp=None)
    t["contacts"] += [contact("P1", "2024-03-25", "C204"), contact("P2", "2024-03-26", "C515"),
                      contact("S1", "2024-03-25", "C158"), contact("S2", "2024-03-26", "SFRR")]
    assert gaps(t, "DA-CHECKS") == []


def test_police_response_on_the_twentieth_working_day_is_in_time() -> None:
    # Check on Mon 25 March 2024: 20 working days later (Easter skipped) is Wed 24 April.
    assert gaps(_da(police_resp="2024-04-24"), "DA-CHECKS") == []


def test_police_response_on_the_twenty_first_working_day_is_a_gap() -> None:
    f = one(gaps(_da(police_resp="2024-04-25"), "DA-CHECKS"))
    assert f.date == d("2024-04-24")
    assert set(f.evidence) == {"E1", "P1"}


def test_children_response_on_the_twenty_first_working_day_is_a_gap() -> None:
    f = one(gaps(_da(children_resp="2024-04-25"), "DA-CHECKS"))
    assert f.date == d("2024-04-24")
    assert set(f.evidence) == {"E1", "S1"}


def test_a_missing_response_is_not_judged_before_twenty_working_days() -> None:
    t = _da(police_resp=None)
    assert gaps(t, "DA-CHECKS", as_of=date(2024, 4, 23)) == []
    assert len(gaps(t, "DA-CHECKS", as_of=date(2024, 4, 24))) == 1


def test_missing_checks_are_not_judged_before_the_tenth_working_day() -> None:
    t = _da(police=None, police_resp=None, children=None, children_resp=None)
    assert gaps(t, "DA-CHECKS", as_of=date(2024, 4, 8)) == []
    assert len(gaps(t, "DA-CHECKS", as_of=date(2024, 4, 9))) == 2


def test_a_case_without_the_trigger_needs_no_checks() -> None:
    t = base_case()
    assert gaps(t, "DA-CHECKS") == []


def test_a_curfew_requirement_triggers_the_checks() -> None:
    t = base_case()
    t["events"][0]["requirements"] = "rar;Curfew"
    assert len(gaps(t, "DA-CHECKS")) == 2


def test_a_coercive_control_offence_triggers_the_checks() -> None:
    t = base_case()
    t["events"][0]["index_offence"] = "Controlling or COERCIVE behaviour (intimate partner)"
    assert len(gaps(t, "DA-CHECKS")) == 2


def test_an_advp_registration_on_the_last_day_of_the_period_triggers_the_checks() -> None:
    t = base_case()
    t["registrations"] = [registration("R1", "ADVP", "2024-04-09")]
    assert len(gaps(t, "DA-CHECKS")) == 2


def test_an_advp_registration_the_day_after_the_period_does_not_trigger_the_checks() -> None:
    t = base_case()
    t["registrations"] = [registration("R1", "ADVP", "2024-04-10")]
    assert gaps(t, "DA-CHECKS") == []


def test_a_child_registration_ended_on_the_first_day_of_the_period_does_not_trigger() -> None:
    t = base_case()
    t["registrations"] = [registration("R1", "RCPR", "2023-06-01", deregistered="2024-02-21")]
    assert gaps(t, "DA-CHECKS") == []


def test_a_child_registration_ended_the_day_after_the_period_began_triggers() -> None:
    t = base_case()
    t["registrations"] = [registration("R1", "RCPR", "2023-06-01", deregistered="2024-02-22")]
    assert len(gaps(t, "DA-CHECKS")) == 2


def test_both_checks_with_responses_are_recorded_as_good_practice() -> None:
    g = one(good(findings(_da(), "DA-CHECKS"), "P1", "S1"))
    assert g.kind == "good_practice"


def test_a_check_without_a_response_is_not_good_practice() -> None:
    assert good(findings(_da(children_resp=None), "DA-CHECKS"), "P1") == []


# -- HOME-VISIT -------------------------------------------------------------------------------

def test_home_visit_on_the_twentieth_working_day_is_not_a_gap() -> None:
    assert gaps(_da(visit="2024-04-23"), "HOME-VISIT") == []


def test_home_visit_on_the_twenty_first_working_day_is_a_gap() -> None:
    f = one(gaps(_da(visit="2024-04-24"), "HOME-VISIT"))
    assert f.date == d("2024-04-23")
    assert f.evidence == ("E1",)
    assert f.local_default is True


def test_a_home_visit_before_the_start_does_not_count() -> None:
    assert len(gaps(_da(visit="2024-03-21"), "HOME-VISIT")) == 1


def test_every_home_visit_code_counts() -> None:
    for code in ("CHVS", "COHV", "IOHV"):
        t = _da(visit=None)
        t["contacts"].append(contact("V1", "2024-04-23", code, "ATTC"))
        assert gaps(t, "HOME-VISIT") == [], code


def test_a_home_visit_is_not_judged_before_the_twentieth_working_day() -> None:
    t = _da(visit=None)
    assert gaps(t, "HOME-VISIT", as_of=date(2024, 4, 22)) == []
    assert len(gaps(t, "HOME-VISIT", as_of=date(2024, 4, 23))) == 1


def test_a_home_visit_after_as_of_does_not_count() -> None:
    t = _da(visit="2024-04-24")
    f = one(gaps(t, "HOME-VISIT", as_of=date(2024, 4, 23)))
    assert f.evidence == ("E1",)


def test_a_child_registration_on_the_twentieth_working_day_triggers_a_home_visit() -> None:
    t = base_case()
    t["registrations"] = [registration("R1", "RCPR", "2024-04-23")]
    assert len(gaps(t, "HOME-VISIT")) == 1


def test_a_child_registration_after_the_twentieth_working_day_does_not_trigger() -> None:
    t = base_case()
    t["registrations"] = [registration("R1", "RCPR", "2024-04-24")]
    assert gaps(t, "HOME-VISIT") == []


def test_a_home_visit_in_time_is_recorded_as_good_practice() -> None:
    g = one(good(findings(_da(visit="2024-04-23"), "HOME-VISIT"), "V1"))
    assert g.date == d("2024-04-23")


def test_a_late_home_visit_is_not_good_practice() -> None:
    assert good(findings(_da(visit="2024-04-24"), "HOME-VISIT"), "V1") == []
