"""Engine-wide behaviour: not-checked rules, as-of, the hindsight guard, local rule packs."""

from __future__ import annotations

from datetime import date

import pytest

from sfo.domain.rules.engine import RULE_IDS
from tests.unit.rules.conftest import (
    CRN,
    DEFAULT_PACK,
    STAFF,
    assessment,
    base_case,
    contact,
    d,
    gaps,
    of,
    one,
    only,
    registration,
    report,
    run,
    write_pack,
)


def _rich_case() -> dict:
    """A case that triggers most rules: DA, high risk, a junior practitioner, failures."""
    t = base_case()
    t["events"][0].update(index_offence="Assault (domestic abuse)", requirements="curfew;rar")
    t["contacts"] = [
        contact("C1", "2024-04-03", "COAI", "ATTC"),
        contact("C2", "2024-04-20", "COAP", "UAAB"),
        contact("C3", "2024-05-02", "COAP", "UAAB"),
        contact("C4", "2024-05-20", "COAP"),
        contact("K1", "2024-05-06", "CARR"),
    ]
    t["assessments"] = [assessment("A1", "2024-03-10", "HIGH"),
                        assessment("A2", "2024-05-10", "MEDIUM", rosh_children="HIGH")]
    t["registrations"] = [registration("R1", "ADVP", "2024-03-25"),
                          registration("R2", "RCCO", "2023-01-01", next_review="2024-01-01")]
    t["allocations"] = [{"crn": CRN, "staff_code": "N01UATU", "allocated_from": "2024-03-22",
                         "allocated_to": "2024-04-02"},
                        {"crn": CRN, "staff_code": STAFF, "allocated_from": "2024-04-02"}]
    t["staff"][0].update(grade="PSO", in_role_since="2023-12-01")
    t["workload"] = [{"staff_code": STAFF, "week_start": w, "capacity_pct": 120}
                     for w in ("2024-04-01", "2024-04-08", "2024-04-15", "2024-04-22")]
    t["training"] = [{"staff_code": STAFF, "course_code": "DA-SARA", "status": "not_available",
                      "status_date": "2024-02-01"}]
    t["supervision"] = [{"staff_code": STAFF, "supervision_date": "2024-03-01",
                         "kind": "formal"}]
    t["teams"] = [{"team_code": "N01T01", "month": "2024-04-01", "establishment_fte": 10,
                   "in_post_fte": 7}]
    return t


RICH_AS_OF = date(2024, 6, 10)


def _shape(found: list) -> list[tuple]:
    return sorted((f.rule_id, f.date, f.evidence, f.summary, f.kind, f.severity, f.known)
                  for f in found)


# -- every rule runs; each rule is unaffected by which others run ------------------------------

def test_the_rich_case_produces_a_gap_or_context_for_every_gap_and_context_rule() -> None:
    found = {f.rule_id for f in run(_rich_case(), RICH_AS_OF)}
    # Not RISK-INIT (assessed in time) nor RECALL-TIMELY (not a licence).
    assert set(RULE_IDS) - {"RISK-INIT", "RECALL-TIMELY"} <= found


def test_a_rule_gives_the_same_findings_whichever_other_rules_run() -> None:
    full = run(_rich_case(), RICH_AS_OF)
    half = len(RULE_IDS) // 2
    a = run(_rich_case(), RICH_AS_OF, pack=only(*RULE_IDS[:half]))
    b = run(_rich_case(), RICH_AS_OF, pack=only(*RULE_IDS[half:]))
    split = {x for x in _shape(a) + _shape(b)}
    assert set(_shape(full)) == split


def test_kind_and_severity_come_from_the_rule_pack() -> None:
    for f in run(_rich_case(), RICH_AS_OF):
        assert f.kind == DEFAULT_PACK.kind(f.rule_id)
        assert f.severity == DEFAULT_PACK.severity(f.rule_id)
        assert f.local_default == bool(DEFAULT_PACK.rules[f.rule_id].get("local"))


# -- nothing dated after as-of is looked at -----------------------------------------------------

def test_records_dated_after_as_of_change_nothing() -> None:
    before = run(_rich_case(), RICH_AS_OF)
    t = _rich_case()
    t["contacts"] += [contact("L1", "2024-06-11", "C002"), contact("L2", "2024-06-11", "AWLI"),
                      contact("L3", "2024-06-12", "COAP", "ATTC"),
                      contact("L4", "2024-06-12", "C369"), contact("L5", "2024-06-12", "RROD"),
                      contact("L6", "2024-06-11", "AIBR"), contact("L7", "2024-06-11", "CHVS")]
    t["assessments"].append(assessment("A9", "2024-06-11", "LOW"))
    t["registrations"].append(registration("R9", "RHRH", "2024-06-11"))
    t["allocations"].append({"crn": CRN, "staff_code": "N01P777",
                             "allocated_from": "2024-06-11"})
    t["staff"].append({"staff_code": "N01P777", "grade": "SPO", "in_role_since": "2010-01-01"})
    t["supervision"].append({"staff_code": STAFF, "supervision_date": "2024-06-11",
                             "kind": "formal"})
    t["events"].append({"crn": CRN, "event_id": "E9", "sentence_type": "community_order",
                        "sentence_date": "2024-06-11"})
    after = run(t, RICH_AS_OF)
    assert _shape(after) == _shape(before)


def test_a_training_record_dated_after_as_of_changes_nothing() -> None:
    before = of(run(_rich_case(), RICH_AS_OF, pack=only("CTX-TRAINING")), "CTX-TRAINING")
    t = _rich_case()
    t["training"].append({"staff_code": STAFF, "course_code": "ROSH-1", "status": "completed",
                          "status_date": "2024-06-11"})
    after = of(run(t, RICH_AS_OF, pack=only("CTX-TRAINING")), "CTX-TRAINING")
    assert _shape(after) == _shape(before)


def test_as_of_defaults_to_the_first_charge_contact() -> None:
    t = base_case()
    t["contacts"] = [contact("N1", "2024-04-05", "CNOC"), contact("N2", "2024-04-20", "CNOC"),
                     contact("C9", "2024-04-08", "COAI", "ATTC")]
    case = report(t, None, pack=only("FIRST-APPT"))
    assert case.as_of == d("2024-04-05")
    assert "N1" in case.as_of_source
    f = one(of(case.findings, "FIRST-APPT"))
    assert f.evidence == ("E1",)  # the appointment after the charge is not used


def test_as_of_given_by_the_user_wins_over_the_charge() -> None:
    t = base_case()
    t["contacts"].append(contact("N1", "2024-04-05", "CNOC"))
    case = report(t, date(2024, 4, 30), pack=only("FIRST-APPT"))
    assert case.as_of == d("2024-04-30")
    assert case.as_of_source == "given"


# -- rules whose file was not supplied ----------------------------------------------------------

MISSING = [
    ("events", "events.csv", ["ALLOC-TIMELY", "FIRST-APPT", "RISK-INIT", "RISK-REVIEW",
                              "DA-CHECKS", "HOME-VISIT", "CONTACT-FREQ", "RECALL-TIMELY",
                              "OVERSIGHT", "CTX-VACANCIES"]),
    ("allocations", "allocations.csv", ["ALLOC-TIMELY", "ALLOC-FIT", "OVERSIGHT", "CTX-WORKLOAD",
                                        "CTX-TRAINING", "CTX-EXPERIENCE", "CTX-SUPERVISION"]),
    ("staff", "staff.csv", ["ALLOC-FIT", "CTX-EXPERIENCE"]),
    ("assessments", "assessments.csv", ["RISK-INIT", "RISK-REVIEW", "RISK-CONSISTENCY"]),
    ("registrations", "registrations.csv", ["REG-REVIEW"]),
    ("workload", "workload.csv", ["CTX-WORKLOAD"]),
    ("training", "training.csv", ["CTX-TRAINING"]),
    ("supervision", "supervision.csv", ["CTX-SUPERVISION"]),
    ("teams", "teams.csv", ["CTX-VACANCIES"]),
]


@pytest.mark.parametrize(("table", "filename", "rules"), MISSING, ids=[m[0] for m in MISSING])
def test_a_rule_whose_file_is_not_supplied_is_listed_as_not_checked(
        table: str, filename: str, rules: list[str]) -> None:
    t = _rich_case()
    del t[table]
    case = report(t, RICH_AS_OF, pack=only(*rules))
    reasons = {n.rule_id: n.reason for n in case.not_checked}
    for rule in rules:
        assert rule in reasons, rule
        assert filename in reasons[rule], (rule, reasons[rule])
        assert of(case.findings, rule) == [], rule


def test_risk_profile_rules_need_assessments_or_registrations() -> None:
    t = _rich_case()
    del t["assessments"]
    del t["registrations"]
    case = report(t, RICH_AS_OF)
    reasons = {n.rule_id: n.reason for n in case.not_checked}
    for rule in ("ALLOC-FIT", "OVERSIGHT"):
        assert "assessments" in reasons[rule] and "registrations" in reasons[rule]
        assert of(case.findings, rule) == []


def test_a_profile_rule_runs_with_registrations_alone() -> None:
    t = _rich_case()
    del t["assessments"]
    case = report(t, RICH_AS_OF)
    assert "OVERSIGHT" not in {n.rule_id for n in case.not_checked}


def test_an_empty_but_supplied_file_is_checked() -> None:
    t = base_case()  # registrations supplied with no rows
    case = report(t, date(2024, 4, 30))
    assert "REG-REVIEW" not in {n.rule_id for n in case.not_checked}
    assert case.not_checked == ()


def test_contact_only_rules_run_without_an_events_file() -> None:
    t = _rich_case()
    del t["events"]
    case = report(t, RICH_AS_OF)
    checked_out = {n.rule_id for n in case.not_checked}
    assert "ENFORCEMENT" not in checked_out
    assert "OUTCOME-RECORDED" not in checked_out
    assert of(case.findings, "ENFORCEMENT")


# -- a local rule pack (`--rules FILE`) ---------------------------------------------------------

def _late_first_appt(day: str) -> dict:
    t = base_case()
    t["contacts"][0]["contact_date"] = day
    return t


def test_a_local_pack_can_allow_six_working_days_for_the_first_appointment(tmp_path) -> None:
    pack = write_pack(tmp_path, "[rules.FIRST-APPT]\nwithin_working_days = 6\n")
    assert pack.origin.endswith("local-rules.toml")
    assert gaps(_late_first_appt("2024-04-03"), "FIRST-APPT", pack=pack) == []
    f = one(gaps(_late_first_appt("2024-04-04"), "FIRST-APPT", pack=pack))
    assert f.date == d("2024-04-03")


def test_a_local_pack_can_require_four_working_days_for_the_first_appointment(tmp_path) -> None:
    # wd(Fri 22 March 2024, 4) = Thu 28 March.
    pack = write_pack(tmp_path, "[rules.FIRST-APPT]\nwithin_working_days = 4\n")
    assert gaps(_late_first_appt("2024-03-28"), "FIRST-APPT", pack=pack) == []
    f = one(gaps(_late_first_appt("2024-04-02"), "FIRST-APPT", pack=pack))
    assert f.date == d("2024-03-28")


def test_a_local_pack_changes_the_severity_reported(tmp_path) -> None:
    pack = write_pack(tmp_path, '[rules.FIRST-APPT]\nseverity = "high"\n')
    f = one(of(run(_late_first_appt("2024-04-03"), pack=pack), "FIRST-APPT"))
    assert f.severity == "high"
    assert f.kind == "gap"


def test_a_local_pack_can_switch_a_rule_off(tmp_path) -> None:
    pack = write_pack(tmp_path, "[rules.FIRST-APPT]\nenabled = false\n")
    case = report(_late_first_appt("2024-04-03"), pack=pack)
    assert of(case.findings, "FIRST-APPT") == []
    assert "FIRST-APPT" not in {n.rule_id for n in case.not_checked}


def test_a_local_pack_can_switch_good_practice_off(tmp_path) -> None:
    pack = write_pack(tmp_path, "[rules.GOOD-PRACTICE]\nenabled = false\n")
    assert of(run(base_case(), pack=pack), "GOOD-PRACTICE") == []
    assert of(run(base_case()), "GOOD-PRACTICE") != []


def test_a_local_pack_can_shorten_the_contact_limit(tmp_path) -> None:
    pack = write_pack(tmp_path, "[rules.CONTACT-FREQ]\nstandard_days = 21\n")
    t = base_case()  # C1 25 March, C2 19 April: 25 days apart
    f = one(gaps(t, "CONTACT-FREQ", pack=pack))
    assert f.date == d("2024-04-15")
    assert gaps(t, "CONTACT-FREQ") == []


# -- the hindsight guard ------------------------------------------------------------------------

def _known_case(second_assessment: str) -> dict:
    t = _late_first_appt("2024-04-03")  # FIRST-APPT gap dated 2 April
    t["assessments"] = [assessment("A1", "2024-03-20", "LOW"),
                        assessment("A2", second_assessment, "HIGH")]
    t["registrations"] = [registration("R1", "ADVP", "2024-03-25"),
                          registration("R2", "RCCO", "2024-04-03")]
    return t


def test_known_names_the_latest_assessment_on_or_before_the_finding_date_only() -> None:
    f = one(of(run(_known_case("2024-04-03"), pack=only("FIRST-APPT")), "FIRST-APPT"))
    text = " ".join(f.known)
    assert "A1" in text and "20 March 2024" in text
    assert "A2" not in text


def test_known_includes_an_assessment_completed_on_the_finding_date() -> None:
    f = one(of(run(_known_case("2024-04-02"), pack=only("FIRST-APPT")), "FIRST-APPT"))
    text = " ".join(f.known)
    assert "A2" in text
    assert "A1" not in text


def test_known_lists_registrations_active_on_the_finding_date_only() -> None:
    f = one(of(run(_known_case("2024-04-03"), pack=only("FIRST-APPT")), "FIRST-APPT"))
    text = " ".join(f.known)
    assert "ADVP" in text
    assert "RCCO" not in text


def test_known_names_the_practitioner_holding_the_case() -> None:
    f = one(of(run(_known_case("2024-04-03"), pack=only("FIRST-APPT")), "FIRST-APPT"))
    assert any(STAFF in k for k in f.known)


def test_known_says_when_no_assessment_was_recorded_by_the_finding_date() -> None:
    t = _late_first_appt("2024-04-03")
    t["assessments"] = [assessment("A1", "2024-04-03", "LOW")]
    f = one(of(run(t, pack=only("FIRST-APPT")), "FIRST-APPT"))
    assert "A1" not in " ".join(f.known)
    assert any("No completed risk assessment" in k for k in f.known)
