"""`sfo db`, `sfo audit` and `sfo backup` as a user runs them: messages and exit codes."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from sfo import cli
from sfo.domain.casework import EarlyLook
from sfo.services import audit as audit_service
from sfo.store import engine as store_engine
from sfo.store import schema
from sfo.store.uow import SqlUnitOfWork

CRN = "X320741"
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/x"


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def a_case_with_history(engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        look = uow.early_looks.add(EarlyLook(crn=CRN, as_of=date(2024, 3, 14)), actor="amy")
        for action in ("create", "view", "update"):
            audit_service.record(uow, actor="amy", action=action, object_type="early_look",
                                 object_id=str(look.id), crn=CRN, summary=f"{action} it")
        uow.commit()


def test_db_upgrade_creates_the_schema_and_db_current_says_it_is_the_newest(db_url, capsys):
    code, out, err = run(capsys, "db", "current", "--db", db_url)
    assert code == 2 and "run `sfo db upgrade`" in err
    code, out, _ = run(capsys, "db", "upgrade", "--db", db_url)
    assert code == 0 and "Created the schema in" in out and schema.head() in out
    code, out, _ = run(capsys, "db", "upgrade", "--db", db_url)
    assert code == 0 and "nothing to do" in out
    code, out, _ = run(capsys, "db", "current", "--db", db_url)
    assert code == 0
    assert f"Revision: {schema.head()} (the newest this version knows: up to date)" in out


def test_the_upgrade_itself_is_recorded_in_the_audit_log(db_url, capsys):
    run(capsys, "db", "upgrade", "--db", db_url)
    code, out, _ = run(capsys, "audit", "verify", "--db", db_url)
    assert (code, out) == (0, "The audit log is intact: 1 entry.\n")


def test_audit_verify_reports_an_intact_log_with_its_size(engine, db_url, capsys):
    a_case_with_history(engine)
    code, out, err = run(capsys, "audit", "verify", "--db", db_url)
    assert (code, out, err) == (0, "The audit log is intact: 3 entries.\n", "")


@pytest.mark.parametrize("tamper, finding", [
    ("UPDATE audit_log SET summary = 'nothing happened' WHERE seq = 2",
     "entry 2 (view early_look 1 by amy) has been edited since it was written"),
    ("DELETE FROM audit_log WHERE seq = 2", "entries 2 to 2 are missing (deleted)"),
], ids=["edited", "deleted"])
def test_audit_verify_exits_2_listing_an_edited_or_deleted_entry(engine, db_url, capsys,
                                                                 tamper, finding):
    a_case_with_history(engine)
    with engine.begin() as conn:
        conn.execute(sa.text(tamper))
    code, out, err = run(capsys, "audit", "verify", "--db", db_url)
    assert code == 2 and out == ""
    assert "The audit log is NOT intact" in err
    assert f"  - {finding}" in err
    assert "Traceback" not in err


def test_audit_show_lists_who_did_what_when_and_records_the_look(engine, db_url, capsys,
                                                                 monkeypatch):
    a_case_with_history(engine)
    monkeypatch.setattr("getpass.getuser", lambda: "hr.officer")
    code, out, _ = run(capsys, "audit", "show", "--crn", CRN, "--db", db_url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"Audit trail of {CRN}: 4 entries (times in UTC), oldest first"
    assert "amy" in lines[1] and "create" in lines[1] and "early_look 1" in lines[1]
    assert "hr.officer" in lines[-1] and "view-audit" in lines[-1]
    code, out, _ = run(capsys, "audit", "show", "--crn", CRN, "--format", "json",
                       "--db", db_url)
    doc = json.loads(out)
    assert doc["crn"] == CRN
    assert [e["action"] for e in doc["entries"]] == [
        "create", "view", "update", "view-audit", "view-audit"]
    assert set(doc["entries"][0]) == {"seq", "at", "actor", "action", "object_type",
                                      "object_id", "summary"}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_backup_of_sqlite_says_what_it_checked(engine, db_url, capsys, tmp_path):
    a_case_with_history(engine)
    out_file = tmp_path / "backup.db"
    code, out, err = run(capsys, "backup", "--out", out_file, "--db", db_url)
    assert code == 0, err
    assert out_file.is_file()
    assert "integrity check: ok" in out
    assert f"schema revision: {schema.head()}, as in the original" in out
    assert "rows: the same as the original in all" in out
    assert "audit log: intact, 4 entries" in out


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_backup_of_postgresql_exits_2_with_the_pg_dump_commands_password_hidden(
        engine, db_url, capsys, tmp_path):
    with_password = sa.engine.make_url(db_url).set(password="s3cret").render_as_string(
        hide_password=False)
    code, out, err = run(capsys, "backup", "--out", tmp_path / "sfo.dump", "--db",
                         with_password)
    assert code == 2 and out == ""
    assert "pg_dump --format=custom" in err and "pg_restore" in err
    assert "s3cret" not in err and ":***@" in err
    assert not (tmp_path / "sfo.dump").exists()


@pytest.mark.parametrize("command", [
    ["db", "upgrade"], ["db", "current"], ["audit", "verify"], ["audit", "show", "--crn", CRN],
    ["backup", "--out", "never-written.db"]])
def test_an_unreachable_database_exits_2_with_a_message_not_a_traceback(capsys, command):
    code, _, err = run(capsys, *command, "--db", UNREACHABLE)
    assert code == 2
    assert err.startswith("sfo: The database postgresql+psycopg://postgres@127.0.0.1:1/x "
                          "cannot be used (")
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [
    ["db", "upgrade"], ["db", "current"], ["audit", "verify"], ["audit", "show", "--crn", CRN],
    ["backup", "--out", "never-written.db"]])
def test_a_database_from_a_newer_version_is_refused_by_every_command(engine, db_url, capsys,
                                                                      command, tmp_path,
                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    code, _, err = run(capsys, *command, "--db", db_url)
    assert code == 2
    assert "schema revision ffffffffffff" in err and "this version is older" in err
    assert not (tmp_path / "never-written.db").exists()


def test_without_db_the_setting_is_used_and_by_default_sfo_db_in_the_data_dir(
        capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("SFO_DATABASE_URL", raising=False)
    monkeypatch.setenv("SFO_DATA_DIR", str(tmp_path / "data"))
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and (tmp_path / "data" / "sfo.db").is_file()
    other = tmp_path / "other.db"
    monkeypatch.setenv("SFO_DATABASE_URL", store_engine.sqlite_url(other))
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and other.is_file() and str(other) in out
