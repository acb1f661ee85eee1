"""Sharing a sample size n between strata, keeping the total at exactly n.

Methods (the weight each stratum h gets):

- ``proportional``: its size N_h;
- ``equal``: the same for every stratum that has cases;
- ``neyman``: N_h * sqrt(p_h (1 - p_h)), from an expected rate p_h per stratum
  (``rates``). A stratum expected at p = 0 or 1 has no variance, so Neyman
  gives it weight 0: it gets only ``min_per_stratum`` (set that to at least 1
  so it is still looked at). If every stratum has weight 0 the allocation
  falls back to proportional, with a warning.

Constraints: every stratum gets at least min(min_per_stratum, N_h), never
more than N_h or ``max_per_stratum``, and a stratum with N_h <= take_all_below
is taken whole. Within those bounds the quotas are λ * weight, clamped to the
bounds, with λ chosen so that they add up to n ("water-filling": the same
result as handing the excess of a capped stratum, or the shortfall of one
raised to its minimum, back to the others by the same method until nothing
changes). Quotas are then rounded by the largest-remainder (Hamilton) method,
so the total is exactly n; equal remainders go to the larger stratum, then to
the stratum whose name sorts first. All arithmetic is exact (fractions), so
an allocation never depends on floating-point rounding.

When the bounds cannot meet n the plan changes and says so: if the minimums
(and strata taken whole) alone need more than n, n is raised to their sum (a
tiny stratum must never be missed); if n is more than the cases available (or
the caps allow), n is lowered.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist
from types import MappingProxyType
from typing import Any

import pandas as pd

from dipsample.errors import PlanInvalid

METHODS = ("proportional", "equal", "neyman")
ROUGH_MARGIN = 0.20  # a stratum's own 95% margin above this is only a rough figure
LISTED_ROUGH = 10  # rough strata named one by one in the warnings; the rest are counted
Z95 = NormalDist().inv_cdf(0.975)


@dataclass(frozen=True, eq=False)
class Allocation:
    """How many cases each stratum gives, with the plan's warnings in plain English."""

    per_stratum: Mapping[str, int]
    sizes: Mapping[str, int]
    n: int
    requested_n: int
    method: str
    params: Mapping[str, Any]
    warnings: tuple[str, ...]

    def margin_of_error(self, stratum: str) -> float:
        """The stratum's own 95% margin of error at p = 0.5, with finite population correction."""
        return margin_of_error(self.per_stratum[stratum], self.sizes[stratum])

    def as_table(self) -> pd.DataFrame:
        """Sample against population, one row per stratum, for the comparison table."""
        total_n = sum(self.sizes.values())
        total_s = sum(self.per_stratum.values())
        rows = [(s, size, size / total_n if total_n else 0.0, self.per_stratum[s],
                 self.per_stratum[s] / total_s if total_s else 0.0, self.margin_of_error(s))
                for s, size in self.sizes.items()]
        return pd.DataFrame(rows, columns=["stratum", "population", "population_share",
                                           "sample", "sample_share", "margin_of_error"])


def margin_of_error(n: int, size: int) -> float:
    """95% margin of error of a proportion at p = 0.5 from n of size cases (FPC); inf if n = 0."""
    if n <= 0:
        return math.inf
    if n >= size:
        return 0.0
    return Z95 * math.sqrt(0.25 / n) * math.sqrt((size - n) / (size - 1))


class Allocator:
    """Allocates a total sample size between strata (scikit-learn style: parameters only here)."""

    def __init__(self, method: str = "proportional", *, min_per_stratum: int = 0,
                 max_per_stratum: int | None = None, take_all_below: int | None = None,
                 rates: Mapping[str, float] | None = None) -> None:
        self.method = method
        self.min_per_stratum = min_per_stratum
        self.max_per_stratum = max_per_stratum
        self.take_all_below = take_all_below
        self.rates = rates

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The parameters, as given."""
        return {"method": self.method, "min_per_stratum": self.min_per_stratum,
                "max_per_stratum": self.max_per_stratum, "take_all_below": self.take_all_below,
                "rates": self.rates}

    def __repr__(self) -> str:
        """Allocator(method='proportional', ...)."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"Allocator({args})"

    def allocate(self, sizes: Mapping[str, int] | pd.Series, n: int) -> Allocation:
        """Share ``n`` between strata of these sizes (stratum -> number of cases)."""
        strata = _sizes(sizes)
        self._check(strata)
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise PlanInvalid(f"The sample size must be a whole number of at least 1, not {n!r}.")
        warnings: list[str] = []
        total = sum(strata.values())
        target = n
        if target > total:
            warnings.append(f"The sample size {n} is more than the {total} cases in the frame, "
                            f"so every case is taken (n = {total}).")
            target = total
        low, high = self._bounds(strata)
        if sum(low.values()) > target:
            need = sum(low.values())
            warnings.append(f"The minimum per stratum and the strata taken whole need {need} "
                            f"cases, more than the {target} asked for; the sample is raised to "
                            f"{need} so that no stratum is missed.")
            target = need
        if sum(high.values()) < target:
            room = sum(high.values())
            warnings.append(f"The cap of {self.max_per_stratum} per stratum allows only {room} "
                            f"cases, fewer than the {target} asked for; the sample is {room}.")
            target = room
        weights = self._weights(strata)
        free = [s for s in strata if high[s] > low[s]]
        if self.method == "neyman" and free and all(weights[s] == 0 for s in free):
            warnings.append("Every stratum's expected rate is 0 or 1, so Neyman allocation gives "
                            "none of them any weight; the sample is allocated proportionally.")
            weights = {s: Fraction(size) for s, size in strata.items()}
        quotas = _water_fill(weights, low, high, target)
        if quotas is None:
            # The weighted strata are full: the rest (weight 0) share what is left by size.
            full = {s: (high[s] if weights[s] > 0 else low[s]) for s in strata}
            sized = {s: Fraction(strata[s]) if weights[s] == 0 else Fraction(0) for s in strata}
            quotas = _water_fill(sized, full, high, target)
            assert quotas is not None
            warnings.append("The strata with an expected rate strictly between 0 and 1 are "
                            "taken whole; the rest of the sample comes from strata expected at "
                            "0 or 1, by size.")
        per = _hamilton(quotas, strata, target)
        warnings += _coverage_warnings(per, strata)
        return Allocation(per_stratum=MappingProxyType(per), sizes=MappingProxyType(dict(strata)),
                          n=target, requested_n=n, method=self.method,
                          params=MappingProxyType(self.get_params()), warnings=tuple(warnings))

    # ------------------------------------------------------------ helpers

    def _check(self, strata: dict[str, int]) -> None:
        """PlanInvalid for parameters that cannot give a plan."""
        if self.method not in METHODS:
            raise PlanInvalid(f"The allocation method '{self.method}' is not known: use "
                              "proportional, equal or neyman.")
        for name in ("min_per_stratum", "max_per_stratum", "take_all_below"):
            value = getattr(self, name)
            if value is None and name != "min_per_stratum":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise PlanInvalid(f"{name} must be a whole number of 0 or more, not {value!r}.")
        if self.max_per_stratum is not None:
            if self.max_per_stratum < 1:
                raise PlanInvalid("max_per_stratum must be at least 1 (or left unset).")
            if self.max_per_stratum < self.min_per_stratum:
                raise PlanInvalid(f"max_per_stratum ({self.max_per_stratum}) is less than "
                                  f"min_per_stratum ({self.min_per_stratum}).")
            if self.take_all_below is not None and self.take_all_below > self.max_per_stratum:
                raise PlanInvalid(
                    f"take_all_below ({self.take_all_below}) is more than max_per_stratum "
                    f"({self.max_per_stratum}): a stratum of {self.take_all_below} cases could "
                    "not be both taken whole and capped.")
        if self.method == "neyman":
            rates = self.rates or {}
            missing = [s for s in strata if s not in rates]
            if missing:
                raise PlanInvalid("Neyman allocation needs an expected rate for every stratum; "
                                  "none was given for " + ", ".join(f"'{s}'" for s in missing)
                                  + ".")
            for s in strata:
                p = rates[s]
                if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
                    raise PlanInvalid(f"The expected rate for '{s}' must be a proportion from 0 "
                                      f"to 1, not {p!r}.")
        elif self.rates is not None and self.method != "neyman":
            raise PlanInvalid("rates are only used by method='neyman'.")

    def _bounds(self, strata: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
        """Each stratum's least and most cases."""
        low, high = {}, {}
        for s, size in strata.items():
            if self.take_all_below is not None and size <= self.take_all_below:
                low[s] = high[s] = size
                continue
            low[s] = min(self.min_per_stratum, size)
            high[s] = size if self.max_per_stratum is None else min(size, self.max_per_stratum)
        return low, high

    def _weights(self, strata: dict[str, int]) -> dict[str, Fraction]:
        """Each stratum's weight under the method, as an exact fraction."""
        if self.method == "proportional":
            return {s: Fraction(size) for s, size in strata.items()}
        if self.method == "equal":
            return {s: Fraction(1 if size else 0) for s, size in strata.items()}
        rates = self.rates or {}
        # Fraction(float) is exact, so the allocation is still exact given the square root.
        return {s: Fraction(size) * Fraction(math.sqrt(rates[s] * (1 - rates[s])))
                for s, size in strata.items()}


def _sizes(sizes: Mapping[str, int] | pd.Series) -> dict[str, int]:
    """Stratum sizes as a plain dict, checked."""
    items = list(sizes.items())
    if not items:
        raise PlanInvalid("There are no strata to allocate between (the frame is empty).")
    out: dict[str, int] = {}
    for key, value in items:
        name = str(key)
        if name in out:
            raise PlanInvalid(f"The stratum '{name}' is listed twice.")
        if hasattr(value, "item"):
            value = value.item()  # a NumPy integer from a Series
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise PlanInvalid(f"The size of stratum '{name}' must be a whole number of 0 or "
                              f"more, not {value!r}.")
        out[name] = value
    return out


def _water_fill(weights: Mapping[str, Fraction], low: Mapping[str, int],
                high: Mapping[str, int], n: int) -> dict[str, Fraction] | None:
    """Quotas clamp(λ w_h, low_h, high_h) adding up to n; None if weighted strata cannot reach it.

    The total is a continuous, non-decreasing, piecewise-linear function of λ,
    so a sweep over the points where a stratum enters or leaves its bounds
    finds the segment holding n and solves it exactly.
    """
    base = sum(low.values())
    if base >= n:
        return {s: Fraction(low[s]) for s in low}
    events: list[tuple[Fraction, int, str]] = []
    for s, w in weights.items():
        if w > 0 and high[s] > low[s]:
            events.append((Fraction(low[s]) / w, 0, s))   # enters its linear stretch
            events.append((Fraction(high[s]) / w, 1, s))  # reaches its cap
    events.sort()
    const, slope = Fraction(base), Fraction(0)
    lam: Fraction | None = None
    for point, kind, s in events:
        if const + slope * point >= n:
            lam = (n - const) / slope
            break
        if kind == 0:
            const -= low[s]
            slope += weights[s]
        else:
            const += high[s]
            slope -= weights[s]
    if lam is None:
        if const < n:
            return None
        lam = events[-1][0] if events else Fraction(0)
    return {s: min(max(lam * weights[s], Fraction(low[s])), Fraction(high[s])) for s in low}


def _hamilton(quotas: Mapping[str, Fraction], sizes: Mapping[str, int], n: int) -> dict[str, int]:
    """Largest-remainder rounding to a total of exactly n (ties: larger stratum, then name)."""
    floors = {s: math.floor(q) for s, q in quotas.items()}
    left = n - sum(floors.values())
    by_remainder = sorted(quotas, key=lambda s: (-(quotas[s] - floors[s]), -sizes[s], s))
    for s in by_remainder[:left]:
        floors[s] += 1
    return {s: floors[s] for s in sizes}


def _coverage_warnings(per: Mapping[str, int], sizes: Mapping[str, int]) -> list[str]:
    """Strata left out entirely, and strata whose own figure will be rough."""
    out = []
    missed = [(s, size) for s, size in sizes.items() if size and not per[s]]
    for s, size in missed[:LISTED_ROUGH]:
        out.append(f"Stratum '{s}' ({size} cases) gets no case in the sample; set "
                   "min_per_stratum or take_all_below so that it is not missed.")
    if len(missed) > LISTED_ROUGH:
        out.append(f"... and {len(missed) - LISTED_ROUGH} more strata get no case in the sample "
                   "(see the allocation table); set min_per_stratum or take_all_below so that "
                   "none is missed.")
    rough = [(s, per[s], sizes[s], margin_of_error(per[s], sizes[s])) for s in sizes
             if per[s] and margin_of_error(per[s], sizes[s]) > ROUGH_MARGIN]
    if len(sizes) == 1:
        # One stratum: its figure is the overall figure, so say how rough that is.
        return out + [f"The sample of {k} from {size} cases gives a 95% margin of error up to "
                      f"±{moe * 100:.0f} percentage points: its figures will be rough."
                      for _, k, size, moe in rough]
    for s, k, size, moe in rough[:LISTED_ROUGH]:
        out.append(f"Stratum '{s}': {k} of {size} cases sampled, so its own figure will be "
                   f"rough (95% margin of error up to ±{moe * 100:.0f} percentage points); the "
                   "overall figure is the one to rely on.")
    if len(rough) > LISTED_ROUGH:
        out.append(f"... and {len(rough) - LISTED_ROUGH} more strata whose own figures will be "
                   "rough (margins of error over ±20 percentage points; see the allocation "
                   "table); the overall figure is the one to rely on.")
    return out
