"""Checking one file against its table of the data contract.

Given the strings pyarrow read and the header after mapping, this checks
every column by its kind (see :mod:`sfo.importers.columns`), records the
problems with file, row and column, and converts the values to the dtypes
of :func:`sfo.domain.records.empty_table`. Checks that need other files
(references, duplicates) are in :mod:`sfo.importers.checks`.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sfo.domain.records import ColumnSpec, TableSpec
from sfo.importers import columns as colmod
from sfo.importers.codes import CodeLists
from sfo.importers.columns import Checked, Encoded
from sfo.importers.csvfile import RawTable
from sfo.importers.problems import ProblemLog

STR = pd.StringDtype("pyarrow", na_value=np.nan)
RESERVED = ("row", "record_id")
# Kinds held as text in the output.
_STRING_KINDS = ("crn", "staff_code", "team_code", "id", "text", "code", "time", "list")


@dataclass
class CheckedTable:
    """One file after its own checks: per-row values, and the encodings cross-checks use."""

    spec: TableSpec
    rows: np.ndarray
    values: dict[str, pa.Array | pa.ChunkedArray | np.ndarray]
    encoded: dict[str, tuple[Encoded, pa.Array]] = field(default_factory=dict)
    extras: list[str] = field(default_factory=list)
    # Columns read as one value per row (a table's own id), not encoded.
    plain: dict[str, pa.ChunkedArray] = field(default_factory=dict)
    # Rows whose value already failed a check, per column (so that later
    # checks do not report the same cell twice as, say, "empty").
    failed: dict[str, np.ndarray] = field(default_factory=dict)

    def failed_rows(self, column: str) -> np.ndarray:
        """Mask of the rows whose value in ``column`` already failed a check."""
        mask = self.failed.get(column)
        return mask if mask is not None else np.zeros(len(self), dtype=bool)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def filename(self) -> str:
        return self.spec.filename

    def __len__(self) -> int:
        return int(self.rows.size)

    def frame(self) -> pd.DataFrame:
        """The table as the canonical DataFrame (row, record_id, contract columns, extras)."""
        data: dict[str, object] = {"row": pd.Series(self.rows, dtype="int64", copy=False)}
        id_col = self.spec.id_column
        if id_col is not None:
            data["record_id"] = _series(self.values[id_col], STR)
        else:
            text = pa.large_string()
            rec = pc.binary_join_element_wise(
                pa.scalar(f"{self.name}:", text), pc.cast(pa.array(self.rows), text),
                pa.scalar("", text))
            data["record_id"] = _series(rec, STR)
        for col in self.spec.columns:
            data[col.name] = _series(self.values[col.name], _dtype(col))
        for name in self.extras:
            data[name] = _series(self.values[name], STR)
        return pd.DataFrame(data, copy=False)


def _dtype(col: ColumnSpec) -> Any:
    if col.kind in ("date", "month"):
        return "datetime64[ns]"
    if col.kind == "bool":
        return "bool"
    if col.kind == "number":
        return "float64"
    return STR


def _series(values: object, dtype: Any) -> pd.Series:
    if isinstance(values, pa.Array | pa.ChunkedArray):
        if dtype is STR:
            # pandas' own arrow protocol: the text is wrapped, not copied.
            return pd.Series(STR.__from_arrow__(values), copy=False)
        values = values.to_numpy(zero_copy_only=False)
    return pd.Series(cast(Any, values), dtype=dtype, copy=False)


class TableChecker:
    """Checks one file; :meth:`run` returns the checked table (None if unusable)."""

    def __init__(self, spec: TableSpec, raw: RawTable, names: list[str], log: ProblemLog,
                 codes: CodeLists, executor: Executor) -> None:
        self.spec = spec
        self.raw = raw
        self.log = log
        self.codes = codes
        self.executor = executor
        self.file = spec.filename
        self.names: list[str | None] = list(names)
        self.rows = raw.rows
        self.n = raw.table.num_rows

    # ------------------------------------------------------------ driver

    def run(self) -> CheckedTable | None:
        """Check every column; problems go to the log."""
        if not self._header_ok():
            return None
        present = {name: self.raw.table.column(i) for i, name in enumerate(self.names)
                   if name is not None}
        canonical = {c.name: c for c in self.spec.columns}
        extras = [n for n in present if n not in canonical]
        out = CheckedTable(self.spec, self.rows, {}, extras=[])

        sole_key = self.spec.key[0] if len(self.spec.key) == 1 else None
        encode_cols = [c for c in self.spec.columns if c.name in present
                       and c.kind != "text" and not (c.kind == "id" and c.name == sole_key)]
        text_cols = [c.name for c in self.spec.columns if c.name in present and c.kind == "text"]
        text_cols += extras
        plain_cols = [c.name for c in self.spec.columns
                      if c.name in present and c.kind == "id" and c.name == sole_key]

        # The costly passes (hashing, byte scans) run in parallel: pyarrow
        # and numpy release the GIL.
        enc_futures = {c.name: self.executor.submit(colmod.encode, present[c.name])
                       for c in encode_cols}
        text_futures = {n: self.executor.submit(colmod.clean_text, present[n])
                        for n in text_cols}
        plain_futures = {n: self.executor.submit(_plain_id, present[n]) for n in plain_cols}
        encoded = {name: f.result() for name, f in enc_futures.items()}

        self._check_encoded(out, encoded, present)
        for name, fut in plain_futures.items():
            arr = fut.result()
            out.plain[name] = arr
            out.values[name] = arr
            if canonical[name].required:
                self._required(name, _np_null(arr))
        self._check_text(out, {n: f.result() for n, f in text_futures.items()}, canonical)
        out.extras = [n for n in extras if n in out.values]
        self._defaults(out, present)
        return out

    def _header_ok(self) -> bool:
        """Check the header; drop empty unnamed columns, rename extras the importer needs."""
        ok = True
        seen: dict[str, int] = {}
        names: list[str | None] = list(self.names)
        for i, name in enumerate(self.names):
            if name is None:  # pragma: no cover - only set below
                continue
            if name == "":
                # Excel leaves trailing commas: an unnamed, empty column is noise.
                if _all_empty(self.raw.table.column(i)):
                    names[i] = None
                    continue
                ok = False
                self.log.add(self.file, 1, None,
                             f"column {i + 1} has no header but holds values; give it a name")
                continue
            if name in RESERVED:
                names[i] = name = f"{name}_in_file"
                self.log.warn(f"{self.file}: the column '{self.raw.header[i].strip()}' was "
                              f"renamed '{name}' (the importer adds its own '{name[:-8]}')")
            if name in seen:
                ok = False
                self.log.add(self.file, 1, name,
                             f"two columns are both read as '{name}' (columns {seen[name] + 1} "
                             f"and {i + 1}: {self.raw.header[seen[name]]!r} and "
                             f"{self.raw.header[i]!r}); remove or rename one")
            else:
                seen[name] = i
        self.names = names
        for col in self.spec.columns:
            if col.required and col.name not in seen:
                ok = False
                found = ", ".join(repr(h) for h in self.raw.header)
                self.log.add(self.file, 1, col.name,
                             f"the required column '{col.name}' is missing (the header has: "
                             f"{found}); add it or map a header to it with a mapping file")
        return ok

    # ------------------------------------------------------------ encoded columns

    def _check_encoded(self, out: CheckedTable, encoded: dict[str, Encoded],
                       present: dict[str, pa.ChunkedArray]) -> None:
        form, decided_by = self._date_form(encoded)
        for col in self.spec.columns:
            enc = encoded.get(col.name)
            if enc is None:
                continue
            checked = self._check_distinct(col, enc, form, decided_by)
            for flagged in checked.flagged:
                self._report(col.name, enc, flagged.bad, flagged.message)
                if flagged.bad.any():
                    out.failed[col.name] = out.failed_rows(col.name) | flagged.bad[enc.codes]
            if col.required:
                self._report(col.name, enc, checked.empty,
                             lambda _v: "is empty, but a value is required")
            if isinstance(checked.values, np.ndarray):
                out.values[col.name] = checked.values[enc.codes]
            else:
                out.encoded[col.name] = (enc, checked.values)
                out.values[col.name] = _take_strings(enc, checked.values, present[col.name])
            if col.kind == "code" and col.allowed is None:
                self._warn_unknown_codes(col.name, enc, checked.values)

    def _check_distinct(self, col: ColumnSpec, enc: Encoded, form: str | None,
                        decided_by: str) -> Checked:
        raw = enc.raw
        kind = col.kind
        if kind in ("crn", "staff_code", "team_code"):
            return colmod.check_identifier(raw, kind)
        if kind == "id":
            return colmod.check_id(raw)
        if kind == "code":
            if col.allowed is not None:
                return colmod.check_closed_code(raw, col.allowed)
            return colmod.check_open_code(raw)
        if kind == "time":
            return colmod.check_time(raw)
        if kind == "bool":
            return colmod.check_bool(raw)
        if kind == "number":
            return colmod.check_number(raw, col.name)
        if kind == "list":
            return colmod.check_list(raw)
        if kind in ("date", "month"):
            month = kind == "month"
            return colmod.check_date(self._shapes[col.name], form, decided_by, month_kind=month)
        raise AssertionError(f"unhandled column kind {kind}")  # pragma: no cover

    def _date_form(self, encoded: dict[str, Encoded]) -> tuple[str | None, str]:
        """The file's one date form: that of its first date-shaped value."""
        self._shapes: dict[str, colmod.DateShapes] = {}
        best: tuple[int, int, str, str] | None = None
        for order, col in enumerate(self.spec.columns):
            if col.kind not in ("date", "month") or col.name not in encoded:
                continue
            enc = encoded[col.name]
            shapes = colmod.date_shapes(enc.raw, month_kind=col.kind == "month")
            self._shapes[col.name] = shapes
            shaped = shapes.iso_shape | shapes.uk_shape
            if not shaped.any():
                continue
            # Usually the very first rows decide: look there before scanning all.
            head = shaped[enc.codes[:1000]]
            per_row = head if head.any() else shaped[enc.codes]
            if not per_row.any():
                continue
            pos = int(np.argmax(per_row))
            form = colmod.ISO if shapes.iso_shape[enc.codes[pos]] else colmod.UK
            if best is None or (pos, order) < (best[0], best[1]):
                best = (pos, order, col.name, form)
        if best is None:
            return None, ""
        pos, _, name, form = best
        return form, f"row {int(self.rows[pos])}, column '{name}'"

    def _report(self, column: str, enc: Encoded, bad: np.ndarray,
                message: Callable[[str], str]) -> None:
        if not bad.any():
            return
        failing = enc.rows_where(bad)
        self.log.add_rows(self.file, column, failing, self.rows,
                          lambda pos: message(enc.raw_at(pos)))

    def _warn_unknown_codes(self, column: str, enc: Encoded, values: pa.Array) -> None:
        known = self.codes.for_column(self.spec.name, column)
        if known is None:
            return
        unknown = np.asarray(pc.fill_null(pc.invert(
            pc.is_in(values, value_set=pa.array(sorted(known), values.type))), False), dtype=bool)
        if not unknown.any():
            return
        counts = np.bincount(enc.codes, minlength=enc.size)
        per_code = (pd.Series(counts[unknown])
                    .groupby(np.asarray(values.filter(pa.array(unknown)).to_pylist(),
                                        dtype=object)).sum())
        per_code = per_code[per_code > 0]
        if per_code.empty:
            return
        ordered = sorted(per_code.items(), key=lambda kv: (-int(kv[1]), str(kv[0])))
        total = int(per_code.sum())
        shown = ", ".join(f"{code} ({int(n)})" for code, n in ordered[:10])
        if len(ordered) > 10:
            shown += f" and {len(ordered) - 10} more codes"
        rows = "1 row has" if total == 1 else f"{total} rows have"
        self.log.warn(f"{self.file}: {rows} {column} values not in the code list, "
                      f"treated as 'other': {shown}")

    # ------------------------------------------------------------ text and ids

    def _check_text(self, out: CheckedTable, cleaned: dict[str, colmod.CleanText],
                    canonical: dict[str, ColumnSpec]) -> None:
        replaced: list[np.ndarray] = []
        for name, clean in cleaned.items():
            values = colmod.blank_to_null(clean.values)
            out.values[name] = values
            replaced.append(clean.replaced)
            spec = canonical.get(name)
            if spec is not None and spec.required:
                self._required(name, _np_null(values))
        hits = np.unique(np.concatenate(replaced)) if replaced else np.empty(0, np.int64)
        if hits.size:
            first = int(self.rows[hits[0]])
            noun = "row" if hits.size == 1 else "rows"
            self.log.warn(
                f"{self.file}: {hits.size} {noun} had control characters in text (first in row "
                f"{first}); vertical tabs and form feeds became line breaks and the rest were "
                "replaced by \ufffd"
            )

    def _required(self, name: str, empty: np.ndarray) -> None:
        self.log.add_mask(self.file, name, empty, self.rows,
                          lambda _pos: "is empty, but a value is required")

    # ------------------------------------------------------------ missing columns

    def _defaults(self, out: CheckedTable, present: dict[str, pa.ChunkedArray]) -> None:
        n = self.n
        for col in self.spec.columns:
            if col.name in present and col.kind != "bool":
                continue
            if col.kind == "bool":
                values = out.values.get(col.name)
                flags = (np.asarray(values, dtype=np.int8) if values is not None
                         else np.full(n, -1, dtype=np.int8))
                out.values[col.name] = self._bool_with_default(col.name, flags, out)
            elif col.kind in ("date", "month"):
                out.values[col.name] = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
            elif col.kind == "number":
                out.values[col.name] = np.full(n, np.nan)
            else:
                assert col.kind in _STRING_KINDS
                out.values[col.name] = pa.nulls(n, pa.large_string())

    def _bool_with_default(self, name: str, flags: np.ndarray, out: CheckedTable) -> np.ndarray:
        empty = flags < 0
        result = flags == 1
        if name == "national_standard" and empty.any() and "type_code" in out.encoded:
            enc, values = out.encoded["type_code"]
            ns = pa.array(sorted(self.codes.national_standard_default), values.type)
            default_u = np.asarray(pc.fill_null(pc.is_in(values, value_set=ns), False), bool)
            result = np.where(empty, default_u[enc.codes], result)
        return result


def _all_empty(arr: pa.ChunkedArray) -> bool:
    return bool(pc.all(pc.equal(pc.binary_length(arr), 0)).as_py() is not False)


def _plain_id(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """A table's own id column: trimmed only when needed, empty -> null."""
    if colmod.needs_trim(arr):
        arr = pc.utf8_trim_whitespace(arr)
    return colmod.blank_to_null(arr)


def _take_strings(enc: Encoded, values: pa.Array,
                  original: pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Per-row strings from per-distinct-value strings (the column itself if unchanged)."""
    raw = enc.raw
    if values.null_count == 0 and values.equals(raw):
        return original
    unchanged = pc.all(pc.fill_null(pc.equal(values, raw), True)).as_py() is not False
    blank = np.asarray(pc.equal(raw, ""), dtype=bool)
    if unchanged and np.array_equal(blank, np.asarray(values.is_null(), dtype=bool)):
        # Only empty cells became null: mark them, without copying the text.
        return colmod.blank_to_null(original)
    return enc.take(values)


def _np_null(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(arr.is_null(), dtype=bool)
