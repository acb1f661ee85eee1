"""The working context: the entries, adding, changing and removing them, and considering them.

Personal circumstances are always restricted (the domain makes them so).
Any change to the entries clears the "considered" confirmation, as the
domain does, so it has to be given again.
"""

from __future__ import annotations

import streamlit as st

from sfo.domain import context as ctx
from sfo.domain import early_look as el
from ui.components import early_look_session as els

CATEGORY_KEYS = list(ctx.CATEGORIES)
RESTRICTED_NOTE = ("Only the manager, the reviewer and HR can see a restricted entry. It is "
                   "left out of the shared copy of the document.")


def _add(cat_key: str, text_key: str, mit_key: str, res_key: str) -> None:
    category = str(st.session_state.get(cat_key) or "")
    text = str(st.session_state.get(text_key) or "")
    if not category or not text.strip():
        from sfo.errors import EarlyLookInvalid

        els.fail("ctx_add", EarlyLookInvalid("Choose a category and write the entry, then "
                                             "add it."))
        return
    els.apply(lambda s: el.add_context(s, category, text, by=els.me(),
                                       is_mitigation=bool(st.session_state.get(mit_key)),
                                       restricted=bool(st.session_state.get(res_key))),
              where="ctx_add", note=f"added a working-context entry ({category})")


def _edit(entry_id: str, cat_key: str, text_key: str, res_key: str) -> None:
    els.apply(lambda s: el.edit_context(s, entry_id, by=els.me(),
                                        category=str(st.session_state[cat_key]),
                                        text=str(st.session_state[text_key]),
                                        restricted=bool(st.session_state[res_key])),
              where=entry_id, note=f"changed working-context entry {entry_id}")


def _mitigation(entry_id: str, widget_key: str) -> None:
    value = bool(st.session_state.get(widget_key))
    els.apply(lambda s: el.edit_context(s, entry_id, by=els.me(), is_mitigation=value),
              where=entry_id, note=f"marked working-context entry {entry_id} as "
                                   f"{'' if value else 'not '}mitigation")


def _remove(entry_id: str) -> None:
    els.apply(lambda s: el.remove_context(s, entry_id), where=entry_id,
              note=f"removed working-context entry {entry_id}")


def _consider() -> None:
    els.apply(lambda s: el.consider_context(s, by=els.me()), where="ctx_considered",
              note="confirmed the working context was considered")


def _entry(e: ctx.ContextEntry, editable: bool) -> None:
    with st.container(border=True):
        badges = [f"**{ctx.CATEGORIES[e.category]}**"]
        if e.restricted:
            badges.append(":violet-badge[Restricted]")
        if e.is_mitigation:
            badges.append(":blue-badge[Mitigation]")
        origin = ("from the records" if e.source == "bundle" else "added")
        if e.by:
            who = els.md(e.by)
            origin += f", last changed by {who}" if e.source == "bundle" else f" by {who}"
        badges.append(f":grey[{e.entry_id}, {origin}]")
        st.markdown(" ".join(badges))
        st.markdown(els.md(e.text))
        if not editable:
            return
        left, right = st.columns([1, 3])
        mit_key = els.controlled(els.key(f"ctx_mit_{e.entry_id}"), e.is_mitigation)
        left.checkbox(f"{e.entry_id} counts as mitigation", key=mit_key, on_change=_mitigation,
                      args=(e.entry_id, mit_key))
        source = (e.category, e.text, e.restricted)
        with right.expander(f"Change or remove {e.entry_id}"):
            cat_key = els.key(f"ctx_cat_{e.entry_id}", source)
            text_key = els.key(f"ctx_text_{e.entry_id}", source)
            res_key = els.key(f"ctx_res_{e.entry_id}", source)
            with st.form(els.key(f"ctx_form_{e.entry_id}", source), border=False):
                st.selectbox("Category", CATEGORY_KEYS, format_func=ctx.CATEGORIES.__getitem__,
                             index=CATEGORY_KEYS.index(e.category), key=cat_key)
                st.text_area("Entry", value=e.text, key=text_key)
                st.checkbox("Restricted (personal circumstances are always restricted)",
                            value=e.restricted, key=res_key)
                st.form_submit_button("Save the changes", on_click=_edit,
                                      args=(e.entry_id, cat_key, text_key, res_key))
            st.button(f"Remove {e.entry_id}", key=els.key(f"ctx_rm_{e.entry_id}"),
                      on_click=_remove, args=(e.entry_id,))
        els.problem(e.entry_id)


def _add_form(state: el.EarlyLookState) -> None:
    with st.expander("Add an entry", expanded=False):
        st.markdown("Systems, partner agencies and personal circumstances are never in the "
                    "records: add them here. " + RESTRICTED_NOTE)
        # Keyed by the entries there are, so the form empties once an entry is added (and
        # keeps what was typed when it is refused).
        ids = tuple(e.entry_id for e in state.context)
        cat_key, text_key = els.key("ctx_new_category", ids), els.key("ctx_new_text", ids)
        mit_key = els.key("ctx_new_mitigation", ids)
        res_key = els.key("ctx_new_restricted", ids)
        with st.form(els.key("ctx_new", ids), border=False):
            st.selectbox("Category", CATEGORY_KEYS, format_func=ctx.CATEGORIES.__getitem__,
                         index=None, placeholder="Choose a category", key=cat_key)
            st.text_area("What should a reader know?", key=text_key,
                         placeholder="For example: the case management system was down for "
                                     "3 days in May.")
            st.checkbox("Counts as mitigation", key=mit_key)
            st.checkbox("Restricted (personal circumstances are always restricted)",
                        key=res_key)
            st.form_submit_button("Add the entry", on_click=_add,
                                  args=(cat_key, text_key, mit_key, res_key),
                                  key=els.key("ctx_new_save", ids))
    els.problem("ctx_add")


def working_context(state: el.EarlyLookState, *, editable: bool) -> None:
    """The entries, then adding one, then the confirmation that they were considered."""
    st.markdown("The working context makes sure the practitioner's work is read fairly, "
                "against the conditions they worked in: workload, caseload, supervision, "
                "training, experience, vacancies, systems, partner agencies and personal "
                "circumstances. Check each entry and add anything missing.")
    if not state.context:
        st.info("There are no entries yet.")
    for e in state.context:
        _entry(e, editable)
    missing = [label for c, label in ctx.CATEGORIES.items()
               if not any(e.category == c for e in state.context)]
    if missing:
        st.markdown("Nothing is recorded yet about: " + ", ".join(m.lower() for m in missing)
                    + ". The records never hold systems, partner agencies or personal "
                      "circumstances: add them if they matter here.")
    if editable:
        _add_form(state)
    signed = state.context_considered
    if signed is not None:
        st.success(f"{els.md(signed.by)} confirmed the working context was considered, at "
                   f"{els.moment(signed.at)}. A later change to the entries clears this.")
    elif editable:
        st.warning("You cannot sign off until you confirm you have considered the working "
                   "context. If you change it afterwards, confirm again.")
        st.button("I have considered the working context", type="primary",
                  key=els.key("ctx_consider"), on_click=_consider)
    else:
        st.warning("The working context has not yet been confirmed as considered.")
    els.problem("ctx_considered")
