"""A stored record open in this session, each change saved at once: what the early look and
the SFO review pages share.

Every change is a domain function applied to the state the page shows, saved
straight away with the lock version it was shown at (the service's
``save_draft``). If someone else saved in the meantime the save is refused:
their version is loaded, the page says who changed what and when, and what
this person wrote is shown back to them so they can make the change again.
Nothing of theirs is overwritten.

Widgets that save on change are *controlled* (``editing.controlled`` sets
their value from the stored state before they are drawn, so a refused change
springs back); forms are keyed by what they edit (:meth:`OpenRecord.key`), so
they are drawn afresh when that changes.

The session keys are the prefix and ``open``, ``flash``, ``saved``,
``toast``, ``notice`` and ``hold``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Generic, TypeVar

import streamlit as st

from sfo import config
from sfo.domain import access
from sfo.errors import ConflictError, SfoError
from ui.components import editing, session, wording

TOP = "top"   # the place of a message shown at the top of the page

OpenedT = TypeVar("OpenedT")   # the service's Opened: id, version, status and state


@dataclass(frozen=True)
class OpenRecord(Generic[OpenedT]):
    """One kind of record open in the session (an early look, a review)."""

    prefix: str                  # session keys start with it: "sfo_el_"
    noun: str                    # as a person reads it: "early look"
    permission: str              # needed to change it: "early_look.edit"
    service: ModuleType          # open_stored, latest_version and save_draft, looked up per call
    kind: type[OpenedT]                # the service's Opened
    forgotten: tuple[str, ...] = ()   # more session keys cleared with the record

    # -- the session keys ---------------------------------------------------------------------
    @property
    def open_key(self) -> str:
        """The Opened record this session shows."""
        return self.prefix + "open"

    @property
    def flash_key(self) -> str:
        """(where, error, what the person wrote) of the last change that was not saved."""
        return self.prefix + "flash"

    @property
    def saved_key(self) -> str:
        """'Saved at HH:MM' after the last save."""
        return self.prefix + "saved"

    @property
    def toast_key(self) -> str:
        """A short message to pop up on the next run."""
        return self.prefix + "toast"

    @property
    def notice_key(self) -> str:
        """Someone else's newer version was loaded."""
        return self.prefix + "notice"

    @property
    def hold_key(self) -> str:
        """A conflict in this run: no more changes until the page is drawn."""
        return self.prefix + "hold"

    # -- the record held by the session -------------------------------------------------------
    def current(self) -> OpenedT | None:
        """The record this session shows (None before one is opened)."""
        found = st.session_state.get(self.open_key)
        return found if isinstance(found, self.kind) else None

    def opened(self) -> OpenedT:
        """The record this session shows (the page opens one before drawing anything)."""
        found = self.current()
        if found is None:
            st.stop()
        assert found is not None
        return found

    def editable(self) -> bool:
        """Whether the signed-in person may change the open record (a draft, with the right)."""
        found: Any = self.current()
        return (found is not None and found.status == "draft"
                and access.can(session.user(), self.permission))

    def load(self, record_id: int) -> OpenedT:
        """Open a stored record (audited) and show it."""
        found: OpenedT = self.service.open_stored(record_id, actor=session.user())
        st.session_state[self.open_key] = found
        return found

    def forget(self) -> None:
        """Show no record (another case was chosen)."""
        for k in (self.open_key, self.flash_key, self.saved_key, self.notice_key, *self.forgotten):
            st.session_state.pop(k, None)

    def catch_up(self) -> None:
        """Load a newer version someone else saved since this page last showed it."""
        found: Any = self.current()
        if found is None:
            return
        latest = self.service.latest_version(found.id, actor=session.user())
        if latest.version != found.version:
            self.load(found.id)
            st.session_state[self.notice_key] = (
                f"{latest.updated_by or 'Someone'} saved this {self.noun} at "
                f"{wording.moment(latest.updated_at)}. The page now shows their version.")

    def key(self, name: str, *source: Any) -> str:
        """A widget key for the open record, new whenever ``source`` (what it shows) changes."""
        found: Any = self.current()
        return editing.widget_key(self.prefix, found.id if found else None, name, *source)

    # -- saving -------------------------------------------------------------------------------
    def apply(self, change: Callable[[Any], Any], *, where: str, note: str, mine: str = "",
              form: bool = False) -> bool:
        """Apply a change to the shown state and save it at once; False (and why) if not saved.

        Meant for widget callbacks: the message is drawn by :meth:`problem` at
        ``where`` on the run that follows. ``mine`` is what the person wrote, shown
        back to them if the change is not saved so nothing they typed is lost (a
        ``form`` keeps its own text when the change is refused; after a conflict
        it is drawn afresh, so the text is shown back then too).
        """
        found: Any = self.current()
        if found is None or st.session_state.get(self.hold_key):
            # After a conflict, changes sent in the same click wait until the person has seen
            # the other person's version: nothing is applied on top of it unseen.
            return False
        st.session_state.pop(self.flash_key, None)
        try:
            new = change(found.state)
            saved = self.service.save_draft(found.id, new, expected_version=found.version,
                                            actor=session.user(), note=note)
        except ConflictError as exc:
            self.refused(exc, mine)
            return False
        except SfoError as exc:
            self.fail(where, exc, "" if form else mine)
            return False
        except Exception as exc:
            if config.setting("SFO_DEBUG") == "1":
                raise
            self.fail(where, exc, "" if form else mine)
            return False
        self.done(saved)
        return True

    def done(self, saved: OpenedT, message: str = "") -> None:
        """Show a newly saved version, and say so."""
        st.session_state[self.open_key] = saved
        st.session_state[self.saved_key] = f"Saved at {wording.clock()}"
        st.session_state[self.toast_key] = message or f"Saved at {wording.clock()}"
        st.session_state.pop(self.notice_key, None)

    def refused(self, exc: ConflictError, mine: str = "") -> None:
        """Someone else saved first: load their version and keep their change to show."""
        found: Any = self.current()
        st.session_state[self.hold_key] = True
        st.session_state[self.flash_key] = (
            TOP, ConflictError(exc.what, by=exc.by, at=wording.moment_from_iso(exc.at),
                               changes=exc.changes), mine)
        st.session_state[self.toast_key] = f"Not saved: {exc.by} changed this {self.noun} first."
        if found is not None:
            self.load(found.id)
        st.session_state.pop(self.notice_key, None)

    def fail(self, where: str, exc: BaseException, mine: str = "") -> None:
        """Keep an error from a callback to show at ``where``."""
        st.session_state[self.flash_key] = (where, exc, mine)

    def problem(self, where: str) -> None:
        """Draw the message of a change made here that was not saved."""
        found = st.session_state.get(self.flash_key)
        if not found or found[0] != where:
            return
        exc, mine = found[1], found[2]
        editing.show_failure(exc)
        if mine.strip():
            st.markdown("What you wrote, not saved (copy it to use again):")
            st.code(mine, language=None, wrap_lines=True)

    def status_line(self) -> None:
        """Pop up the result of the last change, and any newer version loaded or conflict."""
        st.session_state.pop(self.hold_key, None)
        toast = st.session_state.pop(self.toast_key, None)
        if toast:
            st.toast(toast)
        notice = st.session_state.get(self.notice_key)
        if notice:
            st.info(notice)
        self.problem(TOP)
