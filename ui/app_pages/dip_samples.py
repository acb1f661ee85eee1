"""Dip samples: from a caseload frame to the report, step by step, each step saved at once.

Quality teams and managers plan, draw and evaluate dip samples here (see
``ui/components/dip_*.py``); the services check the permission again.
"""

from __future__ import annotations

import streamlit as st

from sfo.services import dip_store
from ui.components import dip_evaluation as evaluation
from ui.components import dip_frame as frame
from ui.components import dip_plan as planning
from ui.components import dip_results as results
from ui.components import dip_session as ds
from ui.components import dip_start as start
from ui.components import dip_worklist as worklist
from ui.components import feedback, session

STEPS = ["1. Frame", "2. Eligibility", "3. Size", "4. Strata and draw", "5. Worklist",
         "6. Results", "7. Evaluation", "8. Second review", "9. Report"]
NOT_DRAWN = "Draw the sample first (step 4): this step works on the drawn cases."

session.user()
st.title("Dip samples")
st.markdown("A dip sample checks a random selection of cases against a checklist to see how "
            "widespread a problem is, with honest uncertainty. Work through the steps from "
            "the frame to the report; each is saved as you make it. **Sampling someone's work "
            "is not a finding about them**: the report carries the working context of the "
            "practitioners whose cases were sampled.")

with feedback.reported():
    plan = start.choose()
    if plan is not None:
        st.header(plan.name)
        ds.status_line()
        if not plan.has_frame:
            st.info("This plan was drafted by an early look and has no frame yet: build it "
                    "under 'Start a new dip sample', from the early look's recommendation.")
            st.stop()
        drawn = ds.draw()
        tabs = st.tabs(STEPS, key="sfo_dip_tab", on_change="rerun")
        shown = [tab.open is not False for tab in tabs]
        elig = (dip_store.eligibility_of(plan, ds.frame(plan)) if any(shown[1:4]) else None)
        with tabs[0]:
            if shown[0]:
                frame.frame(plan)
        with tabs[1]:
            if shown[1] and elig is not None:
                frame.eligible(plan, elig)
        with tabs[2]:
            if shown[2] and elig is not None:
                planning.size(plan, elig)
        with tabs[3]:
            if shown[3] and elig is not None:
                planning.strata(plan, elig, drawn)
        with tabs[4]:
            if shown[4]:
                if drawn is None:
                    st.info(NOT_DRAWN)
                else:
                    worklist.worklist(drawn)
                    st.subheader("Substitution")
                    worklist.substitution(drawn)
        with tabs[5]:
            if shown[5]:
                if drawn is None:
                    st.info(NOT_DRAWN)
                else:
                    results.results(drawn, plan)
        with tabs[6]:
            if shown[6]:
                if drawn is None:
                    st.info(NOT_DRAWN)
                else:
                    evaluation.evaluation(drawn)
        with tabs[7]:
            if shown[7]:
                if drawn is None:
                    st.info(NOT_DRAWN)
                else:
                    results.second_review(drawn, plan)
                    evaluation.agreement(drawn)
        with tabs[8]:
            if shown[8]:
                if drawn is None:
                    st.info(NOT_DRAWN)
                else:
                    evaluation.report(drawn)
