"""Showing what went wrong in words a user can act on, never a traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from sfo import config
from sfo.errors import BundleInvalid, ConflictError, FileInvalid, SfoError

T = TypeVar("T")


def problems_table(exc: BundleInvalid | FileInvalid) -> pd.DataFrame:
    """Each problem of a refused file as a row: file, row, column, what was expected."""
    return pd.DataFrame([{"File": p.file, "Row": "" if p.row is None else str(p.row),
                          "Column": p.column or "", "Problem": p.message}
                         for p in exc.problems])


def show(exc: SfoError) -> None:
    """Show a toolkit error: import problems as a table, a conflict with what changed."""
    if isinstance(exc, BundleInvalid | FileInvalid):
        head = str(exc).splitlines()[0]
        st.error(head)
        st.dataframe(problems_table(exc), hide_index=True, width="stretch")
        if exc.total > len(exc.problems):
            st.caption(f"And {exc.total - len(exc.problems)} more of the same kinds.")
        return
    if isinstance(exc, ConflictError):
        st.warning(f"{exc.what} was changed by {exc.by} at {exc.at} while you had it open, so "
                   "your change was not saved. Their change is shown below; make yours again "
                   "if it is still needed.")
        if exc.changes:
            st.dataframe(pd.DataFrame([{"What": k, "When you opened it": _short(a),
                                        "Now": _short(b)} for k, (a, b) in exc.changes.items()]),
                         hide_index=True, width="stretch")
        return
    st.error(str(exc))


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) < 300 else text[:297] + "..."


@contextmanager
def reported() -> Iterator[None]:
    """Run a block; a toolkit error is shown as a message, anything else as a short apology."""
    try:
        yield
    except SfoError as exc:
        show(exc)
    except Exception as exc:  # the last line of defence: never a traceback in front of users
        if config.setting("SFO_DEBUG") == "1":
            raise
        st.error(f"Something went wrong that should not have ({type(exc).__name__}). Nothing "
                 "more was saved. Please report it with what you were doing.")


def attempt(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """Call a service; show its error and return None if it refuses."""
    with reported():
        return fn(*args, **kwargs)
    return None
