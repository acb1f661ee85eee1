"""Dates: ISO or UK, one form per file; months; invalid and ambiguous dates named precisely."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sfo.domain.records import CaseRecords
from sfo.errors import BundleInvalid
from sfo.importers import load_bundle
from tests.factories import minimal_bundle_rows, write_bundle


def _load(tmp_path: Path, tables: dict[str, list[dict[str, str]]]) -> CaseRecords:
    return load_bundle(write_bundle(tmp_path / "b", tables))


def _problems(tmp_path: Path, tables: dict[str, list[dict[str, str]]]) -> list[str]:
    with pytest.raises(BundleInvalid) as err:
        _load(tmp_path, tables)
    return [str(p) for p in err.value.problems]


def _uk(value: str) -> str:
    return "/".join(reversed(value.split("-"))) if value else ""


def test_uk_dates_file_is_read(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    for row in tables["contacts"]:
        row["contact_date"] = _uk(row["contact_date"])
    records = _load(tmp_path, tables)
    assert records.contacts["contact_date"].iloc[0] == pd.Timestamp("2024-01-10")
    assert str(records.contacts["contact_date"].dtype) == "datetime64[ns]"


def test_uk_and_iso_files_can_sit_in_one_bundle(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    for row in tables["events"]:
        for col in ("sentence_date", "release_date", "expected_end_date"):
            row[col] = _uk(row[col])
    records = _load(tmp_path, tables)
    assert records.events["release_date"].iloc[1] == pd.Timestamp("2024-02-05")


def test_mixed_date_forms_in_one_file_are_refused_naming_the_row(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][2]["contact_date"] = "05/02/2024"
    assert _problems(tmp_path, tables) == [
        "contacts.csv, row 4, column 'contact_date': '05/02/2024' is written DD/MM/YYYY but "
        "this file uses YYYY-MM-DD (decided by row 2, column 'contact_date'); use one date "
        "form per file"
    ]


def test_form_is_decided_across_the_date_columns_of_a_file(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["events"][1]["release_date"] = "05/02/2024"
    problems = _problems(tmp_path, tables)
    assert len(problems) == 1
    assert problems[0].startswith("events.csv, row 3, column 'release_date': '05/02/2024'")


@pytest.mark.parametrize("value", ["31/02/2024", "3/4/24", "2024-02-30", "2024-13-01",
                                   "2024/01/10", "10 Jan 2024", "0000-01-01"])
def test_invalid_or_ambiguous_date_is_an_error_naming_file_row_and_column(
        tmp_path: Path, value: str) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][1]["contact_date"] = value
    assert _problems(tmp_path, tables) == [
        f"contacts.csv, row 3, column 'contact_date': {value!r} is not a valid date "
        "(expected YYYY-MM-DD or DD/MM/YYYY, one form per file)"
    ]


def test_impossible_uk_date_in_a_uk_file_is_invalid(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    for row in tables["contacts"]:
        row["contact_date"] = _uk(row["contact_date"])
    tables["contacts"][3]["contact_date"] = "31/02/2024"
    assert _problems(tmp_path, tables) == [
        "contacts.csv, row 5, column 'contact_date': '31/02/2024' is not a valid date "
        "(expected YYYY-MM-DD or DD/MM/YYYY, one form per file)"
    ]


def test_leap_day_is_a_real_date(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][1]["contact_date"] = "2024-02-29"
    assert _load(tmp_path, tables).contacts["contact_date"].iloc[1] == pd.Timestamp("2024-02-29")


def test_empty_required_date_is_an_error(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][0]["contact_date"] = ""
    assert _problems(tmp_path, tables) == [
        "contacts.csv, row 2, column 'contact_date': is empty, but a value is required"
    ]


@pytest.mark.parametrize(("value", "first"), [("2024-03", "2024-03-01"),
                                               ("2024-03-17", "2024-03-01")])
def test_month_takes_year_month_or_a_date_and_keeps_the_first_of_the_month(
        tmp_path: Path, value: str, first: str) -> None:
    tables = minimal_bundle_rows()
    tables["teams"][0]["month"] = value
    assert _load(tmp_path, tables).teams["month"].iloc[0] == pd.Timestamp(first)


def test_uk_month_in_a_uk_file(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["teams"][0]["month"] = "17/03/2024"
    assert _load(tmp_path, tables).teams["month"].iloc[0] == pd.Timestamp("2024-03-01")
