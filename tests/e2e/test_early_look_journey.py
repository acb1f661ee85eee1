"""A manager's early look from start to final, in a real browser, and the document opens."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx

from sfo.documents import rendering
from tests.e2e.conftest import settle, sign_in

CRN = "W582036"   # the domestic-abuse scenario: several gaps, an inexperienced PSO


def _open_case(page) -> None:
    page.get_by_role("textbox", name="Search by CRN or name").fill(CRN)
    page.keyboard.press("Enter")
    settle(page)
    page.get_by_role("heading", name=re.compile(CRN)).wait_for()


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    settle(page)


def test_a_manager_looks_at_the_timeline_completes_an_early_look_and_downloads_it(page, shot):
    sign_in(page, "manager")
    _open_case(page)
    shot(page, "case")

    page.get_by_role("link", name="Timeline").first.click()
    settle(page)
    page.locator("[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg"
                 ).first.wait_for()
    assert page.get_by_text(re.compile(r"Showing the \d+ entries recorded up to")).count() == 1
    shot(page, "timeline")

    page.get_by_role("link", name="Early look").first.click()
    settle(page)
    page.get_by_role("button", name="Start the early look").click()
    settle(page)
    page.get_by_text(re.compile(r"0 of 15 questions confirmed")).wait_for()
    shot(page, "started")

    # Confirm every suggested answer; answer the questions with no suggestion "Met".
    for _ in range(40):
        confirm = page.get_by_role("button", name=re.compile(r"^Confirm: "))
        if confirm.count():
            confirm.first.click()
            settle(page)
            continue
        # A question with no suggestion shows its answer form open (others keep theirs
        # in a closed "Choose another answer").
        forms = page.locator("[data-testid=stForm]").filter(visible=True).filter(
            has_text=re.compile(r"Your answer to EL\d+"))
        if forms.count():
            form = forms.first
            form.get_by_text("Met", exact=True).click()
            form.get_by_role("button", name="Save this answer").click()
            settle(page)
            continue
        break
    page.get_by_text(re.compile(r"15 of 15 questions confirmed")).wait_for()
    shot(page, "checklist-confirmed")

    _tab(page, "Working context")
    page.get_by_role("button", name="I have considered the working context").click()
    settle(page)
    shot(page, "context-considered")

    _tab(page, "Actions and recommendation")
    page.get_by_text("Full SFO review", exact=True).click()
    page.get_by_role("textbox", name="Why you recommend this").fill(
        "Domestic abuse checks and a home visit were not made for a high-risk case.")
    page.get_by_role("button", name="Save the recommendation").click()
    settle(page)
    shot(page, "recommended")

    _tab(page, "Document and sign-off")
    page.get_by_role("button", name="Sign off and finalise").click()
    settle(page)
    page.get_by_text(re.compile(r"This early look is final")).wait_for()
    text = page.get_by_text(re.compile(r"Fingerprint: [0-9a-f]{64}")).first.inner_text()
    fingerprint = re.search(r"[0-9a-f]{64}", text).group(0)
    shot(page, "final")

    page.get_by_role("button", name="Show the final documents").click()
    settle(page)
    with page.expect_download() as got:
        page.get_by_role("button", name="Download the restricted copy (Word)").click()
    data = Path(got.value.path()).read_bytes()
    opened = docx.Document(io.BytesIO(data))          # a real Word document
    assert opened.paragraphs
    assert fingerprint in rendering.docx_text(data)   # the final, fingerprinted copy
    shot(page, "downloaded")
