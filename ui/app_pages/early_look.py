"""Early look: the checklist, working context and next steps (built next)."""

from __future__ import annotations

import streamlit as st

from ui.components import case_data

st.title("Early look")
crn = case_data.require_case("early look")
