"""The SFO review open in this session, and saving each change at once (keys ``sfo_rv_*``).

The same model as the early look (``ui/components/early_look_session.py``):
every change is a domain function applied to the state this page shows and
saved straight away with the lock version it was shown at
(:func:`sfo.services.reviews.save_draft`). If someone else saved in the
meantime the save is refused: their version is loaded, the page says who
changed what and when, and what this person wrote is shown back to them so
they can make the change again. Nothing of theirs is overwritten.

Widgets that save on change are *controlled* (:func:`controlled` sets their
value from the stored state before they are drawn, so a refused change
springs back); forms are keyed by what they edit (:func:`key`), so they are
drawn afresh when that changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from sfo import config
from sfo.domain import access
from sfo.domain import review as rv
from sfo.errors import ConflictError, SfoError
from sfo.services import reviews
from sfo.services.reviews import Opened
from ui.components import editing, session, wording

OPEN = "sfo_rv_open"        # the Opened review this session shows
FLASH = "sfo_rv_flash"      # (where, error, what the person wrote) of a change not saved
SAVED = "sfo_rv_saved"      # "Saved at HH:MM" after the last save
TOAST = "sfo_rv_toast"      # a short message to pop up on the next run
NOTICE = "sfo_rv_notice"    # someone else's newer version was loaded
HOLD = "sfo_rv_hold"        # a conflict in this run: no more changes until the page is drawn
TAB = "sfo_rv_tab"          # the section shown (the tabs' key)
FOCUS = "sfo_rv_focus"      # (section, where, message) the quality check sent the person to
TOP = "top"                 # FLASH place: the top of the page

Change = Callable[[rv.ReviewState], rv.ReviewState]

# The sections (tabs) of the page: short names for the tabs, full names as headings.
BACKGROUND, EPISODES, ANALYSIS = "Background", "Episodes", "Analysis"
FACTORS, JUDGEMENT, LEARNING = "Factors", "Judgement", "Learning"
ACTIONS, FAMILY, QUALITY, DOCUMENT = "Actions", "Family summary", "Quality check", "Document"
SECTIONS: dict[str, str] = {
    BACKGROUND: "Background and risk profile",
    EPISODES: "Key practice episodes",
    ANALYSIS: "Analysis of practice",
    FACTORS: "Working context and contributory factors",
    JUDGEMENT: "Overall judgement",
    LEARNING: "Learning",
    ACTIONS: "Action plan",
    FAMILY: "Summary for the family",
    QUALITY: "Quality check",
    DOCUMENT: "Document, finalising and versions",
}

# Times, dates and escaping, shared with the other pages.
clock, day, moment, md = wording.clock, wording.day, wording.moment, wording.md


def current() -> Opened | None:
    """The review this session shows (None before one is opened)."""
    found = st.session_state.get(OPEN)
    return found if isinstance(found, Opened) else None


def opened() -> Opened:
    """The review this session shows (the page opens one before drawing anything)."""
    found = current()
    if found is None:
        st.stop()
    assert found is not None
    return found


def editable() -> bool:
    """Whether the signed-in person may change the open review (a reviewer, a draft)."""
    found = current()
    return (found is not None and found.status == "draft"
            and access.can(session.user(), "review.edit"))


def restricted_allowed() -> bool:
    """Whether the signed-in person may see restricted entries (personal circumstances)."""
    return access.can_see_restricted(session.user())


def me() -> str:
    """How changes made in this session are signed."""
    return access.name_of(session.user())


def load(review_id: int) -> Opened:
    """Open a stored review (audited) and show it."""
    found = reviews.open_stored(review_id, actor=session.user())
    st.session_state[OPEN] = found
    return found


def forget() -> None:
    """Show no review (another case was chosen)."""
    for k in (OPEN, FLASH, SAVED, NOTICE, FOCUS):
        st.session_state.pop(k, None)


def catch_up() -> None:
    """Load a newer version someone else saved since this page last showed it."""
    found = current()
    if found is None:
        return
    latest = reviews.latest_version(found.id, actor=session.user())
    if latest.version != found.version:
        load(found.id)
        st.session_state[NOTICE] = (f"{latest.updated_by or 'Someone'} saved this review at "
                                    f"{moment(latest.updated_at)}. The page now shows their "
                                    "version.")


def key(name: str, *source: Any) -> str:
    """A widget key for the open review, new whenever ``source`` (what it shows) changes."""
    found = current()
    return editing.widget_key("sfo_rv_", found.id if found else None, name, *source)


controlled = editing.controlled


# -- saving ---------------------------------------------------------------------------------------

def apply(change: Change, *, where: str, note: str, mine: str = "", form: bool = False
          ) -> bool:
    """Apply a change to the shown state and save it at once; False (and why) if not saved.

    Meant for widget callbacks: the message is drawn by :func:`problem` at
    ``where`` on the run that follows. ``mine`` is what the person wrote, shown
    back to them if the change is not saved so nothing they typed is lost (a
    ``form`` keeps its own text when the change is refused; after a conflict
    it is drawn afresh, so the text is shown back then too).
    """
    found = current()
    if found is None or st.session_state.get(HOLD):
        # After a conflict, changes sent in the same click wait until the person has seen
        # the other person's version: nothing is applied on top of it unseen.
        return False
    st.session_state.pop(FLASH, None)
    try:
        new = change(found.state)
        saved = reviews.save_draft(found.id, new, expected_version=found.version,
                                   actor=session.user(), note=note)
    except ConflictError as exc:
        refused(exc, mine)
        return False
    except SfoError as exc:
        fail(where, exc, "" if form else mine)
        return False
    except Exception as exc:
        if config.setting("SFO_DEBUG") == "1":
            raise
        fail(where, exc, "" if form else mine)
        return False
    done(saved)
    return True


def done(saved: Opened, message: str = "") -> None:
    """Show a newly saved version, and say so."""
    st.session_state[OPEN] = saved
    st.session_state[SAVED] = f"Saved at {clock()}"
    st.session_state[TOAST] = message or f"Saved at {clock()}"
    st.session_state.pop(NOTICE, None)


_from_iso = wording.moment_from_iso


def refused(exc: ConflictError, mine: str = "") -> None:
    """Someone else saved first: load their version and keep their change to show."""
    found = current()
    st.session_state[HOLD] = True
    st.session_state[FLASH] = (TOP, ConflictError(exc.what, by=exc.by, at=_from_iso(exc.at),
                                                  changes=exc.changes), mine)
    st.session_state[TOAST] = f"Not saved: {exc.by} changed this review first."
    if found is not None:
        load(found.id)
    st.session_state.pop(NOTICE, None)


def fail(where: str, exc: BaseException, mine: str = "") -> None:
    """Keep an error from a callback to show at ``where``."""
    st.session_state[FLASH] = (where, exc, mine)


def problem(where: str) -> None:
    """Draw the message of a change made here that was not saved."""
    found = st.session_state.get(FLASH)
    if not found or found[0] != where:
        return
    exc, mine = found[1], found[2]
    editing.show_failure(exc)
    if mine.strip():
        st.markdown("What you wrote, not saved (copy it to use again):")
        st.code(mine, language=None, wrap_lines=True)


def status_line() -> None:
    """Pop up the result of the last change, and any newer version loaded or conflict."""
    st.session_state.pop(HOLD, None)
    toast = st.session_state.pop(TOAST, None)
    if toast:
        st.toast(toast)
    notice = st.session_state.get(NOTICE)
    if notice:
        st.info(notice)
    problem(TOP)


# -- the quality check's links ---------------------------------------------------------------

def go(section: str, where: str = "", message: str = "") -> None:
    """Open a section (a callback): the section then points at ``where`` with ``message``."""
    st.session_state[TAB] = section
    st.session_state[FOCUS] = (section, where, message)


def focus(section: str) -> tuple[str, str] | None:
    """(where, message) when the quality check sent the person to this section."""
    found = st.session_state.get(FOCUS)
    if found and found[0] == section:
        return found[1], found[2]
    return None


def pointer(section: str, where: str) -> None:
    """Say, at ``where``, which quality-check point the person followed here."""
    found = focus(section)
    if found and found[0] == where and found[1]:
        st.info(f"From the quality check: {found[1]}", icon=":material/arrow_forward:")
