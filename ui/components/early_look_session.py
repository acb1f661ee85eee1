"""The early look open in this session, and saving each change at once (keys ``sfo_el_*``).

The model is :mod:`ui.components.open_record`'s, shared with the SFO review:
each change is saved straight away with the version it was shown at
(:func:`sfo.services.early_look.save_draft`); if someone else saved in the
meantime their version is loaded and the page shows what they changed, so
nothing of theirs is overwritten.
"""

from __future__ import annotations

from collections.abc import Callable

from sfo.domain import early_look as el
from sfo.services import early_look
from sfo.services.early_look import Opened
from ui.components import editing, session, wording
from ui.components.open_record import TOP, OpenRecord

RECORD: OpenRecord[Opened] = OpenRecord("sfo_el_", "early look", "early_look.edit",
                                        early_look, Opened)
OPEN, FLASH, SAVED = RECORD.open_key, RECORD.flash_key, RECORD.saved_key
TOAST, NOTICE, HOLD = RECORD.toast_key, RECORD.notice_key, RECORD.hold_key

Change = Callable[[el.EarlyLookState], el.EarlyLookState]

# Times, dates and escaping, shared with the other pages.
clock, day, moment, md = wording.clock, wording.day, wording.moment, wording.md

current, opened, editable, load = RECORD.current, RECORD.opened, RECORD.editable, RECORD.load
forget, catch_up, key = RECORD.forget, RECORD.catch_up, RECORD.key
apply, done, refused, fail = RECORD.apply, RECORD.done, RECORD.refused, RECORD.fail
problem, status_line = RECORD.problem, RECORD.status_line
controlled, me = editing.controlled, session.me
__all__ = ["FLASH", "HOLD", "NOTICE", "OPEN", "SAVED", "TOAST", "TOP", "Change", "Opened",
           "apply", "catch_up", "clock", "controlled", "current", "day", "done", "editable",
           "fail", "forget", "key", "load", "md", "me", "moment", "opened", "problem",
           "refused", "status_line"]
