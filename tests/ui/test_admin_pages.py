"""The administration pages (Users, Audit log, Rules and settings) and who may open them.

Each test that changes accounts or the log copies the seeded database first,
so no test sees another's changes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from sfo.domain.access import Actor
from sfo.errors import PermissionDenied, SignInFailed
from sfo.services import accounts, admin
from sfo.store import audit as store_audit
from sfo.store import engine as store_engine
from tests.ui.conftest import DA_CRN, PASSWORD, actor

ADMIN = actor("admin")
OTHER_ADMIN = Actor("other", "Olu Other", ("admin",))
USERS = "app_pages/users.py"
AUDIT = "app_pages/audit_log.py"
SETTINGS = "app_pages/settings.py"
NEW_PASSWORD = "plum kettle harbour seven"
CASEWORK = ("manager", "reviewer", "quality", "hr")


def open_page(app, page: str, role: str = "admin", **kwargs):
    at = app(role, **kwargs)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def form_button(at, label: str):
    return next(b for b in at.get("button") if getattr(b, "label", None) == label)


def finish(at, key: str):
    """Let a job started by the page finish, then draw the page again."""
    while key in at.session_state:
        at.session_state[key].future.result(timeout=60)
        at.run()
    assert not at.exception, at.exception
    return at


# -- who may open them --------------------------------------------------------------------------

@pytest.mark.parametrize("role", CASEWORK)
@pytest.mark.parametrize("page", [USERS, AUDIT, SETTINGS])
def test_the_administration_pages_are_not_in_any_other_roles_menu(app, role, page):
    at = app(role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)


@pytest.mark.parametrize("role", CASEWORK)
def test_the_services_behind_the_administration_pages_refuse_other_roles(ui_env, role):
    someone = actor(role)
    for verb in (accounts.list_users, admin.audit_log, admin.verify, admin.rule_pack,
                 admin.checklist, admin.settings_overview, admin.templates_in_use):
        with pytest.raises(PermissionDenied):
            verb(actor=someone)
    with pytest.raises(PermissionDenied):
        accounts.create_user("x", display_name="X", roles=["hr"], password=None,
                             actor=someone)


def test_a_manager_limited_to_another_unit_cannot_see_the_case_on_any_case_page(app):
    at = app("manager", crn=DA_CRN, pdus=("Swansea Bay",))
    assert "not one of your units" in at.error[0].value
    assert not any(DA_CRN in h.value for h in at.header)
    at.text_input(key="sfo_cases_query").input(DA_CRN)
    at.run()
    assert f"No case matches '{DA_CRN}'" in at.info[0].value
    for page in ("app_pages/timeline.py", "app_pages/early_look.py", "app_pages/review.py"):
        other = app("manager", crn=DA_CRN, pdus=("Swansea Bay",))
        other.switch_page(page).run()
        assert not other.exception, other.exception
        assert "not one of your units" in other.error[0].value, page
        assert not other.get("vega_lite_chart") and not other.dataframe, page


# -- users --------------------------------------------------------------------------------------

def add_form(at, *, username: str, roles: list[str], first: str = "", again: str = "",
             sso: bool = False):
    at.text_input(key="sfo_adm_new_username").input(username)
    at.text_input(key="sfo_adm_new_display").input(f"New {username}")
    at.multiselect(key="sfo_adm_new_roles").set_value(roles)
    if sso:
        at.radio(key="sfo_adm_new_how").set_value("Single sign-on only")
    at.text_input(key="sfo_adm_new_pw1").input(first)
    at.text_input(key="sfo_adm_new_pw2").input(again)
    form_button(at, "Add the account").click()
    return at.run()


def test_the_accounts_are_listed_with_their_roles_units_and_state(app, own_db):
    accounts.create_user("swansea", display_name="Sam Swansea", roles=["manager"],
                         password=None, pdus=["Swansea Bay"], actor=ADMIN)
    at = open_page(app, USERS)
    table = at.dataframe[0].value.set_index("User name")
    assert set(table.index) >= {"manager", "reviewer", "quality", "hr", "admin", "swansea"}
    assert table.loc["quality", "Roles"] == "Quality team"
    assert table.loc["swansea", "Units"] == "Swansea Bay"
    assert table.loc["swansea", "Signs in with"] == "single sign-on only"
    assert table.loc["admin", "Switched on"] == "yes"


def test_a_new_account_needs_the_same_password_twice(app, own_db):
    at = add_form(open_page(app, USERS), username="newbie", roles=["quality"],
                  first=NEW_PASSWORD, again=NEW_PASSWORD + "x")
    assert "The two passwords are not the same" in at.error[0].value
    assert "newbie" not in {u.username for u in accounts.list_users(actor=ADMIN)}


def test_an_administrator_adds_an_account_that_can_sign_in(app, own_db):
    at = add_form(open_page(app, USERS), username="newbie", roles=["quality", "hr"],
                  first=NEW_PASSWORD, again=NEW_PASSWORD)
    assert not at.exception and not at.error
    assert "Added newbie" in at.success[0].value
    signed_in = accounts.authenticate("newbie", NEW_PASSWORD)
    assert signed_in.roles == ("hr", "quality")
    assert "newbie" in at.dataframe[0].value["User name"].tolist()


def test_a_single_sign_on_account_has_no_password(app, own_db):
    at = add_form(open_page(app, USERS), username="sso@example.org", roles=["reviewer"],
                  sso=True)
    assert "Added sso@example.org" in at.success[0].value
    (made,) = [u for u in accounts.list_users(actor=ADMIN) if u.username == "sso@example.org"]
    assert made.password_hash is None


def test_a_weak_password_is_refused_with_the_services_reason(app, own_db):
    at = add_form(open_page(app, USERS), username="newbie", roles=["hr"], first="short",
                  again="short")
    assert "at least 12 characters" in at.error[0].value


def choose(at, username: str):
    at.selectbox(key="sfo_adm_pick").select(username)
    return at.run()


def edit_key(at, start: str):
    return next(w.key for w in [*at.multiselect, *at.toggle, *at.text_input]
                if w.key and w.key.startswith(start))


def test_changing_roles_units_and_switching_an_account_off(app, own_db):
    at = choose(open_page(app, USERS), "quality")
    at.multiselect(key=edit_key(at, "sfo_adm_roles_quality")).set_value(["quality", "reviewer"])
    at.multiselect(key=edit_key(at, "sfo_adm_units_quality")).set_value(["Cardiff and Vale"])
    at.toggle(key=edit_key(at, "sfo_adm_active_quality")).set_value(False)
    form_button(at, "Save the changes").click()
    at.run()
    assert not at.exception and not at.error
    assert "Saved the changes to quality" in at.success[0].value
    (saved,) = [u for u in accounts.list_users(actor=ADMIN) if u.username == "quality"]
    assert saved.roles == ("quality", "reviewer") and saved.region == "Cardiff and Vale"
    assert not saved.active
    with pytest.raises(SignInFailed, match="switched off"):
        accounts.authenticate("quality", PASSWORD)


def test_an_administrator_cannot_switch_off_their_own_account(app, own_db):
    at = choose(open_page(app, USERS), "admin")
    at.toggle(key=edit_key(at, "sfo_adm_active_admin")).set_value(False)
    form_button(at, "Save the changes").click()
    at.run()
    assert "cannot switch off your own account" in at.error[0].value
    assert all(u.active for u in accounts.list_users(actor=ADMIN) if u.username == "admin")


def test_a_password_reset_and_an_unlock(app, own_db):
    for _ in range(5):
        with pytest.raises(SignInFailed):
            accounts.authenticate("hr", "not the password at all")
    at = choose(open_page(app, USERS), "hr")
    assert "hr is locked until" in at.warning[0].value
    assert at.dataframe[0].value.set_index("User name").loc["hr", "Locked"].startswith("until")
    button(at, "Unlock").click()
    at.run()
    assert "Unlocked hr" in at.success[0].value
    assert accounts.authenticate("hr", PASSWORD).username == "hr"
    at.text_input(key=edit_key(at, "sfo_adm_pw1_hr")).input(NEW_PASSWORD)
    at.text_input(key=edit_key(at, "sfo_adm_pw2_hr")).input(NEW_PASSWORD)
    form_button(at, "Set the password").click()
    at.run()
    assert "Set a new password for hr" in at.success[0].value
    assert accounts.authenticate("hr", NEW_PASSWORD).username == "hr"


def test_a_change_another_administrator_saved_first_is_shown_not_overwritten(app, own_db):
    at = choose(open_page(app, USERS), "reviewer")
    (current,) = [u for u in accounts.list_users(actor=ADMIN) if u.username == "reviewer"]
    accounts.update_user("reviewer", actor=OTHER_ADMIN, expected_version=current.version,
                         roles=["reviewer", "hr"])
    at.multiselect(key=edit_key(at, "sfo_adm_roles_reviewer")).set_value(["manager"])
    form_button(at, "Save the changes").click()
    at.run()
    assert not at.exception
    said = " ".join(w.value for w in at.warning)
    assert "changed by Olu Other" in said and "your change was not saved" in said
    (kept,) = [u for u in accounts.list_users(actor=ADMIN) if u.username == "reviewer"]
    assert kept.roles == ("hr", "reviewer")            # theirs, not mine
    button(at, "Show their version").click()
    at.run()
    roles = at.multiselect(key=edit_key(at, "sfo_adm_roles_reviewer"))
    assert set(roles.value) == {"hr", "reviewer"}


# -- the audit log ------------------------------------------------------------------------------

def test_the_audit_log_lists_entries_newest_first_and_the_look_is_recorded(app, own_db):
    open_page(app, "app_pages/cases.py", role="manager", crn=DA_CRN)   # a look at a case
    at = open_page(app, AUDIT)
    table = at.dataframe[0].value
    assert table["No."].tolist() == sorted(table["No."], reverse=True)
    assert "view-audit" not in table["Action"].tolist()[:1]
    again = admin.audit_log(actor=ADMIN, page_size=1)
    newest = again.entries[0]
    assert (newest.action, newest.actor) == ("view-audit", "Test admin")


def test_filtering_the_audit_log_by_crn_user_and_action(app, own_db):
    open_page(app, "app_pages/cases.py", role="hr", crn=DA_CRN)
    at = open_page(app, AUDIT)
    at.text_input(key="sfo_adm_crn").input(DA_CRN.lower())
    at.text_input(key="sfo_adm_user").input("test hr")
    at.run()
    table = at.dataframe[0].value
    assert len(table) and set(table["CRN"]) == {DA_CRN} and set(table["Who"]) == {"Test hr"}
    at.selectbox(key="sfo_adm_action").select("search")
    at.run()
    assert "No entry matches these filters" in at.info[0].value


def test_the_next_page_follows_on_even_though_each_look_is_written_to_the_log(app, own_db):
    engine = store_engine.make_engine(own_db)
    try:
        with engine.begin() as conn:
            for i in range(120):
                store_audit.append(conn, actor="Pat Paging", action="view",
                                   object_type="case", object_id=str(i), crn=DA_CRN,
                                   summary=f"look {i}")
    finally:
        engine.dispose()
    at = open_page(app, AUDIT)
    first = at.dataframe[0].value["No."].tolist()
    assert len(first) == admin.PAGE_SIZE
    button(at, "Older").click()
    at.run()
    second = at.dataframe[0].value["No."].tolist()
    assert second[0] == first[-1] - 1, "no entry is shown twice or skipped"
    button(at, "Newer").click()
    at.run()
    assert at.dataframe[0].value["No."].tolist() == first
    button(at, "Look again").click()
    at.run()
    assert at.dataframe[0].value["No."].tolist()[0] > first[0], "now with the looks since"


def test_checking_an_intact_log_says_so(app, own_db):
    at = open_page(app, AUDIT)
    button(at, "Check the audit log").click()
    at = finish(at.run(), "sfo_job_adm_verify")
    assert "The audit log is intact" in at.success[0].value


def test_checking_a_changed_log_says_what_is_wrong(app, own_db):
    path = make_url(own_db).database
    assert path
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE audit_log SET actor = 'nobody' WHERE seq = 3")
    at = open_page(app, AUDIT)
    button(at, "Check the audit log").click()
    at = finish(at.run(), "sfo_job_adm_verify")
    assert "The audit log is NOT intact" in at.error[0].value
    assert any("Entry 3" in m.value and "edited" in m.value for m in at.markdown)


# -- rules and settings -------------------------------------------------------------------------

def test_the_rules_checklist_and_settings_are_shown_with_their_versions(app, own_db):
    at = open_page(app, SETTINGS)
    said = " ".join(m.value for m in at.markdown)
    pack = admin.rule_pack(actor=ADMIN)
    assert f"version **{pack.version}**, shipped with the toolkit" in said
    assert "15 questions" in said
    tables = [t.value for t in at.table]
    assert "HOME-VISIT" in tables[0]["Rule"].tolist()
    assert "SFO_IDLE_MINUTES" in tables[2]["Setting"].tolist()


def test_the_settings_page_never_shows_a_database_password(app, ui_env, monkeypatch):
    # The page reads no casework, so a server that does not exist is never reached.
    monkeypatch.setenv("SFO_DATABASE_URL", "postgresql://sfo:s3cret-Pa55@db.invalid/sfo")
    at = open_page(app, SETTINGS)
    shown = " ".join([m.value for m in at.markdown]
                     + [t.value.to_csv() for t in at.table])
    assert "db.invalid" in shown and "s3cret" not in shown


def upload_template(at, kind: str, name: str, data: bytes):
    at.selectbox(key="sfo_adm_template_kind").select(kind)
    at.file_uploader(key="sfo_adm_template_file").set_value((name, data, "text/html"))
    at.run()
    form = at.button(key="sfo_adm_template_go")
    form.click()
    return at.run()


TEMPLATE = (Path(__file__).resolve().parents[2] / "sfo" / "documents" / "templates"
            / "early_look.html.j2").read_bytes()


def test_without_a_template_folder_a_template_is_checked_and_the_setting_explained(app,
                                                                                  own_db):
    at = open_page(app, SETTINGS)
    assert "SFO_TEMPLATE_DIR is not set" in at.info[0].value
    at = upload_template(at, "early_look", "early_look.html.j2",
                         TEMPLATE.replace(b"{{ case.crn }}", b"{{ case.crm }}", 1))
    assert "cannot be used as the Early look template" in at.error[0].value
    problems = at.table[-1].value
    assert any("case.crn" in p for p in problems["Problem"]), problems


def test_a_template_folder_that_does_not_exist_yet_is_explained(app, own_db, tmp_path,
                                                                monkeypatch):
    monkeypatch.setenv("SFO_TEMPLATE_DIR", str(tmp_path / "templates"))
    at = open_page(app, SETTINGS)
    assert any("does not exist yet" in w.value for w in at.warning)


def test_a_template_that_passes_is_installed_and_shown_in_use(app, own_db, tmp_path,
                                                              monkeypatch):
    (tmp_path / "templates").mkdir()
    monkeypatch.setenv("SFO_TEMPLATE_DIR", str(tmp_path / "templates"))
    at = upload_template(open_page(app, SETTINGS), "early_look", "early_look.html.j2",
                         TEMPLATE)
    assert not at.error
    assert "is now the Early look template" in at.success[0].value
    assert (tmp_path / "templates" / "early_look.html.j2").read_bytes() == TEMPLATE
    at.run()
    in_use = at.dataframe[0].value.set_index("Document")
    assert in_use.loc["Early look (web page)", "Template"] == "local"

