"""The database itself: create or upgrade its schema, say where it stands, back it up.

The verbs behind ``sfo db`` and ``sfo backup``. An upgrade that changed the
schema and a backup are both recorded in the audit log (a backup copies every
case, so it is a look at every case), through the unit of work the caller
passes (built by :mod:`sfo.bootstrap`, on the same engine).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from sfo.errors import SchemaMismatch
from sfo.services import audit as audit_service
from sfo.store import backup as store_backup
from sfo.store import schema
from sfo.store import uow as store_uow


def upgrade(*, engine: Engine, uow: store_uow.UnitOfWork, actor: str) -> schema.Upgrade:
    """Create the schema or bring it up to this version's head, and record it."""
    done = schema.upgrade(engine)
    if done.changed:
        with uow:
            audit_service.record(uow, actor=actor, action="upgrade-schema",
                                 object_type="database", object_id=done.after, crn=None,
                                 summary=f"schema revision {done.before or 'none'} -> "
                                         f"{done.after}")
            uow.commit()
    return done


def status(*, engine: Engine) -> schema.Status:
    """Where the database's schema stands against this version (nothing is changed)."""
    return schema.status(engine)


def check(*, engine: Engine) -> None:
    """Refuse (SchemaMismatch) a database that is not at this version's head revision."""
    schema.check(engine)


def backup(*, engine: Engine, uow: store_uow.UnitOfWork, out: Path, actor: str
           ) -> store_backup.BackupReport:
    """Copy a SQLite database to ``out``, record that, and check the copy restores.

    A database behind this version's head can be backed up too (that is the
    time to do it: before ``sfo db upgrade``); it is copied and checked, but
    not written to, so the backup is not recorded in its audit log and its
    audit chain is left for ``sfo audit verify`` after the upgrade. Any other
    schema problem (empty, unknown revision) is refused.
    """
    behind = check_for_backup(engine=engine)
    store_backup.check_target(out)
    if not behind:
        with uow:
            # Recorded first, so the copy carries the record of its own making.
            audit_service.record(uow, actor=actor, action="backup", object_type="database",
                                 object_id=str(out), crn=None,
                                 summary=f"backup of every case to {out}")
            uow.commit()
    return store_backup.sqlite_backup(engine, out, check_audit=not behind)


def check_for_backup(*, engine: Engine) -> bool:
    """Refuse (SchemaMismatch) a database that cannot be backed up; True when it is behind."""
    state = schema.status(engine)
    behind = state.known and state.current is not None and not state.at_head
    problem = state.problem()
    if problem and not behind:
        raise SchemaMismatch(problem)
    return behind


def is_sqlite(engine: Engine) -> bool:
    """Whether the database is a SQLite file (which ``backup`` can copy)."""
    return engine.dialect.name == "sqlite"


def pg_commands(url: str, out: str) -> store_backup.PgCommands:
    """The pg_dump and pg_restore commands for a PostgreSQL database (password hidden)."""
    return store_backup.pg_commands(url, out)
