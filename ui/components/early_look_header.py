"""Choosing or starting the case's early look, the deadline countdown and the progress line."""

from __future__ import annotations

import streamlit as st

from sfo.domain import access
from sfo.domain import early_look as el
from sfo.domain.records import CaseRecords
from sfo.services import early_look
from sfo.services.early_look import Listed, Opened
from ui.components import early_look_session as els
from ui.components import feedback, session

PICK = "sfo_el_pick"


def _label(item: Listed) -> str:
    state = "final" if item.status == "final" else f"draft, version {item.version}"
    return (f"Early look {item.id} ({state}), last saved by {item.updated_by or 'unknown'} at "
            f"{els.moment(item.updated_at)}")


def _default(items: list[Listed]) -> Listed:
    drafts = [i for i in items if i.status == "draft"]
    return (drafts or items)[-1]


def _start(crn: str) -> None:
    try:
        found = early_look.start_stored(crn=crn, actor=session.user())
    except Exception as exc:
        els.fail("start", exc)
        return
    els.done(found, "Early look started and saved")
    st.session_state[PICK] = found.id


def _picked() -> None:
    chosen = st.session_state.get(PICK)
    if chosen is not None:
        with feedback.reported():
            els.load(int(chosen))


def pick_or_start(crn: str) -> Opened | None:
    """The case's early look to show: the one chosen, else the latest draft (None if none)."""
    user = session.user()
    items = early_look.list_stored(crn, actor=user)
    shown = els.current()
    if shown is not None and shown.state.crn != crn:
        els.forget()
        shown = None
    if items and (shown is None or shown.id not in {i.id for i in items}):
        shown = els.load(_default(items).id)
    if shown is not None:
        els.catch_up()
        shown = els.current()
    may_start = access.can(user, "early_look.edit")
    if not items:
        if may_start:
            st.info(f"There is no early look for {crn} yet. Starting one reads the case record, "
                    "suggests an answer to each question and fills in the working context from "
                    "the records. Nothing is decided for you.")
            st.button("Start the early look", type="primary", key="sfo_el_start",
                      on_click=_start, args=(crn,))
            els.problem("start")
        else:
            st.info(f"No early look has been started for {crn}. A manager starts it.")
        return None
    assert shown is not None
    if len(items) > 1:
        els.controlled(PICK, shown.id)
        labels = {i.id: _label(i) for i in items}
        st.selectbox("Early look to open", list(labels), format_func=labels.__getitem__,
                     key=PICK, on_change=_picked)
    return shown


def offer_new(crn: str) -> None:
    """For a manager when every early look of the case is final: start a new one to correct it."""
    if not access.can(session.user(), "early_look.edit"):
        return
    if any(i.status == "draft" for i in early_look.list_stored(crn, actor=session.user())):
        return
    st.markdown("A final early look cannot be changed. To correct it, start a new one: it "
                "reads the case record again and starts from fresh suggestions.")
    st.button("Start a new early look", key="sfo_el_start", on_click=_start, args=(crn,))
    els.problem("start")


def countdown(state: el.EarlyLookState, records: CaseRecords, status: str) -> None:
    """The early-look and notification deadlines: working days left, overdue in red."""
    if status == "final":
        return
    dls = early_look.deadlines_for(state, records)
    cols = st.columns(len(dls))
    for col, d in zip(cols, dls, strict=True):
        n = d.working_days_remaining
        if d.overdue:
            left = f":red[**Overdue by {-n} working day{'s' if n != -1 else ''}**]"
        elif n == 0:
            left = ":orange[**Due today**]"
        else:
            left = f"**{n} working day{'s' if n != 1 else ''} left**"
        col.markdown(f"{d.label} deadline: due {d.due:%A} {els.day(d.due)}  \n{left}")


def progress(state: el.EarlyLookState) -> None:
    """How far the early look has got, in one line, and the version shown."""
    total = len(state.questions)
    done = len(state.answers)
    if state.signed_off is not None:
        st.markdown(f"**Signed off by {els.md(state.signed_off.by)} at "
                    f"{els.moment(state.signed_off.at)}.**")
        return
    considered = ("working context considered" if state.context_considered is not None
                  else "working context not yet considered")
    left = len(el.completion_problems(state))
    tail = "; ready to sign off" if left == 0 else f"; {left} thing{'s' if left != 1 else ''} " \
                                                   "to do before sign-off"
    st.markdown(f"**{done} of {total} questions confirmed; {considered}{tail}.**")
    st.progress(done / total if total else 0.0)


def summary(found: Opened) -> None:
    """Which early look this is, the version shown and when this session last saved."""
    s = found.state
    saved = st.session_state.get(els.SAVED, "")
    version = "Final." if found.status == "final" else f"Draft, version {found.version}."
    st.markdown(f"**{s.crn}**, looked at up to {els.day(s.as_of)}; the charge date is "
                f"{els.day(s.charge_date)}. {version}" + (f" **{saved}.**" if saved else ""))


GLOSSARY = {
    "CRN": "case reference number, the person's number in the case record",
    "SFO": "serious further offence",
    "RoSH": "risk of serious harm",
    "MAPPA": "multi-agency public protection arrangements",
    "PO, SPO": "probation officer, senior probation officer",
    "PSO": "probation services officer",
    "PQIP": "professional qualification in probation (a trainee probation officer)",
    "DA": "domestic abuse",
    "FTE": "full-time equivalent (staff numbers)",
    "HR": "human resources",
    "ADVP": "registration: domestic abuse perpetrator",
    "RCCO, RCPR, RCHD": "registrations: child concerns, child protection, risk to children",
    "RHRH, RVHR": "registrations: high and very high risk of serious harm",
    "Rule ids (for example ALLOC-FIT)": "the check that found it: see the rules guide",
}


def glossary() -> None:
    """The abbreviations the records and findings use, spelled out."""
    with st.expander("What the abbreviations mean"):
        st.markdown("\n".join(f"- **{k}**: {v}" for k, v in GLOSSARY.items()))
