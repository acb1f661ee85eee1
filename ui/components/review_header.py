"""Choosing or starting the case's SFO review, and the lines at the top of the page."""

from __future__ import annotations

import streamlit as st

from sfo.domain import access
from sfo.domain import quality as qc
from sfo.services import early_look, reviews
from sfo.services.reviews import Listed, Opened
from ui.components import feedback, session
from ui.components import review_session as rvs

PICK = "sfo_rv_pick"


def _label(item: Listed) -> str:
    state = ("final" if item.status == "final" else "draft")
    return (f"Review {item.id}, version {item.version} ({state}), last saved by "
            f"{item.updated_by or 'unknown'} at {rvs.moment(item.updated_at)}")


def _default(items: list[Listed]) -> Listed:
    drafts = [i for i in items if i.status == "draft"]
    return (drafts or items)[-1]


def _start(crn: str) -> None:
    try:
        found = reviews.start_stored(crn=crn, actor=session.user())
    except Exception as exc:
        rvs.fail("start", exc)
        return
    rvs.done(found, "Review started and saved")
    st.session_state[PICK] = found.id


def _picked() -> None:
    chosen = st.session_state.get(PICK)
    if chosen is not None:
        with feedback.reported():
            rvs.load(int(chosen))


def _early_look_words(crn: str) -> str:
    """Which early look a new review will start from, in words."""
    user = session.user()
    if not access.can(user, "early_look.view"):
        return ""
    looks = early_look.list_stored(crn, actor=user)
    if not looks:
        return ("There is no early look for this case, so the working context is proposed "
                "from the records.")
    best = max(looks, key=lambda o: (o.status == "final", o.id))
    kind = "final" if best.status == "final" else "draft"
    return (f"It starts from early look {best.id} ({kind}): its date and its working "
            "context, including the manager's own entries.")


def pick_or_start(crn: str) -> Opened | None:
    """The case's review to show: the one chosen, else the latest draft (None if none)."""
    user = session.user()
    items = reviews.listed(crn=crn, actor=user)
    shown = rvs.current()
    if shown is not None and shown.state.crn != crn:
        rvs.forget()
        shown = None
    if items and (shown is None or shown.id not in {i.id for i in items}):
        shown = rvs.load(_default(items).id)
    if shown is not None:
        rvs.catch_up()
        shown = rvs.current()
    if not items:
        if access.can(user, "review.edit"):
            st.info(f"There is no SFO review of {crn} yet. Starting one suggests a key "
                    "practice episode for each gap and each piece of good practice the rules "
                    "found, and proposes contributory factors from the working context. "
                    f"{_early_look_words(crn)} Nothing is judged for you.")
            st.button("Start the SFO review", type="primary", key="sfo_rv_start",
                      on_click=_start, args=(crn,))
            rvs.problem("start")
        else:
            st.info(f"No SFO review has been started for {crn}. A reviewer starts it.")
        return None
    assert shown is not None
    if len(items) > 1:
        rvs.controlled(PICK, shown.id)
        labels = {i.id: _label(i) for i in items}
        st.selectbox("Review to open", list(labels), format_func=labels.__getitem__,
                     key=PICK, on_change=_picked)
    return shown


def summary(found: Opened) -> None:
    """Which review this is, its version and status, and when this session last saved."""
    s = found.state
    saved = st.session_state.get(rvs.SAVED, "")
    status = ("Final" if found.status == "final" else "Draft")
    st.markdown(f"**{s.crn}**, practice looked at up to {rvs.day(s.as_of)}. Review "
                f"{found.id}, version {s.version}: {status}. Last saved by "
                f"{rvs.md(found.updated_by or 'unknown')}."
                + (f" **{saved}.**" if saved else ""))


def status(found: Opened, *, editable: bool) -> None:
    """Final, read-only or what still blocks finalising: one line each."""
    s = found.state
    if found.status == "final":
        who = (f" by {rvs.md(s.finalised.by)} at {rvs.moment(s.finalised.at)}"
               if s.finalised else "")
        st.success(f"Version {s.version} was finalised{who}. It cannot be changed; a reviewer "
                   f"can reopen it as version {s.version + 1} with a note saying why.  \n"
                   f"Fingerprint: {found.fingerprint}")
    elif not editable:
        st.info("You can read this review. Only a reviewer can change it."
                + ("" if rvs.restricted_allowed() else
                   " Restricted entries (personal circumstances) are not shown to you."))
    if found.status == "final":
        return
    items = qc.check(s)
    blocks = sum(1 for i in items if i.severity == "block")
    prompts = len(items) - blocks
    if blocks:
        head = (f":red[**{blocks} thing{'s' if blocks != 1 else ''} to do before finalising**]"
                f"; {prompts} prompt{'s' if prompts != 1 else ''} to think about.")
    else:
        head = (f"**Nothing blocks finalising**; {prompts} prompt"
                f"{'s' if prompts != 1 else ''} to think about.")
    left, right = st.columns([3, 1], vertical_alignment="center")
    left.markdown(head)
    right.button("Open the quality check", key="sfo_rv_to_quality", on_click=rvs.go,
                 args=(rvs.QUALITY,), width="stretch")


GLOSSARY = {
    "SFO": "serious further offence",
    "CRN": "case reference number, the person's number in the case record",
    "RoSH": "risk of serious harm",
    "MAPPA": "multi-agency public protection arrangements",
    "MARAC": "multi-agency risk assessment conference",
    "PO, SPO": "probation officer, senior probation officer",
    "PSO": "probation services officer",
    "PDU": "probation delivery unit",
    "DA": "domestic abuse",
    "HR": "human resources",
    "FTE": "full-time equivalent (staff numbers)",
    "ADVP": "registration: domestic abuse perpetrator",
    "RCCO": "registration: child concerns",
    "SEIPS": "Systems Engineering Initiative for Patient Safety: a way of looking at the "
             "whole work system (person, tasks, tools, organisation, environment)",
    "London Protocol": "a way of sorting contributory factors (individual, team, task, work "
                       "environment, organisation, institutional context)",
    "Rule ids (for example DA-CHECKS)": "the practice-standard check that found something",
}


def glossary() -> None:
    """The abbreviations the review uses, spelled out."""
    with st.expander("What the abbreviations mean"):
        st.markdown("\n".join(f"- **{k}**: {v}" for k, v in GLOSSARY.items()))
