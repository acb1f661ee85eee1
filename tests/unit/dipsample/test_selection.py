"""Drawing: keyed-hash ranks per stratum, ordered reserves, and a draw anyone can repeat."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dipsample import hashing
from dipsample.errors import PlanInvalid
from dipsample.frame import Frame
from dipsample.selection import Sampler, rank_within, stratum_codes

SEED = 0x0123456789ABCDEF0123456789ABCDEF
AT = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)


def caseload(n: int, seed: int = 1) -> pd.DataFrame:
    """A synthetic caseload (made up): CRNs, practitioners, teams, tiers, start dates."""
    rng = np.random.default_rng(seed)
    ids = rng.choice(26_000_000, size=n, replace=False)
    return pd.DataFrame({
        "crn": [f"{chr(65 + i // 1_000_000)}{i % 1_000_000:06d}" for i in ids.tolist()],
        "staff_code": [f"N07A{k:03d}" for k in rng.integers(0, 12, n).tolist()],
        "team_code": [f"N07U{chr(65 + k)}T" for k in rng.integers(0, 4, n).tolist()],
        "tier": rng.choice(["A", "B", "C", ""], n, p=[0.4, 0.3, 0.25, 0.05]),
        "pdu": rng.choice(["North", "South"], n),
        "start_date": [str(np.datetime64("2024-01-01") + int(d))
                       for d in rng.integers(0, 700, n).tolist()],
    }).astype("str")


FRAME = Frame.from_dataframe(caseload(400))


def crns_in_rank_order(crns: list[str], seed: int) -> list[str]:
    """The documented ranking: keyed SipHash-2-4 of each CRN, lowest first."""
    return [crns[i] for i in hashing.rank_order(crns, seed)]


# ---------------------------------------------------------------- simple random


def test_a_simple_random_sample_is_the_first_n_cases_by_keyed_hash():
    sample = Sampler(25, random_state=SEED).draw(FRAME, drawn_by="QA team", drawn_at=AT)
    ranked = crns_in_rank_order(FRAME.data["crn"].tolist(), SEED)
    assert sample.selected["crn"].tolist() == ranked[:25]
    assert sample.selected["selection_order"].tolist() == list(range(1, 26))
    assert set(sample.selected["stratum"]) == {"all cases"}
    assert sample.reserve["crn"].tolist() == ranked[25:]
    assert sample.reserve["reserve_order"].tolist() == list(range(1, 376))
    assert (sample.seed, sample.drawn_by, sample.drawn_at) == (SEED, "QA team", AT)
    assert sample.fingerprint == FRAME.fingerprint and sample.frame_size == 400


def test_the_selected_table_holds_every_frame_column_plus_stratum_and_order():
    sample = Sampler(5, random_state=SEED).draw(FRAME)
    assert list(sample.selected.columns) == [*FRAME.columns, "row", "stratum",
                                             "selection_order"]
    assert list(sample.reserve.columns) == ["crn", "stratum", "reserve_order"]
    first = sample.selected.iloc[0]
    original = FRAME.data.set_index("crn").loc[first["crn"]]
    assert first["staff_code"] == original["staff_code"] and first["row"] == original["row"]


def test_without_a_seed_a_fresh_one_is_made_at_draw_time_and_recorded():
    sampler = Sampler(10)
    a, b = sampler.draw(FRAME), sampler.draw(FRAME)
    assert a.seed != b.seed
    assert sampler.random_state is None  # the parameters are never changed by a draw
    assert a.params["random_state"] == a.seed
    again = Sampler(**a.params).draw(FRAME)
    assert again.selected["crn"].tolist() == a.selected["crn"].tolist()
    assert again.reserve.equals(a.reserve)


def test_the_frames_crn_bytes_hash_exactly_as_the_crns_as_text():
    text = FRAME.data["crn"].tolist()
    np.testing.assert_array_equal(hashing.siphash24(FRAME.crn_bytes, SEED),
                                  hashing.siphash24(text, SEED))
    mixed = ["a", "abcdefgh", "abcdefghijklmnop", "X320741"]
    np.testing.assert_array_equal(hashing.siphash24(np.array(mixed, dtype="S"), SEED),
                                  hashing.siphash24(mixed, SEED))


def test_drawn_at_defaults_to_now_in_utc():
    sample = Sampler(3, random_state=1).draw(FRAME)
    assert sample.drawn_at.tzinfo is not None
    assert abs(sample.drawn_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


LARGE = Frame.from_dataframe(caseload(3000, seed=4))


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**128 - 1), st.integers(0, 2**128 - 1))
def test_different_seeds_give_different_samples(a, b):
    # Two seeds picking the same 40 of 3,000 cases has odds of about 1 in 10**90.
    if a != b:
        one = Sampler(40, strata="pdu", random_state=a).draw(LARGE)
        two = Sampler(40, strata="pdu", random_state=b).draw(LARGE)
        assert set(one.selected["crn"]) != set(two.selected["crn"])


def test_the_record_of_a_draw_is_not_changed_by_changing_the_sampler_afterwards():
    rates = {"pdu=North": 0.2, "pdu=South": 0.4}
    sampler = Sampler(10, strata="pdu", allocation="neyman", rates=rates, random_state=1)
    sample = sampler.draw(FRAME)
    rates["pdu=North"] = 0.9
    assert sample.params["rates"] == {"pdu=North": 0.2, "pdu=South": 0.4}


# ---------------------------------------------------------------- strata


def test_strata_cross_classify_columns_with_blank_as_its_own_stratum():
    strata, labels = stratum_codes(FRAME, ("pdu", "tier"))
    assert labels == ["pdu=North | tier=(blank)", "pdu=North | tier=A", "pdu=North | tier=B",
                      "pdu=North | tier=C", "pdu=South | tier=(blank)", "pdu=South | tier=A",
                      "pdu=South | tier=B", "pdu=South | tier=C"]
    data = FRAME.data
    tier = data["tier"].replace("", "(blank)")
    expected = ("pdu=" + data["pdu"] + " | tier=" + tier).tolist()
    assert [labels[s] for s in strata] == expected


def test_each_stratum_gives_its_allocation_in_its_own_keyed_hash_order():
    sample = Sampler(40, strata=("pdu", "tier"), random_state=SEED).draw(FRAME)
    data = FRAME.data
    for label, want in sample.allocation.per_stratum.items():
        pdu, tier = (part.split("=")[1] for part in label.split(" | "))
        members = data[(data["pdu"] == pdu)
                       & (data["tier"] == ("" if tier == "(blank)" else tier))]
        ranked = crns_in_rank_order(members["crn"].tolist(), SEED)
        got = sample.selected[sample.selected["stratum"] == label]["crn"].tolist()
        assert got == ranked[:want]
        reserve = sample.reserve[sample.reserve["stratum"] == label]
        assert reserve["crn"].tolist() == ranked[want:]
        assert reserve["reserve_order"].tolist() == list(range(1, len(ranked) - want + 1))
    assert sample.selected["selection_order"].tolist() == list(range(1, 41))
    # Selected rows run stratum by stratum in the allocation's order.
    order = list(sample.allocation.per_stratum)
    positions = [order.index(s) for s in sample.selected["stratum"]]
    assert positions == sorted(positions)


def test_allocation_options_reach_the_sample():
    sample = Sampler(12, strata="tier", min_per_stratum=2, random_state=SEED).draw(FRAME)
    counts = sample.selected["stratum"].value_counts().to_dict()
    assert counts["tier=(blank)"] >= 2 and sum(counts.values()) == 12
    whole = Sampler(12, strata="tier", take_all_below=30, random_state=SEED).draw(FRAME)
    blank = int((FRAME.data["tier"] == "").sum())
    assert blank <= 30
    assert (whole.selected["stratum"] == "tier=(blank)").sum() == blank


def test_reserve_size_limits_each_stratum_reserve():
    sample = Sampler(10, strata="pdu", reserve_size=3, random_state=SEED).draw(FRAME)
    assert sample.reserve.groupby("stratum", observed=True).size().tolist() == [3, 3]
    assert sample.reserve["reserve_order"].tolist() == [1, 2, 3, 1, 2, 3]


@settings(max_examples=40, deadline=None)
@given(st.integers(20, 150), st.integers(1, 19), st.integers(0, 2**128 - 1),
       st.randoms(use_true_random=False))
def test_the_same_seed_and_frame_in_any_row_and_column_order_give_the_same_sample(
        size, n, seed, rnd):
    df = caseload(size, seed=size)
    shuffled = df.sample(frac=1, random_state=rnd.randrange(2**32))
    columns = list(shuffled.columns)
    rnd.shuffle(columns)
    sampler = Sampler(n, strata=("pdu", "tier"), min_per_stratum=1, random_state=seed)
    a = sampler.draw(Frame.from_dataframe(df))
    b = sampler.draw(Frame.from_dataframe(shuffled[columns]))
    keys = ["crn", "stratum", "selection_order", "staff_code", "tier"]  # not row: it moved
    assert a.selected[keys].to_dict("records") == b.selected[keys].to_dict("records")
    assert a.reserve.astype(str).equals(b.reserve.astype(str))
    assert a.fingerprint == b.fingerprint


def test_rank_within_orders_by_stratum_hash_then_position_even_when_hashes_nearly_tie():
    rng = np.random.default_rng(3)
    n = 5000
    strata = rng.integers(0, 7, n)
    # Hashes sharing their leading bits force the rare full-hash tie-break path.
    hashes = (rng.integers(0, 4, n).astype(np.uint64) << np.uint64(62)) | rng.integers(
        0, 3, n).astype(np.uint64)
    expected = np.lexsort((np.arange(n), hashes, strata))
    np.testing.assert_array_equal(rank_within(hashes, strata, 7), expected)
    random = rng.integers(0, 2**63, n).astype(np.uint64)
    np.testing.assert_array_equal(rank_within(random, strata, 7),
                                  np.lexsort((np.arange(n), random, strata)))


# ---------------------------------------------------------------- systematic


def test_systematic_takes_every_kth_case_from_a_seed_derived_start():
    sample = Sampler(7, strata="pdu", method="systematic", random_state=SEED).draw(FRAME)
    data = FRAME.data  # CRN order, the default order_by
    for label, want in sample.allocation.per_stratum.items():
        members = data[data["pdu"] == label.split("=")[1]]["crn"].tolist()
        size = len(members)
        u = int(hashing.siphash24(["start:" + label], SEED)[0]) / 2**64
        k = size / want  # fractional interval
        positions = [int(np.floor((u + i) * k)) for i in range(want)]
        got = sample.selected[sample.selected["stratum"] == label]["crn"].tolist()
        assert got == [members[p] for p in positions]
        rest = [c for c in members if c not in set(got)]
        reserve = sample.reserve[sample.reserve["stratum"] == label]["crn"].tolist()
        assert reserve == crns_in_rank_order(rest, SEED)


def test_systematic_can_order_by_a_date_column():
    sample = Sampler(8, method="systematic", order_by="start_date",
                     random_state=SEED).draw(FRAME)
    data = FRAME.data.assign(day=FRAME.dates("start_date"))
    by_date = data.sort_values(["day", "crn"], kind="stable")["crn"].tolist()
    u = int(hashing.siphash24(["start:all cases"], SEED)[0]) / 2**64
    positions = [int(np.floor((u + i) * 400 / 8)) for i in range(8)]
    assert sample.selected["crn"].tolist() == [by_date[p] for p in positions]


def test_systematic_refuses_practitioner_limits_and_team_cover():
    with pytest.raises(PlanInvalid, match="fixed interval"):
        Sampler(5, method="systematic", per_practitioner_limit=1).draw(FRAME)
    with pytest.raises(PlanInvalid, match="order_by is used only"):
        Sampler(5, order_by="start_date").draw(FRAME)


# ---------------------------------------------------------------- practitioners and teams


def test_no_practitioner_has_more_than_the_limit_and_skipped_cases_stay_in_reserve():
    sample = Sampler(24, per_practitioner_limit=2, random_state=SEED).draw(FRAME)
    assert sample.selected["staff_code"].value_counts().max() <= 2
    assert sample.n == 24  # 12 practitioners x 2
    ranked = crns_in_rank_order(FRAME.data["crn"].tolist(), SEED)
    chosen = set(sample.selected["crn"])
    assert sample.reserve["crn"].tolist() == [c for c in ranked if c not in chosen]
    # The selected are the first cases in rank order that fit the limit.
    staff = FRAME.data.set_index("crn")["staff_code"]
    count: dict[str, int] = {}
    expected = []
    for c in ranked:
        if count.get(staff[c], 0) < 2 and len(expected) < 24:
            expected.append(c)
            count[staff[c]] = count.get(staff[c], 0) + 1
    assert sample.selected["crn"].tolist() == expected


def test_a_limit_that_leaves_a_stratum_short_is_warned_about():
    sample = Sampler(30, per_practitioner_limit=2, random_state=SEED).draw(FRAME)
    assert sample.n == 24
    assert any("only 24 of 30 cases could be selected" in w for w in sample.warnings)


def test_one_per_team_swaps_in_a_case_for_every_team_without_one():
    df = caseload(400)
    df.loc[df.index[:3], "team_code"] = "N07ZZT"  # a team of three cases
    frame = Frame.from_dataframe(df)
    plain = Sampler(6, strata="pdu", random_state=SEED).draw(frame)
    assert "N07ZZT" not in set(plain.selected["team_code"])
    sample = Sampler(6, strata="pdu", one_per_team=True, random_state=SEED).draw(frame)
    assert set(sample.selected["team_code"]) == set(frame.data["team_code"])
    assert sample.selected["stratum"].value_counts().to_dict() == (
        plain.selected["stratum"].value_counts().to_dict())
    assert sample.n == 6 and not any("has no case" in w for w in sample.warnings)
    # The swapped-out case returns to the reserve; the swapped-in one leaves it.
    assert not set(sample.selected["crn"]) & set(sample.reserve["crn"])
    assert len(sample.reserve) == len(frame) - 6


def test_one_per_team_warns_when_a_team_cannot_be_given_a_case():
    sample = Sampler(2, one_per_team=True, random_state=SEED).draw(FRAME)
    assert sum("has no case in the sample" in w for w in sample.warnings) == 2


# ---------------------------------------------------------------- parameters and results


def test_get_params_returns_the_parameters_unchanged():
    strata = ("pdu", "tier")
    sampler = Sampler(10, strata=strata, min_per_stratum=1, random_state=7)
    params = sampler.get_params()
    assert params["strata"] is strata and params["n"] == 10 and params["random_state"] == 7
    assert set(params) == {"n", "strata", "allocation", "min_per_stratum", "max_per_stratum",
                           "take_all_below", "rates", "method", "order_by",
                           "per_practitioner_limit", "practitioner_column", "one_per_team",
                           "team_column", "reserve_size", "random_state"}
    assert Sampler(**params).get_params() == params


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"strata": ("region",)}, "A stratifying column 'region' is not in the frame"),
    ({"method": "cluster"}, "selection method 'cluster' is not known"),
    ({"random_state": -1}, "random_state"),
    ({"random_state": 2**128}, "random_state"),
    ({"per_practitioner_limit": 0}, "per_practitioner_limit"),
    ({"one_per_team": True, "team_column": "team"}, "The team column 'team'"),
    ({"reserve_size": -1}, "reserve_size"),
    ({"strata": ("pdu", "pdu")}, "listed twice"),
])
def test_parameters_that_cannot_work_are_refused_when_drawing(kwargs, message):
    with pytest.raises(PlanInvalid, match=message):
        Sampler(5, **kwargs).draw(FRAME)


def test_an_empty_frame_cannot_be_sampled():
    empty = Frame.from_dataframe(pd.DataFrame({"crn": pd.Series([], dtype="str")}))
    with pytest.raises(PlanInvalid, match="no cases"):
        Sampler(1).draw(empty)


def test_a_sample_is_frozen_and_self_describing():
    sample = Sampler(5, strata="pdu", random_state=SEED).draw(FRAME, drawn_by="a", drawn_at=AT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sample.seed = 1  # type: ignore[misc]
    entry = sample.log_entry()
    assert entry["seed"] == "0x0123456789abcdef0123456789abcdef"
    assert entry["params"]["random_state"] == entry["seed"]
    assert entry["params"]["strata"] == "pdu"
    assert entry["fingerprint"] == FRAME.fingerprint and entry["n"] == 5
    assert entry["at"] == "2026-01-05T09:30:00+00:00" and entry["action"] == "draw"
    summary = json.loads(json.dumps(sample.as_dict()))
    assert [s["selection_order"] for s in summary["selected"]] == [1, 2, 3, 4, 5]
    assert sum(summary["reserve_sizes"].values()) == 395


def test_the_selected_digest_is_sha256_of_the_sorted_crns():
    import hashlib

    sample = Sampler(5, random_state=SEED).draw(FRAME)
    text = "\n".join(sorted(sample.selected["crn"]))
    assert sample.selected_digest() == hashlib.sha256(text.encode()).hexdigest()
