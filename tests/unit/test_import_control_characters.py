"""Text: control characters are made visible or turned into line breaks, with one warning."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from sfo.importers import load_bundle
from sfo.importers.columns import clean_text
from tests.factories import minimal_bundle_rows, write_bundle


def test_notes_with_control_characters_are_cleaned_and_warned_once(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][1]["notes"] = "Seen\x0bat home\x0cpage two"
    tables["contacts"][2]["notes"] = "pasted\x00null\x1band escape\ufffe"
    tables["contacts"][3]["notes"] = "tab\tkept\nline kept"
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    notes = records.contacts["notes"].tolist()
    assert notes[1] == "Seen\nat home\npage two"
    assert notes[2] == "pasted\ufffdnull\ufffdand escape\ufffd"
    assert notes[3] == "tab\tkept\nline kept"
    assert records.warnings == (
        "contacts.csv: 2 rows had control characters in text (first in row 3); vertical "
        "tabs and form feeds became line breaks and the rest were replaced by \ufffd",
    )


def test_crlf_inside_a_value_becomes_lf_silently(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    tables["contacts"][0]["notes"] = "first line\r\nsecond line"
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.contacts["notes"].iloc[0] == "first line\nsecond line"
    assert records.warnings == ()


def test_clean_text_only_touches_the_rows_that_need_it() -> None:
    column = pa.chunked_array([pa.array(["ok", "a\x07b"], pa.large_string()),
                               pa.array(["", "x\r\ny", "é"], pa.large_string())])
    cleaned = clean_text(column)
    assert cleaned.values.to_pylist() == ["ok", "a\ufffdb", "", "x\ny", "é"]
    assert cleaned.replaced.tolist() == [1]


def test_control_characters_in_an_extra_column_are_cleaned_too(tmp_path: Path) -> None:
    tables = minimal_bundle_rows()
    for row in tables["people"]:
        row["local_note"] = "fine"
    tables["people"][1]["local_note"] = "bell\x07"
    records = load_bundle(write_bundle(tmp_path / "b", tables))
    assert records.people["local_note"].tolist() == ["fine", "bell\ufffd"]
    assert len(records.warnings) == 1
    assert records.warnings[0].startswith("people.csv: 1 row had control characters")
