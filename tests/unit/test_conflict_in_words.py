"""A conflict between two saves is told part by part, in words, never as raw content."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sfo.errors import ConflictError


def parts(content: Mapping[str, Any] | None) -> dict[str, str]:
    if not content:
        return {}
    return {f"Answer {k}": str(v) for k, v in content["answers"].items()}


def conflict(start: object, theirs: object, **other: tuple[object, object]) -> ConflictError:
    return ConflictError("Early look 3", by="Sam Manager", at="2024-06-21T10:00:00+00:00",
                         changes={"content": (start, theirs), **other})


def test_only_the_parts_that_differ_are_kept_with_yours_then_theirs():
    told = conflict({"answers": {"EL01": "met", "EL02": "not met", "EL03": "met"}},
                    {"answers": {"EL01": "met", "EL02": "met", "EL04": "partly"}},
                    status=("draft", "final")).in_words(
        "content", parts, labels={"status": "Status"})
    assert told.changes == {"Answer EL02": ("not met", "met"),
                            "Answer EL03": ("met", "(removed)"),
                            "Answer EL04": ("(nothing)", "partly"),
                            "Status": ("draft", "final")}
    assert (told.what, told.by, told.at) == ("Early look 3", "Sam Manager",
                                             "2024-06-21T10:00:00+00:00")
    assert "content" not in str(told) and "Answer EL02" in str(told)


def test_a_part_they_removed_can_be_called_something_else():
    told = conflict({"answers": {"EL01": "met"}}, {"answers": {}}).in_words(
        "content", parts, gone="(nothing)")
    assert told.changes == {"Answer EL01": ("met", "(nothing)")}


def test_a_side_with_no_content_is_compared_as_empty_and_never_shown_raw():
    told = conflict(None, {"answers": {"EL01": "met"}, "rows": ["secret"]}).in_words(
        "content", parts)
    assert told.changes == {"Answer EL01": ("(nothing)", "met")}
    assert "secret" not in repr(told.changes)


def test_a_conflict_without_that_content_is_left_as_it_is():
    plain = ConflictError("Account jo", by="Admin", at="2024-06-21T10:00:00+00:00",
                          changes={"roles": ("manager", "reviewer")})
    assert plain.in_words("content", parts) is plain
