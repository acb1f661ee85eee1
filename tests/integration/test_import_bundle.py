"""Importing whole bundles: everything checked, all problems at once, nothing partial."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfo.domain import records as rec
from sfo.errors import BundleInvalid
from sfo.importers import load_bundle
from tests.factories import csv_text, minimal_bundle_rows, write_bundle, zip_bundle

Tables = dict[str, list[dict[str, str]]]


def _problems(tmp_path: Path, tables: Tables, **kwargs: object) -> BundleInvalid:
    with pytest.raises(BundleInvalid) as err:
        load_bundle(write_bundle(tmp_path / "b", tables, **kwargs))  # type: ignore[arg-type]
    return err.value


def test_a_complete_bundle_gives_every_table_with_canonical_columns_and_dtypes(
        tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", minimal_bundle_rows())
    seen: list[str] = []
    records = load_bundle(bundle, progress=seen.append)
    assert records.supplied == frozenset(rec.TABLES)
    assert records.source == str(bundle)
    assert records.warnings == ()
    assert seen == [f"Reading {rec.TABLES[n].filename}" for n in rec.TABLE_ORDER]
    for name in rec.TABLE_ORDER:
        frame, empty = records.table(name), rec.empty_table(name)
        assert list(frame.columns) == list(empty.columns), name
        assert frame.dtypes.to_dict() == empty.dtypes.to_dict(), name
        assert frame["row"].tolist() == list(range(2, len(frame) + 2))
    assert records.contacts["record_id"].tolist() == ["C1001", "C1002", "C1003", "C1004"]
    assert records.allocations["record_id"].tolist() == [
        "allocations:2", "allocations:3", "allocations:4"]
    assert records.contacts["notes"].iloc[0] == (
        "Induction completed.\nLicence conditions explained.")
    assert pd.isna(records.contacts["outcome_code"].iloc[3])
    assert records.contacts["contact_date"].iloc[0] == pd.Timestamp("2024-01-10")


def test_a_missing_optional_file_is_not_supplied_and_an_empty_one_is(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    del tables["workload"]
    del tables["teams"]
    bundle = write_bundle(tmp_path / "b", tables,
                          raw={"teams.csv": b"team_code,month,establishment_fte,in_post_fte\r\n"})
    records = load_bundle(bundle)
    assert not records.has("workload")
    assert records.has("teams")
    pd.testing.assert_frame_equal(records.workload, rec.empty_table("workload"))
    assert len(records.teams) == 0
    assert records.teams.dtypes.to_dict() == rec.empty_table("teams").dtypes.to_dict()


def test_missing_required_files_are_reported(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    del tables["contacts"]
    err = _problems(tmp_path, tables)
    assert [str(p) for p in err.problems] == [
        "contacts.csv: is missing: a bundle needs people.csv and contacts.csv"]


def test_several_problems_in_several_files_are_reported_together(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][0]["contact_date"] = "2024-02-30"
    tables["contacts"][2]["crn"] = "X999999"
    tables["staff"][0]["grade"] = "BOSS"
    tables["allocations"][0]["allocated_to"] = "2023-12-01"
    tables["assessments"][0]["completed_date"] = "2024-01-02"
    tables["events"][1]["release_date"] = ""
    tables["registrations"][0]["deregistered_date"] = "2024-01-01"
    err = _problems(tmp_path, tables)
    assert err.total == 7
    assert sorted(str(p) for p in err.problems) == sorted([
        "contacts.csv, row 2, column 'contact_date': '2024-02-30' is not a valid date "
        "(expected YYYY-MM-DD or DD/MM/YYYY, one form per file)",
        "contacts.csv, row 4, column 'crn': 'X999999' is not in people.csv",
        "staff.csv, row 2, column 'grade': 'BOSS' is not one of: PSO, PQIP, PO, SPO, OTHER",
        "allocations.csv, row 2, column 'allocated_to': allocated_to 2023-12-01 is before "
        "allocated_from 2024-01-08, which is impossible",
        "assessments.csv, row 2, column 'completed_date': completed_date 2024-01-02 is before "
        "initiated_date 2024-01-10, which is impossible",
        "events.csv, row 3, column 'release_date': is empty, but a licence needs its "
        "release_date (the start of licence supervision)",
        "registrations.csv, row 2, column 'deregistered_date': deregistered_date 2024-01-01 "
        "is before registered_date 2024-01-09, which is impossible",
    ])
    assert "Nothing was imported" in str(err)


def test_duplicate_contact_id_names_both_rows(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][3]["contact_id"] = "C1002"
    err = _problems(tmp_path, tables)
    assert [str(p) for p in err.problems] == [
        "contacts.csv, row 5, column 'contact_id': contact_id 'C1002' is already in row 3; "
        "contact_id must be unique"]


def test_duplicate_composite_key_names_both_rows(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["workload"][1]["week_start"] = "2024-01-08"
    err = _problems(tmp_path, tables)
    assert [str(p) for p in err.problems] == [
        "workload.csv, row 3, column 'staff_code, week_start': staff_code 'N07A726', "
        "week_start '2024-01-08' is already in row 2; each combination of staff_code and "
        "week_start must be unique"]


def test_references_between_files_are_checked(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][0]["event_id"] = "E2"  # E2 belongs to X320742
    tables["allocations"][0]["staff_code"] = "N07Z999"
    tables["allocations"][1]["staff_code"] = "N07XYZU"  # unallocated: fine
    err = _problems(tmp_path, tables)
    assert [str(p) for p in err.problems] == [
        "contacts.csv, row 2, column 'event_id': event_id 'E2' is not an event of X320741 in "
        "events.csv",
        "allocations.csv, row 2, column 'staff_code': 'N07Z999' is not in staff.csv (only a "
        "code ending in U, meaning unallocated, may be missing from it)",
    ]


def test_event_ids_are_not_checked_without_events_csv(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    del tables["events"]
    tables["contacts"][0]["event_id"] = "E99"
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.contacts["event_id"].iloc[0] == "E99"


def test_other_staff_codes_missing_from_staff_csv_only_warn(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][0]["staff_code"] = "ADM0001"
    tables["contacts"][1]["staff_code"] = "ADM0001"
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.warnings == (
        "contacts.csv: 2 rows have a staff_code that is not in staff.csv (ADM0001); kept, as "
        "exports include administrative staff",)


def test_extra_columns_are_kept_after_the_contract_columns(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    for i, row in enumerate(tables["contacts"]):
        row["Local Ref"] = f"L{i}" if i != 2 else ""
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    frame = records.contacts
    assert list(frame.columns)[-1] == "Local Ref"
    assert frame["Local Ref"].dtype == rec.empty_table("contacts")["crn"].dtype
    assert frame["Local Ref"].tolist()[:2] == ["L0", "L1"]
    assert pd.isna(frame["Local Ref"].iloc[2])


def test_trailing_unnamed_empty_columns_are_dropped(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    del tables["staff"]
    text = csv_text(minimal_bundle_rows()["staff"]).replace("\r\n", ",,\r\n")
    records = load_bundle(write_bundle(tmp_path / "b", tables, raw={"staff.csv": text.encode()}))
    assert list(records.staff.columns) == list(rec.empty_table("staff").columns)


def test_an_unnamed_column_holding_values_is_an_error(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    del tables["staff"]
    header, *lines = csv_text(minimal_bundle_rows()["staff"]).splitlines()
    text = "\r\n".join([header + ","] + [line + ",x" for line in lines]) + "\r\n"
    err = _problems(tmp_path, tables, raw={"staff.csv": text.encode()})
    assert [str(p) for p in err.problems] == [
        "staff.csv, row 1: column 7 has no header but holds values; give it a name"]


def test_an_export_column_called_row_is_kept_under_another_name(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    for i, row in enumerate(tables["teams"]):
        row["row"] = str(100 + i)
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.teams["row"].tolist() == [2]
    assert records.teams["row_in_file"].tolist() == ["100"]
    assert records.warnings == (
        "teams.csv: the column 'row' was renamed 'row_in_file' (the importer adds its own "
        "'row')",)


def test_unknown_files_are_ignored_with_a_warning(tmp_path: Path) -> None:
    bundle = write_bundle(tmp_path / "b", minimal_bundle_rows(), raw={"notes.txt": b"hello"})
    assert load_bundle(bundle).warnings == (
        "notes.txt: file ignored (not part of the data contract)",)


def test_rows_are_counted_as_records_not_lines(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][0]["notes"] = "line one\nline two\nline three"
    tables["contacts"][2]["contact_time"] = "25:00"
    err = _problems(tmp_path, tables)
    assert [str(p) for p in err.problems] == [
        "contacts.csv, row 4, column 'contact_time': '25:00' is not a time (expected HH:MM, "
        "24-hour)"]


def test_a_row_with_the_wrong_number_of_fields_is_named_and_later_rows_keep_their_numbers(
        tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][3]["contact_time"] = "7pm"
    # Row 3 (C1002) gets two unquoted commas in its notes: 16 fields.
    text = csv_text(tables["contacts"]).replace('"Did not attend, no contact."',
                                                "Did not attend, no, contact.")
    del tables["contacts"]
    err = _problems(tmp_path, tables, raw={"contacts.csv": text.encode()})
    messages = [str(p) for p in err.problems]
    assert len(messages) == 2
    assert messages[0].startswith("contacts.csv, row 3: has 16 fields but the header has 14")
    assert messages[1] == ("contacts.csv, row 5, column 'contact_time': '7pm' is not a time "
                           "(expected HH:MM, 24-hour)")


def test_problems_stop_at_100_but_all_are_counted(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    base = tables["contacts"][0]
    tables["contacts"] = [dict(base, contact_id=f"C{i}", contact_time="late")
                          for i in range(150)]
    err = _problems(tmp_path, tables)
    assert len(err.problems) == 100
    assert err.total == 150
    assert "... and 50 more" in str(err)


def test_an_empty_file_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    del tables["staff"]
    err = _problems(tmp_path, tables, raw={"staff.csv": b""})
    assert [str(p) for p in err.problems] == [
        "staff.csv: the file is empty; it needs at least a header row"]


def test_a_missing_required_column_is_named(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    for row in tables["contacts"]:
        del row["type_code"]
    err = _problems(tmp_path, tables)
    assert len(err.problems) == 1
    assert err.problems[0].file == "contacts.csv"
    assert err.problems[0].column == "type_code"
    assert "the required column 'type_code' is missing" in err.problems[0].message


def test_a_zipped_excel_bundle_with_uk_dates_and_cp1252_is_read(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["people"][1]["name"] = "Renée O'Brien"
    for row in tables["people"]:
        row["date_of_birth"] = "/".join(reversed(row["date_of_birth"].split("-")))
    folder = write_bundle(tmp_path / "b", tables, encodings={"people": "cp1252"})
    records = load_bundle(zip_bundle(folder, tmp_path / "b.zip"))
    assert records.people["name"].iloc[1] == "Renée O'Brien"
    assert records.people["date_of_birth"].iloc[1] == pd.Timestamp("1985-11-30")
    assert len(records.warnings) == 1 and "Windows-1252" in records.warnings[0]


# ---------------------------------------------------------------- order independence


def _canonical(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    frame = frame.drop(columns=["row"])
    if rec.TABLES[name].id_column is not None:
        frame = frame.sort_values("record_id")
    else:
        frame = frame.drop(columns=["record_id"])
        frame = frame.sort_values(list(frame.columns))
    return frame.reset_index(drop=True)


def _richer_rows() -> Tables:
    tables = minimal_bundle_rows()
    tables["contacts"][3]["type_code"] = "ZZZ1"
    tables["contacts"].append(dict(tables["contacts"][0], contact_id="C1005", type_code="QQ9",
                                   contact_date="2024-03-01"))
    return tables


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_shuffling_the_rows_of_each_file_gives_the_same_records(data: st.DataObject) -> None:
    tables = _richer_rows()
    shuffled = {name: data.draw(st.permutations(rows), label=name)
                for name, rows in tables.items()}
    with tempfile.TemporaryDirectory() as tmp:
        first = load_bundle(write_bundle(Path(tmp) / "a", tables))
        second = load_bundle(write_bundle(Path(tmp) / "b", shuffled))
    assert sorted(first.warnings) == sorted(second.warnings)
    for name in rec.TABLE_ORDER:
        pd.testing.assert_frame_equal(_canonical(first.table(name), name),
                                      _canonical(second.table(name), name))
