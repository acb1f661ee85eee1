"""Signing in and out, lock-out, idle time-out, and the pages each role is shown."""

from __future__ import annotations

import time

import pytest

from sfo.store import audit
from sfo.store import engine as store_engine
from tests.ui.conftest import PASSWORD


def _sign_in(at, username: str, password: str):
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    return at.run()


def test_nobody_signed_in_sees_only_the_sign_in_form(app):
    at = app(None)
    assert not at.exception
    assert at.title[0].value == "Sign in"
    assert [t.label for t in at.text_input] == ["User name", "Password"]


def test_a_manager_signs_in_with_their_password_and_the_sign_in_is_audited(app, ui_env):
    at = _sign_in(app(None), "manager", PASSWORD)
    assert not at.exception and not at.error
    assert at.session_state["sfo_user"].username == "manager"
    assert at.title[0].value == "Cases"
    engine = store_engine.make_engine(ui_env)
    try:
        with engine.connect() as conn:
            last = [e for e in audit.all_entries(conn) if e.actor == "manager"][-1]
    finally:
        engine.dispose()
    assert last.action == "sign-in"


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(app):
    at = _sign_in(app(None), "hr", "not the password at all")
    assert "sfo_user" not in at.session_state
    assert "user name or password is not right" in at.error[0].value
    at = _sign_in(app(None), "nobody-here", "not the password at all")
    assert "user name or password is not right" in at.error[0].value


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(app, monkeypatch):
    from sfo.services import accounts

    accounts.create_user("locky", display_name="Locky", roles=["quality"], password=PASSWORD,
                         actor="test")
    at = app(None)
    for _ in range(5):
        at = _sign_in(at, "locky", "wrong wrong wrong")
    assert "locked for 15 minutes" in at.error[0].value
    at = _sign_in(app(None), "locky", PASSWORD)
    assert "sfo_user" not in at.session_state
    assert "locked" in at.error[0].value


def test_an_idle_session_is_signed_out_with_a_message(app):
    at = app("manager")
    assert at.title[0].value == "Cases"
    at.session_state["sfo_user_last_seen"] = time.time() - 31 * 60
    at.run()
    assert "sfo_user" not in at.session_state
    assert at.title[0].value == "Sign in"
    assert "signed out after 30 minutes" in at.info[0].value


@pytest.mark.parametrize(("role", "expected"), [
    ("manager", {"Cases", "Timeline", "Early look", "SFO review", "Dip samples", "Themes",
                 "Your account"}),
    ("reviewer", {"Cases", "Timeline", "Early look", "SFO review", "Themes", "Your account"}),
    ("hr", {"Cases", "Timeline", "Early look", "SFO review", "Your account"}),
    ("quality", {"Cases", "Timeline", "SFO review", "Dip samples", "Themes", "Your account"}),
    ("admin", {"Cases", "Themes", "Users", "Audit log", "Rules and settings",
               "Your account"}),
])
def test_each_role_is_shown_only_the_pages_it_may_use(role, expected):
    from tests.ui.conftest import actor
    from ui import navigation

    menu = navigation.menu_for(actor(role))
    assert {p.title for section in menu.values() for p in section} == expected


@pytest.mark.parametrize("role", ["manager", "quality", "admin"])
def test_every_page_in_a_roles_menu_opens_without_an_error(app, role):
    from tests.ui.conftest import DA_CRN, actor
    from ui import navigation

    at = app(role, crn=DA_CRN)
    for section in navigation.menu_for(actor(role)).values():
        for page in section:
            at.switch_page(f"app_pages/{page.file}").run()
            assert not at.exception, (page.file, at.exception)
            assert at.title[0].value == page.title


def test_signing_out_forgets_the_session(app):
    at = app("manager")
    at.switch_page("app_pages/account.py").run()
    assert at.title[0].value == "Your account"
    next(b for b in at.button if b.label == "Sign out").click()
    at.run()
    assert "sfo_user" not in at.session_state
    assert at.title[0].value == "Sign in"
