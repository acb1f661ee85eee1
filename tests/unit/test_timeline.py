"""The chronology: ordered, de-duplicated, with episodes, spells and known-on."""

from __future__ import annotations

from datetime import date

import pandas as pd

from sfo.domain import timeline as tl
from tests.case_builder import build_records

CRN = "X320741"


def records(**extra):
    tables = {
        "people": [{"crn": CRN}, {"crn": "Y100200"}],
        "events": [{"crn": CRN, "event_id": "E1", "sentence_type": "licence",
                    "sentence_date": "2023-06-01", "release_date": "2024-01-08",
                    "index_offence": "Robbery"}],
        "contacts": [
            {"contact_id": "C3", "crn": CRN, "contact_date": "2024-01-09", "contact_time": "14:00",
             "type_code": "COAP", "outcome_code": "ATTC", "notes": "Attended."},
            {"contact_id": "C1", "crn": CRN, "contact_date": "2024-01-08", "contact_time": "10:00",
             "type_code": "COAI", "outcome_code": "UAAB", "notes": "Did not attend."},
            {"contact_id": "C2", "crn": CRN, "contact_date": "2024-01-08", "contact_time": "16:30",
             "type_code": "C286", "notes": "Recall recommended."},
            # the same contact exported twice under a second id
            {"contact_id": "C2b", "crn": CRN, "contact_date": "2024-01-08",
             "contact_time": "16:30", "type_code": "C286", "notes": "Recall recommended."},
            {"contact_id": "C9", "crn": "Y100200", "contact_date": "2024-01-01",
             "type_code": "COAP"},
        ],
        "assessments": [{"assessment_id": "A1", "crn": CRN, "assessment_type": "OASYS_LAYER3",
                         "initiated_date": "2023-12-01", "completed_date": "2023-12-20",
                         "status": "COMPLETE", "rosh_overall": "HIGH"}],
        "registrations": [{"registration_id": "R1", "crn": CRN, "type_code": "MAPP",
                           "registered_date": "2024-01-02", "level": "M2",
                           "deregistered_date": "2024-03-01"}],
        "allocations": [
            {"crn": CRN, "staff_code": "N07A726", "allocated_from": "2023-12-01",
             "allocated_to": "2024-01-31"},
            {"crn": CRN, "staff_code": "N07UATU", "allocated_from": "2024-02-01",
             "allocated_to": "2024-02-14"},
            {"crn": CRN, "staff_code": "N07B112", "allocated_from": "2024-02-20"},
        ],
        "staff": [{"staff_code": "N07A726", "grade": "PO"},
                  {"staff_code": "N07B112", "grade": "PSO"}],
        "workload": [{"staff_code": "N07A726", "week_start": "2024-01-01", "capacity_pct": 121,
                      "caseload_count": 88},
                     {"staff_code": "N07A726", "week_start": "2024-03-04", "capacity_pct": 99}],
        "supervision": [{"staff_code": "N07A726", "supervision_date": "2024-01-15",
                         "kind": "formal"}],
    }
    tables.update(extra)
    return build_records(tables)


def test_entries_are_ordered_by_date_then_time_across_sources():
    t = tl.build_timeline(records(), [CRN])
    stamps = list(zip(t["date"], t["time"].fillna(""), strict=True))
    assert stamps == sorted(stamps)
    same_day = t[t["date"] == pd.Timestamp("2024-01-08")]
    assert next(iter(same_day["source"])) == "event"  # the release before what follows it
    assert list(same_day.loc[same_day["source"] == "contact", "record_id"]) == ["C1", "C2"]


def test_a_contact_exported_twice_appears_once():
    t = tl.build_timeline(records(), [CRN])
    assert "C2" in set(t["record_id"])
    assert "C2b" not in set(t["record_id"])


def test_only_the_people_asked_for_are_included():
    t = tl.build_timeline(records(), [CRN])
    assert set(t["crn"]) == {CRN}
    assert "C9" not in set(t["record_id"])


def test_every_source_contributes_entries():
    t = tl.build_timeline(records(), [CRN])
    assert {"contact", "event", "assessment", "registration", "allocation", "workload",
            "supervision"} <= set(t["source"])
    titles = set(t["title"])
    assert "Released from custody: supervision on licence begins" in titles
    assert "Registered: MAPP M2" in titles
    assert "Deregistered: MAPP" in titles
    assert "Unallocated (N07UATU)" in titles


def test_working_context_is_limited_to_the_practitioners_spell():
    t = tl.build_timeline(records(), [CRN])
    weeks = t[t["source"] == "workload"]
    # N07A726 held the case until 31 January; the March week is not theirs for this case.
    assert list(weeks["date"]) == [pd.Timestamp("2024-01-01")]
    assert "121% capacity, caseload 88" in weeks["detail"].iloc[0]


def test_known_on_keeps_only_what_was_recorded_by_that_date():
    t = tl.build_timeline(records(), [CRN])
    known = tl.known_on(t, date(2024, 1, 8))
    assert known["date"].max() == pd.Timestamp("2024-01-08")
    assert "C3" not in set(known["record_id"])
    assert "C1" in set(known["record_id"])


def test_licence_episode_starts_on_release():
    ep = tl.episodes(records(), CRN)
    assert ep.loc[0, "start"] == pd.Timestamp("2024-01-08")
    assert ep.loc[0, "sentence_type"] == "licence"


def test_allocation_spells_include_explicit_and_implied_unallocated_spells():
    spells = tl.allocation_spells(records(), CRN, until=date(2024, 3, 1))
    assert list(spells["allocated"]) == [True, False, False, True]
    gap = spells.iloc[2]
    assert gap["from"] == pd.Timestamp("2024-02-15")
    assert gap["to"] == pd.Timestamp("2024-02-19")
    assert spells.iloc[3]["to"] == pd.Timestamp("2024-03-01")


def test_an_empty_bundle_gives_an_empty_timeline_with_the_columns():
    empty = build_records({"people": [{"crn": CRN}], "contacts": []})
    t = tl.build_timeline(empty)
    assert t.empty
    assert list(t.columns) == tl.TIMELINE_COLUMNS


def test_a_repeat_is_found_even_with_another_contact_at_the_same_time_between():
    extra = [
        {"contact_id": "D1", "crn": CRN, "contact_date": "2024-02-05", "contact_time": "09:00",
         "type_code": "COAP", "outcome_code": "ATTC", "notes": "Seen."},
        {"contact_id": "D2", "crn": CRN, "contact_date": "2024-02-05", "contact_time": "09:00",
         "type_code": "C002", "notes": "Manager reviewed."},
        {"contact_id": "D3", "crn": CRN, "contact_date": "2024-02-05", "contact_time": "09:00",
         "type_code": "COAP", "outcome_code": "ATTC", "notes": "Seen."},
        # same everything but the notes: not a repeat
        {"contact_id": "D4", "crn": CRN, "contact_date": "2024-02-05", "contact_time": "09:00",
         "type_code": "COAP", "outcome_code": "ATTC", "notes": "Seem."},
    ]
    base = records()
    rows = base.table("contacts")
    more = build_records({"people": [{"crn": CRN}], "contacts": extra}).table("contacts")
    tables = dict(base.tables)
    tables["contacts"] = pd.concat([rows, more], ignore_index=True)
    t = tl.build_timeline(type(base)(tables, base.supplied), [CRN])
    ids = set(t["record_id"])
    assert {"D1", "D2", "D4"} <= ids
    assert "D3" not in ids
