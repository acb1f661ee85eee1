"""Allocation keeps the total at exactly n, honours minimums and caps, misses no tiny stratum."""

from __future__ import annotations

import math
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dipsample.allocation import Allocator, margin_of_error
from dipsample.errors import PlanInvalid


def per(allocation) -> dict[str, int]:
    return dict(allocation.per_stratum)


# ---------------------------------------------------------------- worked examples


def test_proportional_sizes_50_30_20_n_10_give_5_3_2():
    # Quotas 10 * 50/100 = 5, 3 and 2 exactly: no rounding needed.
    result = Allocator().allocate({"a": 50, "b": 30, "c": 20}, 10)
    assert per(result) == {"a": 5, "b": 3, "c": 2}
    assert result.n == 10 and result.method == "proportional"


def test_a_tiny_stratum_below_take_all_is_taken_whole_and_the_rest_by_largest_remainder():
    # d (3 cases) is taken whole; 97 left for a, b, c (997 cases):
    #   a 600 * 97/997 = 58.375, b 300 * 97/997 = 29.188, c 97 * 97/997 = 9.437
    # floors 58 + 29 + 9 = 96, one more to the largest remainder (c, .437): 58/29/10/3.
    result = Allocator(take_all_below=5).allocate({"a": 600, "b": 300, "c": 97, "d": 3}, 100)
    assert per(result) == {"a": 58, "b": 29, "c": 10, "d": 3}


def test_equal_remainders_go_to_the_larger_stratum_then_the_name_first():
    # Sizes 2/2/2 with n 4: quotas 4/3 each, floors 1 + 1 + 1, one left; the remainders
    # and sizes are equal, so it goes to the name that sorts first, a.
    assert per(Allocator().allocate({"b": 2, "a": 2, "c": 2}, 4)) == {"b": 1, "a": 2, "c": 1}
    # Sizes 10 and 30 with n 2: quotas 0.5 and 1.5, remainders equal: the larger gets it.
    assert per(Allocator().allocate({"small": 10, "large": 30}, 2)) == {"small": 0, "large": 2}


def test_equal_allocation_shares_n_evenly_and_reallocates_what_a_small_stratum_cannot_take():
    # 12 over three strata is 4 each, but c has only 2: its 2 spare go to a and b (5 each).
    assert per(Allocator("equal").allocate({"a": 100, "b": 50, "c": 2}, 12)) == {
        "a": 5, "b": 5, "c": 2}


def test_neyman_weights_by_size_times_the_standard_deviation():
    # Weights 100 * sqrt(.5 * .5) = 50 and 100 * sqrt(.1 * .9) = 30: n 16 -> 10 and 6.
    result = Allocator("neyman", rates={"a": 0.5, "b": 0.1}).allocate({"a": 100, "b": 100}, 16)
    assert per(result) == {"a": 10, "b": 6}


def test_neyman_gives_a_stratum_expected_at_0_or_1_only_its_minimum():
    result = Allocator("neyman", rates={"a": 0.3, "b": 0.0, "c": 1.0},
                       min_per_stratum=1).allocate({"a": 50, "b": 50, "c": 50}, 10)
    assert per(result) == {"a": 8, "b": 1, "c": 1}


def test_neyman_with_every_rate_0_or_1_falls_back_to_proportional_with_a_warning():
    result = Allocator("neyman", rates={"a": 0.0, "b": 1.0}).allocate({"a": 30, "b": 10}, 8)
    assert per(result) == {"a": 6, "b": 2}
    assert any("allocated proportionally" in w for w in result.warnings)


def test_neyman_needs_a_rate_for_every_stratum_and_names_those_missing():
    with pytest.raises(PlanInvalid) as err:
        Allocator("neyman", rates={"a": 0.2}).allocate({"a": 10, "b": 10, "c": 5}, 4)
    assert "none was given for 'b', 'c'" in str(err.value)
    with pytest.raises(PlanInvalid):
        Allocator("neyman", rates={"a": 1.2}).allocate({"a": 10}, 4)


def test_a_minimum_raises_small_strata_and_the_rest_is_shared_by_the_same_method():
    # Without a minimum c (5 of 1,000) would get 0 of 20; with 2 each, 18 left for a and b.
    plain = Allocator().allocate({"a": 700, "b": 295, "c": 5}, 20)
    assert per(plain)["c"] == 0
    assert any("'c' (5 cases) gets no case" in w for w in plain.warnings)
    result = Allocator(min_per_stratum=2).allocate({"a": 700, "b": 295, "c": 5}, 20)
    assert per(result) == {"a": 13, "b": 5, "c": 2}


def test_a_cap_sends_the_excess_to_the_other_strata():
    result = Allocator(max_per_stratum=10).allocate({"a": 900, "b": 50, "c": 50}, 30)
    assert per(result) == {"a": 10, "b": 10, "c": 10}
    result = Allocator(max_per_stratum=15).allocate({"a": 900, "b": 50, "c": 50}, 30)
    assert per(result) == {"a": 15, "b": 8, "c": 7}


def test_minimums_that_need_more_than_n_raise_n_with_a_warning():
    result = Allocator(min_per_stratum=3).allocate({"a": 10, "b": 10, "c": 10, "d": 2}, 6)
    assert per(result) == {"a": 3, "b": 3, "c": 3, "d": 2}
    assert result.n == 11 and result.requested_n == 6
    assert any("the sample is raised to 11" in w for w in result.warnings)


def test_asking_for_more_than_the_frame_holds_takes_every_case_with_a_warning():
    result = Allocator().allocate({"a": 3, "b": 2}, 10)
    assert per(result) == {"a": 3, "b": 2} and result.n == 5
    assert any("every case is taken" in w for w in result.warnings)


def test_caps_that_cannot_reach_n_lower_it_with_a_warning():
    result = Allocator(max_per_stratum=2).allocate({"a": 30, "b": 30}, 10)
    assert per(result) == {"a": 2, "b": 2} and result.n == 4
    assert any("allows only 4 cases" in w for w in result.warnings)


@pytest.mark.parametrize("kwargs", [
    {"method": "random"}, {"min_per_stratum": -1}, {"max_per_stratum": 0},
    {"min_per_stratum": 5, "max_per_stratum": 4}, {"take_all_below": 9, "max_per_stratum": 5},
    {"rates": {"a": 0.5}},
])
def test_parameters_that_cannot_work_are_refused(kwargs):
    with pytest.raises(PlanInvalid):
        Allocator(**kwargs).allocate({"a": 10, "b": 10}, 5)


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_the_sample_size_must_be_a_whole_number_of_at_least_one(n):
    with pytest.raises(PlanInvalid):
        Allocator().allocate({"a": 10}, n)


def test_sizes_may_be_a_series_and_must_be_whole_numbers():
    result = Allocator().allocate(pd.Series({"a": 50, "b": 50}), 10)
    assert per(result) == {"a": 5, "b": 5}
    with pytest.raises(PlanInvalid):
        Allocator().allocate({"a": 1.5}, 1)  # type: ignore[dict-item]
    with pytest.raises(PlanInvalid):
        Allocator().allocate({}, 1)


def test_get_params_returns_the_parameters_unchanged():
    rates = {"a": 0.2}
    allocator = Allocator("neyman", min_per_stratum=1, rates=rates)
    assert allocator.get_params() == {"method": "neyman", "min_per_stratum": 1,
                                      "max_per_stratum": None, "take_all_below": None,
                                      "rates": rates}
    assert allocator.get_params()["rates"] is rates
    assert Allocator(**allocator.get_params()).get_params() == allocator.get_params()


# ---------------------------------------------------------------- precision and the table


def test_a_stratum_whose_own_margin_is_over_20_points_is_warned_about():
    # 10 of 200: 1.96 * sqrt(.25 / 10) * sqrt(190 / 199) = 0.303 -> rough.
    result = Allocator().allocate({"big": 1000, "small": 200}, 60)
    assert per(result) == {"big": 50, "small": 10}
    assert margin_of_error(10, 200) == pytest.approx(0.3028, abs=1e-4)
    rough = [w for w in result.warnings if "rough" in w]
    assert rough == ["Stratum 'small': 10 of 200 cases sampled, so its own figure will be rough "
                     "(95% margin of error up to ±30 percentage points); the overall figure is "
                     "the one to rely on."]


def test_a_stratum_taken_whole_has_no_margin_of_error():
    assert margin_of_error(5, 5) == 0.0
    assert math.isinf(margin_of_error(0, 5))


def test_many_rough_strata_are_listed_up_to_ten_then_counted():
    sizes = {f"s{i:02d}": 100 for i in range(15)}
    result = Allocator().allocate(sizes, 30)
    rough = [w for w in result.warnings if "rough" in w]
    assert len(rough) == 11 and rough[-1].startswith("... and 5 more strata")


def test_the_table_compares_sample_and_population_shares():
    table = Allocator().allocate({"a": 50, "b": 30, "c": 20}, 10).as_table()
    assert list(table.columns) == ["stratum", "population", "population_share", "sample",
                                   "sample_share", "margin_of_error"]
    assert table[["stratum", "population", "sample"]].to_dict("records") == [
        {"stratum": "a", "population": 50, "sample": 5},
        {"stratum": "b", "population": 30, "sample": 3},
        {"stratum": "c", "population": 20, "sample": 2}]
    assert table["population_share"].tolist() == pytest.approx([0.5, 0.3, 0.2])
    assert table["sample_share"].tolist() == pytest.approx([0.5, 0.3, 0.2])


# ---------------------------------------------------------------- properties

sizes_strategy = st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3),
                                 st.integers(0, 400), min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(sizes_strategy, st.integers(1, 600), st.sampled_from(["proportional", "equal", "neyman"]),
       st.integers(0, 6), st.one_of(st.none(), st.integers(1, 80)),
       st.one_of(st.none(), st.integers(0, 8)), st.data())
def test_allocation_totals_n_and_honours_every_bound(sizes, n, method, minimum, cap, take_all,
                                                     data):
    assume(sum(sizes.values()) > 0)
    if cap is not None:
        minimum = min(minimum, cap)
        take_all = None if take_all is None else min(take_all, cap)
    rates = None
    if method == "neyman":
        rates = {s: data.draw(st.sampled_from([0.0, 0.05, 0.2, 0.5, 0.9, 1.0])) for s in sizes}
    result = Allocator(method, min_per_stratum=minimum, max_per_stratum=cap,
                       take_all_below=take_all, rates=rates).allocate(sizes, n)
    got = per(result)
    assert sum(got.values()) == result.n
    for s, size in sizes.items():
        assert 0 <= got[s] <= size
        if cap is not None:
            assert got[s] <= cap
        if take_all is not None and size <= take_all:
            assert got[s] == size
        else:
            assert got[s] >= min(minimum, size)
    # n only moves when the bounds force it, and then says so.
    if result.n != n:
        assert result.warnings
    lows = sum(size if take_all is not None and size <= take_all else min(minimum, size)
               for size in sizes.values())
    highs = sum(size if cap is None or (take_all is not None and size <= take_all)
                else min(size, cap) for size in sizes.values())
    assert result.n == min(max(lows, min(n, sum(sizes.values()))), highs)


@settings(max_examples=300, deadline=None)
@given(sizes_strategy, st.integers(1, 600))
def test_unconstrained_proportional_allocation_is_within_one_of_the_exact_quota(sizes, n):
    total = sum(sizes.values())
    assume(total >= n)
    got = per(Allocator().allocate(sizes, n))
    assert sum(got.values()) == n
    for s, size in sizes.items():
        assert abs(got[s] - Fraction(n * size, total)) < 1


@settings(max_examples=100, deadline=None)
@given(sizes_strategy, st.integers(1, 600), st.randoms(use_true_random=False))
def test_the_order_strata_are_given_in_does_not_change_their_allocation(sizes, n, rnd):
    items = list(sizes.items())
    rnd.shuffle(items)
    assert per(Allocator().allocate(dict(items), n)) == per(Allocator().allocate(sizes, n))


def test_a_single_stratum_is_warned_about_as_the_overall_figure():
    result = Allocator().allocate({"all cases": 400}, 15)
    assert result.warnings == ("The sample of 15 from 400 cases gives a 95% margin of error up "
                               "to ±25 percentage points: its figures will be rough.",)
