"""Encoding: UTF-8 with or without BOM, Excel's Windows-1252 read with a warning, never guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfo.errors import BundleInvalid
from sfo.importers import load_bundle
from sfo.importers.encoding import EncodingRefused, to_utf8
from tests.factories import csv_text, minimal_bundle_rows, write_bundle


def _people_bytes(name: str, encoding: str) -> bytes:
    rows = minimal_bundle_rows()["people"]
    rows[0]["name"] = name
    return csv_text(rows).encode(encoding)


def _bundle(tmp_path: Path, people: bytes) -> Path:
    tables = minimal_bundle_rows()
    del tables["people"]
    return write_bundle(tmp_path / "b", tables, raw={"people.csv": people})


def test_cp1252_file_is_read_correctly_with_a_warning(tmp_path: Path) -> None:
    records = load_bundle(_bundle(tmp_path, _people_bytes("Zoé Exemple £5", "cp1252")))
    assert records.people["name"].iloc[0] == "Zoé Exemple £5"
    assert any("people.csv" in w and "Windows-1252" in w for w in records.warnings)


def test_utf8_with_bom_is_read_without_warning(tmp_path: Path) -> None:
    records = load_bundle(_bundle(tmp_path, _people_bytes("Zoé £", "utf-8-sig")))
    assert records.people["name"].iloc[0] == "Zoé £"
    assert list(records.people.columns[2:4]) == ["crn", "name"]
    assert records.warnings == ()


def test_undefined_cp1252_byte_is_refused_naming_file_and_offset(tmp_path: Path) -> None:
    data = _people_bytes("Zoe", "utf-8").replace(b"Zoe", b"Zo\x81e")
    with pytest.raises(BundleInvalid) as err:
        load_bundle(_bundle(tmp_path, data))
    message = str(err.value)
    assert "people.csv" in message
    offset = data.index(b"\x81")
    assert f"byte {offset} (0x81)" in message
    assert "save it as CSV UTF-8" in message


def test_mixed_utf8_and_cp1252_is_refused() -> None:
    data = "name\nZoé\n".encode() + "£\n".encode("cp1252")
    with pytest.raises(EncodingRefused, match="mixes UTF-8"):
        to_utf8(data, "people.csv")


def test_bom_followed_by_invalid_bytes_is_refused() -> None:
    with pytest.raises(EncodingRefused, match="UTF-8 marker"):
        to_utf8(b"\xef\xbb\xbfname\nZo\xe9\n", "people.csv")


def test_utf16_is_refused() -> None:
    with pytest.raises(EncodingRefused, match="UTF-16"):
        to_utf8("name\n".encode("utf-16"), "people.csv")


def test_valid_utf8_is_left_alone() -> None:
    data = "name\nZoé\n".encode()
    assert to_utf8(data, "people.csv") == (data, None)


def test_cp1252_beyond_the_first_block_is_still_detected(tmp_path: Path) -> None:
    rows = minimal_bundle_rows()["people"]
    filler = [{"crn": f"X{400000 + i:06d}", "name": "Plain Name"} for i in range(5000)]
    rows = rows + filler + [{"crn": "X399999", "name": "Chloë"}]
    tables = minimal_bundle_rows()
    del tables["people"]
    bundle = write_bundle(tmp_path / "b", tables,
                          raw={"people.csv": csv_text(rows).encode("cp1252")})
    records = load_bundle(bundle)
    assert records.people["name"].iloc[-1] == "Chloë"
