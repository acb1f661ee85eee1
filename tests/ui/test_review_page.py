"""The SFO review page: starting, saving each change at once, conflicts, the action plan,
finalising and reopening, and what each role may see and do.

Each test copies the seeded database, so the reviews one test starts never
change what another sees.
"""

from __future__ import annotations

from datetime import date

import pytest

from sfo.domain import early_look as el
from sfo.domain import review as rv
from sfo.domain.access import Actor
from sfo.services import early_look, reviews
from tests.ui.conftest import DA_CRN, actor

REVIEWER = actor("reviewer")
MANAGER = actor("manager")
OTHER = Actor("other", "Olu Other", ("reviewer",))
PERSONAL = "Caring for a parent after a stroke in May 2024."


@pytest.fixture
def page(app, own_db):
    def make(role: str = "reviewer", tab: str | None = None):
        at = app(role, crn=DA_CRN)
        at.switch_page("app_pages/review.py")
        if tab is not None:
            at.session_state["sfo_rv_tab"] = tab
        return at.run()

    return make


def _started() -> reviews.Opened:
    return reviews.start_stored(crn=DA_CRN, actor=REVIEWER)


def _stored(review_id: int) -> reviews.Opened:
    return reviews.open_stored(review_id, actor=REVIEWER)


def _tab(at, name: str):
    at.session_state["sfo_rv_tab"] = name
    return at.run()


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _area(at, label: str):
    return next(t for t in at.text_area if t.label == label)


def _ready(state: rv.ReviewState) -> rv.ReviewState:
    state = rv.set_judgement(state, "partly", reasons="The police and children's services "
                             "checks were not made.", by=REVIEWER.name)
    return rv.consider_context(state, "Workload, supervision and training records were read "
                               "with the practitioner's manager.", by=REVIEWER.name)


def test_a_reviewer_starts_a_review_from_the_early_look_and_it_is_stored(page):
    early_look.start_stored(crn=DA_CRN, actor=MANAGER)
    at = page()
    assert not at.exception
    assert at.title[0].value == "SFO review"
    assert any("It starts from early look" in i.value for i in at.info)
    _button(at, "Start the SFO review").click()
    at.run()
    assert not at.exception and not at.error
    (listed,) = reviews.list_stored(crn=DA_CRN, actor=REVIEWER)
    assert listed.status == "draft" and listed.state.episodes
    assert any("2 things to do before finalising" in m.value for m in at.markdown)
    assert [t.label for t in at.tabs][:3] == ["Background", "Episodes", "Analysis"]


def test_writing_under_an_analysis_heading_saves_it_at_once(page):
    review = _started()
    at = page(tab="Analysis")
    _area(at, "Assessment").input("The first assessment was on time and used the police "
                                  "information then held.")
    at.run()
    assert not at.exception and not at.error
    stored = _stored(review.id)
    assert stored.version == review.version + 1
    assert stored.state.analysis_of("assessment").startswith("The first assessment was on")
    assert any("Saved at" in m.value for m in at.markdown)
    again = page(tab="Analysis")          # a new session, as after a reload or a restart
    assert _area(again, "Assessment").value.startswith("The first assessment was on")


def test_finalising_without_a_judgement_is_refused_and_the_refusal_is_shown(page):
    review = _started()
    at = page(tab="Document")
    _button(at, "Finalise version 1").click()
    at.run()
    assert not at.exception
    assert any("was not finalised: 2 things still to do" in e.value for e in at.error)
    assert any("There is no overall judgement" in m.value for m in at.markdown)
    assert _stored(review.id).status == "draft"


def test_an_edit_in_the_action_table_lands_on_the_action_id_of_its_row(page):
    review = _started()
    state = review.state
    for text in ("Give every new case a domestic abuse check owner",
                 "Audit home visits in the team", "Review allocation of high-risk cases"):
        state = rv.add_action(state, text, owner_role="Senior probation officer",
                              due=date(2024, 12, 20), links=["DA-CHECKS"], by=REVIEWER.name)
    state = replace_actions_without(state, "A1")          # rows now: A2, A3
    saved = reviews.save_stored(review.id, state, expected_version=review.version,
                                actor=REVIEWER)
    at = page(tab="Actions")
    (table,) = at.data_editor
    assert list(table.value.index) == ["A2", "A3"]
    assert table.value.loc["A3", "description"] == "Review allocation of high-risk cases"
    at.session_state[table.key] = {"edited_rows": {1: {"owner_role": "Head of service",
                                                       "status": "in_progress"}},
                                   "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error
    stored = _stored(review.id)
    acts = {a.action_id: a for a in stored.state.actions}
    assert acts["A3"].owner_role == "Head of service" and acts["A3"].status == "in_progress"
    assert [h.status for h in acts["A3"].history] == ["open", "in_progress"]
    assert acts["A2"].owner_role == "Senior probation officer" and acts["A2"].status == "open"
    assert stored.version == saved.version + 1


def test_a_factors_evidence_is_graded_in_its_table_and_saved_at_once(page):
    review = _started()
    at = page(tab="Factors")
    (table,) = at.data_editor
    first = review.state.factors[0]
    at.session_state[table.key] = {
        "edited_rows": {0: {"grade": "inference"}},
        "added_rows": [{"text": "The team manager said the course was full.",
                        "grade": "hearsay"}],
        "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error
    (stored,) = [f for f in _stored(review.id).state.factors if f.factor_id == first.factor_id]
    assert [n.grade for n in stored.evidence] == ["inference", "hearsay"]
    assert stored.evidence[0].text == first.evidence[0].text


def test_a_quality_check_point_links_to_its_section(page):
    _started()
    at = page(tab="Quality check")
    _button(at, "Go to Analysis: Planning").click()
    at.run()
    assert not at.exception
    assert at.session_state["sfo_rv_tab"] == "Analysis"
    assert any("From the quality check: There is no analysis under 'Planning'" in i.value
               for i in at.info)
    assert _area(at, "Planning").value == ""


def replace_actions_without(state: rv.ReviewState, action_id: str) -> rv.ReviewState:
    from dataclasses import replace

    return replace(state, actions=tuple(a for a in state.actions if a.action_id != action_id))


def test_a_save_by_someone_else_shows_who_changed_it_and_nothing_is_overwritten(page):
    review = _started()
    at = page(tab="Analysis")
    theirs = rv.set_analysis(review.state, "planning", "Olu's planning analysis.")
    reviews.save_stored(review.id, theirs, expected_version=review.version, actor=OTHER)
    _area(at, "Assessment").input("My assessment analysis.")
    at.run()
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "changed by Olu Other" in warning and "your change was not saved" in warning
    assert "Analysis: Planning" in at.dataframe[0].value["What"].tolist()
    assert any(c.value == "My assessment analysis." for c in at.code)   # what I wrote, kept
    stored = _stored(review.id)
    assert stored.state.analysis_of("planning") == "Olu's planning analysis."
    assert stored.state.analysis_of("assessment") == ""
    assert _area(at, "Planning").value == "Olu's planning analysis."     # the page shows theirs


def test_with_a_judgement_and_the_context_considered_it_finalises_showing_the_fingerprint(page):
    review = _started()
    at = page(tab="Judgement")
    judgement = next(r for r in at.radio if r.label == "Were all reasonable steps taken?")
    assert judgement.value is None                        # never pre-selected
    judgement.set_value("partly")
    _area(at, "Your reasons").input("The checks with the police and children's services were "
                                    "not made.")
    _button(at, "Save the judgement").click()
    at.run()
    at = _tab(at, "Factors")
    _area(at, "How you considered the working context").input(
        "I read the workload, supervision and training records with the manager.")
    _button(at, "Save and confirm the working context was considered").click()
    at.run()
    assert not at.exception and not at.error
    at = _tab(at, "Document")
    _button(at, "Finalise version 1").click()
    at.run()
    assert not at.exception and not at.error
    final = _stored(review.id)
    assert final.status == "final" and final.fingerprint
    assert final.state.judgement is not None and final.state.judgement.all_reasonable_steps \
        == "partly"
    assert any(final.fingerprint in s.value for s in at.success)
    assert not [b for b in at.button if b.label.startswith("Finalise")]


def test_reopening_needs_a_note_and_the_history_shows_version_2_with_it(page):
    review = _started()
    saved = reviews.save_stored(review.id, _ready(review.state),
                                expected_version=review.version, actor=REVIEWER)
    final = reviews.finalise_stored(review.id, expected_version=saved.version, actor=REVIEWER)
    at = page(tab="Document")
    _button(at, "Reopen as version 2").click()
    at.run()
    assert any("Say what will change in the new version" in e.value for e in at.error)
    assert _stored(review.id).status == "final"
    _area(at, "What will change, and why").input("The family asked about the home visit.")
    _button(at, "Reopen as version 2").click()
    at.run()
    assert not at.exception and not at.error
    again = _stored(review.id)
    assert again.status == "draft" and again.state.version == 2
    history = at.table[-1].value
    assert history["Version"].tolist() == [1, 2]
    assert history["Fingerprint"].tolist()[0].replace(" ", "") == final.fingerprint
    assert "The family asked about the home visit." in history["Why it was started"][1]


def _with_personal_factor() -> reviews.Opened:
    look = early_look.start_stored(crn=DA_CRN, actor=MANAGER)
    early_look.save_stored(look.id, el.add_context(look.state, "personal", PERSONAL,
                                                   by=MANAGER.name),
                           expected_version=look.version, actor=MANAGER)
    review = _started()
    assert any(f.restricted and f.code == "personal_circumstances"
               for f in review.state.factors)
    return review


def _all_text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [str(d.value.to_dict()) for d in at.dataframe]
    return " ".join(parts)


def test_the_quality_team_reads_without_restricted_entries_or_the_restricted_copy(page):
    review = _with_personal_factor()
    at = page("quality", tab="Factors")
    assert not at.exception
    assert any("Restricted entries (personal circumstances) are not shown" in i.value
               for i in at.info)
    assert PERSONAL not in _all_text(at)
    assert "Personal circumstances" not in _all_text(at)
    assert not at.text_area and not at.radio
    at = _tab(at, "Document")
    assert not at.exception
    labels = [d.label for d in at.download_button]
    assert labels and not any("restricted" in label for label in labels)
    assert any("shared copy" in label for label in labels)
    assert not [b for b in at.button if b.label.startswith("Finalise")]
    assert _stored(review.id).version == review.version


def test_a_manager_reads_the_review_but_cannot_change_it(page):
    review = _with_personal_factor()
    at = page("manager", tab="Analysis")
    assert not at.exception
    assert any("Only a reviewer can change it" in i.value for i in at.info)
    assert not at.text_area
    at = _tab(at, "Factors")
    assert PERSONAL in _all_text(at)              # a manager may see restricted entries
    assert not at.text_area and not at.radio
    at = _tab(at, "Document")
    assert not [b for b in at.button if b.label.startswith(("Finalise", "Reopen"))]
    assert any("restricted copy" in d.label for d in at.download_button)
    assert _stored(review.id).version == review.version
