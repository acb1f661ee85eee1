"""The Timeline page's data: lanes, spells, workload, findings and exports of one person."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd
import pytest

from sfo.errors import NotFound
from sfo.services import analysis, chronology
from tests.case_builder import build_records

CRN = "X320741"
OTHER = "Y100200"


def records(**extra):
    tables = {
        "people": [{"crn": CRN, "name": "Alex Example"}, {"crn": OTHER}],
        "events": [{"crn": CRN, "event_id": "E1", "sentence_type": "community_order",
                    "sentence_date": "2024-01-08", "expected_end_date": "2025-01-07",
                    "index_offence": "Assault (domestic)"}],
        "contacts": [
            {"contact_id": "C1", "crn": CRN, "contact_date": "2024-01-10",
             "contact_time": "10:00", "type_code": "COAI", "outcome_code": "ATTC"},
            {"contact_id": "C2", "crn": CRN, "contact_date": "2024-01-17", "type_code": "COAP",
             "outcome_code": "UAAB", "enforcement_code": "EA02"},
            {"contact_id": "C3", "crn": CRN, "contact_date": "2024-01-19", "type_code": "AWLI"},
            {"contact_id": "C4", "crn": CRN, "contact_date": "2024-01-24", "type_code": "COAP",
             "outcome_code": "AFTC"},
            {"contact_id": "C5", "crn": CRN, "contact_date": "2024-01-31", "type_code": "COAP",
             "outcome_code": "AAME"},
            {"contact_id": "C6", "crn": CRN, "contact_date": "2024-02-07", "type_code": "COAP",
             "outcome_code": "RSSR"},
            {"contact_id": "C7", "crn": CRN, "contact_date": "2024-02-14", "type_code": "COPT"},
            {"contact_id": "C8", "crn": CRN, "contact_date": "2024-02-21", "type_code": "COAP",
             "outcome_code": "ZZZZ"},
            {"contact_id": "C9", "crn": CRN, "contact_date": "2024-01-09", "type_code": "C369",
             "notes": "Police check requested."},
            {"contact_id": "C10", "crn": CRN, "contact_date": "2024-03-01", "type_code": "C286"},
            {"contact_id": "C11", "crn": CRN, "contact_date": "2024-04-02", "type_code": "CNOC",
             "notes": "Charged."},
            {"contact_id": "C12", "crn": CRN, "contact_date": "2024-05-01", "type_code": "COAP",
             "outcome_code": "ATTC"},
            {"contact_id": "C99", "crn": OTHER, "contact_date": "2024-01-11",
             "type_code": "COAP"},
        ],
        "assessments": [
            {"assessment_id": "A1", "crn": CRN, "assessment_type": "OASYS_LAYER3",
             "initiated_date": "2024-01-10", "completed_date": "2024-01-20",
             "status": "COMPLETE", "rosh_overall": "HIGH"},
            {"assessment_id": "A2", "crn": CRN, "assessment_type": "OASYS_LAYER3",
             "initiated_date": "2024-02-20", "completed_date": "2024-03-01",
             "status": "COMPLETE", "rosh_overall": "MEDIUM"},
            {"assessment_id": "A3", "crn": CRN, "assessment_type": "OASYS_LAYER3",
             "initiated_date": "2024-03-20", "status": "IN_PROGRESS"},
        ],
        "registrations": [
            {"registration_id": "R1", "crn": CRN, "type_code": "ADVP",
             "registered_date": "2024-01-09", "deregistered_date": "2024-03-15"},
            {"registration_id": "R2", "crn": CRN, "type_code": "MAPP", "level": "M2",
             "registered_date": "2024-02-01"},
            {"registration_id": "R3", "crn": CRN, "type_code": "RCCO",
             "registered_date": "2024-04-20"},
        ],
        "allocations": [
            {"crn": CRN, "staff_code": "N07UATU", "allocated_from": "2024-01-08",
             "allocated_to": "2024-01-09"},
            {"crn": CRN, "staff_code": "N07A726", "allocated_from": "2024-01-10",
             "allocated_to": "2024-02-29"},
            # nobody holds the case from 1 to 10 March: an unallocated gap
            {"crn": CRN, "staff_code": "N07B101", "allocated_from": "2024-03-11"},
        ],
        "staff": [{"staff_code": "N07A726", "grade": "PO"},
                  {"staff_code": "N07B101", "grade": "PSO"}],
        "workload": [
            {"staff_code": "N07A726", "week_start": "2024-01-08", "capacity_pct": 104,
             "caseload_count": 60},
            {"staff_code": "N07A726", "week_start": "2024-01-15", "capacity_pct": 121,
             "caseload_count": 66},
            {"staff_code": "N07B101", "week_start": "2024-03-11", "capacity_pct": 95},
            {"staff_code": "N07B101", "week_start": "2024-04-15", "capacity_pct": 130},
        ],
        "supervision": [{"staff_code": "N07A726", "supervision_date": "2024-01-30",
                         "kind": "formal"}],
        "training": [{"staff_code": "N07A726", "course_code": "DA-SARA",
                      "course_title": "Domestic abuse", "status": "completed",
                      "status_date": "2021-03-02"}],
    }
    tables.update(extra)
    return build_records(tables)


@pytest.fixture(scope="module")
def data():
    return chronology.lanes(records(), CRN)


def lane_of(frame: pd.DataFrame, record_id: str) -> str:
    return str(frame.loc[frame["record_id"] == record_id, "lane"].iloc[0])


def test_known_on_defaults_to_the_date_of_the_charge(data):
    assert data.as_of == date(2024, 4, 2)
    assert data.known_on == data.as_of
    assert data.as_of_source != "today"


def test_each_entry_is_drawn_in_its_lane(data):
    p = data.points
    assert lane_of(p, "C1") == chronology.APPOINTMENTS
    assert lane_of(p, "C7") == chronology.APPOINTMENTS   # telephone appointment
    assert lane_of(p, "C3") == chronology.ENFORCEMENT    # warning letter
    assert lane_of(p, "C10") == chronology.ENFORCEMENT   # recommendation to recall
    assert lane_of(p, "C9") == chronology.OTHER_CONTACTS  # police check
    assert lane_of(p, "E1") == chronology.SENTENCE
    assert lane_of(p, "A1") == chronology.ASSESSMENTS
    assert lane_of(p, "R1") == chronology.REGISTRATIONS
    assert lane_of(p, "supervision:2") == chronology.WORKING
    assert lane_of(p, "training:2") == chronology.WORKING


def test_allocations_are_spells_and_workload_its_own_panel_not_points(data):
    assert not data.points["lane"].isin([chronology.ALLOCATION, chronology.WORKLOAD]).any()
    assert set(data.table["lane"]) >= {chronology.ALLOCATION, chronology.WORKLOAD}


def test_only_the_person_asked_for_is_shown(data):
    assert "C99" not in set(data.table["record_id"])


def test_appointments_are_grouped_by_outcome_in_plain_words(data):
    groups = dict(zip(data.points["record_id"], data.points["group"], strict=True))
    assert groups["C1"] == "attended"
    assert groups["C2"] == "missed (unacceptable)"
    assert groups["C4"] == "failed to comply"
    assert groups["C5"] == "missed (acceptable)"
    assert groups["C6"] == "rescheduled"
    assert groups["C7"] == "no outcome recorded"
    assert groups["C8"] == "other outcome"
    assert groups["C9"] == chronology.OTHER_RECORD       # not an appointment
    assert set(groups.values()) <= {*chronology.OUTCOME_GROUPS, chronology.OTHER_RECORD}


def test_outcome_groups_cover_every_acceptable_absence_code():
    codes = pd.Series(["AAAA", "AACL", "AASD", "CO05", "afta", " ATSH ", None])
    assert list(chronology.outcome_groups(codes)) == [
        "missed (acceptable)", "missed (acceptable)", "missed (acceptable)",
        "missed (acceptable)", "missed (unacceptable)", "failed to comply",
        "no outcome recorded"]


def test_nothing_recorded_after_the_known_on_date_is_shown(data):
    cut = pd.Timestamp(data.known_on)
    assert data.table["date"].max() <= cut
    assert data.points["date"].max() <= cut
    assert "C12" not in set(data.table["record_id"])      # the May appointment
    assert "R3" not in set(data.spans["record_id"])       # registered after the charge
    # C12, R3's registration and N07B101's workload week of 15 April
    assert data.hidden == 3
    assert data.total == len(data.table) + 3


def test_an_earlier_known_on_date_hides_more_and_cuts_the_spells_there():
    early = chronology.lanes(records(), CRN, known_on=date(2024, 2, 10))
    cut = pd.Timestamp("2024-02-10")
    assert early.known_on == date(2024, 2, 10)
    assert early.table["date"].max() <= cut
    assert early.spans["end"].max() == cut
    assert early.spans["start"].max() <= cut
    later = chronology.lanes(records(), CRN)
    assert early.hidden > later.hidden
    advp = early.spans[early.spans["record_id"] == "R1"].iloc[0]
    assert advp["end"] == cut and advp["open"]            # deregistered only in March
    assert "A2" not in set(early.spans["record_id"])      # completed on 1 March


def test_a_spell_that_ended_before_the_known_on_date_keeps_its_end(data):
    advp = data.spans[data.spans["record_id"] == "R1"].iloc[0]
    assert advp["end"] == pd.Timestamp("2024-03-15")
    assert not advp["open"]
    assert advp["to_text"] == "15 March 2024"


def test_unallocated_spells_are_shown_whether_recorded_or_a_gap(data):
    alloc = data.spans[data.spans["lane"] == chronology.ALLOCATION]
    gaps = alloc[alloc["kind"] == "unallocated"]
    assert list(zip(gaps["start"].dt.date, gaps["end"].dt.date, strict=True)) == [
        (date(2024, 1, 8), date(2024, 1, 9)), (date(2024, 3, 1), date(2024, 3, 10))]
    assert set(gaps["label"]) == {"Unallocated"}
    named = alloc[alloc["kind"] == "allocated"]
    assert list(named["label"]) == ["N07A726, probation officer",
                                    "N07B101, probation services officer"]
    assert named.iloc[-1]["open"]                          # still held on the known-on date


def test_rosh_levels_run_from_each_completed_assessment_to_the_next(data):
    rosh = data.spans[data.spans["lane"] == chronology.ASSESSMENTS]
    assert list(rosh["kind"]) == ["RoSH high", "RoSH medium"]     # not the one in progress
    assert rosh.iloc[0]["end"] == pd.Timestamp("2024-03-01")
    assert rosh.iloc[1]["end"] == pd.Timestamp(data.known_on)


def test_registrations_say_what_they_are_and_sit_side_by_side(data):
    regs = data.spans[data.spans["lane"] == chronology.REGISTRATIONS]
    assert set(regs["track"]) == {"ADVP", "MAPP"}
    assert "MAPP M2 (mappa)" in set(regs["label"])
    assert "Domestic abuse perpetrator" in set(regs["detail"])


def test_workload_is_the_holders_weeks_with_the_110_percent_limit_marked(data):
    w = data.workload
    assert list(w["staff_code"]) == ["N07A726", "N07A726", "N07B101"]  # April is hidden
    assert list(w["over_limit"]) == [False, True, False]
    assert list(w["capacity_pct"]) == [104.0, 121.0, 95.0]


def test_findings_are_the_rules_findings_as_of_the_known_on_date(data):
    expected = analysis.findings_for(records(), crn=CRN, as_of=data.known_on).cases[0]
    dated = [f for f in expected.findings if f.date is not None]
    assert len(data.findings) == len(dated)
    assert set(data.findings["rule_id"]) == {f.rule_id for f in dated}
    assert data.findings["date"].max() <= pd.Timestamp(data.known_on)
    assert set(data.findings["kind_label"]) <= {"gap in practice", "working context",
                                                "good practice"}
    early = chronology.lanes(records(), CRN, known_on=date(2024, 1, 25))
    assert early.findings["date"].max() <= pd.Timestamp("2024-01-25")


def test_filters_keep_only_the_lanes_and_kinds_chosen(data):
    only = chronology.filtered(data, lanes=[chronology.APPOINTMENTS, chronology.FINDINGS])
    assert set(only.points["lane"]) == {chronology.APPOINTMENTS}
    assert set(only.table["lane"]) == {chronology.APPOINTMENTS}
    assert only.spans.empty and only.workload.empty
    assert len(only.findings) == len(data.findings)
    police = chronology.filtered(data, categories=["police"])
    assert set(police.table["record_id"]) == {"C9", "C11"}
    assert police.findings.equals(data.findings)
    assert police.workload.empty
    assert chronology.filtered(data).table.equals(data.table)


def test_a_person_with_nothing_recorded_is_empty():
    bare = chronology.lanes(records(), OTHER, known_on=date(2023, 12, 1))
    assert bare.table.empty and bare.points.empty and bare.spans.empty
    assert bare.hidden == 1 and not bare.empty
    nobody = build_records({"people": [{"crn": CRN}], "contacts": []})
    assert chronology.lanes(nobody, CRN).empty


def test_an_unknown_person_is_not_found():
    with pytest.raises(NotFound):
        chronology.lanes(records(), "Z999999")


RISKY = ["=SUM(1)", "+44 20 7946 0000", "-1", "@cmd", "\tTab", "plain"]


def risky_table() -> pd.DataFrame:
    return pd.DataFrame({"date": pd.to_datetime(["2024-01-10"] * len(RISKY)),
                         "title": RISKY, "detail": ["bell \x07 in notes"] * len(RISKY),
                         "sensitive": [True, False, False, False, False, False]})


def test_csv_export_neutralises_anything_a_spreadsheet_would_run():
    text = chronology.export_csv(risky_table()).decode("utf-8-sig")
    rows = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(rows.columns) == ["Date", "What was recorded", "Detail", "Sensitive"]
    assert list(rows["What was recorded"]) == ["'=SUM(1)", "'+44 20 7946 0000", "'-1",
                                               "'@cmd", "'\tTab", "plain"]
    assert rows["Date"].iloc[0] == "2024-01-10"
    assert list(rows["Sensitive"]) == ["yes", "", "", "", "", ""]


def test_xlsx_export_holds_text_only_never_a_formula():
    book = openpyxl.load_workbook(io.BytesIO(chronology.export_xlsx(risky_table())))
    sheet = book["Chronology"]
    cells = [c for row in sheet.iter_rows() for c in row]
    assert all(c.data_type == "s" for c in cells if c.value is not None)
    titles = [sheet.cell(row=r, column=2).value for r in range(2, len(RISKY) + 2)]
    assert titles == ["'=SUM(1)", "'+44 20 7946 0000", "'-1", "'@cmd", "'\tTab", "plain"]
    assert sheet.cell(row=2, column=3).value == "bell  in notes"  # control character dropped


def test_the_column_wise_neutralising_agrees_with_safe_cell_cell_by_cell():
    from sfo.documents import exports

    values = [*RISKY, "\rreturn", "", "1=1", "'quoted", "-", "=", "@"]
    frame = pd.DataFrame({"text": values})
    assert list(exports.safe_frame(frame)["text"]) == [exports.safe_cell(v) for v in values]


def test_the_chronology_table_exports_with_readable_headings(data):
    text = chronology.export_csv(data.table).decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(chronology.TABLE_HEADINGS[c]
                                            for c in chronology.TABLE_COLUMNS)
    assert len(pd.read_csv(io.StringIO(text))) == len(data.table)


def test_the_public_api_is_listed_and_sorted():
    defined = {n for n, v in vars(chronology).items() if not n.startswith("_")
               and getattr(v, "__module__", None) == chronology.__name__}
    assert defined <= set(chronology.__all__)
    assert all(hasattr(chronology, n) for n in chronology.__all__)
    assert chronology.__all__ == sorted(chronology.__all__, key=lambda n: (
        not n.isupper(), not n[0].isupper(), n))
