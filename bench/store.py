"""Import into the store: ``store_bundle`` against a plain bulk insert of the same rows.

The region of :func:`bench.region.bundle_for` (20,000 people, about 2.18
million contacts) is read once with ``load_bundle``; parsing is not timed on
either side. Then, from the same :class:`~sfo.domain.records.CaseRecords`:

- SQLite: ``store_bundle`` into a fresh database file (schema made by
  ``schema.upgrade``, untimed), committed, against the baseline: every table's
  rows, with the same columns (``record_key``, ``record_id``, the contract
  columns, ``extras``, ``row_hash``, ``import_id``, ``source_row``), turned
  into tuples and inserted with the standard library's ``sqlite3``
  ``executemany`` in one transaction into another fresh file with the same
  schema and the engine's pragmas (WAL, ``synchronous=NORMAL``, foreign
  keys), committed;
- PostgreSQL: ``store_bundle`` into a fresh database against ``COPY ... FROM
  STDIN (FORMAT csv)`` of the same rows (written by pyarrow, streamed with
  psycopg) into another fresh database, committed.

The baseline gives each row its ``record_id`` as key and a constant 32-digit
hash: it only moves the rows. ``store_bundle`` also computes the keys and row
hashes, looks for stored records to compare with, and writes the ``imports``
row and the audit entry. Each side is the best of two runs, interleaved.
Target: at most 2x on both. Run as ``python -m bench --only store``.
"""

from __future__ import annotations

import io
import os
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TARGET = 2.0
RUNS = 2
ADMIN_URL = os.environ.get("SFO_BENCH_POSTGRES_URL",
                           "postgresql://postgres@127.0.0.1:5432/test")
_HASH = "0" * 32


def _columns(spec: Any) -> list[str]:
    return ["record_key", "record_id", *(c.name for c in spec.columns), "extras", "row_hash",
            "import_id", "source_row"]


def _arrow_columns(spec: Any, frame: Any) -> list[Any]:
    """The table's rows as Arrow arrays (dates as date32, missing values null)."""
    import numpy as np
    import pyarrow as pa

    n = len(frame)
    ids = pa.array(frame["record_id"], type=pa.large_string())
    out = [ids, ids]
    for c in spec.columns:
        s = frame[c.name]
        if c.kind in ("date", "month"):
            v = s.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
            out.append(pa.array(v, type=pa.date32(), mask=np.isnat(v)))
        elif c.kind == "bool":
            out.append(pa.array(s.to_numpy(dtype=bool)))
        elif c.kind == "number":
            v = s.to_numpy(dtype="float64")
            out.append(pa.array(v, mask=np.isnan(v)))
        else:
            out.append(pa.array(s, type=pa.large_string(), from_pandas=True))
    out += [pa.nulls(n, pa.large_string()), pa.array([_HASH] * n),
            pa.array(np.ones(n, dtype=np.int64)), pa.array(frame["row"].to_numpy())]
    return out


_IMPORT_ROW = ("INSERT INTO imports (id, source, bundle_hash, imported_by, imported_at, files, "
               "summary, warnings) VALUES (1, 'bench', '', 'bench', '2026-01-01 00:00:00', "
               "'[]', '{}', '[]')")


def baseline_sqlite(path: Path, records: Any) -> None:
    """Every table's rows into a SQLite file: sqlite3 executemany, one transaction."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from sfo.domain.records import TABLES

    con = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            con.execute(f"PRAGMA {pragma}")
        con.execute("BEGIN IMMEDIATE")
        con.execute(_IMPORT_ROW)
        for name, spec in TABLES.items():
            if name not in records.supplied:
                continue
            arrays = _arrow_columns(spec, records.table(name))
            lists = [(pc.cast(a, pa.string()) if pa.types.is_date(a.type) else a).to_pylist()
                     for a in arrays]
            names = _columns(spec)
            con.executemany(f"INSERT INTO rec_{name} ({', '.join(names)}) "
                            f"VALUES ({', '.join('?' * len(names))})", zip(*lists, strict=True))
        con.execute("COMMIT")
    finally:
        con.close()


def baseline_postgresql(url: str, records: Any) -> None:
    """Every table's rows into PostgreSQL: COPY FROM STDIN of pyarrow's CSV, one transaction."""
    import psycopg
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from sfo.domain.records import TABLES

    with psycopg.connect(_libpq(url)) as con:
        con.execute(_IMPORT_ROW)
        for name, spec in TABLES.items():
            if name not in records.supplied:
                continue
            names = _columns(spec)
            table = pa.Table.from_arrays(_arrow_columns(spec, records.table(name)), names=names)
            with con.cursor() as cur, cur.copy(
                    f"COPY rec_{name} ({', '.join(names)}) FROM STDIN (FORMAT csv)") as copy:
                for batch in table.to_batches(max_chunksize=50_000):
                    buf = io.BytesIO()
                    pacsv.write_csv(batch, buf, pacsv.WriteOptions(include_header=False))
                    copy.write(buf.getbuffer())
        con.commit()


def ours(url: str, records: Any, files: list[dict[str, Any]]) -> None:
    """store_bundle through an engine, committed."""
    from sfo.store import engine as store_engine
    from sfo.store import records as store_records

    engine = store_engine.make_engine(url)
    try:
        with engine.begin() as conn:
            store_records.store_bundle(conn, records, source="bench", files=files,
                                       imported_by="bench")
    finally:
        engine.dispose()


def _libpq(url: str) -> str:
    import sqlalchemy as sa

    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(
        hide_password=False)


def _upgrade(url: str) -> None:
    from sfo.store import engine as store_engine
    from sfo.store import schema

    engine = store_engine.make_engine(url)
    try:
        schema.upgrade(engine)
    finally:
        engine.dispose()


@contextmanager
def _fresh_sqlite(folder: Path) -> Iterator[str]:
    from sfo.store import engine as store_engine

    path = folder / f"bench-{secrets.token_hex(4)}.db"
    url = store_engine.sqlite_url(path)
    _upgrade(url)
    try:
        yield url
    finally:
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)


@contextmanager
def _fresh_postgresql() -> Iterator[str]:
    import psycopg
    import sqlalchemy as sa

    name = f"sfo_bench_{secrets.token_hex(4)}"
    with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(
        hide_password=False)
    try:
        _upgrade(url)
        yield url
    finally:
        with psycopg.connect(_libpq(ADMIN_URL), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _timed(fresh: Callable[[], Any], run: Callable[[str], None]) -> float:
    with fresh() as url:
        start = time.perf_counter()
        run(url)
        return time.perf_counter() - start


def _postgresql_problem() -> str | None:
    import psycopg

    try:
        with psycopg.connect(_libpq(ADMIN_URL), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return f"PostgreSQL not reachable at {ADMIN_URL} ({first})"


def _files(path: Path, records: Any) -> list[dict[str, Any]]:
    from sfo.services import records as records_service

    return records_service.bundle_files(path, records)


def report(people: int) -> None:
    """Print the store figures."""
    from bench.region import bundle_for
    from sfo.importers import load_bundle

    path = bundle_for(people)
    records = load_bundle(path)
    files = _files(path, records)
    rows = sum(len(records.table(n)) for n in records.supplied)
    print(f"Store benchmark: {people:,} people, {len(records.table('contacts')):,} contacts, "
          f"{rows:,} records in all (load_bundle's parsing not timed on either side)")
    with tempfile.TemporaryDirectory(prefix="sfo-bench-store-") as tmp:
        folder = Path(tmp)
        mine: list[float] = []
        base: list[float] = []
        for _ in range(RUNS):
            mine.append(_timed(lambda: _fresh_sqlite(folder),
                               lambda url: ours(url, records, files)))
            base.append(_timed(lambda: _fresh_sqlite(folder),
                               lambda url: baseline_sqlite(
                                   Path(url.removeprefix("sqlite:///")), records)))
    a, b = min(mine), min(base)
    print(f"  SQLite: store_bundle {a:.2f} s, sqlite3.executemany {b:.2f} s "
          f"(runs: {', '.join(f'{x:.1f}' for x in mine)} / {', '.join(f'{x:.1f}' for x in base)})")
    print(f"    store_bundle / sqlite3.executemany  {a / b:.2f}x (target <= {TARGET:g}x)")
    problem = _postgresql_problem()
    if problem:
        print(f"  PostgreSQL: skipped: {problem}")
        return
    mine, base = [], []
    for _ in range(RUNS):
        mine.append(_timed(_fresh_postgresql, lambda url: ours(url, records, files)))
        base.append(_timed(_fresh_postgresql, lambda url: baseline_postgresql(url, records)))
    a, b = min(mine), min(base)
    print(f"  PostgreSQL: store_bundle {a:.2f} s, COPY {b:.2f} s "
          f"(runs: {', '.join(f'{x:.1f}' for x in mine)} / {', '.join(f'{x:.1f}' for x in base)})")
    print(f"    store_bundle / COPY  {a / b:.2f}x (target <= {TARGET:g}x)")
