"""Storing imported case records in the database, and reading them back.

    store_bundle(conn, records, *, source, files, imported_by) -> ImportSummary
    load_records(conn, *, crns=None) -> CaseRecords

Both work in the caller's transaction (the service owns it): an import that
fails half-way is rolled back whole, and a reader sees one consistent state.

Keys and hashes
    ``record_key`` names a record across exports: the table's key columns
    (people ``crn``; events ``crn`` and ``event_id``; contacts
    ``contact_id``; ...) joined with U+001F. The files without a key
    (allocations, training, supervision) use the SHA-256 of the row's
    contract values, with ``\\x1f2``, ``\\x1f3`` ... appended to the second
    and later of identical rows; so in those files a changed row is a
    removal and an addition. ``row_hash`` is a 128-bit BLAKE2b digest of the
    row's canonical values (dates ``YYYY-MM-DD``, yes/no ``Y``/``N``,
    numbers in their shortest exact form, text as stored; missing values
    marked) and of its extra columns (JSON with sorted keys). Both are
    computed over whole columns at once; only the digest itself is taken row
    by row, from one joined buffer.

What an import changes (for each file the bundle supplied)
    - a record whose key is not stored is **added**;
    - a stored record whose row hash differs is **changed** (rewritten: its
      provenance becomes this import);
    - a stored record that is not in the new file is **removed** only from
      the person-level files (people, events, contacts, assessments,
      registrations, allocations) and only for the people this bundle covers
      (whose ``crn`` is in its people.csv): an export of one team says
      nothing about the people of another. Staff-level files (staff,
      workload, training, supervision, teams) are only ever added to and
      updated: a staff member missing from one export has not stopped
      existing. A file the bundle did not supply changes nothing.
    - anything else is **unchanged** and keeps the import that wrote it. In
      files without an id column, where record ids are row numbers
      (``allocations:7``), an unchanged record that moved to another row has
      its ``record_id`` and provenance pointed at the new file.

Re-importing an export changes no record. Each import writes one ``imports``
row (files with their SHA-256 and rows, who, when, the per-file counts and
the first 50 changed records with the fields that changed) and one audit
entry; nothing is audited per row.

Bulk writes bypass the ORM: SQLite gets ``executemany`` with tuples on the
raw DBAPI cursor, PostgreSQL a ``COPY ... FROM STDIN (FORMAT csv)`` stream
written by pyarrow. Dates are stored as dates, yes/no as booleans, numbers
as floats, text as text, missing values as NULL. Reading back, the database
writes the rows as CSV text (SQLite ``printf``, PostgreSQL ``COPY ... TO
STDOUT``) that pyarrow parses into the importer's dtypes.

Two imports never interleave: SQLite transactions begin IMMEDIATE, and on
PostgreSQL an import takes a transaction-level advisory lock first. A
database error during the write comes out as :class:`sfo.errors.StoreError`
(:class:`~sfo.errors.StoreBusy` when locked) saying that nothing was
imported; the caller's transaction is then rolled back.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sfo.domain.records import TABLE_ORDER, TABLES, CaseRecords, TableSpec, empty_table
from sfo.errors import InputError, StoreBusy, StoreError
from sfo.store import audit
from sfo.store.engine import describe
from sfo.store.tables import RECORD_TABLES, ImportRun

Progress = Callable[[str], None]

KEY_SEP = "\x1f"
# Marks a missing value in the hashed text. The importer turns U+0000-U+0008
# and U+000E-U+001F in text into U+FFFD, so no stored value holds it (or
# the separator).
_MISSING = "\x1e"
CHANGED_KEPT = 50
_IMPORT_LOCK = 72_700_003  # the advisory lock that keeps two PostgreSQL imports apart
_CHUNK = 50_000
_TEXT = pa.large_string()
# Text columns as pandas holds them after an import (pyarrow-backed, NaN for missing).
_STR: Any = pd.StringDtype("pyarrow", na_value=np.nan)

imports = ImportRun.__table__  # type: ignore[attr-defined]

PERSON_TABLES: tuple[str, ...] = tuple(
    name for name, spec in TABLES.items() if any(c.name == "crn" for c in spec.columns))
STAFF_TABLES: tuple[str, ...] = tuple(name for name in TABLE_ORDER if name not in PERSON_TABLES)


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ChangedRecord:
    """One stored record that an import changed, and which of its fields changed."""

    record_id: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class TableChanges:
    """What an import did to one file's records."""

    table: str
    supplied: bool
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    changed_records: tuple[ChangedRecord, ...] = ()   # the first CHANGED_KEPT, in file order

    @property
    def any(self) -> bool:
        """Whether anything in this file was added, changed or removed."""
        return bool(self.added or self.changed or self.removed)

    def as_dict(self) -> dict[str, Any]:
        """The form kept in ``imports.summary``."""
        return {"supplied": self.supplied, "added": self.added, "changed": self.changed,
                "removed": self.removed, "unchanged": self.unchanged,
                "changed_records": [{"record_id": c.record_id, "fields": list(c.fields)}
                                    for c in self.changed_records]}


@dataclass(frozen=True)
class ImportSummary:
    """One stored import: its number, provenance and what it changed."""

    import_id: int
    imported_at: datetime
    imported_by: str
    source: str
    bundle_hash: str
    files: tuple[dict[str, Any], ...]
    tables: tuple[TableChanges, ...]
    people_covered: int
    # The latest earlier import of the same files (number and when), if any.
    same_as: tuple[int, datetime] | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def changed(self) -> bool:
        """Whether the import added, changed or removed any record."""
        return any(t.any for t in self.tables)

    def table(self, name: str) -> TableChanges:
        """The changes to one file's records."""
        for t in self.tables:
            if t.table == name:
                return t
        raise KeyError(name)

    def rows(self) -> list[dict[str, Any]]:
        """One row per file: added, changed, removed and unchanged, or not supplied."""
        out: list[dict[str, Any]] = []
        for t in self.tables:
            name = TABLES[t.table].filename
            if t.supplied:
                out.append({"File": name, "Added": t.added, "Changed": t.changed,
                            "Removed": t.removed, "Unchanged": t.unchanged, "Note": ""})
            else:
                out.append({"File": name, "Added": 0, "Changed": 0, "Removed": 0,
                            "Unchanged": 0, "Note": "not supplied: nothing changed"})
        return out

    def totals(self) -> dict[str, int]:
        """Added, changed, removed and unchanged records over every file."""
        return {k: sum(getattr(t, k) for t in self.tables)
                for k in ("added", "changed", "removed", "unchanged")}

    def describe(self) -> str:
        """One line for the audit log."""
        t = self.totals()
        what = (f"{t['added']} added, {t['changed']} changed, {t['removed']} removed, "
                f"{t['unchanged']} unchanged" if self.changed else "nothing changed")
        again = f" (the same files as import #{self.same_as[0]})" if self.same_as else ""
        return (f"import #{self.import_id} of {self.source} ({self.people_covered} people): "
                f"{what}{again}; bundle {self.bundle_hash[:16]}")


# ---------------------------------------------------------------------------- storing


def bundle_hash(files: Sequence[dict[str, Any]]) -> str:
    """SHA-256 over the files' names and SHA-256s (the same bundle as folder or zip)."""
    text = "".join(f"{f['name']}{KEY_SEP}{f['sha256']}\n"
                   for f in sorted(files, key=lambda f: str(f["name"])))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def store_bundle(conn: Connection, records: CaseRecords, *, source: str,
                 files: Sequence[dict[str, Any]], imported_by: str,
                 progress: Progress | None = None) -> ImportSummary:
    """Write a validated bundle into the store, in the caller's transaction."""
    where = describe(conn.engine.url.render_as_string(hide_password=False))
    digest = bundle_hash(files)
    at = datetime.now(UTC)
    people = records.table("people")
    covered = pa.array(people["crn"], type=_TEXT) if len(people) else pa.array([], _TEXT)
    try:
        if conn.dialect.name == "postgresql":
            # One import at a time, each seeing what the one before it committed (SQLite's
            # transactions begin IMMEDIATE, which does the same).
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _IMPORT_LOCK})
        import_id = int(conn.execute(imports.insert().values(
            source=source, bundle_hash=digest, imported_by=imported_by, imported_at=at,
            files=[dict(f) for f in files], summary={}, warnings=list(records.warnings),
        ).returning(imports.c.id)).scalar_one())
        changes: list[TableChanges] = []
        extras: dict[str, list[str]] = {}
        for name in TABLE_ORDER:
            spec = TABLES[name]
            if name not in records.supplied:
                if progress is not None:
                    progress(f"Skipping {spec.filename} (not supplied)")
                changes.append(TableChanges(name, supplied=False))
                continue
            if progress is not None:
                progress(f"Storing {spec.filename}")
            prepared = _prepare(spec, records.table(name))
            if prepared.extra_columns:
                extras[name] = prepared.extra_columns
            changes.append(_store_table(conn, prepared, import_id, covered))
        same_as = _earlier(conn, digest, import_id)
        summary = ImportSummary(
            import_id=import_id, imported_at=at, imported_by=imported_by, source=source,
            bundle_hash=digest, files=tuple(dict(f) for f in files), tables=tuple(changes),
            people_covered=len(people), same_as=same_as, warnings=tuple(records.warnings))
        conn.execute(imports.update().where(imports.c.id == import_id).values(summary={
            "tables": {t.table: t.as_dict() for t in changes},
            "supplied": sorted(records.supplied),
            "extras": extras,
            "people_covered": len(people),
            "changed": summary.changed,
            "same_as_import": same_as[0] if same_as else None,
        }))
        audit.append(conn, actor=imported_by, action="import", object_type="bundle",
                     object_id=str(import_id), summary=summary.describe())
    except Exception as exc:
        # The bulk paths use the driver directly, so its errors arrive unwrapped too.
        if isinstance(exc, sa.exc.DBAPIError | conn.dialect.loaded_dbapi.Error):
            raise _write_failed(exc, where) from exc
        raise
    return summary


def _write_failed(exc: BaseException, where: str) -> StoreError:
    orig = getattr(exc, "orig", None) or exc
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    state = getattr(orig, "sqlstate", None)
    if "disk is full" in text.lower() or state == "53100":
        return StoreError(f"The database {where} ran out of space during the import ({text}). "
                          "Nothing was imported: free some space (or raise the database's "
                          "size limit) and import again.")
    if "locked" in text.lower() or "busy" in text.lower():
        return StoreBusy(f"The database {where} was locked by another process during the "
                         f"import ({text}). Nothing was imported: try again when the other "
                         "import or save has finished.")
    return StoreError(f"The import into {where} failed ({text}). Nothing was imported.")


def _earlier(conn: Connection, digest: str, import_id: int) -> tuple[int, datetime] | None:
    row = conn.execute(
        sa.select(imports.c.id, imports.c.imported_at)
        .where(imports.c.bundle_hash == digest, imports.c.id < import_id)
        .order_by(imports.c.id.desc()).limit(1)).first()
    return (int(row[0]), _aware(row[1])) if row else None


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass
class _Prepared:
    """One file's records as the store holds them, with their keys and hashes."""

    spec: TableSpec
    n: int
    keys: pa.Array
    hashes: list[str]
    record_ids: pa.Array
    rows: np.ndarray
    typed: dict[str, pa.Array]           # contract columns as stored (dates as date32)
    text: dict[str, pa.Array]            # the same as canonical text
    extras: pa.Array                     # JSON text of the extra columns, or null
    extra_columns: list[str]

    @property
    def name(self) -> str:
        return self.spec.name


def _canonical(spec: TableSpec, frame: pd.DataFrame) -> tuple[dict[str, pa.Array],
                                                              dict[str, pa.Array]]:
    """Each contract column as stored (typed) and as canonical text."""
    typed: dict[str, pa.Array] = {}
    text: dict[str, pa.Array] = {}
    for col in spec.columns:
        s = frame[col.name]
        if col.kind in ("date", "month"):
            values = s.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            arr = pa.array(values, type=pa.date32(), mask=np.isnat(values))
            typed[col.name] = arr
            text[col.name] = pc.cast(arr, _TEXT)
        elif col.kind == "bool":
            arr = pa.array(s.to_numpy(dtype=bool), type=pa.bool_())
            typed[col.name] = arr
            text[col.name] = pc.if_else(arr, pa.scalar("Y", _TEXT), pa.scalar("N", _TEXT))
        elif col.kind == "number":
            values = s.to_numpy(dtype="float64")
            arr = pa.array(values, type=pa.float64(), mask=np.isnan(values))
            typed[col.name] = arr
            text[col.name] = pc.cast(arr, _TEXT)
        else:
            arr = _text_array(s)
            typed[col.name] = arr
            text[col.name] = arr
    return typed, text


def _text_array(s: pd.Series) -> pa.Array:
    arr = pa.array(s, type=_TEXT, from_pandas=True)
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _join(parts: Sequence[pa.Array], n: int) -> pa.Array:
    if not parts:
        return pa.array([""] * n, type=_TEXT)
    if len(parts) == 1:
        return pc.fill_null(parts[0], pa.scalar(_MISSING, _TEXT))
    out = pc.binary_join_element_wise(*parts, pa.scalar(KEY_SEP, _TEXT),
                                      null_handling="replace", null_replacement=_MISSING)
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def _digests(joined: pa.Array, algorithm: str) -> list[str]:
    """A hex digest of each value of a text array, read from its one data buffer."""
    if len(joined) == 0:
        return []
    if not pa.types.is_large_string(joined.type):
        joined = joined.cast(_TEXT)
    _validity, offsets, data = joined.buffers()
    off = np.frombuffer(offsets, dtype=np.int64)[joined.offset: joined.offset + len(joined) + 1]
    view = memoryview(data) if data is not None else memoryview(b"")
    starts, ends = off[:-1].tolist(), off[1:].tolist()
    if algorithm == "blake2b":
        blake = hashlib.blake2b
        return [blake(view[a:b], digest_size=16).hexdigest()
                for a, b in zip(starts, ends, strict=True)]
    sha = hashlib.sha256
    return [sha(view[a:b]).hexdigest() for a, b in zip(starts, ends, strict=True)]


_JSON_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))
_OTHER_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f]"


def _extras_json(frame: pd.DataFrame, columns: list[str]) -> pa.Array:
    """Each row's extra columns as JSON (sorted keys, missing values left out), or null.

    Built column-wise with string kernels; it is exactly what
    ``json.dumps(..., sort_keys=True, ensure_ascii=False, separators=(",", ":"))``
    gives, which rows holding rarer control characters get directly.
    """
    n = len(frame)
    if not columns:
        return pa.nulls(n, type=_TEXT)
    parts: list[pa.Array] = []
    odd = np.zeros(n, dtype=bool)
    for name in sorted(columns):
        arr = _text_array(frame[name].astype(_STR))
        odd |= pc.fill_null(pc.match_substring_regex(arr, _OTHER_CONTROL), False).to_numpy(
            zero_copy_only=False)
        for old, new in _JSON_ESCAPES:
            arr = pc.replace_substring(arr, old, new)
        head = pa.scalar(json.dumps(name, ensure_ascii=False) + ':"', _TEXT)
        # '"name":"value",' or, for a missing value, nothing. (Joining with
        # null_handling="skip" instead loses the rows where every value is missing.)
        part = pc.binary_join_element_wise(head, arr, pa.scalar('",', _TEXT),
                                           pa.scalar("", _TEXT))
        parts.append(pc.fill_null(part, pa.scalar("", _TEXT)))
    body = pc.binary_join_element_wise(*parts, pa.scalar("", _TEXT))
    body = pc.utf8_rtrim(body, characters=",")
    body = pc.binary_join_element_wise(pa.scalar("{", _TEXT), body, pa.scalar("}", _TEXT),
                                       pa.scalar("", _TEXT))
    out = pc.if_else(pc.equal(body, pa.scalar("{}", _TEXT)), pa.scalar(None, _TEXT), body)
    if odd.any():
        values = out.to_pylist()
        for i in np.flatnonzero(odd).tolist():
            row = {c: v for c in sorted(columns) if isinstance(v := frame[c].iat[i], str)}
            values[i] = json.dumps(row, sort_keys=True, ensure_ascii=False,
                                   separators=(",", ":"))
        out = pa.array(values, type=_TEXT)
    return out.combine_chunks() if isinstance(out, pa.ChunkedArray) else out


def _extra_columns(spec: TableSpec, frame: pd.DataFrame) -> list[str]:
    contract = {"row", "record_id", *(c.name for c in spec.columns)}
    return [str(c) for c in frame.columns if c not in contract]


def _prepare(spec: TableSpec, frame: pd.DataFrame) -> _Prepared:
    n = len(frame)
    typed, text = _canonical(spec, frame)
    extra_columns = _extra_columns(spec, frame)
    extras = _extras_json(frame, extra_columns)
    contract = _join([text[c.name] for c in spec.columns], n)
    hashed = _join([contract, extras], n) if extra_columns else contract
    hashes = _digests(hashed, "blake2b")
    if spec.key:
        keys = _join([text[k] for k in spec.key], n)
        _refuse_duplicate_keys(spec, keys, frame)
    else:
        keys = _keyless_keys(pa.array(_digests(contract, "sha256"), type=_TEXT))
    return _Prepared(
        spec=spec, n=n, keys=keys, hashes=hashes,
        record_ids=_text_array(frame["record_id"]),
        rows=frame["row"].to_numpy(dtype=np.int64),
        typed=typed, text=text, extras=extras, extra_columns=extra_columns)


def _keyless_keys(digests: pa.Array) -> pa.Array:
    """The digest, with the occurrence number appended to the 2nd and later identical rows."""
    series = pd.Series(digests.to_numpy(zero_copy_only=False), dtype=object)
    seen = series.groupby(series, sort=False).cumcount().to_numpy()
    if not seen.any():
        return digests
    suffix = pa.array([f"{KEY_SEP}{k + 1}" if k else "" for k in seen.tolist()], type=_TEXT)
    return pc.binary_join_element_wise(digests, suffix, pa.scalar("", _TEXT))


def _refuse_duplicate_keys(spec: TableSpec, keys: pa.Array, frame: pd.DataFrame) -> None:
    if pc.count_distinct(keys).as_py() == len(keys):
        return
    series = pd.Series(keys.to_numpy(zero_copy_only=False))
    dup = series.duplicated(keep=False).to_numpy()
    rows = frame["row"].to_numpy()[dup][:2].tolist()
    raise InputError(f"{spec.filename}: rows {rows[0]} and {rows[1]} have the same "
                     f"{' and '.join(spec.key)}; each record must be unique to be stored.")


@dataclass
class _Stored:
    keys: pa.Array
    hashes: pa.Array
    crns: pa.Array | None
    record_ids: pa.Array


def _stored_keys(conn: Connection, prepared: _Prepared) -> _Stored:
    cols = ["record_key", "row_hash", "record_id"]
    if prepared.name in PERSON_TABLES:
        cols.append("crn")
    table = _fetch(conn, prepared.spec, cols)
    return _Stored(keys=_flat(table["record_key"]), hashes=_flat(table["row_hash"]),
                   record_ids=_flat(table["record_id"]),
                   crns=_flat(table["crn"]) if "crn" in cols else None)


def _flat(col: pa.ChunkedArray) -> pa.Array:
    return col.combine_chunks()


def _has_rows(conn: Connection, name: str) -> bool:
    table = RECORD_TABLES[name]
    return conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None


def _store_table(conn: Connection, p: _Prepared, import_id: int,
                 covered: pa.Array) -> TableChanges:
    if not _has_rows(conn, p.name):
        _insert(conn, p, None, import_id)
        return TableChanges(p.name, supplied=True, added=p.n)
    stored = _stored_keys(conn, p)
    at = pc.index_in(p.keys, value_set=stored.keys)
    is_new = pc.is_null(at).to_numpy(zero_copy_only=False)
    old_hash = pc.take(stored.hashes, at)
    same = pc.fill_null(pc.equal(pa.array(p.hashes, type=_TEXT), old_hash), False).to_numpy(
        zero_copy_only=False)
    changed = ~is_new & ~same
    gone = ~pc.is_in(stored.keys, value_set=p.keys).to_numpy(zero_copy_only=False)
    if stored.crns is not None:
        gone &= pc.fill_null(pc.is_in(stored.crns, value_set=covered), False).to_numpy(
            zero_copy_only=False)
    else:
        gone[:] = False
    changed_at = np.flatnonzero(changed)
    details = _changed_fields(conn, p, changed_at[:CHANGED_KEPT])
    doomed = pa.concat_arrays([pc.take(p.keys, pa.array(changed_at, pa.int64())),
                               pc.filter(stored.keys, pa.array(gone))])
    _delete(conn, p.name, doomed)
    write = np.flatnonzero(is_new | changed)
    _insert(conn, p, write, import_id)
    if p.spec.id_column is None:
        _repoint_moved(conn, p, stored, at, same, import_id)
    return TableChanges(p.name, supplied=True, added=int(is_new.sum()),
                        changed=int(changed.sum()),
                        removed=int(gone.sum()), unchanged=int(same.sum()),
                        changed_records=details)


def _changed_fields(conn: Connection, p: _Prepared,
                    positions: np.ndarray) -> tuple[ChangedRecord, ...]:
    """Which fields differ between the stored and the new version of some records."""
    if positions.size == 0:
        return ()
    idx = pa.array(positions, pa.int64())
    keys = pc.take(p.keys, idx).to_pylist()
    old = _read(conn, p.spec, keys=keys)
    old_text = _canonical(p.spec, old.frame)[1]
    at = {k: i for i, k in enumerate(old.keys)}
    new_extras = pc.take(p.extras, idx).to_pylist()
    out: list[ChangedRecord] = []
    for j, (pos, key) in enumerate(zip(positions.tolist(), keys, strict=True)):
        i = at[key]
        fields = [c.name for c in p.spec.columns
                  if old_text[c.name][i].as_py() != p.text[c.name][pos].as_py()]
        was, now = old.extras[i], new_extras[j]
        a = json.loads(was) if was else {}
        b = json.loads(now) if now else {}
        fields += sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        out.append(ChangedRecord(str(p.record_ids[pos].as_py()), tuple(fields)))
    return tuple(out)


def _raw(conn: Connection) -> Any:
    """The driver's own connection, inside the caller's transaction."""
    return conn.connection.dbapi_connection


def _insert_columns(spec: TableSpec) -> list[str]:
    return (["record_key", "record_id", *(c.name for c in spec.columns), "extras", "row_hash",
             "import_id", "source_row"])


def _insert(conn: Connection, p: _Prepared, positions: np.ndarray | None,
            import_id: int) -> None:
    """Write some of the prepared rows (all when ``positions`` is None)."""
    if p.n == 0 or (positions is not None and positions.size == 0):
        return
    take: pa.Array | None = None
    hashes, rows = p.hashes, p.rows
    if positions is not None and positions.size < p.n:
        take = pa.array(positions, pa.int64())
        hashes = [p.hashes[i] for i in positions.tolist()]
        rows = p.rows[positions]

    def pick(arr: pa.Array) -> pa.Array:
        return arr if take is None else pc.take(arr, take)

    n = len(rows)
    if conn.dialect.name == "postgresql":
        columns = [pick(p.keys), pick(p.record_ids),
                   *(pick(p.typed[c.name]) for c in p.spec.columns), pick(p.extras),
                   pa.array(hashes, type=pa.string()),
                   pa.array(np.full(n, import_id, dtype=np.int64)), pa.array(rows)]
        _copy(conn, p.spec, pa.Table.from_arrays(columns, names=_insert_columns(p.spec)))
        return
    # SQLite: text for dates (as SQLAlchemy's Date stores them), Python values otherwise.
    sources: list[pa.Array] = [pick(p.keys), pick(p.record_ids)]
    for c in p.spec.columns:
        sources.append(pick(p.text[c.name] if c.kind in ("date", "month") else p.typed[c.name]))
    sources.append(pick(p.extras))
    names = _insert_columns(p.spec)
    sql = (f"INSERT INTO {RECORD_TABLES[p.name].name} ({', '.join(names)}) "
           f"VALUES ({', '.join('?' * len(names))})")
    cur = _raw(conn).cursor()
    try:
        for start in range(0, n, _CHUNK):
            stop = min(start + _CHUNK, n)
            lists = [a.slice(start, stop - start).to_pylist() for a in sources]
            cur.executemany(sql, zip(*lists, hashes[start:stop], itertools.repeat(import_id),
                                     rows[start:stop].tolist()))
    finally:
        cur.close()


def _copy(conn: Connection, spec: TableSpec, table: pa.Table) -> None:
    names = table.column_names
    sql = (f"COPY {RECORD_TABLES[spec.name].name} ({', '.join(names)}) "
           "FROM STDIN (FORMAT csv)")
    options = pacsv.WriteOptions(include_header=False)
    with _raw(conn).cursor() as cur, cur.copy(sql) as copy:
        for batch in table.to_batches(max_chunksize=_CHUNK):
            buf = io.BytesIO()
            pacsv.write_csv(batch, buf, options)
            copy.write(buf.getbuffer())


def _delete(conn: Connection, name: str, keys: pa.Array) -> None:
    if len(keys) == 0:
        return
    table = RECORD_TABLES[name].name
    cur = _raw(conn).cursor()
    try:
        values = keys.to_pylist()
        for start in range(0, len(values), _CHUNK):
            chunk = values[start:start + _CHUNK]
            if conn.dialect.name == "postgresql":
                cur.execute(f"DELETE FROM {table} WHERE record_key = ANY(%s)", (chunk,))
            else:
                cur.executemany(f"DELETE FROM {table} WHERE record_key = ?",
                                ((k,) for k in chunk))
    finally:
        cur.close()


def _repoint_moved(conn: Connection, p: _Prepared, stored: _Stored, at: pa.Array,
                   same: np.ndarray, import_id: int) -> None:
    """Unchanged records whose row-number id moved: point them at this file's row."""
    old_ids = pc.take(stored.record_ids, at)
    moved = same & pc.fill_null(pc.not_equal(p.record_ids, old_ids), False).to_numpy(
        zero_copy_only=False)
    where = np.flatnonzero(moved)
    if where.size == 0:
        return
    idx = pa.array(where, pa.int64())
    keys = pc.take(p.keys, idx).to_pylist()
    ids = pc.take(p.record_ids, idx).to_pylist()
    rows = p.rows[where].tolist()
    table = RECORD_TABLES[p.name].name
    cur = _raw(conn).cursor()
    try:
        if conn.dialect.name == "postgresql":
            cur.execute(
                f"UPDATE {table} AS t SET record_id = v.rid, source_row = v.r, import_id = %s "
                "FROM unnest(%s::text[], %s::text[], %s::int[]) AS v(k, rid, r) "
                "WHERE t.record_key = v.k", (import_id, keys, ids, rows))
        else:
            cur.executemany(f"UPDATE {table} SET record_id = ?, source_row = ?, import_id = ? "
                            "WHERE record_key = ?",
                            zip(ids, rows, itertools.repeat(import_id), keys))
    finally:
        cur.close()


# ---------------------------------------------------------------------------- reading


def load_records(conn: Connection, *, crns: Sequence[str] | None = None) -> CaseRecords:
    """The stored records (of some people, or everyone) as the importer gives them.

    Every table has the columns and dtypes of :func:`sfo.importers.load_bundle`
    (extra columns of the exports after the contract's, as text); rows are in
    the order their imports wrote them. Staff-level tables are read whole.
    ``supplied`` is every file any import supplied; ``warnings`` are the last
    import's.
    """
    runs = conn.execute(sa.select(imports.c.id, imports.c.source, imports.c.summary,
                                  imports.c.warnings).order_by(imports.c.id)).all()
    supplied: set[str] = set()
    extras_order: dict[int, dict[str, list[str]]] = {}
    for run in runs:
        summary = _json(run.summary) or {}
        supplied.update(summary.get("supplied", []))
        extras_order[int(run.id)] = summary.get("extras", {})
    wanted = None if crns is None else sorted(set(crns))
    tables: dict[str, pd.DataFrame] = {}
    for name in TABLE_ORDER:
        stored = _read(conn, TABLES[name], crns=wanted if name in PERSON_TABLES else None)
        frame = stored.frame
        columns = _ordered_extras(name, stored.import_ids, extras_order)
        if columns:
            frame = pd.concat([frame, _extras_frame(stored.extras, columns)], axis=1)
        tables[name] = _unique_ids(frame, stored.import_ids)
    last = runs[-1] if runs else None
    source = (f"the store (import #{last.id}: {last.source})" if last is not None
              else "the store (nothing imported yet)")
    warnings = tuple(_json(last.warnings) or []) if last is not None else ()
    return CaseRecords(tables, frozenset(supplied), source=source, warnings=warnings)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _ordered_extras(name: str, import_ids: np.ndarray,
                    order: dict[int, dict[str, list[str]]]) -> list[str]:
    """Extra columns of the imports that wrote the rows read, in their files' order."""
    out: list[str] = []
    for i in sorted(set(import_ids.tolist())):
        for col in order.get(i, {}).get(name, []):
            if col not in out:
                out.append(col)
    return out


def _extras_frame(values: list[str | None], columns: list[str]) -> pd.DataFrame:
    """The extra columns (text) from each row's JSON."""
    n = len(values)
    schema = pa.schema([(c, _TEXT) for c in columns])
    if n and any(v is not None for v in values):
        lines = "\n".join(v if v else "{}" for v in values).encode("utf-8")
        table = pajson.read_json(
            io.BytesIO(lines),
            read_options=pajson.ReadOptions(block_size=1 << 24),
            parse_options=pajson.ParseOptions(explicit_schema=schema,
                                              unexpected_field_behavior="ignore"))
    else:
        table = pa.table({c: pa.nulls(n, _TEXT) for c in columns}, schema=schema)
    return pd.DataFrame({c: pd.Series(_STR.__from_arrow__(table.column(c)), copy=False)
                         for c in columns})


def _unique_ids(frame: pd.DataFrame, import_ids: np.ndarray) -> pd.DataFrame:
    """Row-number ids (``training:5``) kept from older imports get ``@import<N>`` added.

    A record of a file without an id column that a later export no longer
    holds (a staff member's old training row, say) keeps the id of its row
    in the file it came from, which the later file may give to another record.
    """
    ids = frame["record_id"]
    dup = ids.duplicated(keep=False).to_numpy()
    if not dup.any():
        return frame
    latest = pd.Series(import_ids).groupby(ids.to_numpy()).transform("max").to_numpy()
    older = dup & (import_ids < latest)
    if not older.any():
        return frame
    fixed = np.array(ids.astype(object), dtype=object)
    for i in np.flatnonzero(older).tolist():
        fixed[i] = f"{fixed[i]}@import{int(import_ids[i])}"
    frame = frame.copy()
    frame["record_id"] = pd.Series(fixed, dtype=_STR)
    return frame


@dataclass
class _Rows:
    frame: pd.DataFrame          # row, record_id and the contract columns
    keys: list[str]
    extras: list[str | None]
    import_ids: np.ndarray


_META = ("record_key", "record_id", "source_row", "import_id", "extras", "row_hash")


def _read(conn: Connection, spec: TableSpec, *, crns: Sequence[str] | None = None,
          keys: Sequence[str] | None = None) -> _Rows:
    """Stored rows of one table (all, some people's, or some keys'), in import order."""
    names = ["record_key", "record_id", "source_row", "import_id", "extras",
             *(c.name for c in spec.columns)]
    where = ("crn", crns) if crns is not None else ("record_key", keys) if keys is not None \
        else None
    table = _fetch(conn, spec, names, where=where)
    if table.num_rows == 0:
        return _Rows(empty_table(spec.name), [], [], np.array([], dtype=np.int64))
    order = pc.sort_indices(table, sort_keys=[("import_id", "ascending"),
                                              ("source_row", "ascending")])
    table = table.take(order)
    data: dict[str, Any] = {
        "row": pd.Series(table["source_row"].to_numpy(), dtype="int64"),
        "record_id": pd.Series(_STR.__from_arrow__(table["record_id"]), copy=False),
    }
    for c in spec.columns:
        col = table[c.name]
        if c.kind in ("date", "month"):
            data[c.name] = pd.Series(col.cast(pa.timestamp("ns")).to_numpy(),
                                     dtype="datetime64[ns]")
        elif c.kind == "bool":
            data[c.name] = pd.Series(pc.fill_null(col, False).to_numpy(), dtype=bool)
        elif c.kind == "number":
            data[c.name] = pd.Series(col.to_numpy(), dtype="float64")
        else:
            data[c.name] = pd.Series(_STR.__from_arrow__(col), copy=False)
    return _Rows(pd.DataFrame(data), table["record_key"].to_pylist(),
                 table["extras"].to_pylist(), table["import_id"].to_numpy())


def _arrow_type(spec: TableSpec, name: str) -> pa.DataType:
    if name in ("source_row", "import_id"):
        return pa.int64()
    if name in _META:
        return _TEXT
    kind = spec.column(name).kind
    if kind in ("date", "month"):
        return pa.date32()
    if kind == "bool":
        return pa.bool_()
    if kind == "number":
        return pa.float64()
    return _TEXT


def _fetch(conn: Connection, spec: TableSpec, names: list[str], *,
           where: tuple[str, Sequence[str]] | None = None) -> pa.Table:
    """Some columns of a stored table as an Arrow table (typed as :func:`_arrow_type`).

    The database writes the rows as CSV text (SQLite with ``printf`` and
    ``group_concat``, PostgreSQL with ``COPY ... TO STDOUT``) and pyarrow
    parses it, so no Python object is made per value.
    """
    types = {n: _arrow_type(spec, n) for n in names}
    if conn.dialect.name == "postgresql":
        data, quote, true, false, null = _fetch_postgresql(conn, spec, names, types, where)
    else:
        data, quote, true, false, null = _fetch_sqlite(conn, spec, names, types, where)
    if not data.strip():
        return pa.table({n: pa.array([], type=t) for n, t in types.items()})
    return pacsv.read_csv(
        io.BytesIO(data),
        read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(quote_char=quote, double_quote=True,
                                         newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=types, null_values=[null], strings_can_be_null=True,
            quoted_strings_can_be_null=False, true_values=[true], false_values=[false]))


def _fetch_sqlite(conn: Connection, spec: TableSpec, names: list[str],
                  types: dict[str, pa.DataType],
                  where: tuple[str, Sequence[str]] | None) -> tuple[bytes, str, str, str, str]:
    # SQL literals are CSV with ' as the quote: %Q quotes text (NULL bare), and
    # quote() writes a float exactly.
    fmt, args = [], []
    for n in names:
        if pa.types.is_integer(types[n]):
            fmt.append("%d")
            args.append(n)
        elif pa.types.is_floating(types[n]):
            fmt.append("%s")
            args.append(f"quote({n})")
        else:
            fmt.append("%Q")
            args.append(n)
    line = f"printf('{','.join(fmt)}', {', '.join(args)})"
    table = RECORD_TABLES[spec.name].name
    groups: list[list[str] | None] = [None]
    if where is not None:
        groups = list(_chunks(list(where[1]), 10_000))
    out: list[bytes] = []
    cur = _raw(conn).cursor()
    try:
        for group in groups:
            filt, params = "", []
            if group is not None and where is not None:
                filt = f" AND {where[0]} IN ({', '.join('?' * len(group))})"
                params = list(group)
            last = 0
            while True:
                cur.execute(
                    f"SELECT max(r), group_concat(j, char(10)) FROM (SELECT rowid AS r, "
                    f"{line} AS j FROM {table} WHERE rowid > ?{filt} ORDER BY rowid "
                    f"LIMIT {_CHUNK * 2})", [last, *params])
                top, text = cur.fetchone()
                if top is None:
                    break
                last = int(top)
                out.append(text.encode("utf-8"))
    finally:
        cur.close()
    return b"\n".join(out), "'", "1", "0", "NULL"


def _fetch_postgresql(conn: Connection, spec: TableSpec, names: list[str],
                      types: dict[str, pa.DataType],
                      where: tuple[str, Sequence[str]] | None) -> tuple[bytes, str, str, str,
                                                                        str]:
    # Dates through to_char: the output is ISO whatever the server's DateStyle.
    cols = [f"to_char({n}, 'YYYY-MM-DD')" if pa.types.is_date(types[n]) else n for n in names]
    sql = f"SELECT {', '.join(cols)} FROM {RECORD_TABLES[spec.name].name}"
    params: tuple[Any, ...] = ()
    if where is not None:
        sql += f" WHERE {where[0]} = ANY(%s)"
        params = (list(where[1]),)
    buf = io.BytesIO()
    with _raw(conn).cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)",
                                              params or None) as copy:
        for block in copy:
            buf.write(block)
    return buf.getvalue(), '"', "t", "f", ""


def _chunks(values: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def people_pdus(conn: Connection, crns: Sequence[str]) -> dict[str, str]:
    """The probation delivery unit of each stored person asked for ('' when not recorded)."""
    people = RECORD_TABLES["people"]
    out: dict[str, str] = {}
    for part in _chunks(sorted(set(crns)), 500):
        rows = conn.execute(sa.select(people.c.crn, people.c.pdu).where(people.c.crn.in_(part)))
        out.update({str(crn): str(pdu or "") for crn, pdu in rows})
    return out


def find_people(conn: Connection, query: str, *, limit: int = 50) -> list[dict[str, str]]:
    """Stored people whose CRN starts with, or whose name contains, the query (CRN order)."""
    people = RECORD_TABLES["people"]
    text = query.strip()
    where = sa.true() if not text else sa.or_(
        people.c.crn.like(text.upper().replace("%", "").replace("_", "") + "%"),
        people.c.name.ilike("%" + text.replace("%", "").replace("_", "") + "%"))
    rows = conn.execute(sa.select(people.c.crn, people.c.name, people.c.pdu,
                                  people.c.team_code).where(where)
                        .order_by(people.c.crn).limit(limit))
    return [{"crn": str(r.crn), "name": str(r.name or ""), "pdu": str(r.pdu or ""),
             "team_code": str(r.team_code or "")} for r in rows]


def latest_import(conn: Connection) -> int:
    """The number of the newest import (0 before any), so a reader can tell if records changed."""
    value = conn.execute(sa.select(sa.func.max(imports.c.id))).scalar()
    return int(value or 0)
