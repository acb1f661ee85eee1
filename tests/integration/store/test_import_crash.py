"""An import killed half-way, or stopped by a full disk, leaves the store as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from fixtures.generate import generate_bundle
from sfo import bootstrap, cli, importers
from sfo.errors import StoreError
from sfo.services import records as records_service
from sfo.store import audit, tables
from sfo.store import engine as store_engine
from sfo.store import records as store_records

SCENARIOS = Path(__file__).resolve().parents[3] / "fixtures" / "scenarios"
LICENCE = SCENARIOS / "licence_missed_first_appt_slow_recall"

# The child imports the bundle and says when it has begun writing the largest file.
CHILD = """
import sys
from sfo.services import records

def progress(label):
    if label.startswith("Storing contacts"):
        print("WRITING", flush=True)

records.import_bundle(sys.argv[1], url=sys.argv[2], actor="crash-test", progress=progress)
print("DONE", flush=True)
"""


def url_of(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def snapshot(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {name: sorted((tuple(r) for r in conn.execute(sa.select(t))), key=repr)
                for name, t in tables.metadata.tables.items()}


def audit_problems(engine) -> list[str]:
    with engine.connect() as conn:
        return audit.verify(conn)


@pytest.fixture(scope="module")
def big_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated region large enough that storing it takes seconds (about 320,000 contacts)."""
    path = tmp_path_factory.mktemp("crash") / "region"
    generate_bundle(path, people=3000, seed=11)
    return path


def _wal_size(engine) -> int:
    wal = Path(f"{engine.url.database}-wal")
    return wal.stat().st_size if wal.exists() else 0


@pytest.mark.slow
def test_an_import_killed_while_writing_leaves_the_store_unchanged_and_can_be_rerun(
        engine, big_bundle: Path):
    records_service.import_bundle(LICENCE, url=url_of(engine), actor="amy")
    before = snapshot(engine)
    wal_before = _wal_size(engine) if engine.dialect.name == "sqlite" else 0
    cmd = [sys.executable, "-c", CHILD, str(big_bundle), url_of(engine)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True) as child:
        assert child.stdout is not None and child.stderr is not None
        try:
            line = child.stdout.readline()
            assert line.strip() == "WRITING", child.stderr.read()
            if engine.dialect.name == "sqlite":
                # Under way: rows are reaching the write-ahead log, uncommitted.
                deadline = time.monotonic() + 60
                while _wal_size(engine) < wal_before + (4 << 20):
                    assert time.monotonic() < deadline and child.poll() is None
                    time.sleep(0.02)
            else:
                time.sleep(1.0)
            assert child.poll() is None, "the import finished before it could be killed"
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        rest = child.stdout.read()
    assert child.returncode == -signal.SIGKILL
    assert "DONE" not in rest

    assert snapshot(engine) == before           # same records, imports and audit log
    assert audit_problems(engine) == []
    report = records_service.import_bundle(big_bundle, url=url_of(engine), actor="amy")
    n = len(importers.load_bundle(big_bundle).table("contacts"))
    assert report.summary.table("contacts").added == n
    with engine.connect() as conn:
        runs = conn.execute(sa.select(store_records.imports.c.id)).scalars().all()
    # The killed import left no record (PostgreSQL may have used up its number).
    assert len(runs) == 2 and report.summary.import_id == max(runs)
    assert audit_problems(engine) == []


def _limited_engine(url: str, pages: int):
    """An engine whose SQLite connections may not grow the file past ``pages`` pages."""
    made = store_engine.make_engine(url)

    @event.listens_for(made, "connect")
    def _limit(dbapi_conn, _record) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    return made


def _page_count(engine) -> int:
    with engine.connect() as conn:
        return int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_full_disk_during_the_write_is_a_clean_store_error_and_nothing_is_written(
        engine, tmp_path: Path):
    records_service.import_bundle(LICENCE, url=url_of(engine), actor="amy")
    before = snapshot(engine)
    region = tmp_path / "region"
    generate_bundle(region, people=200, seed=5)
    bundle = importers.load_bundle(region)
    full = _limited_engine(url_of(engine), _page_count(engine) + 30)
    try:
        with pytest.raises(StoreError) as caught, full.begin() as conn:
            store_records.store_bundle(conn, bundle, source=str(region), files=[],
                                       imported_by="amy")
    finally:
        full.dispose()
    message = str(caught.value)
    assert "ran out of space during the import (database or disk is full)" in message
    assert "Nothing was imported" in message
    assert snapshot(engine) == before
    assert audit_problems(engine) == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sfo_import_onto_a_full_disk_exits_2_with_the_message_and_no_traceback(
        engine, tmp_path: Path, capsys, monkeypatch):
    region = tmp_path / "region"
    generate_bundle(region, people=200, seed=5)
    records_service.import_bundle(LICENCE, url=url_of(engine), actor="amy")
    before = snapshot(engine)
    pages = _page_count(engine) + 30
    monkeypatch.setattr(bootstrap, "engine",
                        lambda url=None: _limited_engine(url or url_of(engine), pages))
    code = cli.main(["import", str(region), "--db", url_of(engine), "--progress", "never"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("sfo: The database ") and "ran out of space" in err
    assert "Nothing was imported" in err and "Traceback" not in err
    assert snapshot(engine) == before
