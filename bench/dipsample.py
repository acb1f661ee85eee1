"""Dip sample draw: the full, reproducible draw against the tools a user would otherwise reach for.

A synthetic caseload (seeded; made up) of 1,000,000 cases: CRNs (a letter
and six digits, unique), about 5,000 practitioners (``staff_code``, seven
characters), 300 teams (``team_code``, six), 30 PDUs, tier A-D, RoSH level,
sentence type and start date, every column text as the CSV reader gives it.
Stratified by PDU x tier x RoSH level (480 strata), n = 1,000, proportional.

- full draw: ``Frame.from_dataframe`` (validation and the fingerprint),
  allocation, selection, the whole ranked reserve list as a DataFrame, and
  the selection-log entry;
- baseline: ``df.groupby([pdu, tier, rosh_level]).sample(frac=1000 / N)`` on
  the same frame in the same run (target: the full draw at most 2x this);
- and scikit-learn's ``StratifiedShuffleSplit(n_splits=1, test_size=1000)``
  on the stratum labels (``groupby(...).ngroup()``), for comparison.

Each side is the best of three runs. Run as ``python -m bench --only
dipsample`` (this module shares its name with the package it measures, so
it must not be run as a script).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

STRATA = ("pdu", "tier", "rosh_level")
N = 1_000
SEED = 0x5EED_D1B5_A3B1_E000_0000_0000_0000_0042
TARGET = 2.0


def synthetic_caseload(cases: int, seed: int = 42) -> pd.DataFrame:
    """A made-up caseload with every column text (pandas' text dtype) plus ``row``."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(26_000_000, size=cases, replace=False)
    crn = np.empty((cases, 7), dtype=np.uint8)
    crn[:, 0] = 65 + ids // 1_000_000
    rest = ids % 1_000_000
    for j in range(6, 0, -1):
        crn[:, j] = 48 + rest % 10
        rest //= 10
    staff = np.array([f"N{1 + i % 12:02d}{chr(65 + i % 26)}{i % 1000:03d}" for i in range(5000)])
    teams = np.array([f"N{1 + i % 12:02d}U{chr(65 + i // 12 % 26)}{chr(65 + i % 26)}"
                      for i in range(300)])
    pdus = np.array([f"PDU{i:02d}" for i in range(30)])
    days = (np.datetime64("2019-01-01") + np.arange(2500)).astype(str)
    practitioner = rng.integers(0, 5000, cases)
    team = practitioner % 300
    columns: dict[str, Any] = {
        "crn": crn.reshape(-1).view("S7").astype("U7"),
        "staff_code": staff[practitioner],
        "team_code": teams[team],
        "pdu": pdus[team % 30],
        "tier": np.array(list("ABCD"))[rng.integers(0, 4, cases)],
        "rosh_level": np.array(["low", "medium", "high", "very high"])[
            rng.choice(4, cases, p=[0.5, 0.35, 0.13, 0.02])],
        "sentence_type": np.array(["community_order", "suspended_sentence", "licence",
                                   "post_sentence_supervision"])[rng.integers(0, 4, cases)],
        "start_date": days[rng.integers(0, 2500, cases)],
    }
    text = _text_dtype()
    frame = pd.DataFrame({k: pd.Series(v, dtype=text) for k, v in columns.items()})
    frame.insert(0, "row", np.arange(2, cases + 2, dtype=np.int64))
    return frame


def _text_dtype() -> Any:
    """The dtype the CSV reader gives (pyarrow-backed text, NaN for missing)."""
    try:
        return pd.StringDtype("pyarrow", na_value=np.nan)
    except TypeError:  # pandas before 2.3
        return pd.StringDtype("pyarrow")


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``runs`` calls (seconds) and the last result."""
    times = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def full_draw(df: pd.DataFrame) -> dict[str, float]:
    """Validate, fingerprint, allocate, select, build the reserve and the log entry."""
    from dipsample import log
    from dipsample.frame import Frame
    from dipsample.selection import Sampler

    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    t0 = time.perf_counter()
    frame = Frame.from_dataframe(df, source="caseload.csv")
    assert len(frame.fingerprint) == 64
    t1 = time.perf_counter()
    sample = Sampler(N, strata=STRATA, random_state=SEED).draw(frame, drawn_by="bench",
                                                               drawn_at=at)
    assert sample.n == N and len(sample.reserve) == len(df) - N
    t2 = time.perf_counter()
    log.append((), action="draw", actor="bench", at=at, sample=sample)
    t3 = time.perf_counter()
    return {"frame": t1 - t0, "draw": t2 - t1, "log": t3 - t2, "total": t3 - t0,
            "strata": float(len(sample.allocation.per_stratum))}


def report(cases: int = 1_000_000, runs: int = 3) -> None:
    """Print the dip-sample draw figures."""
    from sklearn.model_selection import StratifiedShuffleSplit

    print(f"Dip sample draw: {cases:,} cases stratified by {' x '.join(STRATA)}, "
          f"n = {N:,} proportional (best of {runs})")
    df = synthetic_caseload(cases)

    def grouped() -> pd.DataFrame:
        return df.groupby(list(STRATA)).sample(frac=N / len(df), random_state=42)

    def sklearn_split() -> Any:
        labels = df.groupby(list(STRATA)).ngroup().to_numpy()
        split = StratifiedShuffleSplit(n_splits=1, test_size=N, random_state=42)
        return next(split.split(np.zeros(len(labels)), labels))

    # Interleave the sides so that a slow moment on a shared machine hits both alike.
    ours: list[dict[str, float]] = []
    base, skl = [], []
    for _ in range(runs):
        ours.append(full_draw(df))
        base.append(best_of(1, grouped)[0])
        with contextlib.suppress(ValueError):  # scikit-learn needs two cases per stratum
            skl.append(best_of(1, sklearn_split)[0])
    mine = min(ours, key=lambda r: r["total"])
    g = min(base)
    ratio = mine["total"] / g
    print(f"  {int(mine['strata'])} strata")
    print(f"  groupby.sample                  {g:6.3f} s")
    if skl:
        print(f"  StratifiedShuffleSplit          {min(skl):6.3f} s")
    else:
        print("  StratifiedShuffleSplit          not run (a stratum has only one case)")
    print(f"  full draw                       {mine['total']:6.3f} s   (frame + fingerprint "
          f"{mine['frame']:.3f}, draw + reserve {mine['draw']:.3f}, log {mine['log']:.3f})")
    verdict = "met" if ratio <= TARGET else "NOT MET"
    print(f"    full draw / groupby.sample    {ratio:5.2f}x   (target <= {TARGET:.1f}x: "
          f"{verdict})")
    if skl:
        print(f"    full draw / sklearn split     {mine['total'] / min(skl):5.2f}x")
