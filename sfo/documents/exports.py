"""Writing tables people open in spreadsheets, with formulas neutralised.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return) is run as a formula by Excel and LibreOffice; an export of case
records must never do that, so such text is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
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


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text (blank for missing, dates ISO), formulas neutralised like safe_cell.

    Column by column rather than cell by cell, so a large chronology costs a
    few vectorised string operations.
    """
    out: dict[str, pd.Series] = {}
    for col in frame.columns:
        s = frame[col]
        if s.dtype.kind == "M":
            text = s.dt.strftime("%Y-%m-%d")
        elif s.dtype.kind == "b":
            text = s.map({True: "Y", False: "N"})
        else:
            text = s.astype("string")
        text = text.fillna("").astype(str)
        risky = text.str.startswith(FORMULA_START)
        out[str(col)] = text.mask(risky, "'" + text)
    return pd.DataFrame(out, index=frame.index)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A DataFrame as CSV bytes for a download: UTF-8 with a BOM (Excel reads it right)."""
    return safe_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, *, sheet: str = "Sheet1") -> bytes:
    """A DataFrame as an .xlsx workbook whose every cell is text, never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    clean = safe_frame(frame)
    for col in clean.columns:  # control characters pasted into notes make Excel refuse the file
        clean[col] = clean[col].str.replace(ILLEGAL_CHARACTERS_RE, "", regex=True)
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet[:31])

    def text_cell(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # a string even if it looks like a formula or a number
        return cell

    ws.append([text_cell(str(c)) for c in clean.columns])
    for row in clean.itertuples(index=False, name=None):
        ws.append([text_cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
