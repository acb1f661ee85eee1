"""Fixtures for the app's AppTest tests: a seeded SQLite database and signed-in sessions.

``ui_db``
    One SQLite database for the whole test session (in a temporary folder,
    named by SFO_DATABASE_URL while each test runs), with the six scenario
    cases imported and one account per role: user name = the role, password
    ``PASSWORD``. Tests that change casework start their own early look or
    review, so they do not depend on each other.

``own_db``
    A copy of ``ui_db`` for one test (named by SFO_DATABASE_URL), for tests
    whose changes others must not see.

``app``
    ``app(role)`` is an AppTest of ``ui/streamlit_app.py`` with someone of
    that role already signed in (``app(None)``: nobody signed in), run once.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from streamlit.testing.v1 import AppTest

from fixtures import seed
from sfo.domain.access import Actor
from sfo.store import engine as store_engine

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "ui" / "streamlit_app.py")
SCENARIOS = ROOT / "fixtures" / "scenarios"
PASSWORD = "correct horse battery staple"
ROLES = seed.ROLES
DA_CRN = "W582036"          # da_curfew_inexperienced_pso
TIMEOUT = 60


def scenario_crn(name: str) -> str:
    text = (SCENARIOS / name / "people.csv").read_bytes().decode("cp1252")
    return text.lstrip("\ufeff\xef\xbb\xbf").splitlines()[1].split(",")[0].strip('"')


@pytest.fixture(scope="session")
def ui_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return seed.scenario_database(tmp_path_factory.mktemp("ui_db"), password=PASSWORD)


@pytest.fixture
def ui_env(ui_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("SFO_DATABASE_URL", ui_db)
    monkeypatch.setenv("SFO_DATA_DIR", str(tmp_path))
    return ui_db


@pytest.fixture
def own_db(ui_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    source = make_url(ui_env).database
    assert source
    target = tmp_path / "own.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = store_engine.sqlite_url(target)
    monkeypatch.setenv("SFO_DATABASE_URL", url)
    return url


def actor(role: str, pdus: tuple[str, ...] = ()) -> Actor:
    return Actor(role, f"Test {role}", (role,), pdus)


@pytest.fixture
def app(ui_env: str) -> Iterator[Callable[..., AppTest]]:
    def make(role: str | None, *, crn: str | None = None, pdus: tuple[str, ...] = ()
             ) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        if role is not None:
            at.session_state["sfo_user"] = actor(role, pdus)
        if crn is not None:
            at.session_state["sfo_case_crn"] = crn
        at.run()
        return at

    yield make
    os.environ.pop("SFO_OIDC", None)
