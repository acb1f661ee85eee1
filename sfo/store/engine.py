"""Building database engines: a SQLite file by default, PostgreSQL when configured.

SQLite is opened in WAL mode (readers never wait for the writer), with foreign
keys enforced, a busy timeout, and every transaction begun IMMEDIATE, so two
writers queue for the lock instead of failing half-way (the audit log's hash
chain needs each append to see the latest entry). PostgreSQL is reached with
psycopg 3.

Nothing connects at import time; :func:`make_engine` is called by
:mod:`sfo.bootstrap` with the URL from the settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from sfo.errors import StoreBusy, StoreUnavailable

BUSY_TIMEOUT_MS = 10_000


def sqlite_url(path: str | Path) -> str:
    """The URL of a SQLite database file."""
    return f"sqlite:///{Path(path)}"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written without a driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for the URL, set up for this toolkit's needs (see the module docstring)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            folder = Path(path).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreUnavailable(f"The database folder {folder} cannot be created "
                                       f"({exc.strerror}).") from None
        engine = sa.create_engine(url, echo=echo,
                                  connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _sqlite_setup(engine)
        return engine
    if url.startswith("postgresql"):
        return sa.create_engine(url, echo=echo, pool_pre_ping=True,
                                connect_args={"connect_timeout": 10})
    raise StoreUnavailable(f"The database URL {url!r} is not SQLite or PostgreSQL; use "
                           "sqlite:///path/to/file.db or postgresql://user@host/database.")


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return sa.engine.make_url(normalise_url(url)).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(an unreadable database URL)"


def translate(exc: Exception, url: str) -> Exception:
    """A user-facing error for a driver-level failure to open or lock the database."""
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else repr(exc)
    where = describe(url)
    if "locked" in text.lower() or "busy" in text.lower():
        return StoreBusy(f"The database {where} is locked by another process and stayed "
                         f"locked for {BUSY_TIMEOUT_MS / 1000:g} s ({text}). Try again when "
                         "the other import or save has finished.")
    return StoreUnavailable(f"The database {where} cannot be used ({text}). Check that it "
                            "is running and that SFO_DATABASE_URL is right.")
