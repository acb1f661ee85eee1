"""Audit log: who looked at or changed what, and when; filtered, paged, and checked.

Each look at the log is itself written to it, so the page asks the service
only when the filters or the page change (or on "Look again"), not on every
rerun. Checking the whole log runs in the background with its progress shown.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime

import streamlit as st

from sfo.domain.access import Actor
from sfo.services import admin
from sfo.services.audit import Verification
from ui.components import feedback, jobs, session

SHOWN = "sfo_adm_log"            # (what was asked, the AuditPage it gave)
CHECKED = "sfo_adm_checked"      # (when, the Verification) of the last check
CHECK_JOB = "sfo_job_adm_verify"
ANY = "Any action"



def check(actor: Actor, progress: Callable[[str], None]) -> Verification:
    """Check the whole log (runs in a worker thread: no Streamlit here)."""
    return admin.verify(actor=actor, progress=progress)


user = session.user()
st.title("Audit log")
st.write("Every sign-in, search, look at a case and change is written to the audit log when "
         "it happens, with who did it and when. Entries can never be changed or removed "
         "without it showing: each is chained to the one before by its fingerprint. Looking "
         "at the log is itself written to it.")

# -- checking the whole log ---------------------------------------------------------------------
with st.container(border=True):
    st.markdown("**Is the log intact?** Check that every entry is as it was written and none "
                "is missing. A long log takes a while; you can use other pages meanwhile.")
    job = st.session_state.get(CHECK_JOB)
    if st.button("Check the audit log", key="sfo_adm_check", icon=":material/verified:",
                 disabled=isinstance(job, jobs.Job) and job.running):
        st.session_state.pop(CHECKED, None)
        jobs.start(CHECK_JOB, "Checking the audit log", functools.partial(check, user))
    finished, result = jobs.result(CHECK_JOB)
    if finished and result is not None:
        st.session_state[CHECKED] = (datetime.now().astimezone(), result)
    checked = st.session_state.get(CHECKED)
    if checked is not None:
        at, outcome = checked
        entries = f"{outcome.entries:,} entr{'y' if outcome.entries == 1 else 'ies'}"
        if outcome.intact:
            st.success(f"The audit log is intact: all {entries} are as they were written and "
                       f"none is missing (checked at {at:%H:%M:%S}).")
        else:
            st.error(f"The audit log is NOT intact. {len(outcome.problems)} problem"
                     f"{'s were' if len(outcome.problems) != 1 else ' was'} found in "
                     f"{entries} (checked at {at:%H:%M:%S}):")
            st.markdown("\n".join(f"- {p[0].upper()}{p[1:]}." for p in outcome.problems[:50]))
            if len(outcome.problems) > 50:
                st.caption(f"And {len(outcome.problems) - 50:,} more.")
            st.write("Someone or something has changed the database outside the toolkit. "
                     "Tell your information governance lead, keep this database as it is "
                     "for investigation, and compare it with the latest backup "
                     "(`sfo backup` checks a backup's audit log as it makes it).")

# -- filters ------------------------------------------------------------------------------------
st.subheader("Find entries")
shown = st.session_state.get(SHOWN)
actions = list(shown[1].actions) if shown else []
a, b, c, d, e = st.columns([1, 1, 1, 1, 1], vertical_alignment="bottom")
crn = a.text_input("CRN", key="sfo_adm_crn", placeholder="For example X320741",
                   help="Only entries about this person.")
who = b.text_input("User", key="sfo_adm_user", placeholder="Name or user name",
                   help="Part of a name is enough; a user name also finds the account's "
                        "display name.")
start = c.date_input("From", value=None, min_value=date(2000, 1, 1), format="DD/MM/YYYY",
                     key="sfo_adm_from", help="The first day (UK time), included.")
end = d.date_input("To", value=None, min_value=date(2000, 1, 1), format="DD/MM/YYYY",
                   key="sfo_adm_to", help="The last day (UK time), included.")
action = e.selectbox("Action", [ANY, *actions], key="sfo_adm_action",
                     help="view: a look at a case or a document; search; create, update, "
                          "finalise: changes; sign-in and sign-out; view-audit: a look at "
                          "this log.")
asked = (crn.strip().upper(), who.strip(), start if isinstance(start, date) else None,
         end if isinstance(end, date) else None, None if action == ANY else action)
page = int(st.session_state.get("sfo_adm_page", 1))
# Pages of one search count back from its newest entry, so that entries written meanwhile
# (this page's own looks among them) do not shift them; new filters or "Look again" start
# from the newest entry again.
upto = shown[1].upto if shown is not None else None
if shown is not None and shown[0][:5] != asked:
    page, upto = 1, None
refresh = st.button("Look again", key="sfo_adm_refresh", icon=":material/refresh:",
                    help="Read the log again, with the entries written since.")
if refresh:
    page, upto = 1, None
if shown is None or shown[0] != (*asked, page) or refresh:
    found = feedback.attempt(admin.audit_log, actor=user, crn=asked[0] or None,
                             user=asked[1] or None, start=asked[2], end=asked[3],
                             action=asked[4], page=page, upto=upto)
    if found is None:
        st.stop()
    assert found is not None
    st.session_state[SHOWN] = shown = ((*asked, found.page), found)
    st.session_state["sfo_adm_page"] = found.page
    if found.actions != tuple(actions):
        st.rerun()               # the action list grew: draw the filters with it
assert shown is not None
log = shown[1]

# -- the entries --------------------------------------------------------------------------------
if not log.total:
    st.info("No entry matches these filters." if any(asked) else "The audit log is empty.")
    st.stop()
first = (log.page - 1) * log.page_size + 1
st.markdown(f"**{log.total:,}** entr{'y' if log.total == 1 else 'ies'} "
            f"match ({log.filters.describe()}). Showing {first:,} to "
            f"{first + len(log.entries) - 1:,}, newest first.")
st.dataframe(log.frame(), hide_index=True, width="stretch", key="sfo_adm_log_table",
             column_config={"No.": st.column_config.NumberColumn(format="%d", width="small"),
                            "Action": st.column_config.TextColumn(width="small"),
                            "CRN": st.column_config.TextColumn(width="small"),
                            "What happened": st.column_config.TextColumn(width="large")})
if log.pages > 1:
    left, mid, right = st.columns([1, 2, 1], vertical_alignment="center")
    if left.button("Newer", key="sfo_adm_newer", disabled=log.page <= 1,
                   icon=":material/chevron_left:"):
        st.session_state["sfo_adm_page"] = log.page - 1
        st.rerun()
    mid.markdown(f"<div style='text-align:center'>Page {log.page:,} of {log.pages:,}</div>",
                 unsafe_allow_html=True)
    with right.container(horizontal=True, horizontal_alignment="right"):
        if st.button("Older", key="sfo_adm_older", disabled=log.page >= log.pages,
                     icon=":material/chevron_right:", icon_position="right"):
            st.session_state["sfo_adm_page"] = log.page + 1
            st.rerun()
