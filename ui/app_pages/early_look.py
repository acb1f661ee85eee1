"""Early look: the checklist, working context, just culture, next steps and sign-off.

Every change is saved as it is made (see ``ui/components/early_look_session.py``).
Managers change a draft; reviewers and HR read it; a final one is read-only.
"""

from __future__ import annotations

import streamlit as st

from ui.components import case_data, feedback, session
from ui.components import early_look_actions as actions
from ui.components import early_look_checklist as checklist
from ui.components import early_look_context as context
from ui.components import early_look_document as document
from ui.components import early_look_header as header
from ui.components import early_look_just_culture as just_culture
from ui.components import early_look_session as els

SECTIONS = ["Checklist", "Working context", "Just culture", "Actions and recommendation",
            "Document and sign-off"]

user = session.user()
st.title("Early look")
crn = case_data.require_case("early look")
if crn is not None:
    with feedback.reported():
        records = case_data.records(crn, "early look")
        found = header.pick_or_start(crn)
        if found is not None:
            state = found.state
            editable = els.editable()
            header.summary(found)
            if found.status == "final":
                st.success("This early look is signed off and final. It cannot be changed. "
                           f"Fingerprint: {found.fingerprint}")
            elif not editable:
                st.info("You can read this early look. Only a manager can change it.")
            header.countdown(state, records, found.status)
            header.progress(state)
            header.glossary()
            els.status_line()
            tabs = st.tabs(SECTIONS, key="sfo_el_tab", on_change="rerun")
            with tabs[0]:
                if tabs[0].open is not False:
                    checklist.checklist(state, records, editable=editable)
            with tabs[1]:
                if tabs[1].open is not False:
                    context.working_context(state, editable=editable)
            with tabs[2]:
                if tabs[2].open is not False:
                    just_culture.just_culture(state, editable=editable)
            with tabs[3]:
                if tabs[3].open is not False:
                    st.subheader("Immediate actions")
                    actions.actions(state, editable=editable)
                    st.subheader("Recommendation")
                    actions.recommendation(state, editable=editable)
            with tabs[4]:
                if tabs[4].open is not False:
                    st.subheader("The Early Look document")
                    document.document(editable=editable)
                    st.subheader("Sign off")
                    document.sign_off(state, editable=editable)
                    if found.status == "final":
                        header.offer_new(crn)
