"""Case records in the store: import a bundle into it, read stored cases back.

The verbs behind ``sfo import`` and ``--db`` on ``sfo findings`` and
``sfo timeline``. An import reads and checks the whole bundle first (a bad
bundle is refused with every problem before the database is touched), then
writes it in one transaction: all of it or, on any failure, none of it.
Reading a person's stored case is recorded in the audit log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sfo import bootstrap, config, importers
from sfo.domain import access
from sfo.domain.access import Actor
from sfo.domain.records import TABLES, CaseRecords
from sfo.errors import NotFound
from sfo.services import analysis
from sfo.store import audit, schema
from sfo.store import engine as store_engine
from sfo.store import records as store_records

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ImportReport:
    """What ``import_bundle`` stored, where, and the importer's warnings."""

    summary: store_records.ImportSummary
    database: str                     # the database, password hidden
    warnings: tuple[str, ...]

    @property
    def changed(self) -> bool:
        """Whether the import added, changed or removed any record."""
        return self.summary.changed


def bundle_files(bundle: str | Path, records: CaseRecords,
                 mapping: str | Path | None = None) -> list[dict[str, Any]]:
    """The provenance of an import: each file read, its SHA-256 and its records."""
    limit = int(config.setting("SFO_MAX_UNZIPPED_MB"))
    files: list[dict[str, Any]] = []
    for name, digest in importers.file_hashes(Path(bundle), max_unzipped_mb=limit).items():
        table = next((t for t, spec in TABLES.items() if spec.filename == name), None)
        rows = len(records.table(table)) if table is not None and records.has(table) else None
        files.append({"name": name, "sha256": digest, "rows": rows})
    if mapping is not None:
        data = Path(mapping).read_bytes()
        files.append({"name": Path(mapping).name, "sha256": hashlib.sha256(data).hexdigest(),
                      "rows": None, "role": "mapping"})
    return files


def import_bundle(bundle: str | Path, *, mapping: str | Path | None = None,
                  url: str | None = None, actor: Actor | str,
                  progress: Progress | None = None, source: str | None = None
                  ) -> ImportReport:
    """Check a bundle, then store it in one transaction (all or nothing): `sfo import`.

    ``source`` names the bundle in messages and in the import's provenance
    (default: its path), for a bundle that was uploaded into a temporary folder.
    """
    from sfo.errors import BundleInvalid

    access.require(actor, "case.import")
    try:
        records = analysis.load(bundle, mapping=mapping, progress=progress)
    except BundleInvalid as exc:
        if source is None:
            raise
        raise BundleInvalid(exc.problems, total=exc.total, source=source) from None
    files = bundle_files(bundle, records, mapping)
    target = url or bootstrap.database_url()
    engine = bootstrap.engine(target)
    try:
        schema.check(engine)
        with bootstrap.unit_of_work(engine) as uow:
            summary = store_records.store_bundle(
                uow.connection, records, source=source or str(bundle), files=files,
                imported_by=access.name_of(actor), progress=progress)
            uow.commit()
    finally:
        engine.dispose()
    return ImportReport(summary=summary, database=store_engine.describe(target),
                        warnings=records.warnings)


def load_stored(url: str | None = None, *, crns: Sequence[str] | None = None,
                actor: Actor | str, purpose: str = "") -> CaseRecords:
    """The stored records of some people (or everyone), the reading audited.

    A person signed in to the app needs a role that may look at case records,
    and sees only the probation delivery units their account covers.
    ``purpose`` says in the audit log why the records were read.
    """
    access.require(actor, "case.view")
    target = url or bootstrap.database_url()
    where = store_engine.describe(target)
    engine = bootstrap.engine(target)
    try:
        schema.check(engine)
        with bootstrap.unit_of_work(engine) as uow:
            conn = uow.connection
            records = store_records.load_records(conn, crns=crns)
            if not records.supplied:
                raise NotFound(f"Nothing has been imported into {where} yet: import a bundle "
                               "first with `sfo import BUNDLE`.")
            people = records.table("people")
            found = set(people["crn"].tolist())
            if crns is not None:
                missing = sorted(set(crns) - found)
                if missing:
                    raise NotFound(f"No person with CRN {', '.join(missing)} has been "
                                   f"imported into {where}.")
                pdus = dict(zip(people["crn"], people["pdu"], strict=True))
                for crn in sorted(found):
                    access.require_case(actor, crn, pdus.get(crn))
                    audit.append(conn, actor=access.name_of(actor), action="view",
                                 object_type="case", object_id=crn, crn=crn,
                                 summary=purpose or f"read the stored case records of {crn}")
            else:
                if isinstance(actor, Actor) and actor.pdus:
                    records = records.for_people(sorted(
                        c for c, p in zip(people["crn"], people["pdu"], strict=True)
                        if access.can_see_case(actor, p)))
                    found = set(records.table("people")["crn"].tolist())
                audit.append(conn, actor=access.name_of(actor), action="view",
                             object_type="case_records", object_id="all",
                             summary=purpose or f"read the stored case records of all "
                                                f"{len(found)} people")
            uow.commit()
    finally:
        engine.dispose()
    return records


def check_case_access(actor: Actor | str, crn: str, uow: Any) -> None:
    """Refuse a person outside the units the actor's account covers (PermissionDenied).

    ``uow`` is the caller's open unit of work (SQLite allows one writer at a time,
    so the check reads through it rather than opening another).
    """
    if not isinstance(actor, Actor) or not actor.pdus:
        return
    pdu = store_records.people_pdus(uow.connection, [crn]).get(crn)
    access.require_case(actor, crn, pdu)
