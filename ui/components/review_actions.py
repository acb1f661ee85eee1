"""The action plan: an editable table keyed by action id, adding an action, and its status.

The table's rows are the actions in the order the page drew them; a change
to a row is applied to the action id of that row as drawn (passed to the
callback with the table), so an edit never lands on another action even if
the list has changed since. Every status change is kept in the action's
history; dropping an action needs a reason. An action is owned by a role and
linked to findings (rule ids) or factors, never to a person.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from sfo.domain import factors as fc
from sfo.domain import review as rv
from sfo.errors import ReviewInvalid
from sfo.services import reviews
from ui.components import review_session as rvs

GRID = "sfo_rv_actions_grid"   # bumped to draw the table afresh after a refused change
STATUSES = list(rv.ACTION_STATUSES)


def link_options(state: rv.ReviewState) -> list[str]:
    """What an action may be linked to: this review's rule ids, then the factor codes."""
    return [r for r in state.rule_ids if r != "GOOD-PRACTICE"] + list(fc.FACTOR_TYPES)


def _link_words(link: str) -> str:
    kind = fc.FACTOR_TYPES.get(link)
    return f"{link} (factor: {kind.title.lower()})" if kind else link


def _status_words(value: object) -> str:
    return rv.ACTION_STATUSES.get(str(value), str(value))


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _edited(ids: tuple[str, ...], table_key: str) -> bool:
    """Apply the table's edits (if any) to the action ids of their rows; True if there were."""
    edits = (st.session_state.get(table_key) or {}).get("edited_rows", {})
    if not edits:
        return False

    def change(s: rv.ReviewState) -> rv.ReviewState:
        for row, cells in sorted(edits.items()):
            action_id = ids[int(row)]
            changed: dict[str, Any] = {}
            for column, value in cells.items():
                if column == "status":
                    if value is None:
                        raise ReviewInvalid(f"Choose a status for action {action_id}.")
                    if value == "dropped":
                        raise ReviewInvalid(f"Dropping action {action_id} needs a reason: "
                                            "use 'Change an action's status' below.")
                    s = rv.set_action_status(s, action_id, str(value), by=rvs.me())
                elif column == "due":
                    if value is None:
                        raise ReviewInvalid(f"Action {action_id} needs a due date.")
                    changed["due"] = _date(value)
                elif column == "links":
                    changed["links"] = tuple(value or ())
                elif column in ("description", "owner_role"):
                    changed[column] = "" if value is None else str(value)
            if changed:
                s = reviews.change_action(s, action_id, **changed)
        return s

    rows = ", ".join(ids[int(r)] for r in sorted(edits))
    if not rvs.apply(change, where="actions", note=f"changed action {rows}"):
        st.session_state[GRID] = st.session_state.get(GRID, 0) + 1
    return True


def _on_edit(ids: tuple[str, ...], table_key: str) -> None:
    _edited(ids, table_key)


def _table(state: rv.ReviewState) -> pd.DataFrame:
    acts = state.actions
    # Plain lists, not Series: a Series would be aligned on its own index, not the ids.
    return pd.DataFrame(
        {"description": [a.description for a in acts],
         "owner_role": [a.owner_role for a in acts],
         "due": [a.due for a in acts],
         "links": [list(a.links) for a in acts],
         "status": [a.status for a in acts]},
        index=pd.Index([a.action_id for a in acts], name="Action"))


def _grid(state: rv.ReviewState, *, editable: bool) -> None:
    frame = _table(state)
    ids = tuple(frame.index)
    found = rvs.opened()
    table_key = rvs.key(f"actions_v{found.version}_{st.session_state.get(GRID, 0)}")
    options = link_options(state)
    config = {
        # Widths in pixels so the whole row fits the page at 1280 pixels wide.
        "_index": st.column_config.TextColumn("Action", disabled=True, width=60),
        "description": st.column_config.TextColumn("What will change", required=True,
                                                   width=240),
        "owner_role": st.column_config.TextColumn("Owner (a role)", required=True,
                                                  width=150,
                                                  help="A role, never a named person"),
        "due": st.column_config.DateColumn("Due", format="D MMM YYYY", required=True,
                                           width=95),
        "links": st.column_config.MultiselectColumn(
            "Answers", options=options, width=140,
            help="The rule ids of findings, or the contributory-factor codes, it answers"),
        "status": st.column_config.SelectboxColumn(
            "Status", options=STATUSES, format_func=_status_words,
            required=True, width=100),
    }
    if not editable:
        st.dataframe(frame, column_config=config, width="stretch")
        return
    st.data_editor(frame, key=table_key, column_config=config, width="stretch",
                   on_change=_on_edit, args=(ids, table_key), num_rows="fixed")
    # Edits that came without a change event (a test setting the table's state) take the
    # same path; after the callback has run, the table's key is new and empty.
    if _edited(ids, table_key):
        st.rerun()


def _history(state: rv.ReviewState) -> None:
    rows = [{"Action": a.action_id, "Status": rv.ACTION_STATUSES[h.status], "By": h.by,
             "When": rvs.moment(h.at), "Reason": h.note}
            for a in state.actions for h in a.history]
    with st.expander("Status history of every action"):
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _add(desc_key: str, owner_key: str, due_key: str, links_key: str) -> None:
    due = st.session_state.get(due_key)
    description = str(st.session_state.get(desc_key) or "")
    if not isinstance(due, date):
        rvs.fail("actions_add", ReviewInvalid("Give the date the action is due."))
        return
    links = [str(x) for x in st.session_state.get(links_key) or []]
    rvs.apply(lambda s: rv.add_action(s, description,
                                      owner_role=str(st.session_state.get(owner_key) or ""),
                                      due=due, links=links, by=rvs.me()),
              where="actions_add", note="added an action", mine=description, form=True)


def _add_form(state: rv.ReviewState) -> None:
    ids = tuple(a.action_id for a in state.actions)
    desc_key, owner_key = rvs.key("act_new_desc", ids), rvs.key("act_new_owner", ids)
    due_key, links_key = rvs.key("act_new_due", ids), rvs.key("act_new_links", ids)
    with (st.expander("Add an action", expanded=not state.actions),
          st.form(rvs.key("act_new", ids), border=False)):
        st.text_area("What will change, and how it will be known", key=desc_key,
                     height=80)
        left, right = st.columns(2)
        left.text_input("Owner (a role)", key=owner_key,
                        placeholder="For example: Head of the probation delivery unit")
        right.date_input("Due", value=None, key=due_key, format="DD/MM/YYYY")
        st.multiselect("Answers (findings or factors)", link_options(state),
                       key=links_key, format_func=_link_words,
                       placeholder="Choose one or more")
        st.form_submit_button("Add the action", on_click=_add,
                              args=(desc_key, owner_key, due_key, links_key))
    rvs.problem("actions_add")


def _status(pick_key: str, status_key: str, note_key: str) -> None:
    action_id, status = st.session_state.get(pick_key), st.session_state.get(status_key)
    note = str(st.session_state.get(note_key) or "")
    if not action_id or not status:
        rvs.fail("actions_status", ReviewInvalid("Choose the action and its new status."))
        return
    rvs.apply(lambda s: rv.set_action_status(s, str(action_id), str(status), by=rvs.me(),
                                             note=note),
              where="actions_status",
              note=f"changed the status of action {action_id} to {status}", mine=note, form=True)


def _status_form(state: rv.ReviewState) -> None:
    source = tuple((a.action_id, a.status, len(a.history)) for a in state.actions)
    pick_key, status_key = rvs.key("act_pick", source), rvs.key("act_status", source)
    note_key = rvs.key("act_note", source)
    with (st.expander("Change an action's status, with a reason"),
          st.form(rvs.key("act_status_form", source), border=False)):
        left, right = st.columns(2)
        left.selectbox("Action", [a.action_id for a in state.actions], key=pick_key)
        right.selectbox("New status", STATUSES, key=status_key,
                        format_func=rv.ACTION_STATUSES.__getitem__, index=None,
                        placeholder="Choose a status")
        st.text_area("Reason (needed to drop an action)", key=note_key, height=80)
        st.form_submit_button("Save the status", on_click=_status,
                              args=(pick_key, status_key, note_key))
    rvs.problem("actions_status")


def actions(state: rv.ReviewState, *, editable: bool) -> None:
    """The action plan as a table keyed by action id; adding one; changing a status."""
    st.markdown("Each action is specific, owned by a role (never a named person), has a due "
                "date and answers findings or contributory factors."
                + (" Change a cell and it is saved at once; each status change is kept."
                   if editable else ""))
    if state.actions:
        _grid(state, editable=editable)
        _history(state)
    else:
        st.info("There are no actions yet.")
    rvs.problem("actions")
    if editable:
        _add_form(state)
        if state.actions:
            _status_form(state)
