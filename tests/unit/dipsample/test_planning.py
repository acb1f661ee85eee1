"""Sample sizes match the design's worked numbers and sizes recomputed here by brute force."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from dipsample import planning
from dipsample.errors import PlanInvalid


def failing_cases(population: int, prevalence: float) -> int:
    """K = ceil(p * N), reading p as the decimal it was written as (0.07 * 100 is 7, not 8)."""
    return math.ceil(round(prevalence * population, 9))


def brute_force_discovery(population: int, prevalence: float, confidence: float) -> int:
    """The smallest n whose hypergeometric chance of no failing case is at most 1 - confidence.

    scipy's pmf for every n; where it is within rounding of 1 - confidence
    (an exact tie such as 5 of 10 cases missing the one failing case, 0.5),
    the tie is settled exactly as C(N - K, n) / C(N, n) in whole numbers.
    """
    k = failing_cases(population, prevalence)
    alpha = 1 - Fraction(str(confidence))
    ns = np.arange(0, population + 1)
    chance_of_none = stats.hypergeom.pmf(0, population, k, ns)
    close = np.isclose(chance_of_none, float(alpha), rtol=1e-9, atol=0)
    enough = chance_of_none <= float(alpha)
    for n in np.flatnonzero(close).tolist():
        enough[n] = Fraction(math.comb(population - k, n), math.comb(population, n)) <= alpha
    return int(ns[np.argmax(enough)])


def brute_force_binomial(prevalence: float, confidence: float) -> int:
    n = 1
    while (1 - prevalence) ** n > round(1 - confidence, 12):
        n += 1
    return n


# -- the design's worked numbers ---------------------------------------------------------

def test_500_cases_at_5_percent_and_95_percent_need_56_by_the_exact_calculation():
    plan = planning.discovery_size(500, 0.05, 0.95)
    assert plan.n == 56
    assert plan.failing_assumed == 25
    assert plan.binomial_n == 59
    assert plan.poisson_n == 60
    assert plan.convention == "hypergeometric (exact, without replacement)"


def test_56_is_the_first_size_whose_chance_of_missing_every_failure_is_at_most_5_percent():
    assert stats.hypergeom.pmf(0, 500, 25, 56) <= 0.05 < stats.hypergeom.pmf(0, 500, 25, 55)


def test_the_discovery_statement_reads_as_the_design_says():
    assert planning.discovery_size(500, 0.05).statement() == (
        "Check 56 of the 500 cases. If 5% or more of them (25 cases or more) fail, a sample "
        "this size finds at least one with 95% confidence. This uses the exact hypergeometric "
        "calculation; the binomial approximation gives 59 and the Poisson 60.")


def test_500_cases_estimated_to_5_points_at_95_percent_need_218_and_385_without_correction():
    plan = planning.estimation_size(500, 0.5, 0.05, 0.95)
    assert plan.n == 218
    assert plan.infinite_population_n == 385


# -- discovery against brute force -------------------------------------------------------

GRID = [(population, prevalence, confidence)
        for population in (1, 2, 3, 10, 57, 500, 1000, 4321)
        for prevalence in (0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.9, 1.0)
        for confidence in (0.5, 0.8, 0.9, 0.95, 0.99, 0.9999)]


@pytest.mark.parametrize(("population", "prevalence", "confidence"), GRID)
def test_discovery_size_is_the_smallest_n_found_by_brute_force(population, prevalence,
                                                               confidence):
    plan = planning.discovery_size(population, prevalence, confidence)
    assert plan.failing_assumed == failing_cases(population, prevalence)
    assert plan.n == brute_force_discovery(population, prevalence, confidence)


def test_discovery_size_is_exact_for_ten_million_cases():
    population, prevalence = 10_000_000, 0.001
    plan = planning.discovery_size(population, prevalence, 0.95)
    ns = np.arange(1, 10_000)
    chance_of_none = stats.hypergeom.pmf(0, population, 10_000, ns)
    assert plan.n == int(ns[np.argmax(chance_of_none <= 0.05)])
    assert plan.n < plan.binomial_n  # without replacement needs fewer


def test_an_exact_tie_counts_as_enough_for_one_failing_case_in_ten_million():
    # With one failing case the chance of missing it is (N - n) / N, which is
    # exactly 0.05 at n = 9,500,000 out of N = 10,000,000.
    plan = planning.discovery_size(10_000_000, 1e-7, 0.95)
    assert plan.failing_assumed == 1
    assert plan.n == 9_500_000


def test_a_single_case_is_a_census_of_one():
    plan = planning.discovery_size(1, 0.05)
    assert (plan.n, plan.failing_assumed) == (1, 1)
    assert "Check all 1 cases: this is a census." in plan.statement()


def test_a_prevalence_that_makes_every_case_fail_needs_one_case():
    plan = planning.discovery_size(3, 0.9)
    assert plan.failing_assumed == 3
    assert plan.n == 1
    assert planning.discovery_size(500, 1.0).n == 1


def test_the_failing_count_reads_the_prevalence_as_written():
    # 0.07 * 100 is 7.000000000000001 in floating point; its ceiling would be 8.
    assert planning.discovery_size(100, 0.07).failing_assumed == 7


@pytest.mark.parametrize(("prevalence", "confidence"),
                         [(0.001, 0.95), (0.01, 0.9), (0.05, 0.95), (0.1, 0.99), (0.3, 0.8)])
def test_the_binomial_and_poisson_sizes_match_their_formulas(prevalence, confidence):
    plan = planning.discovery_size(10_000_000, prevalence, confidence)
    assert plan.binomial_n == brute_force_binomial(prevalence, confidence)
    assert plan.poisson_n == math.ceil(-math.log(1 - confidence) / prevalence)


def test_a_small_caseload_is_a_census_and_the_approximations_are_capped_at_it():
    plan = planning.discovery_size(10, 0.05)
    assert plan.n == 10
    assert plan.census
    assert (plan.binomial_n, plan.poisson_n) == (10, 10)
    assert plan.statement().startswith("Check all 10 cases: this is a census.")


def test_the_discovery_plan_as_a_dict_is_json_ready_and_holds_every_field():
    data = planning.discovery_size(500, 0.05).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["method"] == "discovery"
    assert data["n"] == 56
    for name in ("population", "prevalence", "confidence", "failing_assumed", "binomial_n",
                 "poisson_n", "convention"):
        assert name in data


@settings(max_examples=60, deadline=None)
@given(population=st.integers(1, 2_000_000), prevalence=st.floats(0.0005, 1.0),
       confidence=st.floats(0.5, 0.9999))
def test_discovery_size_never_exceeds_the_population(population, prevalence, confidence):
    plan = planning.discovery_size(population, prevalence, confidence)
    assert 1 <= plan.n <= population
    assert plan.binomial_n <= population and plan.poisson_n <= population


@settings(max_examples=60, deadline=None)
@given(population=st.integers(1, 100_000), low=st.floats(0.001, 1.0), high=st.floats(0.001, 1.0),
       confidence=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_discovery_size_never_grows_as_the_prevalence_grows(population, low, high, confidence):
    low, high = sorted((low, high))
    assert (planning.discovery_size(population, high, confidence).n
            <= planning.discovery_size(population, low, confidence).n)


# -- estimation ---------------------------------------------------------------------------

ESTIMATES = [(population, rate, margin, confidence)
             for population in (1, 2, 30, 500, 10_000, 10_000_000)
             for rate in (0.01, 0.1, 0.5, 0.8)
             for margin in (0.01, 0.05, 0.1, 0.5)
             for confidence in (0.8, 0.9, 0.95, 0.99)]


@pytest.mark.parametrize(("population", "rate", "margin", "confidence"), ESTIMATES)
def test_estimation_size_matches_the_formula_with_finite_population_correction(
        population, rate, margin, confidence):
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    spread = z ** 2 * rate * (1 - rate)
    expected = min(population, math.ceil(population * spread
                                         / ((population - 1) * margin ** 2 + spread)))
    plan = planning.estimation_size(population, rate, margin, confidence)
    assert plan.n == expected
    assert plan.infinite_population_n == math.ceil(spread / margin ** 2)
    assert plan.z == pytest.approx(z, rel=1e-12)


def test_the_estimation_statement_gives_the_size_and_the_uncorrected_size():
    assert planning.estimation_size(500).statement() == (
        "Check 218 of the 500 cases. A sample this size estimates how common a problem is to "
        "within 5 percentage points either way, with 95% confidence, if the true rate is near "
        "50%. Without the adjustment for a small caseload (the finite population correction) "
        "it would be 385.")


def test_an_estimate_for_a_tiny_caseload_is_a_census():
    plan = planning.estimation_size(1)
    assert plan.n == 1 and plan.census
    assert "census" in plan.statement()


def test_the_estimation_plan_as_a_dict_is_json_ready_and_holds_every_field():
    data = planning.estimation_size(500).as_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["method"] == "estimate"
    assert data["n"] == 218
    for name in ("population", "expected_rate", "margin", "confidence", "z",
                 "infinite_population_n", "convention"):
        assert name in data


@pytest.mark.parametrize("rate", [0, 0.0, 1, 1.0])
def test_an_expected_rate_of_0_or_1_is_refused_with_advice_to_use_a_half(rate):
    with pytest.raises(PlanInvalid, match=r"use 0\.5"):
        planning.estimation_size(500, rate)


@settings(max_examples=60, deadline=None)
@given(population=st.integers(1, 10_000_000), rate=st.floats(0.001, 0.999),
       margin=st.floats(0.001, 0.5), confidence=st.floats(0.5, 0.9999))
def test_estimation_size_never_exceeds_the_population_or_the_uncorrected_size(
        population, rate, margin, confidence):
    plan = planning.estimation_size(population, rate, margin, confidence)
    assert 1 <= plan.n <= population
    assert plan.n <= plan.infinite_population_n


# -- bad parameters -------------------------------------------------------------------------

@pytest.mark.parametrize("population", [0, -5, 2.5, 500.0, True, "500", None])
def test_a_population_that_is_not_a_whole_number_of_at_least_1_is_refused(population):
    with pytest.raises(PlanInvalid, match="whole number of at least 1"):
        planning.discovery_size(population, 0.05)
    with pytest.raises(PlanInvalid, match="whole number of at least 1"):
        planning.estimation_size(population)


@pytest.mark.parametrize("prevalence", [0, -0.1, 1.01, 5, math.nan, "0.05", None])
def test_a_prevalence_outside_0_to_1_is_refused_and_given_as_a_fraction(prevalence):
    with pytest.raises(PlanInvalid, match=r"more than 0 and at most 1 \(for example 0.05 for 5%\)"):
        planning.discovery_size(500, prevalence)


@pytest.mark.parametrize("confidence", [0.49, 1, 95, 0.99999, math.nan])
def test_a_confidence_outside_a_half_to_0_9999_is_refused(confidence):
    with pytest.raises(PlanInvalid, match=r"from 0\.5 to 0\.9999"):
        planning.discovery_size(500, 0.05, confidence)
    with pytest.raises(PlanInvalid, match=r"from 0\.5 to 0\.9999"):
        planning.estimation_size(500, confidence=confidence)


@pytest.mark.parametrize("margin", [0, -0.05, 0.51, 5])
def test_a_margin_outside_0_to_a_half_is_refused(margin):
    with pytest.raises(PlanInvalid, match=r"more than 0 and at most 0\.5"):
        planning.estimation_size(500, margin=margin)


@pytest.mark.parametrize("rate", [-0.2, 1.5, 50])
def test_an_expected_rate_outside_0_to_1_is_refused(rate):
    with pytest.raises(PlanInvalid, match="more than 0 and less than 1"):
        planning.estimation_size(500, rate)


def test_the_edge_values_of_confidence_and_margin_are_allowed():
    assert planning.discovery_size(500, 0.05, 0.5).n >= 1
    assert planning.discovery_size(500, 0.05, 0.9999).n <= 500
    assert planning.estimation_size(500, margin=0.5).n >= 1


# -- per stratum -----------------------------------------------------------------------------

def test_each_stratum_gets_the_same_discovery_plan_as_its_own_size_would():
    plans = planning.plan_strata({"North": 500, "South": 40}, prevalence=0.05)
    assert list(plans) == ["North", "South"]
    assert plans["North"] == planning.discovery_size(500, 0.05)
    assert plans["South"] == planning.discovery_size(40, 0.05)


def test_each_stratum_gets_the_same_estimation_plan_as_its_own_size_would():
    plans = planning.plan_strata({"A": 500, "B": 80}, method="estimate", margin=0.1)
    assert plans["A"] == planning.estimation_size(500, margin=0.1)
    assert plans["B"] == planning.estimation_size(80, margin=0.1)


def test_stratum_plans_refuse_an_unknown_method_or_parameter():
    with pytest.raises(PlanInvalid, match="discovery, estimate"):
        planning.plan_strata({"A": 10}, method="guess")
    with pytest.raises(PlanInvalid, match="does not take margin"):
        planning.plan_strata({"A": 10}, prevalence=0.05, margin=0.1)
    with pytest.raises(PlanInvalid, match="needs the prevalence"):
        planning.plan_strata({"A": 10})


def test_a_stratum_with_no_cases_is_named_in_the_error():
    with pytest.raises(PlanInvalid, match="stratum 'Empty' must be a whole number of at least 1"):
        planning.plan_strata({"Full": 10, "Empty": 0}, prevalence=0.05)


def test_stratum_plans_need_at_least_one_stratum():
    with pytest.raises(PlanInvalid, match="at least one stratum"):
        planning.plan_strata({}, prevalence=0.05)


def test_percentages_are_written_without_scientific_notation():
    assert planning.format_percent(0.0495076) == "4.95%"
    assert planning.format_percent(1e-7) == "0.00001%"
    assert planning.format_percent(0.075) == "7.5%"
    assert planning.format_percent(1.0) == "100%"
    assert planning.format_percent(0.0) == "0%"
