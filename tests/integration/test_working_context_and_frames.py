"""Practitioners' working context, caseload frames from bundles, and reading single CSV files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sfo.documents import exports
from sfo.domain import caseload, context
from sfo.errors import FileInvalid
from sfo.importers import load_bundle, tabular
from tests.factories import minimal_bundle_rows, write_bundle


@pytest.fixture
def records(tmp_path: Path):
    return load_bundle(write_bundle(tmp_path / "b", minimal_bundle_rows()))


def test_context_gives_workload_training_supervision_and_experience(records):
    (jo,) = context.practitioner_context(records, ["N07A726"], start=date(2024, 1, 1),
                                         end=date(2024, 3, 31))
    # Two weeks measured, 112.5% and 118%: both over 110%.
    assert (jo.weeks_measured, jo.weeks_over_110) == (2, 2)
    assert jo.mean_capacity == pytest.approx(115.25)
    assert jo.peak_capacity == 118 and jo.latest_caseload == 51
    # In grade since 2019-09-01: 54 whole months to 2024-03-31.
    assert (jo.grade, jo.months_in_grade) == ("PO", 54)
    assert dict(jo.training) == {"DA": "completed", "SAFEGUARDING": "no record",
                                 "ROSH": "no record"}
    assert jo.last_formal_supervision == date(2024, 1, 3)
    text = " ".join(jo.sentences())
    assert "2 weeks over 110%" in text and "domestic abuse: completed" in text


def test_context_says_training_was_not_available(records):
    (kim,) = context.practitioner_context(records, ["N07B101"], start=date(2024, 1, 1),
                                          end=date(2024, 3, 31))
    assert dict(kim.training)["SAFEGUARDING"] == "not available"
    assert "No workload measurement recorded in the period." in kim.sentences()


def test_context_names_files_not_supplied_rather_than_implying_nothing(tmp_path: Path):
    rows = minimal_bundle_rows()
    for name in ("workload", "training", "supervision"):
        del rows[name]
    records = load_bundle(write_bundle(tmp_path / "b", rows))
    (jo,) = context.practitioner_context(records, ["N07A726"], start=date(2024, 1, 1),
                                         end=date(2024, 3, 31))
    text = " ".join(jo.sentences())
    assert "Not supplied, so not shown: workload.csv, training.csv, supervision.csv." in text
    assert "Workload" not in text


def test_caseload_frame_has_the_holder_on_the_date_and_latest_assessment(records):
    frame = caseload.caseload_frame(records, as_of=date(2024, 3, 1)).set_index("crn")
    assert frame.at["X320741", "staff_code"] == "N07A726"
    assert frame.at["X320742", "staff_code"] == "N07B101"  # after the unallocated day
    assert frame.at["X320742", "sentence_type"] == "licence"
    assert frame.at["X320742", "start_date"] == "2024-02-05"  # a licence starts on release
    assert list(frame.reset_index().columns) == list(caseload.COLUMNS)


def test_a_single_csv_is_read_as_text_with_spreadsheet_rows(tmp_path: Path):
    f = tmp_path / "caseload.csv"
    f.write_bytes(" CRN ,Tier\r\nX000001,007\r\nX000002,\"two\nlines\"\r\nX000003,N/A\r\n"
                  .encode("cp1252"))
    table = tabular.read_text_table(f)
    assert list(table.frame.columns) == ["row", "crn", "tier"]
    assert table.frame["tier"].tolist() == ["007", "two\nlines", "N/A"]  # nothing inferred
    assert table.frame["row"].tolist() == [2, 3, 4]


def test_a_single_csv_with_a_repeated_header_is_refused_naming_it(tmp_path: Path):
    f = tmp_path / "results.csv"
    f.write_text("crn,answer,Answer\nX000001,yes,no\n", "utf-8")
    with pytest.raises(FileInvalid, match=r"row 1, column 'answer': the header has 'answer' twice"):
        tabular.read_text_table(f)


def test_a_file_that_is_neither_utf8_nor_cp1252_is_refused(tmp_path: Path):
    f = tmp_path / "caseload.csv"
    f.write_bytes(b"crn\nX00000\x81\n")
    with pytest.raises(FileInvalid, match="Windows-1252"):
        tabular.read_text_table(f)


def test_exported_cells_that_would_run_as_formulas_are_neutralised(tmp_path: Path):
    import pandas as pd

    out = tmp_path / "sample.csv"
    exports.write_frame(out, pd.DataFrame({"crn": ["X000001"], "note": ["=HYPERLINK(1)"],
                                           "n": [None]}))
    assert out.read_text("utf-8").splitlines() == ["crn,note,n", "X000001,'=HYPERLINK(1),"]
