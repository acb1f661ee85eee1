"""Booleans: Y/N, true/false, 1/0 in any case; national_standard defaults from the code list."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfo.errors import BundleInvalid
from sfo.importers import load_bundle
from tests.factories import minimal_bundle_rows, write_bundle


@pytest.mark.parametrize(("value", "expected"), [
    ("Y", True), ("n", False), ("TRUE", True), ("false", False), ("1", True), ("0", False),
    (" y ", True), ("Yes", True), ("", False),
])
def test_sensitive_accepts_the_usual_spellings(tmp_path: Path, value: str,
                                               expected: bool) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][0]["sensitive"] = value
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.contacts["sensitive"].iloc[0] is expected or (
        bool(records.contacts["sensitive"].iloc[0]) is expected)
    assert records.contacts["sensitive"].dtype == bool


def test_a_value_that_is_not_yes_or_no_is_an_error(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][2]["sensitive"] = "maybe"
    with pytest.raises(BundleInvalid) as err:
        load_bundle(write_bundle(tmp_path / "b", tables))
    assert [str(p) for p in err.value.problems] == [
        "contacts.csv, row 4, column 'sensitive': 'maybe' is not yes or no (expected Y or N; "
        "true/false and 1/0 are accepted too)"
    ]


def test_empty_national_standard_defaults_from_the_contact_type(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    # C1001 COAI (an NS appointment, empty), C1002 COAP given Y, C1003 COHV empty,
    # C1004 C369 police check empty.
    tables["contacts"][1]["national_standard"] = "N"
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.contacts["national_standard"].tolist() == [True, False, True, False]


def test_national_standard_defaults_when_the_column_is_absent(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    for row in tables["contacts"]:
        del row["national_standard"]
        del row["sensitive"]
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.contacts["national_standard"].tolist() == [True, True, True, False]
    assert records.contacts["sensitive"].tolist() == [False] * 4
