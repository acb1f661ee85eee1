"""Writing tables people open in spreadsheets, with formulas neutralised.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return) is run as a formula by Excel and LibreOffice; an export of case
records must never do that, so such text is prefixed with ``'``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Neutralise text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def write_rows(out: TextIO, rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """Write dict rows as CSV to an open text stream, formulas neutralised."""
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: safe_cell(v) for k, v in row.items()})


def write_frame(path: Path, frame: pd.DataFrame) -> None:
    """Write a DataFrame as a UTF-8 CSV file (blank for missing), formulas neutralised."""
    clean = frame.astype(object).where(frame.notna(), "")
    rows = [{str(k): v for k, v in r.items()} for r in clean.to_dict("records")]
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", encoding="utf-8", newline="") as out:
        write_rows(out, rows, [str(c) for c in frame.columns])
    tmp.replace(path)  # a reader never sees half a file
