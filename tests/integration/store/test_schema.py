"""The schema is made only by the migrations, and a database at the wrong revision is refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from sfo.errors import SchemaMismatch, StoreUnavailable
from sfo.store import engine as store_engine
from sfo.store import schema, tables

UNREACHABLE = "postgresql://postgres@127.0.0.1:1/x"


def differences(engine: sa.Engine) -> list[object]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True,
                                                     "compare_server_default": True})
        return list(compare_metadata(ctx, tables.metadata))


def stamp(engine: sa.Engine, revision: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_the_migrations_make_exactly_the_tables_described_in_tables_py(engine):
    assert differences(engine) == []
    present = set(sa.inspect(engine).get_table_names())
    assert set(tables.metadata.tables) <= present


def test_the_comparison_would_see_a_table_that_differs(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_early_looks_crn"))
    assert differences(engine) != []


def test_an_upgraded_database_is_at_the_head_revision_and_passes_the_check(engine):
    assert schema.current(engine) == schema.head()
    schema.check(engine)


def test_upgrading_twice_changes_nothing_the_second_time(engine):
    again = schema.upgrade(engine)
    assert again.before == again.after == schema.head()
    assert not again.changed


def test_an_empty_database_is_refused_with_the_command_that_creates_it(db_url):
    engine = store_engine.make_engine(db_url)
    try:
        with pytest.raises(SchemaMismatch, match="run `sfo db upgrade`"):
            schema.check(engine)
    finally:
        engine.dispose()


def test_a_revision_written_by_a_newer_version_is_refused_naming_it(engine):
    stamp(engine, "ffffffffffff")
    with pytest.raises(SchemaMismatch) as caught:
        schema.check(engine)
    message = str(caught.value)
    assert "ffffffffffff" in message
    assert "newer version" in message and "this version is older" in message
    assert "sfo db upgrade" not in message


def test_upgrade_refuses_a_revision_it_does_not_know_and_changes_nothing(engine):
    stamp(engine, "ffffffffffff")
    with pytest.raises(SchemaMismatch, match="ffffffffffff"):
        schema.upgrade(engine)
    assert schema.current(engine) == "ffffffffffff"


def test_a_database_behind_this_versions_head_is_told_to_upgrade(engine, monkeypatch):
    reached = schema.head()
    monkeypatch.setattr(schema, "head", lambda: "0123456789ab")
    monkeypatch.setattr(schema, "known", lambda: frozenset({reached, "0123456789ab"}))
    with pytest.raises(SchemaMismatch, match=f"{reached}, older than .*run `sfo db upgrade`"):
        schema.check(engine)


def test_tables_made_without_the_migrations_are_refused(db_url):
    engine = store_engine.make_engine(db_url)
    try:
        tables.metadata.create_all(engine)
        with pytest.raises(SchemaMismatch, match="no schema revision"):
            schema.check(engine)
        with pytest.raises(SchemaMismatch, match="no schema revision"):
            schema.upgrade(engine)
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_checking_a_sqlite_file_that_is_not_there_does_not_create_it(db_url, tmp_path):
    engine = store_engine.make_engine(db_url)
    try:
        with pytest.raises(SchemaMismatch, match="does not exist: run `sfo db upgrade`"):
            schema.check(engine)
    finally:
        engine.dispose()
    assert not (tmp_path / "sfo.db").exists()


def test_an_unreachable_server_is_store_unavailable_not_a_driver_error():
    engine = store_engine.make_engine(UNREACHABLE)
    try:
        with pytest.raises(StoreUnavailable, match=r"127\.0\.0\.1:1/x cannot be used"):
            schema.check(engine)
        with pytest.raises(StoreUnavailable):
            schema.upgrade(engine)
    finally:
        engine.dispose()


def test_the_migrations_are_inside_the_package_and_need_no_alembic_ini():
    assert (schema.MIGRATIONS / "env.py").is_file()
    assert (schema.MIGRATIONS / "script.py.mako").is_file()
    assert "import sqlmodel" in (schema.MIGRATIONS / "script.py.mako").read_text("utf-8")
    assert schema.head() in schema.known()


def test_the_audit_log_is_indexed_for_each_filter_of_its_browser_that_an_index_can_serve(engine):
    indexed = {tuple(ix["column_names"]) for ix in sa.inspect(engine).get_indexes("audit_log")}
    # by case, by day, by action (and the list of actions); by user is a search for part
    # of a name, which no index serves.
    assert {("crn",), ("at",), ("action",)} <= indexed
