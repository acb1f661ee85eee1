"""Step 5: the worklist (downloads, formulas neutralised), substitution, the selection log."""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from sfo.errors import InputError
from sfo.services import dip_store
from sfo.services.dip_store import DrawView
from ui.components import dip_session as ds
from ui.components import session

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def worklist(drawn: DrawView) -> None:
    """The sampled cases in the order to audit them, to download as CSV or XLSX."""
    user = session.user()
    table = dip_store.worklist_table(drawn)
    st.markdown(f"The **{len(table)} sampled cases**, in the order to audit them (by stratum, "
                "then the draw's order). Cases marked for a second review are audited again "
                "by someone else (step 8).")
    st.dataframe(table.rename(columns={"selection_order": "Order", "crn": "CRN",
                                       "stratum": "Stratum",
                                       "second_review": "Second review"}),
                 hide_index=True, width="stretch", key="sfo_dip_worklist")
    st.caption("Text a spreadsheet would run as a formula (starting with =, +, - or @) starts "
               "with an apostrophe in the downloads, and every cell of the XLSX file is text.")
    a, b = st.columns(2)
    for column, fmt, mime in ((a, "csv", "text/csv"), (b, "xlsx", XLSX)):
        column.download_button(
            f"Download the worklist ({fmt.upper()})",
            data=functools.partial(dip_store.worklist, drawn.id, fmt, actor=user),
            file_name=f"dip-sample-{drawn.plan_id}-worklist.{fmt}", mime=mime,
            on_click="ignore", key=f"sfo_dip_worklist_{fmt}", icon=":material/download:")


def _substitute(crn_key: str, reason_key: str, note_key: str) -> None:
    found = ds.draw()
    crn = st.session_state.get(crn_key)
    reason = st.session_state.get(reason_key)
    if found is None or not crn or not reason:
        ds.fail("substitute", InputError("Choose the case to replace and why it is "
                                         "ineligible."))
        return
    ds.step("substitute", lambda: dip_store.substitute(
        found.id, crn=str(crn), reason=str(reason),
        note=str(st.session_state.get(note_key) or ""), expected_version=found.version,
        actor=session.user()), f"{crn} replaced from the reserve list.")


def substitution(drawn: DrawView) -> None:
    """Replace an ineligible case from its stratum's reserve list, with the reason."""
    st.markdown("A sampled case found to be outside what the audit covers (transferred out, "
                "its order ended, the wrong type, a duplicate) is replaced by the next case on "
                "its stratum's reserve list, so the stratum keeps its share.")
    st.info("**Unable to assess is not a reason to replace a case.** Records that cannot be "
            "assessed are themselves a finding: the case stays in the sample. Record the answer "
            "'Unable to assess' in the results, where it counts as not meeting the standard.")
    if drawn.current:
        with st.form(ds.key("substitute", drawn.version), border=True):
            crn_key = ds.key("sub_crn", drawn.version)
            reason_key = ds.key("sub_reason", drawn.version)
            note_key = ds.key("sub_note", drawn.version)
            st.selectbox("Case to replace", list(drawn.crns), index=None,
                         placeholder="Choose a sampled case", key=crn_key)
            st.selectbox("Why it is ineligible", list(dip_store.REPLACING_REASONS),
                         format_func=lambda c: f"{c.replace('-', ' ').capitalize()}: "
                                               f"{dip_store.REPLACING_REASONS[c]}",
                         index=None, placeholder="Choose a reason", key=reason_key)
            st.text_input("Note (needed for 'other ineligible')", key=note_key)
            st.form_submit_button("Replace the case", on_click=_substitute,
                                  args=(crn_key, reason_key, note_key))
        ds.problem("substitute")
    subs = drawn.record.get("substitutions") or []
    if subs:
        st.markdown("**Cases replaced**")
        st.dataframe(pd.DataFrame([{
            "Case": s["crn"], "Reason": s["reason"], "Note": s.get("note", ""),
            "Replaced by": s.get("replaced_by", ""), "By": s.get("actor", ""),
            "When": ds.moment(pd.Timestamp(s["at"]).to_pydatetime()) if s.get("at") else ""}
            for s in subs]), hide_index=True, width="stretch", key="sfo_dip_subs")
    else:
        st.caption("No case has been replaced.")
    _log(drawn)


def _log(drawn: DrawView) -> None:
    count = f"{len(drawn.log)} {'entry' if len(drawn.log) == 1 else 'entries'}"
    with st.expander(f"The selection log ({count})"):
        st.markdown("Every draw and substitution, each entry chained to the one before by its "
                    "hash, so an entry changed or removed is noticed. The log was checked "
                    "when this draw was opened.")
        st.dataframe(pd.DataFrame([{
            "Entry": e.sequence, "What": e.action, "By": e.actor,
            "When": ds.moment(pd.Timestamp(e.at).to_pydatetime()), "Seed": e.seed,
            "Cases": e.n, "Hash": e.entry_hash[:16] + "..."} for e in drawn.log]),
            hide_index=True, width="stretch", key="sfo_dip_log")
        for r in drawn.redraws:
            st.warning(r)
