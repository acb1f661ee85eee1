"""SFO review: background, key episodes, analysis, factors, judgement, learning, actions,
the family summary, the quality check, and the documents with finalising and versions.

Every change is saved as it is made (see ``ui/components/review_session.py``).
Reviewers change a draft; managers, HR and the quality team read it (the
quality team without restricted entries); a final version is read-only
until a reviewer reopens it.
"""

from __future__ import annotations

import streamlit as st

from ui.components import case_data, feedback, session
from ui.components import review_actions as actions
from ui.components import review_document as document
from ui.components import review_factors as factors
from ui.components import review_header as header
from ui.components import review_judgement as judgement
from ui.components import review_quality as quality
from ui.components import review_sections as sections
from ui.components import review_session as rvs

DRAW = {
    rvs.BACKGROUND: sections.background,
    rvs.EPISODES: sections.episodes,
    rvs.ANALYSIS: sections.analysis,
    rvs.FACTORS: factors.factors,
    rvs.JUDGEMENT: judgement.judgement,
    rvs.LEARNING: judgement.learning,
    rvs.ACTIONS: actions.actions,
    rvs.FAMILY: judgement.family,
    rvs.QUALITY: quality.panel,
}

session.user()
st.title("SFO review")
crn = case_data.require_case("SFO review")
if crn is not None:
    with feedback.reported():
        case_data.records(crn, "SFO review")     # each visit to the page is audited
        found = header.pick_or_start(crn)
        if found is not None:
            editable = rvs.editable()
            header.summary(found)
            header.status(found, editable=editable)
            header.glossary()
            rvs.status_line()
            tabs = st.tabs(list(rvs.SECTIONS), key=rvs.TAB, on_change="rerun")
            for name, tab in zip(rvs.SECTIONS, tabs, strict=True):
                with tab:
                    if tab.open is False:
                        continue
                    st.subheader(rvs.SECTIONS[name])
                    if name == rvs.DOCUMENT:
                        document.document(found, editable=editable)
                    else:
                        DRAW[name](found.state, editable=editable)
