"""The sampling frame: a validated caseload, one row per case, held in CRN order.

A frame is built once from the caller's DataFrame (this package never reads
files) and never changes. Validation collects every problem before refusing
the frame, so a quality team fixes its export in one pass. The frame is held
column by column as the sorted distinct values of each column and, for every
row, the index of its value: validation, eligibility rules, strata and the
fingerprint then work on the few distinct values rather than on every row,
which is what keeps a million-row draw fast.

Text rules, decided once for every column: values are trimmed of surrounding
spaces, a missing value is the empty text ``""``, and a column that is not
text is converted with ``str()`` on each distinct value. CRNs are a capital
letter and six digits exactly as written in the case-management system: a
lower-case CRN is refused (with a hint) rather than upper-cased, because the
sample must name cases exactly as the system that auditors look them up in
names them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from dipsample.errors import MAX_LISTED, FrameInvalid, Issue

CRN = "crn"
ROW = "row"
CRN_EXPECTED = "expected a letter and six digits, e.g. X320741"
ISO, UK = "YYYY-MM-DD", "DD/MM/YYYY"
DATE_EXPECTED = "expected YYYY-MM-DD or DD/MM/YYYY, one form per column"
FINGERPRINT_VERSION = b"dipsample frame v1\n"
# Dates outside these years are typing mistakes, not caseload dates.
MIN_YEAR, MAX_YEAR = 1850, 2200
_CRN_PATTERN = r"[A-Z][0-9]{6}"
_ISO_SHAPE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_UK_SHAPE = re.compile(r"^([0-9]{2})/([0-9]{2})/([0-9]{4})$")
_CRN_WIDTH = 7
_LETTER = 1_000_000  # CRN key: letter index * 1,000,000 + the six digits


@dataclass(frozen=True, eq=False)
class Frame:
    """A validated sampling frame in CRN order, with a fingerprint anyone can recompute.

    Build one with :meth:`Frame.from_dataframe`. ``data`` gives a fresh copy
    of the frame as a DataFrame each time, so changing it changes neither the
    frame nor its fingerprint. Positions everywhere count rows in CRN order: ``crn_bytes``
    holds the CRNs as ASCII (numpy ``S7``, what the keyed hash takes) and
    ``rows`` their spreadsheet row numbers, in that order.
    """

    source: str
    columns: tuple[str, ...]
    crn_bytes: np.ndarray
    rows: np.ndarray
    _crn_text: pd.Series
    _crn_pos: np.ndarray
    _codes: Mapping[str, np.ndarray]
    _values: Mapping[str, np.ndarray]

    @classmethod
    def from_dataframe(cls, df: pd.DataFrame, *, source: str = "caseload.csv") -> Frame:
        """Validate a caseload table (text columns as read from CSV) into a frame.

        Header names are trimmed and lower-cased. An integer column ``row``
        (the spreadsheet row number, used in messages) is kept apart from the
        data; without it, rows are numbered as a spreadsheet would show them
        (position + 2, the header being row 1). Every problem is collected
        (the first 100 listed, all counted) before one :class:`FrameInvalid`.
        """
        problems = _Problems()
        names = [str(c).strip().lower() for c in df.columns]
        seen: dict[str, int] = {}
        for name in names:
            seen[name] = seen.get(name, 0) + 1
        for name, count in seen.items():
            if count > 1:
                problems.add_one(1, name, f"column '{name}' appears {count} times (headers "
                                          "are compared trimmed and lower-cased)")
        if CRN not in seen:
            found = ", ".join(f"'{n}'" for n in names) or "none"
            problems.add_one(1, CRN, f"there is no 'crn' column (columns found: {found})")
        problems.raise_if_any(source)

        table = df.set_axis(names, axis=1).reset_index(drop=True)
        rows = _row_numbers(table, problems)
        crn_text, key, crn_matrix = _check_crns(table[CRN], rows, problems)
        problems.raise_if_any(source)

        assert key is not None and crn_text is not None and crn_matrix is not None
        # Sort (key, position) packed into one integer: a plain sort is several
        # times faster than an argsort, and CRNs are unique so order is total.
        bits = max(int(len(key) - 1).bit_length(), 1)
        packed = np.sort((key.astype(np.int64) << bits) | np.arange(len(key), dtype=np.int64))
        order = packed & ((1 << bits) - 1)
        sorted_key = packed >> bits
        _check_unique(sorted_key, order, rows, crn_text, problems)
        problems.raise_if_any(source)

        columns = tuple(n for n in names if n != ROW)
        codes: dict[str, np.ndarray] = {}
        values: dict[str, np.ndarray] = {}
        for name in columns:
            if name == CRN:
                continue
            c, v = _encode(table[name])
            codes[name] = c[order]
            values[name] = v
        crn_bytes = np.ascontiguousarray(crn_matrix[order]).reshape(-1).view(f"S{_CRN_WIDTH}")
        return cls(source=source, columns=columns, crn_bytes=crn_bytes,
                   rows=rows[order], _crn_text=crn_text, _crn_pos=order.astype(np.int64),
                   _codes=codes, _values=values)

    def __len__(self) -> int:
        """The number of cases."""
        return len(self.crn_bytes)

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of the frame's content, independent of row and column order.

        The bytes hashed, so that anyone can recompute it (integers little-endian):

        - ``b"dipsample frame v1\\n"``, then the number of rows (8 bytes);
        - the column names (without ``row``) as a *text list*, sorted;
        - for each column in that order: the column's distinct values as a text
          list, sorted, then for every row in CRN order the index of its value
          in that list (4 bytes each).

        A text list is: the number of items (8 bytes), each item's UTF-8 length
        (4 bytes each), then the items' UTF-8 bytes run together. Values are
        trimmed, a missing value is ``""``, and sorting is by code point (which
        is also UTF-8 byte order). In Python::

            def text_list(items):
                data = [s.encode() for s in items]
                return (len(data).to_bytes(8, "little")
                        + b"".join(len(d).to_bytes(4, "little") for d in data) + b"".join(data))

            rows = sorted(rows, key=lambda r: r["crn"])   # rows: dicts of text
            names = sorted(rows[0])
            h = hashlib.sha256(b"dipsample frame v1\\n" + len(rows).to_bytes(8, "little"))
            h.update(text_list(names))
            for name in names:
                distinct = sorted({r[name] for r in rows})
                at = {v: i for i, v in enumerate(distinct)}
                h.update(text_list(distinct))
                h.update(b"".join(at[r[name]].to_bytes(4, "little") for r in rows))
            h.hexdigest()
        """
        n = len(self)
        h = hashlib.sha256(FINGERPRINT_VERSION + n.to_bytes(8, "little"))
        names = sorted(self.columns)
        h.update(_text_list(np.array(names, dtype=object)))
        for name in names:
            if name == CRN:
                # The CRNs are distinct and already sorted: the list is the column itself.
                h.update(n.to_bytes(8, "little"))
                h.update(np.full(n, _CRN_WIDTH, dtype="<u4").tobytes())
                h.update(self.crn_bytes.tobytes())
                h.update(np.arange(n, dtype="<u4").tobytes())
            else:
                h.update(_text_list(self._values[name]))
                h.update(self._codes[name].astype("<u4", copy=False).tobytes())
        return h.hexdigest()

    @property
    def data(self) -> pd.DataFrame:
        """The frame as a DataFrame in CRN order, ``row`` last (a copy: safe to change)."""
        # Built once; every caller gets its own copy (cheap: pandas' text columns
        # are immutable underneath), so no caller can change what another sees.
        return self._table.copy()

    @cached_property
    def _table(self) -> pd.DataFrame:
        """The frame as a DataFrame, built on first use."""
        return self.take(np.arange(len(self)))

    def take(self, positions: np.ndarray) -> pd.DataFrame:
        """The rows at these positions (counted in CRN order) as a new DataFrame."""
        positions = np.asarray(positions, dtype=np.int64)
        out: dict[str, pd.Series] = {}
        for name in self.columns:
            if name == CRN:
                out[name] = self._crn_text.take(self._crn_pos[positions]).reset_index(drop=True)
            else:
                values = pd.Series(self._values[name], dtype="str")
                out[name] = values.take(self._codes[name][positions]).reset_index(drop=True)
        out[ROW] = pd.Series(self.rows[positions], dtype=np.int64)
        return pd.DataFrame(out)

    def crn_text(self, positions: np.ndarray) -> pd.Series:
        """The CRNs at these positions (counted in CRN order), as text."""
        positions = np.asarray(positions, dtype=np.int64)
        return self._crn_text.take(self._crn_pos[positions]).reset_index(drop=True)

    def encoded(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """``(codes, values)``: each row's index (CRN order) into the sorted distinct values."""
        if column == CRN:
            return (np.arange(len(self), dtype=np.int32),
                    self.crn_bytes.astype(f"U{_CRN_WIDTH}").astype(object))
        if column not in self._codes:
            raise KeyError(column)
        return self._codes[column], self._values[column]

    def position_of(self, crn: str) -> int | None:
        """Where a CRN sits in the frame (CRN order), or None if it is not in the frame."""
        text = crn.strip()
        if not re.fullmatch(_CRN_PATTERN, text):
            return None
        needle = np.bytes_(text.encode("ascii"))
        at = int(np.searchsorted(self.crn_bytes, needle))
        return at if at < len(self) and self.crn_bytes[at] == needle else None

    def subset(self, keep: np.ndarray) -> Frame:
        """A new frame of the rows where ``keep`` (a boolean per row, CRN order) is true."""
        keep = np.asarray(keep, dtype=bool)
        codes: dict[str, np.ndarray] = {}
        values: dict[str, np.ndarray] = {}
        for name, c in self._codes.items():
            kept = c[keep]
            # Only values still present count, so a subset's fingerprint is the
            # one its rows would get if read afresh.
            present = np.bincount(kept, minlength=len(self._values[name])) > 0
            remap = np.cumsum(present, dtype=np.int64) - 1
            codes[name] = remap[kept].astype(np.int32)
            values[name] = self._values[name][present]
        return Frame(source=self.source, columns=self.columns, crn_bytes=self.crn_bytes[keep],
                     rows=self.rows[keep], _crn_text=self._crn_text, _crn_pos=self._crn_pos[keep],
                     _codes=codes, _values=values)

    def dates(self, column: str) -> np.ndarray:
        """A date column as ``datetime64[D]`` in CRN order (NaT where blank).

        ISO ``YYYY-MM-DD`` or UK ``DD/MM/YYYY``, one form per column (the form
        of the first dated row in the file decides); an invalid date, or one in
        the other form, is a :class:`FrameInvalid` naming row and column.
        """
        codes, values = self.encoded(column)
        days = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
        iso = np.zeros(len(values), dtype=bool)
        uk = np.zeros(len(values), dtype=bool)
        valid = np.zeros(len(values), dtype=bool)
        for i, value in enumerate(values.tolist()):
            if value == "":
                continue
            day = _parse_date(value)
            iso[i] = _ISO_SHAPE.match(value) is not None
            uk[i] = _UK_SHAPE.match(value) is not None
            if day is not None:
                days[i] = np.datetime64(day, "D")
                valid[i] = True
        empty = values == ""
        problems = _Problems()
        first_iso = _first_row(self.rows, iso[codes])
        first_uk = _first_row(self.rows, uk[codes])
        form, decided = (ISO, first_iso) if first_iso <= first_uk else (UK, first_uk)
        in_form = iso if form == ISO else uk
        other = UK if form == ISO else ISO
        wrong_form = ~in_form & (uk if form == ISO else iso)
        invalid = ~valid & ~empty & ~wrong_form
        wrong_at = np.flatnonzero(wrong_form[codes])
        problems.add(self.rows[wrong_at], column,
                     lambda i: f"{values[codes[wrong_at[i]]]!r} is written {other} but this "
                               f"column uses {form} (decided by row {decided}); use one date "
                               "form per column")
        invalid_at = np.flatnonzero(invalid[codes])
        problems.add(self.rows[invalid_at], column,
                     lambda i: f"{values[codes[invalid_at[i]]]!r} is not a valid date "
                               f"({DATE_EXPECTED})")
        problems.raise_if_any(self.source)
        return days[codes]


# ---------------------------------------------------------------- problems


class _Problems:
    """Problems found so far: rows per kind, messages written only for those listed."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, str | None, Callable[[int], str]]] = []

    def add_one(self, row: int | None, column: str | None, message: str) -> None:
        """One problem, already written."""
        rows = np.array([row if row is not None else 0], dtype=np.int64)
        self.parts.append((rows, column, lambda _i: message))

    def add(self, rows: np.ndarray, column: str | None, message_at: Callable[[int], str]) -> None:
        """Problems at ``rows``; ``message_at(i)`` writes the message for ``rows[i]``."""
        if len(rows):
            self.parts.append((np.asarray(rows, dtype=np.int64), column, message_at))

    @property
    def total(self) -> int:
        """How many problems have been found."""
        return sum(len(p[0]) for p in self.parts)

    def raise_if_any(self, source: str) -> None:
        """Raise one FrameInvalid listing the first problems in row order, if there are any."""
        if not self.parts:
            return
        rows = np.concatenate([p[0] for p in self.parts])
        part = np.concatenate([np.full(len(p[0]), i) for i, p in enumerate(self.parts)])
        index = np.concatenate([np.arange(len(p[0])) for p in self.parts])
        issues = []
        for k in np.lexsort((index, part, rows))[:MAX_LISTED].tolist():
            p_rows, column, message_at = self.parts[int(part[k])]
            i = int(index[k])
            issues.append(Issue(int(p_rows[i]) or None, column, message_at(i)))
        raise FrameInvalid(issues, source=source, total=len(rows))


def _first_row(rows: np.ndarray, mask: np.ndarray) -> int:
    """The smallest row number where ``mask`` holds (a large number if none)."""
    return int(rows[mask].min()) if mask.any() else int(np.iinfo(np.int64).max)


# ---------------------------------------------------------------- columns


def _row_numbers(table: pd.DataFrame, problems: _Problems) -> np.ndarray:
    """Spreadsheet row numbers: the ``row`` column if given, else position + 2."""
    n = len(table)
    if ROW not in table.columns:
        return np.arange(2, n + 2, dtype=np.int64)
    column = table[ROW]
    if pd.api.types.is_integer_dtype(column.dtype) and not column.hasnans:
        return column.to_numpy(dtype=np.int64)
    numbers = pd.to_numeric(column, errors="coerce")
    whole = numbers.notna() & (numbers == numbers.round())
    bad = np.flatnonzero(~whole.to_numpy())
    raw = column.astype(object).to_numpy()
    problems.add(bad + 2, ROW, lambda i: f"{raw[bad[i]]!r} is not a row number (the 'row' "
                                         "column holds whole numbers)")
    return numbers.fillna(0).to_numpy(dtype=np.int64)


def _check_crns(raw: pd.Series, rows: np.ndarray, problems: _Problems
                ) -> tuple[pd.Series | None, np.ndarray | None, np.ndarray | None]:
    """Check the CRN column; return it trimmed, each CRN's integer key and its bytes."""
    n = len(raw)
    fast = _crn_keys(raw)
    if fast is not None:
        return _as_str(raw.copy()), fast[0], fast[1]
    text = _as_text(raw).str.strip()
    empty = (text == "").to_numpy()
    shaped = text.str.fullmatch(_CRN_PATTERN).to_numpy(dtype=bool)
    values = text.to_numpy(dtype=object)
    problems.add(rows[empty], CRN, lambda _i: "the crn is empty (every case needs its CRN)")
    wrong = ~shaped & ~empty
    lower = wrong & text.str.fullmatch(r"[a-z][0-9]{6}").to_numpy(dtype=bool)
    at_lower = values[lower]
    problems.add(rows[lower], CRN,
                 lambda i: f"{at_lower[i]!r} is not a CRN: the letter must be a capital, as "
                           f"the case-management system writes it ({at_lower[i].upper()})")
    other = wrong & ~lower
    at_other = values[other]
    problems.add(rows[other], CRN, lambda i: f"{at_other[i]!r} is not a CRN ({CRN_EXPECTED})")
    if problems.total:
        # Still report repeats among the well-formed CRNs, so one pass finds all.
        good = np.flatnonzero(shaped)
        found = _crn_keys(text.iloc[good])
        assert found is not None
        order = np.argsort(found[0], kind="stable")
        _check_unique(found[0][order], good[order], rows, text, problems)
        return None, None, None
    found = _crn_keys(text)
    assert found is not None and len(found[0]) == n
    return _as_str(text.reset_index(drop=True)), found[0], found[1]


def _crn_keys(text: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Each CRN's key (letter * 1,000,000 + digits) and bytes, or None unless all are clean CRNs."""
    n = len(text)
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty((0, _CRN_WIDTH), dtype=np.uint8)
    if not (pd.api.types.is_string_dtype(text.dtype) or text.dtype == object) or text.hasnans:
        return None
    if not (text.str.len() == _CRN_WIDTH).all():
        return None
    try:
        joined = "".join(text.tolist()).encode("ascii")
    except (UnicodeEncodeError, TypeError):
        return None
    if len(joined) != n * _CRN_WIDTH:
        return None
    m = np.frombuffer(joined, dtype=np.uint8).reshape(n, _CRN_WIDTH)
    # Unsigned bytes wrap below zero, so one comparison checks each range.
    if not (((m[:, 0] - 65) <= 25).all() and ((m[:, 1:] - 48) <= 9).all()):
        return None
    key = m[:, 0].astype(np.int32) * np.int32(_LETTER)
    for j in range(1, _CRN_WIDTH):
        key += m[:, j] * np.int32(10 ** (_CRN_WIDTH - 1 - j))
    return (key - (65 * _LETTER + 48 * 111_111)).astype(np.int64), m


def _check_unique(sorted_key: np.ndarray, order: np.ndarray, rows: np.ndarray,
                  text: pd.Series, problems: _Problems) -> None:
    """Name both rows of every repeated CRN: 'X320741 appears again (first at row 4)'."""
    if len(sorted_key) < 2 or not (sorted_key[1:] == sorted_key[:-1]).any():
        return
    start = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    group = np.cumsum(start) - 1
    repeated = (np.bincount(group) > 1)[group]
    at_rows = rows[order]
    # The first occurrence is the earliest row of its run, wherever it sits.
    by_row = np.lexsort((at_rows, group))
    first = by_row[np.flatnonzero(start)][group]
    listed = np.flatnonzero(repeated & (np.arange(len(group)) != first))
    first_rows = at_rows[first[listed]]
    crn_at = order[listed]
    problems.add(at_rows[listed], CRN,
                 lambda i: f"{str(text.iloc[int(crn_at[i])]).strip()} appears again "
                           f"(first at row {int(first_rows[i])})")


def _as_str(column: pd.Series) -> pd.Series:
    """Clean text (no missing values) in pandas' text dtype, as every frame column is."""
    return column if isinstance(column.dtype, pd.StringDtype) else column.astype("str")


def _as_text(column: pd.Series) -> pd.Series:
    """A column as Python text (object dtype): missing as "", anything else via str()."""
    values = column.astype(object).to_numpy()
    missing = pd.isna(values)
    out = np.empty(len(values), dtype=object)
    out[missing] = ""
    out[~missing] = [v if isinstance(v, str) else str(v) for v in values[~missing].tolist()]
    return pd.Series(out, dtype=object)


def _encode(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A column as codes (int32, input order) into its sorted, trimmed distinct values."""
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    raw = np.asarray(uniques, dtype=object).tolist()
    trimmed = [(v if isinstance(v, str) else str(v)).strip() for v in raw]
    if (codes < 0).any():
        codes = np.where(codes < 0, len(trimmed), codes)
        trimmed.append("")
    # Trimming can make two raw values one, and the order must be by code point.
    values, inverse = np.unique(np.array(trimmed, dtype=object), return_inverse=True)
    remap = inverse.astype(np.int32).reshape(-1)
    return remap[codes], values


def _text_list(items: np.ndarray) -> bytes:
    """Count (8 bytes), each item's UTF-8 length (4 bytes), then the bytes run together."""
    joined = "".join(items.tolist())
    data = joined.encode("utf-8")
    if len(data) == len(joined):  # all ASCII: byte lengths are character lengths
        lengths = np.fromiter(map(len, items.tolist()), dtype="<u4", count=len(items))
    else:
        lengths = np.fromiter((len(s.encode("utf-8")) for s in items.tolist()), dtype="<u4",
                              count=len(items))
    return len(items).to_bytes(8, "little") + lengths.tobytes() + data


def _parse_date(value: str) -> dt.date | None:
    """A date written YYYY-MM-DD or DD/MM/YYYY, or None if it is not a real date."""
    m = _ISO_SHAPE.match(value)
    if m:
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _UK_SHAPE.match(value)
        if not m:
            return None
        d, mo, y = int(m[1]), int(m[2]), int(m[3])
    if not MIN_YEAR <= y <= MAX_YEAR:
        return None
    try:
        return dt.date(y, mo, d)
    except ValueError:
        return None
