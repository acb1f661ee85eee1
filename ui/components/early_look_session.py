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

from collections.abc import Callable
from typing import Any

import streamlit as st

from sfo import config
from sfo.domain import access
from sfo.domain import early_look as el
from sfo.errors import ConflictError, SfoError
from sfo.services import early_look
from sfo.services.early_look import Opened
from ui.components import editing, session, wording

OPEN = "sfo_el_open"        # the Opened early look this session shows
FLASH = "sfo_el_flash"      # (where, error) of the last change that was not saved
SAVED = "sfo_el_saved"      # "Saved at HH:MM" after the last save
TOAST = "sfo_el_toast"      # a short message to pop up on the next run
NOTICE = "sfo_el_notice"    # someone else's newer version was loaded
HOLD = "sfo_el_hold"        # a conflict in this run: no more changes until the page is drawn
TOP = "top"                 # FLASH place: the top of the page

Change = Callable[[el.EarlyLookState], el.EarlyLookState]


# Times, dates and escaping, shared with the other pages.
clock, day, moment, md = wording.clock, wording.day, wording.moment, wording.md
_from_iso = wording.moment_from_iso


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
    return editing.widget_key("sfo_el_", found.id if found else None, name, *source)


controlled = editing.controlled


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
    editing.show_failure(found[1])


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
