"""Who may do what: roles, permissions and the signed-in person (pure).

Five roles (:data:`ROLES`): the manager who runs early looks, the independent
reviewer, the quality team who draw dip samples, HR, and the administrator
who manages accounts and reads the audit log. :data:`PERMISSIONS` says which
roles may take each action; the app shows a role only the pages it may use,
and the services check again (:func:`require`), so the app is never the only
gate.

Restricted entries (personal circumstances) are seen only by the manager,
the reviewer and HR (:data:`RESTRICTED_ROLES`). A person may be limited to
some probation delivery units (``Actor.pdus``); empty means every unit.

A plain string in place of an :class:`Actor` is the operator at a terminal
(the ``sfo`` command), who already holds the database and its files; the
checks apply to people signed in to the app.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sfo.errors import PermissionDenied

__all__ = [
    "PERMISSIONS",
    "RESTRICTED_ROLES",
    "ROLES",
    "ROLE_LABELS",
    "Actor",
    "can",
    "can_see_case",
    "can_see_restricted",
    "name_of",
    "require",
    "require_case",
]

ROLES: tuple[str, ...] = ("manager", "reviewer", "quality", "hr", "admin")
ROLE_LABELS: dict[str, str] = {"manager": "Manager", "reviewer": "Reviewer",
                               "quality": "Quality team", "hr": "HR", "admin": "Administrator"}
RESTRICTED_ROLES: frozenset[str] = frozenset({"manager", "reviewer", "hr"})

_CASEWORK = frozenset({"manager", "reviewer", "quality", "hr"})
# action -> the roles that may take it, and how to say the action to someone refused it.
PERMISSIONS: dict[str, tuple[frozenset[str], str]] = {
    "case.view": (_CASEWORK, "look at case records"),
    "case.import": (frozenset({"manager", "admin"}), "import case records"),
    "early_look.view": (frozenset({"manager", "reviewer", "hr"}), "look at early looks"),
    "early_look.edit": (frozenset({"manager"}), "start or change an early look"),
    "review.view": (frozenset({"manager", "reviewer", "hr", "quality"}), "look at SFO reviews"),
    "review.edit": (frozenset({"reviewer"}), "start or change an SFO review"),
    "dip.run": (frozenset({"quality", "manager"}), "plan, draw or evaluate a dip sample"),
    "themes.view": (frozenset({"quality", "reviewer", "manager", "admin"}),
                    "look at themes across reviews"),
    "audit.view": (frozenset({"admin"}), "read the audit log"),
    "users.manage": (frozenset({"admin"}), "manage user accounts"),
    "settings.view": (frozenset({"admin"}), "look at the settings, rules and templates"),
}


@dataclass(frozen=True)
class Actor:
    """A person signed in to the app: who they are, their roles, and the units they cover."""

    username: str
    display_name: str
    roles: tuple[str, ...]
    pdus: tuple[str, ...] = ()          # probation delivery units they may see; () for all

    @property
    def name(self) -> str:
        """How the audit log and documents name them."""
        return self.display_name or self.username

    def has(self, role: str) -> bool:
        """Whether they hold the role."""
        return role in self.roles


def name_of(actor: Actor | str) -> str:
    """The name to record for whoever acts (a signed-in person or the terminal's operator)."""
    return actor.name if isinstance(actor, Actor) else actor


def can(actor: Actor | str, action: str) -> bool:
    """Whether the actor may take the action (the terminal's operator always may)."""
    if action not in PERMISSIONS:
        raise KeyError(f"{action} is not an action")
    if not isinstance(actor, Actor):
        return True
    roles, _ = PERMISSIONS[action]
    return any(r in roles for r in actor.roles)


def require(actor: Actor | str, action: str) -> None:
    """Refuse (PermissionDenied, saying who may) unless the actor may take the action."""
    if can(actor, action):
        return
    roles, words = PERMISSIONS[action]
    assert isinstance(actor, Actor)
    held = ", ".join(ROLE_LABELS[r].lower() for r in actor.roles) or "no role"
    allowed = _either(ROLE_LABELS[r].lower() for r in ROLES if r in roles)
    raise PermissionDenied(f"You are signed in as {held}, which cannot {words}. Only "
                           f"{allowed} can; ask one of them, or an administrator to change "
                           "your role.")


def can_see_restricted(actor: Actor | str) -> bool:
    """Whether restricted entries (personal circumstances) may be shown to the actor."""
    return not isinstance(actor, Actor) or any(r in RESTRICTED_ROLES for r in actor.roles)


def can_see_case(actor: Actor | str, pdu: str | None) -> bool:
    """Whether the actor covers the probation delivery unit a case belongs to."""
    if not isinstance(actor, Actor) or not actor.pdus:
        return True
    return (pdu or "") in actor.pdus


def require_case(actor: Actor | str, crn: str, pdu: str | None) -> None:
    """Refuse a case outside the actor's probation delivery units (PermissionDenied)."""
    if not can_see_case(actor, pdu):
        assert isinstance(actor, Actor)
        raise PermissionDenied(f"{crn} belongs to {pdu or 'no recorded unit'}, which is not "
                               f"one of your units ({', '.join(actor.pdus)}). Ask an "
                               "administrator if you need to see it.")


def _either(words: Iterable[str]) -> str:
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]
