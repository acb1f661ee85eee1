"""Identifiers, times and numbers: normalised, or refused naming the cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfo.errors import BundleInvalid
from sfo.importers import load_bundle
from tests.factories import minimal_bundle_rows, write_bundle


def _problems(tmp_path: Path, tables: dict[str, list[dict[str, str]]]) -> list[str]:
    with pytest.raises(BundleInvalid) as err:
        load_bundle(write_bundle(tmp_path / "b", tables))
    return [str(p) for p in err.value.problems]


def test_identifiers_are_trimmed_and_upper_cased(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["people"][0]["crn"] = " x320741 "
    tables["contacts"][0]["staff_code"] = "n07a726"
    tables["contacts"][0]["team_code"] = "n07uat "
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.people["crn"].iloc[0] == "X320741"
    assert records.people["record_id"].iloc[0] == "X320741"
    assert records.contacts["staff_code"].iloc[0] == "N07A726"
    assert records.contacts["team_code"].iloc[0] == "N07UAT"


@pytest.mark.parametrize(("table", "column", "value", "expected"), [
    ("people", "crn", "X32074",
     "'X32074' is not a CRN (expected a letter and six digits, e.g. X320741)"),
    ("contacts", "staff_code", "N07A72",
     "'N07A72' is not a staff code (expected 7 letters or digits, e.g. N07A726)"),
    ("people", "team_code", "N07-AT",
     "'N07-AT' is not a team code (expected 6 letters or digits, e.g. N07UAT)"),
    ("contacts", "contact_time", "9:30", "'9:30' is not a time (expected HH:MM, 24-hour)"),
    ("contacts", "contact_time", "24:00", "'24:00' is not a time (expected HH:MM, 24-hour)"),
    ("workload", "capacity_pct", "high", "capacity_pct: 'high' is not a number"),
    ("workload", "caseload_count", "-3",
     "caseload_count: '-3' is negative, which is impossible here"),
])
def test_bad_values_are_errors_naming_the_cell(tmp_path: Path, table: str, column: str,
                                               value: str, expected: str) -> None:
    tables = minimal_bundle_rows()
    tables[table][1][column] = value
    problems = _problems(tmp_path, tables)
    assert problems[0] == f"{table}.csv, row 3, column '{column}': {expected}"


def test_numbers_are_floats_and_empty_is_nan(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["workload"][0]["capacity_pct"] = " 1.125e2"
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.workload["capacity_pct"].tolist() == [112.5, 118.0]
    assert records.staff["contracted_hours"].isna().tolist() == [False, False, True]


def test_zero_establishment_is_an_error(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["teams"][0]["establishment_fte"] = "0"
    assert _problems(tmp_path, tables) == [
        "teams.csv, row 2, column 'establishment_fte': is 0, so the share of posts filled "
        "cannot be worked out; give the funded establishment"
    ]


def test_empty_required_value_is_an_error(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["training"][0]["course_code"] = ""
    tables["contacts"][0]["type_code"] = "  "
    assert _problems(tmp_path, tables) == [
        "contacts.csv, row 2, column 'type_code': is empty, but a value is required",
        "training.csv, row 2, column 'course_code': is empty, but a value is required",
    ]
