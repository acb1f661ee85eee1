"""Real-browser journeys: the app served by Streamlit, driven by Playwright in Chromium.

The browser is Debian's ``chromium`` package (/usr/bin/chromium, or
SFO_CHROMIUM); no browser is ever downloaded. Without it these tests are
skipped with the reason on a developer's machine, and fail in CI (``CI``
set), where .ci/run installs it.

``server`` starts ``streamlit run ui/streamlit_app.py`` once for the test
session on a free port, on a new SQLite database with the six scenario cases
and one account per role (user name = role, password ``PASSWORD``).
``page`` is a fresh browser page at 1280x900; ``shot(page, name)`` saves a
screenshot under ``test-artifacts/e2e/<test name>/`` to look at afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fixtures import seed

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "fixtures" / "scenarios"
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
PASSWORD = "correct horse battery staple"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def chromium() -> str:
    """The Chromium to drive, or skip (fail in CI) when there is none."""
    found = os.environ.get("SFO_CHROMIUM") or shutil.which("chromium") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if not found:
        why = ("Chromium is not installed (Debian package 'chromium'): the browser journeys "
               "are not run")
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(why + ". CI must run them: .ci/run installs it.", pytrace=False)
        pytest.skip(why)
    return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_app(url: str, folder: Path) -> Iterator[str]:
    """The app served by `streamlit run` on a free port over the database ``url``; its
    address until the block ends, then it is stopped. Its output goes to server.log."""
    port = _free_port()
    env = {**os.environ, "SFO_DATABASE_URL": url, "SFO_DATA_DIR": str(folder)}
    with (folder / "server.log").open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "ui" / "streamlit_app.py"),
             "--server.port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError("the app did not start:\n"
                                       + (folder / "server.log").read_text("utf-8")[-3000:])
                time.sleep(0.3)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    chromium()  # skip before any set-up when there is no browser
    folder = tmp_path_factory.mktemp("e2e")
    url = seed.scenario_database(folder, password=PASSWORD, display="E2E")
    with running_app(url, folder) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    exe = chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    context.set_default_timeout(30_000)
    pg = context.new_page()
    pg.goto(server)
    yield pg
    context.close()


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    folder = ARTIFACTS / request.node.name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    count = {"n": 0}

    def take(pg: Any, name: str) -> Path:
        count["n"] += 1
        path = folder / f"{count['n']:02d}-{name}.png"
        pg.wait_for_timeout(300)
        # The app scrolls inside its main area, so grow the window to the whole page first.
        size = pg.viewport_size
        height = pg.evaluate("() => Math.max(...[...document.querySelectorAll("
                             "'[data-testid=stMain], section.main, body')].map("
                             "e => e.scrollHeight))")
        pg.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 8000)})
        pg.wait_for_timeout(300)
        pg.screenshot(path=str(path), full_page=True)
        pg.set_viewport_size(size)
        return path

    return take


def sign_in(pg: Any, role: str) -> None:
    """Sign in through the form, as a person would."""
    pg.get_by_role("textbox", name="User name").fill(role)
    pg.get_by_role("textbox", name="Password").fill(PASSWORD)
    pg.get_by_role("button", name="Sign in").click()
    pg.get_by_text(f"Signed in as E2E {role}").wait_for()


def settle(pg: Any) -> None:
    """Wait until the app has finished running (no 'Running...' indicator)."""
    pg.wait_for_timeout(400)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    pg.wait_for_timeout(200)


def type_date(pg: Any, label: str, day: date) -> None:
    """Type a date into a date field as a person would, and check every part was taken.

    Each part (day, month, year) is its own spin button; typed digits move on to the next
    part. Under load a keystroke can land before the field is ready, so the parts are
    read back. Typing opens the calendar over what lies below the field; Escape closes it
    and keeps the date, which the app takes when the form is sent or the field is left.
    """
    parts = {"day": day.day, "month": day.month, "year": day.year}
    pg.get_by_role("spinbutton", name=f"day, {label}").click()
    pg.keyboard.type(day.strftime("%d%m%Y"), delay=40)
    for part, value in parts.items():
        box = pg.get_by_role("spinbutton", name=f"{part}, {label}")
        pg.wait_for_function("([e, v]) => e.getAttribute('aria-valuenow') === v",
                             arg=[box.element_handle(), str(value)], timeout=10_000)
    pg.keyboard.press("Escape")
    pg.locator("#stFloatingOverlayPortal button").first.wait_for(state="detached",
                                                                 timeout=10_000)


def after_submit(pg: Any, done: Any) -> None:
    """Wait for ``done`` (a locator) after a form was sent; fail with the app's message if
    it showed an error instead."""
    settle(pg)
    errors = pg.locator("[data-testid=stAlertContentError]")
    for _ in range(150):   # about 30 s
        if done.count():
            return
        if errors.count():
            raise AssertionError("the app refused it: " + errors.first.inner_text())
        pg.wait_for_timeout(200)
    done.first.wait_for(timeout=1_000)   # fails with Playwright's own message
