"""A review starts from the findings, is changed piece by piece, and is finalised only when fit."""

from __future__ import annotations

import json
from datetime import date

import pytest

from sfo.domain import review as rv
from sfo.domain.factors import EvidenceNote
from sfo.domain.findings import CaseFindings
from sfo.errors import ReviewInvalid
from tests.unit.review.conftest import AT, REVIEWER


def test_each_gap_becomes_an_episode_with_what_was_known_then(da_case: CaseFindings):
    state = rv.start(da_case)
    gaps = [f for f in da_case.findings if f.kind == "gap"]
    episodes = [e for e in state.episodes if e.kind == "gap"]
    assert len(episodes) == len(gaps)
    for ep in episodes:
        finding = next(f for f in gaps if f.summary == ep.what_happened)
        assert ep.known_then == finding.known and ep.known_then
        assert ep.decision_date == finding.date
        assert ep.expected  # every gap rule has an expectation written out
        assert ep.evidence[0].records == finding.evidence
    home = next(e for e in episodes if e.rule_id == "HOME-VISIT")
    assert "20 working days" in home.expected


def test_good_practice_findings_become_episodes_under_their_own_rule(da_case: CaseFindings):
    state = rv.start(da_case)
    good = [e for e in state.episodes if e.kind == "good_practice"]
    assert {e.rule_id for e in good} == {"FIRST-APPT", "RISK-INIT"}
    assert all(e.good_practice for e in good)


def test_finalising_is_refused_without_an_overall_judgement(da_case: CaseFindings):
    state = rv.consider_context(rv.start(da_case), "Workload and training looked at.",
                                by=REVIEWER, at=AT)
    with pytest.raises(ReviewInvalid, match="no overall judgement") as info:
        rv.finalise(state, by=REVIEWER, at=AT)
    assert len(info.value.problems) == 1
    done = rv.finalise(rv.set_judgement(state, "partly", reasons="Checks were not made.",
                                        by=REVIEWER, at=AT), by=REVIEWER, at=AT)
    assert done.finalised is not None


def test_finalising_is_refused_when_the_working_context_is_unconsidered(
        da_case: CaseFindings):
    state = rv.start(da_case)
    state = rv.set_judgement(state, "yes", reasons="All done.", by=REVIEWER, at=AT)
    for f in state.factors:
        state = rv.remove_factor(state, f.factor_id)
    with pytest.raises(ReviewInvalid, match="working context has not been considered"):
        rv.finalise(state, by=REVIEWER, at=AT)


def _finalised(case: CaseFindings) -> rv.ReviewState:
    state = rv.set_judgement(rv.start(case), "no", reasons="Reasons.", by=REVIEWER, at=AT)
    state = rv.consider_context(state, "Considered.", by=REVIEWER, at=AT)
    return rv.finalise(state, by=REVIEWER, at=AT)


def test_a_finalised_version_cannot_be_changed(da_case: CaseFindings):
    with pytest.raises(ReviewInvalid, match="reopen it as version 2"):
        rv.set_family_summary(_finalised(da_case), "Changed.")


def test_a_change_after_finalising_is_a_new_version_with_a_required_note(
        da_case: CaseFindings):
    done = _finalised(da_case)
    with pytest.raises(ReviewInvalid, match="Say what will change"):
        rv.reopen(done, " ", by=REVIEWER, at=AT)
    again = rv.reopen(done, "Partner information arrived late.", by=REVIEWER, at=AT)
    assert (again.version, again.finalised) == (2, None)
    assert again.change_notes[-1].version == 2
    assert rv.set_family_summary(again, "Changed.").family_summary == "Changed."


@pytest.mark.parametrize("owner", ["N03D208", "n03d208", "jo.bloggs@justice.gov.uk"])
def test_action_owners_that_look_like_staff_are_refused(da_case: CaseFindings, owner: str):
    with pytest.raises(ReviewInvalid, match="looks like a person"):
        rv.add_action(rv.start(da_case), "Brief the team on DA checks.", owner_role=owner,
                      due=date(2024, 9, 1), links=["DA-CHECKS"], by=REVIEWER, at=AT)


def test_actions_link_to_findings_or_factors_never_to_a_person(da_case: CaseFindings):
    state = rv.start(da_case)
    with pytest.raises(ReviewInvalid, match="looks like a person"):
        rv.add_action(state, "Review caseload.", owner_role="Head of PDU",
                      due=date(2024, 9, 1), links=["N03D208"], by=REVIEWER, at=AT)
    with pytest.raises(ReviewInvalid, match="neither a rule"):
        rv.add_action(state, "Review caseload.", owner_role="Head of PDU",
                      due=date(2024, 9, 1), links=["RECALL-TIMELY"], by=REVIEWER, at=AT)
    with pytest.raises(ReviewInvalid, match="Link the action"):
        rv.add_action(state, "Review caseload.", owner_role="Head of PDU",
                      due=date(2024, 9, 1), links=[], by=REVIEWER, at=AT)
    ok = rv.add_action(state, "Review caseload.", owner_role="Head of PDU",
                       due=date(2024, 9, 1), links=["DA-CHECKS", "training"], by=REVIEWER,
                       at=AT)
    assert ok.actions[0].status == "open"


def test_action_status_keeps_its_history_and_dropping_needs_a_reason(da_case: CaseFindings):
    state = rv.add_action(rv.start(da_case), "Brief the team.", owner_role="SPO",
                          due=date(2024, 9, 1), links=["HOME-VISIT"], by=REVIEWER, at=AT)
    state = rv.set_action_status(state, "A1", "in_progress", by=REVIEWER, at=AT)
    with pytest.raises(ReviewInvalid, match="why the action is dropped"):
        rv.set_action_status(state, "A1", "dropped", by=REVIEWER, at=AT)
    state = rv.set_action_status(state, "A1", "done", by=REVIEWER, at=AT)
    assert [h.status for h in state.actions[0].history] == ["open", "in_progress", "done"]


def test_analysis_is_kept_in_heading_order_and_unknown_headings_refused(
        da_case: CaseFindings):
    state = rv.set_analysis(rv.start(da_case), "reviewing", "R.")
    state = rv.set_analysis(state, "assessment", "A.")
    assert [h for h, _ in state.analysis] == ["assessment", "reviewing"]
    with pytest.raises(ReviewInvalid, match="not a heading"):
        rv.set_analysis(state, "blame", "x")


def test_a_review_round_trips_through_plain_json(da_case: CaseFindings):
    state = rv.start(da_case)
    state = rv.set_background(state, background="Background.", risk_profile="High RoSH.")
    state = rv.update_episode(state, "E1", why_it_made_sense="Only PSO free.",
                              knew=["ADVP"], evidence=[EvidenceNote("Said so", "hearsay",
                                                                    ("c1",), date(2024, 4, 1))])
    state = rv.add_episode(state, kind="neutral", what_happened="Met the victim's family.")
    state = rv.set_analysis(state, "planning", "Plan text.")
    state = rv.set_judgement(state, "partly", reasons="R.", by=REVIEWER, at=AT)
    state = rv.add_learning(state, "system", "Systems learning.")
    state = rv.add_action(state, "Do it.", owner_role="SPO", due=date(2024, 9, 1),
                          links=["DA-CHECKS"], by=REVIEWER, at=AT)
    state = rv.add_factor(state, "partner_information", "Police check late.", variant="late",
                          known_at_the_time="no", scope="systemic")
    state = rv.consider_context(state, "Considered.", by=REVIEWER, at=AT)
    state = rv.set_family_summary(state, "A summary.")
    state = rv.reopen(rv.finalise(state, by=REVIEWER, at=AT), "Why.", by=REVIEWER, at=AT)
    data = json.loads(json.dumps(state.to_dict()))
    assert rv.ReviewState.from_dict(data) == state


def test_a_damaged_saved_review_is_refused_plainly(da_case: CaseFindings):
    data = rv.start(da_case).to_dict()
    del data["episodes"]
    with pytest.raises(ReviewInvalid, match="incomplete or damaged"):
        rv.ReviewState.from_dict(data)
    with pytest.raises(ReviewInvalid, match="layout"):
        rv.ReviewState.from_dict({**data, "schema": 99})


def test_the_toolkit_never_sets_a_judgement(da_case: CaseFindings, overloaded_case):
    for case in (da_case, overloaded_case):
        assert rv.start(case).judgement is None
