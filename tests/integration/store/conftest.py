"""Fixtures for store tests on real databases: SQLite and PostgreSQL.

``db_url``
    The URL of an empty database, once for each backend (test ids
    ``[sqlite]`` and ``[postgresql]``):

    - sqlite: a new file in the test's ``tmp_path``;
    - postgresql: a database ``sfo_test_<random>`` created once per test
      module on the server of ``SFO_TEST_POSTGRES_URL`` (default
      ``postgresql://postgres@127.0.0.1:5432/test``, used only as the admin
      connection), emptied (schema ``public`` dropped and made again) before
      each test, and dropped after the module.

    When PostgreSQL cannot be reached its tests are skipped, with the reason
    ("PostgreSQL not reachable at ...: PostgreSQL tests skipped"), so a
    developer without a local server can still run the rest. When ``CI`` is
    set (``CI=true``) they fail instead: CI must never quietly skip the
    PostgreSQL half. To run one backend only: ``-k sqlite`` or
    ``-k postgresql``; a test can pin one with
    ``@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)``.

``engine``
    An engine (:func:`sfo.store.engine.make_engine`) on ``db_url`` with the
    schema upgraded to head; disposed after the test.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from sfo.store import engine as store_engine
from sfo.store import schema

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
_reachable: dict[str, str | None] = {}  # admin URL -> why it cannot be reached (None: it can)


def admin_url() -> str:
    """The PostgreSQL URL used to create and drop the test databases."""
    return os.environ.get("SFO_TEST_POSTGRES_URL") or DEFAULT_ADMIN_URL


def in_ci() -> bool:
    """Whether the tests run in CI, where nothing may be skipped."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _libpq(url: str) -> str:
    """A URL psycopg accepts (no SQLAlchemy driver name)."""
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(
        hide_password=False)


def _problem(url: str) -> str | None:
    if url not in _reachable:
        try:
            with psycopg.connect(_libpq(url), connect_timeout=3):
                pass
            _reachable[url] = None
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            _reachable[url] = (f"PostgreSQL not reachable at {store_engine.describe(url)} "
                               f"({first}): PostgreSQL tests skipped")
    return _reachable[url]


def require_postgresql() -> str:
    """The admin URL, or skip the test (fail it in CI) when PostgreSQL cannot be reached."""
    url = admin_url()
    problem = _problem(url)
    if problem:
        if in_ci():
            pytest.fail(f"{problem.removesuffix(': PostgreSQL tests skipped')}. CI must run "
                        "the PostgreSQL tests: start PostgreSQL or set SFO_TEST_POSTGRES_URL.",
                        pytrace=False)
        pytest.skip(problem)
    return url


def _admin(url: str, sql: str) -> None:
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(sql)


@pytest.fixture(scope="module")
def _postgresql_database() -> Iterator[str]:
    """A new PostgreSQL database for this test module (dropped after it)."""
    admin = require_postgresql()
    name = f"sfo_test_{secrets.token_hex(6)}"
    _admin(admin, f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(admin).set(database=name).render_as_string(
            hide_password=False)
    finally:
        _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The URL of an empty database on each backend (see the module docstring)."""
    if request.param == "sqlite":
        return store_engine.sqlite_url(tmp_path / "sfo.db")
    url = str(request.getfixturevalue("_postgresql_database"))
    _admin(url, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on db_url, schema upgraded to head."""
    made = store_engine.make_engine(db_url)
    try:
        schema.upgrade(made)
        yield made
    finally:
        made.dispose()
