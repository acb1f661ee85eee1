"""Units of work: one transaction, the repositories and the audit trail that share it.

A service opens one, does its work and commits once::

    with uow:
        look = uow.early_looks.get(look_id)
        uow.early_looks.save(replace(look, content=...), expected_version=v, actor=me)
        uow.audit.append(actor=me, action="update", ...)
        uow.commit()

Leaving the block without ``commit()`` (or with an exception) rolls
everything back: the change and its audit entry are written together or not
at all.

:class:`SqlUnitOfWork` owns a SQLModel ``Session``; ``uow.connection`` is its
connection, in the same transaction, for core statements such as bulk
inserts. Driver errors that mean the database cannot be used now (SQLite
"database is locked" past the busy timeout, PostgreSQL refusing the
connection) come out as :class:`sfo.errors.StoreBusy` and
:class:`sfo.errors.StoreUnavailable`, with a message fit for the user.

:class:`FakeUnitOfWork` has the same interface and keeps everything in
memory (commit keeps the changes, rollback restores the state at entry), for
unit tests of services.
"""

from __future__ import annotations

import copy
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from sfo.domain.casework import (
    Action,
    DipDraw,
    DipPlan,
    DipResult,
    EarlyLook,
    FinalDocument,
    JustCultureRecord,
    Review,
    User,
    WorkingContextEntry,
)
from sfo.store import audit
from sfo.store import engine as store_engine
from sfo.store import repositories as repos

# Driver errors that say the database cannot be used just now (not a bug in a statement).
_UNUSABLE = (sa.exc.OperationalError, sa.exc.InterfaceError)


T = TypeVar("T")


class CaseRepository(Protocol[T]):
    """What services may do with one kind of casework."""

    def get(self, object_id: int) -> T:
        """The object with this id (NotFound when there is none)."""
        ...

    def add(self, obj: T, *, actor: str) -> T:
        """Store a new object; returns it with its id and version 1."""
        ...

    def list_for_crn(self, crn: str) -> list[T]:
        """Every object about one person, oldest first."""
        ...

    def list_all(self) -> list[T]:
        """Every object of this kind, oldest first."""
        ...

    def save(self, obj: T, *, expected_version: int, actor: str) -> T:
        """Store an edit made to ``expected_version`` (ConflictError if stale)."""
        ...


class UserRepository(Protocol):
    """What services may do with users."""

    def get(self, object_id: int) -> User:
        """The user with this id."""
        ...

    def add(self, obj: User, *, actor: str) -> User:
        """Store a new user and their roles."""
        ...

    def save(self, obj: User, *, expected_version: int, actor: str) -> User:
        """Store an edit to a user (ConflictError if stale)."""
        ...

    def by_username(self, username: str) -> User:
        """The user with this user name."""
        ...

    def list_all(self) -> list[User]:
        """Every user, oldest first."""
        ...


class FinalDocumentRepository(Protocol):
    """What services may do with finalised documents: keep them and find them."""

    def add(self, doc: FinalDocument) -> FinalDocument:
        """Keep a finalised document (never changed afterwards)."""
        ...

    def find(self, *, kind: str, object_id: int, audience: str, fmt: str,
             version: int | None = None) -> FinalDocument | None:
        """The document issued for that version (the newest when None), or None."""
        ...

    def list_for(self, *, kind: str, object_id: int) -> list[FinalDocument]:
        """Every document issued for one early look or review, oldest first."""
        ...


class UnitOfWork(Protocol):
    """One transaction over the repositories and the audit trail."""

    # Read-only here, so each unit of work may hold its own (SQL or fake) repositories.
    @property
    def early_looks(self) -> CaseRepository[EarlyLook]: ...

    @property
    def reviews(self) -> CaseRepository[Review]: ...

    @property
    def working_context(self) -> CaseRepository[WorkingContextEntry]: ...

    @property
    def just_culture(self) -> CaseRepository[JustCultureRecord]: ...

    @property
    def actions(self) -> CaseRepository[Action]: ...

    @property
    def dip_plans(self) -> CaseRepository[DipPlan]: ...

    @property
    def dip_draws(self) -> CaseRepository[DipDraw]: ...

    @property
    def dip_results(self) -> CaseRepository[DipResult]: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def final_documents(self) -> FinalDocumentRepository: ...

    @property
    def audit(self) -> audit.AuditTrail: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def commit(self) -> None:
        """Make everything done so far permanent."""
        ...

    def rollback(self) -> None:
        """Undo everything done since the last commit."""
        ...


class SqlUnitOfWork:
    """A unit of work on a database: one Session, one transaction at a time."""

    early_looks: repos.SqlCaseRepository[EarlyLook]
    reviews: repos.SqlCaseRepository[Review]
    working_context: repos.SqlCaseRepository[WorkingContextEntry]
    just_culture: repos.SqlCaseRepository[JustCultureRecord]
    actions: repos.SqlCaseRepository[Action]
    dip_plans: repos.SqlCaseRepository[DipPlan]
    dip_draws: repos.SqlCaseRepository[DipDraw]
    dip_results: repos.SqlCaseRepository[DipResult]
    users: repos.SqlUserRepository
    final_documents: repos.SqlFinalDocuments
    audit: audit.SqlAuditTrail

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """The SQLModel session (only inside ``with``)."""
        if self._session is None:
            raise RuntimeError("Use the unit of work in a `with` block.")
        return self._session

    @property
    def connection(self) -> Connection:
        """The session's connection, in the same transaction, for core statements."""
        try:
            return self.session.connection()
        except _UNUSABLE as exc:
            raise self._translate(exc) from exc

    def _translate(self, exc: Exception) -> Exception:
        return store_engine.translate(exc, self.engine.url.render_as_string(hide_password=False))

    def __enter__(self) -> Self:
        self._session = Session(self.engine, expire_on_commit=False)
        try:
            self._session.connection()  # connect and begin now, so failures surface here
        except _UNUSABLE as exc:
            self._session.close()
            self._session = None
            raise self._translate(exc) from exc

        def conn() -> Connection:
            return self.connection

        self.early_looks = repos.SqlCaseRepository(repos.EARLY_LOOKS, conn)
        self.reviews = repos.SqlCaseRepository(repos.REVIEWS, conn)
        self.working_context = repos.SqlCaseRepository(repos.WORKING_CONTEXT, conn)
        self.just_culture = repos.SqlCaseRepository(repos.JUST_CULTURE, conn)
        self.actions = repos.SqlCaseRepository(repos.ACTIONS, conn)
        self.dip_plans = repos.SqlCaseRepository(repos.DIP_PLANS, conn, repos._plans_about)
        self.dip_draws = repos.SqlCaseRepository(repos.DIP_DRAWS, conn, repos._draws_about)
        self.dip_results = repos.SqlCaseRepository(repos.DIP_RESULTS, conn)
        self.users = repos.SqlUserRepository(conn)
        self.final_documents = repos.SqlFinalDocuments(conn)
        self.audit = audit.SqlAuditTrail(conn)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        session = self.session
        try:
            session.rollback()  # a no-op after commit(); otherwise nothing is kept
        except _UNUSABLE:
            pass  # the connection is gone: there is nothing left to roll back
        finally:
            session.close()
            self._session = None
        if isinstance(exc, _UNUSABLE):
            raise self._translate(exc) from exc

    def commit(self) -> None:
        """Make everything done so far permanent."""
        try:
            self.session.commit()
        except _UNUSABLE as exc:
            raise self._translate(exc) from exc

    def rollback(self) -> None:
        """Undo everything done since the last commit."""
        self.session.rollback()


class FakeUnitOfWork:
    """A unit of work in memory, for unit tests of services (no database)."""

    def __init__(self) -> None:
        results: repos.FakeRepository[DipResult] = repos.FakeRepository(repos.DIP_RESULTS)
        draws: repos.FakeRepository[DipDraw] = repos.FakeRepository(
            repos.DIP_DRAWS, lambda d, crn: any(
                r.draw_id == d.id and r.crn == crn for r in results.objects.values()))
        self.early_looks = repos.FakeRepository(repos.EARLY_LOOKS)
        self.reviews = repos.FakeRepository(repos.REVIEWS)
        self.working_context = repos.FakeRepository(repos.WORKING_CONTEXT)
        self.just_culture = repos.FakeRepository(repos.JUST_CULTURE)
        self.actions = repos.FakeRepository(repos.ACTIONS)
        self.dip_plans = repos.FakeRepository(
            repos.DIP_PLANS, lambda p, crn: any(d.plan_id == p.id
                                                for d in draws.list_for_crn(crn)))
        self.dip_draws = draws
        self.dip_results = results
        self.users = repos.FakeUserRepository()
        self.final_documents = repos.FakeFinalDocuments()
        self.audit = audit.FakeAuditTrail()
        self.commits = 0
        self._saved: dict[str, Any] | None = None

    def _state(self) -> dict[str, Any]:
        parts = {name: getattr(self, name) for name in
                 ("early_looks", "reviews", "working_context", "just_culture", "actions",
                  "dip_plans", "dip_draws", "dip_results", "users")}
        state: dict[str, Any] = {name: (r.objects, r.kept) for name, r in parts.items()}
        state["audit"] = self.audit.entries
        state["final_documents"] = self.final_documents.objects
        return copy.deepcopy(state)

    def _restore(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            if name == "audit":
                self.audit.entries = value
            elif name == "final_documents":
                self.final_documents.objects = value
            else:
                repo = getattr(self, name)
                repo.objects, repo.kept = value

    def __enter__(self) -> Self:
        self._saved = self._state()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.rollback()
        self._saved = None

    def commit(self) -> None:
        """Keep everything done so far."""
        self.commits += 1
        self._saved = self._state()

    def rollback(self) -> None:
        """Go back to the state at the last commit (or at entry)."""
        if self._saved is not None:
            self._restore(copy.deepcopy(self._saved))


if TYPE_CHECKING:
    def _both_are_units_of_work(sql: SqlUnitOfWork, fake: FakeUnitOfWork
                                ) -> tuple[UnitOfWork, UnitOfWork]:
        return sql, fake  # mypy checks that each has the whole interface
