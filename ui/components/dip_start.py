"""Choosing a stored dip sample, or starting one from a frame, an early look or the store.

Building a frame from every stored case can take a while, so it runs as a
background job with its progress shown (:mod:`ui.components.jobs`; a job's
key must start ``sfo_job_``, the one exception to this page's ``sfo_dip_``).
"""

from __future__ import annotations

import hashlib
from datetime import date

import streamlit as st

from sfo.errors import InputError
from sfo.services import dip_store
from sfo.services.dip_store import Listed, PlanView
from ui.components import dip_session as ds
from ui.components import jobs, session

SOURCE = "sfo_dip_source"
UPLOAD = "sfo_dip_upload"
STORE_JOB = "sfo_job_dip_frame"
SOURCES = ("Upload a caseload frame", "From an early look's recommendation",
           "From every stored case as at a date")


def _label(item: Listed) -> str:
    state = (f"drawn{' ' + str(item.draws) + ' times' if item.draws > 1 else ''}"
             if item.draws else "not drawn yet" if item.has_frame else "frame not built yet")
    return f"{item.id}: {item.name} ({state})"


def _picked(pick_key: str) -> None:
    found = st.session_state.get(pick_key)
    ds.choose(int(found) if isinstance(found, int) else None)


def _open_new(found: PlanView, message: str) -> None:
    ds.choose(found.id)
    ds.saved(found, message)


def _upload(name_key: str, purpose_key: str, as_at_key: str) -> None:
    upload = st.session_state.get(UPLOAD)
    if upload is None:
        ds.fail("start", InputError("Choose the caseload frame to upload (a CSV file, one row "
                                    "per case, with a crn column)."))
        return
    as_at = st.session_state.get(as_at_key)
    found = ds.step("start", lambda: dip_store.create_from_upload(
        upload.getvalue(), file_name=upload.name, actor=session.user(),
        name=str(st.session_state.get(name_key) or ""),
        purpose=str(st.session_state.get(purpose_key) or ""),
        reference_date=as_at if isinstance(as_at, date) else None),
        "Dip sample started.")
    if found is not None:
        _open_new(found, f"Dip sample started from {upload.name}.")


def choose() -> PlanView | None:
    """The dip sample to show: chosen from the stored ones, or newly started."""
    user = session.user()
    finished, made = jobs.result(STORE_JOB)
    if finished and made is not None:
        found, warnings = made
        _open_new(found, "The frame was built from the stored cases.")
        for w in warnings:
            st.warning(w)
    items = dip_store.list_plans(actor=user)
    known = {i.id for i in items}
    if ds.chosen() not in known:
        ds.choose(None)
    if items:
        labels = {i.id: _label(i) for i in items}
        # A new key whenever the labels change (a draw, a new name): the browser keeps the
        # label it showed, which must never stand for another choice.
        digest = hashlib.sha1(repr(sorted(labels.items())).encode("utf-8")).hexdigest()[:10]
        pick_key = f"sfo_dip_pick_{digest}"
        if pick_key not in st.session_state or st.session_state[pick_key] != ds.chosen():
            st.session_state[pick_key] = ds.chosen()   # the widget shows what the page shows
        st.selectbox("Dip sample to open", list(labels), format_func=labels.__getitem__,
                     placeholder="Choose a dip sample", key=pick_key, on_change=_picked,
                     args=(pick_key,))
    ds.catch_up()
    with st.expander("Start a new dip sample", expanded=not items):
        _start_form(items)
    return ds.plan()


def _start_form(items: list[Listed]) -> None:
    st.markdown("A dip sample starts from a **caseload frame**: one row per case, with its CRN "
                "and any columns to choose by (for example pdu, tier, rosh_level, "
                "staff_code). Its rows are kept with the dip sample, so the draw can always "
                "be repeated and checked.")
    source = st.radio("Where the frame comes from", SOURCES, key=SOURCE)
    if source == SOURCES[0]:
        st.file_uploader("Caseload frame (CSV)", type=["csv"], key=UPLOAD,
                         help="caseload.csv: one row per case, crn required and unique. Read "
                              "as UTF-8 (or Windows-1252).")
        a, b = st.columns([2, 1])
        name_key, purpose_key, as_at_key = (f"{UPLOAD}_name", f"{UPLOAD}_purpose",
                                            f"{UPLOAD}_as_at")
        a.text_input("Name of the dip sample", key=name_key,
                     placeholder="For example: North PDU, supervision quality, June 2024")
        b.date_input("As at (the date exclusions count back from)", value=date.today(),
                     format="DD/MM/YYYY", key=as_at_key)
        st.text_area("Why the sample is drawn (the report's purpose)", key=purpose_key,
                     height=80)
        st.button("Start the dip sample", type="primary", key="sfo_dip_start_upload",
                  on_click=_upload, args=(name_key, purpose_key, as_at_key))
    elif source == SOURCES[1]:
        drafts = [i for i in items if not i.has_frame]
        if not drafts:
            st.info("No early look has recommended a dip sample yet. When a manager chooses a "
                    "dip sample in an early look's recommendation, its plan (the "
                    "practitioner's other cases) appears here.")
        else:
            labels = {i.id: f"{i.name}: {i.source}" for i in drafts}
            pick = st.selectbox("Plan drafted by an early look", list(labels),
                                format_func=labels.__getitem__, key="sfo_dip_draft")
            st.caption("The frame is built from every stored case as at the early look's "
                       "date; the plan keeps the practitioner's other cases and its "
                       "discovery size.")
            if st.button("Build the frame and open the plan", type="primary",
                         key="sfo_dip_start_draft") and pick is not None:
                user = session.user()
                jobs.start(STORE_JOB, "Building the frame from the stored cases",
                           lambda progress: dip_store.start_from_early_look(
                               int(pick), actor=user, progress=progress), total=4)
                st.rerun()
    else:
        a, b = st.columns([1, 2])
        as_of = a.date_input("Cases as at", value=date.today(), format="DD/MM/YYYY",
                             key="sfo_dip_store_as_of",
                             help="Who held each case on this date, its latest sentence, and "
                                  "its RoSH level from the latest completed assessment.")
        name = b.text_input("Name of the dip sample", key="sfo_dip_store_name")
        st.caption("Every stored case you may see is read (the reading is written to the "
                   "audit log). A large region takes a little while; you can use other pages "
                   "meanwhile.")
        if st.button("Build the frame from the stored cases", type="primary",
                     key="sfo_dip_start_store"):
            user = session.user()
            day = as_of if isinstance(as_of, date) else date.today()
            jobs.start(STORE_JOB, "Building the frame from the stored cases",
                       lambda progress: (dip_store.create_from_store(
                           as_of=day, actor=user, name=str(name or ""), progress=progress),
                           ()), total=5)
            st.rerun()
    ds.problem("start")
