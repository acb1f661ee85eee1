"""What the pages that save every change at once share: widget keys, controlled widgets, errors.

Each such page (early look, review, dip samples) keeps its own open record
and saving rules in its ``*_session`` component; these are the parts that
are the same for all of them.
"""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from sfo.errors import SfoError
from ui.components import feedback


def widget_key(prefix: str, object_id: int | None, name: str, *source: Any) -> str:
    """A widget key for one open record, new whenever ``source`` (what it shows) changes."""
    digest = hashlib.sha1(repr(source).encode("utf-8")).hexdigest()[:10] if source else ""
    return f"{prefix}{object_id or 0}_{name}" + (f"_{digest}" if digest else "")


def controlled(widget_key_: str, value: Any) -> str:
    """Make a saved-on-change widget show the stored value (call before drawing it)."""
    if widget_key_ not in st.session_state or st.session_state[widget_key_] != value:
        st.session_state[widget_key_] = value
    return widget_key_


def show_failure(exc: BaseException) -> None:
    """A step that was not saved: the toolkit's own message, or a short apology."""
    if isinstance(exc, SfoError):
        feedback.show(exc)
    else:
        st.error(f"Something went wrong that should not have ({type(exc).__name__}). Nothing "
                 "was saved. Please report it with what you were doing.")
