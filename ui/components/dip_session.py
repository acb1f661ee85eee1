"""The dip sample open in this session, and saving each step at once (keys ``sfo_dip_*``).

Every step calls a service of :mod:`sfo.services.dip_store` with the version
of the plan (or draw) this page shows. If someone else saved in the meantime
the change is refused: their version is loaded and the page shows what they
changed (``feedback.show``), so nothing of theirs is overwritten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from dipsample.frame import Frame
from sfo import config
from sfo.errors import ConflictError, SfoError
from sfo.services import dip_store
from sfo.services.dip_store import DrawView, PlanView
from ui.components import editing, session, wording

PLAN_ID = "sfo_dip_plan_id"   # the dip sample chosen
OPEN = "sfo_dip_open"         # its PlanView as last loaded
DRAW = "sfo_dip_draw"         # its current DrawView as last loaded
FLASH = "sfo_dip_flash"       # (where, error) of the last step that was not saved
TOAST = "sfo_dip_toast"       # a short message for the next run
NOTICE = "sfo_dip_notice"     # someone else's newer version was loaded
FRAME = "sfo_dip_frame"       # (plan id, fingerprint, Frame): the frame rebuilt once
TOP = "top"

# Times, dates and typed text are shown as on the early look.
clock, moment, md = wording.clock, wording.moment, wording.md


def choose(plan_id: int | None) -> None:
    """Show this dip sample (None: none), forgetting what the page held for another."""
    if st.session_state.get(PLAN_ID) != plan_id:
        for k in (OPEN, DRAW, FLASH, NOTICE):
            st.session_state.pop(k, None)
    st.session_state[PLAN_ID] = plan_id


def chosen() -> int | None:
    """The id of the dip sample this session shows."""
    found = st.session_state.get(PLAN_ID)
    return int(found) if found is not None else None


def plan() -> PlanView | None:
    """The open plan, loaded (and the opening audited) the first time it is shown."""
    plan_id = chosen()
    if plan_id is None:
        return None
    found = st.session_state.get(OPEN)
    if not isinstance(found, PlanView) or found.id != plan_id:
        found = dip_store.open_plan(plan_id, actor=session.user())
        st.session_state[OPEN] = found
    return found


def draw() -> DrawView | None:
    """The plan's current draw, made again from its frame and checked (None before a draw)."""
    found_plan = plan()
    if found_plan is None or found_plan.current_draw is None:
        st.session_state.pop(DRAW, None)
        return None
    found = st.session_state.get(DRAW)
    if not isinstance(found, DrawView) or found.id != found_plan.current_draw:
        found = dip_store.open_draw(found_plan.current_draw, actor=session.user())
        st.session_state[DRAW] = found
    return found


def frame(found: PlanView) -> Frame:
    """The plan's frame, rebuilt from the store once per session."""
    kept = st.session_state.get(FRAME)
    fingerprint = found.content["frame"]["fingerprint"] if found.has_frame else ""
    if kept is None or kept[0] != found.id or kept[1] != fingerprint:
        kept = (found.id, fingerprint, dip_store.frame_of(found))
        st.session_state[FRAME] = kept
    return kept[2]


def catch_up() -> None:
    """Load what someone else saved since this page last showed the dip sample."""
    found = st.session_state.get(OPEN)
    if not isinstance(found, PlanView):
        return
    now = dip_store.versions(found.id, actor=session.user())
    held = st.session_state.get(DRAW)
    draw_changed = now.draw_id is not None and (
        not isinstance(held, DrawView) or held.id != now.draw_id or held.version != now.draw)
    if now.plan != found.version or draw_changed:
        st.session_state.pop(OPEN, None)
        st.session_state.pop(DRAW, None)
        if now.updated_by and now.updated_by != session.user().name:
            st.session_state[NOTICE] = (f"{now.updated_by} saved this dip sample at "
                                        f"{moment(now.updated_at)}. The page now shows their "
                                        "version.")


me = session.me


def key(name: str, *source: Any) -> str:
    """A widget key for the open dip sample, new whenever ``source`` (what it shows) changes."""
    return editing.widget_key("sfo_dip_", chosen(), name, *source)


def remembered(widget_key: str, default: Any) -> str:
    """A widget key whose value outlives the widget (a step's widgets are drawn only while
    its tab is open, and Streamlit forgets a widget's value when it is not drawn)."""
    kept = widget_key + "_kept"
    if kept not in st.session_state or (not st.session_state[kept] and default):
        st.session_state[kept] = default
    st.session_state[widget_key] = st.session_state[kept]
    return widget_key


def remember(widget_key: str) -> None:
    """Keep what a remembered widget now holds (its on_change)."""
    st.session_state[widget_key + "_kept"] = st.session_state.get(widget_key)


# -- saving ---------------------------------------------------------------------------------------

def saved(result: Any, message: str) -> None:
    """Show what a step saved, and say so."""
    if isinstance(result, PlanView):
        st.session_state[OPEN] = result
        if result.current_draw is None or (
                isinstance(st.session_state.get(DRAW), DrawView)
                and st.session_state[DRAW].id != result.current_draw):
            st.session_state.pop(DRAW, None)
    elif isinstance(result, DrawView):
        st.session_state[DRAW] = result
        shown = st.session_state.get(OPEN)
        if not isinstance(shown, PlanView) or result.id not in shown.draw_ids:
            st.session_state.pop(OPEN, None)   # a new draw: the plan's list of draws changed
    st.session_state[TOAST] = f"{message} Saved at {clock()}."
    st.session_state.pop(NOTICE, None)


def step(where: str, work: Callable[[], Any], message: str) -> Any:
    """Run one step (a service call) and keep its result; an error is kept to show at ``where``."""
    st.session_state.pop(FLASH, None)
    try:
        result = work()
    except ConflictError as exc:
        st.session_state.pop(OPEN, None)
        st.session_state.pop(DRAW, None)
        st.session_state[FLASH] = (TOP, ConflictError(exc.what, by=exc.by, at=_when(exc.at),
                                                      changes=exc.changes))
        st.session_state[TOAST] = f"Not saved: {exc.by} changed this dip sample first."
        return None
    except SfoError as exc:
        st.session_state[FLASH] = (where, exc)
        return None
    except Exception as exc:
        if config.setting("SFO_DEBUG") == "1":
            raise
        st.session_state[FLASH] = (where, exc)
        return None
    saved(result, message)
    return result


_when = wording.moment_from_iso


def fail(where: str, exc: BaseException) -> None:
    """Keep an error found before a step could run, to show at ``where``."""
    st.session_state[FLASH] = (where, exc)


def problem(where: str) -> None:
    """Draw the message of a step taken here that was not saved."""
    found = st.session_state.get(FLASH)
    if not found or found[0] != where:
        return
    editing.show_failure(found[1])


def status_line() -> None:
    """Pop up the result of the last step; say if someone else's version was loaded."""
    toast = st.session_state.pop(TOAST, None)
    if toast:
        st.toast(toast)
    notice = st.session_state.get(NOTICE)
    if notice:
        st.info(notice)
    problem(TOP)


def pct(share: float | None, digits: int = 1) -> str:
    """A share as a percentage people read: 12.5%."""
    if share is None:
        return ""
    text = f"{100 * share:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"
