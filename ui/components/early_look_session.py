"""The early look open in this session, and saving each change at once (keys ``sfo_el_*``).

Every change is a domain function applied to the state this page shows, saved
straight away with the version it was shown at
(:func:`sfo.services.early_look.save_draft`). If someone else saved in the
meantime the save is refused: their version is loaded and the page shows what
they changed (``feedback.show``), so nothing of theirs is overwritten.

Widgets are kept in step with what is stored in two ways: a widget that
saves on change is *controlled* (its session value is set from the stored
state before it is drawn, so a refused change springs back), and a form is
keyed by what it edits (:func:`key`), so it is drawn afresh when that changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from sfo import config
from sfo.domain import access
from sfo.domain import early_look as el
from sfo.errors import ConflictError, SfoError
from sfo.services import early_look
from sfo.services.early_look import Opened
from ui.components import feedback, session

OPEN = "sfo_el_open"        # the Opened early look this session shows
FLASH = "sfo_el_flash"      # (where, error) of the last change that was not saved
SAVED = "sfo_el_saved"      # "Saved at HH:MM" after the last save
TOAST = "sfo_el_toast"      # a short message to pop up on the next run
NOTICE = "sfo_el_notice"    # someone else's newer version was loaded
HOLD = "sfo_el_hold"        # a conflict in this run: no more changes until the page is drawn
TOP = "top"                 # FLASH place: the top of the page

try:
    LOCAL = ZoneInfo("Europe/London")   # the toolkit is for England and Wales
except ZoneInfoNotFoundError:  # pragma: no cover - a system without time zone data
    LOCAL = ZoneInfo("UTC")

Change = Callable[[el.EarlyLookState], el.EarlyLookState]


# -- time in words -------------------------------------------------------------------------------

def clock(when: datetime | None = None) -> str:
    """A time as people in England and Wales read it: 14:05."""
    moment = when or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)   # the store keeps UTC
    return f"{moment.astimezone(LOCAL):%H:%M}"


def day(d: date | datetime) -> str:
    """A date in words: 5 April 2024 (a time in UTC is shown on its day in England)."""
    if isinstance(d, datetime):
        d = (d if d.tzinfo else d.replace(tzinfo=UTC)).astimezone(LOCAL)
    return f"{d.day} {d:%B %Y}"


def moment(when: datetime | None) -> str:
    """A time and date: 14:05 on 5 April 2024."""
    return "an unknown time" if when is None else f"{clock(when)} on {day(when)}"


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-!|$~<>:"})


def md(text: object) -> str:
    """Typed or recorded text made safe to put in markdown: shown as written, never as markup."""
    return str(text).translate(_MARKDOWN).replace("\n", "  \n")


def _from_iso(text: str) -> str:
    try:
        return moment(datetime.fromisoformat(text))
    except ValueError:
        return text


# -- the early look held by the session ------------------------------------------------------------

def current() -> Opened | None:
    """The early look this session shows (None before one is opened)."""
    found = st.session_state.get(OPEN)
    return found if isinstance(found, Opened) else None


def opened() -> Opened:
    """The early look this session shows (the page opens one before drawing anything)."""
    found = current()
    if found is None:
        st.stop()
    assert found is not None
    return found


def editable() -> bool:
    """Whether the signed-in person may change the open early look (a manager, a draft)."""
    found = current()
    return (found is not None and found.status == "draft"
            and access.can(session.user(), "early_look.edit"))


def me() -> str:
    """How changes made in this session are signed."""
    return access.name_of(session.user())


def load(early_look_id: int) -> Opened:
    """Open a stored early look (audited) and show it."""
    found = early_look.open_stored(early_look_id, actor=session.user())
    st.session_state[OPEN] = found
    return found


def forget() -> None:
    """Show no early look (another case was chosen)."""
    for k in (OPEN, FLASH, SAVED, NOTICE):
        st.session_state.pop(k, None)


def catch_up() -> None:
    """Load a newer version someone else saved since this page last showed it."""
    found = current()
    if found is None:
        return
    latest = early_look.latest_version(found.id, actor=session.user())
    if latest.version != found.version:
        load(found.id)
        st.session_state[NOTICE] = (f"{latest.updated_by or 'Someone'} saved this early look at "
                                    f"{moment(latest.updated_at)}. The page now shows their "
                                    "version.")


def key(name: str, *source: Any) -> str:
    """A widget key for the open early look, new whenever ``source`` (what it shows) changes."""
    found = current()
    digest = hashlib.sha1(repr(source).encode("utf-8")).hexdigest()[:10] if source else ""
    return f"sfo_el_{found.id if found else 0}_{name}" + (f"_{digest}" if digest else "")


def controlled(widget_key: str, value: Any) -> str:
    """Make a saved-on-change widget show the stored value (call before drawing it)."""
    if widget_key not in st.session_state or st.session_state[widget_key] != value:
        st.session_state[widget_key] = value
    return widget_key


# -- saving ---------------------------------------------------------------------------------------

def apply(change: Change, *, where: str, note: str) -> bool:
    """Apply a change to the shown state and save it at once; False (and why) if it is not saved.

    Meant for widget callbacks: the message is kept and drawn by :func:`problem`
    at ``where`` on the run that follows.
    """
    found = current()
    if found is None or st.session_state.get(HOLD):
        # After a conflict, changes sent in the same click wait until the person has seen
        # the other person's version: nothing is applied on top of it unseen.
        return False
    st.session_state.pop(FLASH, None)
    try:
        new = change(found.state)
        saved = early_look.save_draft(found.id, new, expected_version=found.version,
                                      actor=session.user(), note=note)
    except ConflictError as exc:
        refused(exc)
        return False
    except SfoError as exc:
        st.session_state[FLASH] = (where, exc)
        return False
    except Exception as exc:
        if config.setting("SFO_DEBUG") == "1":
            raise
        st.session_state[FLASH] = (where, exc)
        return False
    done(saved)
    return True


def done(saved: Opened, message: str = "") -> None:
    """Show a newly saved version, and say so."""
    st.session_state[OPEN] = saved
    st.session_state[SAVED] = f"Saved at {clock()}"
    st.session_state[TOAST] = message or f"Saved at {clock()}"
    st.session_state.pop(NOTICE, None)


def refused(exc: ConflictError) -> None:
    """Someone else saved first: load their version and keep their change to show."""
    found = current()
    st.session_state[HOLD] = True
    st.session_state[FLASH] = (TOP, ConflictError(exc.what, by=exc.by, at=_from_iso(exc.at),
                                                  changes=exc.changes))
    st.session_state[TOAST] = f"Not saved: {exc.by} changed this early look first."
    if found is not None:
        load(found.id)
    st.session_state.pop(NOTICE, None)


def fail(where: str, exc: BaseException) -> None:
    """Keep an error from a callback to show at ``where``."""
    st.session_state[FLASH] = (where, exc)


def problem(where: str) -> None:
    """Draw the message of a change made here that was not saved."""
    found = st.session_state.get(FLASH)
    if not found or found[0] != where:
        return
    exc = found[1]
    if isinstance(exc, SfoError):
        feedback.show(exc)
    else:
        st.error(f"Something went wrong that should not have ({type(exc).__name__}). Nothing "
                 "was saved. Please report it with what you were doing.")


def status_line() -> None:
    """Pop up the result of the last change, and say when the open version was saved."""
    st.session_state.pop(HOLD, None)
    toast = st.session_state.pop(TOAST, None)
    if toast:
        st.toast(toast)
    notice = st.session_state.get(NOTICE)
    if notice:
        st.info(notice)
    problem(TOP)
