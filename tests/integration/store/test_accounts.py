"""Accounts on SQLite and PostgreSQL: hashes, sign-in, lock-out, roles, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from sfo.domain.access import Actor
from sfo.errors import InputError, PermissionDenied, SignInFailed
from sfo.services import accounts
from sfo.store import audit
from sfo.store.tables import User

PASSWORD = "correct horse battery staple"
ADMIN = Actor("boss", "The Admin", ("admin",))


def test_a_password_is_kept_only_as_an_argon2_hash(engine, db_url):
    accounts.create_user("jo", display_name="Jo", roles=["manager"], password=PASSWORD,
                         actor=ADMIN, url=db_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.select(User.__table__.c.password_hash)).scalar_one()
        versions = conn.execute(sa.text("SELECT data FROM casework_versions")).all()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert all("password_hash" not in str(v[0]) and PASSWORD not in str(v[0])
               for v in versions)


def test_the_right_password_signs_in_and_gives_the_accounts_roles_and_units(engine, db_url):
    accounts.create_user("jo", display_name="Jo Bloggs", roles=["manager", "hr"],
                         password=PASSWORD, actor=ADMIN, pdus=["Cardiff and Vale"], url=db_url)
    actor = accounts.authenticate("Jo", PASSWORD, url=db_url)
    assert actor == Actor("jo", "Jo Bloggs", ("hr", "manager"), ("Cardiff and Vale",))


def test_lock_out_after_the_set_number_of_wrong_passwords_then_unlock(engine, db_url,
                                                                       monkeypatch):
    monkeypatch.setenv("SFO_SIGNIN_ATTEMPTS", "3")
    user = accounts.create_user("jo", display_name="Jo", roles=["manager"], password=PASSWORD,
                                actor=ADMIN, url=db_url)
    for expected in ("2 more wrong passwords", "1 more wrong password", "now locked"):
        with pytest.raises(SignInFailed, match=expected):
            accounts.authenticate("jo", "wrong password here", url=db_url)
    with pytest.raises(SignInFailed, match="locked"):
        accounts.authenticate("jo", PASSWORD, url=db_url)
    current = next(u for u in accounts.list_users(actor=ADMIN, url=db_url) if u.id == user.id)
    assert current.locked_until is not None
    accounts.update_user("jo", actor=ADMIN, expected_version=current.version, unlock=True,
                         url=db_url)
    assert accounts.authenticate("jo", PASSWORD, url=db_url).username == "jo"
    with engine.connect() as conn:
        actions = [e.action for e in audit.all_entries(conn)]
    assert actions.count("sign-in-failed") == 4 and "sign-in" in actions


def test_a_lock_expires_after_the_lockout_time(engine, db_url, monkeypatch):
    monkeypatch.setenv("SFO_SIGNIN_ATTEMPTS", "1")
    accounts.create_user("jo", display_name="Jo", roles=["manager"], password=PASSWORD,
                         actor=ADMIN, url=db_url)
    with pytest.raises(SignInFailed, match="locked"):
        accounts.authenticate("jo", "wrong password here", url=db_url)
    with engine.begin() as conn:   # as if the lock-out time had passed
        conn.execute(User.__table__.update().values(
            locked_until=datetime.now(UTC) - timedelta(minutes=1)))
    assert accounts.authenticate("jo", PASSWORD, url=db_url).username == "jo"


def test_an_unknown_user_name_gets_the_same_message_as_a_wrong_password(engine, db_url):
    accounts.create_user("jo", display_name="Jo", roles=["manager"], password=PASSWORD,
                         actor=ADMIN, url=db_url)
    with pytest.raises(SignInFailed) as unknown:
        accounts.authenticate("nobody", PASSWORD, url=db_url)
    with pytest.raises(SignInFailed) as wrong:
        accounts.authenticate("jo", "wrong password here", url=db_url)
    assert str(unknown.value) == str(wrong.value).split(" 4 more")[0]


def test_a_switched_off_account_cannot_sign_in(engine, db_url):
    user = accounts.create_user("jo", display_name="Jo", roles=["manager"], password=PASSWORD,
                                actor=ADMIN, url=db_url)
    accounts.update_user("jo", actor=ADMIN, expected_version=user.version, active=False,
                         url=db_url)
    with pytest.raises(SignInFailed, match="switched off"):
        accounts.authenticate("jo", PASSWORD, url=db_url)


def test_only_an_administrator_manages_accounts_and_short_passwords_are_refused(engine,
                                                                                db_url):
    manager = Actor("m", "M", ("manager",))
    with pytest.raises(PermissionDenied, match="administrator"):
        accounts.create_user("x", display_name="X", roles=["hr"], password=PASSWORD,
                             actor=manager, url=db_url)
    with pytest.raises(InputError, match="at least 12 characters"):
        accounts.create_user("x", display_name="X", roles=["hr"], password="short",
                             actor=ADMIN, url=db_url)
    with pytest.raises(InputError, match="not a role"):
        accounts.create_user("x", display_name="X", roles=["boss"], password=PASSWORD,
                             actor=ADMIN, url=db_url)


def test_single_sign_on_finds_the_local_account_by_email(engine, db_url):
    accounts.create_user("jo@probation.example", display_name="Jo", roles=["reviewer"],
                         password=None, actor=ADMIN, url=db_url)
    assert accounts.actor_for_email("Jo@Probation.example", url=db_url).roles == ("reviewer",)
    with pytest.raises(SignInFailed, match="no account for that address"):
        accounts.actor_for_email("sam@probation.example", url=db_url)
    with pytest.raises(SignInFailed):   # no password: single sign-on only
        accounts.authenticate("jo@probation.example", "anything at all", url=db_url)


def test_demo_accounts_get_a_new_password_each_time(engine, db_url):
    first = {a.username: a.password for a in accounts.seed_demo_accounts(url=db_url)}
    second = {a.username: a.password for a in accounts.seed_demo_accounts(url=db_url)}
    assert set(first) == {"manager", "reviewer", "quality", "hr", "admin"}
    assert all(first[u] != second[u] for u in first)
    assert accounts.authenticate("quality", second["quality"], url=db_url).roles == ("quality",)
    with pytest.raises(SignInFailed):
        accounts.authenticate("quality", first["quality"], url=db_url)


def test_an_administrator_cannot_lock_themselves_out(engine, db_url):
    me = accounts.create_user("boss", display_name="The Admin", roles=["admin"],
                              password=PASSWORD, actor="setup", url=db_url)
    with pytest.raises(InputError, match="own account"):
        accounts.update_user("boss", actor=ADMIN, expected_version=me.version, active=False,
                             url=db_url)
    with pytest.raises(InputError, match="own administrator role"):
        accounts.update_user("boss", actor=ADMIN, expected_version=me.version,
                             roles=["manager"], url=db_url)
    other = Actor("other", "Other Admin", ("admin",))
    changed = accounts.update_user("boss", actor=other, expected_version=me.version,
                                   roles=["admin", "manager"], url=db_url)
    assert changed.roles == ("admin", "manager")
