"""Roles and permissions: who may do what, and who sees restricted entries."""

from __future__ import annotations

import pytest

from sfo.domain import access
from sfo.domain.access import Actor
from sfo.errors import PermissionDenied


def person(*roles: str, pdus: tuple[str, ...] = ()) -> Actor:
    return Actor("someone", "Some One", roles, pdus)


def test_only_a_manager_may_change_an_early_look_and_only_a_reviewer_a_review():
    assert access.can(person("manager"), "early_look.edit")
    assert not access.can(person("reviewer"), "early_look.edit")
    assert access.can(person("reviewer"), "review.edit")
    assert not access.can(person("manager"), "review.edit")
    assert not access.can(person("quality"), "early_look.view")


def test_a_refusal_says_who_may_and_what_to_do():
    with pytest.raises(PermissionDenied) as refused:
        access.require(person("quality"), "early_look.edit")
    message = str(refused.value)
    assert "quality team" in message and "Only manager can" in message
    assert "ask" in message


def test_restricted_entries_are_for_the_manager_reviewer_and_hr_only():
    assert {r for r in access.ROLES if access.can_see_restricted(person(r))} == \
        {"manager", "reviewer", "hr"}


def test_the_terminal_operator_is_not_checked():
    assert access.can("jo at the terminal", "users.manage")
    access.require("jo at the terminal", "review.edit")
    assert access.can_see_restricted("jo") and access.can_see_case("jo", "Anywhere")


def test_an_account_limited_to_some_units_sees_only_their_cases():
    limited = person("manager", pdus=("Cardiff and Vale",))
    assert access.can_see_case(limited, "Cardiff and Vale")
    assert not access.can_see_case(limited, "Swansea")
    assert access.can_see_case(person("manager"), "Swansea")  # no limit: every unit
    with pytest.raises(PermissionDenied, match="Swansea"):
        access.require_case(limited, "X123456", "Swansea")


def test_every_action_names_known_roles_and_an_unknown_action_is_a_bug():
    for roles, words in access.PERMISSIONS.values():
        assert roles <= set(access.ROLES) and words
    with pytest.raises(KeyError):
        access.can(person("admin"), "launch.rockets")
