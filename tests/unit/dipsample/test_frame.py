"""The sampling frame: every problem named by row and column, and a stable fingerprint."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dipsample.errors import FrameInvalid
from dipsample.frame import Frame


def caseload(rows: list[dict[str, str | None]], dtype: str = "str") -> pd.DataFrame:
    """A caseload as the CSV reader gives it: every column text."""
    return pd.DataFrame(rows).astype(dtype)


def problems(df: pd.DataFrame) -> FrameInvalid:
    with pytest.raises(FrameInvalid) as err:
        Frame.from_dataframe(df, source="caseload.csv")
    return err.value


def reference_fingerprint(rows: list[dict[str, str]]) -> str:
    """The recipe in Frame.fingerprint's docstring, written out plainly."""
    def text_list(items: list[str]) -> bytes:
        data = [s.encode() for s in items]
        return (len(data).to_bytes(8, "little")
                + b"".join(len(d).to_bytes(4, "little") for d in data) + b"".join(data))

    rows = sorted(rows, key=lambda r: r["crn"])
    names = sorted(rows[0])
    h = hashlib.sha256(b"dipsample frame v1\n" + len(rows).to_bytes(8, "little"))
    h.update(text_list(names))
    for name in names:
        distinct = sorted({r[name] for r in rows})
        at = {v: i for i, v in enumerate(distinct)}
        h.update(text_list(distinct))
        h.update(b"".join(at[r[name]].to_bytes(4, "little") for r in rows))
    return h.hexdigest()


ROWS = [
    {"crn": "X320741", "tier": "B", "team_code": "N07UAT", "start_date": "2024-01-10"},
    {"crn": "A000001", "tier": "A", "team_code": "N07UAT", "start_date": "2023-11-02"},
    {"crn": "M123456", "tier": "", "team_code": "N07UBT", "start_date": ""},
]


# ---------------------------------------------------------------- building a frame


def test_a_valid_caseload_becomes_a_frame_held_in_crn_order():
    frame = Frame.from_dataframe(caseload(ROWS), source="caseload.csv")
    assert len(frame) == 3
    assert frame.source == "caseload.csv"
    assert frame.columns == ("crn", "tier", "team_code", "start_date")
    assert frame.data["crn"].tolist() == ["A000001", "M123456", "X320741"]
    assert frame.data["row"].tolist() == [3, 4, 2]  # the spreadsheet rows they came from
    assert list(frame.data.columns) == ["crn", "tier", "team_code", "start_date", "row"]


def test_headers_are_trimmed_and_lower_cased():
    df = caseload(ROWS).rename(columns={"crn": " CRN ", "tier": "Tier"})
    assert Frame.from_dataframe(df).columns[:2] == ("crn", "tier")


def test_values_are_trimmed_and_a_missing_value_is_empty_text():
    df = pd.DataFrame({"crn": [" X320741 ", "A000001", "B000002", "C000003"],
                       "tier": ["  B ", None, np.nan, "   "]}, dtype=object)
    data = Frame.from_dataframe(df).data
    assert data["crn"].tolist() == ["A000001", "B000002", "C000003", "X320741"]
    assert data["tier"].tolist() == ["", "", "", "B"]


def test_a_column_that_is_not_text_is_read_through_str():
    df = pd.DataFrame({"crn": ["A000001", "B000002"], "caseload": [12, 7]})
    assert Frame.from_dataframe(df).data["caseload"].tolist() == ["12", "7"]


def test_text_and_object_columns_give_the_same_frame():
    a = Frame.from_dataframe(caseload(ROWS, "str"))
    b = Frame.from_dataframe(caseload(ROWS, "object"))
    c = Frame.from_dataframe(caseload(ROWS, "string[pyarrow]"))
    assert a.fingerprint == b.fingerprint == c.fingerprint
    pd.testing.assert_frame_equal(a.data, b.data)


def test_a_row_column_gives_the_row_numbers_and_is_not_data():
    df = caseload(ROWS)
    df["row"] = [10, 11, 12]
    frame = Frame.from_dataframe(df)
    assert "row" not in frame.columns
    assert frame.data["row"].tolist() == [11, 12, 10]
    assert frame.fingerprint == Frame.from_dataframe(caseload(ROWS)).fingerprint


def test_an_empty_caseload_is_a_frame_of_no_cases():
    frame = Frame.from_dataframe(pd.DataFrame({"crn": pd.Series([], dtype="str")}))
    assert len(frame) == 0
    assert len(frame.fingerprint) == 64


def test_changing_the_data_a_frame_gives_changes_neither_the_frame_nor_its_fingerprint():
    frame = Frame.from_dataframe(caseload(ROWS))
    before = frame.fingerprint
    data = frame.data
    data.loc[0, "tier"] = "Z"
    assert frame.data.loc[0, "tier"] == "A"
    assert frame.take(np.array([0]))["tier"].tolist() == ["A"]
    assert Frame.fingerprint.func(frame) == before  # recomputed, not the cached value


def test_position_of_finds_a_crn_and_nothing_that_only_looks_like_one():
    frame = Frame.from_dataframe(caseload(ROWS))
    assert frame.position_of("M123456") == 1
    assert frame.position_of(" X320741 ") == 2
    assert frame.position_of("X3207411") is None
    assert frame.position_of("x320741") is None
    assert frame.position_of("B999999") is None


# ---------------------------------------------------------------- problems


def test_no_crn_column_is_refused_naming_the_columns_found():
    err = problems(pd.DataFrame({"case": ["X320741"], "tier": ["A"]}))
    assert [(i.row, i.column) for i in err.issues] == [(1, "crn")]
    assert "there is no 'crn' column (columns found: 'case', 'tier')" in str(err)


def test_a_header_given_twice_is_refused():
    df = pd.DataFrame([["X320741", "A", "B"]], columns=["crn", "Tier", "tier "])
    err = problems(df)
    assert err.issues[0].column == "tier"
    assert "appears 2 times" in err.issues[0].message


def test_an_empty_crn_is_named_by_row_and_column():
    err = problems(caseload([{"crn": "X320741"}, {"crn": "  "}, {"crn": None}]))
    assert [(i.row, i.column) for i in err.issues] == [(3, "crn"), (4, "crn")]
    assert "caseload.csv, row 3, column 'crn': the crn is empty" in str(err)


@pytest.mark.parametrize("value", ["X32074", "X3207411", "XX20741", "1320741", "X32O741",
                                   "X 320741", "É320741"])
def test_a_malformed_crn_is_named_with_what_was_expected(value: str):
    err = problems(caseload([{"crn": "A000001"}, {"crn": value}]))
    assert [(i.row, i.column) for i in err.issues] == [(3, "crn")]
    assert err.issues[0].message == (f"{value!r} is not a CRN (expected a letter and six "
                                     "digits, e.g. X320741)")


def test_a_lower_case_crn_is_refused_not_upper_cased_and_the_capital_is_suggested():
    err = problems(caseload([{"crn": "x320741"}]))
    assert err.issues[0].message == ("'x320741' is not a CRN: the letter must be a capital, as "
                                     "the case-management system writes it (X320741)")


def test_a_repeated_crn_names_both_rows():
    err = problems(caseload([{"crn": "A000001"}, {"crn": "X320741"}, {"crn": "B000002"},
                             {"crn": "X320741 "}, {"crn": "X320741"}]))
    assert [str(i.message) for i in err.issues] == [
        "X320741 appears again (first at row 3)", "X320741 appears again (first at row 3)"]
    assert [i.row for i in err.issues] == [5, 6]


def test_a_repeat_is_found_alongside_other_problems_in_one_pass():
    err = problems(caseload([{"crn": "X320741"}, {"crn": "bad"}, {"crn": "X320741"}]))
    assert [(i.row, i.message) for i in err.issues] == [
        (3, "'bad' is not a CRN (expected a letter and six digits, e.g. X320741)"),
        (4, "X320741 appears again (first at row 2)")]


def test_the_first_row_of_a_repeat_is_the_earliest_row_whatever_the_order():
    df = caseload([{"crn": "X320741"}, {"crn": "X320741"}])
    df["row"] = [9, 4]
    err = problems(df)
    assert [(i.row, i.message) for i in err.issues] == [
        (9, "X320741 appears again (first at row 4)")]


def test_every_problem_is_counted_but_the_first_100_listed_in_row_order():
    rows = [{"crn": f"bad{i}"} for i in range(150)] + [{"crn": ""}]
    err = problems(caseload(rows))
    assert err.total == 151
    assert len(err.issues) == 100
    assert [i.row for i in err.issues] == list(range(2, 102))
    assert "... and 51 more of the same kinds." in str(err)
    assert str(err).startswith("The sampling frame caseload.csv was not used: 151 problems found.")


def test_a_row_column_that_is_not_whole_numbers_is_refused():
    df = caseload([{"crn": "X320741"}, {"crn": "A000001"}])
    df["row"] = pd.Series(["2", "three"], dtype="str")
    err = problems(df)
    assert [(i.row, i.column) for i in err.issues] == [(3, "row")]


@pytest.mark.parametrize("rows", [
    [{"crn": ""}],
    [{"crn": "Q12"}],
    [{"crn": "q123456"}],
    [{"crn": "X320741"}, {"crn": "X320741"}],
])
def test_every_row_problem_names_a_row_and_a_column(rows: list[dict[str, str]]):
    err = problems(caseload(rows))
    assert err.issues
    for issue in err.issues:
        assert issue.row is not None and issue.row >= 2
        assert issue.column == "crn"
        assert f"row {issue.row}, column 'crn'" in str(err)


# ---------------------------------------------------------------- dates


def dated(values: list[str]) -> Frame:
    return Frame.from_dataframe(caseload([{"crn": f"A{i:06d}", "start_date": v}
                                          for i, v in enumerate(values)]))


def test_iso_and_uk_dates_are_read_and_a_blank_is_no_date():
    iso = dated(["2024-01-10", "", "2023-02-28"]).dates("start_date")
    uk = dated(["10/01/2024", "", "28/02/2023"]).dates("start_date")
    expected = np.array(["2024-01-10", "NaT", "2023-02-28"], dtype="datetime64[D]")
    np.testing.assert_array_equal(iso, expected)
    np.testing.assert_array_equal(uk, expected)


def test_dates_in_two_forms_are_refused_naming_the_row_that_decided():
    frame = dated(["2024-01-10", "05/02/2024", "2024-03-01"])
    with pytest.raises(FrameInvalid) as err:
        frame.dates("start_date")
    assert [(i.row, i.column) for i in err.value.issues] == [(3, "start_date")]
    assert err.value.issues[0].message == (
        "'05/02/2024' is written DD/MM/YYYY but this column uses YYYY-MM-DD (decided by row 2);"
        " use one date form per column")


@pytest.mark.parametrize("value", ["31/02/2024", "3/4/24", "2024-02-30", "2024-13-01",
                                   "2024/01/10", "10 Jan 2024", "0000-01-01", "01/02/24"])
def test_an_invalid_or_ambiguous_date_names_row_column_and_the_expected_form(value: str):
    frame = dated(["2024-01-10", value] if "-" in value else ["10/01/2024", value])
    with pytest.raises(FrameInvalid) as err:
        frame.dates("start_date")
    assert [(i.row, i.column) for i in err.value.issues] == [(3, "start_date")]
    assert err.value.issues[0].message == (
        f"{value!r} is not a valid date (expected YYYY-MM-DD or DD/MM/YYYY, one form per "
        "column)")


# ---------------------------------------------------------------- fingerprint


def test_the_fingerprint_is_the_documented_recipe_so_anyone_can_recompute_it():
    frame = Frame.from_dataframe(caseload(ROWS))
    assert frame.fingerprint == reference_fingerprint(ROWS)


def test_the_fingerprint_handles_text_beyond_ascii():
    rows = [{"crn": "A000001", "name": "Zoë"}, {"crn": "B000002", "name": "Łukasz"},
            {"crn": "C000003", "name": ""}]
    assert Frame.from_dataframe(caseload(rows)).fingerprint == reference_fingerprint(rows)


def test_a_subset_has_the_fingerprint_its_rows_would_have_if_read_afresh():
    frame = Frame.from_dataframe(caseload(ROWS))
    part = frame.subset(np.array([True, False, True]))
    assert len(part) == 2
    assert part.fingerprint == reference_fingerprint([ROWS[1], ROWS[0]])


values = st.sampled_from(["", "A", "B", "licence", "community_order", "Zoë", "a\x1fb", "1"])


@st.composite
def caseloads(draw: st.DrawFn) -> list[dict[str, str]]:
    ids = draw(st.lists(st.integers(0, 26_000_000 - 1), min_size=1, max_size=25, unique=True))
    columns = draw(st.lists(st.sampled_from(["tier", "pdu", "team_code", "sentence_type"]),
                            max_size=3, unique=True))
    rows = []
    for i in ids:
        row = {"crn": f"{chr(65 + i // 1_000_000)}{i % 1_000_000:06d}"}
        row.update({c: draw(values) for c in columns})
        rows.append(row)
    return rows


@settings(max_examples=60, deadline=None)
@given(caseloads(), st.randoms(use_true_random=False))
def test_the_fingerprint_does_not_depend_on_row_or_column_order(rows, rnd):
    frame = Frame.from_dataframe(caseload(rows))
    shuffled = caseload(rows).sample(frac=1, random_state=rnd.randrange(2**32))
    columns = list(shuffled.columns)
    rnd.shuffle(columns)
    again = Frame.from_dataframe(shuffled[columns])
    assert again.fingerprint == frame.fingerprint == reference_fingerprint(rows)


@settings(max_examples=60, deadline=None)
@given(caseloads(), st.data())
def test_changing_any_one_cell_changes_the_fingerprint(rows, data):
    before = Frame.from_dataframe(caseload(rows)).fingerprint
    i = data.draw(st.integers(0, len(rows) - 1))
    column = data.draw(st.sampled_from(sorted(rows[0])))
    changed = [dict(r) for r in rows]
    if column == "crn":
        taken = {r["crn"] for r in rows}
        # Enough spare CRNs that one is always free, whatever the rows hold.
        spare = [f"Z{n}" for n in range(999990, 1000000)]
        new = data.draw(st.sampled_from([c for c in spare if c not in taken]))
    else:
        new = data.draw(values.filter(lambda v: v != rows[i][column]))
    changed[i][column] = new
    assert Frame.from_dataframe(caseload(changed)).fingerprint != before
