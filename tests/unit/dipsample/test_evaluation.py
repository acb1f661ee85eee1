"""Evaluation: intervals, weighted estimates and agreement agree with independent computations."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from dipsample import evaluation, hashing
from dipsample.errors import PlanInvalid, ResultsInvalid
from dipsample.evaluation import ANSWERS, Evaluator

CONFIDENCES = (0.8, 0.9, 0.95, 0.99)
COUNTS = [(k, n) for n in (1, 2, 5, 10, 29, 59, 148, 263) for k in sorted({0, 1, n // 3, n - 1, n})]


def crns(count: int, start: int = 0) -> list[str]:
    return [f"X{i:06d}" for i in range(start, start + count)]


def sample_of(strata: dict[str, int]) -> pd.DataFrame:
    """A sample with ``count`` cases in each stratum, CRNs numbered in order."""
    rows, start = [], 0
    for name, count in strata.items():
        rows += [{"crn": c, "stratum": name} for c in crns(count, start)]
        start += count
    return pd.DataFrame(rows)


def answers(pairs: list[tuple[str, str]], question: str = "Q1",
            reviewer: str = "Ann") -> pd.DataFrame:
    return pd.DataFrame([{"crn": c, "question_id": question, "answer": a, "reviewer": reviewer}
                         for c, a in pairs])


# -- Clopper-Pearson, Wilson and one-sided limits ---------------------------------------------

@pytest.mark.parametrize("confidence", CONFIDENCES)
@pytest.mark.parametrize(("k", "n"), COUNTS)
def test_the_exact_interval_matches_scipy_binomtest(k, n, confidence):
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    low, high = evaluation.clopper_pearson(k, n, confidence)
    assert low == pytest.approx(expected.low, rel=1e-9, abs=1e-12)
    assert high == pytest.approx(expected.high, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("confidence", CONFIDENCES)
@pytest.mark.parametrize(("k", "n"), COUNTS)
def test_the_wilson_interval_matches_scipy_binomtest(k, n, confidence):
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    low, high = evaluation.wilson(k, n, confidence)
    assert low == pytest.approx(expected.low, rel=1e-9, abs=1e-12)
    assert high == pytest.approx(expected.high, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("confidence", CONFIDENCES)
@pytest.mark.parametrize(("k", "n"), COUNTS)
@pytest.mark.parametrize("method", ["exact", "wilson"])
def test_the_one_sided_upper_limit_matches_scipy_binomtest_one_sided(k, n, confidence, method):
    expected = stats.binomtest(k, n, alternative="less").proportion_ci(
        confidence_level=confidence, method=method)
    assert evaluation.upper_bound(k, n, confidence, method) == pytest.approx(
        expected.high, rel=1e-9, abs=1e-12)


def test_zero_failures_in_59_gives_an_upper_bound_of_4_95_percent():
    # The classic discovery-sampling figure: 59 clean cases rule out 5% at 95%.
    assert round(evaluation.upper_bound(0, 59, 0.95), 4) == 0.0495
    assert evaluation.upper_bound(0, 59, 0.95) == pytest.approx(1 - 0.05 ** (1 / 59), rel=1e-12)


# Newcombe (1998), "Two-sided confidence intervals for the single proportion:
# comparison of seven methods", Statistics in Medicine 17:857-872, Table II:
# methods 3 (Wilson score) and 5 (exact, Clopper-Pearson), to four places.
NEWCOMBE = [
    (81, 263, (0.2553, 0.3662), (0.2527, 0.3676)),
    (15, 148, (0.0624, 0.1605), (0.0578, 0.1617)),
    (0, 20, (0.0, 0.1611), (0.0, 0.1684)),
    (1, 29, (0.0061, 0.1718), (0.0009, 0.1776)),
]


@pytest.mark.parametrize(("k", "n", "score", "exact"), NEWCOMBE)
def test_intervals_match_newcombes_published_table(k, n, score, exact):
    assert tuple(round(x, 4) for x in evaluation.wilson(k, n)) == score
    assert tuple(round(x, 4) for x in evaluation.clopper_pearson(k, n)) == exact


def test_no_failures_give_a_lower_limit_of_0_and_all_failures_an_upper_limit_of_1():
    assert evaluation.clopper_pearson(0, 30)[0] == 0.0
    assert evaluation.clopper_pearson(30, 30)[1] == 1.0
    assert evaluation.wilson(0, 30)[0] == 0.0
    assert evaluation.wilson(30, 30)[1] == 1.0
    assert evaluation.upper_bound(30, 30) == 1.0


@pytest.mark.parametrize(("k", "n"), [(0, 0), (-1, 5), (6, 5), (1.5, 5), (True, 5)])
def test_counts_that_cannot_make_an_interval_are_refused(k, n):
    with pytest.raises(PlanInvalid):
        evaluation.clopper_pearson(k, n)
    with pytest.raises(PlanInvalid):
        evaluation.wilson(k, n)
    with pytest.raises(PlanInvalid):
        evaluation.upper_bound(k, n)


def test_no_cases_checked_is_refused_with_a_plain_message():
    with pytest.raises(PlanInvalid, match="No cases were checked"):
        evaluation.clopper_pearson(0, 0)


def test_an_unknown_interval_method_is_refused():
    with pytest.raises(PlanInvalid, match="exact or wilson"):
        evaluation.upper_bound(1, 10, method="normal")


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 5000), data=st.data(), confidence=st.floats(0.5, 0.9999))
def test_every_interval_holds_the_observed_rate_and_stays_within_0_and_1(n, data, confidence):
    k = data.draw(st.integers(0, n))
    rate = k / n
    for low, high in (evaluation.clopper_pearson(k, n, confidence),
                      evaluation.wilson(k, n, confidence)):
        assert 0.0 <= low <= rate <= high <= 1.0
    for method in ("exact", "wilson"):
        assert rate <= evaluation.upper_bound(k, n, confidence, method) <= 1.0


# -- the stratified estimate --------------------------------------------------------------

def test_the_stratified_estimate_matches_a_hand_worked_two_stratum_example():
    # A: N = 300, n = 20, 4 failing, p = 0.2.  B: N = 200, n = 20, 1 failing, p = 0.05.
    # Weights W = 300/500 = 0.6 and 200/500 = 0.4.
    # Estimate: 0.6 * 0.2 + 0.4 * 0.05 = 0.12 + 0.02 = 0.14.
    # Variance, stratum A: 0.6^2 * (1 - 20/300) * 0.2 * 0.8 / 19
    #                    = 0.36 * (280/300) * 0.16 / 19 = 0.05376 / 19.
    # Variance, stratum B: 0.4^2 * (1 - 20/200) * 0.05 * 0.95 / 19
    #                    = 0.16 * 0.9 * 0.0475 / 19 = 0.00684 / 19.
    # Total 0.0606 / 19 = 0.0031894737; standard error 0.0564754.
    # 95%: z = 1.959964, so 0.14 -/+ 0.1106899 = 0.0293101 to 0.2506899.
    est = evaluation.stratified_estimate({"A": 300, "B": 200}, {"A": 20, "B": 20},
                                         {"A": 4, "B": 1})
    assert est.proportion == pytest.approx(0.14, rel=1e-12)
    assert est.standard_error == pytest.approx(math.sqrt(0.0606 / 19), rel=1e-12)
    assert est.standard_error == pytest.approx(0.0564754, abs=1e-7)
    assert est.low == pytest.approx(0.0293101, abs=1e-6)
    assert est.high == pytest.approx(0.2506899, abs=1e-6)
    assert est.covered_share == 1.0
    assert est.warnings == ()


def test_a_stratum_with_nothing_assessed_is_left_out_and_reported_as_not_covered():
    est = evaluation.stratified_estimate({"A": 300, "B": 200, "C": 500},
                                         {"A": 20, "B": 20}, {"A": 4, "B": 1})
    # Weights are shares of the 500 covered cases, so the estimate is as before.
    assert est.proportion == pytest.approx(0.14, rel=1e-12)
    assert est.covered_share == 0.5
    assert est.not_covered == ("C",)
    assert any("stratum 'C'" in w and "50%" in w for w in est.warnings)


def test_a_stratum_with_one_case_adds_no_variance_and_says_so():
    est = evaluation.stratified_estimate({"A": 300, "B": 200}, {"A": 20, "B": 1},
                                         {"A": 4, "B": 1})
    # Only stratum A contributes: 0.6^2 * (280/300) * 0.16 / 19.
    assert est.standard_error == pytest.approx(math.sqrt(0.05376 / 19), rel=1e-12)
    assert any("Only one case was assessed in stratum 'B'" in w for w in est.warnings)


def test_the_stratified_interval_is_clipped_to_0_and_1():
    est = evaluation.stratified_estimate({"A": 1000, "B": 1000}, {"A": 3, "B": 3},
                                         {"A": 0, "B": 1})
    assert est.low == 0.0
    assert est.low <= est.proportion <= est.high <= 1.0


def test_a_stratified_estimate_with_no_spread_warns():
    est = evaluation.stratified_estimate({"A": 100, "B": 100}, {"A": 10, "B": 10},
                                         {"A": 0, "B": 0})
    assert (est.low, est.high, est.standard_error) == (0.0, 0.0, 0.0)
    assert any("no width" in w for w in est.warnings)


@pytest.mark.parametrize(("assessed", "failing", "message"), [
    ({"A": 30}, {"A": 0}, "30 cases assessed but only 20 eligible"),
    ({"A": 5}, {"A": 6}, "6 cases failing but only 5 assessed"),
    ({"Z": 5}, {"Z": 1}, "Stratum 'Z' has results but no number of eligible cases"),
    ({}, {}, "nothing to estimate"),
])
def test_stratified_counts_that_cannot_be_right_are_refused(assessed, failing, message):
    with pytest.raises(PlanInvalid, match=message):
        evaluation.stratified_estimate({"A": 20, "B": 40}, assessed, failing)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5000), st.floats(0, 1), st.floats(0, 1)),
                min_size=1, max_size=6),
       st.sampled_from(CONFIDENCES))
def test_the_stratified_interval_holds_its_estimate_within_0_and_1(strata, confidence):
    population, assessed, failing = {}, {}, {}
    for i, (size, share, rate) in enumerate(strata):
        population[f"S{i}"] = size
        assessed[f"S{i}"] = max(1, round(share * size))
        failing[f"S{i}"] = round(rate * assessed[f"S{i}"])
    est = evaluation.stratified_estimate(population, assessed, failing, confidence)
    assert 0.0 <= est.low <= est.proportion <= est.high <= 1.0


# -- agreement -------------------------------------------------------------------------------

def test_kappa_matches_the_textbook_two_by_two_example():
    # 50 cases: both yes 20, A yes B no 5, A no B yes 10, both no 15.
    # Observed agreement 35/50 = 0.7; chance 0.5 * 0.6 + 0.5 * 0.4 = 0.5;
    # kappa (0.7 - 0.5) / (1 - 0.5) = 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert evaluation.cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-12)
    assert evaluation.percent_agreement(a, b) == pytest.approx(0.7)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ANSWERS), st.sampled_from(ANSWERS)),
                min_size=1, max_size=60))
def test_kappa_matches_scikit_learn_for_any_answers(pairs):
    a = [x for x, _ in pairs]
    b = [y for _, y in pairs]
    assume(not (len(set(a)) == 1 and set(a) == set(b)))  # kappa undefined there
    assert evaluation.cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)
    assert evaluation.percent_agreement(a, b) == pytest.approx(
        float(np.mean(np.array(a) == np.array(b))))


def test_kappa_is_undefined_when_both_reviewers_give_one_identical_answer_throughout():
    assert math.isnan(evaluation.cohen_kappa(["yes"] * 8, ["yes"] * 8))


def test_kappa_is_zero_when_each_reviewer_gives_a_different_single_answer():
    assert evaluation.cohen_kappa(["yes"] * 4, ["no"] * 4) == 0.0


def test_agreement_needs_matching_non_empty_answer_lists():
    with pytest.raises(PlanInvalid, match="3 and 2 answers"):
        evaluation.cohen_kappa(["yes", "no", "yes"], ["yes", "no"])
    with pytest.raises(PlanInvalid, match="at least one case"):
        evaluation.percent_agreement([], [])


# -- second review ------------------------------------------------------------------------------

SEED = 0x0123456789ABCDEF0123456789ABCDEF


def test_the_second_review_subset_is_reproducible_and_in_review_order():
    ids = crns(200)
    first = evaluation.second_review_subset(ids, SEED, size=20)
    assert first == evaluation.second_review_subset(list(reversed(ids)), SEED, size=20)
    assert len(first) == 20 and len(set(first)) == 20
    # Recomputable by anyone: the first 20 by the keyed hash under the review key.
    order = hashing.rank_order(ids, SEED ^ evaluation.SECOND_REVIEW_DOMAIN)
    assert first == tuple(ids[i] for i in order[:20])


def test_the_second_review_subset_is_not_just_the_first_cases_of_the_main_draw():
    ids = crns(200)
    main_order = hashing.rank_order(ids, SEED)
    assert set(evaluation.second_review_subset(ids, SEED, size=20)) != {
        ids[i] for i in main_order[:20]}


@pytest.mark.parametrize(("count", "fraction", "expected"),
                         [(10, 0.15, 2), (10, 0.1, 1), (3, 0.01, 1), (40, 0.25, 10), (7, 1, 7)])
def test_a_fraction_for_second_review_rounds_up(count, fraction, expected):
    assert len(evaluation.second_review_subset(crns(count), SEED, fraction=fraction)) == expected


def test_an_empty_sample_gives_no_second_review_cases():
    assert evaluation.second_review_subset([], SEED, fraction=0.1) == ()


@pytest.mark.parametrize("kwargs", [{}, {"size": 2, "fraction": 0.1}, {"size": 11},
                                    {"size": -1}, {"fraction": 0}, {"fraction": 1.5}])
def test_second_review_needs_exactly_one_sensible_size_or_fraction(kwargs):
    with pytest.raises(PlanInvalid):
        evaluation.second_review_subset(crns(10), SEED, **kwargs)


def test_second_review_refuses_a_bad_seed_or_repeated_cases():
    with pytest.raises(PlanInvalid, match="seed"):
        evaluation.second_review_subset(crns(10), -1, size=1)
    with pytest.raises(PlanInvalid, match="X000001"):
        evaluation.second_review_subset(["X000001", "X000001"], SEED, size=1)


# -- the Evaluator: how answers count -------------------------------------------------------------

def test_the_evaluator_stores_its_parameters_unchanged_and_checks_them_only_when_used():
    evaluator = Evaluator(confidence=95, interval="normal", kappa_warning=0.5)
    assert evaluator.get_params() == {"confidence": 95, "interval": "normal",
                                      "kappa_warning": 0.5}
    with pytest.raises(PlanInvalid, match="confidence"):
        evaluator.evaluate(answers([]), sample_of({"A": 1}), {"A": 1})


def test_unable_to_assess_counts_as_failing_and_not_applicable_is_left_out():
    ids = crns(5)
    results = answers(list(zip(ids, ["yes", "yes", "unable_to_assess", "not_applicable", "yes"],
                               strict=True)))
    (q,) = Evaluator().evaluate(results, sample_of({"A": 5}), {"A": 50}).questions
    # Dropping unable-to-assess would give 0 of 3; counting not-applicable, 1 of 5.
    assert (q.failing, q.assessed) == (1, 4)
    assert q.counts["unable_to_assess"] == 1 and q.counts["not_applicable"] == 1


def test_no_and_partly_both_count_as_failing():
    ids = crns(4)
    results = answers(list(zip(ids, ["no", "partly", "yes", "yes"], strict=True)))
    (q,) = Evaluator().evaluate(results, sample_of({"A": 4}), {"A": 40}).questions
    assert (q.failing, q.assessed) == (2, 4)
    assert q.proportion == 0.5


@pytest.mark.parametrize(("written", "read"), [
    (" YES ", "yes"), ("No", "no"), ("N/A", "not_applicable"), ("na", "not_applicable"),
    ("Not Applicable", "not_applicable"), ("not-applicable", "not_applicable"),
    ("Unable to assess", "unable_to_assess"), ("PARTLY", "partly")])
def test_answers_are_read_trimmed_in_any_case_with_n_a_as_not_applicable(written, read):
    results = answers([("X000000", written), ("X000001", "yes")])
    (q,) = Evaluator().evaluate(results, sample_of({"A": 2}), {"A": 10}).questions
    assert q.counts[read] == 1 + (read == "yes")


def test_the_first_answer_in_file_order_is_the_one_evaluated_and_a_later_one_is_a_second_review():
    results = pd.concat([answers([("X000000", "no")], reviewer="Bob"),
                         answers([("X000000", "yes")], reviewer="Ann")], ignore_index=True)
    ev = Evaluator().evaluate(results, sample_of({"A": 1}), {"A": 10})
    (q,) = ev.questions
    assert (q.failing, q.assessed) == (1, 1)
    assert ev.agreement[0].pairs == 1
    assert ev.agreement[0].percent_agreement == 0.0


def test_sampled_cases_with_no_answer_are_not_yet_assessed_and_not_failures():
    results = answers([("X000000", "no"), ("X000001", "yes")])
    ev = Evaluator().evaluate(results, sample_of({"A": 4}), {"A": 40})
    (q,) = ev.questions
    assert (q.failing, q.assessed) == (1, 2)
    assert ev.not_assessed == {"Q1": ("X000002", "X000003")}
    assert any("2 sampled cases have no answer yet for Q1" in w and "not counted as failures" in w
               for w in ev.warnings)


def test_crns_are_matched_to_the_sample_ignoring_case_and_spaces():
    ev = Evaluator().evaluate(answers([(" x000000 ", "no")]), sample_of({"A": 1}), {"A": 10})
    assert ev.questions[0].failing == 1
    assert ev.not_assessed == {}


def test_questions_come_out_sorted_by_question_id():
    results = pd.concat([answers([("X000000", "yes")], question=q) for q in ("Q3", "Q1", "Q2")])
    ev = Evaluator().evaluate(results, sample_of({"A": 1}), {"A": 10})
    assert [q.question_id for q in ev.questions] == ["Q1", "Q2", "Q3"]


def test_a_question_that_never_applied_has_no_figures_and_a_warning():
    ev = Evaluator().evaluate(answers([("X000000", "not_applicable")]), sample_of({"A": 1}),
                              {"A": 10})
    assert ev.questions == ()
    assert any("Q1 did not apply" in w for w in ev.warnings)


def test_each_stratum_has_its_own_figures_and_the_whole_a_weighted_estimate():
    sample = sample_of({"A": 20, "B": 20})
    ids = list(sample["crn"])
    verdicts = ["no"] * 4 + ["yes"] * 16 + ["no"] + ["yes"] * 19
    ev = Evaluator().evaluate(answers(list(zip(ids, verdicts, strict=True))), sample,
                              {"A": 300, "B": 200})
    (q,) = ev.questions
    assert [(s.stratum, s.population, s.assessed, s.failing) for s in q.per_stratum] == [
        ("A", 300, 20, 4), ("B", 200, 20, 1)]
    assert q.per_stratum[0].exact == evaluation.clopper_pearson(4, 20)
    assert q.stratified == evaluation.stratified_estimate(
        {"A": 300, "B": 200}, {"A": 20, "B": 20}, {"A": 4, "B": 1})
    assert "Weighted by the size of each stratum, an estimated 14%" in q.statement()


def test_a_weighted_upper_limit_above_a_half_says_more_than_half_may_not_meet_it():
    sample = sample_of({"A": 5, "B": 5})
    verdicts = ["no", "no", "no", "yes", "yes", "no", "no", "yes", "yes", "yes"]
    ev = Evaluator().evaluate(answers(list(zip(sample["crn"], verdicts, strict=True))), sample,
                              {"A": 100, "B": 100})
    assert "so more than half may not meet it." in ev.questions[0].statement()


def test_one_stratum_gives_no_stratified_estimate():
    ev = Evaluator().evaluate(answers([("X000000", "no")]), sample_of({"A": 1}), {"A": 10})
    assert ev.questions[0].stratified is None


def test_the_upper_limit_follows_the_evaluators_interval_method():
    results = answers(list(zip(crns(10), ["no"] + ["yes"] * 9, strict=True)))
    sample, population = sample_of({"A": 10}), {"A": 100}
    exact = Evaluator().evaluate(results, sample, population).questions[0]
    score = Evaluator(interval="wilson").evaluate(results, sample, population).questions[0]
    assert exact.upper_bound == evaluation.upper_bound(1, 10, 0.95, "exact")
    assert score.upper_bound == evaluation.upper_bound(1, 10, 0.95, "wilson")
    assert exact.wilson == score.wilson == evaluation.wilson(1, 10)


# -- the Evaluator: what it says ---------------------------------------------------------------

def test_a_result_with_failures_is_stated_with_its_upper_limit_as_1_in_x():
    results = answers(list(zip(crns(40), ["no"] * 3 + ["yes"] * 37, strict=True)))
    (q,) = Evaluator().evaluate(results, sample_of({"A": 40}), {"A": 500}).questions
    # One-sided exact limit for 3 of 40 at 95%: 18.26%, and 1/5 = 20% is above it.
    assert q.statement() == (
        "3 of 40 cases checked (7.5%) did not meet this standard. We can be 95% confident that "
        "fewer than 1 in 5 (upper limit 18.3%) of the 500 eligible cases would not meet it.")


def test_zero_failures_in_59_are_stated_as_fewer_than_1_in_20():
    results = answers([(c, "yes") for c in crns(59)])
    (q,) = Evaluator().evaluate(results, sample_of({"A": 59}), {"A": 500}).questions
    assert q.statement() == (
        "None of the 59 cases checked failed. We can be 95% confident that fewer than 1 in 20 "
        "(upper limit 4.95%) of the 500 eligible cases would not meet it.")


def test_a_given_population_total_replaces_the_one_from_the_strata():
    results = answers([(c, "yes") for c in crns(59)])
    (q,) = Evaluator().evaluate(results, sample_of({"A": 59}), {"A": 500}).questions
    assert "of the 2000 eligible cases" in q.statement(2000)


def test_an_upper_limit_above_a_half_says_more_than_half_may_not_meet_it():
    results = answers(list(zip(crns(4), ["no", "no", "yes", "yes"], strict=True)))
    (q,) = Evaluator().evaluate(results, sample_of({"A": 4}), {"A": 100}).questions
    assert "We cannot rule out that more than half of the 100 eligible cases would not meet it" \
        in q.statement()
    assert "1 in" not in q.statement()


@given(n=st.integers(1, 3000), data=st.data())
def test_the_1_in_x_figure_is_never_below_the_upper_limit(n, data):
    k = data.draw(st.integers(0, n))
    upper = evaluation.upper_bound(k, n)
    assume(upper <= 0.5)
    x = evaluation._one_in(upper)
    assert 1 / x >= upper
    assert 1 / (x + 1) < upper


def test_no_failures_across_strata_use_the_weighted_exact_limits():
    sample = sample_of({"A": 20, "B": 20})
    ev = Evaluator().evaluate(answers([(c, "yes") for c in sample["crn"]]), sample,
                              {"A": 300, "B": 200})
    (q,) = ev.questions
    # Each stratum: 20 clean cases, limit 1 - 0.05^(1/20) = 13.91%; weighted, the same.
    expected = 0.6 * (1 - 0.05 ** (1 / 20)) + 0.4 * (1 - 0.05 ** (1 / 20))
    assert q.weighted_upper_bound() == pytest.approx(expected, rel=1e-12)
    assert q.statement() == (
        "None of the 40 cases checked failed. Weighted by the size of each stratum, we can be "
        "95% confident that fewer than 1 in 7 (upper limit 13.9%) of the 500 eligible cases "
        "would not meet it.")


def test_a_stratum_with_nothing_checked_is_named_in_the_statement():
    sample = sample_of({"A": 10, "B": 10})
    verdicts = ["no", "no"] + ["yes"] * 18
    ev = Evaluator().evaluate(answers(list(zip(sample["crn"], verdicts, strict=True))), sample,
                              {"A": 100, "B": 100, "C": 200})
    (q,) = ev.questions
    assert "This covers only 50% of eligible cases: none were checked in stratum 'C'." \
        in q.statement()
    assert any(w.startswith("Q1: No case was assessed in stratum 'C'") for w in ev.warnings)


def test_agreement_is_given_per_question_and_across_all_questions_like_scikit_learn():
    ids = crns(12)
    first = ["yes"] * 6 + ["no"] * 6
    second = ["yes"] * 5 + ["no"] * 5 + ["yes", "no"]
    results = pd.concat([
        answers(list(zip(ids, first, strict=True)), "Q1", "Ann"),
        answers(list(zip(ids, first, strict=True)), "Q2", "Ann"),
        answers(list(zip(ids, second, strict=True)), "Q1", "Bob"),
        answers(list(zip(ids, first, strict=True)), "Q2", "Bob"),
    ], ignore_index=True)
    ev = Evaluator().evaluate(results, sample_of({"A": 12}), {"A": 100})
    q1, q2, overall = ev.agreement
    assert (q1.question_id, q2.question_id, overall.question_id) == ("Q1", "Q2", None)
    assert q1.pairs == 12 and overall.pairs == 24
    assert q1.kappa == pytest.approx(cohen_kappa_score(first, second))
    assert overall.kappa == pytest.approx(cohen_kappa_score(first + first, second + first))
    assert q2.kappa == 1.0 and q2.warning is None
    assert q1.percent_agreement == pytest.approx(10 / 12)


def test_low_agreement_warns_in_plain_english_with_the_kappa_and_the_threshold():
    ids = crns(12)
    results = pd.concat([
        answers(list(zip(ids, ["yes"] * 6 + ["no"] * 6, strict=True)), "Q3", "Ann"),
        answers(list(zip(ids, ["yes"] * 4 + ["no"] * 4 + ["yes"] * 2 + ["no"] * 2,
                         strict=True)), "Q3", "Bob")], ignore_index=True)
    ev = Evaluator().evaluate(results, sample_of({"A": 12}), {"A": 100})
    # Observed 8/12; chance 0.5; kappa (2/3 - 1/2) / (1/2) = 1/3: "fair" (Landis and Koch).
    assert ev.agreement[0].warning == (
        "Agreement between reviewers on Q3 is only fair (Cohen's kappa 0.33, below 0.6): agree "
        "what the question means before relying on the results.")
    assert ev.agreement[0].warning in ev.warnings


def test_fewer_than_10_second_reviews_warn_that_agreement_is_uncertain():
    results = pd.concat([answers([("X000000", "yes"), ("X000001", "no")], reviewer="Ann"),
                         answers([("X000000", "yes"), ("X000001", "no")], reviewer="Bob")],
                        ignore_index=True)
    ev = Evaluator().evaluate(results, sample_of({"A": 2}), {"A": 100})
    assert "Only 2 cases were reviewed twice on Q1" in ev.agreement[0].warning


def test_undefined_kappa_is_explained_and_written_as_null():
    results = pd.concat([answers([(c, "yes") for c in crns(10)], reviewer="Ann"),
                         answers([(c, "yes") for c in crns(10)], reviewer="Bob")],
                        ignore_index=True)
    ev = Evaluator().evaluate(results, sample_of({"A": 10}), {"A": 100})
    assert math.isnan(ev.agreement[0].kappa)
    assert "cannot be worked out on Q1" in ev.agreement[0].warning
    assert ev.agreement[0].as_dict()["kappa"] is None


def test_no_second_reviews_are_noted():
    ev = Evaluator().evaluate(answers([("X000000", "yes")]), sample_of({"A": 1}), {"A": 10})
    assert ev.agreement == ()
    assert any("agreement between reviewers was not measured" in w for w in ev.warnings)


def test_the_evaluation_as_a_dict_is_strict_json():
    results = pd.concat([answers([(c, "yes") for c in crns(10)], reviewer="Ann"),
                         answers([(c, "yes") for c in crns(10)], reviewer="Bob")],
                        ignore_index=True)
    sample = sample_of({"A": 5, "B": 5})
    data = Evaluator().evaluate(results, sample, {"A": 100, "B": 50}).as_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["params"] == {"confidence": 0.95, "interval": "exact", "kappa_warning": 0.6}
    assert data["questions"][0]["statement"].startswith("None of the 10 cases checked failed.")


# -- the Evaluator: every validation error names its row and column ------------------------------

def invalid(results: pd.DataFrame, strata: dict[str, int] | None = None) -> ResultsInvalid:
    strata = strata or {"A": 3}
    with pytest.raises(ResultsInvalid) as caught:
        Evaluator().evaluate(results, sample_of(strata), {k: 100 for k in strata})
    return caught.value


def test_a_missing_column_is_named():
    error = invalid(answers([("X000000", "yes")]).drop(columns="reviewer"))
    assert "results.csv, column 'reviewer': The column 'reviewer' is missing." in str(error)


@pytest.mark.parametrize("column", ["crn", "question_id", "answer", "reviewer"])
@pytest.mark.parametrize("blank", ["", "   ", None])
def test_an_empty_cell_is_named_by_row_and_column(column, blank):
    results = answers([("X000000", "yes"), ("X000001", "no")])
    results[column] = results[column].astype(object)
    results.loc[1, column] = blank
    error = invalid(results)
    assert f"results.csv, row 3, column '{column}': The {column if column != 'crn' else 'CRN'}" \
        f" is empty" in str(error)
    assert error.total == 1


def test_an_answer_the_checklist_does_not_allow_is_named_with_the_allowed_answers():
    error = invalid(answers([("X000000", "yes"), ("X000001", "maybe")]))
    assert ("results.csv, row 3, column 'answer': 'maybe' is not an answer the checklist "
            "allows: use yes, no, partly, not_applicable or unable_to_assess.") in str(error)


def test_a_case_that_is_not_in_the_sample_is_named():
    error = invalid(answers([("X123456", "yes")]))
    assert ("results.csv, row 2, column 'crn': X123456 is not in the sample; results can only "
            "be given for sampled cases.") in str(error)


def test_the_same_reviewer_answering_a_question_twice_names_both_rows():
    results = answers([("X000000", "yes"), ("X000001", "yes"), ("X000000", "no")])
    results.loc[2, "reviewer"] = " ann "  # the same reviewer, written differently
    error = invalid(results)
    assert ("results.csv, row 4, column 'reviewer': ann answered Q1 for X000000 twice "
            "(rows 2 and 4): keep one answer.") in str(error)


def test_a_row_column_gives_the_spreadsheet_row_numbers_for_messages():
    results = answers([("X000000", "yes"), ("X999999", "yes")])
    results["row"] = [10, 17]
    assert "results.csv, row 17, column 'crn'" in str(invalid(results))


def test_every_problem_is_listed_in_one_error_in_row_order_under_the_given_file_name():
    results = answers([("X999999", "maybe"), ("X000000", "")])
    with pytest.raises(ResultsInvalid) as caught:
        Evaluator().evaluate(results, sample_of({"A": 3}), {"A": 10}, source="audit.csv")
    error = caught.value
    assert error.total == 3
    assert [(i.row, i.column) for i in error.issues] == [(2, "crn"), (2, "answer"),
                                                         (3, "answer")]
    assert str(error).startswith("The results file audit.csv was not used: 3 problems found.")


def test_a_sample_stratum_with_no_eligible_count_is_refused():
    with pytest.raises(PlanInvalid, match="Stratum 'B' is in the sample"):
        Evaluator().evaluate(answers([("X000000", "yes")]), sample_of({"A": 1, "B": 1}),
                             {"A": 10})


def test_a_sample_bigger_than_its_strata_is_refused():
    with pytest.raises(PlanInvalid, match="3 cases in stratum 'A' but only 2"):
        Evaluator().evaluate(answers([("X000000", "yes")]), sample_of({"A": 3}), {"A": 2})


def test_an_empty_results_file_is_not_an_error_but_is_noted():
    empty = pd.DataFrame(columns=["crn", "question_id", "answer", "reviewer"])
    ev = Evaluator().evaluate(empty, sample_of({"A": 3}), {"A": 10})
    assert ev.questions == ()
    assert "The results file has no answers yet." in ev.warnings
