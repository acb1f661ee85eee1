"""Long work does not freeze anyone else: while one manager's import of a large region runs,
another person signed in elsewhere searches for a case and gets the answer.

The check is of order, not of time: the second person's result must be on their
screen while the first page still shows the import running, and the import must
then finish.

The app runs on PostgreSQL here, the database for a team (docs/store.md): on
SQLite, one writer at a time is the design, so while an import is being stored
every other person's search (which writes its audit entry) waits for it. Without
a reachable PostgreSQL server the test is skipped, saying why (in CI it fails).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from fixtures.generate import generate_bundle
from sfo.services import accounts, records
from sfo.store import engine as store_engine
from sfo.store import schema
from tests.e2e.conftest import (
    PASSWORD,
    SCENARIOS,
    chromium,
    running_app,
    settle,
    sign_in,
)
from tests.integration.store.conftest import _admin, require_postgresql

PEOPLE = 3000          # about 10 s to import here; raise it if an import is too quick to see
DA_CRN = "W582036"


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a new PostgreSQL database with one scenario case and two accounts."""
    chromium()
    admin = require_postgresql()
    name = f"sfo_e2e_{secrets.token_hex(6)}"
    _admin(admin, f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(admin).set(database=name).render_as_string(hide_password=False)
    folder = tmp_path_factory.mktemp("long_work")
    try:
        engine = store_engine.make_engine(url)
        try:
            schema.upgrade(engine)
        finally:
            engine.dispose()
        records.import_bundle(SCENARIOS / "da_curfew_inexperienced_pso", url=url,
                              actor="test setup")
        for role in ("manager", "quality"):
            accounts.create_user(role, display_name=f"E2E {role}", roles=[role],
                                 password=PASSWORD, actor="test setup", url=url)
        with running_app(url, folder) as base:
            yield base
    finally:
        _admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def region_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("region") / "region"
    generate_bundle(out, people=PEOPLE, seed=7, zip_output=True)
    return out.with_suffix(".zip")


def signed_in(browser: Any, base: str, role: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    pg.goto(base)
    sign_in(pg, role)
    settle(pg)
    return pg


def test_a_search_is_answered_while_another_persons_import_is_still_running(
        browser, pg_server, region_zip, shot):
    importer = signed_in(browser, pg_server, "manager")
    searcher = signed_in(browser, pg_server, "quality")
    try:
        importer.locator("input[type=file]").set_input_files(str(region_zip))
        settle(importer)
        importer.get_by_role("button", name="Check and import").click()
        running = importer.get_by_text("Importing the bundle")
        # Wait until it is writing to the database, the part that could hold others up.
        importer.get_by_text(re.compile(r"Importing the bundle: Storing")).wait_for()

        searcher.get_by_role("textbox", name="Search by CRN or name").fill(DA_CRN)
        searcher.keyboard.press("Enter")
        # The grid draws on a canvas; its cells are also in an accessible (hidden) table.
        searcher.locator("td", has_text="Ryan Pritchard").first.wait_for(state="attached")
        # The order: the answer is on the second screen while the first still shows the
        # import running, and has not said it finished.
        still_running = running.is_visible()
        finished_early = importer.get_by_text("Imported into").count()
        shot(searcher, "search-answered")
        shot(importer, "import-still-running")
        assert still_running and not finished_early, (
            "the import finished before the search was answered: raise PEOPLE so that the "
            "import takes long enough to see")

        importer.get_by_text("Imported into").wait_for(timeout=180_000)
        importer.locator("td", has_text="contacts.csv").first.wait_for(state="attached")
        assert importer.get_by_text("Importing the bundle").count() == 0
        shot(importer, "import-finished")
    finally:
        importer.context.close()
        searcher.context.close()
