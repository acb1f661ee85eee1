"""The database schema's revision: create or upgrade it, and check it before use.

The schema is made only by the Alembic migrations in
:mod:`sfo.store.migrations` (shipped in the package; Alembic is configured
here, in code, so no ``alembic.ini`` is needed). Every command but
``sfo db upgrade`` calls :func:`check` first and refuses a database that is

- empty, or has tables but no recorded revision;
- behind this version's head revision (``sfo db upgrade`` brings it up);
- at a revision this version does not know: a newer version of the toolkit
  upgraded it, and this older one must not write to a schema it does not
  understand.

An upgrade runs in one transaction: it is applied completely or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from sfo import __version__
from sfo.errors import SchemaMismatch
from sfo.store import engine as store_engine
from sfo.store import tables

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK_KEY = 72_700_002  # the advisory lock that keeps two upgrades of one PostgreSQL apart


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The newest schema revision this version of the toolkit knows."""
    heads = _scripts().get_heads()
    if len(heads) != 1:  # a packaging mistake, not something a user can cause
        raise RuntimeError(f"the migrations have {len(heads)} heads: {heads}")
    return heads[0]


def known() -> frozenset[str]:
    """Every schema revision this version of the toolkit knows."""
    return frozenset(s.revision for s in _scripts().walk_revisions())


def _where(engine: Engine) -> str:
    return store_engine.describe(engine.url.render_as_string(hide_password=False))


@contextmanager
def _connect(engine: Engine, *, write: bool = False) -> Iterator[Connection]:
    """A connection (in a transaction that commits when ``write``), driver errors translated."""
    url = engine.url.render_as_string(hide_password=False)
    try:
        with engine.begin() if write else engine.connect() as conn:
            yield conn
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        raise store_engine.translate(exc, url) from exc


def _revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _has_our_tables(conn: Connection) -> bool:
    present = set(sa.inspect(conn).get_table_names())
    return bool(present & set(tables.metadata.tables))


def current(engine: Engine) -> str | None:
    """The revision the database is at (None for a database without one)."""
    with _connect(engine) as conn:
        return _revision(conn)


@dataclass(frozen=True)
class Status:
    """Where a database's schema stands against this version of the toolkit."""

    where: str             # the database, password hidden
    current: str | None
    head: str
    known: bool            # this version knows ``current`` (or there is none yet)
    has_tables: bool       # the toolkit's tables exist (with or without a revision)
    exists: bool = True    # False: a SQLite file that is not there (nothing was created)

    @property
    def at_head(self) -> bool:
        """Whether the database is at this version's newest revision."""
        return self.current == self.head

    def problem(self) -> str | None:
        """Why the database cannot be used as it is (None when it can)."""
        if not self.exists:
            return (f"The database file {self.where} does not exist: run `sfo db upgrade` "
                    "to create it, or check --db (or SFO_DATABASE_URL).")
        if self.current is None and self.has_tables:
            return (f"The database {self.where} has the toolkit's tables but no schema "
                    "revision, so it was not made by `sfo db upgrade` and its shape cannot "
                    "be trusted. Point --db (or SFO_DATABASE_URL) at the right database, or "
                    "at a new one and run `sfo db upgrade`.")
        if self.current is None:
            return (f"The database {self.where} has no schema yet: run `sfo db upgrade` "
                    "to create it.")
        if not self.known:
            return (f"The database {self.where} is at schema revision {self.current}, "
                    f"which this version of the toolkit (sfo {__version__}, newest "
                    f"revision {self.head}) does not know: a newer version of the toolkit "
                    "has upgraded it, and this version is older. It will not use the "
                    "database, so that nothing is written in a shape the newer version does "
                    "not expect. Use the newer version of the toolkit.")
        if not self.at_head:
            return (f"The database {self.where} is at schema revision {self.current}, older "
                    f"than this version's {self.head}: run `sfo db upgrade` (back it up "
                    "first with `sfo backup`).")
        return None


def _status(conn: Connection, where: str) -> Status:
    rev = _revision(conn)
    top = head()
    return Status(where=where, current=rev, head=top, known=rev is None or rev in known(),
                  has_tables=_has_our_tables(conn))


def _missing_file(engine: Engine) -> bool:
    db = engine.url.database
    return (engine.dialect.name == "sqlite" and bool(db) and db != ":memory:"
            and not str(db).startswith("file:") and not Path(str(db)).exists())


def status(engine: Engine) -> Status:
    """Where the database's schema stands (nothing is changed, no file is created)."""
    if _missing_file(engine):
        return Status(where=_where(engine), current=None, head=head(), known=True,
                      has_tables=False, exists=False)
    with _connect(engine) as conn:
        return _status(conn, _where(engine))


def check(engine: Engine) -> None:
    """Raise SchemaMismatch unless the database is at this version's head revision."""
    problem = status(engine).problem()
    if problem:
        raise SchemaMismatch(problem)


@dataclass(frozen=True)
class Upgrade:
    """What an upgrade did."""

    where: str
    before: str | None
    after: str

    @property
    def changed(self) -> bool:
        """Whether any migration ran."""
        return self.before != self.after


def upgrade(engine: Engine) -> Upgrade:
    """Create the schema or bring it up to the head revision, in one transaction."""
    where = _where(engine)
    with _connect(engine, write=True) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        state = _status(conn, where)
        if (state.current is None and state.has_tables) or not state.known:
            raise SchemaMismatch(state.problem() or "")
        command.upgrade(_config(conn), "head")
        after = _revision(conn)
    if after is None:  # pragma: no cover - Alembic always stamps the head it reached
        raise SchemaMismatch(f"The upgrade of {where} recorded no revision.")
    return Upgrade(where=where, before=state.current, after=after)


def revision(engine: Engine, message: str) -> list[Path]:
    """For developers: autogenerate a new revision from the difference between
    the tables and a database at head (review it by hand before committing)."""
    with _connect(engine, write=True) as conn:
        scripts = command.revision(_config(conn), message=message, autogenerate=True)
    made = scripts if isinstance(scripts, list) else [scripts]
    return [Path(s.path) for s in made if s is not None]
