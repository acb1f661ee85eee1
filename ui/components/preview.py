"""Showing one of the toolkit's own HTML documents inside a page, kept apart from the app."""

from __future__ import annotations

import base64

import streamlit as st


def document(html: bytes | str, *, height: int = 720, alt: str = "Document preview") -> None:
    """The document in a frame of its own.

    It is given as a ``data:`` address, which the browser treats as a separate
    origin: nothing in the document can reach the app or the person's session,
    even if some text in it were not what it should be.
    """
    data = html.encode("utf-8") if isinstance(html, str) else html
    st.iframe("data:text/html;charset=utf-8;base64," + base64.b64encode(data).decode("ascii"),
              height=height, alt=alt)
