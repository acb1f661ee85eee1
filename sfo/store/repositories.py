"""Repositories: casework rows in, the frozen dataclasses of sfo.domain.casework out.

Each kind of casework has one::

    get(id)                               the object (NotFound when there is none)
    add(obj, *, actor)                    stores a new object: id, version 1, who, when
    list_for_crn(crn)                     every object about one person, oldest first
    save(obj, *, expected_version, actor) stores an edit (version + 1), or refuses it

(users have ``by_username`` instead of ``list_for_crn``.)

A save is optimistic locking: ``UPDATE ... WHERE id = :id AND version =
:expected_version``, which also sets the new version and who saved it when.
When no row matches, someone else saved first: nothing is written, and
:class:`sfo.errors.ConflictError` says who, when, and each field they changed
since the version this save started from, as (value you started from, their
value). "Started from" is read from ``casework_versions``, where every add and
save keeps the version it wrote (values as JSON: dates as ISO text), so the
report is exact whatever the caller changed; for a row with no kept version
(written by something other than a repository), the object being saved
stands in for it.

The SQL repositories work on the connection of their unit of work (see
:mod:`sfo.store.uow`) and never commit; the fakes keep objects in memory with
the same behaviour, for unit tests of services.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sfo.domain import casework
from sfo.domain.casework import (
    Action,
    DipDraw,
    DipPlan,
    DipResult,
    EarlyLook,
    FinalDocument,
    JustCultureRecord,
    Review,
    Stored,
    User,
    WorkingContextEntry,
)
from sfo.errors import ConflictError, NotFound
from sfo.store import tables

T = TypeVar("T", bound=Stored | User)

_HIDDEN = frozenset({"password_hash"})  # never copied into casework_versions or a conflict


def _t(model: Any) -> sa.Table:
    return model.__table__


VERSIONS = _t(tables.CaseworkVersion)
FINAL_DOCUMENTS = _t(tables.FinalDocument)
ROLES_TABLE = _t(tables.UserRole)


@dataclass(frozen=True)
class Kind(Generic[T]):
    """One kind of casework: its dataclass, its table and how to name it to a user."""

    domain: type[T]
    table: sa.Table
    label: str                                   # "Early look"

    def what(self, obj: T) -> str:
        """How a message names one object: 'Early look 3 for X320741'."""
        crn = getattr(obj, "crn", None)
        return f"{self.label} {obj.id}" + (f" for {crn}" if crn else "")


EARLY_LOOKS = Kind(EarlyLook, _t(tables.EarlyLook), "Early look")
REVIEWS = Kind(Review, _t(tables.Review), "Review")
WORKING_CONTEXT = Kind(WorkingContextEntry, _t(tables.WorkingContextEntry),
                       "Working-context entry")
JUST_CULTURE = Kind(JustCultureRecord, _t(tables.JustCultureRecord), "Just-culture record")
ACTIONS = Kind(Action, _t(tables.Action), "Action")
DIP_PLANS = Kind(DipPlan, _t(tables.DipPlan), "Dip-sample plan")
DIP_DRAWS = Kind(DipDraw, _t(tables.DipDraw), "Dip-sample draw")
DIP_RESULTS = Kind(DipResult, _t(tables.DipResult), "Dip-sample result")
USERS = Kind(User, _t(tables.User), "User")

KINDS: tuple[Kind[Any], ...] = (EARLY_LOOKS, REVIEWS, WORKING_CONTEXT, JUST_CULTURE, ACTIONS,
                                DIP_PLANS, DIP_DRAWS, DIP_RESULTS, USERS)


# -- values ------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: Stored | User) -> dict[str, Any]:
    """The edited fields of an object as JSON values (what casework_versions keeps)."""
    return {name: _jsonable(getattr(obj, name)) for name in casework.edited_fields(obj)
            if name not in _HIDDEN}


def changes_between(start: Mapping[str, Any], theirs: Mapping[str, Any]
                    ) -> dict[str, tuple[object, object]]:
    """Each field whose value differs: (value in ``start``, value in ``theirs``)."""
    return {name: (start.get(name), value) for name, value in theirs.items()
            if start.get(name) != value}


def _conflict(kind: Kind[T], current: T, start: Mapping[str, Any]) -> ConflictError:
    at = current.updated_at.isoformat(timespec="seconds") if current.updated_at else "?"
    return ConflictError(kind.what(current), by=current.updated_by or "someone", at=at,
                         changes=changes_between(start, snapshot(current)))


def _column_value(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


# -- SQL ---------------------------------------------------------------------
class SqlRepository(Generic[T]):
    """get, add and save for one kind of casework, in the unit of work's transaction."""

    def __init__(self, kind: Kind[T], connection: Callable[[], Connection]) -> None:
        self.kind = kind
        self._connection = connection

    @property
    def _table(self) -> sa.Table:
        return self.kind.table

    def _load(self, row: Mapping[Any, Any]) -> T:
        values: dict[str, Any] = {}
        for name in self.kind.domain.__dataclass_fields__:
            if name in self._table.c:
                value = row[name]
                values[name] = tuple(value) if isinstance(value, list) else value
        return self.kind.domain(**values)

    def _values(self, obj: T) -> dict[str, Any]:
        return {name: _column_value(getattr(obj, name)) for name in casework.edited_fields(obj)
                if name in self._table.c}

    def _stamp(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if k in self._table.c}

    def _keep(self, obj: T) -> None:
        """Keep the version just written, for good."""
        assert obj.id is not None and obj.updated_at is not None
        self._connection().execute(VERSIONS.insert().values(
            object_type=self._table.name, object_id=obj.id, version=obj.version,
            saved_by=obj.updated_by, saved_at=obj.updated_at, data=snapshot(obj)))

    def _kept(self, object_id: int, version: int) -> dict[str, Any] | None:
        v = VERSIONS.c
        data = self._connection().execute(sa.select(v.data).where(
            v.object_type == self._table.name, v.object_id == object_id,
            v.version == version)).scalar_one_or_none()
        return dict(data) if data is not None else None

    def _find(self, object_id: int) -> T | None:
        row = self._connection().execute(
            sa.select(self._table).where(self._table.c.id == object_id)).mappings().first()
        return self._load(row) if row is not None else None

    def get(self, object_id: int) -> T:
        """The object with this id (NotFound when there is none)."""
        found = self._find(object_id)
        if found is None:
            raise NotFound(f"{self.kind.label} {object_id} does not exist.")
        return found

    def add(self, obj: T, *, actor: str) -> T:
        """Store a new object; returns it with its id, version 1 and who added it when."""
        now = _now()
        stamp = {"version": 1, "created_by": actor, "created_at": now, "updated_by": actor,
                 "updated_at": now}
        result = self._connection().execute(
            self._table.insert().values(**self._values(obj), **self._stamp(stamp)))
        key = result.inserted_primary_key
        assert key is not None  # an INSERT of one row always has one
        new_id = int(key[0])
        added = replace(obj, id=new_id, **{k: v for k, v in stamp.items()  # type: ignore[arg-type]
                                             if hasattr(obj, k)})
        self._keep(added)
        return added

    def list_all(self) -> list[T]:
        """Every object of this kind, oldest first."""
        rows = self._connection().execute(sa.select(self._table).order_by(self._table.c.id))
        return [self._load(r) for r in rows.mappings()]

    def save(self, obj: T, *, expected_version: int, actor: str) -> T:
        """Store an edit made to ``expected_version``; ConflictError if that is not current."""
        if obj.id is None:
            raise NotFound(f"This {self.kind.label.lower()} has not been added yet, so it "
                           "cannot be saved.")
        now = _now()
        t = self._table
        result = self._connection().execute(
            t.update().where(t.c.id == obj.id, t.c.version == expected_version)
            .values(**self._values(obj), version=expected_version + 1, updated_by=actor,
                    updated_at=now))
        if result.rowcount != 1:
            current = self._find(obj.id)
            if current is None:
                raise NotFound(f"{self.kind.what(obj)} no longer exists; your change was not "
                               "saved.")
            start = self._kept(obj.id, expected_version) or snapshot(obj)
            raise _conflict(self.kind, current, start)
        saved = replace(obj, version=expected_version + 1,
                        updated_by=actor, updated_at=now)
        self._keep(saved)
        return saved


class SqlCaseRepository(SqlRepository[T]):
    """A casework repository that can also list everything about one person."""

    def __init__(self, kind: Kind[T], connection: Callable[[], Connection],
                 about: Callable[[str], sa.ColumnElement[bool]] | None = None) -> None:
        super().__init__(kind, connection)
        self._about = about or (lambda crn: self._table.c.crn == crn)

    def list_for_crn(self, crn: str) -> list[T]:
        """Every object about one person, oldest first."""
        rows = self._connection().execute(
            sa.select(self._table).where(self._about(crn)).order_by(self._table.c.id))
        return [self._load(r) for r in rows.mappings()]



def _draws_about(crn: str) -> sa.ColumnElement[bool]:
    results = DIP_RESULTS.table
    return DIP_DRAWS.table.c.id.in_(
        sa.select(results.c.draw_id).where(results.c.crn == crn))


def _plans_about(crn: str) -> sa.ColumnElement[bool]:
    draws = DIP_DRAWS.table
    return DIP_PLANS.table.c.id.in_(sa.select(draws.c.plan_id).where(_draws_about(crn)))


class SqlUserRepository(SqlRepository[User]):
    """Users with their roles (held in user_roles)."""

    def __init__(self, connection: Callable[[], Connection]) -> None:
        super().__init__(USERS, connection)

    def _load(self, row: Mapping[Any, Any]) -> User:
        roles = self._connection().execute(
            sa.select(ROLES_TABLE.c.role).where(ROLES_TABLE.c.user_id == row["id"])).scalars()
        return replace(super()._load(row), roles=tuple(roles))

    def _write_roles(self, user: User) -> None:
        conn = self._connection()
        conn.execute(ROLES_TABLE.delete().where(ROLES_TABLE.c.user_id == user.id))
        if user.roles:
            conn.execute(ROLES_TABLE.insert(),
                         [{"user_id": user.id, "role": r} for r in user.roles])

    def add(self, obj: User, *, actor: str) -> User:
        """Store a new user and their roles."""
        added = super().add(obj, actor=actor)
        self._write_roles(added)
        return added

    def save(self, obj: User, *, expected_version: int, actor: str) -> User:
        """Store an edit to a user (roles included); ConflictError if it is stale."""
        saved = super().save(obj, expected_version=expected_version, actor=actor)
        self._write_roles(saved)
        return saved

    def by_username(self, username: str) -> User:
        """The user with this user name (NotFound when there is none)."""
        row = self._connection().execute(
            sa.select(self._table).where(self._table.c.username == username)).mappings().first()
        if row is None:
            raise NotFound(f"There is no user {username!r}.")
        return self._load(row)


class SqlFinalDocuments:
    """Finalised documents: added once, never changed, found by what they were issued for."""

    def __init__(self, connection: Callable[[], Connection]) -> None:
        self._connection = connection

    def add(self, doc: FinalDocument) -> FinalDocument:
        """Keep a finalised document; returns it with its id."""
        values = {f: _column_value(getattr(doc, f)) for f in FinalDocument.__dataclass_fields__
                  if f != "id"}
        result = self._connection().execute(FINAL_DOCUMENTS.insert().values(**values))
        key = result.inserted_primary_key
        assert key is not None
        return replace(doc, id=int(key[0]))

    def find(self, *, kind: str, object_id: int, audience: str, fmt: str,
             version: int | None = None) -> FinalDocument | None:
        """The document issued for that version (the newest version when None), or None."""
        c = FINAL_DOCUMENTS.c
        query = sa.select(FINAL_DOCUMENTS).where(
            c.kind == kind, c.object_id == object_id, c.audience == audience, c.format == fmt)
        if version is not None:
            query = query.where(c.version == version)
        row = self._connection().execute(
            query.order_by(c.version.desc(), c.id.desc()).limit(1)).mappings().first()
        return None if row is None else _final(row)

    def list_for(self, *, kind: str, object_id: int) -> list[FinalDocument]:
        """Every document issued for one early look or review, oldest first."""
        c = FINAL_DOCUMENTS.c
        rows = self._connection().execute(sa.select(FINAL_DOCUMENTS).where(
            c.kind == kind, c.object_id == object_id).order_by(c.id)).mappings()
        return [_final(r) for r in rows]


def _final(row: Mapping[Any, Any]) -> FinalDocument:
    values = {f: row[f] for f in FinalDocument.__dataclass_fields__}
    values["data"] = bytes(values["data"])
    return FinalDocument(**values)


# -- fakes -------------------------------------------------------------------
class FakeFinalDocuments:
    """Finalised documents in memory."""

    def __init__(self) -> None:
        self.objects: dict[int, FinalDocument] = {}

    def add(self, doc: FinalDocument) -> FinalDocument:
        """Keep a finalised document; returns it with its id."""
        added = replace(doc, id=max(self.objects, default=0) + 1)
        assert added.id is not None
        self.objects[added.id] = added
        return added

    def find(self, *, kind: str, object_id: int, audience: str, fmt: str,
             version: int | None = None) -> FinalDocument | None:
        """The document issued for that version (the newest version when None), or None."""
        found = [d for d in self.objects.values()
                 if (d.kind, d.object_id, d.audience, d.format) == (kind, object_id, audience,
                                                                    fmt)
                 and (version is None or d.version == version)]
        return max(found, key=lambda d: (d.version, d.id or 0), default=None)

    def list_for(self, *, kind: str, object_id: int) -> list[FinalDocument]:
        """Every document issued for one early look or review, oldest first."""
        return [d for _, d in sorted(self.objects.items())
                if (d.kind, d.object_id) == (kind, object_id)]

class FakeRepository(Generic[T]):
    """An in-memory repository with the SQL one's behaviour (versions, conflicts)."""

    def __init__(self, kind: Kind[T],
                 about: Callable[[T, str], bool] | None = None) -> None:
        self.kind = kind
        self.objects: dict[int, T] = {}
        self.kept: dict[tuple[int, int], dict[str, Any]] = {}
        self._about = about or (lambda obj, crn: getattr(obj, "crn", None) == crn)

    def get(self, object_id: int) -> T:
        """The object with this id (NotFound when there is none)."""
        if object_id not in self.objects:
            raise NotFound(f"{self.kind.label} {object_id} does not exist.")
        return self.objects[object_id]

    def add(self, obj: T, *, actor: str) -> T:
        """Store a new object; returns it with its id, version 1 and who added it when."""
        now = _now()
        stamp = {"id": max(self.objects, default=0) + 1, "version": 1, "created_by": actor,
                 "created_at": now, "updated_by": actor, "updated_at": now}
        added = replace(obj, **{k: v for k, v in stamp.items()  # type: ignore[arg-type]
                                if hasattr(obj, k)})
        assert added.id is not None
        self.objects[added.id] = added
        self.kept[added.id, 1] = snapshot(added)
        return added

    def save(self, obj: T, *, expected_version: int, actor: str) -> T:
        """Store an edit made to ``expected_version``; ConflictError if that is not current."""
        if obj.id is None or obj.id not in self.objects:
            raise NotFound(f"{self.kind.label} {obj.id} does not exist; your change was not "
                           "saved.")
        current = self.objects[obj.id]
        if current.version != expected_version:
            start = self.kept.get((obj.id, expected_version)) or snapshot(obj)
            raise _conflict(self.kind, current, start)
        saved = replace(obj, version=expected_version + 1,
                        updated_by=actor, updated_at=_now())
        self.objects[obj.id] = saved
        self.kept[obj.id, saved.version] = snapshot(saved)
        return saved

    def list_for_crn(self, crn: str) -> list[T]:
        """Every object about one person, oldest first."""
        return [o for _, o in sorted(self.objects.items()) if self._about(o, crn)]

    def list_all(self) -> list[T]:
        """Every object of this kind, oldest first."""
        return [o for _, o in sorted(self.objects.items())]


class FakeUserRepository(FakeRepository[User]):
    """Users in memory."""

    def __init__(self) -> None:
        super().__init__(USERS)

    def by_username(self, username: str) -> User:
        """The user with this user name (NotFound when there is none)."""
        for user in self.objects.values():
            if user.username == username:
                return user
        raise NotFound(f"There is no user {username!r}.")
