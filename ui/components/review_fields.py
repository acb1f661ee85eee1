"""Small building blocks of the review page: a text saved as it is written, read-only text,
and a chooser that remembers its choice across sections (keys ``sfo_rv_*``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

from sfo.domain import review as rv
from ui.components import review_session as rvs

TextChange = Callable[[rv.ReviewState, str], rv.ReviewState]


def read_only(label: str, text: str, *, empty: str = "Not yet written.") -> None:
    """A labelled piece of the review for someone who may only read it."""
    st.markdown(f"**{label}**")
    if text.strip():
        st.markdown(rvs.md(text))
    else:
        st.markdown(f":grey[{empty}]")


def _save_text(widget_key: str, change: TextChange, where: str, note: str) -> None:
    text = str(st.session_state.get(widget_key) or "")
    rvs.apply(lambda s: change(s, text), where=where, note=note, mine=text)


def text(label: str, value: str, *, name: str, change: TextChange, note: str, editable: bool,
         height: int = 150, help: str | None = None, placeholder: str | None = None) -> None:
    """A text saved as soon as the person leaves the box (or presses Ctrl+Enter)."""
    if not editable:
        read_only(label, value)
        return
    widget_key = rvs.controlled(rvs.key(name), value)
    st.text_area(label, key=widget_key, height=height, help=help, placeholder=placeholder,
                 on_change=_save_text, args=(widget_key, change, name, note))
    rvs.problem(name)


def lines(text_value: str) -> tuple[str, ...]:
    """One item a line, blank lines dropped."""
    return tuple(x.strip() for x in text_value.splitlines() if x.strip())


def _picked(widget_key: str, memory: str) -> None:
    st.session_state[memory] = st.session_state.get(widget_key)


def chooser(label: str, options: Sequence[str], *, name: str,
            format_func: Callable[[Any], str] = str) -> str | None:
    """A selectbox whose choice is kept while other sections are open (None if no options)."""
    if not options:
        return None
    memory = memory_key(name)
    chosen = st.session_state.get(memory)
    if chosen not in options:
        chosen = options[0]
        st.session_state[memory] = chosen
    widget_key = rvs.controlled(rvs.key(f"{name}_widget"), chosen)
    st.selectbox(label, list(options), key=widget_key, format_func=format_func,
                 on_change=_picked, args=(widget_key, memory))
    return str(chosen)


def memory_key(name: str) -> str:
    """Where :func:`chooser` keeps its choice (the quality check's links set it)."""
    return rvs.key(f"{name}_chosen")
