"""Who is signed in, for how long, and signing in and out (session keys ``sfo_user*``).

A person is signed out after SFO_IDLE_MINUTES without any activity: each
run of the app (every click or change) counts as activity.
"""

from __future__ import annotations

import time

import streamlit as st

from sfo import config
from sfo.domain.access import Actor
from sfo.services import accounts

USER = "sfo_user"
LAST_SEEN = "sfo_user_last_seen"
NOTICE = "sfo_user_notice"


def idle_limit_seconds() -> float:
    """How long a session may be idle, from the SFO_IDLE_MINUTES setting."""
    value = config.setting("SFO_IDLE_MINUTES")
    return 60.0 * (int(value) if value.isdigit() and int(value) > 0 else 30)


def current_user() -> Actor | None:
    """The signed-in person, or None (signing out anyone idle for too long)."""
    user = st.session_state.get(USER)
    if user is None:
        return None
    now = time.time()
    last = st.session_state.get(LAST_SEEN, now)
    if now - last > idle_limit_seconds():
        minutes = round(idle_limit_seconds() / 60)
        sign_out(reason=f"signed out after {minutes} minutes without activity")
        st.session_state[NOTICE] = (f"You were signed out after {minutes} minutes without "
                                    "activity, to keep the records safe. Sign in again.")
        return None
    st.session_state[LAST_SEEN] = now
    return user if isinstance(user, Actor) else None


def sign_in(actor: Actor) -> None:
    """Start a signed-in session for someone whose sign-in the services accepted."""
    for key in [k for k in st.session_state if str(k).startswith("sfo_")]:
        del st.session_state[key]     # nothing from a previous person carries over
    st.session_state[USER] = actor
    st.session_state[LAST_SEEN] = time.time()


def sign_out(*, reason: str = "signed out") -> None:
    """End the session: recorded in the audit log, and everything the session held dropped."""
    user = st.session_state.get(USER)
    if isinstance(user, Actor):
        accounts.sign_out(user, reason=reason)
    for key in [k for k in st.session_state if str(k).startswith("sfo_")]:
        del st.session_state[key]


def user() -> Actor:
    """The signed-in person (pages run only when someone is signed in)."""
    found = st.session_state.get(USER)
    if not isinstance(found, Actor):
        st.stop()
    assert isinstance(found, Actor)
    return found


def me() -> str:
    """How the signed-in person is named in what they change, answer and log."""
    return user().name
