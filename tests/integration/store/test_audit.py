"""Every look at a case is traceable, and a changed audit log is found out."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from sfo.services import audit as audit_service
from sfo.store.uow import SqlUnitOfWork

CRN = "X320741"


def record_looks(engine, count: int, *, crn: str = CRN) -> None:
    with SqlUnitOfWork(engine) as uow:
        for i in range(count):
            audit_service.record(uow, actor=f"user{i}", action="view", object_type="case",
                                 object_id=crn, crn=crn, summary=f"look {i}")
        uow.commit()


def problems(engine) -> list[str]:
    return audit_service.verify(uow=SqlUnitOfWork(engine))


def test_reading_a_cases_audit_trail_is_itself_recorded(engine):
    record_looks(engine, 2)
    record_looks(engine, 1, crn="Y000001")
    trail = audit_service.for_case(CRN, uow=SqlUnitOfWork(engine), actor="hr1")
    assert [(e.actor, e.action) for e in trail] == [
        ("user0", "view"), ("user1", "view"), ("hr1", "view-audit")]
    again = audit_service.for_case(CRN, uow=SqlUnitOfWork(engine), actor="hr2")
    assert [e.actor for e in again][-2:] == ["hr1", "hr2"]


def test_an_untouched_log_verifies_and_is_counted(engine):
    record_looks(engine, 3)
    result = audit_service.check(uow=SqlUnitOfWork(engine))
    assert result.intact and result.entries == 3


def test_an_edited_entry_is_found(engine):
    record_looks(engine, 3)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_log SET actor = 'someone else' WHERE seq = 2"))
    found = problems(engine)
    assert any("entry 2" in p and "edited" in p for p in found), found


def test_a_deleted_entry_is_found(engine):
    record_looks(engine, 3)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq = 2"))
    found = problems(engine)
    assert any("entries 2 to 2 are missing" in p for p in found), found


def test_entries_cut_off_the_end_are_found(engine):
    record_looks(engine, 3)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_log WHERE seq = 3"))
    assert any("entries at the end were removed" in p for p in problems(engine))


def test_a_change_that_is_rolled_back_leaves_no_entry(engine):
    with SqlUnitOfWork(engine) as uow:
        audit_service.record(uow, actor="amy", action="update", object_type="early_look",
                             object_id="1", crn=CRN, summary="not committed")
    assert audit_service.check(uow=SqlUnitOfWork(engine)).entries == 0


def test_writers_at_the_same_time_never_break_the_chain(engine):
    def writer() -> None:
        for _ in range(5):
            record_looks(engine, 2)

    threads = [threading.Thread(target=writer) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    result = audit_service.check(uow=SqlUnitOfWork(engine))
    assert result.problems == [] and result.entries == 30
