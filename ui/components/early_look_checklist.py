"""The checklist: each question with its suggested answer, the evidence and the records.

The manager confirms a suggestion with one click, or chooses another answer
with a reason (the domain refuses a change without one, and says so here).
Questions with no suggestion ("to answer") are answered with an optional note.
"""

from __future__ import annotations

from itertools import groupby

import pandas as pd
import streamlit as st

from sfo.domain import early_look as el
from sfo.domain.checklist import Question
from sfo.domain.records import CaseRecords
from sfo.services import early_look
from ui.components import early_look_session as els

EVIDENCE = "sfo_el_evidence"   # (crn, records object id, frame): the case's rows by record id
TIMELINE_FOCUS = "sfo_tl_focus"  # the Timeline page highlights this record id
FILTER = "sfo_el_only_open"     # show only the questions not yet confirmed
CHOICES = [a for a in el.ANSWERS if a != "to_answer"]
_KIND = {"gap": ":red-badge[Gap]", "good_practice": ":green-badge[Good practice]",
         "context": ":blue-badge[Working context]"}


def _evidence_frame(records: CaseRecords, crn: str) -> pd.DataFrame:
    cached = st.session_state.get(EVIDENCE)
    if cached is None or cached[0] != crn or cached[1] is not records:
        cached = (crn, records, early_look.evidence_records(records, crn))
        st.session_state[EVIDENCE] = cached
    frame: pd.DataFrame = cached[2]
    return frame


def _group(q: Question) -> str:
    return q.area.split(":")[0].strip()


def _confirm(qid: str) -> None:
    els.apply(lambda s: el.confirm(s, qid, s.proposal(qid).answer, by=els.me()),
              where=qid, note=f"confirmed the suggested answer to {qid}")


def _answer(qid: str, answer_key: str, reason_key: str) -> None:
    answer = st.session_state.get(answer_key)
    reason = str(st.session_state.get(reason_key) or "")
    if not answer:
        from sfo.errors import EarlyLookInvalid

        els.fail(qid, EarlyLookInvalid(f"Choose an answer to {qid} first, then save it."))
        return
    els.apply(lambda s: el.confirm(s, qid, str(answer), by=els.me(), reason=reason),
              where=qid, note=f"answered {qid}: {el.ANSWERS[str(answer)]}")


def _status(state: el.EarlyLookState, q: Question) -> str:
    prop = state.proposal(q.id)
    given = state.answer(q.id)
    if given is None:
        if prop.answer == "to_answer":
            return ":orange-badge[Still to answer] You answer this from the case record."
        return ":orange-badge[Not yet confirmed]"
    when = f"{els.md(given.by)}, {els.moment(given.at)}"
    if given.overridden:
        return (f":violet-badge[Changed] **{el.ANSWERS[given.answer]}** (the evidence "
                f"suggested {el.ANSWERS[given.proposed]}), by {when}. Reason: "
                f"{els.md(given.reason)}")
    note = f" Note: {els.md(given.reason)}" if given.reason else ""
    verb = "Answered" if given.proposed == "to_answer" else "Confirmed"
    return f":green-badge[{verb}] **{el.ANSWERS[given.answer]}**, by {when}.{note}"


def _records(frame: pd.DataFrame, ids: list[str], q: Question) -> None:
    with st.expander(f"See the record{'s' if len(ids) != 1 else ''} behind {q.id}: "
                     + ", ".join(ids)):
        rows = frame.reindex(ids)
        table = pd.DataFrame({
            "Record": ids,
            "Date": [("" if pd.isna(d) else els.day(pd.Timestamp(d).date()))
                     for d in rows["date"]],
            "What": [("Not in the timeline" if pd.isna(t) else str(t)) for t in rows["title"]],
            "Detail": ["" if pd.isna(d) else str(d) for d in rows["detail"]],
        })
        st.table(table.set_index("Record"))
        c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
        pick = c1.selectbox("Record to open on the Timeline page", ids,
                            key=els.key(f"tl_pick_{q.id}"))
        if c2.button("Open on the Timeline", key=els.key(f"tl_go_{q.id}")):
            st.session_state[TIMELINE_FOCUS] = pick
            st.switch_page("app_pages/timeline.py")


def _question(state: el.EarlyLookState, q: Question, frame: pd.DataFrame,
              editable: bool) -> None:
    prop = state.proposal(q.id)
    given = state.answer(q.id)
    with st.container(border=True):
        st.markdown(f"##### {q.id} {q.area}")
        st.markdown(els.md(q.text))
        basis = els.md(prop.basis)
        if prop.answer == "to_answer":
            st.markdown(_status(state, q))
            st.caption(basis)
        elif given is None:
            st.markdown(f"{_status(state, q)} Suggested: **{el.ANSWERS[prop.answer]}**. "
                        f"{basis}")
        else:
            st.markdown(_status(state, q))
            st.markdown(f"Suggested: **{el.ANSWERS[prop.answer]}**. {basis}")
        for e in prop.evidence:
            when = f"{els.day(e.date)}: " if e.date else ""
            st.markdown(f"{_KIND.get(e.kind, '')} {when}{els.md(e.summary)} "
                        f"({els.md(e.rule_id)})")
            if e.known:
                st.caption("What was recorded by then: " + els.md(" ".join(
                    k if k.endswith(".") else k + "." for k in e.known)))
        for why in prop.not_checked:
            st.markdown(f":grey-badge[Not checked] {els.md(why)}")
        ids = sorted({r for e in prop.evidence for r in e.records})
        if ids:
            _records(frame, ids, q)
        current = state.current(q.id)
        if q.action_today and current in ("not_met", "partly") and not any(
                a.question_id == q.id for a in state.actions):
            st.warning(f"{q.id} is answered '{el.ANSWERS[current]}': record an immediate "
                       "action for it under Actions and recommendation.")
        if editable:
            _controls(state, q, given)
        els.problem(q.id)


def _controls(state: el.EarlyLookState, q: Question, given: el.Answer | None) -> None:
    prop = state.proposal(q.id)
    suggested = prop.answer != "to_answer"
    source = (given.answer, given.reason) if given else None
    answer_key = els.key(f"answer_{q.id}", source)
    reason_key = els.key(f"reason_{q.id}", source)
    if not suggested and given is None:
        # Nothing to confirm: the answer itself is the first thing to give.
        _form(q, given, answer_key, reason_key, suggested)
        return
    place = st.container()
    if suggested and (given is None or given.answer != prop.answer or given.reason):
        left, place = st.columns([1, 3])
        verb = "Confirm" if given is None else "Use the suggested answer"
        left.button(f"{verb}: {el.ANSWERS[prop.answer]}", key=els.key(f"confirm_{q.id}"),
                    type="primary", on_click=_confirm, args=(q.id,),
                    help="Agree with the suggested answer. No reason is needed.")
    with place.expander("Choose another answer" if suggested else "Change your answer"):
        _form(q, given, answer_key, reason_key, suggested)


def _form(q: Question, given: el.Answer | None, answer_key: str, reason_key: str,
          suggested: bool) -> None:
    current = given.answer if given else None
    with st.form(answer_key + "_form", border=False):
        st.radio(f"Your answer to {q.id}", CHOICES, format_func=el.ANSWERS.__getitem__,
                 index=CHOICES.index(current) if current in CHOICES else None,
                 horizontal=True, key=answer_key)
        st.caption("Not supplied means the records needed were not in the bundle: it is not "
                   "the same as not met.")
        st.text_area("Reason for changing the suggested answer (needed if you change it)"
                     if suggested else "Note (optional)",
                     value=given.reason if given else "", key=reason_key, height=68)
        st.form_submit_button("Save this answer", on_click=_answer,
                              args=(q.id, answer_key, reason_key), key=answer_key + "_save")


def checklist(state: el.EarlyLookState, records: CaseRecords, *, editable: bool) -> None:
    """Every question of the checklist, grouped by area, in the checklist's order."""
    frame = _evidence_frame(records, state.crn)
    if editable:
        st.markdown("Check each suggested answer. Confirm it, or choose another answer and say "
                    "why. Practice is judged on what was known at the time: each piece of "
                    "evidence shows what was recorded by then.")
    else:
        st.markdown("The answers as the manager recorded them, beside what the evidence "
                    "suggested. Each piece of evidence shows what was recorded by then.")
    waiting = [q for q in state.questions if state.answer(q.id) is None]
    only_open = False
    if editable and waiting:
        only_open = st.toggle(f"Show only the {len(waiting)} question"
                              f"{'s' if len(waiting) != 1 else ''} not yet confirmed",
                              key=FILTER)
    shown = waiting if only_open else list(state.questions)
    for group, questions in groupby(shown, key=_group):
        items = list(questions)
        if len(items) > 1 or items[0].area != group:
            st.markdown(f"#### {group}")
        for q in items:
            _question(state, q, frame, editable)
