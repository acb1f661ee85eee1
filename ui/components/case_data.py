"""The case being looked at, and its records kept for the session (keys ``sfo_case*``).

Records are read once per case and page visit (the reading is audited), and
again when a newer import has changed them; reruns of the same page reuse
them, so a click never reads the whole case again.
"""

from __future__ import annotations

import streamlit as st

from sfo.domain.records import CaseRecords
from sfo.services import cases
from ui.components import session

CRN = "sfo_case_crn"
_CACHE = "sfo_case_records"
_VIEWING = "sfo_case_viewing"


def selected() -> str | None:
    """The CRN of the case chosen on the Cases page (None if none yet)."""
    value = st.session_state.get(CRN)
    return str(value) if value else None


def choose(crn: str) -> None:
    """Make a case the one the case pages show."""
    st.session_state[CRN] = crn


def records(crn: str, page: str) -> CaseRecords:
    """The case's stored records; each visit to a page is written to the audit log."""
    latest = cases.latest_import()
    cached = st.session_state.get(_CACHE)
    visit = (page, crn)
    if (st.session_state.get(_VIEWING) != visit or cached is None or cached[0] != crn
            or cached[1] != latest):
        loaded = cases.open_case(crn, actor=session.user(),
                                 purpose=f"opened the {page} page of {crn}")
        st.session_state[_CACHE] = (crn, latest, loaded)
        st.session_state[_VIEWING] = visit
        return loaded
    return cached[2]


def require_case(page: str) -> str | None:
    """The chosen case, or a prompt to choose one on the Cases page (None)."""
    crn = selected()
    if crn is None:
        st.info("Choose a case first: search for it on the Cases page.")
        st.page_link("app_pages/cases.py", label="Go to Cases", icon=":material/search:")
        return None
    return crn
