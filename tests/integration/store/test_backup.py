"""A SQLite backup is a consistent copy that is proved to restore; PostgreSQL uses pg_dump."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
import sqlalchemy as sa

from sfo.domain.casework import EarlyLook
from sfo.errors import InputError, SchemaMismatch, StoreError
from sfo.services import audit as audit_service
from sfo.services import database
from sfo.store import backup as store_backup
from sfo.store import engine as store_engine
from sfo.store import schema
from sfo.store.uow import SqlUnitOfWork

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
CRN = "X320741"


def back_up(engine, out):
    return database.backup(engine=engine, uow=SqlUnitOfWork(engine), out=out, actor="amy")


def some_casework(engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        look = uow.early_looks.add(EarlyLook(crn=CRN, as_of=date(2024, 3, 14)), actor="amy")
        audit_service.record(uow, actor="amy", action="create", object_type="early_look",
                             object_id=str(look.id), crn=CRN, summary="started")
        uow.commit()


@sqlite_only
def test_a_backup_is_checked_and_records_that_it_was_made(engine, tmp_path):
    some_casework(engine)
    out = tmp_path / "copy.db"
    report = back_up(engine, out)
    assert out.is_file() and not out.with_name("copy.db.partial").exists()
    assert report.integrity == "ok" and report.revision == schema.head()
    assert report.counts["early_looks"] == 1 and report.counts["alembic_version"] == 1
    assert report.audit_entries == 2          # the create, and the backup itself
    assert not (tmp_path / "copy.db-wal").exists()


@sqlite_only
def test_a_restored_backup_opens_at_head_with_its_data_and_an_intact_log(engine, tmp_path):
    some_casework(engine)
    back_up(engine, tmp_path / "copy.db")
    restored_path = tmp_path / "restored" / "sfo.db"
    restored_path.parent.mkdir()
    shutil.copyfile(tmp_path / "copy.db", restored_path)
    restored = store_engine.make_engine(store_engine.sqlite_url(restored_path))
    try:
        schema.check(restored)
        with SqlUnitOfWork(restored) as uow:
            assert [look.crn for look in uow.early_looks.list_for_crn(CRN)] == [CRN]
        assert audit_service.verify(uow=SqlUnitOfWork(restored)) == []
    finally:
        restored.dispose()


@sqlite_only
def test_a_database_behind_this_version_can_be_backed_up_before_upgrading(engine, tmp_path,
                                                                         monkeypatch):
    some_casework(engine)
    reached = schema.head()
    monkeypatch.setattr(schema, "head", lambda: "0123456789ab")
    monkeypatch.setattr(schema, "known", lambda: frozenset({reached, "0123456789ab"}))
    report = back_up(engine, tmp_path / "copy.db")
    assert report.revision == reached and report.integrity == "ok"
    assert report.audit_entries is None        # its audit tables are left alone
    with SqlUnitOfWork(engine) as uow:
        assert uow.audit.count() == 1          # nothing written to an older schema


@sqlite_only
def test_an_empty_database_is_not_backed_up(db_url, tmp_path):
    engine = store_engine.make_engine(db_url)
    try:
        with pytest.raises(SchemaMismatch, match="run `sfo db upgrade`"):
            back_up(engine, tmp_path / "copy.db")
    finally:
        engine.dispose()
    assert not (tmp_path / "copy.db").exists()


@sqlite_only
def test_a_backup_never_overwrites_a_file(engine, tmp_path):
    out = tmp_path / "copy.db"
    out.write_text("something precious")
    with pytest.raises(InputError, match="already exists"):
        back_up(engine, out)
    assert out.read_text() == "something precious"
    with SqlUnitOfWork(engine) as uow:
        assert uow.audit.count() == 0         # nothing was recorded for a refused backup


@sqlite_only
def test_a_copy_that_fails_its_check_is_not_left_as_a_backup(engine, tmp_path, monkeypatch):
    def fail(*_args, **_kwargs):
        raise StoreError("the copy failed its check")

    monkeypatch.setattr(store_backup, "_check_copy", fail)
    out = tmp_path / "copy.db"
    with pytest.raises(StoreError, match="failed its check"):
        back_up(engine, out)
    assert list(tmp_path.glob("copy.db*")) == []


@sqlite_only
def test_the_copy_is_one_snapshot_even_while_someone_writes(engine, tmp_path, monkeypatch):
    some_casework(engine)
    real_counts = store_backup._counts

    def counts_then_someone_writes(conn):
        counted = real_counts(conn)
        writer = sa.create_engine(engine.url)   # another process, not our snapshot
        with writer.begin() as other:
            other.execute(sa.text("DELETE FROM casework_versions"))
        writer.dispose()
        return counted

    monkeypatch.setattr(store_backup, "_counts", counts_then_someone_writes)
    report = back_up(engine, tmp_path / "copy.db")
    assert report.counts["casework_versions"] == 1     # as it was when the snapshot began


def test_the_postgresql_commands_hide_the_password():
    cmds = store_backup.pg_commands("postgresql://sfo:s3cret@db.example:5433/sfo", "sfo.dump")
    assert "s3cret" not in cmds.dump + cmds.restore + cmds.createdb
    assert cmds.dump == ("pg_dump --format=custom --no-owner --file=sfo.dump "
                         "'postgresql://sfo:***@db.example:5433/sfo'")
    assert "--dbname='postgresql://sfo:***@db.example:5433/sfo_restored' sfo.dump" in cmds.restore
    assert cmds.has_password
