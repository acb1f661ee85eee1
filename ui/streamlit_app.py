"""The SFO toolkit app: sign in, then the pages your role may use.

Run it with `sfo ui` (or `streamlit run ui/streamlit_app.py`). Pages are
chosen by role (see :mod:`sfo.domain.access`); the services check each
action again, so a page is never the only gate.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run ui/streamlit_app.py` puts ui/ on the path, not the project: make `ui`
# importable as a package either way.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from ui import navigation  # noqa: E402

st.set_page_config(page_title="SFO toolkit", page_icon=":material/balance:", layout="wide")
# A table's own "Download as CSV" writes cells as they are, so a note starting "=" would run
# as a formula in a spreadsheet. Every page offers its own downloads, with formulas
# neutralised; the built-in one is hidden.
st.html("<style>[data-testid='stElementToolbar'] button[aria-label*='Download' i]"
        "{display: none !important;}</style>")
navigation.run()
