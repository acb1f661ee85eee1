"""Cases in the store, as the app shows them: search, overview, upload of a bundle.

Every look at a person's records is written to the audit log (through
:func:`sfo.services.records.load_stored`); searching records what was
searched for. A person signed in to the app sees only the probation delivery
units their account covers.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sfo import bootstrap
from sfo.domain import access
from sfo.domain.access import Actor
from sfo.domain.records import TABLES, CaseRecords
from sfo.errors import InputError
from sfo.services import analysis
from sfo.services import records as stored

Progress = Callable[[str], None]
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
CONTRACT_FILES = {spec.filename for spec in TABLES.values()} | {"mapping.toml"}


def search(query: str, *, actor: Actor | str, url: str | None = None,
           limit: int = 50) -> list[dict[str, str]]:
    """People whose CRN starts with, or name contains, the query (the search is audited)."""
    from sfo.services import audit
    from sfo.store import records as store_records

    access.require(actor, "case.view")
    with bootstrap.engine_for(url) as engine, bootstrap.unit_of_work(engine) as uow:
        found = store_records.find_people(uow.connection, query, limit=limit * 4)
        found = [p for p in found if access.can_see_case(actor, p["pdu"])][:limit]
        audit.record(uow, actor=actor, action="search", object_type="case", object_id="*",
                     crn=None, summary=f"searched for {query.strip()!r}: {len(found)} found")
        uow.commit()
    return found


def latest_import(*, url: str | None = None) -> int:
    """The newest import's number (0 before any): cached records are stale when it changes."""
    from sfo.store import records as store_records

    with bootstrap.engine_for(url) as engine, bootstrap.unit_of_work(engine) as uow:
        return store_records.latest_import(uow.connection)


def open_case(crn: str, *, actor: Actor | str, url: str | None = None,
              purpose: str = "") -> CaseRecords:
    """One person's stored records (the look is audited with its purpose)."""
    return stored.load_stored(url, crns=[crn], actor=actor,
                              purpose=purpose or f"looked at the case of {crn}")


@dataclass(frozen=True)
class Overview:
    """What the case page shows first: the case as it stood, its findings, its casework."""

    summary: dict[str, Any]
    as_of: date
    as_of_source: str
    counts: dict[str, int]           # findings by kind: gap, context, good_practice
    not_checked: tuple[str, ...]
    early_looks: tuple[tuple[int, str, date], ...]    # (id, status, as of)
    reviews: tuple[tuple[int, str, int], ...]         # (id, status, review version)


def overview(records: CaseRecords, crn: str, *, actor: Actor | str,
             url: str | None = None) -> Overview:
    """The case summary, its findings counts and its early looks and reviews."""
    report = analysis.findings_for(records, crn=crn)
    (case,) = report.cases
    counts: dict[str, int] = {"gap": 0, "context": 0, "good_practice": 0}
    for f in case.findings:
        counts[f.kind] = counts.get(f.kind, 0) + 1
    looks: tuple[tuple[int, str, date], ...] = ()
    reviewed: tuple[tuple[int, str, int], ...] = ()
    with bootstrap.engine_for(url) as engine, bootstrap.unit_of_work(engine) as uow:
        if access.can(actor, "early_look.view"):
            looks = tuple((int(o.id or 0), o.status, o.as_of)
                          for o in uow.early_looks.list_for_crn(crn))
        if access.can(actor, "review.view"):
            reviewed = tuple((int(o.id or 0), o.status, int(o.content.get("version", 1)))
                             for o in uow.reviews.list_for_crn(crn))
    return Overview(analysis.case_summary(records, crn, case.as_of), case.as_of,
                    case.as_of_source, counts,
                    tuple(f"{n.rule_id}: {n.reason}" for n in case.not_checked),
                    looks, reviewed)


def import_upload(files: Sequence[tuple[str, bytes]], *, actor: Actor | str,
                  url: str | None = None, progress: Progress | None = None
                  ) -> stored.ImportReport:
    """Import an uploaded bundle: one .zip, or the CSV files themselves (all or nothing)."""
    access.require(actor, "case.import")
    if not files:
        raise InputError("Choose the bundle to import: a .zip of the folder, or its CSV files "
                         "(people.csv and contacts.csv at least).")
    with tempfile.TemporaryDirectory(prefix="sfo-upload-") as tmp:
        folder = Path(tmp)
        names = [name for name, _ in files]
        if len(files) == 1 and names[0].lower().endswith(".zip"):
            target = folder / _safe(names[0])
            target.write_bytes(files[0][1])
            if not zipfile.is_zipfile(target):
                raise InputError(f"{names[0]} is not a zip file that can be opened. Zip the "
                                 "bundle's folder again, or upload its CSV files instead.")
        else:
            target = folder / "bundle"
            target.mkdir()
            unknown = sorted(n for n in names if Path(n).name not in CONTRACT_FILES)
            if unknown:
                csvs = ", ".join(sorted(f for f in CONTRACT_FILES if f.endswith(".csv")))
                raise InputError(
                    f"{', '.join(unknown)}: not a file of the data contract. Upload one .zip, "
                    f"or the CSV files with their contract names ({csvs}) and mapping.toml "
                    "if the export needs one.")
            for name, data in files:
                (target / Path(name).name).write_bytes(data)
        mapping = target / "mapping.toml" if (target / "mapping.toml").exists() else None
        label = (names[0] if target.suffix == ".zip"
                 else "uploaded (" + ", ".join(sorted(Path(n).name for n in names)) + ")")
        return stored.import_bundle(target, mapping=mapping, url=url, actor=actor,
                                    progress=progress, source=label)


def _safe(name: str) -> str:
    return _SAFE_NAME.sub("_", Path(name).name) or "bundle.zip"
