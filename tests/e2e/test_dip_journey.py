"""A quality lead draws a stratified dip sample, enters results and downloads the report,
in a real browser; every file downloaded opens."""

from __future__ import annotations

import csv
import io
import random
import re
from datetime import date
from pathlib import Path
from typing import Any

import docx
import openpyxl

from fixtures.dip import make_results, write_results
from sfo.documents import rendering
from tests.e2e.conftest import settle, sign_in, type_date

NAME = "North and South, supervision, June 2024"


def write_frame(path: Path, n: int = 300, seed: int = 42) -> Path:
    """A made-up caseload frame (seeded): pdu, tier, RoSH level, practitioner and start date."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["crn", "pdu", "tier", "rosh_level", "staff_code", "team_code",
                         "start_date", "notes"])
        for i, number in enumerate(rng.sample(range(100_000, 1_000_000), n)):
            writer.writerow([f"X{number}", rng.choice(["North", "South", "East"]),
                             rng.choice("ABCD"), rng.choice(["LOW", "MEDIUM", "HIGH"]),
                             f"N07A{rng.randint(700, 712)}", rng.choice(["N07UAT", "N07UBT"]),
                             f"2024-{rng.randint(1, 6):02d}-{rng.randint(1, 28):02d}",
                             "=HYPERLINK(\"http://example.org\")" if i == 0 else ""])
    return path


def tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    settle(page)


def choose(page: Any, label: str, option: str, *, many: bool = False) -> None:
    """Pick an option of a select box (or a multiselect) by its label, as typed."""
    box = page.get_by_role("combobox", name=label)
    box.click()
    box.fill(option)
    page.keyboard.press("Enter")
    if many:
        page.keyboard.press("Escape")   # a multiselect stays open for more
    settle(page)


def uploader(page: Any, label: str) -> Any:
    return page.locator("[data-testid=stFileUploader]").filter(has_text=label).locator(
        "input[type=file]")


def download(page: Any, button: str) -> bytes:
    with page.expect_download() as got:
        page.get_by_role("button", name=button).click()
    return Path(got.value.path()).read_bytes()


def no_sideways_scroll(page: Any) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


def test_a_quality_lead_draws_a_stratified_sample_enters_results_and_downloads_the_report(
        page, shot, tmp_path: Path):
    frame = write_frame(tmp_path / "caseload.csv")
    sign_in(page, "quality")
    page.get_by_role("link", name="Dip samples").first.click()
    settle(page)
    page.get_by_role("heading", name="Dip samples").wait_for()
    shot(page, "page")

    # 1. Frame: upload it.
    uploader(page, "Caseload frame (CSV)").set_input_files(str(frame))
    settle(page)
    page.get_by_role("textbox", name="Name of the dip sample").fill(NAME)
    page.get_by_role("button", name="Start the dip sample").click()
    settle(page)
    page.get_by_role("heading", name=NAME).wait_for()
    page.get_by_text(re.compile(r"300 cases, 8 columns")).wait_for()
    shot(page, "frame")

    # 2. Eligibility: as at 30 June 2024, exclude cases started in the 8 weeks before.
    tab(page, "2. Eligibility")
    type_date(page, "As at (the date 'within' rules count back from)", date(2024, 6, 30))
    page.get_by_role("heading", name=NAME).click()   # the date is taken when the field is left
    settle(page)
    page.get_by_text("As-at date set to 30 June 2024").wait_for()
    choose(page, "Column to exclude by", "start_date")
    page.get_by_role("button", name="Add the rule").click()
    settle(page)
    page.get_by_text(re.compile(r"start_date within the last 8 weeks")).first.wait_for()
    eligible = page.locator("[data-testid=stMetric]").filter(has_text="Eligible")
    assert re.search(r"\d+", eligible.inner_text())
    shot(page, "eligibility")

    # 3. Size: discovery, the numbers explained.
    tab(page, "3. Size")
    page.get_by_role("button", name="Work out the size").click()
    settle(page)
    page.get_by_text(re.compile(r"In other words")).wait_for()
    shot(page, "size")

    # 4. Strata and draw: stratified by PDU.
    tab(page, "4. Strata and draw")
    choose(page, "Stratify by (columns)", "pdu", many=True)
    page.get_by_text("The sample against the eligible caseload").wait_for()
    shot(page, "strata")
    page.get_by_role("button", name="Draw the sample").click()
    settle(page)
    seed_text = page.locator("[data-testid=stCode]").first.inner_text()
    seed = re.search(r"0x[0-9a-f]{32}", seed_text).group(0)
    shot(page, "drawn")

    # 5. Worklist: both downloads open, and formulas are neutralised.
    tab(page, "5. Worklist")
    text = download(page, "Download the worklist (CSV)").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    crns = [r["crn"] for r in rows]
    assert len(crns) > 10 and {r["stratum"] for r in rows} == {
        "pdu=East", "pdu=North", "pdu=South"}
    assert all(not r["notes"].startswith("=") for r in rows)
    book = openpyxl.load_workbook(io.BytesIO(download(page, "Download the worklist (XLSX)")))
    assert book.active is not None and book.active.max_row == len(crns) + 1
    shot(page, "worklist")

    # 6. Results: upload a results.csv made for these cases.
    tab(page, "6. Results")
    results = write_results(tmp_path / "results.csv", make_results(crns, seed=7))
    uploader(page, "Results file").set_input_files(str(results))
    settle(page)
    page.get_by_role("button", name="Check and store the results").click()
    settle(page)
    page.get_by_text(re.compile(rf"{len(crns) * 5} new answers")).wait_for()
    shot(page, "results")

    # 7. Evaluation: in words, with a chart.
    tab(page, "7. Evaluation")
    page.locator("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg"
                 ).first.wait_for()
    assert page.get_by_text(re.compile(r"We can be 95% confident")).count() >= 1
    shot(page, "evaluation")

    # 8. Second review: choose the cases; the second reviewer's answers come as a file.
    tab(page, "8. Second review")
    page.get_by_role("button", name="Choose the cases").click()
    settle(page)
    said = page.get_by_test_id("stMarkdownContainer").filter(
        has_text="cases for a second review:").first.inner_text()
    second = re.findall(r"X\d{6}", said)
    assert second and set(second) <= set(crns)
    tab(page, "6. Results")
    both = write_results(tmp_path / "results2.csv", make_results(crns, seed=7, second=second))
    uploader(page, "Results file").set_input_files(str(both))
    settle(page)
    page.get_by_role("button", name="Check and store the results").click()
    settle(page)
    page.get_by_text(re.compile(rf"{len(second) * 5} new answers")).wait_for()
    tab(page, "8. Second review")
    page.get_by_text("Cohen's kappa is 1 when").wait_for()
    shot(page, "second-review")

    # 9. Report: the Word document opens and records the seed the page showed.
    tab(page, "9. Report")
    page.get_by_role("button", name="Make the report").click()
    settle(page)
    data = download(page, "Download the report (Word)")
    docx.Document(io.BytesIO(data))
    words = rendering.docx_text(data)
    assert seed in words
    assert "Working context of the practitioners" in words
    html = download(page, "Download the report (HTML)").decode("utf-8")
    assert seed in html
    shot(page, "report")

    # At 768 pixels nothing needs sideways scrolling.
    page.set_viewport_size({"width": 768, "height": 1000})
    collapse = page.get_by_test_id("stSidebarCollapseButton")
    if collapse.count() and collapse.first.is_visible():
        collapse.first.click()
    for name in ("4. Strata and draw", "6. Results", "7. Evaluation"):
        tab(page, name)
        shot(page, f"{name.split('. ')[1].lower().replace(' ', '-')}-768")
        assert no_sideways_scroll(page) <= 0, f"{name} is wider than the window"
