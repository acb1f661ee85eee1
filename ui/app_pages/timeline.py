"""Timeline: the case's chronology as a chart (built next)."""

from __future__ import annotations

import streamlit as st

from ui.components import case_data

st.title("Timeline")
crn = case_data.require_case("timeline")
