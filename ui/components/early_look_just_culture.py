"""Just culture: the NHS sequence worked through for one act or omission, step by step.

The manager answers each step's questions in order; the next step opens when
one is answered. Then the manager chooses the outcome ("no case to answer"
first): the toolkit never suggests one. Wider learning is always required.
A referral towards a disciplinary investigation needs HR advice recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from sfo.domain import early_look as el
from sfo.domain import just_culture as jc
from sfo.errors import EarlyLookInvalid
from ui.components import early_look_session as els

REPLY_KEYS = list(jc.REPLIES)
OUTCOME_KEYS = list(jc.OUTCOMES)  # "no case to answer" first, as the domain lists them
CONCERN_KEYS = list(jc.CONCERNS)


def _record(state: el.EarlyLookState, record_id: str) -> jc.JustCultureRecord:
    for r in state.just_culture:
        if r.record_id == record_id:
            return r
    raise EarlyLookInvalid(f"There is no just-culture record {record_id}.")


def _change(record_id: str, change: Callable[[jc.JustCultureRecord], jc.JustCultureRecord],
            *, where: str, note: str) -> None:
    def apply(s: el.EarlyLookState) -> el.EarlyLookState:
        return el.update_just_culture(s, change(_record(s, record_id)))

    els.apply(apply, where=where, note=note)


def _add(act_key: str, staff_key: str) -> None:
    act = str(st.session_state.get(act_key) or "")
    staff = st.session_state.get(staff_key) or None
    els.apply(lambda s: el.add_just_culture(s, act, staff_code=staff), where="jc_add",
              note="started a just-culture record")


def _reply(record_id: str, qid: str, reply_key: str, note_key: str) -> None:
    reply = st.session_state.get(reply_key)
    note = str(st.session_state.get(note_key) or "")
    where = f"{record_id}_{qid}"
    if reply is None:
        els.fail(where, EarlyLookInvalid(f"Answer {qid} yes, no or unsure before adding a "
                                         "note."))
        return
    _change(record_id, lambda r: jc.answer(r, qid, str(reply), note=note), where=where,
            note=f"answered {qid} of just-culture record {record_id}")


def _outcome(record_id: str, outcome_key: str, why_key: str, concern_key: str) -> None:
    outcome = st.session_state.get(outcome_key)
    where = f"{record_id}_outcome"
    if outcome is None:
        els.fail(where, EarlyLookInvalid("Choose an outcome, then save it."))
        return
    concern = st.session_state.get(concern_key) if outcome == jc.DISCIPLINARY else None
    _change(record_id, lambda r: jc.choose_outcome(
        r, str(outcome), by=els.me(), rationale=str(st.session_state.get(why_key) or ""),
        concern=concern), where=where,
        note=f"chose the outcome of just-culture record {record_id}: {jc.OUTCOMES[outcome]}")


def _clear_outcome(record_id: str) -> None:
    _change(record_id, jc.clear_outcome, where=f"{record_id}_outcome",
            note=f"cleared the outcome of just-culture record {record_id}")


def _hr(record_id: str, on_key: str, who_key: str, note_key: str) -> None:
    on = st.session_state.get(on_key)
    if not isinstance(on, date):
        els.fail(f"{record_id}_hr", EarlyLookInvalid("Give the date the HR advice was given."))
        return
    _change(record_id, lambda r: jc.record_hr_advice(
        r, on=on, adviser=str(st.session_state.get(who_key) or ""),
        note=str(st.session_state.get(note_key) or "")), where=f"{record_id}_hr",
        note=f"recorded HR advice on just-culture record {record_id}")


def _learning(record_id: str, widget_key: str) -> None:
    text = str(st.session_state.get(widget_key) or "")
    _change(record_id, lambda r: jc.record_wider_learning(r, text),
            where=f"{record_id}_learning",
            note=f"recorded the wider learning of just-culture record {record_id}")


def _remove(record_id: str) -> None:
    els.apply(lambda s: el.remove_just_culture(s, record_id), where=record_id,
              note=f"removed just-culture record {record_id}")


def _steps(rec: jc.JustCultureRecord, editable: bool) -> bool:
    """Draw the steps answered so far and the next one; True when every question is answered."""
    for number, step in enumerate(jc.STEPS, start=1):
        st.markdown(f"**Step {number} of {len(jc.STEPS)}: {step.title}**")
        for qid, text in step.questions:
            reply = rec.reply(qid)
            if not editable:
                answer = jc.REPLIES[reply.answer] if reply else "Not answered"
                note = f" {els.md(reply.note)}" if reply and reply.note else ""
                st.markdown(f"{text}  \n**{answer}**.{note}")
                continue
            reply_key = els.controlled(els.key(f"{rec.record_id}_{qid}_reply"),
                                       reply.answer if reply else None)
            note_key = els.controlled(els.key(f"{rec.record_id}_{qid}_note"),
                                      reply.note if reply else "")
            left, right = st.columns([2, 3])
            left.radio(f"{qid}. {text}", REPLY_KEYS, format_func=jc.REPLIES.__getitem__,
                       horizontal=True, key=reply_key, on_change=_reply,
                       args=(rec.record_id, qid, reply_key, note_key))
            right.text_input(f"Note on {qid} (optional)", key=note_key, on_change=_reply,
                             args=(rec.record_id, qid, reply_key, note_key))
            els.problem(f"{rec.record_id}_{qid}")
        if any(rec.reply(qid) is None for qid, _ in step.questions):
            if editable and number < len(jc.STEPS):
                st.caption("Answer this step to go on to the next one.")
            return False
    return True


def _outcome_part(rec: jc.JustCultureRecord, editable: bool) -> None:
    st.markdown("**Outcome**")
    if not editable:
        st.markdown(jc.OUTCOMES.get(rec.outcome or "", "Not yet chosen") +
                    (f" ({jc.CONCERNS[rec.concern]})" if rec.concern else "") +
                    (f". Chosen by {els.md(rec.chosen_by)}. Reason: {els.md(rec.rationale)}"
                     if rec.outcome
                     else "."))
        return
    st.markdown("The outcome is yours to choose: the toolkit does not suggest one, whatever "
                "the answers above. No case to answer is always an option.")
    if rec.outcome:
        concern = f" ({jc.CONCERNS[rec.concern]})" if rec.concern else ""
        when = f" at {els.moment(rec.chosen_at)}" if rec.chosen_at else ""
        st.markdown(f":green-badge[Saved] **{jc.OUTCOMES[rec.outcome]}{concern}**, chosen by "
                    f"{els.md(rec.chosen_by)}{when}.")
    source = (rec.outcome, rec.concern, rec.rationale)
    outcome_key = els.key(f"{rec.record_id}_outcome", source)
    why_key = els.key(f"{rec.record_id}_why", source)
    concern_key = els.key(f"{rec.record_id}_concern", source)
    chosen = st.radio("Outcome", OUTCOME_KEYS, format_func=jc.OUTCOMES.__getitem__,
                      index=OUTCOME_KEYS.index(rec.outcome) if rec.outcome else None,
                      key=outcome_key)
    if chosen == jc.DISCIPLINARY:
        st.radio("Is the concern misconduct or gross misconduct?", CONCERN_KEYS,
                 format_func=lambda c: jc.CONCERNS[c].capitalize(),
                 index=CONCERN_KEYS.index(rec.concern) if rec.concern else None,
                 key=concern_key, horizontal=True)
    st.text_area("Reason for this outcome", value=rec.rationale, key=why_key, height=80)
    a, b, _ = st.columns([1, 1, 2])
    a.button("Save the outcome", key=els.key(f"{rec.record_id}_save_outcome"),
             on_click=_outcome, args=(rec.record_id, outcome_key, why_key, concern_key))
    if rec.outcome:
        b.button("Clear the outcome", key=els.key(f"{rec.record_id}_clear_outcome"),
                 on_click=_clear_outcome, args=(rec.record_id,))
    els.problem(f"{rec.record_id}_outcome")
    if jc.DISCIPLINARY in (chosen, rec.outcome):
        _hr_part(rec)


def _hr_part(rec: jc.JustCultureRecord) -> None:
    st.markdown("**HR advice**")
    st.markdown("Take HR advice before a referral towards a disciplinary investigation. "
                "Record when it was given and who gave it.")
    advice = rec.hr_advice
    source = None if advice is None else (advice.on, advice.adviser, advice.note)
    on_key = els.key(f"{rec.record_id}_hr_on", source)
    who_key = els.key(f"{rec.record_id}_hr_who", source)
    note_key = els.key(f"{rec.record_id}_hr_note", source)
    a, b = st.columns(2)
    a.date_input("Date the advice was given", value=advice.on if advice else None,
                 key=on_key, format="DD/MM/YYYY")
    b.text_input("Who gave it (as HR gives it: a name or a role)",
                 value=advice.adviser if advice else "", key=who_key)
    st.text_area("What HR advised (optional)", value=advice.note if advice else "",
                 key=note_key, height=80)
    st.button("Save the HR advice", key=els.key(f"{rec.record_id}_hr_save"), on_click=_hr,
              args=(rec.record_id, on_key, who_key, note_key))
    els.problem(f"{rec.record_id}_hr")


def _one(rec: jc.JustCultureRecord, editable: bool) -> None:
    with st.container(border=True):
        who = f" by {rec.staff_code}" if rec.staff_code else ""
        st.markdown(f"##### {rec.record_id}: act or omission{who}")
        st.markdown(els.md(rec.act))
        answered = _steps(rec, editable)
        if answered or rec.outcome:
            _outcome_part(rec, editable)
        elif editable:
            st.caption("When every question is answered, you choose the outcome.")
        st.markdown("**Wider learning**")
        if editable:
            learn_key = els.controlled(els.key(f"{rec.record_id}_learning"), rec.wider_learning)
            st.text_area("Wider learning still required (always, whatever the outcome)",
                         key=learn_key, on_change=_learning, args=(rec.record_id, learn_key),
                         height=80, help="Saved when you leave the box.")
            els.problem(f"{rec.record_id}_learning")
            with st.popover(f"Remove {rec.record_id}"):
                st.markdown("This removes the whole record and its answers.")
                st.button(f"Yes, remove {rec.record_id}", key=els.key(f"{rec.record_id}_rm"),
                          on_click=_remove, args=(rec.record_id,))
        else:
            st.markdown("Wider learning is still required: "
                        + (els.md(rec.wider_learning) or "not yet recorded."))
        els.problem(rec.record_id)


def _add_form(state: el.EarlyLookState) -> None:
    staff = sorted({e.staff_code for e in state.context if e.staff_code})
    with st.expander("Start a just-culture record", expanded=not state.just_culture):
        ids = tuple(r.record_id for r in state.just_culture)
        act_key, staff_key = els.key("jc_new_act", ids), els.key("jc_new_staff", ids)
        with st.form(els.key("jc_new", ids), border=False):
            st.text_area("What did the practitioner do, or not do? Describe it factually.",
                         key=act_key, placeholder="For example: no home visit was made after "
                                                  "the domestic abuse registration.")
            st.selectbox("Practitioner (staff code, optional)", staff, index=None,
                         placeholder="Not recorded", key=staff_key)
            st.form_submit_button("Start the record", on_click=_add, args=(act_key, staff_key),
                                  key=els.key("jc_new_save", ids))
    els.problem("jc_add")


def just_culture(state: el.EarlyLookState, *, editable: bool) -> None:
    """The records for acts or omissions, and starting a new one."""
    st.markdown("Use this when the early look considers something an individual did or did "
                "not do. Work through the questions in order; they follow the NHS just culture "
                "guide. Wider learning is still required, whatever the outcome.")
    if not state.just_culture and not editable:
        st.info("No just-culture record was made.")
    for rec in state.just_culture:
        _one(rec, editable)
    if editable:
        _add_form(state)

