"""Exclusion rules: read back as written, applied in order, each case counted once."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dipsample.eligibility import (
    Empty,
    ValueIn,
    ValueNotIn,
    Within,
    apply_exclusions,
    parse_rule,
)
from dipsample.errors import FrameInvalid, PlanInvalid
from dipsample.frame import Frame

REF = dt.date(2026, 1, 1)


def frame_of(rows: list[dict[str, str]]) -> Frame:
    return Frame.from_dataframe(pd.DataFrame(rows).astype("str"), source="caseload.csv")


CASES = frame_of([
    # started 2025-11-05 is 57 days (more than 8 weeks) before 2026-01-01; 2025-11-06 is 56.
    {"crn": "A000001", "start_date": "2025-11-05", "sentence_type": "community_order",
     "staff_code": "N07A726", "last_audited_date": "2024-12-31"},
    {"crn": "A000002", "start_date": "2025-11-06", "sentence_type": "licence",
     "staff_code": "N07A726", "last_audited_date": ""},
    {"crn": "A000003", "start_date": "", "sentence_type": "suspended_sentence",
     "staff_code": "N07B111", "last_audited_date": "2025-01-02"},
    {"crn": "A000004", "start_date": "2025-12-31", "sentence_type": "licence",
     "staff_code": "N07B111", "last_audited_date": "2025-06-30"},
    {"crn": "A000005", "start_date": "2020-01-01", "sentence_type": "",
     "staff_code": "", "last_audited_date": ""},
])


# ---------------------------------------------------------------- parsing


@pytest.mark.parametrize(("text", "rule"), [
    ("start_date within 8w", Within("start_date", 8, "w")),
    ("last_audited_date within 12m", Within("last_audited_date", 12, "m")),
    ("start_date within 30d", Within("start_date", 30, "d")),
    ("Start_Date  within 8 weeks", Within("start_date", 8, "w")),
    ("sentence_type not-in community_order,licence",
     ValueNotIn("sentence_type", ("community_order", "licence"), "not-in")),
    ("sentence_type not in community_order, licence",
     ValueNotIn("sentence_type", ("community_order", "licence"), "not-in")),
    ("sentence_type in licence", ValueIn("sentence_type", ("licence",), "in")),
    ("staff_code != N07A726", ValueNotIn("staff_code", ("N07A726",), "!=")),
    ("staff_code = N07A726", ValueIn("staff_code", ("N07A726",), "=")),
    ("staff_code=N07A726", ValueIn("staff_code", ("N07A726",), "=")),
    ("tier empty", Empty("tier")),
])
def test_each_command_line_form_is_read_as_its_rule(text: str, rule: object):
    assert parse_rule(text) == rule


@pytest.mark.parametrize("text", ["start_date within 8w", "sentence_type not-in a,b",
                                  "sentence_type in licence", "staff_code != N07A726",
                                  "staff_code = N07A726", "tier empty"])
def test_a_rule_writes_itself_back_as_it_was_given(text: str):
    assert parse_rule(text).text == text


@pytest.mark.parametrize("text", ["start_date within 8y", "start_date within w",
                                  "start_date within 0w", "start_date before 8w",
                                  "sentence_type in", "sentence_type in a,,b", "tier",
                                  "", "= x"])
def test_bad_syntax_is_refused_listing_the_accepted_forms(text: str):
    with pytest.raises(PlanInvalid) as err:
        parse_rule(text)
    assert "is not an exclusion rule" in str(err.value)
    assert "COLUMN within N(d|w|m)" in str(err.value)
    assert "COLUMN not-in A,B" in str(err.value)
    assert "COLUMN empty" in str(err.value)


def test_an_unknown_column_is_refused_listing_the_columns_and_forms():
    with pytest.raises(PlanInvalid) as err:
        apply_exclusions(CASES, ["sentence in licence"], reference_date=REF)
    message = str(err.value)
    assert "names the column 'sentence', which the frame does not have" in message
    assert "'sentence_type'" in message and "COLUMN = VALUE" in message
    with pytest.raises(PlanInvalid):
        parse_rule("sentence in licence", columns=CASES.columns)


# ---------------------------------------------------------------- applying


def excluded(rule: str) -> list[str]:
    result = apply_exclusions(CASES, [rule], reference_date=REF)
    return result.excluded["crn"].tolist()


def test_within_excludes_dates_less_than_the_span_before_the_reference_date():
    # 8 weeks before 2026-01-01 is 2025-11-06: that day is exactly 8 weeks ago, so kept.
    assert Within("start_date", 8, "w").cutoff(REF) == dt.date(2025, 11, 6)
    assert excluded("start_date within 8w") == ["A000004"]
    assert excluded("start_date within 57d") == ["A000002", "A000004"]


def test_within_months_steps_back_calendar_months():
    assert Within("d_date", 12, "m").cutoff(REF) == dt.date(2025, 1, 1)
    assert Within("d_date", 1, "m").cutoff(dt.date(2026, 3, 31)) == dt.date(2026, 2, 28)
    assert excluded("last_audited_date within 12m") == ["A000003", "A000004"]


def test_a_blank_date_never_excludes_under_within():
    assert "A000003" not in excluded("start_date within 520w")
    assert "a blank start_date does not exclude" in Within("start_date", 8, "w").explain(REF)


def test_a_bad_date_stops_the_rule_naming_row_and_column():
    frame = frame_of([{"crn": "A000001", "start_date": "2025-02-30"}])
    with pytest.raises(FrameInvalid) as err:
        apply_exclusions(frame, ["start_date within 8w"], reference_date=REF)
    assert [(i.row, i.column) for i in err.value.issues] == [(2, "start_date")]


def test_value_rules_keep_or_exclude_exactly_the_listed_values():
    assert excluded("sentence_type in licence") == ["A000002", "A000004"]
    assert excluded("sentence_type not-in community_order,licence") == ["A000003", "A000005"]
    assert excluded("staff_code != N07A726") == ["A000003", "A000004", "A000005"]
    assert excluded("staff_code = N07A726") == ["A000001", "A000002"]
    assert excluded("sentence_type empty") == ["A000005"]


def test_each_case_is_counted_under_the_first_rule_that_excludes_it():
    rules = ["start_date within 8w", "sentence_type in licence", "staff_code empty"]
    result = apply_exclusions(CASES, rules, reference_date=REF)
    # A000004 is recent AND a licence: counted once, under the first rule.
    assert result.counts == (("start_date within the last 8 weeks", 1),
                             ("sentence_type is licence", 1), ("staff_code is blank", 1))
    assert result.excluded.to_dict("records") == [
        {"crn": "A000002", "reason": "sentence_type is licence", "row": 3},
        {"crn": "A000004", "reason": "start_date within the last 8 weeks", "row": 5},
        {"crn": "A000005", "reason": "staff_code is blank", "row": 6},
    ]
    assert result.population == 5
    assert result.eligible.data["crn"].tolist() == ["A000001", "A000003"]
    assert result.as_table().to_dict("records") == [
        {"step": "population", "cases": 5},
        {"step": "excluded: start_date within the last 8 weeks", "cases": -1},
        {"step": "excluded: sentence_type is licence", "cases": -1},
        {"step": "excluded: staff_code is blank", "cases": -1},
        {"step": "eligible", "cases": 2},
    ]
    assert result.reference_date == REF
    assert [r.text for r in result.rules] == rules


def test_the_eligible_frame_has_its_own_fingerprint():
    result = apply_exclusions(CASES, ["sentence_type in licence"], reference_date=REF)
    rows = CASES.data.drop(columns="row")
    again = Frame.from_dataframe(rows[~rows["sentence_type"].eq("licence")])
    assert result.eligible.fingerprint == again.fingerprint != CASES.fingerprint


def test_no_rules_leave_every_case_eligible():
    result = apply_exclusions(CASES, [], reference_date=REF)
    assert len(result.eligible) == 5 and result.counts == () and result.excluded.empty


def test_a_listed_value_no_case_has_is_warned_about():
    result = apply_exclusions(CASES, ["sentence_type in Licence"], reference_date=REF)
    assert len(result.eligible) == 5
    assert "no case has sentence_type Licence (values are matched exactly as written" in (
        result.warnings[0])


def test_excluding_everyone_is_warned_about():
    everyone = apply_exclusions(CASES, ["staff_code != nobody"], reference_date=REF)
    assert len(everyone.eligible) == 0
    assert "Every one of the 5 cases was excluded" in everyone.warnings[-1]


def test_the_reference_date_must_be_a_date():
    with pytest.raises(PlanInvalid):
        apply_exclusions(CASES, [], reference_date=dt.datetime(2026, 1, 1))  # type: ignore[arg-type]


def test_rules_are_vectorised_over_a_large_frame():
    n = 20_000
    frame = Frame.from_dataframe(pd.DataFrame({
        "crn": [f"B{i:06d}" for i in range(n)],
        "tier": np.array(["A", "B", "C", ""])[np.arange(n) % 4],
    }).astype("str"))
    result = apply_exclusions(frame, ["tier in A", "tier empty"], reference_date=REF)
    assert result.counts == (("tier is A", n // 4), ("tier is blank", n // 4))
    assert len(result.eligible) == n // 2
