"""The Themes page: factors, findings, judgements, the trend and learning, filtered by unit
and period, only ever counting what a person's units allow.

The reviews are written once for this module into a copy of the seeded database
(one review of each of the six scenario cases, each in its own unit; five
finalised today, one a draft placed at its charge date in 2024) and only read.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date

import pytest
from sqlalchemy.engine import make_url

from fixtures.reviews import write_reviews
from sfo.domain import review as rv
from sfo.domain.access import Actor
from sfo.errors import PermissionDenied
from sfo.services import admin, reviews, themes
from sfo.store import engine as store_engine
from tests.ui.conftest import ROOT, scenario_crn

PAGE = "app_pages/themes.py"
JOB = "sfo_job_th_report"
PERSONAL = "Caring for a parent with dementia"
FORMULA = "=HYPERLINK(\"http://example.invalid\", \"learning\")"
DRAFT_SCENARIO = "messy_export"    # the review left a draft (seed 11, half finalised)
SCENARIOS = sorted(p.name for p in (ROOT / "fixtures" / "scenarios").iterdir()
                   if (p / "people.csv").exists())


@pytest.fixture(scope="module")
def reviews_db(ui_db: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    source = make_url(ui_db).database
    assert source
    target = tmp_path_factory.mktemp("themes") / "themes.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = store_engine.sqlite_url(target)
    made = write_reviews([scenario_crn(name) for name in SCENARIOS], url=url,
                         actor="test.reviewer", finalise_share=0.5)
    (draft,) = [i for i, status, s, _ in reviews.every_review(url=url) if status == "draft"]
    assert len(made) == 6 and draft == made[SCENARIOS.index(DRAFT_SCENARIO)]
    reviews.change_stored(draft, lambda s: rv.add_learning(
        rv.add_factor(s, "personal_circumstances", PERSONAL), "team", FORMULA),
        actor="test.reviewer", url=url, note="a restricted factor and awkward learning")
    return url


@pytest.fixture
def page(app, reviews_db: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SFO_DATABASE_URL", reviews_db)

    def make(role: str = "quality", pdus: tuple[str, ...] = ()):
        at = app(role, pdus=pdus)
        at.switch_page(PAGE).run()
        return counted(at)

    return make


def counted(at):
    """Let the page's counting finish and draw the page with the report."""
    while JOB in at.session_state:
        at.session_state[JOB].future.result(timeout=60)
        at.run()
    assert not at.exception, at.exception
    return at


def heading(at) -> str:
    return next(s.value for s in at.subheader if s.value.startswith("Across"))


def text(at) -> str:
    parts = [m.value for m in [*at.markdown, *at.caption, *at.info, *at.warning,
                               *at.subheader, *at.error]]
    parts += [t.value.to_csv() for t in at.table] + [d.value.to_csv() for d in at.dataframe]
    parts += [e.label for e in at.expander]
    return "\n".join(parts)


def test_the_page_shows_factors_findings_judgements_trend_and_learning(page):
    at = page()
    assert heading(at) == "Across 6 reviews"
    titles = [s.value for s in at.subheader]
    for part in ("Contributory factors", "By quarter", "Gaps in practice by rule",
                 "Overall judgements", "Learning, grouped by the words it shares"):
        assert part in titles
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(specs) == 2, "the factor counts and the trend by quarter"
    judged = " ".join(m.value for m in at.markdown)
    assert "No judgement yet" in judged
    assert at.dataframe[-1].value.columns.tolist() == ["Rule", "Reviews with a gap under it"]
    assert [b.label for b in at.get("download_button")] == list(
        admin.THEMES_TABLES.values())
    assert any("pieces of learning from" in e.label for e in at.expander)


def test_a_restricted_factor_is_only_counted_and_never_described(page):
    at = page()
    everything = text(at)
    assert PERSONAL not in everything and "personal_circumstances" not in everything
    assert "is not shown" in " ".join(i.value for i in at.info), (
        "1 review of 6 with a restricted factor could point to a person")


def test_choosing_a_unit_counts_only_its_reviews_and_warns_of_small_numbers(page):
    at = page()
    units = at.selectbox(key="sfo_th_pdu").options
    assert units[0] == "All units" and len(units) == 7
    at.selectbox(key="sfo_th_pdu").select("Cardiff and Vale")
    at = counted(at.run())
    assert heading(at) == "Across 1 review in Cardiff and Vale"
    assert "read every count as an example, not a trend" in at.warning[0].value


def test_the_period_and_final_only_filters(page):
    at = page()
    at.date_input(key="sfo_th_to").set_value(date(2025, 12, 31))
    at = counted(at.run())
    assert heading(at) == "Across 1 review up to 31 December 2025"   # the 2024 draft
    at.date_input(key="sfo_th_to").set_value(None)
    at.checkbox(key="sfo_th_final").check()
    at = counted(at.run())
    assert heading(at) == "Across 5 finalised reviews"
    at.date_input(key="sfo_th_from").set_value(date(2030, 1, 1))
    at.date_input(key="sfo_th_to").set_value(date(2029, 1, 1))
    at.run()
    assert "after it ends" in at.error[0].value


def test_a_manager_limited_to_one_unit_sees_only_its_reviews(page):
    at = page("manager", pdus=("Cardiff and Vale",))
    assert heading(at) == "Across 1 review"
    assert at.selectbox(key="sfo_th_pdu").options == ["All units", "Cardiff and Vale"]
    assert "You see the reviews of your units only" in at.caption[0].value
    elsewhere = page("manager", pdus=("Swansea Bay",))
    assert heading(elsewhere) == "Across 0 reviews"
    assert "no stored SFO reviews" in elsewhere.info[0].value


def test_hr_has_no_themes_page_and_the_service_refuses_it(app, reviews_db, monkeypatch):
    monkeypatch.setenv("SFO_DATABASE_URL", reviews_db)
    at = app("hr")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    with pytest.raises(PermissionDenied, match="look at themes across reviews"):
        themes.across_reviews(actor=Actor("h", "H", ("hr",)))


def test_the_csv_downloads_neutralise_formulas(reviews_db, monkeypatch):
    monkeypatch.setenv("SFO_DATABASE_URL", reviews_db)
    report = themes.across_reviews(actor=Actor("q", "Q", ("quality",)))
    learning = admin.themes_csv(report, "learning").decode("utf-8-sig")
    assert "'=HYPERLINK" in learning and "\n=HYPERLINK" not in learning
    assert learning.splitlines()[0] == ("Theme,Reviews in the theme,Review,Learning id,Level,"
                                        "Learning")
    factors = admin.themes_csv(report, "factors").decode("utf-8-sig")
    assert PERSONAL not in factors and "Reviews naming it" in factors

