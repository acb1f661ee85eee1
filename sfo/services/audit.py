"""The audit log: check it, read a case's trail (itself recorded), and record an event.

Every view and change of a case is written to the append-only, hash-chained
audit log (see :mod:`sfo.store.audit`) in the same transaction as the change,
through :func:`record`. Reading who has looked at a case is itself a look at
the case, so :func:`for_case` records a ``view-audit`` entry before it reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from sfo.domain import access
from sfo.domain.access import Actor
from sfo.store import audit as store_audit
from sfo.store import uow as store_uow

VIEW_AUDIT = "view-audit"


@dataclass(frozen=True)
class Verification:
    """The result of checking the whole log."""

    entries: int
    problems: list[str]

    @property
    def intact(self) -> bool:
        """Whether every entry is as it was written and none is missing."""
        return not self.problems


def record(uow: store_uow.UnitOfWork, *, actor: Actor | str, action: str, object_type: str,
           object_id: str, crn: str | None, summary: str) -> int:
    """Add an entry in the caller's open unit of work (committed with its change)."""
    return uow.audit.append(actor=access.name_of(actor), action=action, object_type=object_type,
                            object_id=str(object_id), crn=crn, summary=summary)


def check(*, uow: store_uow.UnitOfWork) -> Verification:
    """Check every entry of the log and count them."""
    with uow:
        return Verification(entries=uow.audit.count(), problems=uow.audit.verify())


def verify(*, uow: store_uow.UnitOfWork) -> list[str]:
    """Problems with the audit log (an empty list when it is intact)."""
    return check(uow=uow).problems


def for_case(crn: str, *, uow: store_uow.UnitOfWork, actor: str) -> list[store_audit.Entry]:
    """Every entry about one person, oldest first, ending with this look at them."""
    with uow:
        record(uow, actor=actor, action=VIEW_AUDIT, object_type="audit_log", object_id=crn,
               crn=crn, summary=f"looked at the audit trail of {crn}")
        entries = uow.audit.for_case(crn)
        uow.commit()
    return entries
