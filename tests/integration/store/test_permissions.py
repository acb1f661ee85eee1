"""The services check permissions themselves: the app is never the only gate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from sfo.domain import early_look as el
from sfo.domain import review as rv
from sfo.domain.access import Actor
from sfo.errors import PermissionDenied
from sfo.services import early_look, records, reviews, themes

SCENARIOS = Path(__file__).resolve().parents[3] / "fixtures" / "scenarios"
DA = SCENARIOS / "da_curfew_inexperienced_pso"
CRN = "W582036"
TODAY = date(2024, 9, 2)
PERSONAL = "Looking after a seriously ill child."

MANAGER = Actor("m", "Manager M", ("manager",))
REVIEWER = Actor("r", "Reviewer R", ("reviewer",))
QUALITY = Actor("q", "Quality Q", ("quality",))
ADMIN = Actor("a", "Admin A", ("admin",))
ELSEWHERE = Actor("e", "Manager E", ("manager",), ("Swansea Bay",))


@pytest.fixture
def stored(engine, db_url) -> str:
    records.import_bundle(DA, url=db_url, actor="importer")
    return db_url


def test_an_early_look_is_changed_only_by_a_manager(stored):
    with pytest.raises(PermissionDenied):
        early_look.start_stored(crn=CRN, actor=QUALITY, url=stored, today=TODAY)
    opened = early_look.start_stored(crn=CRN, actor=MANAGER, url=stored, today=TODAY)
    seen = early_look.open_stored(opened.id, actor=REVIEWER, url=stored)
    with pytest.raises(PermissionDenied):
        early_look.save_stored(opened.id, seen.state, expected_version=seen.version,
                               actor=REVIEWER, url=stored)
    with pytest.raises(PermissionDenied):
        early_look.open_stored(opened.id, actor=QUALITY, url=stored)


def test_a_review_opened_by_the_quality_team_holds_no_restricted_entry(stored):
    opened = reviews.start_stored(crn=CRN, actor=REVIEWER, url=stored, today=TODAY)
    state = rv.add_factor(opened.state, "personal_circumstances", PERSONAL)
    reviews.save_stored(opened.id, state, expected_version=1, actor=REVIEWER, url=stored)
    full = reviews.open_stored(opened.id, actor=REVIEWER, url=stored).state
    assert any(f.description == PERSONAL for f in full.factors)
    seen = reviews.open_stored(opened.id, actor=QUALITY, url=stored).state
    assert all(not f.restricted for f in seen.factors)
    assert PERSONAL not in str(seen.to_dict())
    with pytest.raises(PermissionDenied, match="shared copy"):
        reviews.export_stored(opened.id, audience="restricted", fmt="html", actor=QUALITY,
                              url=stored)
    shared = reviews.export_stored(opened.id, audience="shared", fmt="html", actor=QUALITY,
                                   url=stored)
    assert PERSONAL not in shared.data.decode("utf-8")
    with pytest.raises(PermissionDenied):
        reviews.save_stored(opened.id, seen, expected_version=2, actor=QUALITY, url=stored)


def test_an_account_for_another_unit_cannot_read_the_case(stored):
    with pytest.raises(PermissionDenied, match="Cardiff and Vale"):
        records.load_stored(stored, crns=[CRN], actor=ELSEWHERE)
    opened = early_look.start_stored(crn=CRN, actor=MANAGER, url=stored, today=TODAY)
    with pytest.raises(PermissionDenied):
        early_look.open_stored(opened.id, actor=ELSEWHERE, url=stored)


def test_an_administrator_manages_accounts_but_does_not_read_cases(stored):
    with pytest.raises(PermissionDenied, match="look at case records"):
        records.load_stored(stored, crns=[CRN], actor=ADMIN)
    records.import_bundle(DA, url=stored, actor=ADMIN)   # may import


def test_a_manager_early_look_keeps_the_personal_entry_for_those_allowed(stored):
    opened = early_look.start_stored(crn=CRN, actor=MANAGER, url=stored, today=TODAY)
    state = el.add_context(opened.state, "personal", PERSONAL, by="Manager M")
    early_look.save_stored(opened.id, state, expected_version=1, actor=MANAGER, url=stored)
    for who in (MANAGER, REVIEWER):
        assert any(e.text == PERSONAL
                   for e in early_look.open_stored(opened.id, actor=who, url=stored).state.context)
    hr = Actor("h", "HR H", ("hr",))
    assert any(e.text == PERSONAL
               for e in early_look.open_stored(opened.id, actor=hr, url=stored).state.context)


def test_the_quality_team_listing_a_persons_reviews_gets_no_restricted_entry(stored):
    opened = reviews.start_stored(crn=CRN, actor=REVIEWER, url=stored, today=TODAY)
    state = rv.add_factor(opened.state, "personal_circumstances", PERSONAL)
    reviews.save_stored(opened.id, state, expected_version=1, actor=REVIEWER, url=stored)
    assert PERSONAL in str([o.state.to_dict() for o in
                            reviews.list_stored(crn=CRN, actor=REVIEWER, url=stored)])
    listed = reviews.list_stored(crn=CRN, actor=QUALITY, url=stored)
    assert PERSONAL not in str([o.state.to_dict() for o in listed])


def test_the_quality_team_cannot_preview_the_restricted_review(stored):
    opened = reviews.start_stored(crn=CRN, actor=REVIEWER, url=stored, today=TODAY)
    with pytest.raises(PermissionDenied, match="shared copy"):
        reviews.draft_view(opened.id, audience="restricted", actor=QUALITY, url=stored)
    shared = reviews.draft_view(opened.id, audience="shared", actor=QUALITY, url=stored)
    assert shared["audience"] == "shared"


def test_themes_count_only_the_reviews_of_the_units_an_account_covers(stored):
    reviews.start_stored(crn=CRN, actor=REVIEWER, url=stored, today=TODAY)
    everyone = themes.across_reviews(url=stored, actor=QUALITY)
    cardiff = themes.across_reviews(url=stored, actor=Actor("c", "C", ("manager",),
                                                            ("Cardiff and Vale",)))
    elsewhere = themes.across_reviews(url=stored, actor=ELSEWHERE)
    assert (everyone.reviews, cardiff.reviews, elsewhere.reviews) == (1, 1, 0)
    assert [u for *_, u in reviews.every_review(url=stored, actor=ELSEWHERE)] == []
    with pytest.raises(PermissionDenied):
        themes.across_reviews(url=stored, actor=Actor("h", "HR H", ("hr",)))


def test_only_an_administrator_reads_the_audit_log_or_the_settings(stored):
    from sfo.services import admin

    for who in (MANAGER, REVIEWER, QUALITY, ELSEWHERE):
        with pytest.raises(PermissionDenied):
            admin.audit_log(actor=who, url=stored)
        with pytest.raises(PermissionDenied):
            admin.settings_overview(actor=who)
    assert admin.audit_log(actor=ADMIN, url=stored).total >= 1
