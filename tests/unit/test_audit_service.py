"""The audit services, on the in-memory unit of work (no database)."""

from __future__ import annotations

from dataclasses import replace

from sfo.services import audit as audit_service
from sfo.store.uow import FakeUnitOfWork

CRN = "X320741"


def test_reading_a_cases_trail_records_the_reading_and_commits_once():
    uow = FakeUnitOfWork()
    with uow:
        audit_service.record(uow, actor="amy", action="view", object_type="case",
                             object_id=CRN, crn=CRN, summary="opened the case")
        uow.commit()
    trail = audit_service.for_case(CRN, uow=uow, actor="hr1")
    assert [(e.actor, e.action) for e in trail] == [("amy", "view"), ("hr1", "view-audit")]
    assert uow.commits == 2


def test_an_entry_recorded_without_commit_is_gone():
    uow = FakeUnitOfWork()
    with uow:
        audit_service.record(uow, actor="amy", action="view", object_type="case",
                             object_id=CRN, crn=CRN, summary="")
    assert audit_service.check(uow=uow).entries == 0


def test_the_fake_log_is_chained_like_the_real_one_so_an_edit_is_found():
    uow = FakeUnitOfWork()
    with uow:
        for who in ("amy", "ben", "cat"):
            audit_service.record(uow, actor=who, action="view", object_type="case",
                                 object_id=CRN, crn=CRN, summary="")
        uow.commit()
    assert audit_service.verify(uow=uow) == []
    uow.audit.entries[1] = replace(uow.audit.entries[1], actor="nobody")
    assert audit_service.verify(uow=uow) == [
        "entry 2 (view case X320741 by nobody) has been edited since it was written"]
