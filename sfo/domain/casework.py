"""Casework: what users write and edit, as the store holds it.

Early looks, reviews, working-context entries, just-culture records, actions,
dip-sample plans, draws and results, and users with their roles. Each object
is immutable: an edit is a new object (``dataclasses.replace``) that is saved
with the version it started from, so a save based on a version someone else
has since changed is refused (``sfo.errors.ConflictError``), never applied
over theirs.

Every object carries ``id`` (None until it is first stored), ``version`` (1
when first stored, one more with each save) and who created and last changed
it, when. The other fields are those of its table in :mod:`sfo.store.tables`
(a test keeps the two the same).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from sfo.errors import InputError

ROLES: tuple[str, ...] = ("manager", "reviewer", "quality", "hr", "admin")

# Fields the store sets on every save; the rest are what a user edits.
BOOKKEEPING: frozenset[str] = frozenset(
    {"id", "version", "created_by", "created_at", "updated_by", "updated_at"})


@dataclass(frozen=True, kw_only=True)
class Stored:
    """Identity, lock version and who wrote it when: common to everything users edit."""

    id: int | None = None
    version: int = 1
    created_by: str = ""
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class EarlyLook(Stored):
    """A manager's early look at a case after a serious further offence is alleged."""

    crn: str
    as_of: date
    status: str = "draft"                       # draft | final
    content: Mapping[str, Any] = field(default_factory=dict)
    finalised_at: datetime | None = None
    fingerprint: str | None = None              # SHA-256 of the finalised document


@dataclass(frozen=True, kw_only=True)
class Review(Stored):
    """An SFO review of a case."""

    crn: str
    as_of: date
    status: str = "draft"
    content: Mapping[str, Any] = field(default_factory=dict)
    finalised_at: datetime | None = None
    fingerprint: str | None = None


@dataclass(frozen=True, kw_only=True)
class WorkingContextEntry(Stored):
    """One fact about the conditions a practitioner worked under (restricted if personal)."""

    crn: str
    early_look_id: int | None = None
    review_id: int | None = None
    category: str                               # workload, training, supervision, ...
    text: str
    is_mitigation: bool = False
    restricted: bool = False                    # personal circumstances: manager, reviewer, HR
    source: str = "entered"                     # entered | bundle


@dataclass(frozen=True, kw_only=True)
class JustCultureRecord(Stored):
    """The just-culture sequence worked through for one act or omission."""

    crn: str
    early_look_id: int | None = None
    review_id: int | None = None
    act: str
    answers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Action(Stored):
    """An action: specific, owned by a role (never a person), dated, with a status."""

    crn: str
    early_look_id: int | None = None
    review_id: int | None = None
    description: str
    owner_role: str
    due: date | None = None
    status: str = "open"
    links: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DipPlan(Stored):
    """A planned dip sample (the size and why)."""

    name: str
    purpose: str = ""
    plan: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class DipDraw(Stored):
    """A drawn dip sample: its draw record and selection log."""

    plan_id: int | None = None
    record: Mapping[str, Any] = field(default_factory=dict)
    log: str = ""                               # the selection log as JSON lines


@dataclass(frozen=True, kw_only=True)
class DipResult(Stored):
    """One answer to one checklist question for one sampled case."""

    draw_id: int
    crn: str
    question_id: str
    answer: str
    reviewer: str
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class User:
    """A local account and the roles it holds (the password only as a slow hash)."""

    id: int | None = None
    version: int = 1
    username: str
    display_name: str
    password_hash: str | None = field(default=None, repr=False)
    region: str | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    active: bool = True
    roles: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        unknown = sorted(set(self.roles) - set(ROLES))
        if unknown:
            raise InputError(f"{', '.join(unknown)} is not a role; roles are "
                             f"{', '.join(ROLES)}.")
        # One spelling of a set of roles, so two equal users compare equal.
        object.__setattr__(self, "roles", tuple(sorted(set(self.roles))))

    def has_role(self, role: str) -> bool:
        """Whether the user holds the role."""
        return role in self.roles


@dataclass(frozen=True, kw_only=True)
class FinalDocument:
    """A finalised document as issued: never changed, identified by its fingerprints.

    ``version`` is the version of the document's subject (a review reopened
    as version 2 issues new documents; version 1's stay as they were).
    ``audience`` is ``restricted`` (manager, reviewer and HR), ``shared`` or
    ``family``; ``context`` is what the document was rendered from.
    """

    id: int | None = None
    kind: str                                   # early_look | review | dip_report
    object_id: int
    version: int = 1
    crn: str | None = None
    audience: str                               # restricted | shared | family
    format: str                                 # docx | html | pdf
    fingerprint: str                            # of the content (printed in the footer)
    file_sha256: str                            # of these bytes
    data: bytes = field(repr=False)
    context: Mapping[str, Any] = field(default_factory=dict, repr=False)
    created_by: str = ""
    created_at: datetime | None = None


Casework = (EarlyLook | Review | WorkingContextEntry | JustCultureRecord | Action | DipPlan
            | DipDraw | DipResult | User)


def edited_fields(obj: Stored | User) -> tuple[str, ...]:
    """The names of the fields a user edits (everything but identity and bookkeeping)."""
    return tuple(f.name for f in fields(obj) if f.name not in BOOKKEEPING)
