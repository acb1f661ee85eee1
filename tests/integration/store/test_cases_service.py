"""Uploading a bundle through the app's service: a zip or CSV files, all or nothing."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from sfo.domain.access import Actor
from sfo.errors import BundleInvalid, InputError, PermissionDenied
from sfo.services import cases

SCENARIOS = Path(__file__).resolve().parents[3] / "fixtures" / "scenarios"
DA = SCENARIOS / "da_curfew_inexperienced_pso"
MANAGER = Actor("m", "Manager M", ("manager",))


def _files(folder: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.suffix == ".csv"]


def test_the_csv_files_of_a_bundle_import_and_can_be_found(engine, db_url):
    report = cases.import_upload(_files(DA), actor=MANAGER, url=db_url)
    assert report.changed and report.summary.table("contacts").added > 0
    found = cases.search("W582", actor=MANAGER, url=db_url)
    assert [p["crn"] for p in found] == ["W582036"]


def test_a_zipped_bundle_imports_the_same(engine, db_url):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in _files(DA):
            z.writestr(f"export/{name}", data)
    report = cases.import_upload([("export.zip", buffer.getvalue())], actor=MANAGER,
                                 url=db_url)
    assert report.summary.people_covered == 1


def test_a_bad_file_imports_nothing_and_names_file_row_and_column(engine, db_url):
    files = dict(_files(DA))
    lines = files["contacts.csv"].decode("utf-8").splitlines()
    lines[3] = lines[3].replace("2024-04-", "2024-13-", 1)
    files["contacts.csv"] = ("\n".join(lines) + "\n").encode("utf-8")
    with pytest.raises(BundleInvalid) as refused:
        cases.import_upload(list(files.items()), actor=MANAGER, url=db_url)
    assert "The bundle uploaded (allocations.csv," in str(refused.value)
    assert "/tmp" not in str(refused.value)
    problem = refused.value.problems[0]
    assert (problem.file, problem.row, problem.column) == ("contacts.csv", 4, "contact_date")
    assert cases.search("", actor=MANAGER, url=db_url) == []   # nothing was imported


def test_files_that_are_not_part_of_a_bundle_are_refused_with_the_names_expected(engine,
                                                                                   db_url):
    with pytest.raises(InputError, match=r"notes\.docx: not a file of the data contract"):
        cases.import_upload([("notes.docx", b"x"), *_files(DA)], actor=MANAGER, url=db_url)
    with pytest.raises(InputError, match="not a zip file"):
        cases.import_upload([("export.zip", b"not a zip")], actor=MANAGER, url=db_url)


def test_the_quality_team_may_not_import(engine, db_url):
    with pytest.raises(PermissionDenied):
        cases.import_upload(_files(DA), actor=Actor("q", "Q", ("quality",)), url=db_url)
