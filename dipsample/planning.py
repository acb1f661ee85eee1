"""Sample-size planning: how many cases to check before a dip sample is drawn.

Two questions a quality team asks, two plans:

* **Discovery** ("if a problem affects at least p of the cases, will we see
  it?"): the smallest n for which a sample drawn without replacement from the
  N eligible cases contains at least one failing case with the chosen
  confidence, assuming K = ceil(p * N) of them fail. The chance of seeing none
  is hypergeometric, C(N - K, n) / C(N, n), computed exactly (see
  ``_log_none_found``; exact ties are settled in whole numbers). The binomial
  and Poisson approximations that published tables use are reported beside it
  so that figures can be compared.
* **Estimation** ("how common is the problem, to within d?"): the normal
  approximation with the finite population correction,
  n = N z^2 p(1-p) / ((N-1) d^2 + z^2 p(1-p)).

Every size is rounded up and never exceeds N; a plan for every case is
called a census. Rates (prevalence, expected rate, margin, confidence) are
fractions: 0.05 means 5%. The CLI converts percentages before calling here.

Parameters are read as the decimals a person typed: 0.07 of 100 cases is 7
cases, although the float 0.07 * 100 is 7.000000000000001 (whose ceiling
would be 8). ``_decimal`` does this by reading a float's shortest repr.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy import stats

from dipsample.errors import PlanInvalid

METHODS = ("discovery", "estimate")
MIN_CONFIDENCE = 0.5
MAX_CONFIDENCE = 0.9999
MAX_MARGIN = 0.5


# -- parameter checks (shared with evaluation) ---------------------------------

def as_real(value: object) -> float | None:
    """``value`` as a float if it is a real number (not a bool, not NaN), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _decimal(value: float) -> Fraction:
    """The decimal a person typed for ``value`` (its shortest repr), exactly."""
    return Fraction(repr(float(value)))


def check_population(population: object, what: str = "The number of eligible cases") -> int:
    """``population`` as an int if it is a whole number of at least 1, else PlanInvalid."""
    if isinstance(population, bool) or not isinstance(population, numbers.Integral) or (
            int(population) < 1):
        raise PlanInvalid(f"{what} must be a whole number of at least 1, not {population!r}.")
    return int(population)


def check_confidence(confidence: object) -> float:
    """``confidence`` as a float if it is from 0.5 to 0.9999, else PlanInvalid."""
    c = as_real(confidence)
    if c is None or not MIN_CONFIDENCE <= c <= MAX_CONFIDENCE:
        raise PlanInvalid(
            f"The confidence level must be a fraction from {MIN_CONFIDENCE} to {MAX_CONFIDENCE} "
            f"(for example 0.95 for 95%), not {confidence!r}.")
    return c


def _check_prevalence(prevalence: object) -> float:
    p = as_real(prevalence)
    if p is None or not 0 < p <= 1:
        raise PlanInvalid(
            "The prevalence to detect must be a fraction more than 0 and at most 1 "
            f"(for example 0.05 for 5%), not {prevalence!r}.")
    return p


def _check_expected_rate(rate: object) -> float:
    p = as_real(rate)
    if p in (0.0, 1.0):
        # p(1 - p) is 0 there, which would plan a sample of no cases: right
        # only if the guess is exactly right. Refuse rather than cap, so that
        # nobody is handed a tiny sample because of a guess.
        raise PlanInvalid(
            f"An expected rate of {p:g} plans a sample of no cases, which is only right if the "
            "guess is exactly right. If you are unsure what the rate will be, use 0.5: it gives "
            "the largest, safest sample.")
    if p is None or not 0 < p < 1:
        raise PlanInvalid(
            "The expected rate must be a fraction more than 0 and less than 1 "
            f"(for example 0.2 for 20%), not {rate!r}. "
            "If you are unsure, use 0.5: it gives the largest, safest sample.")
    return p


def _check_margin(margin: object) -> float:
    d = as_real(margin)
    if d is None or not 0 < d <= MAX_MARGIN:
        raise PlanInvalid(
            f"The margin of error must be a fraction more than 0 and at most {MAX_MARGIN} "
            f"(for example 0.05 for plus or minus 5 percentage points), not {margin!r}.")
    return d


def format_percent(share: float, significant: int = 3) -> str:
    """A share (0.0495) as a percentage to a few significant figures ('4.95%'), never as 1e-05."""
    value = share * 100
    if value == 0 or not math.isfinite(value):
        return f"{value:g}%"
    decimals = max(0, significant - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def _cases(count: int) -> str:
    return f"{count} case" if count == 1 else f"{count} cases"


# -- discovery -----------------------------------------------------------------

def _log_none_found(population: int, failing: int, n: int) -> float:
    """log P(no failing case among n drawn without replacement), exactly up to rounding.

    P = prod_{i<n} (N-K-i)/(N-i) = prod_{j<K} (N-n-j)/(N-j) (the same ratio of
    binomial coefficients, C(N-K, n)/C(N, n) = C(N-n, K)/C(N, K)). The shorter
    product is used, as a correctly rounded sum (math.fsum) of log1p terms,
    so the error stays near 1e-15 even for N of 10 million, far below the
    smallest step between consecutive n (at least 1/N). Subtracting lgamma
    values of size 1e8 would lose about eight digits, which is too many.
    """
    if n > population - failing:
        return -math.inf  # every sample this big must include a failing case
    if n == 0:
        return 0.0
    if failing <= n:
        j = np.arange(failing, dtype=np.float64)
        terms = np.log1p(-n / (population - j))
    else:
        i = np.arange(n, dtype=np.float64)
        terms = np.log1p(-failing / (population - i))
    return math.fsum(terms.tolist())


def _none_found_at_most(population: int, failing: int, n: int, alpha: Fraction) -> bool:
    """Whether P(no failing case in n) <= alpha, settled in whole numbers when it is close.

    Rational parameters can tie exactly (1 failing case in 10 million, 95%:
    P is exactly 0.05 at n = 9,500,000), and a tie must count as enough.
    Near a tie the product is recomputed as a ratio of whole numbers.
    """
    log_p = _log_none_found(population, failing, n)
    gap = log_p - math.log(alpha)
    if abs(gap) > 1e-9:
        return gap < 0
    if failing <= n:
        num = math.prod(population - n - j for j in range(failing))
        den = math.prod(population - j for j in range(failing))
    else:
        num = math.prod(population - failing - i for i in range(n))
        den = math.prod(population - i for i in range(n))
    return num * alpha.denominator <= den * alpha.numerator


@dataclass(frozen=True)
class DiscoveryPlan:
    """How many cases to check to find at least one failure if the problem is at least so common."""

    n: int
    population: int
    prevalence: float
    confidence: float
    failing_assumed: int
    binomial_n: int
    poisson_n: int
    convention: str = "hypergeometric (exact, without replacement)"

    @property
    def census(self) -> bool:
        """True when the plan is to check every eligible case."""
        return self.n == self.population

    def statement(self) -> str:
        """The plan in plain English, with the approximations for comparison."""
        rate = format_percent(self.prevalence, 4)
        conf = format_percent(self.confidence, 4)
        threshold = f"{rate} or more of them ({_cases(self.failing_assumed)} or more) fail"
        if self.census:
            first = (f"Check all {self.population} cases: this is a census. "
                     f"No smaller sample is sure enough, with {conf} confidence, to find at "
                     f"least one failing case if {threshold}.")
        else:
            first = (f"Check {self.n} of the {self.population} cases. If {threshold}, a sample "
                     f"this size finds at least one with {conf} confidence.")
        return (f"{first} This uses the exact hypergeometric calculation; the binomial "
                f"approximation gives {self.binomial_n} and the Poisson {self.poisson_n}.")

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form, with "method": "discovery"."""
        return {
            "method": "discovery",
            "n": self.n,
            "population": self.population,
            "prevalence": self.prevalence,
            "confidence": self.confidence,
            "failing_assumed": self.failing_assumed,
            "binomial_n": self.binomial_n,
            "poisson_n": self.poisson_n,
            "convention": self.convention,
            "census": self.census,
            "statement": self.statement(),
        }


def _binomial_n(prevalence: float, alpha: float) -> int:
    """Smallest n with (1 - p)^n <= alpha, checked either side of the logarithm's answer."""
    if prevalence >= 1:
        return 1
    step = math.log1p(-prevalence)
    target = math.log(alpha)
    n = max(1, math.ceil(target / step))
    # The division can land a hair either side of a whole number: settle it
    # by testing the inequality itself.
    while n > 1 and (n - 1) * step <= target:
        n -= 1
    while n * step > target:
        n += 1
    return n


def discovery_size(population: int, prevalence: float, confidence: float = 0.95) -> DiscoveryPlan:
    """The discovery sample size for N cases, a prevalence (a fraction: 0.05 for 5%), a confidence.

    n is the smallest number of cases with hypergeometric
    P(no failing case in n | ceil(prevalence * N) of the N fail) <= 1 - confidence.
    """
    big_n = check_population(population)
    p = _check_prevalence(prevalence)
    c = check_confidence(confidence)
    alpha = 1 - _decimal(c)
    failing = min(big_n, math.ceil(_decimal(p) * big_n))
    # P(none found) falls as n grows, and reaches 0 at n = N - K + 1, so a
    # binary search over [1, N - K + 1] finds the smallest n in about 24 steps
    # even for 10 million cases.
    lo, hi = 1, big_n - failing + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if _none_found_at_most(big_n, failing, mid, alpha):
            hi = mid
        else:
            lo = mid + 1
    poisson = math.ceil(-math.log(alpha) / p)
    return DiscoveryPlan(
        n=lo, population=big_n, prevalence=p, confidence=c, failing_assumed=failing,
        binomial_n=min(big_n, _binomial_n(p, float(alpha))), poisson_n=min(big_n, poisson))


# -- estimation ----------------------------------------------------------------

@dataclass(frozen=True)
class EstimationPlan:
    """How many cases to check to estimate a rate to within a margin of error."""

    n: int
    population: int
    expected_rate: float
    margin: float
    confidence: float
    z: float
    infinite_population_n: int
    convention: str = "normal approximation with finite population correction"

    @property
    def census(self) -> bool:
        """True when the plan is to check every eligible case."""
        return self.n == self.population

    def statement(self) -> str:
        """The plan in plain English, with the size a very large caseload would need."""
        conf = format_percent(self.confidence, 4)
        margin = format_percent(self.margin, 4).removesuffix("%")
        rate = format_percent(self.expected_rate, 4)
        what = (f"estimates how common a problem is to within {margin} percentage points either "
                f"way, with {conf} confidence, if the true rate is near {rate}")
        if self.census:
            first = (f"Check all {self.population} cases: this is a census. "
                     f"No smaller sample {what}.")
        else:
            first = f"Check {self.n} of the {self.population} cases. A sample this size {what}."
        return (f"{first} Without the adjustment for a small caseload (the finite population "
                f"correction) it would be {self.infinite_population_n}.")

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form, with "method": "estimate"."""
        return {
            "method": "estimate",
            "n": self.n,
            "population": self.population,
            "expected_rate": self.expected_rate,
            "margin": self.margin,
            "confidence": self.confidence,
            "z": self.z,
            "infinite_population_n": self.infinite_population_n,
            "convention": self.convention,
            "census": self.census,
            "statement": self.statement(),
        }


def estimation_size(population: int, expected_rate: float = 0.5, margin: float = 0.05,
                    confidence: float = 0.95) -> EstimationPlan:
    """The sample size to estimate a rate (fractions: 0.05 for 5%) within a margin, for N cases.

    Rounding: the formula's value is rounded up with math.ceil and no
    tolerance. z is irrational, so the exact value is not a whole number
    (except N = 1, where the cap at N applies), and float error (about 1e-13
    here) could only matter for a value within that of a whole number.
    """
    big_n = check_population(population)
    p = _check_expected_rate(expected_rate)
    d = _check_margin(margin)
    c = check_confidence(confidence)
    z = float(stats.norm.ppf(1 - float(1 - _decimal(c)) / 2))
    spread = z * z * p * (1 - p)
    n0 = spread / (d * d)
    n = big_n * spread / ((big_n - 1) * d * d + spread)
    return EstimationPlan(
        n=min(big_n, max(1, math.ceil(n))), population=big_n, expected_rate=p, margin=d,
        confidence=c, z=z, infinite_population_n=max(1, math.ceil(n0)))


# -- per stratum -----------------------------------------------------------------

_PARAMS = {"discovery": ("prevalence", "confidence"),
           "estimate": ("expected_rate", "margin", "confidence")}


def plan_strata(sizes: Mapping[str, int], method: str = "discovery",
                **params: float) -> dict[str, DiscoveryPlan | EstimationPlan]:
    """The same plan ("discovery" or "estimate") for each stratum's size, in the order given."""
    if method not in _PARAMS:
        raise PlanInvalid(
            f"The planning method must be one of {', '.join(METHODS)}, not {method!r}.")
    allowed = _PARAMS[method]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise PlanInvalid(
            f"A {method} plan does not take {', '.join(unknown)}: it takes {', '.join(allowed)}.")
    if method == "discovery" and "prevalence" not in params:
        raise PlanInvalid("A discovery plan needs the prevalence to detect "
                          "(for example prevalence=0.05 for 5%).")
    if not sizes:
        raise PlanInvalid("Give the number of eligible cases in at least one stratum.")
    plans: dict[str, DiscoveryPlan | EstimationPlan] = {}
    for name, size in sizes.items():
        check_population(size, f"The number of eligible cases in stratum '{name}'")
        if method == "discovery":
            plans[name] = discovery_size(size, **params)
        else:
            plans[name] = estimation_size(size, **params)
    return plans
