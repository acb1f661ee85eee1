"""Backups: copy a SQLite database safely while it is in use, then prove the copy restores.

SQLite: the copy is made with SQLite's online backup API from the engine's
own connection, inside one read transaction, so it is a consistent snapshot
even while others write (WAL: they are not blocked). It is written to
``FILE.partial``, switched to a single self-contained file (rollback
journal, no ``-wal``/``-shm`` beside it), and checked before it is renamed
to ``FILE``: opened read-only, ``PRAGMA integrity_check`` is ``ok``, every
table has the same number of rows as the original had in the snapshot, the
schema revision is the same, and the audit chain verifies (not for a
database at an older revision, whose audit tables this version may not
read). A file named ``FILE`` is therefore always a checked backup; an
existing file is never overwritten.

PostgreSQL is backed up with its own tools: :func:`pg_commands` gives the
``pg_dump`` and ``pg_restore`` commands for a URL (password hidden).
"""

from __future__ import annotations

import contextlib
import shlex
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from sfo.errors import InputError, StoreError
from sfo.store import audit
from sfo.store import engine as store_engine


@dataclass(frozen=True)
class BackupReport:
    """What was copied and what was checked on the copy."""

    source: str                      # the database, password hidden
    path: Path
    size: int                        # bytes
    integrity: str                   # "ok"
    revision: str | None
    counts: dict[str, int] = field(default_factory=dict)   # rows per table, as in both
    audit_entries: int | None = None   # None: the chain was not checked (older schema)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return {n: int(conn.execute(f"SELECT count(*) FROM {_quote(n)}").fetchone()[0])
            for n in names}


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return str(row[0]) if row else None


def check_target(out: Path) -> None:
    """Refuse a backup file name that exists already or is in a missing folder."""
    if out.exists():
        raise InputError(f"{out} already exists: give a new file name (a backup never "
                         "overwrites a file).")
    if not out.parent.is_dir():
        raise InputError(f"The folder {out.parent} does not exist.")


def sqlite_backup(engine: Engine, out: Path, *, check_audit: bool = True) -> BackupReport:
    """Copy the SQLite database to ``out`` and check that the copy restores.

    ``check_audit=False`` leaves out the audit-chain check, for a database at
    an older schema revision than this version's (the other checks do not
    depend on the schema)."""
    url = engine.url.render_as_string(hide_password=False)
    where = store_engine.describe(url)
    if engine.dialect.name != "sqlite":
        raise InputError(f"{where} is not a SQLite database; see pg_commands().")
    check_target(out)
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        raw = engine.raw_connection()
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise store_engine.translate(exc, url) from exc
    try:
        src = raw.driver_connection
        assert isinstance(src, sqlite3.Connection)
        try:
            src.execute("BEGIN")            # one read snapshot for the counts and the copy
            counts = _counts(src)
            revision = _revision(src)
            with contextlib.closing(sqlite3.connect(partial, isolation_level=None)) as dst:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            src.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            partial.unlink(missing_ok=True)
            raise store_engine.translate(exc, url) from exc
    finally:
        raw.close()
    try:
        report = _check_copy(partial, where=where, out=out, counts=counts, revision=revision,
                             check_audit=check_audit)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(out)
    return report


def _check_copy(path: Path, *, where: str, out: Path, counts: dict[str, int],
                revision: str | None, check_audit: bool) -> BackupReport:
    """Open the copy read-only and check it against the original's snapshot."""
    def failed(what: str) -> StoreError:
        return StoreError(f"The backup of {where} failed its check ({what}); nothing was "
                          f"written to {out}. Try again; if it fails again, copy the file "
                          "while nothing is using the database.")

    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as copy:
        integrity = "; ".join(r[0] for r in copy.execute("PRAGMA integrity_check"))
        if integrity != "ok":
            raise failed(f"integrity_check: {integrity}")
        copied = _counts(copy)
        if copied != counts:
            differ = sorted(n for n in set(counts) | set(copied)
                            if counts.get(n) != copied.get(n))
            raise failed("row counts differ in " + ", ".join(differ))
        if _revision(copy) != revision:
            raise failed("schema revision differs")
    problems: list[str] = []
    entries: int | None = None
    ro = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with ro.connect() as conn:
            if MigrationContext.configure(conn).get_current_revision() != revision:
                raise failed("schema revision differs")
            if check_audit:
                problems = audit.verify(conn)
                entries = audit.count(conn)
    finally:
        ro.dispose()
    if problems:
        raise failed("audit log: " + "; ".join(problems))
    return BackupReport(source=where, path=out, size=path.stat().st_size, integrity=integrity,
                        revision=revision, counts=counts, audit_entries=entries)


@dataclass(frozen=True)
class PgCommands:
    """How to back up a PostgreSQL database with its own tools, and restore the dump."""

    dump: str
    createdb: str        # a new, empty database to restore into
    restore: str
    has_password: bool


def pg_commands(url: str, out: str) -> PgCommands:
    """The pg_dump, createdb and pg_restore commands for ``url`` (password hidden)."""
    parsed = sa.engine.make_url(store_engine.normalise_url(url)).set(drivername="postgresql")
    restored = parsed.set(database=f"{parsed.database or 'sfo'}_restored")
    target = shlex.quote(out)

    def shown(u: sa.engine.URL) -> str:
        return shlex.quote(u.render_as_string(hide_password=True))

    server = parsed.set(database="postgres")
    return PgCommands(
        dump=f"pg_dump --format=custom --no-owner --file={target} {shown(parsed)}",
        createdb=(f"psql {shown(server)} -c "
                  f"{shlex.quote(f'CREATE DATABASE {restored.database}')}"),
        restore=(f"pg_restore --no-owner --exit-on-error --single-transaction "
                 f"--dbname={shown(restored)} {target}"),
        has_password=parsed.password is not None)
