"""The SFO review open in this session, and saving each change at once (keys ``sfo_rv_*``).

The model is :mod:`ui.components.open_record`'s, shared with the early look:
each change is saved straight away with the lock version it was shown at
(:func:`sfo.services.reviews.save_draft`); if someone else saved in the
meantime their version is loaded, the page says who changed what and when,
and what this person wrote is shown back to them. Also here: the page's
sections and the quality check's links to them.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from sfo.domain import access
from sfo.domain import review as rv
from sfo.services import reviews
from sfo.services.reviews import Opened
from ui.components import editing, session, wording
from ui.components.open_record import TOP, OpenRecord

TAB = "sfo_rv_tab"          # the section shown (the tabs' key)
FOCUS = "sfo_rv_focus"      # (section, where, message) the quality check sent the person to
RECORD: OpenRecord[Opened] = OpenRecord("sfo_rv_", "review", "review.edit", reviews, Opened,
                                        forgotten=(FOCUS,))
OPEN, FLASH, SAVED = RECORD.open_key, RECORD.flash_key, RECORD.saved_key
TOAST, NOTICE, HOLD = RECORD.toast_key, RECORD.notice_key, RECORD.hold_key

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

current, opened, editable, load = RECORD.current, RECORD.opened, RECORD.editable, RECORD.load
forget, catch_up, key = RECORD.forget, RECORD.catch_up, RECORD.key
apply, done, refused, fail = RECORD.apply, RECORD.done, RECORD.refused, RECORD.fail
problem, status_line = RECORD.problem, RECORD.status_line
controlled, me = editing.controlled, session.me
__all__ = ["ACTIONS", "ANALYSIS", "BACKGROUND", "DOCUMENT", "EPISODES", "FACTORS", "FAMILY",
           "FLASH", "FOCUS", "HOLD", "JUDGEMENT", "LEARNING", "NOTICE", "OPEN", "QUALITY",
           "SAVED", "SECTIONS", "TAB", "TOAST", "TOP", "Change", "Opened", "apply",
           "catch_up", "clock", "controlled", "current", "day", "done", "editable", "fail",
           "focus", "forget", "go", "key", "load", "md", "me", "moment", "opened", "pointer",
           "problem", "refused", "restricted_allowed", "status_line"]


def restricted_allowed() -> bool:
    """Whether the signed-in person may see restricted entries (personal circumstances)."""
    return access.can_see_restricted(session.user())


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
