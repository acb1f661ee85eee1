"""Test factories: small, valid, synthetic bundles written to disk.

``minimal_bundle_rows()`` gives a consistent set of rows for every table of
the data contract (made-up people and staff); tests change a few cells and
write the bundle with ``write_bundle``. Nothing here is real data.
"""

from __future__ import annotations

import copy
import csv
import io
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

Rows = list[dict[str, str]]

_MINIMAL: dict[str, Rows] = {
    "people": [
        {"crn": "X320741", "name": "Alex Example", "date_of_birth": "1990-04-12",
         "gender": "M", "pdu": "North Testshire", "team_code": "N07UAT"},
        {"crn": "X320742", "name": "Sam Sample", "date_of_birth": "1985-11-30",
         "gender": "F", "pdu": "North Testshire", "team_code": "N07UAT"},
    ],
    "events": [
        {"crn": "X320741", "event_id": "E1", "sentence_type": "community_order",
         "sentence_date": "2024-01-08", "release_date": "", "expected_end_date": "2025-01-07",
         "terminated_date": "", "index_offence": "Assault (domestic)",
         "requirements": "rar;alcohol_treatment"},
        {"crn": "X320742", "event_id": "E2", "sentence_type": "licence",
         "sentence_date": "2023-06-01", "release_date": "2024-02-05",
         "expected_end_date": "2024-12-01", "terminated_date": "", "index_offence": "Burglary",
         "requirements": ""},
    ],
    "contacts": [
        {"contact_id": "C1001", "crn": "X320741", "event_id": "E1", "contact_date": "2024-01-10",
         "contact_time": "10:00", "type_code": "COAI", "type_description": "Initial appointment",
         "national_standard": "", "outcome_code": "ATTC", "enforcement_code": "",
         "staff_code": "N07A726", "team_code": "N07UAT", "sensitive": "N",
         "notes": "Induction completed.\nLicence conditions explained."},
        {"contact_id": "C1002", "crn": "X320741", "event_id": "E1", "contact_date": "2024-01-17",
         "contact_time": "14:30", "type_code": "COAP", "type_description": "Planned office visit",
         "national_standard": "Y", "outcome_code": "UAAB", "enforcement_code": "EA02",
         "staff_code": "N07A726", "team_code": "N07UAT", "sensitive": "",
         "notes": "Did not attend, no contact."},
        {"contact_id": "C1003", "crn": "X320742", "event_id": "E2", "contact_date": "2024-02-05",
         "contact_time": "09:15", "type_code": "COHV", "type_description": "Home visit",
         "national_standard": "", "outcome_code": "ATTC", "enforcement_code": "",
         "staff_code": "N07B101", "team_code": "N07UAT", "sensitive": "N", "notes": ""},
        {"contact_id": "C1004", "crn": "X320742", "event_id": "", "contact_date": "2024-02-06",
         "contact_time": "", "type_code": "C369", "type_description": "Police check",
         "national_standard": "", "outcome_code": "", "enforcement_code": "",
         "staff_code": "N07B101", "team_code": "N07UAT", "sensitive": "Y",
         "notes": "Police check requested."},
    ],
    "assessments": [
        {"assessment_id": "A1", "crn": "X320741", "assessment_type": "OASYS_LAYER3",
         "initiated_date": "2024-01-10", "completed_date": "2024-01-24", "status": "COMPLETE",
         "rosh_overall": "MEDIUM", "rosh_public": "LOW", "rosh_known_adult": "MEDIUM",
         "rosh_children": "LOW", "rosh_staff": "LOW", "ogrs_2yr": "34", "rsr": "2.1",
         "staff_code": "N07A726"},
    ],
    "registrations": [
        {"registration_id": "R1", "crn": "X320741", "type_code": "ADVP",
         "registered_date": "2024-01-09", "next_review_date": "2024-04-09",
         "deregistered_date": "", "level": "", "category": ""},
        {"registration_id": "R2", "crn": "X320742", "type_code": "MAPP",
         "registered_date": "2024-02-05", "next_review_date": "", "deregistered_date": "",
         "level": "M2", "category": "M1"},
    ],
    "allocations": [
        {"crn": "X320741", "staff_code": "N07A726", "allocated_from": "2024-01-08",
         "allocated_to": "", "reason_code": "IN1"},
        {"crn": "X320742", "staff_code": "N07UATU", "allocated_from": "2024-02-05",
         "allocated_to": "2024-02-06", "reason_code": "IN1"},
        {"crn": "X320742", "staff_code": "N07B101", "allocated_from": "2024-02-06",
         "allocated_to": "", "reason_code": "RO"},
    ],
    "staff": [
        {"staff_code": "N07A726", "name": "Jo Officer", "grade": "PO", "team_code": "N07UAT",
         "in_role_since": "2019-09-01", "contracted_hours": "37"},
        {"staff_code": "N07B101", "name": "Kim Trainee", "grade": "PQIP",
         "team_code": "N07UAT", "in_role_since": "2023-10-01", "contracted_hours": "30"},
        {"staff_code": "N07S001", "name": "Lee Manager", "grade": "SPO",
         "team_code": "N07UAT", "in_role_since": "2015-01-01", "contracted_hours": ""},
    ],
    "workload": [
        {"staff_code": "N07A726", "week_start": "2024-01-08", "capacity_pct": "112.5",
         "caseload_count": "48"},
        {"staff_code": "N07A726", "week_start": "2024-01-15", "capacity_pct": "118",
         "caseload_count": "51"},
    ],
    "training": [
        {"staff_code": "N07A726", "course_code": "DA-SARA", "course_title": "Domestic abuse",
         "status": "completed", "status_date": "2021-03-02"},
        {"staff_code": "N07B101", "course_code": "SAFEGUARDING-CHILDREN",
         "course_title": "Safeguarding children", "status": "not_available",
         "status_date": ""},
    ],
    "supervision": [
        {"staff_code": "N07A726", "supervision_date": "2024-01-03",
         "supervisor_code": "N07S001", "kind": "formal"},
    ],
    "teams": [
        {"team_code": "N07UAT", "month": "2024-01", "establishment_fte": "10",
         "in_post_fte": "7.5"},
    ],
}


def minimal_bundle_rows() -> dict[str, Rows]:
    """A valid, consistent set of rows for every table (a fresh copy each call)."""
    return copy.deepcopy(_MINIMAL)


def csv_text(rows: Sequence[Mapping[str, str]], *, columns: Sequence[str] | None = None,
             newline: str = "\r\n") -> str:
    """Rows as CSV text (header first), quoting only where needed, as Excel does."""
    header = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(col, "") for col in header])
    return out.getvalue()


def write_csv(path: Path, rows: Sequence[Mapping[str, str]], *,
              columns: Sequence[str] | None = None, encoding: str = "utf-8",
              newline: str = "\r\n") -> Path:
    """Write one CSV file; ``encoding`` may be 'utf-8-sig' (BOM) or 'cp1252' (Excel)."""
    path.write_bytes(csv_text(rows, columns=columns, newline=newline).encode(encoding))
    return path


def write_bundle(directory: Path, tables: Mapping[str, Sequence[Mapping[str, str]]], *,
                 encoding: str = "utf-8", encodings: Mapping[str, str] | None = None,
                 columns: Mapping[str, Sequence[str]] | None = None,
                 raw: Mapping[str, bytes] | None = None, newline: str = "\r\n") -> Path:
    """Write ``<table>.csv`` for each table into ``directory`` (created); returns it.

    ``encodings`` and ``columns`` override per table; ``raw`` writes exact
    bytes for a file name (for broken files).
    """
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        write_csv(directory / f"{name}.csv", rows,
                  columns=(columns or {}).get(name),
                  encoding=(encodings or {}).get(name, encoding), newline=newline)
    for filename, data in (raw or {}).items():
        (directory / filename).write_bytes(data)
    return directory


def zip_bundle(directory: Path, zip_path: Path, *, folder: str | None = "bundle",
               extra: Mapping[str, bytes] | None = None) -> Path:
    """Zip a bundle folder's files, inside ``folder`` (None: at the zip's root).

    ``extra`` adds entries with exact names (e.g. unsafe paths).
    """
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(directory.iterdir()):
            name = f"{folder}/{file.name}" if folder else file.name
            archive.write(file, name)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return zip_path
