"""Header mapping: export headers renamed to contract columns; a wrong mapping file is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfo.errors import MappingInvalid
from sfo.importers import load_bundle
from sfo.importers.mapping import load_mapping
from tests.factories import minimal_bundle_rows, write_bundle


def _renamed(rows: list[dict[str, str]], renames: dict[str, str]) -> list[dict[str, str]]:
    return [{renames.get(k, k): v for k, v in row.items()} for row in rows]


def _mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_mapped_headers_are_renamed_before_checking(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"] = _renamed(tables["contacts"],
                                  {"contact_date": "Contact Date", "staff_code": "Officer"})
    mapping = _mapping(tmp_path, '[contacts]\n"Contact Date" = "contact_date"\n'
                                 'officer = "staff_code"\n')
    records = load_bundle(write_bundle(tmp_path / "b", tables), mapping=mapping)
    assert records.contacts["contact_date"].notna().all()
    assert records.contacts["staff_code"].iloc[0] == "N07A726"
    assert "Contact Date" not in records.contacts.columns


def test_headers_differing_only_by_case_or_spaces_are_canonical(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["people"] = _renamed(tables["people"],
                                {"crn": " CRN ", "date_of_birth": "Date_Of_Birth"})
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.people["crn"].tolist() == ["X320741", "X320742"]
    assert records.people["date_of_birth"].notna().all()


def test_unknown_table_in_mapping_is_refused_naming_file_and_entry(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, '[contact]\n"Contact Date" = "contact_date"\n')
    with pytest.raises(MappingInvalid, match=r"mapping\.toml has a section \[contact\]"):
        load_mapping(mapping)


def test_two_headers_mapped_to_one_column_are_refused(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, '[contacts]\n"Date" = "contact_date"\n'
                                 '"Contact Date" = "contact_date"\n')
    with pytest.raises(MappingInvalid) as err:
        load_mapping(mapping)
    assert str(mapping) in str(err.value)
    assert '[contacts] "Contact Date"' in str(err.value)
    assert "'Date' is already mapped to 'contact_date'" in str(err.value)


def test_mapping_to_a_column_that_is_not_in_the_contract_is_refused(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, '[contacts]\n"Contact Date" = "contact_dte"\n')
    with pytest.raises(MappingInvalid, match=r"'contact_dte' is not a column of contacts\.csv"):
        load_mapping(mapping)


def test_mapping_onto_a_column_the_file_already_has_is_refused(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    for row in tables["contacts"]:
        row["Visit Date"] = row["contact_date"]
    mapping = _mapping(tmp_path, '[contacts]\n"Visit Date" = "contact_date"\n')
    with pytest.raises(MappingInvalid) as err:
        load_bundle(write_bundle(tmp_path / "b", tables), mapping=mapping)
    assert str(mapping) in str(err.value)
    assert "'Visit Date' cannot be renamed" in str(err.value)
    assert "already has a column 'contact_date'" in str(err.value)


def test_mapping_file_that_is_not_toml_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MappingInvalid, match="is not valid TOML"):
        load_mapping(_mapping(tmp_path, "[contacts\n"))


def test_missing_mapping_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MappingInvalid, match="could not be read"):
        load_mapping(tmp_path / "nope.toml")
