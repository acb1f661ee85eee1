"""Checking and converting the columns of one file, vectorised.

Most columns hold few distinct values (dates, codes, CRNs, staff codes), so
they are dictionary-encoded once and every check and conversion runs on the
distinct values; the per-row result is then a gather by the codes. Free text
is scanned as raw bytes for control characters. Messages are only built for
the rows that fail, and only for as many as will be shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ISO, UK = "YYYY-MM-DD", "DD/MM/YYYY"
DATE_EXPECTED = "expected YYYY-MM-DD or DD/MM/YYYY, one form per file"
# Dates outside this range are typing mistakes (and beyond datetime64[ns]).
MIN_YEAR, MAX_YEAR = 1850, 2200

_ID_PATTERNS = {
    "crn": (r"^[A-Z][0-9]{6}$", "is not a CRN (expected a letter and six digits, e.g. X320741)"),
    "staff_code": (
        r"^[A-Z0-9]{7}$", "is not a staff code (expected 7 letters or digits, e.g. N07A726)",
    ),
    "team_code": (
        r"^[A-Z0-9]{6}$", "is not a team code (expected 6 letters or digits, e.g. N07UAT)",
    ),
}
_NUMBER = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
_TRUE = ("y", "yes", "true", "1")
_FALSE = ("n", "no", "false", "0")
# Control characters other than tab, line feed and carriage return, and the
# two non-characters: not allowed in XML (so not in Word documents either).
_ILLEGAL = r"[\x00-\x08\x0e-\x1f\x{FFFE}\x{FFFF}]"
_PAGE_BREAKS = r"[\x0b\x0c]"
REPLACEMENT = "\ufffd"

Message = Callable[[str], str]


@dataclass
class Encoded:
    """A string column as per-row codes into its distinct raw values."""

    codes: np.ndarray
    raw: pa.Array

    @property
    def size(self) -> int:
        return len(self.raw)

    def rows_where(self, bad: np.ndarray) -> np.ndarray:
        """Positions of the rows whose distinct value is flagged in ``bad``."""
        if not bad.any():
            return np.empty(0, dtype=np.int64)
        return np.flatnonzero(bad[self.codes])

    def raw_at(self, pos: int) -> str:
        """The raw text of the row at a position."""
        return str(self.raw[int(self.codes[pos])].as_py())

    def take(self, values: pa.Array) -> pa.Array:
        """Per-row values from values aligned with the distinct values."""
        return pc.take(values, pa.array(self.codes))


def encode(arr: pa.ChunkedArray) -> Encoded:
    """Dictionary-encode a string column (no nulls)."""
    tiny = _encode_tiny(arr)
    if tiny is not None:
        return tiny
    enc = pc.dictionary_encode(arr)
    if isinstance(enc, pa.ChunkedArray):
        if enc.num_chunks == 0:
            return Encoded(np.empty(0, dtype=np.int32), pa.array([], arr.type))
        enc = enc.combine_chunks()
    return Encoded(np.asarray(enc.indices), enc.dictionary)


def _encode_tiny(arr: pa.ChunkedArray) -> Encoded | None:
    """Encode a column of one-character ASCII values (Y/N flags) by byte, without hashing."""
    parts: list[np.ndarray] = []
    for chunk in arr.chunks:
        offsets = _offsets(chunk)
        if offsets is None:
            return None
        lengths = np.diff(offsets)
        if lengths.size and lengths.max() > 1:
            return None
        byte = np.full(len(chunk), 256, dtype=np.int16)  # 256: empty
        filled = lengths == 1
        if filled.any():
            data = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)
            byte[filled] = data[offsets[:-1][filled]]
        parts.append(byte)
    every = np.concatenate(parts) if parts else np.empty(0, dtype=np.int16)
    if (every[every != 256] >= 0x80).any():  # pragma: no cover - not valid UTF-8
        return None
    values = np.flatnonzero(np.bincount(every, minlength=257))
    lookup = np.full(257, -1, dtype=np.int32)
    lookup[values] = np.arange(values.size, dtype=np.int32)
    raw = pa.array(["" if v == 256 else chr(v) for v in values.tolist()], arr.type)
    return Encoded(lookup[every], raw)


@dataclass
class Flagged:
    """Distinct values that failed a check, and how to say what is wrong with one."""

    bad: np.ndarray
    message: Message


@dataclass
class Checked:
    """A column after checking: per-distinct-value results and problems found."""

    # Values aligned with the distinct raw values (null where empty).
    values: pa.Array | np.ndarray
    empty: np.ndarray
    flagged: list[Flagged]


def _trimmed(raw: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(raw)


def _np_bool(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False), dtype=bool)


def _with_nulls(values: pa.Array, empty: np.ndarray) -> pa.Array:
    if not empty.any():
        return values
    return pc.if_else(pa.array(empty), pa.scalar(None, values.type), values)


def check_identifier(raw: pa.Array, kind: str) -> Checked:
    """crn, staff_code, team_code: trimmed, upper-cased, matched against the pattern."""
    value = pc.utf8_upper(_trimmed(raw))
    empty = np.asarray(pc.equal(value, ""), dtype=bool)
    pattern, what = _ID_PATTERNS[kind]
    ok = _np_bool(pc.match_substring_regex(value, pattern))
    return Checked(_with_nulls(value, empty), empty,
                   [Flagged(~ok & ~empty, lambda v: f"{v!r} {what}")])


def check_id(raw: pa.Array) -> Checked:
    """Identifiers without a pattern (event_id, contact_id): trimmed."""
    value = _trimmed(raw)
    empty = np.asarray(pc.equal(value, ""), dtype=bool)
    return Checked(_with_nulls(value, empty), empty, [])


def check_closed_code(raw: pa.Array, allowed: tuple[str, ...]) -> Checked:
    """A code from a closed list: matched ignoring case, stored as the list spells it."""
    value = _trimmed(raw)
    empty = np.asarray(pc.equal(value, ""), dtype=bool)
    folded = pc.utf8_lower(value)
    lookup = pa.array([a.lower() for a in allowed], raw.type)
    index = pc.index_in(folded, value_set=lookup)
    ok = np.asarray(pc.is_valid(index), dtype=bool)
    canonical = pc.take(pa.array(list(allowed), raw.type), index)
    listed = ", ".join(allowed)
    return Checked(_with_nulls(canonical, empty | ~ok), empty,
                   [Flagged(~ok & ~empty, lambda v: f"{v!r} is not one of: {listed}")])


def check_open_code(raw: pa.Array) -> Checked:
    """A code from an open list: trimmed and upper-cased; unknown codes are kept."""
    value = pc.utf8_upper(_trimmed(raw))
    empty = np.asarray(pc.equal(value, ""), dtype=bool)
    return Checked(_with_nulls(value, empty), empty, [])


def check_time(raw: pa.Array) -> Checked:
    """HH:MM, 24-hour; kept as text."""
    value = _trimmed(raw)
    empty = np.asarray(pc.equal(value, ""), dtype=bool)
    ok = _np_bool(pc.match_substring_regex(value, _TIME))
    return Checked(_with_nulls(value, empty | ~ok), empty, [
        Flagged(~ok & ~empty, lambda v: f"{v!r} is not a time (expected HH:MM, 24-hour)"),
    ])


def check_bool(raw: pa.Array) -> Checked:
    """Y/N, true/false, 1/0 in any case; values are int8 (1, 0, -1 for empty)."""
    value = pc.utf8_lower(_trimmed(raw))
    empty = np.asarray(pc.equal(value, ""), dtype=bool)
    true = np.asarray(pc.is_in(value, value_set=pa.array(_TRUE, raw.type)), dtype=bool)
    false = np.asarray(pc.is_in(value, value_set=pa.array(_FALSE, raw.type)), dtype=bool)
    out = np.where(true, 1, np.where(false, 0, -1)).astype(np.int8)
    return Checked(out, empty, [
        Flagged(~true & ~false & ~empty,
                lambda v: f"{v!r} is not yes or no (expected Y or N; true/false and 1/0 "
                          "are accepted too)"),
    ])


def check_number(raw: pa.Array, column: str) -> Checked:
    """A number (float64, NaN when empty); never negative."""
    value = _trimmed(raw)
    empty = np.asarray(pc.equal(value, ""), dtype=bool)
    ok = _np_bool(pc.match_substring_regex(value, _NUMBER))
    parsed = pc.cast(pc.if_else(pa.array(ok), value, pa.scalar("nan", raw.type)), pa.float64())
    out = np.asarray(parsed, dtype=np.float64).copy()
    out[~ok] = np.nan
    negative = ok & (out < 0)
    return Checked(out, empty, [
        Flagged(~ok & ~empty, lambda v: f"{column}: {v!r} is not a number"),
        Flagged(negative, lambda v: f"{column}: {v!r} is negative, which is impossible here"),
    ])


def check_list(raw: pa.Array) -> Checked:
    """A ';'-separated list: lower-case, items trimmed, empty items dropped."""
    value = pc.utf8_lower(raw)
    value = pc.replace_substring_regex(value, r"\s*;[\s;]*", ";")
    value = pc.utf8_trim_whitespace(value)
    value = pc.replace_substring_regex(value, r"^;+|;+$", "")
    empty = np.asarray(pc.equal(value, ""), dtype=bool)
    return Checked(_with_nulls(value, empty), empty, [])


# ---------------------------------------------------------------- dates


@dataclass
class DateShapes:
    """For each distinct value of a date column: its form and the date it names."""

    trimmed: pa.Array
    empty: np.ndarray
    iso: np.ndarray          # shaped YYYY-MM-DD and a real date
    uk: np.ndarray           # shaped DD/MM/YYYY and a real date
    iso_shape: np.ndarray    # shaped YYYY-MM-DD (real date or not)
    uk_shape: np.ndarray
    month: np.ndarray        # YYYY-MM (month columns only)
    days: np.ndarray         # datetime64[D] where a form matched (else NaT)


def date_shapes(raw: pa.Array, *, month_kind: bool = False) -> DateShapes:
    """Classify the distinct values of a date (or month) column."""
    value = _trimmed(raw)
    empty = np.asarray(pc.equal(value, ""), dtype=bool)
    iso_shape = _np_bool(pc.match_substring_regex(value, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
    uk_shape = _np_bool(pc.match_substring_regex(value, r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$"))
    month_shape = (_np_bool(pc.match_substring_regex(value, r"^[0-9]{4}-[0-9]{2}$"))
                   if month_kind else np.zeros(len(value), dtype=bool))

    def part(start: int, stop: int, mask: np.ndarray) -> np.ndarray:
        piece = pc.utf8_slice_codeunits(value, start, stop)
        piece = pc.if_else(pa.array(mask), piece, pa.scalar("0", raw.type))
        return np.asarray(pc.cast(piece, pa.int64()), dtype=np.int64)

    year = (part(0, 4, iso_shape) + part(6, 10, uk_shape) + part(0, 4, month_shape))
    mon = (part(5, 7, iso_shape) + part(3, 5, uk_shape) + part(5, 7, month_shape))
    day = part(8, 10, iso_shape) + part(0, 2, uk_shape) + month_shape.astype(np.int64)
    shaped = iso_shape | uk_shape | month_shape
    plausible = shaped & (year >= MIN_YEAR) & (year <= MAX_YEAR) & (mon >= 1) & (mon <= 12)
    safe_year = np.where(plausible, year, 2000)
    safe_mon = np.where(plausible, mon, 1)
    first = ((safe_year - 1970) * 12 + (safe_mon - 1)).astype("datetime64[M]")
    length = ((first + 1).astype("datetime64[D]") - first.astype("datetime64[D]")).astype(int)
    real = plausible & (day >= 1) & (day <= length)
    days = np.where(real, first.astype("datetime64[D]") + (day - 1), np.datetime64("NaT"))
    return DateShapes(value, empty, iso_shape & real, uk_shape & real, iso_shape, uk_shape,
                      month_shape & real, days.astype("datetime64[D]"))


def check_date(shapes: DateShapes, form: str | None, decided_by: str, *,
               month_kind: bool = False) -> Checked:
    """Dates in the file's one form; month columns also take YYYY-MM (first of the month)."""
    good = shapes.iso if form == ISO else shapes.uk if form == UK else np.zeros_like(shapes.iso)
    if month_kind:
        good = good | shapes.month
    other_form = (shapes.uk if form == ISO else shapes.iso if form == UK
                  else np.zeros_like(shapes.iso)) & ~good
    invalid = ~good & ~other_form & ~shapes.empty
    days = np.where(good, shapes.days, np.datetime64("NaT"))
    if month_kind:
        days = days.astype("datetime64[M]").astype("datetime64[D]")
    expected = f"{DATE_EXPECTED}; or YYYY-MM for a month" if month_kind else DATE_EXPECTED
    other = UK if form == ISO else ISO
    return Checked(days.astype("datetime64[ns]"), shapes.empty, [
        Flagged(other_form,
                lambda v: f"{v!r} is written {other} but this file uses {form} "
                          f"(decided by {decided_by}); use one date form per file"),
        Flagged(invalid, lambda v: f"{v!r} is not a valid date ({expected})"),
    ])


# ---------------------------------------------------------------- text


def blank_to_null(arr: pa.ChunkedArray) -> pa.ChunkedArray:
    """Empty strings become nulls, without copying the text."""
    return pa.chunked_array([_blank_to_null_chunk(c) for c in arr.chunks], type=arr.type)


def _offsets(chunk: pa.Array) -> np.ndarray | None:
    """The offsets of a plain (unsliced, null-free) string chunk, else None."""
    if chunk.null_count or chunk.offset:
        return None
    if pa.types.is_large_string(chunk.type):
        dtype: type[np.integer] = np.int64
    elif pa.types.is_string(chunk.type):
        dtype = np.int32
    else:
        return None
    return np.frombuffer(chunk.buffers()[1], dtype=dtype, count=len(chunk) + 1)


def _blank_to_null_chunk(chunk: pa.Array) -> pa.Array:
    n = len(chunk)
    if n == 0:
        return chunk
    offsets = _offsets(chunk)
    if offsets is None:
        return pc.if_else(pc.equal(chunk, ""), pa.scalar(None, chunk.type), chunk)
    _, offsets_buf, data_buf = chunk.buffers()
    valid = offsets[1:] != offsets[:-1]
    nulls = n - int(np.count_nonzero(valid))
    if nulls == 0:
        return chunk
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
    return pa.Array.from_buffers(chunk.type, n, [bitmap, offsets_buf, data_buf],
                                 null_count=nulls)


def suspicious_rows(arr: pa.ChunkedArray) -> np.ndarray:
    """Positions of rows that may hold a control character, a CR or U+FFFE/U+FFFF.

    A byte scan of the text buffers: cheap, and exact enough to narrow the
    (slower) character-level clean-up to a handful of rows.
    """
    found: list[np.ndarray] = []
    start = 0
    for chunk in arr.chunks:
        n = len(chunk)
        offsets = _offsets(chunk) if n else None
        if offsets is not None:
            data_buf = chunk.buffers()[2]
            if data_buf is not None and offsets[-1] > offsets[0]:
                data = np.frombuffer(data_buf, dtype=np.uint8)[offsets[0]:offsets[-1]]
                low = np.flatnonzero(data < 0x20)
                if low.size:
                    low = low[(data[low] != 0x09) & (data[low] != 0x0A)]
                high = np.flatnonzero(data == 0xEF)
                hits = np.concatenate([low, high]) + offsets[0]
                if hits.size:
                    pos = np.searchsorted(offsets, hits, side="right") - 1
                    found.append(np.unique(pos) + start)
        elif n:
            mask = pc.match_substring_regex(chunk, r"[\x00-\x08\x0b-\x1f\x{FFFE}\x{FFFF}]")
            found.append(np.flatnonzero(_np_bool(mask)) + start)
        start += n
    if not found:
        return np.empty(0, dtype=np.int64)
    return np.concatenate(found).astype(np.int64)


@dataclass
class CleanText:
    """A text column after clean-up, and which rows had characters replaced."""

    values: pa.ChunkedArray
    replaced: np.ndarray


def clean_text(arr: pa.ChunkedArray) -> CleanText:
    """CRLF -> LF, vertical tab and form feed -> LF, other illegal characters -> U+FFFD."""
    rows = suspicious_rows(arr)
    if rows.size == 0:
        return CleanText(arr, rows)
    before = pc.take(arr, pa.array(rows))
    if isinstance(before, pa.ChunkedArray):
        before = before.combine_chunks()
    lines = pc.replace_substring(before, "\r\n", "\n")
    after = pc.replace_substring_regex(lines, _PAGE_BREAKS, "\n")
    after = pc.replace_substring_regex(after, _ILLEGAL, REPLACEMENT)
    changed = ~_np_bool(pc.equal(after, before))
    # CRLF -> LF is silent; replacing a control character is reported.
    reported = ~_np_bool(pc.equal(after, lines))
    if not changed.any():
        return CleanText(arr, rows[:0])
    mask = np.zeros(len(arr), dtype=bool)
    mask[rows[changed]] = True
    values = pc.replace_with_mask(arr, pa.array(mask), after.filter(pa.array(changed)))
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    return CleanText(values, rows[reported])



def needs_trim(arr: pa.ChunkedArray) -> bool:
    """Whether any value may start or end with whitespace (a byte scan of the ends)."""
    for chunk in arr.chunks:
        n = len(chunk)
        if not n:
            continue
        offsets = _offsets(chunk)
        if offsets is None:
            return True
        data_buf = chunk.buffers()[2]
        if data_buf is None or offsets[-1] == offsets[0]:
            continue
        data = np.frombuffer(data_buf, dtype=np.uint8)
        filled = offsets[1:] > offsets[:-1]
        ends = np.concatenate([data[offsets[:-1][filled]], data[offsets[1:][filled] - 1]])
        # Space and ASCII control characters, or any non-ASCII byte (which may
        # start a Unicode space): worth a real trim.
        if ((ends <= 0x20) | (ends >= 0x80)).any():
            return True
    return False
