"""Accounts: local users with slow password hashes, sign-in with lock-out, and roles.

Passwords are kept only as Argon2id hashes (argon2-cffi's defaults). A sign-in
that fails SFO_SIGNIN_ATTEMPTS times in a row locks the account for
SFO_LOCKOUT_MINUTES; a wrong user name and a wrong password get the same
message and take the same time, so neither says which user names exist. Every
sign-in, failure, lock and account change is written to the audit log.

Single sign-on (SFO_OIDC=1, Streamlit's ``st.login``) signs people in by
their organisation's account; :func:`actor_for_email` then finds the local
account whose user name is that email, which holds their roles.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sfo import bootstrap, config
from sfo.domain import access
from sfo.domain.access import Actor
from sfo.domain.casework import User
from sfo.errors import InputError, NotFound, SignInFailed

MIN_PASSWORD = 12
_PLAIN = "abcdefghjkmnpqrstuvwxyz23456789"   # no 0/o, 1/l/i: easy to read off a terminal
_WRONG = "The user name or password is not right. Check them and try again."
_engine = bootstrap.engine_for


def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()


# A hash of nothing in particular: checked against when the user name is unknown, so a
# wrong user name takes as long as a wrong password.
_DUMMY: list[str] = []


def hash_password(password: str) -> str:
    """The Argon2id hash of a password (refused if it is too short)."""
    check_password(password)
    return str(_hasher().hash(password))


def check_password(password: str) -> None:
    """Refuse a password that is too weak, saying how to make a good one."""
    if len(password) < MIN_PASSWORD:
        raise InputError(f"A password needs at least {MIN_PASSWORD} characters. Three or four "
                         "unrelated words make a strong one that is easy to remember.")
    if len(set(password)) < 5:
        raise InputError("That password repeats too few characters to be safe; choose "
                         "another.")


def _verify(password_hash: str | None, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _hasher()
    if not password_hash:
        if not _DUMMY:
            _DUMMY.append(hasher.hash(secrets.token_hex(8)))
        password_hash = _DUMMY[0]
        with contextlib.suppress(VerificationError, InvalidHashError):
            hasher.verify(password_hash, password)
        return False
    try:
        return bool(hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def actor_of(user: User) -> Actor:
    """The signed-in person a stored user account stands for."""
    pdus = tuple(p.strip() for p in (user.region or "").split(",") if p.strip())
    return Actor(user.username, user.display_name, user.roles, pdus)


def _int_setting(name: str) -> int:
    value = config.setting(name)
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"{name} is '{value}'; expected a whole number above 0.")
    return int(value)


def authenticate(username: str, password: str, *, url: str | None = None) -> Actor:
    """Sign someone in; SignInFailed (with a message fit to show) when refused."""
    from sfo.services import audit

    name = username.strip().lower()
    if not name or not password:
        raise SignInFailed("Enter your user name and your password.")
    attempts = _int_setting("SFO_SIGNIN_ATTEMPTS")
    minutes = _int_setting("SFO_LOCKOUT_MINUTES")
    now = bootstrap.now()
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        try:
            user = uow.users.by_username(name)
        except NotFound:
            _verify(None, password)
            audit.record(uow, actor=name, action="sign-in-failed", object_type="user",
                         object_id=name, crn=None, summary="unknown user name")
            uow.commit()
            raise SignInFailed(_WRONG) from None
        if user.locked_until is not None and _aware(user.locked_until) > now:
            until = _aware(user.locked_until).astimezone()
            audit.record(uow, actor=name, action="sign-in-failed", object_type="user",
                         object_id=str(user.id), crn=None, summary="account locked")
            uow.commit()
            raise SignInFailed(f"This account is locked after too many wrong passwords. Try "
                               f"again after {until:%H:%M}, or ask an administrator to "
                               "unlock it.")
        if not user.active:
            raise SignInFailed("This account has been switched off. Ask an administrator.")
        if not _verify(user.password_hash, password):
            failed = user.failed_logins + 1
            locked = now + timedelta(minutes=minutes) if failed >= attempts else None
            uow.users.save(replace(user, failed_logins=0 if locked else failed,
                                   locked_until=locked),
                           expected_version=user.version, actor="sign-in")
            audit.record(uow, actor=name, action="sign-in-failed", object_type="user",
                         object_id=str(user.id), crn=None,
                         summary=f"wrong password ({failed} in a row)"
                                 + (f"; locked for {minutes} minutes" if locked else ""))
            uow.commit()
            if locked:
                raise SignInFailed(f"That password is not right either. The account is now "
                                   f"locked for {minutes} minutes, to protect it.")
            left = attempts - failed
            raise SignInFailed(_WRONG + (f" {left} more wrong password{'s' if left != 1 else ''}"
                                         " will lock the account." if left <= 2 else ""))
        if user.failed_logins or user.locked_until is not None:
            user = uow.users.save(replace(user, failed_logins=0, locked_until=None),
                                  expected_version=user.version, actor="sign-in")
        audit.record(uow, actor=name, action="sign-in", object_type="user",
                     object_id=str(user.id), crn=None, summary="signed in")
        uow.commit()
    return actor_of(user)


def actor_for_email(email: str, *, url: str | None = None) -> Actor:
    """The local account for someone signed in by single sign-on (SignInFailed if none)."""
    from sfo.services import audit

    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        try:
            user = uow.users.by_username(email.strip().lower())
        except NotFound:
            raise SignInFailed(f"You signed in as {email}, but there is no account for that "
                               "address here. Ask an administrator to add one with your "
                               "roles.") from None
        if not user.active:
            raise SignInFailed("This account has been switched off. Ask an administrator.")
        audit.record(uow, actor=user.username, action="sign-in", object_type="user",
                     object_id=str(user.id), crn=None, summary="signed in by single sign-on")
        uow.commit()
    return actor_of(user)


def sign_out(actor: Actor, *, reason: str = "signed out", url: str | None = None) -> None:
    """Record that someone signed out (or was signed out after being idle)."""
    from sfo.services import audit

    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        audit.record(uow, actor=actor.name, action="sign-out", object_type="user",
                     object_id=actor.username, crn=None, summary=reason)
        uow.commit()


def create_user(username: str, *, display_name: str, roles: Sequence[str],
                password: str | None, actor: Actor | str, pdus: Sequence[str] = (),
                url: str | None = None) -> User:
    """Add an account (admin only); a password of None means single sign-on only."""
    from sfo.services import audit

    access.require(actor, "users.manage")
    name = username.strip().lower()
    if not name or any(c.isspace() for c in name):
        raise InputError("A user name cannot be empty or contain spaces.")
    if not roles:
        raise InputError("Give the account at least one role.")
    unknown = sorted(set(roles) - set(access.ROLES))
    if unknown:
        raise InputError(f"{', '.join(unknown)} is not a role; roles are "
                         f"{', '.join(access.ROLES)}.")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        try:
            uow.users.by_username(name)
        except NotFound:
            pass
        else:
            raise InputError(f"There is already an account called {name}.")
        now = bootstrap.now()
        user = uow.users.add(User(
            username=name, display_name=display_name.strip() or name,
            password_hash=hash_password(password) if password else None,
            region=",".join(p.strip() for p in pdus if p.strip()) or None,
            roles=tuple(roles), created_at=now, updated_by=access.name_of(actor),
            updated_at=now), actor=access.name_of(actor))
        audit.record(uow, actor=access.name_of(actor), action="create", object_type="user",
                     object_id=str(user.id), crn=None,
                     summary=f"added {name} with roles {', '.join(user.roles)}")
        uow.commit()
    return user


def list_users(*, actor: Actor | str, url: str | None = None) -> list[User]:
    """Every account (admin only)."""
    access.require(actor, "users.manage")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        return uow.users.list_all()


def update_user(username: str, *, actor: Actor | str, expected_version: int,
                roles: Sequence[str] | None = None, active: bool | None = None,
                display_name: str | None = None, pdus: Sequence[str] | None = None,
                password: str | None = None, unlock: bool = False,
                url: str | None = None) -> User:
    """Change an account (admin only): roles, on or off, units, a new password, unlock."""
    from sfo.services import audit

    access.require(actor, "users.manage")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        user = uow.users.by_username(username)
        if isinstance(actor, Actor) and actor.username == user.username:
            if active is False:
                raise InputError("You cannot switch off your own account: ask another "
                                 "administrator.")
            if roles is not None and "admin" in user.roles and "admin" not in roles:
                raise InputError("You cannot remove your own administrator role: ask another "
                                 "administrator, so that someone can always manage accounts.")
        changes: dict[str, object] = {}
        if roles is not None:
            if not roles:
                raise InputError("Give the account at least one role.")
            changes["roles"] = tuple(roles)
        if active is not None:
            changes["active"] = active
        if display_name is not None:
            changes["display_name"] = display_name.strip()
        if pdus is not None:
            changes["region"] = ",".join(p.strip() for p in pdus if p.strip()) or None
        if password is not None:
            changes["password_hash"] = hash_password(password)
        if unlock:
            changes.update(failed_logins=0, locked_until=None)
        user = replace(user, **changes)  # type: ignore[arg-type]
        said = [("password" if k == "password_hash" else "units" if k == "region" else
                 "unlocked" if k == "locked_until" else k.replace("_", " "))
                for k in changes if k != "failed_logins"]
        saved = uow.users.save(user, expected_version=expected_version,
                               actor=access.name_of(actor))
        audit.record(uow, actor=access.name_of(actor), action="update", object_type="user",
                     object_id=str(saved.id), crn=None,
                     summary=f"changed {username}: {', '.join(said) or 'nothing'}")
        uow.commit()
    return saved


@dataclass(frozen=True)
class DemoAccount:
    """A demonstration account made for the demo database, with its password to print."""

    username: str
    password: str
    roles: tuple[str, ...]


DEMO_ACCOUNTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("manager", "Morgan Manager (demo)", ("manager",)),
    ("reviewer", "Riley Reviewer (demo)", ("reviewer",)),
    ("quality", "Quinn Quality (demo)", ("quality",)),
    ("hr", "Harper HR (demo)", ("hr",)),
    ("admin", "Alex Admin (demo)", ("admin",)),
)


def seed_demo_accounts(*, url: str | None = None) -> list[DemoAccount]:
    """One account per role with a fresh random password each (for the demo database only)."""
    made = []
    for username, display, roles in DEMO_ACCOUNTS:
        password = "-".join("".join(secrets.choice(_PLAIN) for _ in range(5)) for _ in range(3))
        try:
            create_user(username, display_name=display, roles=roles, password=password,
                        actor="demo setup", url=url)
        except InputError:  # already there: give it a new password to print
            with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
                version = uow.users.by_username(username).version
            update_user(username, actor="demo setup", expected_version=version,
                        password=password, unlock=True, active=True, url=url)
        made.append(DemoAccount(username, password, roles))
    return made


def _aware(when: datetime) -> datetime:
    """A stored time with its zone (SQLite gives times back without one; they are UTC)."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
