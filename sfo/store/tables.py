"""Every table of the store, in one module.

Nothing is created or connected here: this module only describes tables (on
``metadata``); engines are built by :mod:`sfo.store.engine` and the schema by
the Alembic migrations.

Imported case records
    One table per file of the data contract, ``rec_<name>``, built from
    :data:`sfo.domain.records.TABLES` so that the contract has one
    definition. Each row keeps its contract columns (typed), the extra
    columns of the export as JSON (``extras``), and its provenance: the
    import that last wrote it (``import_id`` -> ``imports``, which names the
    file, its SHA-256, who imported it and when) and its row in that file.
    ``record_key`` identifies a record across exports: the contract's key
    columns where the file has them, otherwise a hash of the row's contract
    values (so a changed row of such a file is a removal and an addition).
    ``row_hash`` detects a changed record.

Casework (what users write)
    Early looks, reviews, findings snapshots, working-context entries,
    just-culture records, actions, dip-sample plans, draws and results,
    users and roles. Everything a user edits has a ``version`` column for
    optimistic locking: a save names the version it started from, and a
    stale save is refused (``sfo.errors.ConflictError``), never applied.
    Content that later parts of the toolkit shape (the early look's answers,
    a review's sections) is held as JSON in ``content``. Each row maps to a
    frozen dataclass of :mod:`sfo.domain.casework` (see
    :mod:`sfo.store.repositories`).

Versions (nothing entered is lost)
    ``casework_versions``: every version of every casework record as it was
    saved (its fields as JSON, who saved it and when), written in the same
    transaction as the save. A later save never destroys what an earlier one
    wrote, and a refused save can say exactly what the other person changed
    since the version it started from. (A user's password hash is never
    copied there.)

Audit
    ``audit_log``: append-only, each entry hash-chained to the one before;
    ``audit_head``: the latest entry's number and hash (see
    :mod:`sfo.store.audit`).

Schema revision
    ``alembic_version`` (written by the migrations in
    :mod:`sfo.store.migrations`, not described here): the revision the
    database is at, checked by :func:`sfo.store.schema.check`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, SQLModel

from sfo.domain import casework
from sfo.domain.records import TABLES, ColumnKind, TableSpec

metadata = SQLModel.metadata
# Every constraint and index has a predictable name, so a later migration can
# name what it drops or alters (SQLite's batch migrations need this). Set
# before any table below is described.
metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES: tuple[str, ...] = casework.ROLES
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _type(kind: ColumnKind) -> sa.types.TypeEngine[Any]:
    if kind in ("date", "month"):
        return sa.Date()
    if kind == "bool":
        return sa.Boolean()
    if kind == "number":
        return sa.Float()
    return sa.Text()


def _record_table(spec: TableSpec) -> sa.Table:
    columns: list[sa.Column[Any]] = [
        sa.Column("record_key", sa.Text(), primary_key=True),
        sa.Column("record_id", sa.Text(), nullable=False),
    ]
    for col in spec.columns:
        columns.append(sa.Column(col.name, _type(col.kind), nullable=True,
                                 index=col.name in ("crn", "staff_code")))
    columns += [
        sa.Column("extras", sa.Text(), nullable=True),     # JSON of the export's extra columns
        sa.Column("row_hash", sa.Text(), nullable=False),
        sa.Column("import_id", sa.Integer(), sa.ForeignKey("imports.id"), nullable=False,
                  index=True),
        sa.Column("source_row", sa.Integer(), nullable=False),
    ]
    return sa.Table(f"rec_{spec.name}", metadata, *columns)


class ImportRun(SQLModel, table=True):
    """One import of a bundle: what was read, by whom, and what it changed."""

    __tablename__ = "imports"

    id: int | None = Field(default=None, primary_key=True)
    source: str
    bundle_hash: str = Field(index=True)     # SHA-256 over the files' names and hashes
    imported_by: str
    imported_at: datetime
    files: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    summary: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    warnings: list[str] = Field(default_factory=list, sa_type=JSON)


RECORD_TABLES: dict[str, sa.Table] = {name: _record_table(spec) for name, spec in TABLES.items()}


class User(SQLModel, table=True):
    """A local account (passwords only as slow hashes)."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True)
    display_name: str
    password_hash: str | None = None
    region: str | None = None
    failed_logins: int = 0
    locked_until: datetime | None = None
    active: bool = True
    created_at: datetime
    updated_by: str
    updated_at: datetime
    version: int = 1


class UserRole(SQLModel, table=True):
    """A role held by a user (manager, reviewer, quality, hr, admin)."""

    __tablename__ = "user_roles"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    role: str = Field(primary_key=True)


class _Editable(SQLModel):
    """Columns every user-edited record has: who, when, and the lock version."""

    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    version: int = 1


class EarlyLook(_Editable, table=True):
    """A manager's early look at a case after a serious further offence is alleged."""

    __tablename__ = "early_looks"

    id: int | None = Field(default=None, primary_key=True)
    crn: str = Field(index=True)
    as_of: date
    status: str = "draft"                       # draft | final
    content: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    finalised_at: datetime | None = None
    fingerprint: str | None = None              # SHA-256 of the finalised document


class Review(_Editable, table=True):
    """An SFO review of a case."""

    __tablename__ = "reviews"

    id: int | None = Field(default=None, primary_key=True)
    crn: str = Field(index=True)
    as_of: date
    status: str = "draft"
    content: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    finalised_at: datetime | None = None
    fingerprint: str | None = None


class FindingsSnapshot(SQLModel, table=True):
    """The findings for a case as they stood when an early look or review used them."""

    __tablename__ = "findings_snapshots"

    id: int | None = Field(default=None, primary_key=True)
    crn: str = Field(index=True)
    as_of: date
    rule_pack: str
    taken_by: str
    taken_at: datetime
    early_look_id: int | None = Field(default=None, foreign_key="early_looks.id")
    review_id: int | None = Field(default=None, foreign_key="reviews.id")
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    fingerprint: str


class WorkingContextEntry(_Editable, table=True):
    """One fact about the conditions a practitioner worked under (restricted if personal)."""

    __tablename__ = "working_context_entries"

    id: int | None = Field(default=None, primary_key=True)
    crn: str = Field(index=True)
    early_look_id: int | None = Field(default=None, foreign_key="early_looks.id")
    review_id: int | None = Field(default=None, foreign_key="reviews.id")
    category: str                              # workload, training, supervision, ...
    text: str
    is_mitigation: bool = False
    restricted: bool = False                    # personal circumstances: manager, reviewer, HR
    source: str = "entered"                     # entered | bundle


class JustCultureRecord(_Editable, table=True):
    """The just-culture sequence worked through for one act or omission."""

    __tablename__ = "just_culture_records"

    id: int | None = Field(default=None, primary_key=True)
    crn: str = Field(index=True)
    early_look_id: int | None = Field(default=None, foreign_key="early_looks.id")
    review_id: int | None = Field(default=None, foreign_key="reviews.id")
    act: str
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class Action(_Editable, table=True):
    """An action: specific, owned by a role (never a person), dated, with a status."""

    __tablename__ = "actions"

    id: int | None = Field(default=None, primary_key=True)
    crn: str = Field(index=True)
    early_look_id: int | None = Field(default=None, foreign_key="early_looks.id")
    review_id: int | None = Field(default=None, foreign_key="reviews.id")
    description: str
    owner_role: str
    due: date | None = None
    status: str = "open"
    links: list[str] = Field(default_factory=list, sa_type=JSON)


class DipPlan(_Editable, table=True):
    """A planned dip sample (the size and why)."""

    __tablename__ = "dip_plans"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    purpose: str = ""
    plan: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class DipDraw(_Editable, table=True):
    """A drawn dip sample: its draw record and selection log."""

    __tablename__ = "dip_draws"

    id: int | None = Field(default=None, primary_key=True)
    plan_id: int | None = Field(default=None, foreign_key="dip_plans.id")
    record: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    log: str = ""                                # the selection log as JSON lines


class DipResult(_Editable, table=True):
    """One answer to one checklist question for one sampled case."""

    __tablename__ = "dip_results"
    __table_args__ = (sa.UniqueConstraint("draw_id", "crn", "question_id", "reviewer"),)

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="dip_draws.id", index=True)
    crn: str
    question_id: str
    answer: str
    reviewer: str
    comment: str = ""


class CaseworkVersion(SQLModel, table=True):
    """One saved version of one casework record, kept for good (nothing entered is lost)."""

    __tablename__ = "casework_versions"

    object_type: str = Field(primary_key=True)   # the record's table, e.g. early_looks
    object_id: int = Field(primary_key=True)
    version: int = Field(primary_key=True)
    saved_by: str
    saved_at: datetime
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)   # the edited fields


class AuditEntry(SQLModel, table=True):
    """One entry of the append-only, hash-chained audit log."""

    __tablename__ = "audit_log"

    seq: int = Field(primary_key=True)           # 1, 2, 3, ... with no gaps
    at: datetime = Field(index=True)             # the audit log browser filters by day
    actor: str
    action: str = Field(index=True)              # view, import, create, update, finalise, ...
    object_type: str
    object_id: str
    crn: str | None = Field(default=None, index=True)
    summary: str = ""
    prev_hash: str
    entry_hash: str


class AuditHead(SQLModel, table=True):
    """The latest entry of the audit log, kept apart so that cutting entries off is seen."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int
    entry_hash: str


class FinalDocument(SQLModel, table=True):
    """A finalised document as issued: immutable (never updated) and fingerprinted."""

    __tablename__ = "final_documents"

    id: int | None = Field(default=None, primary_key=True)
    kind: str                                    # early_look | review | dip_report
    object_id: int = Field(index=True)
    # Of the subject (a reopened review's version 2, ...); older rows are version 1.
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    crn: str | None = Field(default=None, index=True)
    audience: str                                # restricted | shared | family
    format: str                                  # docx | html | pdf
    fingerprint: str                             # of the content (printed in the footer)
    file_sha256: str                             # of these bytes
    data: bytes = Field(sa_type=sa.LargeBinary)
    context: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_by: str
    created_at: datetime
