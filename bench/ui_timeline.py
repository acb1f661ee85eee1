"""The Timeline page: server-side render and browser first paint, 5,000 events against 100.

Two made-up single-person cases (seeded, realistic codes) are written as
bundles and imported with ``sfo.services.records.import_bundle`` into a
temporary SQLite database: one with about 100 timeline entries, one with
about 5,000 (contacts mostly, with assessments, registrations, allocations
including an unallocated spell, workload weeks, supervision and training).

(a) Server side: a fresh Streamlit ``AppTest`` of the whole app, someone
    signed in and the case chosen, switched to the Timeline page and run once
    (navigation, reading the stored case, the audit entry, the rules, the
    lanes and the chart spec). Best of three, the sizes interleaved. The
    100-event render is the baseline; target: the 5,000-event render at most
    5x it. A rerun after a new known-on date is reported too.
(b) Browser: the app under ``streamlit run`` and Debian's Chromium (driven by
    Playwright; no browser is downloaded). After signing in and choosing the
    case on the Cases page, the clock runs from the click on "Timeline" until
    the chart's canvas or SVG is visible and two animation frames have been
    painted. Best of three, interleaved; the ratio 5,000/100 is reported.

Run as ``python -m bench --only timeline`` (about a minute).
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

# AppTest outside a running app logs "missing ScriptRunContext" for each element it builds:
# harmless here, and it would bury the figures. Streamlit resets its loggers' levels
# whenever it reads its configuration, so drop the message with a filter instead.
logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
    lambda record: "missing ScriptRunContext" not in record.getMessage())

if TYPE_CHECKING:
    from playwright.sync_api import Page
    from streamlit.testing.v1 import AppTest

TARGET = 5.0
RUNS = 3
SMALL, LARGE = 100, 5_000
SEED = 42
ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "ui" / "streamlit_app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
USER = "bench-manager"

APPOINTMENTS = ["COAP", "COAP", "COAP", "COPT", "COVC", "CHVS"]
OTHER_CONTACTS = ["C002", "MO1", "C204", "C369", "C515", "SFGC", "SFRR", "C057", "CSPR",
                  "CCMM", "C004", "ROC", "AWLI", "AWL2", "ARWS", "C286"]
OUTCOMES = ["ATTC"] * 80 + ["UAAB"] * 5 + ["AFTC"] * 2 + ["ATSH"] + ["AAME"] * 4 + \
    ["AAFC"] * 2 + ["RSSR"] * 3 + ["RSOF"] + [""] * 2
NOTES = ["Attended. Discussed the sentence plan and alcohol use.",
         "Did not attend; no contact. Warning letter to follow.",
         "Home visit: no concerns about the address.",
         "Police check requested about call-outs to the address.",
         "Manager reviewed the case and agreed the plan.",
         "=SUM(1) pasted from an email",  # a value a spreadsheet would run
         ""]


def case_tables(crn: str, events: int, *, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """A made-up single-person case of about ``events`` timeline entries (seeded)."""
    rng = np.random.default_rng(seed + events)
    start = date(2019, 1, 7) if events > 1_000 else date(2024, 1, 8)
    days = max(180, events * 2 // 5)       # about 2.5 entries a day at 5,000
    end = start + timedelta(days=days)
    staff = [f"N07A{100 + i}" for i in range(max(2, events // 900))]
    n_alloc = len(staff)
    n_assess = max(2, days // 112)
    n_regs = max(2, events // 700)
    weeks = days // 7
    n_sup = max(2, days // 28)
    n_train = 3 * len(staff)
    n_contacts = max(20, events - n_assess - 2 * n_regs - (n_alloc + 1) - weeks - n_sup
                     - n_train - 1)

    # allocation spells: equal slices, an unallocated week after the first handover
    bounds = np.linspace(0, days, n_alloc + 1).astype(int)
    alloc_rows = []
    for i, code in enumerate(staff):
        frm = start + timedelta(days=int(bounds[i]) + (8 if i == 1 else 0))
        to = start + timedelta(days=int(bounds[i + 1]) - 1) if i < n_alloc - 1 else None
        alloc_rows.append({"crn": crn, "staff_code": code, "allocated_from": frm.isoformat(),
                           "allocated_to": to.isoformat() if to else "",
                           "reason_code": "IN1" if i == 0 else "RO"})
    if n_alloc > 1:
        gap_from = start + timedelta(days=int(bounds[1]))
        alloc_rows.append({"crn": crn, "staff_code": "N07UATU",
                           "allocated_from": gap_from.isoformat(),
                           "allocated_to": (gap_from + timedelta(days=7)).isoformat(),
                           "reason_code": "OTH"})

    offsets = np.sort(rng.integers(1, days, n_contacts))
    is_appt = rng.random(n_contacts) < 0.5
    types = np.where(is_appt, rng.choice(APPOINTMENTS, n_contacts),
                     rng.choice(OTHER_CONTACTS, n_contacts))
    outcomes = np.where(is_appt, rng.choice(OUTCOMES, n_contacts), "")
    holder = np.searchsorted(bounds[1:-1], offsets, side="right")
    dates = pd.Timestamp(start) + pd.to_timedelta(offsets, unit="D")
    contacts = pd.DataFrame({
        "contact_id": [f"{crn}-C{i:05d}" for i in range(n_contacts)],
        "crn": crn, "event_id": f"{crn}-E1",
        "contact_date": dates.strftime("%Y-%m-%d"),
        "contact_time": np.where(is_appt, [f"{h:02d}:{m:02d}" for h, m in zip(
            rng.integers(9, 17, n_contacts), rng.choice([0, 15, 30, 45], n_contacts),
            strict=True)], ""),
        "type_code": types, "type_description": "", "national_standard": "",
        "outcome_code": outcomes,
        "enforcement_code": np.where(np.isin(outcomes, ["UAAB", "AFTC"]), "EA02", ""),
        "staff_code": np.array(staff)[holder], "team_code": "N07UAT",
        "sensitive": np.where(rng.random(n_contacts) < 0.02, "Y", "N"),
        "notes": rng.choice(NOTES, n_contacts),
    })
    charge = {"contact_id": f"{crn}-CNOC", "crn": crn, "event_id": f"{crn}-E1",
              "contact_date": end.isoformat(), "contact_time": "", "type_code": "CNOC",
              "type_description": "Notification of charge", "national_standard": "N",
              "outcome_code": "", "enforcement_code": "", "staff_code": staff[-1],
              "team_code": "N07UAT", "sensitive": "N", "notes": "Charged with wounding."}
    contacts = pd.concat([contacts, pd.DataFrame([charge])], ignore_index=True)

    levels = np.array(["LOW", "MEDIUM", "HIGH", "VERY_HIGH"])
    assessed = [start + timedelta(days=int(d)) for d in np.linspace(10, days - 5, n_assess)]
    rosh = levels[np.clip(rng.integers(1, 4, n_assess), 0, 3)]
    assessments = pd.DataFrame({
        "assessment_id": [f"{crn}-A{i}" for i in range(n_assess)], "crn": crn,
        "assessment_type": "OASYS_LAYER3",
        "initiated_date": [(d - timedelta(days=7)).isoformat() for d in assessed],
        "completed_date": [d.isoformat() for d in assessed], "status": "COMPLETE",
        "rosh_overall": rosh, "rosh_public": "LOW", "rosh_known_adult": rosh,
        "rosh_children": "LOW", "rosh_staff": "LOW", "ogrs_2yr": "45", "rsr": "3.1",
        "staff_code": staff[0]})
    reg_types = rng.choice(["ADVP", "RCCO", "MAPP", "RHRH", "ALSH", "WEAP"], n_regs)
    reg_from = np.sort(rng.integers(0, days // 2, n_regs))
    reg_to = [(start + timedelta(days=int(f + rng.integers(60, days)))).isoformat()
              if rng.random() < 0.5 else "" for f in reg_from]
    registrations = pd.DataFrame({
        "registration_id": [f"{crn}-R{i}" for i in range(n_regs)], "crn": crn,
        "type_code": reg_types,
        "registered_date": [(start + timedelta(days=int(f))).isoformat() for f in reg_from],
        "next_review_date": "", "deregistered_date": reg_to,
        "level": np.where(reg_types == "MAPP", "M2", ""), "category": ""})
    week0 = start - timedelta(days=start.weekday())
    workload = pd.DataFrame({
        "staff_code": np.array(staff)[np.searchsorted(bounds[1:-1], np.arange(weeks) * 7,
                                                      side="right")],
        "week_start": [(week0 + timedelta(weeks=int(w))).isoformat() for w in range(weeks)],
        "capacity_pct": np.round(95 + 20 * np.sin(np.arange(weeks) / 9)
                                 + rng.normal(0, 4, weeks), 1),
        "caseload_count": rng.integers(40, 90, weeks)})
    supervision = pd.DataFrame({
        "staff_code": np.array(staff)[np.searchsorted(bounds[1:-1], np.arange(n_sup) * 28,
                                                      side="right")],
        "supervision_date": [(start + timedelta(days=28 * i + 3)).isoformat()
                             for i in range(n_sup)],
        "supervisor_code": "N07S001", "kind": "formal"})
    training = pd.DataFrame({
        "staff_code": np.repeat(staff, 3),
        "course_code": ["DA-SARA", "SAFEGUARDING-CHILDREN", "ROSH-01"] * len(staff),
        "course_title": ["Domestic abuse", "Safeguarding children",
                         "Risk of serious harm"] * len(staff),
        "status": "completed",
        "status_date": [(start + timedelta(days=30 * i)).isoformat() for i in range(n_train)]})
    return {
        "people": pd.DataFrame([{"crn": crn, "name": f"Made-up Person {events}",
                                 "date_of_birth": "1990-01-01", "gender": "M",
                                 "pdu": "North Testshire", "team_code": "N07UAT"}]),
        "events": pd.DataFrame([{"crn": crn, "event_id": f"{crn}-E1",
                                 "sentence_type": "community_order",
                                 "sentence_date": start.isoformat(), "release_date": "",
                                 "expected_end_date": end.isoformat(), "terminated_date": "",
                                 "index_offence": "Assault (domestic)",
                                 "requirements": "rar;curfew"}]),
        "contacts": contacts, "assessments": assessments, "registrations": registrations,
        "allocations": pd.DataFrame(alloc_rows),
        "staff": pd.DataFrame([{"staff_code": c, "name": f"Officer {c}", "grade": "PO",
                                "team_code": "N07UAT", "in_role_since": "2015-01-01",
                                "contracted_hours": "37"} for c in staff]),
        "workload": workload, "supervision": supervision, "training": training}


def write_bundle(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write the tables as a bundle folder of CSV files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def prepare(folder: Path) -> tuple[str, dict[int, str]]:
    """A database holding both cases and a manager account; (url, crn by size)."""
    from fixtures import seed
    from sfo.services import records

    url = seed.empty_database(folder)
    crns = {SMALL: "B100100", LARGE: "B500500"}
    for size, crn in crns.items():
        bundle = write_bundle(folder / f"case-{size}", case_tables(crn, size))
        records.import_bundle(bundle, url=url, actor="bench")
    return url, crns


def _entries(url: str, crn: str) -> int:
    from sfo.domain import timeline
    from sfo.services import records

    return len(timeline.build_timeline(records.load_stored(url, crns=[crn], actor="bench",
                                                           purpose="benchmark"), [crn]))


# -- (a) server side -----------------------------------------------------------

def _app_test(crn: str) -> AppTest:
    from streamlit.testing.v1 import AppTest

    from sfo.domain.access import Actor

    at = AppTest.from_file(str(APP), default_timeout=120)
    at.session_state["sfo_user"] = Actor(USER, "Bench Manager", ("manager",))
    at.session_state["sfo_case_crn"] = crn
    at.switch_page("app_pages/timeline.py")
    return at


def server_render(crns: dict[int, str]) -> dict[str, float]:
    """Best-of-RUNS AppTest render of the Timeline page, and of a rerun on a new date."""
    first = {size: float("inf") for size in crns}
    rerun = {size: float("inf") for size in crns}
    warm = _app_test(crns[SMALL])
    warm.run()  # imports and the first script compile are not the page's cost
    for _ in range(RUNS):
        for size, crn in crns.items():
            at = _app_test(crn)
            gc.collect()
            t0 = time.perf_counter()
            at.run()
            first[size] = min(first[size], time.perf_counter() - t0)
            if at.exception:
                raise SystemExit(f"the Timeline page failed: {at.exception}")
            picker = next(d for d in at.date_input if d.label == "Known on")
            picker.set_value(picker.value - timedelta(days=30))
            t0 = time.perf_counter()
            at.run()
            rerun[size] = min(rerun[size], time.perf_counter() - t0)
    return {"small": first[SMALL], "large": first[LARGE], "rerun_small": rerun[SMALL],
            "rerun_large": rerun[LARGE]}


# -- (b) browser ------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _server(url: str, folder: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "SFO_DATABASE_URL": url, "SFO_DATA_DIR": str(folder)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.port", str(port),
         "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.2)
        else:
            raise SystemExit("the app did not start within a minute")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


CHART = "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg.marks"
PAINTED = """() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"""


def browser_paint(url: str, folder: Path, crns: dict[int, str], password: str
                  ) -> dict[str, float] | None:
    """Best-of-RUNS time from the click on Timeline to the chart painted, per case."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  browser: skipped (playwright is not installed)")
        return None
    if not Path(CHROMIUM).exists():
        print(f"  browser: skipped ({CHROMIUM} not found; no browser is downloaded)")
        return None
    best = {size: float("inf") for size in crns}
    with _server(url, folder) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(base)
            page.get_by_role("textbox", name="User name").fill(USER)
            page.get_by_role("textbox", name="Password").fill(password)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("textbox", name="Search by CRN or name").wait_for()
            for run in range(RUNS + 1):  # the first round warms the server up, untimed
                for size, crn in crns.items():
                    _choose(page, crn, f"Made-up Person {size}")
                    t0 = time.perf_counter()
                    page.get_by_role("link", name="Timeline", exact=True).click()
                    page.locator(CHART).first.wait_for(state="visible")
                    page.evaluate(PAINTED)
                    took = time.perf_counter() - t0
                    page.get_by_text(f"Made-up Person {size}").first.wait_for()
                    if run:
                        best[size] = min(best[size], took)
        finally:
            browser.close()
    return {"small": best[SMALL], "large": best[LARGE]}


def _choose(page: Page, crn: str, name: str) -> None:
    """Go to Cases and choose the case, so the Timeline page opens it."""
    page.get_by_role("link", name="Cases", exact=True).click()
    box = page.get_by_role("textbox", name="Search by CRN or name")
    box.fill(crn)
    box.press("Enter")
    pick = page.locator("[data-testid='stSelectbox']").filter(has_text="Case to open")
    pick.wait_for()
    page.wait_for_timeout(500)  # the search's rerun replaces the list of cases
    pick.click()
    page.keyboard.type(crn)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name=f"{name} ({crn})").wait_for()


def report() -> dict[str, float]:
    """Print the Timeline page figures: server render and browser paint, 5,000 over 100."""
    from sfo.services import accounts

    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="sfo-bench-timeline-") as tmp:
        folder = Path(tmp)
        os.environ["SFO_DATA_DIR"] = str(folder)
        url, crns = prepare(folder)
        os.environ["SFO_DATABASE_URL"] = url
        password = secrets.token_urlsafe(16)
        accounts.create_user(USER, display_name="Bench Manager", roles=["manager"],
                             password=password, actor="bench", url=url)
        sizes = {size: _entries(url, crn) for size, crn in crns.items()}
        print(f"Timeline page: cases of {sizes[SMALL]:,} and {sizes[LARGE]:,} timeline "
              "entries (made up, seed 42)")
        s = server_render(crns)
        ratio = s["large"] / s["small"]
        figures.update({f"server_{k}": v for k, v in s.items()}, server_ratio=ratio)
        print(f"  server render (AppTest, open the page)  {sizes[SMALL]:>5,} entries "
              f"{s['small']:.3f} s, {sizes[LARGE]:,} entries {s['large']:.3f} s")
        print(f"    ratio {LARGE:,}/{SMALL} events          {ratio:5.2f}x   "
              f"(target <= {TARGET:.0f}x{', met' if ratio <= TARGET else ', NOT met'})")
        print(f"  server rerun on a new known-on date     {s['rerun_small']:.3f} s and "
              f"{s['rerun_large']:.3f} s ({s['rerun_large'] / s['rerun_small']:.2f}x)")
        b = browser_paint(url, folder, crns, password)
        if b is not None:
            ratio_b = b["large"] / b["small"]
            figures.update(browser_small=b["small"], browser_large=b["large"],
                           browser_ratio=ratio_b)
            print(f"  browser, click to chart painted         {sizes[SMALL]:>5,} entries "
                  f"{b['small']:.3f} s, {sizes[LARGE]:,} entries {b['large']:.3f} s")
            print(f"    ratio {LARGE:,}/{SMALL} events          {ratio_b:5.2f}x   (reported)")
        for key in ("SFO_DATABASE_URL", "SFO_DATA_DIR"):
            os.environ.pop(key, None)
    return figures
