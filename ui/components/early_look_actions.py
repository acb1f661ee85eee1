"""Immediate actions (an editable table keyed by action id) and the recommendation.

The table's rows are the actions in the order the page drew them; a change
to a row is applied to the action id of that row as drawn (passed to the
callback with the table), so an edit never lands on another action even if
the list has changed since. The table is drawn afresh after every save, and
after a refused change (so it never shows an edit that was not saved).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from sfo.domain import early_look as el
from sfo.errors import EarlyLookInvalid, SfoError
from sfo.services import early_look
from ui.components import early_look_session as els
from ui.components import session

PLAN = "sfo_el_plan"   # (early look id, the message about the dip-sample plan drafted)
GRID = "sfo_el_grid"   # bumped to draw the table afresh after a refused change
NO_QUESTION = "No question"
COLUMNS = {"description": "What needs doing", "owner_role": "Owner (role)",
           "due": "Due", "done": "Done", "question_id": "Question"}


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _edited(ids: tuple[str, ...], table_key: str) -> bool:
    edits = (st.session_state.get(table_key) or {}).get("edited_rows", {})
    if not edits:
        return False

    def change(s: el.EarlyLookState) -> el.EarlyLookState:
        for row, cells in sorted(edits.items()):
            action_id = ids[int(row)]
            fields: dict[str, Any] = {}
            for column, value in cells.items():
                if column == "done":
                    s = el.set_action_done(s, action_id, bool(value))
                elif column == "due":
                    if value is None:
                        raise EarlyLookInvalid(f"Action {action_id} needs a due date.")
                    fields["due"] = _date(value)
                elif column == "question_id":
                    fields["question_id"] = None if value in (None, NO_QUESTION) else value
                elif column in ("description", "owner_role"):
                    fields[column] = "" if value is None else str(value)
            if fields:
                s = early_look.change_action(s, action_id, **fields)
        return s

    changed = ", ".join(ids[int(r)] for r in sorted(edits))
    saved = els.apply(change, where="actions", note=f"changed action {changed}")
    if not saved:
        st.session_state[GRID] = st.session_state.get(GRID, 0) + 1
    return saved


def _on_edit(ids: tuple[str, ...], table_key: str) -> None:
    _edited(ids, table_key)


def _add(desc_key: str, owner_key: str, due_key: str, question_key: str) -> None:
    due = st.session_state.get(due_key)
    if not isinstance(due, date):
        els.fail("actions_add", EarlyLookInvalid("Give the date the action is due."))
        return
    chosen = st.session_state.get(question_key)
    question = None if chosen in (None, NO_QUESTION) else str(chosen)
    els.apply(lambda s: el.add_action(s, str(st.session_state.get(desc_key) or ""),
                                      owner_role=str(st.session_state.get(owner_key) or ""),
                                      due=due, question_id=question),
              where="actions_add", note="added an immediate action")


def _remove(pick_key: str) -> None:
    action_id = st.session_state.get(pick_key)
    if not action_id:
        els.fail("actions", EarlyLookInvalid("Choose the action to remove."))
        return
    els.apply(lambda s: el.remove_action(s, str(action_id)), where="actions",
              note=f"removed action {action_id}")


def _table(state: el.EarlyLookState) -> pd.DataFrame:
    return pd.DataFrame(
        {"description": [a.description for a in state.actions],
         "owner_role": [a.owner_role for a in state.actions],
         "due": [a.due for a in state.actions],
         "done": [a.done for a in state.actions],
         "question_id": [a.question_id or NO_QUESTION for a in state.actions]},
        index=pd.Index([a.action_id for a in state.actions], name="Action"))


def _missing(state: el.EarlyLookState) -> list[str]:
    out = []
    for q in state.questions:
        current = state.current(q.id)
        if q.action_today and current in ("not_met", "partly") and not any(
                a.question_id == q.id for a in state.actions):
            out.append(f"{q.id} ({q.area}) is answered '{el.ANSWERS[current]}': record an "
                       "immediate action for it.")
    return out


def actions(state: el.EarlyLookState, *, editable: bool) -> None:
    """The immediate actions as an editable table, adding and removing one."""
    if editable:
        st.markdown("Record what needs doing now. Each action is owned by a role, for example "
                    "'Senior probation officer', never a named person. Open actions do not "
                    "stop you signing off.")
    for line in _missing(state):
        st.warning(line)
    found = els.opened()
    today_questions = [q.id for q in state.questions if q.action_today]
    options = [NO_QUESTION, *[q.id for q in state.questions]]
    if state.actions:
        frame = _table(state)
        ids = tuple(frame.index)
        table_key = (f"sfo_el_{found.id}_actions_v{found.version}_"
                     f"{st.session_state.get(GRID, 0)}")
        config = {
            "_index": st.column_config.TextColumn("Action", disabled=True),
            "description": st.column_config.TextColumn(COLUMNS["description"], required=True,
                                                       width="medium"),
            "owner_role": st.column_config.TextColumn(COLUMNS["owner_role"], required=True,
                                                      width="medium",
                                                      help="A role, never a named person"),
            "due": st.column_config.DateColumn(COLUMNS["due"], format="D MMM YYYY",
                                               required=True, width="small"),
            "done": st.column_config.CheckboxColumn(COLUMNS["done"], width="small"),
            "question_id": st.column_config.SelectboxColumn(
                COLUMNS["question_id"], options=options, width="small",
                help="The checklist question the action answers, if any"),
        }
        if editable:
            st.data_editor(frame, key=table_key, num_rows="fixed", column_config=config,
                           width="stretch", on_change=_on_edit, args=(ids, table_key))
            st.caption("Change a cell to save it. Each change is saved at once.")
            # Edits that came without a change event (a test setting the table's state) take
            # the same path; after the callback has saved, the table's key is new and empty.
            if _edited(ids, table_key):
                st.rerun()
        else:
            st.dataframe(frame, column_config=config, width="stretch")
        els.problem("actions")
    else:
        st.info("No immediate actions have been recorded.")
    if not editable:
        return
    if state.actions:
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        labels = {a.action_id: f"{a.action_id}: {a.description}" for a in state.actions}
        pick_key = els.key("actions_rm_pick")
        c1.selectbox("Action to remove", list(labels), format_func=labels.__getitem__,
                     index=None, placeholder="Choose an action", key=pick_key)
        c2.button("Remove the action", key=els.key("actions_rm"), on_click=_remove,
                  args=(pick_key,))
    with st.expander("Add an action", expanded=not state.actions):
        ids = tuple(a.action_id for a in state.actions)
        keys = [els.key(f"actions_new_{n}", ids) for n in ("desc", "owner", "due", "question")]
        with st.form(els.key("actions_new", ids), border=False):
            st.text_input("What needs doing", key=keys[0])
            a, b = st.columns(2)
            a.text_input("Owner (a role, not a person)", key=keys[1],
                         placeholder="For example Senior probation officer")
            b.date_input("Due", value=date.today(), key=keys[2], format="DD/MM/YYYY")
            st.selectbox("For question (needed for questions EL13 to EL15 answered not met "
                         "or partly met)" if today_questions else "For question",
                         options, key=keys[3])
            st.form_submit_button("Add the action", on_click=_add, args=tuple(keys),
                                  key=els.key("actions_new_save", ids))
    els.problem("actions_add")


def _recommend(choice_keys: dict[str, str], why_key: str) -> None:
    found = els.opened()
    chosen = [c for c, k in choice_keys.items() if st.session_state.get(k)]
    before = found.state.recommendation
    newly_dip = "dip_sample" in chosen and (before is None or "dip_sample" not in before.choices)
    ok = els.apply(lambda s: el.recommend(s, chosen, rationale=str(
        st.session_state.get(why_key) or ""), by=els.me()), where="recommendation",
        note="recorded the recommendation: " + ", ".join(chosen))
    if ok and newly_dip:
        try:
            plan = early_look.draft_dip_plan(found.id, actor=session.user())
        except SfoError as exc:
            st.session_state[PLAN] = (found.id, "warning", (
                f"Your recommendation is saved, but no dip-sample plan could be drafted: {exc}"))
            return
        size = plan.plan
        st.session_state[PLAN] = (found.id, "success", (
            f"A dip-sample plan was drafted: {size.get('n')} of the {size.get('frame_rows')} "
            f"other cases held by {size.get('staff_code')} on {size.get('as_of')}. Nothing "
            "has been drawn yet: the quality team, or you, review the plan and draw the "
            "sample."))


def recommendation(state: el.EarlyLookState, *, editable: bool) -> None:
    """The recommendation: one or more choices (no further action only on its own) and why."""
    if editable:
        st.markdown("Choose what should happen next and give your reasons. No further action "
                    "can only be chosen on its own.")
    rec = state.recommendation
    if rec is not None:
        st.markdown("**Recommended:** " + "; ".join(el.RECOMMENDATIONS.get(c, c)
                                                    for c in rec.choices)
                    + f", by {els.md(rec.by)} at {els.moment(rec.at)}.  \n**Why:** "
                    f"{els.md(rec.rationale)}")
    elif not editable:
        st.info("No recommendation has been made.")
    plan = st.session_state.get(PLAN)
    if plan and plan[0] == els.opened().id:
        (st.success if plan[1] == "success" else st.warning)(plan[2])
    if not editable:
        return
    source = None if rec is None else (rec.choices, rec.rationale)
    choice_keys = {c: els.key(f"rec_{c}", source) for c in el.RECOMMENDATIONS}
    why_key = els.key("rec_why", source)
    with st.container(border=True):
        for c, label in el.RECOMMENDATIONS.items():
            st.checkbox(label, value=rec is not None and c in rec.choices, key=choice_keys[c])
        st.text_area("Why you recommend this", value=rec.rationale if rec else "",
                     key=why_key, height=100)
        st.caption("Choosing a dip sample drafts a plan of the practitioner's other cases.")
        st.button("Save the recommendation", key=els.key("rec_save"), on_click=_recommend,
                  args=(choice_keys, why_key))
    els.problem("recommendation")
