"""The Early look page: starting, saving each change at once, conflicts, actions, sign-off, roles.

Each test copies the seeded database, so the early looks one test starts
never change what another sees.
"""

from __future__ import annotations

from datetime import date

import pytest

from sfo.domain import early_look as el
from sfo.domain.access import Actor
from sfo.services import early_look
from tests.ui.conftest import DA_CRN, actor

MANAGER = actor("manager")
OTHER = Actor("other", "Olu Other", ("manager",))


@pytest.fixture
def page(app, own_db):
    def make(role: str = "manager"):
        at = app(role, crn=DA_CRN)
        at.switch_page("app_pages/early_look.py")
        return at.run()

    return make


def _started() -> early_look.Opened:
    return early_look.start_stored(crn=DA_CRN, actor=MANAGER)


def _tab(at, name: str):
    at.session_state["sfo_el_tab"] = name
    return at.run()


def _stored(look_id: int) -> early_look.Opened:
    return early_look.open_stored(look_id, actor=MANAGER)


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_a_manager_starts_an_early_look_for_the_case_and_it_is_stored(page):
    at = page()
    assert not at.exception
    assert at.title[0].value == "Early look"
    _button(at, "Start the early look").click()
    at.run()
    assert not at.exception
    (listed,) = early_look.list_stored(DA_CRN, actor=MANAGER)
    assert listed.status == "draft"
    assert any("0 of 15 questions confirmed; working context not yet considered" in m.value
               for m in at.markdown)
    assert any("Overdue" in m.value for m in at.markdown)


def test_confirming_a_suggested_answer_saves_it_at_once(page):
    look = _started()
    at = page()
    _button(at, "Confirm: Not met").click()
    at.run()
    assert not at.exception
    stored = _stored(look.id)
    assert stored.version == 2
    assert stored.state.answer("EL01").answer == "not_met"
    assert any("Saved at" in m.value for m in at.markdown)
    again = page()          # a new session, as after a browser reload or a restart
    assert any("1 of 15 questions confirmed" in m.value for m in again.markdown)


def _widget(items, key_start: str):
    return next(w for w in items if w.key and w.key.startswith(key_start))


def test_changing_an_answer_without_a_reason_is_refused_with_the_domains_message(page):
    look = _started()
    at = page()
    _widget(at.radio, f"sfo_el_{look.id}_answer_EL01").set_value("met")
    _widget(at.button, f"sfo_el_{look.id}_answer_EL01").click()
    at.run()
    assert not at.exception
    assert any("Changing it to 'Met' needs a reason" in e.value for e in at.error)
    stored = _stored(look.id)
    assert stored.version == 1 and stored.state.answer("EL01") is None


def test_adding_a_working_context_entry_and_considering_it_is_saved(page):
    look = _started()
    at = _tab(page(), "Working context")
    _widget(at.selectbox, f"sfo_el_{look.id}_ctx_new_category").set_value("personal")
    _widget(at.text_area, f"sfo_el_{look.id}_ctx_new_text").input("Bereavement in May 2024.")
    _widget(at.button, f"sfo_el_{look.id}_ctx_new_save").click()
    at.run()
    _button(at, "I have considered the working context").click()
    at.run()
    assert not at.exception and not at.error
    stored = _stored(look.id).state
    (added,) = [e for e in stored.context if e.source == "entered"]
    assert added.category == "personal" and added.restricted
    assert stored.context_considered is not None
    assert any("confirmed the working context was considered" in s.value for s in at.success)


def test_a_save_by_someone_else_shows_who_changed_what_and_is_not_overwritten(page):
    look = _started()
    at = page()
    theirs = el.consider_context(look.state, by=OTHER.name)
    early_look.save_stored(look.id, theirs, expected_version=1, actor=OTHER)
    _button(at, "Confirm: Not met").click()
    at.run()
    assert not at.exception
    warning = " ".join(w.value for w in at.warning)
    assert "changed by Olu Other" in warning and "your change was not saved" in warning
    assert "Working context considered" in at.dataframe[0].value["What"].tolist()
    stored = _stored(look.id)
    assert stored.version == 2
    assert stored.state.answer("EL01") is None             # mine was not saved over theirs
    assert stored.state.context_considered is not None     # theirs is kept
    assert any("working context considered" in m.value for m in at.markdown)  # page shows theirs


def test_an_edit_in_the_actions_table_lands_on_the_action_id_of_its_row(page):
    look = _started()
    state = look.state
    for text in ("Tell the victim's police liaison", "Check the children's school",
                 "Review the other cases"):
        state = el.add_action(state, text, owner_role="Senior probation officer",
                              due=date(2024, 6, 21))
    state = el.remove_action(state, "A1")          # rows now: A2, A3
    saved = early_look.save_stored(look.id, state, expected_version=1, actor=MANAGER)
    at = _tab(page(), "Actions and recommendation")
    (table,) = at.data_editor
    assert table.value.index.tolist() == ["A2", "A3"]
    at.session_state[table.key] = {"edited_rows": {1: {"done": True,
                                                       "owner_role": "Head of service"}},
                                   "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error
    actions = {a.action_id: a for a in _stored(look.id).state.actions}
    assert actions["A3"].done and actions["A3"].owner_role == "Head of service"
    assert not actions["A2"].done and actions["A2"].owner_role == "Senior probation officer"
    assert _stored(look.id).version == saved.version + 1


def test_the_just_culture_outcome_is_left_to_the_manager_with_no_case_to_answer_first(page):
    from sfo.domain import just_culture as jc

    look = _started()
    state = el.add_just_culture(look.state, "No home visit in the first 20 working days.")
    record = state.just_culture[0]
    for qid in jc.QUESTION_TEXT:
        record = jc.answer(record, qid, "unsure")
    early_look.save_stored(look.id, el.update_just_culture(state, record), expected_version=1,
                           actor=MANAGER)
    at = _tab(page(), "Just culture")
    outcome = next(r for r in at.radio if r.label == "Outcome")
    assert outcome.options[0] == "No case to answer" and outcome.value is None
    outcome.set_value("refer_hr_disciplinary")
    at.run()
    assert any(d.label == "Date the advice was given" for d in at.date_input)
    next(a for a in at.text_area if a.label == "Reason for this outcome").input("Knowingly "
                                                                                "departed.")
    _button(at, "Save the outcome").click()
    at.run()
    assert any("misconduct or gross misconduct" in e.value for e in at.error)
    assert _stored(look.id).state.just_culture[0].outcome is None


def _complete(state: el.EarlyLookState) -> el.EarlyLookState:
    for q in state.questions:
        proposed = state.proposal(q.id).answer
        state = el.confirm(state, q.id, "met" if proposed == "to_answer" else proposed,
                           by=MANAGER.name)
    state = el.consider_context(state, by=MANAGER.name)
    return el.recommend(state, ["full_sfo_review"], rationale="The checks were missed.",
                        by=MANAGER.name)


def test_sign_off_is_refused_with_everything_outstanding_then_finalises_with_a_fingerprint(page):
    look = _started()
    at = _tab(page(), "Document and sign-off")
    _button(at, "Sign off and finalise").click()
    at.run()
    assert any("was not signed off: 17 things still to do" in e.value for e in at.error)
    assert any("EL02" in m.value and "is still to be answered" in m.value for m in at.markdown)
    assert _stored(look.id).status == "draft"
    early_look.save_stored(look.id, _complete(look.state), expected_version=1, actor=MANAGER)
    at = _tab(page(), "Document and sign-off")
    _button(at, "Sign off and finalise").click()
    at.run()
    assert not at.exception
    final = _stored(look.id)
    assert final.status == "final" and final.fingerprint
    assert any(final.fingerprint in s.value for s in at.success)
    assert not any(b.label.startswith(("Confirm", "Sign off")) for b in _tab(at, "Checklist")
                   .button)


def test_a_reviewer_reads_the_early_look_without_any_way_to_change_it(page):
    _started()
    at = page("reviewer")
    assert not at.exception
    assert any("Only a manager can change it" in i.value for i in at.info)
    assert not [b for b in at.button if b.label.startswith("Confirm")]
    assert not at.radio and not at.text_area
    at = _tab(at, "Working context")
    assert not [b for b in at.button if "considered" in b.label]


def test_the_draft_documents_can_be_downloaded_as_word_restricted_and_shared(page):
    _started()
    at = _tab(page(), "Document and sign-off")
    _button(at, "Make the documents").click()
    at.run()
    assert not at.exception
    assert [d.label for d in at.download_button] == ["Download the restricted copy (Word)",
                                                    "Download the shared copy (Word)"]
