"""Vectorised joins the rules and the timeline share."""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY_NS = np.int64(86_400_000_000_000)


def day_numbers(values: object) -> np.ndarray:
    """Dates as whole days since 1970 (int64); NaT becomes a very negative number."""
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    arr = np.asarray(values)
    if arr.dtype != np.dtype("datetime64[ns]"):
        arr = arr.astype("datetime64[ns]")
    # NaT is the smallest int64; floor division keeps it far below any real day.
    return arr.view("int64") // DAY_NS


def range_join(group_left: np.ndarray, lo: np.ndarray, hi: np.ndarray,
               group_right: np.ndarray, key_right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j) with group_left[i] == group_right[j] and lo[i] <= key_right[j] <= hi[i].

    Groups and keys are integers (e.g. a person or staff code, and a day
    number). The right side need not be sorted. Work is proportional to the
    number of pairs, not to the product of the sides.
    """
    group_right = np.asarray(group_right, dtype="int64")
    key_right = np.asarray(key_right, dtype="int64")
    order = np.lexsort((key_right, group_right))
    width = np.int64(1) << np.int64(32)
    offset = np.int64(1) << np.int64(31)
    combined = group_right[order] * width + (key_right[order] + offset)
    gl = np.asarray(group_left, dtype="int64")
    start = np.searchsorted(combined, gl * width + (np.asarray(lo, dtype="int64") + offset),
                            side="left")
    stop = np.searchsorted(combined, gl * width + (np.asarray(hi, dtype="int64") + offset),
                           side="right")
    counts = np.maximum(stop - start, 0)
    total = int(counts.sum())
    left = np.repeat(np.arange(len(gl)), counts)
    if total == 0:
        return left, np.array([], dtype="int64")
    first = np.repeat(start, counts)
    within = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
    return left, order[first + within]


def codes_of(index: pd.Index, values: pd.Series) -> np.ndarray:
    """Integer positions of values in an index (-1 when absent), via one factorize."""
    codes, uniques = pd.factorize(values)
    if len(uniques) == 0:
        return np.full(len(values), -1, dtype="int64")
    remap = index.get_indexer(pd.Index(uniques)).astype("int64")
    return np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
