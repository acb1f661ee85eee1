"""The one place that builds concrete adapters for services, CLI and UI."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sfo import config, standards
from sfo.domain.calendar import WorkingCalendar
from sfo.domain.records import CaseRecords

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from sfo.store import uow as store_uow

# The store (SQLAlchemy, SQLModel, Alembic) is imported by the functions that
# need it: loading it costs most of a second, which commands that never touch
# the database (`sfo findings BUNDLE`, `sfo dip plan`) should not pay.


def calendar_for(records: CaseRecords, *extra: date | None) -> WorkingCalendar:
    """A working-day calendar covering every date in the records (plus a margin)."""
    years: list[int] = [d.year for d in extra if d is not None]
    for frame in records.tables.values():
        for col in frame.columns:
            if frame[col].dtype.kind == "M" and frame[col].notna().any():
                years.append(int(frame[col].min().year))
                years.append(int(frame[col].max().year))
    if not years:
        years = [pd.Timestamp.today().year]
    first = max(min(years) - 1, 1900)
    last = min(max(years) + 2, 2199)
    return WorkingCalendar(standards.bank_holidays(first, last))


def database_url() -> str:
    """The configured database: SFO_DATABASE_URL, else the SQLite file SFO_DATA_DIR/sfo.db."""
    url = config.setting("SFO_DATABASE_URL").strip()
    if url:
        return url
    from sfo.store import engine as store_engine

    return store_engine.sqlite_url(Path(config.setting("SFO_DATA_DIR")) / "sfo.db")


def engine(url: str | None = None) -> Engine:
    """A new engine for ``url`` (default: :func:`database_url`), built when called."""
    from sfo.store import engine as store_engine

    return store_engine.make_engine(url or database_url())


def unit_of_work(engine: Engine) -> store_uow.SqlUnitOfWork:
    """A new unit of work (one transaction) on the engine, for a service to open."""
    from sfo.store import uow as store_uow

    return store_uow.SqlUnitOfWork(engine)


@contextmanager
def engine_for(url: str | None = None) -> Iterator[Engine]:
    """An engine for one verb, disposed after it (no connection left for the collector)."""
    made = engine(url)
    try:
        yield made
    finally:
        made.dispose()


def now() -> datetime:
    """Now, in UTC (the store keeps times with their zone)."""
    return datetime.now(UTC)
