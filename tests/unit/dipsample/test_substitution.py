"""Substitution: replaced from the same stratum's reserve; unable-to-assess never is."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from dipsample.errors import SubstitutionRefused
from dipsample.frame import Frame
from dipsample.selection import Sampler
from dipsample.substitution import REASONS, substitute

SEED = 20260105
AT = dt.datetime(2026, 2, 1, 10, 0, tzinfo=dt.UTC)


def caseload(n: int) -> pd.DataFrame:
    """A synthetic caseload (made up)."""
    rng = np.random.default_rng(11)
    return pd.DataFrame({
        "crn": [f"C{i:06d}" for i in range(n)],
        "tier": rng.choice(["A", "B"], n),
        "staff_code": [f"N07A{k:03d}" for k in rng.integers(0, 5, n).tolist()],
        "team_code": [f"N07U{chr(65 + k)}T" for k in rng.integers(0, 3, n).tolist()],
    }).astype("str")


FRAME = Frame.from_dataframe(caseload(60))
SAMPLE = Sampler(8, strata="tier", random_state=SEED).draw(FRAME, drawn_by="QA", drawn_at=AT)


def first_of(sample, stratum: str) -> str:
    return str(sample.selected[sample.selected["stratum"] == stratum]["crn"].iloc[0])


def test_an_ineligible_case_is_replaced_by_the_next_reserve_case_of_its_stratum():
    leaving = first_of(SAMPLE, "tier=B")
    order = int(SAMPLE.selected.set_index("crn").loc[leaving, "selection_order"])
    reserve_b = SAMPLE.reserve[SAMPLE.reserve["stratum"] == "tier=B"]
    expected = reserve_b["crn"].iloc[0]
    new = substitute(SAMPLE, leaving, "TRANSFERRED", actor="j.smith", at=AT)
    assert leaving not in set(new.selected["crn"])
    row = new.selected.set_index("crn").loc[expected]
    # The replacement takes the leaver's place and number, in the same stratum.
    assert row["stratum"] == "tier=B" and row["selection_order"] == order
    assert new.selected["selection_order"].tolist() == list(range(1, 9))
    assert row["staff_code"] == FRAME.data.set_index("crn").loc[expected, "staff_code"]
    assert expected not in set(new.reserve["crn"])
    assert len(new.reserve) == len(SAMPLE.reserve) - 1
    (done,) = new.substitutions
    assert (done.crn, done.replaced_by, done.reason, done.actor, done.at, done.stratum) == (
        leaving, expected, "TRANSFERRED", "j.smith", AT, "tier=B")
    assert done.reserve_order == 1 and done.selection_order == order


def test_the_original_sample_is_left_unchanged():
    before = SAMPLE.selected.copy()
    substitute(SAMPLE, first_of(SAMPLE, "tier=A"), "TERMINATED")
    pd.testing.assert_frame_equal(SAMPLE.selected, before)
    assert SAMPLE.substitutions == ()


def test_substitutions_compose_and_use_the_reserve_in_order():
    reserve_a = SAMPLE.reserve[SAMPLE.reserve["stratum"] == "tier=A"]["crn"].tolist()
    one = substitute(SAMPLE, first_of(SAMPLE, "tier=A"), "WRONG-TYPE")
    # Each replacement in turn is found to be ineligible too.
    two = substitute(one, reserve_a[0], "DUPLICATE")
    three = substitute(two, reserve_a[1], "OTHER-INELIGIBLE", note="moved to another region")
    assert [s.replaced_by for s in three.substitutions] == reserve_a[:3]
    assert [s.reserve_order for s in three.substitutions] == [1, 2, 3]
    assert three.substitutions[-1].note == "moved to another region"
    assert three.n == 8 and reserve_a[2] in set(three.selected["crn"])
    assert three.reserve[three.reserve["stratum"] == "tier=A"]["reserve_order"].iloc[0] == 4
    assert three.log_entry()["action"] == "substitute"


@pytest.mark.parametrize("reason", ["UNABLE-TO-ASSESS", "unable-to-assess"])
def test_unable_to_assess_is_refused_because_it_counts_as_a_failure(reason: str):
    with pytest.raises(SubstitutionRefused) as err:
        substitute(SAMPLE, first_of(SAMPLE, "tier=A"), reason)
    message = str(err.value)
    assert "not replaced" in message and "counts as a failure" in message
    assert "records that cannot be assessed are themselves a finding" in message.lower()


def test_an_unknown_reason_is_refused_listing_the_reasons():
    with pytest.raises(SubstitutionRefused) as err:
        substitute(SAMPLE, first_of(SAMPLE, "tier=A"), "BORED")
    assert "TRANSFERRED, TERMINATED, WRONG-TYPE, DUPLICATE, OTHER-INELIGIBLE" in str(err.value)


def test_other_ineligible_needs_a_note():
    with pytest.raises(SubstitutionRefused, match="needs a note"):
        substitute(SAMPLE, first_of(SAMPLE, "tier=A"), "OTHER-INELIGIBLE", note="  ")


def test_a_crn_not_in_the_frame_or_not_selected_is_refused_plainly():
    with pytest.raises(SubstitutionRefused, match="not in the frame"):
        substitute(SAMPLE, "Z999999", "TRANSFERRED")
    reserve_case = SAMPLE.reserve["crn"].iloc[0]
    with pytest.raises(SubstitutionRefused, match="was not selected"):
        substitute(SAMPLE, reserve_case, "TRANSFERRED")
    leaving = first_of(SAMPLE, "tier=A")
    once = substitute(SAMPLE, leaving, "TRANSFERRED")
    with pytest.raises(SubstitutionRefused, match="it was replaced by"):
        substitute(once, leaving, "TRANSFERRED")


def test_an_empty_reserve_is_refused_saying_the_sample_will_be_one_short():
    small = Frame.from_dataframe(caseload(4))
    sample = Sampler(4, random_state=SEED).draw(small)  # every case taken: no reserve
    with pytest.raises(SubstitutionRefused) as err:
        substitute(sample, sample.selected["crn"].iloc[0], "TRANSFERRED")
    message = str(err.value)
    assert "has no more cases on its reserve list" in message
    assert "one case short" in message and "must be reported" in message


def test_a_practitioner_limit_is_kept_when_substituting():
    sample = Sampler(10, per_practitioner_limit=2, random_state=SEED).draw(FRAME)
    counts = sample.selected["staff_code"].value_counts()
    assert counts.max() <= 2
    for crn in sample.selected["crn"].tolist()[:4]:
        sample = substitute(sample, crn, "TRANSFERRED")
        assert sample.selected["staff_code"].value_counts().max() <= 2
    # A passed-over reserve case stays on the list.
    used = {s.replaced_by for s in sample.substitutions}
    assert len(sample.reserve) == len(FRAME) - 10 - len(used)


def test_the_reason_codes_are_data():
    assert {code for code, r in REASONS.items() if r.replaced} == {
        "TRANSFERRED", "TERMINATED", "WRONG-TYPE", "DUPLICATE", "OTHER-INELIGIBLE"}
    assert not REASONS["UNABLE-TO-ASSESS"].replaced
    assert REASONS["OTHER-INELIGIBLE"].needs_note
    assert all(r.meaning for r in REASONS.values())


def test_replacing_a_teams_only_case_under_one_per_team_is_warned_about():
    df = pd.DataFrame({"crn": [f"D{i:06d}" for i in range(12)],
                       "team_code": ["N07UAT"] + ["N07UBT"] * 11}).astype("str")
    sample = Sampler(3, one_per_team=True, random_state=SEED).draw(Frame.from_dataframe(df))
    assert "D000000" in set(sample.selected["crn"])  # the one-case team was swapped in
    new = substitute(sample, "D000000", "TRANSFERRED")
    assert new.warnings[-1] == ("Replacing D000000 leaves team 'N07UAT' with no case in the "
                                "sample (the replacement comes from the same stratum, not the "
                                "same team).")
