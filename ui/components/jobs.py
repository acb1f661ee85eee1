"""Long work in the background: its progress shown, the person's session never frozen.

An import of a whole region or building a caseload frame from every stored
case can take many seconds. Run as a job, it goes to a small pool of worker
threads shared by the app (two: this is a two-core service), the page shows
its latest step and refreshes itself every second, and the person (and
everyone else using the app) can carry on meanwhile. Work started by one
person is theirs alone: each job lives in its starter's session state under
the key the page gives it (keys start ``sfo_job_``).

The work itself must not call Streamlit: it reports progress through the
``progress(label)`` function it is given.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from sfo.errors import SfoError
from ui.components import feedback

WORKERS = 2
_pool: list[ThreadPoolExecutor] = []
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    """The app's worker threads, made on first use (never at import)."""
    with _pool_lock:
        if not _pool:
            _pool.append(ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="sfo-job"))
        return _pool[0]


@dataclass
class Job:
    """One piece of long work: what it is, its future and the steps it has reported."""

    label: str
    future: Future[Any]
    steps: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.time)
    total: int | None = None          # steps expected, for a progress bar (None: unknown)

    def report(self, step: str) -> None:
        """Called from the worker thread: note the step it has reached."""
        self.steps.append(step)       # list.append is atomic; the page only reads it

    @property
    def running(self) -> bool:
        """Whether the work has not finished yet."""
        return not self.future.done()


def start(key: str, label: str, work: Callable[[Callable[[str], None]], Any], *,
          total: int | None = None) -> Job:
    """Start ``work(progress)`` in the background and keep it in the session under ``key``."""
    if not key.startswith("sfo_job_"):
        raise ValueError("job keys start with sfo_job_")
    current = st.session_state.get(key)
    if isinstance(current, Job) and current.running:
        return current                # one at a time: a second click does not start another
    job = Job(label=label, future=Future(), total=total)
    job.future = _executor().submit(work, job.report)
    st.session_state[key] = job
    return job


def result(key: str) -> tuple[bool, Any]:
    """(finished, value): shows progress while running, or the error if it failed.

    A finished job's value is returned once and forgotten; the page shows it.
    """
    job = st.session_state.get(key)
    if not isinstance(job, Job):
        return False, None
    if job.running:
        _progress(key)
        return False, None
    del st.session_state[key]
    try:
        return True, job.future.result()
    except SfoError as exc:
        feedback.show(exc)
    except Exception as exc:  # never a traceback in front of users
        with feedback.reported():
            raise exc
    return True, None


@st.fragment(run_every=1.0)
def _progress(key: str) -> None:
    """The job's latest step, redrawn every second; the whole page reruns when it ends."""
    job = st.session_state.get(key)
    if not isinstance(job, Job):
        return
    if not job.running:
        st.rerun()
    step = job.steps[-1] if job.steps else "Starting"
    seconds = int(time.time() - job.started)
    if job.total:
        st.progress(min(len(job.steps) / job.total, 1.0),
                    text=f"{job.label}: {step} ({seconds} s so far)")
    else:
        st.info(f"{job.label}: {step} ({seconds} s so far). You can use other pages "
                "meanwhile.")
