"""A manager finds a case, and an import with a mistake is refused with a table of problems."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import SCENARIOS, settle, sign_in

DA = SCENARIOS / "da_curfew_inexperienced_pso"


def test_a_manager_finds_a_case_and_a_broken_upload_is_refused_with_its_problems(
        page, shot, tmp_path: Path):
    sign_in(page, "manager")
    shot(page, "signed-in")
    page.get_by_role("textbox", name="Search by CRN or name").fill("W582036")
    page.keyboard.press("Enter")
    settle(page)
    page.locator("[data-testid=stDataFrame]").first.wait_for()
    # The grid draws on a canvas; its cells are also in an accessible (hidden) table.
    assert page.locator("td", has_text="Ryan Pritchard").count() == 1
    # A table's own CSV download would keep formulas: it is hidden (pages offer safe ones).
    page.locator("[data-testid=stDataFrame]").first.hover()
    page.wait_for_timeout(500)
    toolbar = page.locator("[data-testid=stElementToolbar] button")
    assert toolbar.count() >= 1
    assert not any(b.is_visible() for b in toolbar.all()
                   if "download" in (b.get_attribute("aria-label") or "").lower())
    shot(page, "search")
    broken = tmp_path / "contacts.csv"
    lines = (DA / "contacts.csv").read_text("utf-8").splitlines()
    lines[2] = lines[2].replace("2024-04-", "2024-13-", 1)
    broken.write_text("\n".join(lines) + "\n", "utf-8")
    page.locator("input[type=file]").set_input_files(
        [str(DA / "people.csv"), str(broken)])
    settle(page)
    page.get_by_role("button", name="Check and import").click()
    settle(page)
    page.get_by_text("was not imported").wait_for()
    shot(page, "refused")
    assert page.get_by_text("Nothing was imported").count() >= 1
    page.locator("[data-testid=stDataFrame]").last.wait_for()
    assert page.locator("td", has_text="contact_date").count() >= 1
    assert page.locator("td", has_text="contacts.csv").count() >= 1


def test_the_case_pages_fit_a_768_pixel_window_without_sideways_scrolling(page, shot):
    page.set_viewport_size({"width": 768, "height": 1000})
    sign_in(page, "reviewer")
    page.get_by_role("textbox", name="Search by CRN or name").fill("W582036")
    page.keyboard.press("Enter")
    settle(page)
    for name in ("Cases", "Timeline", "Early look"):
        if name != "Cases":
            # At this width the menu is folded away: open it, then choose the page.
            expand = page.get_by_test_id("stExpandSidebarButton")
            if expand.count() and expand.is_visible():
                expand.click()
            page.get_by_role("link", name=name).first.click()
            settle(page)
            collapse = page.get_by_test_id("stSidebarCollapseButton")
            if collapse.count() and collapse.first.is_visible():
                collapse.first.click()
        if name == "Timeline":
            page.locator("[data-testid=stVegaLiteChart] canvas, "
                         "[data-testid=stVegaLiteChart] svg").first.wait_for()
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - window.innerWidth")
        shot(page, f"{name.lower().replace(' ', '-')}-768")
        assert overflow <= 0, f"{name} is {overflow}px wider than the window"
