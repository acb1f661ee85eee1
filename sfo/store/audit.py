"""The audit log: append-only and hash-chained.

Each entry's ``entry_hash`` is the SHA-256 of the canonical JSON (sorted
keys, no spaces, UTF-8) of its other fields, ``prev_hash`` included, so an
edited, inserted, reordered or deleted entry breaks the chain from there on.
``audit_head`` keeps the latest entry's number and hash, so entries cut off
the end are seen too. Entries are written in the same transaction as the
change they record: a change that is rolled back leaves no entry, and an entry
is never left without its change.

Appends are serialised so that two writers never chain to the same entry:
SQLite transactions begin IMMEDIATE (see :mod:`sfo.store.engine`), and on
PostgreSQL each append takes a transaction-level advisory lock.

A unit of work reaches the log through an :class:`AuditTrail`:
:class:`SqlAuditTrail` on its connection, or :class:`FakeAuditTrail` (in
memory, the same chain) in unit tests.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sfo.store.tables import AuditEntry, AuditHead

GENESIS = "0" * 64
_LOCK_KEY = 72_700_001  # any fixed number: the advisory lock for audit appends
_FIELDS = ("seq", "at", "actor", "action", "object_type", "object_id", "crn", "summary",
           "prev_hash")

entries = AuditEntry.__table__  # type: ignore[attr-defined]
head = AuditHead.__table__  # type: ignore[attr-defined]


def entry_hash(fields: dict[str, Any]) -> str:
    """The hash of one entry from its fields (``at`` as ISO 8601 text)."""
    body = {k: fields[k] for k in _FIELDS}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _iso(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def append(conn: Connection, *, actor: str, action: str, object_type: str, object_id: str,
           crn: str | None = None, summary: str = "", at: datetime | None = None) -> int:
    """Add one entry in the caller's transaction; returns its number."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    last = conn.execute(sa.select(head.c.seq, head.c.entry_hash).where(head.c.id == 1)).first()
    seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
    when = at or datetime.now(UTC)
    fields = {"seq": seq, "at": _iso(when), "actor": actor,
              "action": action, "object_type": object_type, "object_id": str(object_id),
              "crn": crn, "summary": summary, "prev_hash": prev}
    digest = entry_hash(fields)
    conn.execute(entries.insert().values(
        **{**fields, "at": datetime.fromisoformat(_iso(when))}, entry_hash=digest))
    if last:
        conn.execute(head.update().where(head.c.id == 1).values(seq=seq, entry_hash=digest))
    else:
        conn.execute(head.insert().values(id=1, seq=seq, entry_hash=digest))
    return seq


@dataclass(frozen=True)
class Entry:
    """One audit entry as read back."""

    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    crn: str | None
    summary: str
    prev_hash: str
    entry_hash: str


def _rows(conn: Connection, crn: str | None = None) -> Iterator[Entry]:
    q = sa.select(entries).order_by(entries.c.seq)
    if crn is not None:
        q = q.where(entries.c.crn == crn)
    for r in conn.execute(q).mappings():
        yield Entry(**{k: r[k] for k in Entry.__dataclass_fields__})


def for_case(conn: Connection, crn: str) -> list[Entry]:
    """Every entry about one person, oldest first."""
    return list(_rows(conn, crn))


def all_entries(conn: Connection) -> list[Entry]:
    """Every entry of the log, oldest first."""
    return list(_rows(conn))


def verify(conn: Connection) -> list[str]:
    """Problems with the chain (an empty list when every entry is as written)."""
    top = conn.execute(sa.select(head.c.seq, head.c.entry_hash)).first()
    return check_chain(_rows(conn), None if top is None else (int(top[0]), str(top[1])))


def count(conn: Connection) -> int:
    """How many entries the log holds."""
    return int(conn.execute(sa.select(sa.func.count()).select_from(entries)).scalar_one())


def check_chain(chain: Iterable[Entry], top: tuple[int, str] | None) -> list[str]:
    """Problems with entries read in order and the recorded latest entry (number, hash)."""
    problems: list[str] = []
    prev = GENESIS
    expected = 1
    last: Entry | None = None
    for e in chain:
        if e.seq != expected:
            problems.append(f"entries {expected} to {e.seq - 1} are missing (deleted)")
        fields = {**{k: getattr(e, k) for k in _FIELDS}, "at": _iso(e.at)}
        if e.prev_hash != prev:
            problems.append(f"entry {e.seq} does not follow the entry before it (an entry "
                            "before it was changed, removed or inserted)")
        if entry_hash(fields) != e.entry_hash:
            problems.append(f"entry {e.seq} ({e.action} {e.object_type} {e.object_id} by "
                            f"{e.actor}) has been edited since it was written")
        prev = e.entry_hash
        expected = e.seq + 1
        last = e
    if top is not None and (last is None or top[0] != last.seq or top[1] != last.entry_hash):
        problems.append(f"the log should end at entry {top[0]} but ends at "
                        f"{last.seq if last else 0}: entries at the end were removed")
    if top is None and last is not None:
        problems.append("the record of the latest entry is missing")
    return problems


class AuditTrail(Protocol):
    """The audit log as a unit of work sees it (SQL or in memory)."""

    def append(self, *, actor: str, action: str, object_type: str, object_id: str,
               crn: str | None = None, summary: str = "") -> int:
        """Add one entry in the current transaction; returns its number."""
        ...

    def for_case(self, crn: str) -> list[Entry]:
        """Every entry about one person, oldest first."""
        ...

    def verify(self) -> list[str]:
        """Problems with the chain (empty when intact)."""
        ...

    def count(self) -> int:
        """How many entries the log holds."""
        ...


class SqlAuditTrail:
    """The audit log in the database, on the connection of the caller's transaction."""

    def __init__(self, connection: Callable[[], Connection]) -> None:
        self._connection = connection

    def append(self, *, actor: str, action: str, object_type: str, object_id: str,
               crn: str | None = None, summary: str = "") -> int:
        """Add one entry in the current transaction; returns its number."""
        return append(self._connection(), actor=actor, action=action, object_type=object_type,
                      object_id=object_id, crn=crn, summary=summary)

    def for_case(self, crn: str) -> list[Entry]:
        """Every entry about one person, oldest first."""
        return for_case(self._connection(), crn)

    def verify(self) -> list[str]:
        """Problems with the chain (empty when intact)."""
        return verify(self._connection())

    def count(self) -> int:
        """How many entries the log holds."""
        return count(self._connection())


class FakeAuditTrail:
    """The audit log in memory, hash-chained like the real one (for unit tests)."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def append(self, *, actor: str, action: str, object_type: str, object_id: str,
               crn: str | None = None, summary: str = "") -> int:
        """Add one entry; returns its number."""
        last = self.entries[-1] if self.entries else None
        at = datetime.now(UTC)
        fields: dict[str, Any] = {
            "seq": last.seq + 1 if last else 1, "at": _iso(at), "actor": actor,
            "action": action, "object_type": object_type, "object_id": str(object_id),
            "crn": crn, "summary": summary, "prev_hash": last.entry_hash if last else GENESIS}
        self.entries.append(Entry(**{**fields, "at": at}, entry_hash=entry_hash(fields)))
        return int(fields["seq"])

    def for_case(self, crn: str) -> list[Entry]:
        """Every entry about one person, oldest first."""
        return [e for e in self.entries if e.crn == crn]

    def verify(self) -> list[str]:
        """Problems with the chain (empty when intact)."""
        last = self.entries[-1] if self.entries else None
        return check_chain(self.entries, (last.seq, last.entry_hash) if last else None)

    def count(self) -> int:
        """How many entries the log holds."""
        return len(self.entries)
