"""Drawing a dip sample: strata, keyed-hash ranks, per-stratum reserve lists.

A draw is a pure function of the frame's content, the parameters and the
seed, so anyone holding those three can reproduce it exactly (and the
selection log can show that nobody redrew until they liked the answer):

- strata are the combinations of values of the stratifying columns, labelled
  ``"pdu=North | tier=B"`` (a blank value reads ``(blank)``; without strata
  the one stratum is ``all cases``), ordered by the columns' values;
- ``random``: within each stratum cases are ranked by SipHash-2-4 of their
  CRN keyed by the seed (:func:`dipsample.hashing.rank_order`, ties by CRN);
  the first n_h are selected and the rest, in the same order, are the
  stratum's reserve list;
- ``systematic``: within each stratum cases are sorted by ``order_by`` (CRN
  by default; a column named ``*_date`` is sorted as dates), the interval is
  k = N_h / n_h (fractional allowed) and the cases at positions
  floor((u + i) * k), i = 0 .. n_h - 1, are taken, where u is
  SipHash-2-4 of ``"start:" + stratum label`` keyed by the seed, over 2**64
  (so the start is a seed-derived fraction of the interval; computed in exact
  integer arithmetic); the reserve is the rest in keyed-hash order.

Options (random method only: they would break a systematic interval):
``per_practitioner_limit`` skips, in rank order, a case whose practitioner
already has that many cases in the whole sample (the case stays in the
reserve; blank practitioner codes are not limited); ``one_per_team`` then
makes sure every team in the frame (blank team codes aside) has a case,
swapping a team's best-ranked case in for the worst-ranked selected case of
the same stratum whose team keeps another.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from bisect import insort
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dipsample import hashing
from dipsample.allocation import Allocation, Allocator
from dipsample.errors import PlanInvalid
from dipsample.frame import CRN, ROW, Frame

if TYPE_CHECKING:
    from dipsample.substitution import Substitution

ALL = "all cases"
BLANK = "(blank)"
SELECTION_METHODS = ("random", "systematic")
_CHUNK = 256  # cases examined at a time when a practitioner limit makes selection sequential


@dataclass(frozen=True, eq=False)
class Sample:
    """A drawn sample: who was selected, the ordered reserve, and everything needed to redo it.

    ``selected`` holds the frame's columns plus ``stratum`` and
    ``selection_order`` (1..n, by stratum then rank); ``reserve`` holds
    ``crn``, ``stratum`` and ``reserve_order`` (1.. within each stratum, kept
    as first numbered when a substitution uses a reserve case). Both are
    copies made for this sample: treat them as read-only. ``params`` are the
    sampler's parameters with ``random_state`` set to the seed actually used,
    so ``Sampler(**sample.params).draw(frame)`` gives the same sample.
    ``frame`` is the (eligible) frame drawn from, kept so that a substitution
    can bring a reserve case in with all its columns.
    """

    selected: pd.DataFrame
    reserve: pd.DataFrame
    allocation: Allocation
    seed: int
    params: Mapping[str, Any]
    fingerprint: str
    frame_size: int
    drawn_by: str
    drawn_at: dt.datetime
    substitutions: tuple[Substitution, ...]
    warnings: tuple[str, ...]
    frame: Frame

    @property
    def n(self) -> int:
        """How many cases are selected."""
        return len(self.selected)

    def selected_digest(self) -> str:
        """SHA-256 (hex) of the selected CRNs, sorted, one per line (ASCII, newline-separated)."""
        crns = sorted(self.selected[CRN].tolist())
        return hashlib.sha256("\n".join(crns).encode("ascii")).hexdigest()

    def log_entry(self) -> dict[str, Any]:
        """The fields a selection-log entry records for this sample (see dipsample.log)."""
        return {
            "action": "substitute" if self.substitutions else "draw",
            "actor": self.drawn_by,
            "at": self.drawn_at.isoformat(),
            "seed": hashing.format_seed(self.seed),
            "params": jsonable_params(self.params),
            "fingerprint": self.fingerprint,
            "n": self.n,
            "selected_digest": self.selected_digest(),
        }

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: plan, selected cases, reserve sizes, substitutions, warnings."""
        reserve_sizes = self.reserve.groupby("stratum", observed=True, sort=False).size()
        return {
            "seed": hashing.format_seed(self.seed),
            "params": jsonable_params(self.params),
            "fingerprint": self.fingerprint,
            "frame_size": self.frame_size,
            "n": self.n,
            "drawn_by": self.drawn_by,
            "drawn_at": self.drawn_at.isoformat(),
            "allocation": {
                "method": self.allocation.method,
                "requested_n": self.allocation.requested_n,
                "n": self.allocation.n,
                "per_stratum": dict(self.allocation.per_stratum),
                "sizes": dict(self.allocation.sizes),
                "warnings": list(self.allocation.warnings),
            },
            "selected": [
                {"crn": c, "stratum": s, "selection_order": int(o)} for c, s, o in zip(
                    self.selected[CRN].tolist(), self.selected["stratum"].tolist(),
                    self.selected["selection_order"].tolist(), strict=True)
            ],
            "reserve_sizes": {str(k): int(v) for k, v in reserve_sizes.items()},
            "substitutions": [s.as_dict() for s in self.substitutions],
            "warnings": list(self.warnings),
        }


class Sampler:
    """Draws a (stratified) dip sample; scikit-learn style: parameters here, data to draw()."""

    def __init__(self, n: int, *, strata: Sequence[str] | str = (),
                 allocation: str = "proportional", min_per_stratum: int = 0,
                 max_per_stratum: int | None = None, take_all_below: int | None = None,
                 rates: Mapping[str, float] | None = None, method: str = "random",
                 order_by: str | None = None, per_practitioner_limit: int | None = None,
                 practitioner_column: str = "staff_code", one_per_team: bool = False,
                 team_column: str = "team_code", reserve_size: int | None = None,
                 random_state: int | None = None) -> None:
        self.n = n
        self.strata = strata
        self.allocation = allocation
        self.min_per_stratum = min_per_stratum
        self.max_per_stratum = max_per_stratum
        self.take_all_below = take_all_below
        self.rates = rates
        self.method = method
        self.order_by = order_by
        self.per_practitioner_limit = per_practitioner_limit
        self.practitioner_column = practitioner_column
        self.one_per_team = one_per_team
        self.team_column = team_column
        self.reserve_size = reserve_size
        self.random_state = random_state

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The parameters, as given."""
        return {name: getattr(self, name) for name in _PARAMS}

    def __repr__(self) -> str:
        """Sampler(n=..., ...)."""
        return "Sampler(" + ", ".join(f"{k}={v!r}" for k, v in self.get_params().items()) + ")"

    def draw(self, frame: Frame, *, drawn_by: str = "",
             drawn_at: dt.datetime | None = None) -> Sample:
        """Draw the sample from an (eligible) frame; the seed is fixed now if none was given."""
        columns = self._check(frame)
        seed = self._seed()
        at = drawn_at if drawn_at is not None else dt.datetime.now(dt.UTC)
        strata, labels = stratum_codes(frame, columns)
        sizes = np.bincount(strata, minlength=len(labels))
        allocator = Allocator(self.allocation, min_per_stratum=self.min_per_stratum,
                              max_per_stratum=self.max_per_stratum,
                              take_all_below=self.take_all_below, rates=self.rates)
        plan = allocator.allocate(dict(zip(labels, sizes.tolist(), strict=True)), self.n)
        take = np.array([plan.per_stratum[label] for label in labels], dtype=np.int64)
        ranking = _Ranking(frame, strata, len(labels), seed)
        warnings = list(plan.warnings)
        if self.method == "systematic":
            chosen = self._systematic(frame, strata, labels, take, seed)
        elif self.per_practitioner_limit is None:
            chosen = ranking.first(take)
        else:
            chosen = self._limited(frame, ranking, labels, take, warnings)
        if self.one_per_team:
            self._cover_teams(frame, ranking, chosen, labels, warnings)
        selected = self._selected_table(frame, chosen, strata, labels, ranking)
        reserve = _reserve_table(frame, ranking, chosen, labels, self.reserve_size)
        # A copy, so that changing the sampler's rates afterwards cannot rewrite the record.
        params = copy.deepcopy(self.get_params())
        params["random_state"] = seed
        return Sample(selected=selected, reserve=reserve, allocation=plan, seed=seed,
                      params=params, fingerprint=frame.fingerprint,
                      frame_size=len(frame), drawn_by=drawn_by, drawn_at=at, substitutions=(),
                      warnings=tuple(warnings), frame=frame)

    # ------------------------------------------------------------ checks

    def _check(self, frame: Frame) -> tuple[str, ...]:
        """PlanInvalid for parameters that cannot work on this frame; the strata columns."""
        if not isinstance(frame, Frame):
            raise PlanInvalid("draw() takes a Frame (build one with Frame.from_dataframe).")
        if not len(frame):
            raise PlanInvalid(f"The frame {frame.source} has no cases to sample from.")
        columns = (self.strata,) if isinstance(self.strata, str) else tuple(self.strata)
        if not all(isinstance(c, str) for c in columns):
            raise PlanInvalid(f"strata must be column names, not {self.strata!r}.")
        columns = tuple(c.strip().lower() for c in columns)
        for c in columns:
            _need_column(frame, c, "a stratifying column")
        if len(set(columns)) != len(columns):
            raise PlanInvalid("A stratifying column is listed twice.")
        if self.method not in SELECTION_METHODS:
            raise PlanInvalid(f"The selection method '{self.method}' is not known: use random "
                              "or systematic.")
        if self.order_by is not None:
            if self.method != "systematic":
                raise PlanInvalid("order_by is used only by method='systematic'.")
            _need_column(frame, self.order_by, "the order_by column")
        if self.method == "systematic" and (self.per_practitioner_limit is not None
                                            or self.one_per_team):
            raise PlanInvalid("per_practitioner_limit and one_per_team work only with "
                              "method='random': skipping or swapping cases would break the "
                              "fixed interval of a systematic sample.")
        limit = self.per_practitioner_limit
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise PlanInvalid(f"per_practitioner_limit must be a whole number of at least 1, "
                                  f"not {limit!r}.")
            _need_column(frame, self.practitioner_column, "the practitioner column")
        if self.one_per_team:
            _need_column(frame, self.team_column, "the team column")
        size = self.reserve_size
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            raise PlanInvalid(f"reserve_size must be a whole number of 0 or more, not {size!r}.")
        return columns

    def _seed(self) -> int:
        """The seed for this draw: the one given, or a fresh one."""
        if self.random_state is None:
            return hashing.new_seed()
        try:
            return hashing.check_seed(self.random_state)
        except ValueError as err:
            raise PlanInvalid(f"random_state: {err}.") from None

    # ------------------------------------------------------------ methods

    def _systematic(self, frame: Frame, strata: np.ndarray, labels: list[str],
                    take: np.ndarray, seed: int) -> np.ndarray:
        """Every k-th case in ``order_by`` order from a seed-derived start, per stratum."""
        key = _order_key(frame, self.order_by or CRN)
        # Frame positions are CRN order, so position breaks ties in order_by by CRN.
        order = np.lexsort((np.arange(len(frame)), key, strata))
        sizes = np.bincount(strata, minlength=len(labels))
        starts = np.cumsum(sizes) - sizes
        chosen = np.zeros(len(frame), dtype=bool)
        span = 1 << 64
        for h, label in enumerate(labels):
            k, size = int(take[h]), int(sizes[h])
            if not k:
                continue
            u = int(hashing.siphash24(["start:" + label], seed)[0])
            # floor((u / 2**64 + i) * size / k), exactly.
            at = [(u * size + i * size * span) // (k * span) for i in range(k)]
            chosen[order[int(starts[h]) + np.array(at, dtype=np.int64)]] = True
        return chosen

    def _limited(self, frame: Frame, ranking: _Ranking, labels: list[str], take: np.ndarray,
                 warnings: list[str]) -> np.ndarray:
        """Rank order, skipping a case whose practitioner already has the limit selected."""
        limit = int(self.per_practitioner_limit or 0)
        codes, values = frame.encoded(self.practitioner_column.strip().lower())
        blank = values == ""
        count = np.zeros(len(values), dtype=np.int64)
        chosen = np.zeros(len(frame), dtype=bool)
        for h, label in enumerate(labels):
            need = int(take[h])
            segment = ranking.segment(h)
            got, i = 0, 0
            while got < need and i < len(segment):
                for pos in segment[i:i + _CHUNK].tolist():
                    p = codes[pos]
                    if not blank[p]:
                        if count[p] >= limit:
                            continue
                        count[p] += 1
                    chosen[pos] = True
                    got += 1
                    if got == need:
                        break
                i += _CHUNK
            if got < need:
                warnings.append(
                    f"Stratum '{label}': only {got} of {need} cases could be selected with no "
                    f"more than {limit} per practitioner, so the sample is {need - got} short "
                    "there; report this with the results.")
        return chosen

    def _cover_teams(self, frame: Frame, ranking: _Ranking, chosen: np.ndarray,
                     labels: list[str], warnings: list[str]) -> None:
        """Give every team a case by swapping within strata (in place on ``chosen``)."""
        teams, names = frame.encoded(self.team_column.strip().lower())
        pracs, prac_names = (frame.encoded(self.practitioner_column.strip().lower())
                             if self.per_practitioner_limit is not None else (None, None))
        limit = self.per_practitioner_limit
        per_team = np.bincount(teams[chosen], minlength=len(names))
        per_prac = (np.bincount(pracs[chosen], minlength=len(prac_names))
                    if pracs is not None and prac_names is not None else None)
        # Each stratum's selected cases by rank, worst last.
        rank = ranking.rank
        by_stratum: dict[int, list[tuple[int, int]]] = {}
        for pos in np.flatnonzero(chosen).tolist():
            by_stratum.setdefault(int(ranking.strata[pos]), []).append((int(rank[pos]), pos))
        for members in by_stratum.values():
            members.sort()
        # Every case grouped by team, best keyed hash first (ties by CRN).
        team_order = ranking.by_hash[np.argsort(teams[ranking.by_hash], kind="stable")]
        team_sizes = np.bincount(teams, minlength=len(names))
        team_starts = np.cumsum(team_sizes) - team_sizes
        for t in np.flatnonzero((per_team == 0) & (team_sizes > 0)).tolist():
            if names[t] == "":
                continue  # a blank team code is not a team
            done = False
            start = int(team_starts[t])
            for cand in team_order[start:start + int(team_sizes[t])].tolist():
                s = int(ranking.strata[cand])
                members = by_stratum.get(s, [])
                for j in range(len(members) - 1, -1, -1):
                    victim = members[j][1]
                    if per_team[teams[victim]] < 2:
                        continue
                    if per_prac is not None and pracs is not None and prac_names is not None:
                        p_new, p_old = pracs[cand], pracs[victim]
                        if (prac_names[p_new] != "" and p_new != p_old
                                and per_prac[p_new] >= int(limit or 0)):
                            break  # this candidate's practitioner is full: try the next one
                    chosen[victim] = False
                    chosen[cand] = True
                    per_team[teams[victim]] -= 1
                    per_team[t] += 1
                    if per_prac is not None and pracs is not None:
                        per_prac[pracs[victim]] -= 1
                        per_prac[pracs[cand]] += 1
                    del members[j]
                    insort(members, (int(rank[cand]), cand))
                    done = True
                    break
                if done:
                    break
            if not done:
                warnings.append(
                    f"Team '{names[t]}' has no case in the sample: none of its cases could be "
                    "swapped in without leaving another team with none (or going over the "
                    "practitioner limit).")

    def _selected_table(self, frame: Frame, chosen: np.ndarray, strata: np.ndarray,
                        labels: list[str], ranking: _Ranking) -> pd.DataFrame:
        """Selected cases with ``stratum`` and ``selection_order``, by stratum then rank."""
        if self.method == "systematic":
            positions = np.flatnonzero(chosen)
            key = _order_key(frame, self.order_by or CRN)
            positions = positions[np.lexsort((positions, key[positions], strata[positions]))]
        else:
            positions = ranking.order[chosen[ranking.order]]
        table = frame.take(positions)
        table["stratum"] = pd.Series(np.array(labels, dtype=object)[strata[positions]],
                                     dtype="str")
        table["selection_order"] = np.arange(1, len(positions) + 1, dtype=np.int64)
        return table


_PARAMS = ("n", "strata", "allocation", "min_per_stratum", "max_per_stratum", "take_all_below",
           "rates", "method", "order_by", "per_practitioner_limit", "practitioner_column",
           "one_per_team", "team_column", "reserve_size", "random_state")


class _Ranking:
    """Cases ranked by keyed hash within each stratum (stratum, then hash, then CRN)."""

    def __init__(self, frame: Frame, strata: np.ndarray, count: int, seed: int) -> None:
        self.strata = strata
        self.hash = hashing.siphash24(frame.crn_bytes, seed)
        self.order = rank_within(self.hash, strata, count)
        self.sizes = np.bincount(strata, minlength=count)
        self.starts = np.cumsum(self.sizes) - self.sizes
        within = np.arange(len(strata), dtype=np.int64) - self.starts[strata[self.order]]
        self.rank = np.empty(len(strata), dtype=np.int64)
        self.rank[self.order] = within

    @cached_property
    def by_hash(self) -> np.ndarray:
        """Every position by keyed hash across strata (ties by CRN)."""
        return np.argsort(self.hash, kind="stable")

    def segment(self, h: int) -> np.ndarray:
        """Positions of stratum h's cases, best rank first."""
        start = int(self.starts[h])
        return self.order[start:start + int(self.sizes[h])]

    def first(self, take: np.ndarray) -> np.ndarray:
        """The first take[h] cases of every stratum."""
        return self.rank < take[self.strata]


def rank_within(hashes: np.ndarray, strata: np.ndarray, count: int) -> np.ndarray:
    """Positions ordered by stratum, then hash, then position (CRN order): the draw order.

    The same order as :func:`dipsample.hashing.rank_order` within each
    stratum. For speed, stratum, the leading bits of the hash and the
    position are packed into one integer and sorted once; the rare runs whose
    leading bits agree are then put in full-hash order.
    """
    n = len(hashes)
    pos_bits = max(int(n - 1).bit_length(), 1)
    stratum_bits = int(max(count - 1, 0)).bit_length()
    hash_bits = 64 - pos_bits - stratum_bits
    if hash_bits < 24:  # too little room to pack: two stable sorts instead
        by_hash = np.argsort(hashes, kind="stable")
        return by_hash[np.argsort(strata[by_hash], kind="stable")]
    packed = ((strata.astype(np.uint64) << np.uint64(hash_bits + pos_bits))
              | ((hashes >> np.uint64(64 - hash_bits)) << np.uint64(pos_bits))
              | np.arange(n, dtype=np.uint64))
    packed.sort()
    order = (packed & np.uint64((1 << pos_bits) - 1)).astype(np.int64)
    top = packed >> np.uint64(pos_bits)
    same = np.flatnonzero(top[1:] == top[:-1])
    if len(same):
        # Runs of equal leading bits: order each by the full hash (then position).
        breaks = np.flatnonzero(np.diff(same) > 1)
        for first, last in zip(np.r_[same[0], same[breaks + 1]].tolist(),
                               np.r_[same[breaks], same[-1]].tolist(), strict=True):
            run = order[first:last + 2]
            order[first:last + 2] = run[np.lexsort((run, hashes[run]))]
    return order


def _reserve_table(frame: Frame, ranking: _Ranking, chosen: np.ndarray, labels: list[str],
                   reserve_size: int | None) -> pd.DataFrame:
    """Every case not selected, in rank order within its stratum: the reserve lists."""
    positions = ranking.order[~chosen[ranking.order]]
    strata = ranking.strata[positions]
    counts = np.bincount(strata, minlength=len(labels))
    offsets = np.cumsum(counts) - counts
    order = np.arange(len(positions), dtype=np.int64) - offsets[strata] + 1
    if reserve_size is not None:
        keep = order <= reserve_size
        positions, strata, order = positions[keep], strata[keep], order[keep]
    return pd.DataFrame({
        CRN: frame.crn_text(positions),
        "stratum": pd.Categorical.from_codes(strata, categories=pd.Index(labels, dtype=object)),
        "reserve_order": order,
    })


def stratum_codes(frame: Frame, columns: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Each case's stratum (an index into the labels) and the labels, in value order."""
    n = len(frame)
    if not columns:
        return np.zeros(n, dtype=np.int64), [ALL]
    encoded = [frame.encoded(c) for c in columns]
    # Number each combination of values in the columns' (sorted) value order.
    combined = np.zeros(n, dtype=np.int64)
    space = 1
    for codes, values in encoded:
        if space * len(values) >= 1 << 62:
            _, combined = np.unique(combined, return_inverse=True)
            combined = combined.reshape(-1).astype(np.int64)
            space = int(combined.max()) + 1 if n else 1
        combined = combined * len(values) + codes
        space *= len(values)
    if space <= max(4 * n, 1 << 16):
        present = np.bincount(combined, minlength=space) > 0
        strata = (np.cumsum(present) - 1)[combined]
        count = int(present.sum())
    else:
        ids, inverse = np.unique(combined, return_inverse=True)
        strata, count = inverse.reshape(-1), len(ids)
    # Label each stratum from one of its cases.
    first = np.empty(count, dtype=np.int64)
    first[strata[::-1]] = np.arange(n - 1, -1, -1)
    labels = [" | ".join(f"{c}={_shown(values[codes[p]])}" for c, (codes, values)
                         in zip(columns, encoded, strict=True)) for p in first.tolist()]
    return strata.astype(np.int64), labels


def _shown(value: str) -> str:
    """A stratum value as labels show it."""
    return value if value != "" else BLANK


def _order_key(frame: Frame, column: str) -> np.ndarray:
    """A sort key per case for ``order_by``: dates for a ``*_date`` column, else the text."""
    column = column.strip().lower()
    if column == CRN:
        return np.arange(len(frame), dtype=np.int64)
    if column.endswith("_date"):
        days = frame.dates(column)
        # Blank dates first, as blank text sorts first.
        return np.where(np.isnat(days), np.iinfo(np.int64).min,
                        days.astype("datetime64[D]").astype(np.int64))
    codes, _ = frame.encoded(column)
    return codes.astype(np.int64)


def _need_column(frame: Frame, column: str, what: str) -> None:
    """PlanInvalid unless the frame has the column."""
    if not isinstance(column, str) or column.strip().lower() not in frame.columns:
        known = ", ".join(f"'{c}'" for c in frame.columns)
        raise PlanInvalid(f"{what.capitalize()} '{column}' is not in the frame {frame.source} "
                          f"(its columns: {known}).")
    if column.strip().lower() == ROW:
        raise PlanInvalid(f"{what.capitalize()} cannot be 'row' (the spreadsheet row number).")


def jsonable_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters as JSON-ready values (the seed as 0x-hex, tuples as lists)."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        if k == "random_state" and isinstance(v, int) and not isinstance(v, bool):
            out[k] = hashing.format_seed(v)
        else:
            out[k] = _jsonable(v)
    return out


def _jsonable(value: Any) -> Any:
    """A value as JSON can hold it."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.loads(json.dumps(value, default=str))

