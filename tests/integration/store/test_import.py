"""Importing bundles into the store, and reading them back, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import threading
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from fixtures.generate import generate_bundle
from sfo import cli, importers
from sfo.domain.records import TABLE_ORDER, TABLES, CaseRecords
from sfo.errors import InputError, NotFound, StoreError
from sfo.services import analysis
from sfo.services import records as records_service
from sfo.store import audit, tables
from sfo.store import records as store_records

SCENARIOS = Path(__file__).resolve().parents[3] / "fixtures" / "scenarios"
LICENCE = SCENARIOS / "licence_missed_first_appt_slow_recall"
TODAY = date(2026, 1, 1)
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/x"


# ------------------------------------------------------------------ helpers


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def scenario_folders() -> list[Path]:
    return sorted(p for p in SCENARIOS.iterdir() if p.is_dir())


def mapping_for(folder: Path) -> Path | None:
    m = folder / "mapping.toml"
    return m if m.exists() else None


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table, to show that something changed nothing."""
    with engine.connect() as conn:
        return {name: sorted((tuple(r) for r in conn.execute(sa.select(t))), key=repr)
                for name, t in tables.metadata.tables.items()}


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for name, t in tables.metadata.tables.items()}


def import_into(engine, bundle: Path, *, mapping: Path | None = None, actor: str = "amy"):
    return records_service.import_bundle(bundle, mapping=mapping, url=url_of(engine),
                                         actor=actor)


def imports_rows(engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(store_records.imports).order_by(
            store_records.imports.c.id)).mappings().all()
    return [dict(r) for r in rows]


def audit_entries(engine) -> list[audit.Entry]:
    with engine.connect() as conn:
        return list(audit._rows(conn))


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def assert_same_records(got: CaseRecords, want: CaseRecords) -> None:
    for name in TABLE_ORDER:
        pd.testing.assert_frame_equal(got.table(name), want.table(name), check_dtype=True,
                                      obj=name)
    assert got.supplied == want.supplied
    assert got.warnings == want.warnings


def findings_doc(records: CaseRecords) -> list[dict]:
    report = analysis.findings_for(records, today=TODAY)
    return report.as_dict()["cases"]  # type: ignore[return-value]


@pytest.fixture
def region(tmp_path: Path) -> Path:
    """A small generated region (three made-up people, every file)."""
    path = tmp_path / "region"
    generate_bundle(path, people=3, seed=7)
    return path


# ------------------------------------------------------------------ round trip


@pytest.mark.parametrize("folder", scenario_folders(), ids=lambda p: p.name)
def test_findings_from_the_store_equal_findings_from_the_bundle(engine, folder: Path):
    bundle = importers.load_bundle(folder, mapping=mapping_for(folder))
    import_into(engine, folder, mapping=mapping_for(folder))
    with engine.begin() as conn:
        stored = store_records.load_records(conn)
        one = store_records.load_records(conn, crns=bundle.crns[:1])
    assert_same_records(stored, bundle)
    assert findings_doc(stored) == findings_doc(bundle)
    assert_same_records(one, bundle.for_people(bundle.crns[:1]))


def test_a_generated_region_reads_back_with_the_importers_dtypes(engine, region: Path):
    bundle = importers.load_bundle(region)
    import_into(engine, region)
    with engine.begin() as conn:
        stored = store_records.load_records(conn)
    assert_same_records(stored, bundle)
    for name in TABLE_ORDER:
        assert stored.table(name).dtypes.to_dict() == bundle.table(name).dtypes.to_dict()
    assert findings_doc(stored) == findings_doc(bundle)


def test_extra_columns_and_awkward_text_survive_the_round_trip(engine, tmp_path: Path):
    folder = tmp_path / "b"
    shutil.copytree(LICENCE, folder)
    header, rows = read_csv(folder / "contacts.csv")
    header += ["Officer Name", "Local Ref", "Never Filled"]
    awkward = ['O\'Brien "Bob", \\ back\\slash', "tab\there", "line\nbreak", "é £ ✓", ""]
    for i, row in enumerate(rows):
        row["Officer Name"] = awkward[i % len(awkward)]
        row["Local Ref"] = "" if i % 3 else f"REF/{i}"
        row["Never Filled"] = ""
    rows[0]["notes"] = "quote ' and \" and, comma\r\nand a CRLF"
    write_csv(folder / "contacts.csv", header, rows)
    bundle = importers.load_bundle(folder)
    assert "Never Filled" in bundle.table("contacts").columns
    import_into(engine, folder)
    with engine.begin() as conn:
        stored = store_records.load_records(conn)
    assert_same_records(stored, bundle)


def test_identical_rows_of_a_file_without_a_key_are_both_kept(engine, tmp_path: Path):
    folder = tmp_path / "b"
    shutil.copytree(LICENCE, folder)
    header, rows = read_csv(folder / "allocations.csv")
    write_csv(folder / "allocations.csv", header, [*rows, rows[0]])
    bundle = importers.load_bundle(folder)
    report = import_into(engine, folder)
    assert report.summary.table("allocations").added == len(rows) + 1
    with engine.begin() as conn:
        stored = store_records.load_records(conn)
    assert_same_records(stored, bundle)
    again = import_into(engine, folder)
    assert not again.changed


# ------------------------------------------------------------------ provenance and idempotence


def test_an_import_records_each_file_with_its_sha256_rows_and_who_imported_it(engine,
                                                                             region: Path):
    report = import_into(engine, region, actor="amy")
    (run,) = imports_rows(engine)
    files = {f["name"]: f for f in run["files"]}
    on_disk = sorted(p.name for p in region.glob("*.csv"))
    assert sorted(files) == on_disk
    for name in on_disk:
        assert files[name]["sha256"] == hashlib.sha256((region / name).read_bytes()).hexdigest()
    bundle = importers.load_bundle(region)
    for name, spec in TABLES.items():
        assert files[spec.filename]["rows"] == len(bundle.table(name))
    assert run["imported_by"] == "amy" and run["source"] == str(region)
    assert run["bundle_hash"] == store_records.bundle_hash(run["files"])
    assert run["imported_at"] is not None
    summary = run["summary"]
    assert summary["tables"]["contacts"]["added"] == len(bundle.table("contacts"))
    assert sorted(summary["supplied"]) == sorted(bundle.supplied)
    assert report.summary.import_id == run["id"]
    with engine.connect() as conn:
        source_rows = conn.execute(sa.select(
            tables.RECORD_TABLES["contacts"].c.source_row,
            tables.RECORD_TABLES["contacts"].c.import_id)).all()
    assert {r.import_id for r in source_rows} == {run["id"]}
    assert sorted(r.source_row for r in source_rows) == bundle.table("contacts")["row"].tolist()


def test_one_audit_entry_per_import_with_the_counts_and_none_per_row(engine, region: Path):
    import_into(engine, region, actor="amy")
    (entry,) = audit_entries(engine)
    assert (entry.action, entry.object_type, entry.object_id, entry.actor) == (
        "import", "bundle", "1", "amy")
    bundle = importers.load_bundle(region)
    total = sum(len(bundle.table(name)) for name in TABLE_ORDER)
    assert f"{total} added, 0 changed, 0 removed, 0 unchanged" in entry.summary
    assert str(region) in entry.summary
    with engine.connect() as conn:
        assert audit.verify(conn) == []


def test_the_same_files_in_a_zip_have_the_same_bundle_hash(engine, region: Path,
                                                           tmp_path: Path):
    zipped = Path(shutil.make_archive(str(tmp_path / "region"), "zip", region))
    import_into(engine, region)
    report = import_into(engine, zipped)
    first, second = imports_rows(engine)
    assert first["bundle_hash"] == second["bundle_hash"]
    assert not report.changed and report.summary.same_as is not None
    assert report.summary.same_as[0] == first["id"]


def test_importing_the_same_export_again_changes_no_record_and_says_so(engine, region: Path):
    first = import_into(engine, region)
    before = snapshot(engine)
    again = import_into(engine, region)
    after = snapshot(engine)
    assert not again.changed
    assert again.summary.same_as is not None and again.summary.same_as[0] == (
        first.summary.import_id)
    for name in TABLE_ORDER:
        t = again.summary.table(name)
        assert (t.added, t.changed, t.removed) == (0, 0, 0)
        assert t.unchanged == first.summary.table(name).added
        assert after[f"rec_{name}"] == before[f"rec_{name}"]
    assert "nothing changed" in audit_entries(engine)[-1].summary


# ------------------------------------------------------------------ a newer export


def newer_export(region: Path, tmp_path: Path) -> dict[str, str]:
    """A later export of two of the three people: one contact changed, added, removed."""
    newer = tmp_path / "newer"
    shutil.copytree(region, newer)
    header, people = read_csv(newer / "people.csv")
    keep, dropped = [p["crn"] for p in people[:2]], people[2]["crn"]
    write_csv(newer / "people.csv", header, people[:2])
    for name in ("events", "contacts", "assessments", "registrations", "allocations"):
        h, rows = read_csv(newer / f"{name}.csv")
        write_csv(newer / f"{name}.csv", h, [r for r in rows if r["crn"] != dropped])
    header, contacts = read_csv(newer / "contacts.csv")
    mine = [r for r in contacts if r["crn"] == keep[0]]
    changed = next(r for r in mine if r["outcome_code"] == "ATTC")
    changed["outcome_code"] = "AFTC"
    removed = next(r for r in mine if r is not changed and not r["outcome_code"])
    added = dict(mine[0], contact_id="9999999999", notes="A contact made after the first export.")
    contacts = [r for r in contacts if r is not removed] + [added]
    write_csv(newer / "contacts.csv", header, contacts)
    return {"path": str(newer), "kept": keep[0], "other": keep[1], "dropped": dropped,
            "changed": changed["contact_id"], "removed": removed["contact_id"],
            "added": added["contact_id"]}


def test_a_newer_export_reports_exactly_what_changed(engine, region: Path, tmp_path: Path):
    first = import_into(engine, region)
    before = importers.load_bundle(region)
    n = newer_export(region, tmp_path)
    report = import_into(engine, Path(n["path"]))
    s = report.summary
    contacts = s.table("contacts")
    covered = before.for_people([n["kept"], n["other"]]).table("contacts")
    assert (contacts.added, contacts.changed, contacts.removed) == (1, 1, 1)
    assert contacts.unchanged == len(covered) - 2
    assert [(c.record_id, c.fields) for c in contacts.changed_records] == [
        (n["changed"], ("outcome_code",))]
    for name in TABLE_ORDER:
        if name != "contacts":
            t = s.table(name)
            assert (t.added, t.changed, t.removed) == (0, 0, 0), name
    assert s.people_covered == 2
    run = imports_rows(engine)[-1]
    assert run["summary"]["tables"]["contacts"]["changed_records"] == [
        {"record_id": n["changed"], "fields": ["outcome_code"]}]
    assert run["summary"]["same_as_import"] is None
    assert first.summary.import_id < s.import_id

    with engine.begin() as conn:
        stored = store_records.load_records(conn)
    ids = set(stored.table("contacts")["contact_id"])
    assert n["added"] in ids and n["removed"] not in ids
    outcome = stored.table("contacts").set_index("contact_id").loc[n["changed"], "outcome_code"]
    assert outcome == "AFTC"
    # The person the newer export does not cover is untouched, every file of theirs.
    for name in ("people", "events", "contacts", "assessments", "registrations",
                 "allocations"):
        spec = TABLES[name]
        columns = [c.name for c in spec.columns]
        theirs = stored.table(name)[stored.table(name)["crn"] == n["dropped"]]
        was = before.table(name)[before.table(name)["crn"] == n["dropped"]]
        assert len(theirs) == len(was), name
        pd.testing.assert_frame_equal(
            theirs[columns].sort_values(columns).reset_index(drop=True),
            was[columns].sort_values(columns).reset_index(drop=True), obj=name)
    assert len(before.table("contacts").query(f"crn == '{n['dropped']}'")) > 0
    # Row-numbered ids of the records the newer export still holds point at its rows.
    newer = importers.load_bundle(Path(n["path"])).table("allocations")
    kept = stored.table("allocations")[stored.table("allocations")["crn"] != n["dropped"]]
    assert sorted(kept["record_id"]) == sorted(newer["record_id"])
    assert sorted(kept["row"]) == sorted(newer["row"])


def test_a_file_left_out_of_a_newer_export_removes_nothing(engine, region: Path,
                                                           tmp_path: Path):
    import_into(engine, region)
    newer = tmp_path / "newer"
    shutil.copytree(region, newer)
    (newer / "registrations.csv").unlink()
    (newer / "training.csv").unlink()
    before = counts(engine)
    report = import_into(engine, newer)
    assert not report.summary.table("registrations").supplied
    assert not report.changed
    after = counts(engine)
    assert after["rec_registrations"] == before["rec_registrations"]
    assert after["rec_training"] == before["rec_training"]
    with engine.begin() as conn:
        assert "registrations" in store_records.load_records(conn).supplied


def test_staff_level_records_missing_from_a_newer_export_are_kept(engine, region: Path,
                                                                  tmp_path: Path):
    import_into(engine, region)
    newer = tmp_path / "newer"
    shutil.copytree(region, newer)
    for name in ("workload", "training", "supervision", "teams"):
        header, rows = read_csv(newer / f"{name}.csv")
        write_csv(newer / f"{name}.csv", header, rows[1:])
    before = counts(engine)
    report = import_into(engine, newer)
    for name in ("workload", "training", "supervision", "teams"):
        t = report.summary.table(name)
        assert (t.added, t.changed, t.removed) == (0, 0, 0), name
        assert counts(engine)[f"rec_{name}"] == before[f"rec_{name}"]
    # Records without an id are named by their row; the kept ones stay unambiguous.
    with engine.begin() as conn:
        stored = store_records.load_records(conn)
    for name in ("workload", "training", "supervision", "teams"):
        assert stored.table(name)["record_id"].is_unique, name


# ------------------------------------------------------------------ all or nothing


def test_a_failure_during_the_write_leaves_the_database_exactly_as_before(engine, region,
                                                                         monkeypatch):
    import_into(engine, LICENCE)
    before = snapshot(engine)
    real = store_records._store_table
    calls = []

    def fail_after_the_first_table(conn, prepared, import_id, covered):
        if calls:
            raise conn.dialect.loaded_dbapi.OperationalError("disk I/O error")
        calls.append(prepared.name)
        return real(conn, prepared, import_id, covered)

    monkeypatch.setattr(store_records, "_store_table", fail_after_the_first_table)
    with pytest.raises(StoreError) as caught:
        import_into(engine, region)
    assert calls == ["people"]
    assert "failed (disk I/O error). Nothing was imported." in str(caught.value)
    assert snapshot(engine) == before
    with engine.connect() as conn:
        assert audit.verify(conn) == []


def test_a_bad_bundle_is_refused_before_the_database_is_touched(engine, tmp_path: Path):
    folder = tmp_path / "bad"
    shutil.copytree(LICENCE, folder)
    header, rows = read_csv(folder / "contacts.csv")
    rows[2]["contact_date"] = "31/02/2024"
    write_csv(folder / "contacts.csv", header, rows)
    before = snapshot(engine)
    with pytest.raises(InputError):
        import_into(engine, folder)
    assert snapshot(engine) == before


def test_two_imports_at_once_are_applied_one_after_the_other(engine, region: Path):
    results: list[object] = []

    def one() -> None:
        try:
            results.append(import_into(engine, region))
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            results.append(exc)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reports = sorted(results, key=lambda r: r.summary.import_id)  # type: ignore[attr-defined]
    assert [r.changed for r in reports] == [True, False]
    assert reports[1].summary.same_as[0] == reports[0].summary.import_id
    with engine.connect() as conn:
        assert audit.verify(conn) == []


# ------------------------------------------------------------------ reading stored cases


def test_reading_a_stored_case_is_audited_once_per_person(engine):
    import_into(engine, LICENCE)
    crn = importers.load_bundle(LICENCE).crns[0]
    records = records_service.load_stored(url_of(engine), crns=[crn], actor="ben")
    assert records.crns == [crn]
    last = audit_entries(engine)[-1]
    assert (last.action, last.object_type, last.object_id, last.crn, last.actor) == (
        "view", "case", crn, crn, "ben")


def test_asking_for_a_person_never_imported_is_not_found_and_not_audited(engine):
    import_into(engine, LICENCE)
    before = len(audit_entries(engine))
    with pytest.raises(NotFound, match="No person with CRN Z999999 has been imported"):
        records_service.load_stored(url_of(engine), crns=["Z999999"], actor="ben")
    assert len(audit_entries(engine)) == before


def test_reading_an_empty_store_says_to_import_first(engine):
    with pytest.raises(NotFound, match="sfo import BUNDLE"):
        records_service.load_stored(url_of(engine), actor="ben")


# ------------------------------------------------------------------ the command


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_sfo_import_prints_the_counts_then_nothing_changed_on_the_second_run(engine, capsys):
    url = url_of(engine)
    code, out, _ = run(capsys, "import", LICENCE, "--db", url, "--by", "amy",
                       "--progress", "never")
    assert code == 0
    n = len(importers.load_bundle(LICENCE).table("contacts"))
    assert "as import #1 (by amy" in out
    line = next(x for x in out.splitlines() if x.strip().startswith("contacts.csv"))
    assert line.split()[1:] == [str(n), "0", "0", "0"]
    code, out, _ = run(capsys, "import", LICENCE, "--db", url, "--progress", "never")
    assert code == 0
    today = imports_rows(engine)[0]["imported_at"].strftime("%Y-%m-%d")
    assert f"Nothing changed: this export was imported before (import #1 on {today})." in out


def test_sfo_import_of_a_bad_bundle_exits_2_naming_file_row_and_column_and_writes_nothing(
        engine, capsys, tmp_path: Path):
    folder = tmp_path / "bad"
    shutil.copytree(LICENCE, folder)
    header, rows = read_csv(folder / "contacts.csv")
    rows[2]["contact_date"] = "31/02/2024"
    write_csv(folder / "contacts.csv", header, rows)
    before = snapshot(engine)
    code, out, err = run(capsys, "import", folder, "--db", url_of(engine))
    assert code == 2 and out == ""
    assert "contacts.csv, row 4, column 'contact_date': '31/02/2024'" in err
    assert "Nothing was imported" in err and "Traceback" not in err
    assert snapshot(engine) == before


def test_sfo_import_into_an_unreachable_database_exits_2_with_a_clear_message(capsys):
    code, out, err = run(capsys, "import", LICENCE, "--db", UNREACHABLE)
    assert code == 2 and out == ""
    assert "The database postgresql+psycopg://postgres@127.0.0.1:1/x cannot be used" in err
    assert "Traceback" not in err


def test_findings_and_timeline_read_the_store_with_db(engine, capsys):
    url = url_of(engine)
    crn = importers.load_bundle(LICENCE).crns[0]
    run(capsys, "import", LICENCE, "--db", url)
    _, from_bundle, _ = run(capsys, "findings", LICENCE, "--crn", crn, "--format", "json")
    code, from_db, _ = run(capsys, "findings", "--db", url, "--crn", crn, "--format", "json")
    assert code == 0
    assert json.loads(from_db)["cases"] == json.loads(from_bundle)["cases"]
    assert json.loads(from_db)["source"].startswith("the store (import #1")
    _, from_bundle, _ = run(capsys, "timeline", LICENCE, "--crn", crn, "--format", "json")
    code, from_db, _ = run(capsys, "timeline", "--crn", crn, "--db", url, "--format", "json")
    assert code == 0
    assert json.loads(from_db)["entries"] == json.loads(from_bundle)["entries"]
    views = [e for e in audit_entries(engine) if e.action == "view"]
    assert [(e.object_id, e.crn) for e in views] == [(crn, crn), (crn, crn)]


def test_findings_without_a_bundle_or_db_says_to_give_one(capsys):
    code, out, err = run(capsys, "findings")
    assert code == 2 and out == ""
    assert "give a bundle (a folder or .zip) or --db" in err
    code, _, err = run(capsys, "timeline", LICENCE, "--crn", "D471093", "--db", UNREACHABLE)
    assert code == 2 and "give a bundle or --db, not both" in err
