"""Concurrent edits never silently overwrite: a stale save is refused, and says why."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import date

import pytest
import sqlalchemy as sa

from sfo.domain.casework import DipDraw, DipPlan, DipResult, EarlyLook, User, WorkingContextEntry
from sfo.errors import ConflictError, NotFound, StoreBusy, StoreUnavailable
from sfo.store import engine as store_engine
from sfo.store import schema
from sfo.store.uow import SqlUnitOfWork

CRN = "X320741"


def add_look(engine, **fields) -> EarlyLook:
    with SqlUnitOfWork(engine) as uow:
        look = uow.early_looks.add(
            EarlyLook(crn=CRN, as_of=date(2024, 3, 14), content={"gaps": "none yet"},
                      **fields), actor="amy")
        uow.commit()
    return look


def load(engine, look_id: int) -> EarlyLook:
    with SqlUnitOfWork(engine) as uow:
        return uow.early_looks.get(look_id)


def test_a_stale_save_is_refused_naming_who_changed_which_field_and_nothing_is_written(engine):
    look = add_look(engine)
    amys = load(engine, look.id)      # two people open version 1, in their own sessions
    bens = load(engine, look.id)
    with SqlUnitOfWork(engine) as uow:
        uow.early_looks.save(replace(amys, content={"gaps": "no home visit"}),
                             expected_version=amys.version, actor="amy")
        uow.commit()
    with SqlUnitOfWork(engine) as uow, pytest.raises(ConflictError) as caught:
        uow.early_looks.save(replace(bens, status="final"), expected_version=bens.version,
                             actor="ben")
    conflict = caught.value
    assert conflict.by == "amy"
    assert conflict.changes == {"content": ({"gaps": "none yet"}, {"gaps": "no home visit"})}
    assert "status" not in conflict.changes      # ben's own edit is not "their change"
    assert f"Early look {look.id} for {CRN} was changed by amy at" in str(conflict)
    assert "Your change was not saved" in str(conflict)
    now = load(engine, look.id)
    assert (now.version, now.status, now.updated_by) == (2, "draft", "amy")


def test_a_save_from_the_current_version_is_kept_and_bumps_the_version(engine):
    look = add_look(engine)
    with SqlUnitOfWork(engine) as uow:
        saved = uow.early_looks.save(replace(look, status="final"), expected_version=1,
                                     actor="ben")
        uow.commit()
    assert (saved.version, saved.updated_by) == (2, "ben")
    again = load(engine, look.id)
    assert again == saved
    assert again.created_by == "amy" and again.updated_at >= again.created_at


def test_every_version_saved_is_kept_so_nothing_entered_is_lost(engine):
    look = add_look(engine)
    with SqlUnitOfWork(engine) as uow:
        uow.early_looks.save(replace(look, content={"gaps": "v2"}), expected_version=1,
                             actor="ben")
        uow.commit()
    with engine.connect() as conn:
        kept = conn.execute(sa.text(
            "SELECT version, saved_by FROM casework_versions WHERE object_type = "
            "'early_looks' AND object_id = :i ORDER BY version"), {"i": look.id}).all()
    assert [tuple(r) for r in kept] == [(1, "amy"), (2, "ben")]


def test_two_people_saving_at_the_same_moment_one_wins_and_the_other_is_refused(engine):
    look = add_look(engine)
    amy_holds_the_row = threading.Event()
    outcome: dict[str, object] = {}

    def ben_saves() -> None:
        amy_holds_the_row.wait(10)
        try:
            with SqlUnitOfWork(engine) as uow:   # waits for amy's transaction to end
                uow.early_looks.save(replace(look, status="final"), expected_version=1,
                                     actor="ben")
                uow.commit()
            outcome["ben"] = "saved"
        except ConflictError as exc:
            outcome["ben"] = exc

    ben = threading.Thread(target=ben_saves)
    ben.start()
    with SqlUnitOfWork(engine) as uow:
        uow.early_looks.save(replace(look, content={"gaps": "amy's"}), expected_version=1,
                             actor="amy")
        amy_holds_the_row.set()
        ben.join(0.3)                 # ben is waiting on amy's lock, not overwriting
        assert ben.is_alive()
        uow.commit()
    ben.join(15)
    assert isinstance(outcome["ben"], ConflictError)
    assert outcome["ben"].by == "amy"
    final = load(engine, look.id)
    assert (final.version, final.content, final.status) == (2, {"gaps": "amy's"}, "draft")


def test_user_roles_are_saved_with_the_user_and_a_stale_save_names_them(engine):
    with SqlUnitOfWork(engine) as uow:
        user = uow.users.add(User(username="rev1", display_name="R One",
                                  roles=("reviewer",)), actor="admin")
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        uow.users.save(replace(user, roles=("reviewer", "hr")), expected_version=1,
                       actor="admin2")
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.users.by_username("rev1").roles == ("hr", "reviewer")
        with pytest.raises(ConflictError) as caught:
            uow.users.save(replace(user, display_name="Renamed"), expected_version=1,
                           actor="admin")
    assert caught.value.changes == {"roles": (["reviewer"], ["hr", "reviewer"])}


def test_lists_for_a_person_hold_only_their_records_oldest_first(engine):
    with SqlUnitOfWork(engine) as uow:
        for text in ("caseload 112", "no DA training available"):
            uow.working_context.add(WorkingContextEntry(crn=CRN, category="workload",
                                                        text=text), actor="amy")
        uow.working_context.add(WorkingContextEntry(crn="Y000001", category="training",
                                                    text="other person"), actor="amy")
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        texts = [e.text for e in uow.working_context.list_for_crn(CRN)]
    assert texts == ["caseload 112", "no DA training available"]


def test_dip_plans_and_draws_are_listed_for_the_people_they_sampled(engine):
    with SqlUnitOfWork(engine) as uow:
        plan = uow.dip_plans.add(DipPlan(name="DA checks", plan={"n": 56}), actor="q")
        draw = uow.dip_draws.add(DipDraw(plan_id=plan.id, record={"seed": "0x2a"}), actor="q")
        uow.dip_draws.add(DipDraw(plan_id=plan.id), actor="q")
        uow.dip_results.add(DipResult(draw_id=draw.id, crn=CRN, question_id="Q1",
                                      answer="no", reviewer="q"), actor="q")
        uow.commit()
    with SqlUnitOfWork(engine) as uow:
        assert uow.dip_draws.list_for_crn(CRN) == [draw]
        assert uow.dip_plans.list_for_crn(CRN) == [plan]
        assert [r.answer for r in uow.dip_results.list_for_crn(CRN)] == ["no"]
        assert uow.dip_plans.list_for_crn("Y000001") == []


def test_nothing_is_kept_without_commit_or_when_the_work_fails(engine):
    with SqlUnitOfWork(engine) as uow:
        uow.early_looks.add(EarlyLook(crn=CRN, as_of=date(2024, 1, 1)), actor="amy")
    with pytest.raises(RuntimeError), SqlUnitOfWork(engine) as uow:
        uow.early_looks.add(EarlyLook(crn=CRN, as_of=date(2024, 1, 1)), actor="amy")
        uow.audit.append(actor="amy", action="create", object_type="early_look",
                         object_id="1", crn=CRN)
        raise RuntimeError("the service failed half-way")
    with SqlUnitOfWork(engine) as uow:
        assert uow.early_looks.list_for_crn(CRN) == []
        assert uow.audit.count() == 0
        with pytest.raises(NotFound):
            uow.early_looks.get(1)


def test_an_unreachable_postgresql_is_store_unavailable():
    engine = store_engine.make_engine("postgresql://postgres@127.0.0.1:1/x")
    try:
        with pytest.raises(StoreUnavailable, match="cannot be used"), SqlUnitOfWork(engine):
            pass
    finally:
        engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_sqlite_database_locked_past_the_busy_timeout_is_store_busy(db_url, monkeypatch):
    setup = store_engine.make_engine(db_url)
    schema.upgrade(setup)
    setup.dispose()
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_MS", 200)
    engine = store_engine.make_engine(db_url)
    path = sa.engine.make_url(db_url).database
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")    # another process is writing and holds the lock
        with pytest.raises(StoreBusy, match="locked by another process"), \
                SqlUnitOfWork(engine) as uow:
            uow.early_looks.add(EarlyLook(crn=CRN, as_of=date(2024, 1, 1)), actor="amy")
    finally:
        other.execute("ROLLBACK")
        other.close()
        engine.dispose()
