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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

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


# -- reading the log for the app: filters in SQL, newest first, and a check in parts ------------

def _where(*, crn: str | None, actors: Sequence[str], action: str | None,
           since: datetime | None, until: datetime | None,
           upto: int | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if upto is not None:
        where.append(entries.c.seq <= upto)
    if crn:
        where.append(entries.c.crn == crn)
    names = [a for a in actors if a]
    if names:
        where.append(sa.or_(*(entries.c.actor.icontains(a, autoescape=True) for a in names)))
    if action:
        where.append(entries.c.action == action)
    if since is not None:
        where.append(entries.c.at >= since)
    if until is not None:
        where.append(entries.c.at < until)
    return where


def search(conn: Connection, *, crn: str | None = None, actors: Sequence[str] = (),
           action: str | None = None, since: datetime | None = None,
           until: datetime | None = None, upto: int | None = None, limit: int = 50,
           offset: int = 0) -> tuple[list[Entry], int]:
    """One page of the entries matching every filter, newest first, and how many match.

    ``actors``: any of these, each matching part of who acted (case-insensitive);
    ``since`` is included and ``until`` is not (times with their zone); ``upto``
    is the highest entry number to include, so that pages read one after another
    do not shift as new entries are written.
    """
    where = _where(crn=crn, actors=actors, action=action, since=since, until=until,
                   upto=upto)
    total = int(conn.execute(sa.select(sa.func.count()).select_from(entries)
                             .where(*where)).scalar_one())
    q = (sa.select(entries).where(*where).order_by(entries.c.seq.desc())
         .limit(max(limit, 0)).offset(max(offset, 0)))
    found = [Entry(**{k: r[k] for k in Entry.__dataclass_fields__})
             for r in conn.execute(q).mappings()]
    return found, total


def actions(conn: Connection) -> list[str]:
    """Every kind of action the log holds, A to Z."""
    rows = conn.execute(sa.select(entries.c.action).distinct().order_by(entries.c.action))
    return [str(a) for (a,) in rows]


def ends(conn: Connection) -> tuple[int, tuple[int, str] | None]:
    """The highest entry number in the log (0 when empty) and the recorded latest entry
    (number, hash; None when there is none), read in one statement so both are of one moment.
    """
    row = conn.execute(sa.select(
        sa.select(sa.func.max(entries.c.seq)).scalar_subquery(),
        sa.select(head.c.seq).where(head.c.id == 1).scalar_subquery(),
        sa.select(head.c.entry_hash).where(head.c.id == 1).scalar_subquery())).one()
    top = None if row[1] is None else (int(row[1]), str(row[2]))
    return int(row[0] or 0), top


def entries_after(conn: Connection, after: int, *, upto: int, limit: int) -> list[Entry]:
    """Up to ``limit`` entries numbered above ``after`` and at most ``upto``, oldest first.

    For checking a long log in parts, each part in a short transaction of its own,
    so that a check never holds the database for long.
    """
    q = (sa.select(entries).where(entries.c.seq > after, entries.c.seq <= upto)
         .order_by(entries.c.seq).limit(limit))
    return [Entry(**{k: r[k] for k in Entry.__dataclass_fields__})
            for r in conn.execute(q).mappings()]
