"""Checks across rows and files: unique keys, references, impossible values.

All are vectorised over integer codes; messages are built only for the rows
that fail and will be shown.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sfo.importers.problems import ProblemLog
from sfo.importers.table import CheckedTable

# (table, earlier column, later column): the later date may not come first.
DATE_ORDER: tuple[tuple[str, str, str], ...] = (
    ("allocations", "allocated_from", "allocated_to"),
    ("assessments", "initiated_date", "completed_date"),
    ("registrations", "registered_date", "deregistered_date"),
    ("events", "sentence_date", "terminated_date"),
    ("events", "sentence_date", "release_date"),
)
# Staff codes checked against staff.csv only with a warning: exports hold
# administrative staff who are not in a staff list.
STAFF_REFERENCES: tuple[tuple[str, str], ...] = (
    ("contacts", "staff_code"), ("assessments", "staff_code"), ("workload", "staff_code"),
    ("training", "staff_code"), ("supervision", "staff_code"),
    ("supervision", "supervisor_code"),
)
PEOPLE_REFERENCES = ("events", "contacts", "assessments", "registrations", "allocations")


def check_bundle(tables: dict[str, CheckedTable], log: ProblemLog) -> None:
    """Run every cross-row and cross-file check on the tables that were read."""
    for table in tables.values():
        check_key(table, log)
    check_people(tables, log)
    check_events(tables, log)
    check_staff(tables, log)
    check_impossible(tables, log)


# ---------------------------------------------------------------- keys


def check_key(table: CheckedTable, log: ProblemLog) -> None:
    """A table's key columns, together, must be unique; name both rows."""
    key = table.spec.key
    if not key or any(col not in table.values for col in key) or len(table) < 2:
        return
    if len(key) == 1 and key[0] in table.plain and _strictly_increasing(table.plain[key[0]]):
        return  # sorted ids are unique: the hash pass is not needed
    codes = _codes(table, key[0])
    for col in key[1:]:
        codes = _combine(codes, _codes(table, col))
    valid = codes >= 0
    if not valid.any():
        return
    counts = np.bincount(codes[valid])
    dup = valid & (counts[np.where(valid, codes, 0)] > 1)
    if not dup.any():
        return
    pos = np.flatnonzero(dup)
    _, inverse = np.unique(codes[pos], return_inverse=True)
    firsts = np.full(int(inverse.max()) + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(firsts, inverse, pos)
    first_of = firsts[inverse]
    later = pos != first_of
    first_by_pos = dict(zip(pos[later].tolist(), first_of[later].tolist(), strict=True))
    column = ", ".join(key)
    what = (f"{key[0]} must be unique" if len(key) == 1
            else f"each combination of {' and '.join(key)} must be unique")

    def message(p: int) -> str:
        shown = ", ".join(f"{c} {text_at(table, c, p)!r}" for c in key)
        return f"{shown} is already in row {int(table.rows[first_by_pos[p]])}; {what}"

    log.add_rows(table.filename, column, pos[later], table.rows, message)


def _strictly_increasing(arr: pa.ChunkedArray) -> bool:
    """Whether ids are in strictly increasing order by (length, text): then unique."""
    n = len(arr)
    if arr.null_count:
        return False
    lengths = np.asarray(pc.binary_length(arr).to_numpy(), dtype=np.int64)
    shorter = lengths[:-1] < lengths[1:]
    same = lengths[:-1] == lengths[1:]
    if not (shorter | same).all():
        return False
    less = np.asarray(pc.less(arr.slice(0, n - 1), arr.slice(1)).to_numpy(), dtype=bool)
    return bool((shorter | (same & less)).all())


def _codes(table: CheckedTable, col: str) -> np.ndarray:
    """Dense integer codes of a column's normalised values per row (-1 = empty)."""
    if col in table.encoded:
        enc, values = table.encoded[col]
        per_value = _dense(values)
        return per_value[enc.codes]
    values = table.values[col]
    if isinstance(values, np.ndarray):
        codes, _ = pd.factorize(values, use_na_sentinel=True)
        return codes.astype(np.int64)
    return _dense(values)


def _dense(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    enc = pc.dictionary_encode(values)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    return np.asarray(pc.fill_null(enc.indices, -1).to_numpy(), dtype=np.int64)


def _combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    both = (a >= 0) & (b >= 0)
    joined = np.where(both, a * (int(b.max(initial=0)) + 1) + b, -1)
    codes, _ = pd.factorize(joined)
    return np.where(both, codes, -1).astype(np.int64)


def text_at(table: CheckedTable, col: str, pos: int) -> str:
    """A column's normalised value at a position, as text for a message."""
    if col in table.encoded:
        enc, values = table.encoded[col]
        return str(values[int(enc.codes[pos])].as_py())
    values = table.values[col]
    if isinstance(values, np.ndarray):
        value = values[pos]
        if np.issubdtype(values.dtype, np.datetime64):
            return str(value.astype("datetime64[D]"))
        return str(value)
    return str(values[pos].as_py())


# ---------------------------------------------------------------- references


def check_people(tables: dict[str, CheckedTable], log: ProblemLog) -> None:
    """Every crn in another file must be in people.csv."""
    people = tables.get("people")
    if people is None or "crn" not in people.encoded:
        return
    known = people.encoded["crn"][1].drop_null()
    for name in PEOPLE_REFERENCES:
        table = tables.get(name)
        if table is None or "crn" not in table.encoded:
            continue
        enc, values = table.encoded["crn"]
        missing = _not_in(values, known)
        if missing.any():
            table.failed["crn"] = table.failed_rows("crn") | missing[enc.codes]
            log.add_rows(table.filename, "crn", enc.rows_where(missing), table.rows,
                         partial(_not_in_people, table))


def _not_in_people(table: CheckedTable, pos: int) -> str:
    return f"{text_at(table, 'crn', pos)!r} is not in people.csv"


def check_events(tables: dict[str, CheckedTable], log: ProblemLog) -> None:
    """A contact's event_id must be an event of the same person in events.csv."""
    contacts, events = tables.get("contacts"), tables.get("events")
    if contacts is None or events is None:
        return
    if not {"crn", "event_id"} <= contacts.encoded.keys():
        return
    if not {"crn", "event_id"} <= events.encoded.keys():
        return
    crn_enc, crn_values = contacts.encoded["crn"]
    ev_enc, ev_values = contacts.encoded["event_id"]
    # Pairs as integers: normalised crn id * number of event ids + event id.
    crn_names, crn_id = _dense_values(crn_values)
    ev_names, ev_id = _dense_values(ev_values)
    width = max(len(ev_names), 1)
    row_crn = crn_id[crn_enc.codes]
    row_ev = ev_id[ev_enc.codes]
    # A contact whose crn already failed (e.g. not in people.csv) is not
    # reported again for its event.
    checked = (row_crn >= 0) & (row_ev >= 0) & ~contacts.failed_rows("crn")
    if not checked.any():
        return
    ev_crn_enc, ev_crn_values = events.encoded["crn"]
    ev_ev_enc, ev_ev_values = events.encoded["event_id"]
    known_crn = _index_in(ev_crn_enc.take(ev_crn_values), crn_names)
    known_ev = _index_in(ev_ev_enc.take(ev_ev_values), ev_names)
    present = (known_crn >= 0) & (known_ev >= 0)
    known = np.unique(known_crn[present] * width + known_ev[present])
    pairs = row_crn * width + row_ev
    found = pd.Series(pairs, copy=False).isin(known).to_numpy()
    failing = np.flatnonzero(checked & ~found)
    log.add_rows(
        contacts.filename, "event_id", failing, contacts.rows,
        lambda p: (f"event_id {text_at(contacts, 'event_id', p)!r} is not an event of "
                   f"{text_at(contacts, 'crn', p)} in events.csv"),
    )


def _dense_values(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The distinct normalised values, and each value's index among them (-1 = empty)."""
    names = pc.unique(values.drop_null())
    ids = pc.index_in(values, value_set=names)
    return names, np.asarray(pc.fill_null(ids, -1).to_numpy(), dtype=np.int64)


def _index_in(values: pa.Array | pa.ChunkedArray, names: pa.Array) -> np.ndarray:
    ids = pc.index_in(values, value_set=names)
    return np.asarray(pc.fill_null(ids, -1).to_numpy(), dtype=np.int64)


def _not_in(values: pa.Array, known: pa.Array) -> np.ndarray:
    """Per value: present (not empty) and not among ``known``."""
    found = pc.is_in(values, value_set=known)
    return np.asarray(pc.invert(pc.fill_null(found, True)).to_numpy(zero_copy_only=False),
                      dtype=bool)


def check_staff(tables: dict[str, CheckedTable], log: ProblemLog) -> None:
    """Allocated staff must be in staff.csv (error); other staff codes only warn."""
    staff = tables.get("staff")
    if staff is None or "staff_code" not in staff.encoded:
        return
    known = staff.encoded["staff_code"][1].drop_null()
    alloc = tables.get("allocations")
    if alloc is not None and "staff_code" in alloc.encoded:
        enc, values = alloc.encoded["staff_code"]
        missing = _not_in(values, known) & ~_unallocated(values)
        if missing.any():
            log.add_rows(
                alloc.filename, "staff_code", enc.rows_where(missing), alloc.rows,
                lambda p: (f"{text_at(alloc, 'staff_code', p)!r} is not in staff.csv (only a "
                           "code ending in U, meaning unallocated, may be missing from it)"),
            )
    for name, col in STAFF_REFERENCES:
        table = tables.get(name)
        if table is None or col not in table.encoded:
            continue
        enc, values = table.encoded[col]
        missing = _not_in(values, known) & ~_unallocated(values)
        if not missing.any():
            continue
        counts = np.bincount(enc.codes, minlength=enc.size)[missing]
        codes = np.asarray(values.filter(pa.array(missing)).to_pylist(), dtype=object)
        order = np.lexsort((codes.astype(str), -counts))
        examples = ", ".join(str(c) for c in codes[order][:5])
        more = f" and {codes.size - 5} more" if codes.size > 5 else ""
        total = int(counts.sum())
        rows = "1 row has" if total == 1 else f"{total} rows have"
        log.warn(f"{table.filename}: {rows} a {col} that is not in staff.csv "
                 f"({examples}{more}); kept, as exports include administrative staff")


def _date_order(table: CheckedTable, earlier: str, later: str, pos: int) -> str:
    return (f"{later} {text_at(table, later, pos)} is before {earlier} "
            f"{text_at(table, earlier, pos)}, which is impossible")


def _unallocated(values: pa.Array) -> np.ndarray:
    ends = pc.ends_with(values, "U")
    return np.asarray(pc.fill_null(ends, False).to_numpy(zero_copy_only=False), dtype=bool)


# ---------------------------------------------------------------- impossible values


def check_impossible(tables: dict[str, CheckedTable], log: ProblemLog) -> None:
    """Dates in the wrong order, licences without a release, zero establishment."""
    for name, earlier, later in DATE_ORDER:
        table = tables.get(name)
        if table is None:
            continue
        first, second = table.values[earlier], table.values[later]
        assert isinstance(first, np.ndarray) and isinstance(second, np.ndarray)
        wrong = second < first  # NaT compares False: empty dates pass
        log.add_mask(table.filename, later, wrong, table.rows,
                     partial(_date_order, table, earlier, later))
    events = tables.get("events")
    if events is not None and "sentence_type" in events.encoded:
        enc, values = events.encoded["sentence_type"]
        licence = np.asarray(pc.fill_null(pc.equal(values, "licence"), False), dtype=bool)
        release = events.values["release_date"]
        assert isinstance(release, np.ndarray)
        empty = np.isnat(release) & ~events.failed_rows("release_date")
        log.add_mask(events.filename, "release_date", licence[enc.codes] & empty,
                     events.rows,
                     lambda _p: "is empty, but a licence needs its release_date (the start "
                                "of licence supervision)")
    teams = tables.get("teams")
    if teams is not None:
        establishment = teams.values["establishment_fte"]
        assert isinstance(establishment, np.ndarray)
        log.add_mask(teams.filename, "establishment_fte", establishment == 0, teams.rows,
                     lambda _p: "is 0, so the share of posts filled cannot be worked out; "
                                "give the funded establishment")
