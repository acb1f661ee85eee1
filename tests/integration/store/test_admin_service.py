"""Administration: the audit log browsed with filters and checked, the rules, settings, templates.

Every filter is checked against a count made independently, in Python, from
every entry of the log.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from sfo.domain.access import Actor
from sfo.errors import PermissionDenied
from sfo.services import accounts, admin
from sfo.store import audit as store_audit

ADMIN = Actor("root", "Robin Root", ("admin",))
UK = ZoneInfo("Europe/London")
CRNS = ("X111111", "Y222222", None)
ACTORS = ("aable", "Amy Able", "Ben Bold", "Cara Amygdala")
ACTIONS = ("view", "update", "sign-in", "search")
START = datetime(2026, 6, 28, 20, 0, tzinfo=UTC)   # summer: the UK is an hour ahead of UTC
TEMPLATES = Path(__file__).resolve().parents[3] / "sfo" / "documents" / "templates"


@pytest.fixture
def log(engine, db_url) -> list[store_audit.Entry]:
    """A seeded log of 150 entries over about six days, and the account of 'aable'."""
    accounts.create_user("aable", display_name="Amy Able", roles=["manager"], password=None,
                         actor="setup", url=db_url)
    rng = random.Random(42)
    with engine.begin() as conn:
        for i in range(150):
            store_audit.append(conn, actor=rng.choice(ACTORS), action=rng.choice(ACTIONS),
                               object_type="case", object_id=str(i), crn=rng.choice(CRNS),
                               summary=f"entry {i}",
                               at=START + timedelta(minutes=55 * i))
    with engine.connect() as conn:
        return store_audit.all_entries(conn)


def uk_day(e: store_audit.Entry) -> date:
    at = e.at if e.at.tzinfo else e.at.replace(tzinfo=UTC)
    return at.astimezone(UK).date()


def seqs(page: admin.AuditPage) -> list[int]:
    return [e.seq for e in page.entries]


def newest_first(entries: list[store_audit.Entry]) -> list[int]:
    return sorted((e.seq for e in entries), reverse=True)


def test_with_no_filters_the_newest_entries_come_first_a_page_at_a_time(log, db_url):
    first = admin.audit_log(actor=ADMIN, url=db_url, page_size=40)
    assert first.total == len(log) and first.pages == 4
    assert seqs(first) == newest_first(log)[:40]
    assert first.upto == log[-1].seq
    # Each look writes an entry; the next pages count back from the first page's newest
    # entry, so they do not shift.
    second = admin.audit_log(actor=ADMIN, url=db_url, page_size=40, page=2, upto=first.upto)
    assert seqs(second) == newest_first(log)[40:80]
    last = admin.audit_log(actor=ADMIN, url=db_url, page_size=40, page=99, upto=first.upto)
    assert last.page == 4, "a page past the end shows the last page"
    assert seqs(last) == newest_first(log)[120:]
    assert set(last.actions) >= set(ACTIONS)


def test_filtering_by_crn_finds_exactly_that_persons_entries(log, db_url):
    found = admin.audit_log(actor=ADMIN, url=db_url, crn="x111111", page_size=500)
    expected = [e for e in log if e.crn == "X111111"]
    assert found.total == len(expected) > 0
    assert seqs(found) == newest_first(expected)


def test_a_user_name_also_finds_the_accounts_display_name(log, db_url):
    found = admin.audit_log(actor=ADMIN, url=db_url, user="aable", page_size=500)
    expected = [e for e in log if e.actor in ("aable", "Amy Able")]
    assert found.total == len(expected) > 0
    assert seqs(found) == newest_first(expected)


def test_part_of_a_name_matches_whatever_its_case(log, db_url):
    found = admin.audit_log(actor=ADMIN, url=db_url, user="AMY", page_size=500)
    expected = [e for e in log if "amy" in e.actor.lower()]
    assert {e.actor for e in expected} == {"Amy Able", "Cara Amygdala"}
    assert seqs(found) == newest_first(expected)


def test_dates_are_uk_days_and_both_ends_are_included(log, db_url):
    first, last = date(2026, 6, 30), date(2026, 7, 2)
    found = admin.audit_log(actor=ADMIN, url=db_url, start=first, end=last, page_size=500)
    expected = [e for e in log if first <= uk_day(e) <= last]
    assert found.total == len(expected) > 0
    assert seqs(found) == newest_first(expected)
    # 23:30 UTC on 29 June is 00:30 on 30 June in the UK: it is on the 30th.
    late = [e for e in log if e.at.replace(tzinfo=UTC).hour == 23
            and uk_day(e) == first]
    assert late and all(e.seq in seqs(found) for e in late)


def test_filters_combine(log, db_url):
    found = admin.audit_log(actor=ADMIN, url=db_url, crn="Y222222", user="ben",
                            action="view", start=date(2026, 6, 29), page_size=500)
    expected = [e for e in log if e.crn == "Y222222" and e.actor == "Ben Bold"
                and e.action == "view" and uk_day(e) >= date(2026, 6, 29)]
    assert found.total == len(expected) > 0
    assert seqs(found) == newest_first(expected)
    assert found.filters.describe() == "CRN Y222222, user 'ben', from 2026-06-29, action view"


def test_looking_at_the_log_is_itself_written_to_it(log, db_url, engine):
    admin.audit_log(actor=ADMIN, url=db_url, crn="X111111", page_size=10)
    with engine.connect() as conn:
        newest = store_audit.all_entries(conn)[-1]
    assert (newest.actor, newest.action, newest.crn) == ("Robin Root", "view-audit", "X111111")
    assert "CRN X111111" in newest.summary
    again = admin.audit_log(actor=ADMIN, url=db_url, page_size=1)
    assert again.entries[0].seq == newest.seq, "the look is in the log for the next look"


def test_an_untouched_log_is_intact_and_the_check_is_recorded(log, db_url, engine):
    said: list[str] = []
    result = admin.verify(actor=ADMIN, url=db_url, progress=said.append, part=40)
    assert result.intact and result.entries == len(log) == 151   # with the account's
    assert said[-1] == "Checked 151 of 151 entries"
    assert len(said) == 4, "read in parts of 40"
    with engine.connect() as conn:
        newest = store_audit.all_entries(conn)[-1]
    assert newest.action == admin.CHECK_AUDIT and "intact" in newest.summary


def test_an_edited_entry_is_found_whatever_the_size_of_the_parts(log, db_url, engine):
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET summary = 'nothing to see' WHERE seq = 77"))
    for part in (1, 40, 1000):
        result = admin.verify(actor=ADMIN, url=db_url, part=part)
        assert not result.intact
        assert any("entry 77" in p and "edited" in p for p in result.problems), result.problems


def test_a_deleted_entry_and_a_changed_latest_entry_are_found(log, db_url, engine):
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq = 12"))
    assert any("entries 12 to 12 are missing" in p
               for p in admin.verify(actor=ADMIN, url=db_url).problems)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_head SET seq = 100"))
    problems = admin.verify(actor=ADMIN, url=db_url).problems
    assert any("come after entry 100" in p for p in problems), problems
    assert "could not be written to the log" in problems[-1]


@pytest.mark.parametrize("role", ["manager", "reviewer", "quality", "hr"])
def test_only_an_administrator_reads_or_checks_the_log(log, db_url, role):
    someone = Actor("x", "X", (role,))
    with pytest.raises(PermissionDenied, match="read the audit log"):
        admin.audit_log(actor=someone, url=db_url)
    with pytest.raises(PermissionDenied):
        admin.verify(actor=someone, url=db_url)


@pytest.mark.parametrize("role", ["manager", "reviewer", "quality", "hr"])
def test_only_an_administrator_sees_the_rules_settings_and_templates(role):
    someone = Actor("x", "X", (role,))
    for verb in (admin.rule_pack, admin.checklist, admin.settings_overview,
                 admin.templates_in_use):
        with pytest.raises(PermissionDenied, match="settings, rules and templates"):
            verb(actor=someone)
    with pytest.raises(PermissionDenied):
        admin.install_template("early_look", b"", "early_look.html.j2", actor=someone)


def test_the_settings_overview_never_shows_a_database_password(monkeypatch):
    monkeypatch.setenv("SFO_DATABASE_URL", "postgresql://sfo:s3cret-Pa55@db.example.org/sfo")
    overview = admin.settings_overview(actor=ADMIN)
    shown = " ".join(f"{r.value} {r.default}" for r in overview.rows) + overview.database
    assert "s3cret" not in shown and "s3cret" not in overview.frame().to_csv()
    row = next(r for r in overview.rows if r.env == "SFO_DATABASE_URL")
    assert row.changed and "db.example.org" in row.value and "***" in row.value


def test_the_rule_pack_says_where_it_comes_from_and_shows_each_threshold(monkeypatch,
                                                                         tmp_path):
    shipped = admin.rule_pack(actor=ADMIN)
    assert shipped.shipped and shipped.version
    home = next(r for r in shipped.rules if r.rule_id == "HOME-VISIT")
    assert home.thresholds == ("within_working_days = 20 (local default)",)
    local = tmp_path / "rules.toml"
    local.write_text('[pack]\nversion = "local-1"\n[rules.HOME-VISIT]\n'
                     "within_working_days = 10\nenabled = false\n", "utf-8")
    monkeypatch.setenv("SFO_RULES", str(local))
    pack = admin.rule_pack(actor=ADMIN)
    assert (pack.origin, pack.setting, pack.version) == (str(local), str(local), "local-1")
    home = next(r for r in pack.rules if r.rule_id == "HOME-VISIT")
    assert home.thresholds == ("within_working_days = 10 (local default)",)
    assert not home.enabled


def test_the_checklist_says_which_it_is():
    found = admin.checklist(actor=ADMIN)
    assert found.shipped and found.name and found.version and len(found.questions) >= 10


def test_a_template_with_a_problem_is_not_installed_and_a_good_one_is(db_url, engine,
                                                                      monkeypatch, tmp_path):
    folder = tmp_path / "templates"
    monkeypatch.setenv("SFO_TEMPLATE_DIR", str(folder))
    good = (TEMPLATES / "early_look.html.j2").read_bytes()
    bad = good.replace(b"{{ case.crn }}", b"{{ case.crm }}", 1)
    assert bad != good
    report, installed = admin.install_template("early_look", bad, "early_look.html.j2",
                                               actor=ADMIN, url=db_url)
    assert installed is None and not report.ok
    assert any("case.crn" in p.message for p in report.problems), report.problems
    assert not (folder / "early_look.html.j2").exists()
    report, installed = admin.install_template("early_look", good, "early_look.html.j2",
                                               actor=ADMIN, url=db_url)
    assert report.ok and installed == folder / "early_look.html.j2"
    assert installed.read_bytes() == good
    rows = admin.templates_in_use(actor=ADMIN)
    assert next(r for r in rows if r.label == "Early look (web page)").source == "local"
    with engine.connect() as conn:
        newest = store_audit.all_entries(conn)[-1]
    assert (newest.action, newest.object_type) == ("install", "template")
