"""Casework objects match their tables, and the fake repositories behave like the real ones."""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import date

import pytest

from sfo.domain.casework import DipDraw, DipPlan, DipResult, EarlyLook, User
from sfo.errors import ConflictError, InputError, NotFound
from sfo.store import repositories
from sfo.store.uow import FakeUnitOfWork

CRN = "X320741"


@pytest.mark.parametrize("kind", repositories.KINDS, ids=lambda k: k.table.name)
def test_each_casework_object_has_exactly_its_tables_columns(kind):
    names = {f.name for f in fields(kind.domain)}
    extra = {"roles"} if kind.domain is User else set()
    assert names == set(kind.table.c.keys()) | extra


def test_a_user_holds_only_known_roles():
    with pytest.raises(InputError, match="boss is not a role"):
        User(username="x", display_name="X", roles=("boss",))
    assert User(username="x", display_name="X", roles=("hr", "admin", "hr")).roles == (
        "admin", "hr")


def test_the_fake_refuses_a_stale_save_like_the_real_one():
    uow = FakeUnitOfWork()
    with uow:
        look = uow.early_looks.add(EarlyLook(crn=CRN, as_of=date(2024, 3, 14),
                                             content={"a": 1}), actor="amy")
        uow.early_looks.save(replace(look, content={"a": 2}), expected_version=1,
                             actor="amy")
        with pytest.raises(ConflictError) as caught:
            uow.early_looks.save(replace(look, status="final"), expected_version=1,
                                 actor="ben")
        uow.commit()
    assert caught.value.by == "amy"
    assert caught.value.changes == {"content": ({"a": 1}, {"a": 2})}
    with uow:
        assert uow.early_looks.get(look.id).version == 2


def test_the_fake_forgets_what_was_not_committed():
    uow = FakeUnitOfWork()
    with uow:
        uow.early_looks.add(EarlyLook(crn=CRN, as_of=date(2024, 3, 14)), actor="amy")
    with uow, pytest.raises(NotFound):
        uow.early_looks.get(1)


def test_dip_plans_and_draws_are_listed_for_the_people_they_sampled():
    uow = FakeUnitOfWork()
    with uow:
        plan = uow.dip_plans.add(DipPlan(name="DA checks"), actor="q")
        draw = uow.dip_draws.add(DipDraw(plan_id=plan.id), actor="q")
        uow.dip_results.add(DipResult(draw_id=draw.id, crn=CRN, question_id="Q1",
                                      answer="yes", reviewer="q"), actor="q")
        assert uow.dip_draws.list_for_crn(CRN) == [draw]
        assert uow.dip_plans.list_for_crn(CRN) == [plan]
        assert uow.dip_plans.list_for_crn("Y000001") == []
