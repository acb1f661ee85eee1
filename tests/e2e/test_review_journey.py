"""A reviewer's SFO review from start to final, in a real browser, and its documents open."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

import docx

from sfo.documents import rendering
from tests.e2e.conftest import SCENARIOS, after_submit, settle, sign_in, type_date

CRN = "W582036"   # the domestic-abuse scenario: several gaps, an inexperienced PSO
STAFF = SCENARIOS / "da_curfew_inexperienced_pso" / "staff.csv"
NARROW = {"width": 768, "height": 1000}


def _open_case(page) -> None:
    page.get_by_role("textbox", name="Search by CRN or name").fill(CRN)
    page.keyboard.press("Enter")
    settle(page)
    page.get_by_role("heading", name=re.compile(CRN)).wait_for()


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    settle(page)


def _write(page, label: str, text: str) -> None:
    """Type into a box that saves when it is left, and leave it (Ctrl+Enter)."""
    box = page.get_by_role("textbox", name=label)
    box.fill(text)
    box.press("Control+Enter")
    settle(page)


def _download(page, name: str) -> bytes:
    with page.expect_download() as got:
        page.get_by_role("button", name=name).click()
    return Path(got.value.path()).read_bytes()


def _staff() -> list[tuple[str, str]]:
    with STAFF.open(encoding="utf-8-sig", newline="") as f:
        return [(row["staff_code"], row["name"]) for row in csv.DictReader(f)]


def _second(browser, server: str, role: str):
    """Another person's browser, signed in and on the review of the case."""
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  accept_downloads=True)
    context.set_default_timeout(30_000)
    other = context.new_page()
    other.goto(server)
    sign_in(other, role)
    _open_case(other)
    other.get_by_role("link", name="SFO review").first.click()
    settle(other)
    return context, other


def test_a_reviewer_writes_finalises_and_downloads_an_sfo_review(page, shot, browser, server):
    sign_in(page, "reviewer")
    _open_case(page)
    page.get_by_role("link", name="SFO review").first.click()
    settle(page)
    shot(page, "before-start")
    page.get_by_role("button", name="Start the SFO review").click()
    settle(page)
    page.get_by_text(re.compile(r"2 things to do before finalising")).wait_for()
    shot(page, "started")

    _tab(page, "Episodes")
    shot(page, "episodes")

    _tab(page, "Analysis")
    _write(page, "Assessment", "The first risk assessment was completed on time, using the "
                               "police information held then.")
    page.get_by_text(re.compile(r"Saved at \d\d:\d\d")).first.wait_for()
    shot(page, "analysis-saved")

    _tab(page, "Factors")
    page.get_by_role("textbox", name="How you considered the working context").fill(
        "I read the workload, supervision and training records with the team's manager. "
        "The practitioner was new in grade and had not done the domestic abuse course.")
    page.get_by_role("button", name="Save and confirm the working context was considered"
                     ).click()
    settle(page)
    page.get_by_text(re.compile(r"recorded how the working context was considered")).wait_for()
    shot(page, "context-considered")

    _tab(page, "Judgement")
    page.get_by_text("Partly: some reasonable steps were not taken", exact=True).click()
    page.get_by_role("textbox", name="Your reasons").fill(
        "The checks with the police and children's services were not made, and there was no "
        "home visit; the case was held by a new practitioner without the training it needed.")
    page.get_by_role("button", name="Save the judgement").click()
    settle(page)
    page.get_by_text(re.compile(r"Your judgement:")).wait_for()
    shot(page, "judgement")

    _tab(page, "Actions")
    page.get_by_role("textbox", name="What will change, and how it will be known").fill(
        "Every domestic abuse case allocated to a new officer has its police and children's "
        "services checks made within 10 working days, checked at supervision.")
    page.get_by_role("textbox", name="Owner (a role)").fill("Head of the probation delivery "
                                                            "unit")
    type_date(page, "Due", date(2024, 12, 20))
    links = page.get_by_role("combobox", name="Answers (findings or factors)")
    links.press_sequentially("DA-CHECKS")
    page.get_by_role("option").filter(has_text="DA-CHECKS").first.click()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Add the action").click()
    after_submit(page, page.locator("[data-testid=stDataFrame]"))
    shot(page, "action-added")

    _tab(page, "Family summary")
    _write(page, "Summary for the family",
           "We looked at how the probation service managed the case. Some checks with the "
           "police and with children's services were not made. A home visit did not happen. "
           "The service will make sure these checks are always made.")
    page.get_by_text(re.compile(r"Reading ease:")).wait_for()
    shot(page, "family-summary")

    _tab(page, "Quality check")
    shot(page, "quality-check")

    _tab(page, "Document")
    page.get_by_text(re.compile(r"Nothing blocks finalising")).first.wait_for()
    shot(page, "document-draft")
    page.get_by_role("button", name="Finalise version 1").click()
    settle(page)
    page.get_by_text(re.compile(r"Version 1 was finalised")).first.wait_for()
    text = page.get_by_text(re.compile(r"Fingerprint: [0-9a-f]{64}")).first.inner_text()
    fingerprint = re.search(r"[0-9a-f]{64}", text).group(0)
    shot(page, "final")

    review = _download(page, "Download the review: restricted copy (Word)")
    assert docx.Document(io.BytesIO(review)).paragraphs          # a real Word document
    assert fingerprint in rendering.docx_text(review)            # the final, fingerprinted copy
    family = _download(page, "Download the family summary (Word)")
    assert docx.Document(io.BytesIO(family)).paragraphs
    family_text = rendering.docx_text(family)
    assert "A home visit did not happen." in family_text
    for code, name in _staff():
        assert code not in family_text and name not in family_text
    assert _download(page, "Download the family summary (PDF)").startswith(b"%PDF")
    shot(page, "downloaded")

    page.set_viewport_size(NARROW)
    settle(page)
    shot(page, "final-768")
    _tab(page, "Actions")
    shot(page, "action-plan-768")
    _tab(page, "Factors")
    shot(page, "factors-768")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Reopening needs a note; the versions then show version 1's fingerprint and the note.
    _tab(page, "Document")
    page.get_by_role("textbox", name="What will change, and why").fill(
        "The family asked about the home visit: the episode is explained more fully.")
    page.get_by_role("button", name="Reopen as version 2").click()
    settle(page)
    page.get_by_text(re.compile(r"version 2: Draft")).wait_for()
    shot(page, "reopened")

    # Someone else saves while this page is open: this page's change is refused, not saved
    # over theirs, and the page says who changed what and when.
    _tab(page, "Analysis")
    context, other = _second(browser, server, "reviewer")
    try:
        _tab(other, "Analysis")
        _write(other, "Planning", "The sentence plan was written on time.")
        other.get_by_text(re.compile(r"Saved at")).first.wait_for()
    finally:
        context.close()
    _write(page, "Reviewing", "The plan was not reviewed after the arrest.")
    page.get_by_text(re.compile(r"was changed by E2E reviewer at")).wait_for()
    shot(page, "conflict")
    assert page.get_by_role("textbox", name="Planning").input_value() == (
        "The sentence plan was written on time.")

    # The quality team reads the review without restricted entries or the restricted copy.
    context, quality = _second(browser, server, "quality")
    try:
        quality.get_by_text(re.compile(r"Only a reviewer can change it")).wait_for()
        _tab(quality, "Factors")
        shot(quality, "quality-factors")
        _tab(quality, "Document")
        quality.get_by_role("button", name="Download the review: shared copy (Word)").wait_for()
        shot(quality, "quality-document")
        assert quality.get_by_role("button", name=re.compile("restricted copy")).count() == 0
        quality.set_viewport_size(NARROW)
        settle(quality)
        shot(quality, "quality-document-768")
    finally:
        context.close()
