"""Case records: the validated, in-memory form of a bundle.

A bundle (see docs/data-contract.md) is a set of tables. Each is held as a
pandas DataFrame with the canonical columns below, plus:

- ``row``: the spreadsheet row the record came from (the header is row 1), so
  any later message can point back at the file;
- ``record_id``: a stable identifier used as evidence in findings (the
  contract's own id where there is one, otherwise ``<table>:<row>``).

Dates are ``datetime64[ns]`` at midnight (NaT when empty), booleans are
``bool``, numbers ``float64`` (NaN when empty), everything else is a string
column (missing values are ``<NA>``). Extra columns from the export are kept.

Tables that were not supplied are empty frames with the canonical columns and
are absent from ``CaseRecords.supplied``: "not supplied" is never the same as
"nothing happened".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

ColumnKind = Literal[
    "crn", "staff_code", "team_code", "id", "text", "code", "date", "time", "bool", "number",
    "month", "list",
]


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the data contract."""

    name: str
    kind: ColumnKind
    required: bool = False
    # For "code" columns: the closed list of allowed values (None = open list,
    # unknown values are kept and reported as a warning by the importer).
    allowed: tuple[str, ...] | None = None


@dataclass(frozen=True)
class TableSpec:
    """One file of a bundle."""

    name: str
    columns: tuple[ColumnSpec, ...]
    required: bool = False
    # Columns whose combination must be unique within the file.
    key: tuple[str, ...] = ()
    # Column whose value becomes ``record_id`` (None: ``<table>:<row>``).
    id_column: str | None = None

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> ColumnSpec:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)


ROSH_LEVELS: tuple[str, ...] = ("LOW", "MEDIUM", "HIGH", "VERY_HIGH")
SENTENCE_TYPES: tuple[str, ...] = (
    "community_order", "suspended_sentence_order", "licence", "post_sentence_supervision",
)
ASSESSMENT_TYPES: tuple[str, ...] = ("OASYS_LAYER3", "OASYS_LAYER1", "SARA", "OTHER")
ASSESSMENT_STATUSES: tuple[str, ...] = ("COMPLETE", "LOCKED_INCOMPLETE", "IN_PROGRESS")
GRADES: tuple[str, ...] = ("PSO", "PQIP", "PO", "SPO", "OTHER")
TRAINING_STATUSES: tuple[str, ...] = (
    "completed", "booked", "not_available", "overdue", "not_started",
)
SUPERVISION_KINDS: tuple[str, ...] = ("formal", "case_discussion", "reflective")
ALLOCATION_REASONS: tuple[str, ...] = ("IN1", "RO", "AR02", "CTR", "OFL", "TIN", "OTH")
MAPPA_LEVELS: tuple[str, ...] = ("M1", "M2", "M3")
MAPPA_CATEGORIES: tuple[str, ...] = ("M1", "M2", "M3", "M4")


def _c(name: str, kind: ColumnKind, required: bool = False,
       allowed: tuple[str, ...] | None = None) -> ColumnSpec:
    return ColumnSpec(name, kind, required, allowed)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "people",
            (
                _c("crn", "crn", True), _c("name", "text"), _c("date_of_birth", "date"),
                _c("gender", "text"), _c("pdu", "text"), _c("team_code", "team_code"),
            ),
            required=True, key=("crn",), id_column="crn",
        ),
        TableSpec(
            "events",
            (
                _c("crn", "crn", True), _c("event_id", "id", True),
                _c("sentence_type", "code", True, SENTENCE_TYPES),
                _c("sentence_date", "date", True), _c("release_date", "date"),
                _c("expected_end_date", "date"), _c("terminated_date", "date"),
                _c("index_offence", "text"), _c("requirements", "list"),
            ),
            key=("crn", "event_id"), id_column="event_id",
        ),
        TableSpec(
            "contacts",
            (
                _c("contact_id", "id", True), _c("crn", "crn", True), _c("event_id", "id"),
                _c("contact_date", "date", True), _c("contact_time", "time"),
                _c("type_code", "code", True), _c("type_description", "text"),
                _c("national_standard", "bool"), _c("outcome_code", "code"),
                _c("enforcement_code", "code"), _c("staff_code", "staff_code"),
                _c("team_code", "team_code"), _c("sensitive", "bool"), _c("notes", "text"),
            ),
            required=True, key=("contact_id",), id_column="contact_id",
        ),
        TableSpec(
            "assessments",
            (
                _c("assessment_id", "id", True), _c("crn", "crn", True),
                _c("assessment_type", "code", True, ASSESSMENT_TYPES),
                _c("initiated_date", "date", True), _c("completed_date", "date"),
                _c("status", "code", False, ASSESSMENT_STATUSES),
                _c("rosh_overall", "code", False, ROSH_LEVELS),
                _c("rosh_public", "code", False, ROSH_LEVELS),
                _c("rosh_known_adult", "code", False, ROSH_LEVELS),
                _c("rosh_children", "code", False, ROSH_LEVELS),
                _c("rosh_staff", "code", False, ROSH_LEVELS),
                _c("ogrs_2yr", "number"), _c("rsr", "number"), _c("staff_code", "staff_code"),
            ),
            key=("assessment_id",), id_column="assessment_id",
        ),
        TableSpec(
            "registrations",
            (
                _c("registration_id", "id", True), _c("crn", "crn", True),
                _c("type_code", "code", True), _c("registered_date", "date", True),
                _c("next_review_date", "date"), _c("deregistered_date", "date"),
                _c("level", "code", False, MAPPA_LEVELS),
                _c("category", "code", False, MAPPA_CATEGORIES),
            ),
            key=("registration_id",), id_column="registration_id",
        ),
        TableSpec(
            "allocations",
            (
                _c("crn", "crn", True), _c("staff_code", "staff_code", True),
                _c("allocated_from", "date", True), _c("allocated_to", "date"),
                _c("reason_code", "code", False, ALLOCATION_REASONS),
            ),
        ),
        TableSpec(
            "staff",
            (
                _c("staff_code", "staff_code", True), _c("name", "text"),
                _c("grade", "code", True, GRADES), _c("team_code", "team_code"),
                _c("in_role_since", "date"), _c("contracted_hours", "number"),
            ),
            key=("staff_code",), id_column="staff_code",
        ),
        TableSpec(
            "workload",
            (
                _c("staff_code", "staff_code", True), _c("week_start", "date", True),
                _c("capacity_pct", "number", True), _c("caseload_count", "number"),
            ),
            key=("staff_code", "week_start"),
        ),
        TableSpec(
            "training",
            (
                _c("staff_code", "staff_code", True), _c("course_code", "text", True),
                _c("course_title", "text"),
                _c("status", "code", True, TRAINING_STATUSES), _c("status_date", "date"),
            ),
        ),
        TableSpec(
            "supervision",
            (
                _c("staff_code", "staff_code", True), _c("supervision_date", "date", True),
                _c("supervisor_code", "staff_code"),
                _c("kind", "code", True, SUPERVISION_KINDS),
            ),
        ),
        TableSpec(
            "teams",
            (
                _c("team_code", "team_code", True), _c("month", "month", True),
                _c("establishment_fte", "number", True), _c("in_post_fte", "number", True),
            ),
            key=("team_code", "month"),
        ),
    )
}

TABLE_ORDER: tuple[str, ...] = tuple(TABLES)


def empty_table(name: str) -> pd.DataFrame:
    """An empty frame with the canonical columns and dtypes of one table."""
    spec = TABLES[name]
    data: dict[str, pd.Series] = {
        "row": pd.Series([], dtype="int64"),
        "record_id": pd.Series([], dtype="str"),
    }
    for col in spec.columns:
        data[col.name] = pd.Series([], dtype=_dtype(col.kind))
    return pd.DataFrame(data)


def _dtype(kind: ColumnKind) -> str:
    if kind in ("date", "month"):
        return "datetime64[ns]"
    if kind == "bool":
        return "bool"
    if kind == "number":
        return "float64"
    return "str"


@dataclass(frozen=True)
class CaseRecords:
    """All tables of one bundle, validated, with what was and was not supplied."""

    tables: dict[str, pd.DataFrame]
    supplied: frozenset[str]
    source: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __getattr__(self, name: str) -> pd.DataFrame:
        # Convenience: records.contacts, records.people, ...
        tables = self.__dict__.get("tables")
        if tables is not None and name in tables:
            return tables[name]
        raise AttributeError(name)

    def table(self, name: str) -> pd.DataFrame:
        """The frame for one table (empty with canonical columns if not supplied)."""
        return self.tables[name]

    def has(self, name: str) -> bool:
        """Whether the bundle supplied this table (an empty file still counts)."""
        return name in self.supplied

    @property
    def crns(self) -> list[str]:
        """All people in the bundle, sorted."""
        return sorted(self.tables["people"]["crn"].tolist())

    def for_people(self, crns: list[str] | set[str]) -> CaseRecords:
        """The same records restricted to some people (staff-level tables kept whole)."""
        wanted = set(crns)
        out: dict[str, pd.DataFrame] = {}
        for name, frame in self.tables.items():
            if "crn" in frame.columns:
                out[name] = frame[frame["crn"].isin(wanted)].reset_index(drop=True)
            else:
                out[name] = frame
        return CaseRecords(out, self.supplied, self.source, self.warnings)
