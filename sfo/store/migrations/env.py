"""Alembic's environment: run the migrations on the connection sfo.store.schema hands over.

There is no ``alembic.ini``: :mod:`sfo.store.schema` builds the configuration
in code and passes an open connection (in ``config.attributes["connection"]``)
whose transaction it owns, so an upgrade is all or nothing on both backends
(SQLite and PostgreSQL both have transactional DDL). SQLite cannot alter most
of a table in place, so its migrations are rendered as batch operations
(copy, move, rename).

Offline mode (``sqlalchemy.url`` set, SQL printed instead of run) is for a
database administrator who wants to read or run the SQL themselves.
"""

from __future__ import annotations

from alembic import context

from sfo.store import tables

config = context.config
target_metadata = tables.metadata


def run_offline() -> None:
    """Print the SQL for the configured URL instead of running it."""
    url = config.get_main_option("sqlalchemy.url") or ""
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=url.startswith("sqlite"), compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the connection handed over by sfo.store.schema."""
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("Run the migrations with `sfo db upgrade` (sfo.store.schema), "
                           "which hands Alembic an open connection; there is no alembic.ini.")
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
