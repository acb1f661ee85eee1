"""Reading one CSV file of a bundle into an all-string pyarrow table.

Every column is read as a (large) string, nothing inferred, by pyarrow's
multi-threaded reader; checking and converting the values is the job of
:mod:`sfo.importers.columns`. Records are numbered as a spreadsheet shows
them: the header is row 1, the first record row 2, a value with line breaks
inside quotes is still one row (blank lines are skipped, as pyarrow does).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv

from sfo.importers.encoding import UTF8_BOM, EncodingRefused, to_utf8
from sfo.importers.problems import ProblemLog

_HEAD_BYTES = 1 << 16
# 64-bit offsets: what pandas' "str" dtype holds, so the text is never copied.
TEXT = pa.large_string()


@dataclass(frozen=True)
class FileSource:
    """Where a file's bytes come from: a path on disk or bytes read from a zip."""

    name: str
    path: Path | None = None
    data: bytes | None = None

    def head(self) -> bytes:
        """The first bytes of the file (enough for its header)."""
        if self.data is not None:
            return self.data[:_HEAD_BYTES]
        assert self.path is not None
        with self.path.open("rb") as fh:
            return fh.read(_HEAD_BYTES)

    def read(self) -> bytes:
        """All the bytes of the file."""
        if self.data is not None:
            return self.data
        assert self.path is not None
        return self.path.read_bytes()

    def arrow_input(self) -> str | pa.BufferReader:
        """What to give pyarrow: a path lets it do its own (parallel) reading."""
        if self.data is not None:
            return pa.BufferReader(self.data)
        return str(self.path)


@dataclass(frozen=True)
class RawTable:
    """A file read as strings: its header as written, and each record's spreadsheet row."""

    header: list[str]
    table: pa.Table
    rows: np.ndarray


def read_csv(source: FileSource, log: ProblemLog) -> RawTable | None:
    """Read one file as strings; on failure record a problem and return None."""
    name = source.name
    head = source.head()
    if not head.strip(UTF8_BOM + b" \t\r\n"):
        log.add(name, None, None, "the file is empty; it needs at least a header row")
        return None
    header = _header(head)
    data: bytes | None = None
    if header is None:
        # The header itself is not UTF-8: straight to the slow path.
        data = _decode(source, log)
        if data is None:
            return None
        header = _header(data[:_HEAD_BYTES])
        if header is None:  # pragma: no cover - to_utf8 returned valid UTF-8
            log.add(name, 1, None, "the header row could not be read")
            return None
    arrow_input = source.arrow_input() if data is None else pa.BufferReader(data)
    try:
        table, invalid = _parse(arrow_input, header, threads=True)
    except pa.ArrowInvalid as exc:
        if data is not None or "utf8" not in str(exc).lower():
            log.add(name, None, None, _csv_error(exc))
            return None
        data = _decode(source, log)
        if data is None:
            return None
        try:
            table, invalid = _parse(pa.BufferReader(data), header, threads=True)
        except pa.ArrowInvalid as exc2:
            log.add(name, None, None, _csv_error(exc2))
            return None
    for col in table.schema:
        if col.type != TEXT:
            log.add(name, 1, None, "the header row could not be read (check for quotes in it)")
            return None
    rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    if invalid:
        rows = _rows_around_invalid(source, data, header, table.num_rows, log)
    return RawTable(header, table, rows)


def _header(head: bytes) -> list[str] | None:
    """The header row's names, or None if the start of the file is not UTF-8."""
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is fine.
        if exc.start < len(head) - 3:
            return None
        text = head[: exc.start].decode("utf-8-sig")
    try:
        return next(csv.reader(io.StringIO(text, newline="")), [])
    except csv.Error:
        return None


def _decode(source: FileSource, log: ProblemLog) -> bytes | None:
    try:
        data, warning = to_utf8(source.read(), source.name)
    except EncodingRefused as exc:
        log.add(source.name, None, None, str(exc))
        return None
    if warning:
        log.warn(warning)
    return data


def _parse(arrow_input: str | pa.BufferReader, header: list[str], *,
           threads: bool) -> tuple[pa.Table, list[tuple[int | None, int, int, str]]]:
    invalid: list[tuple[int | None, int, int, str]] = []

    def on_invalid(row: pv.InvalidRow) -> str:
        invalid.append((row.number, row.expected_columns, row.actual_columns, row.text))
        return "skip"

    if isinstance(arrow_input, pa.BufferReader):
        arrow_input.seek(0)
    table = pv.read_csv(
        arrow_input,
        read_options=pv.ReadOptions(use_threads=threads),
        parse_options=pv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
        convert_options=pv.ConvertOptions(
            column_types={h: TEXT for h in header}, strings_can_be_null=False,
        ),
    )
    return table, invalid


def _rows_around_invalid(source: FileSource, data: bytes | None, header: list[str],
                         kept: int, log: ProblemLog) -> np.ndarray:
    """Report rows with the wrong number of fields; the rows of the records kept.

    The threaded reader does not know row numbers, so the (rare) file with
    broken rows is read again on one thread, which does.
    """
    arrow_input = source.arrow_input() if data is None else pa.BufferReader(data)
    _, invalid = _parse(arrow_input, header, threads=False)
    bad_rows: list[int] = []
    for number, expected, actual, text in invalid:
        snippet = text if len(text) <= 60 else text[:57] + "..."
        log.add(source.name, number, None,
                f"has {actual} fields but the header has {expected} (check for a comma or "
                f"quote that should not be there): {snippet!r}")
        if number is not None:
            bad_rows.append(number)
    everything = np.arange(2, kept + len(bad_rows) + 2, dtype=np.int64)
    rows = np.setdiff1d(everything, np.asarray(bad_rows, dtype=np.int64), assume_unique=True)
    if rows.size != kept:  # pragma: no cover - pyarrow always numbers rows on one thread
        rows = np.arange(2, kept + 2, dtype=np.int64)
    return rows


def _csv_error(exc: pa.ArrowInvalid) -> str:
    message = str(exc).strip()
    return f"could not be read as CSV ({message})"
