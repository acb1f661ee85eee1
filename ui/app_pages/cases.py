"""Cases: find a person, see where their case stands, import a new bundle."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sfo.domain import access
from sfo.services import cases
from ui.components import case_data, feedback, jobs, session

IMPORT_JOB = "sfo_job_import"
IMPORT_STEPS = 22   # reading, then storing, each of the 11 files of the contract

user = session.user()
st.title("Cases")

if access.can(user, "case.view"):
    query = st.text_input("Search by CRN or name", key="sfo_cases_query",
                          placeholder="For example X320741, or part of a name",
                          help="A CRN is a letter and six digits. Leave empty to list cases.")
    searched = feedback.attempt(cases.search, query, actor=user)
    found = searched or []
    if searched is None:
        pass  # the search was refused (for example the database is busy): the reason is shown
    elif found:
        table = pd.DataFrame(found).rename(columns={"crn": "CRN", "name": "Name",
                                                    "pdu": "Probation delivery unit",
                                                    "team_code": "Team"})
        chosen = st.dataframe(table, hide_index=True, width="stretch",
                              on_select="rerun", selection_mode="single-row",
                              key="sfo_cases_results")
        rows = chosen.selection.rows if chosen is not None else []
        if rows:
            case_data.choose(str(table.iloc[rows[0]]["CRN"]))
        options = [p["crn"] for p in found]
        if len(options) == 1 and query.strip():
            case_data.choose(options[0])   # one match for what was typed: open it
        current = case_data.selected()
        pick = st.selectbox("Case to open", options,
                            index=options.index(current) if current in options else None,
                            placeholder="Choose a CRN", key="sfo_cases_pick")
        if pick and pick != current:
            case_data.choose(pick)
    elif query:
        st.info(f"No case matches '{query}'. Check the CRN, or import the bundle that holds "
                "it below.")
    else:
        st.info("No cases have been imported yet. Import a bundle below.")

    crn = case_data.selected()
    if crn:
        with feedback.reported():
            records = case_data.records(crn, "case summary")
            o = cases.overview(records, crn, actor=user)
            s = o.summary
            st.header(f"{s['name'] or crn} ({crn})")
            left, right = st.columns(2)
            with left:
                st.markdown(f"**Sentence:** {s['sentence'] or 'not recorded'}  \n"
                            f"**Start of supervision:** {s['start'] or 'not recorded'}  \n"
                            f"**Probation delivery unit:** {s['pdu'] or 'not recorded'}  \n"
                            f"**Held by:** {s['practitioner'] or 'not recorded'}")
            with right:
                source = {"cnoc": "the charge (first CNOC contact)"}.get(o.as_of_source,
                                                                          o.as_of_source)
                st.markdown(f"**Looked at up to:** {s['as_of']} ({source})  \n"
                            f"**Risk of serious harm:** {s['rosh']}  \n"
                            f"**Active registrations:** {', '.join(s['registrations']) or 'none'}")
            a, b, c = st.columns(3)
            a.metric("Gaps in practice", o.counts.get("gap", 0))
            b.metric("Working-context findings", o.counts.get("context", 0))
            c.metric("Good practice", o.counts.get("good_practice", 0))
            if o.not_checked:
                with st.expander(f"{len(o.not_checked)} checks could not be made"):
                    st.markdown("\n".join(f"- {n}" for n in o.not_checked))
            if o.early_looks:
                st.markdown("**Early looks:** " + "; ".join(
                    f"{i} ({status}, as of {d:%d %B %Y})" for i, status, d in o.early_looks))
            if o.reviews:
                st.markdown("**SFO reviews:** " + "; ".join(
                    f"{i} ({status}, version {v})" for i, status, v in o.reviews))
            st.page_link("app_pages/timeline.py", label="Open the timeline",
                         icon=":material/timeline:")
            if access.can(user, "early_look.view"):
                st.page_link("app_pages/early_look.py", label="Open the early look",
                             icon=":material/checklist:")

if access.can(user, "case.import"):
    st.divider()
    st.subheader("Import a bundle")
    st.write("A bundle is the case-record export: one .zip of the folder, or its CSV files "
             "(people.csv and contacts.csv at least). It is checked first and imported all or "
             "nothing: a file with a problem imports nothing, and every problem is listed "
             "with its file, row and column.")
    uploads = st.file_uploader("Bundle files", type=["zip", "csv", "toml"],
                               accept_multiple_files=True, key="sfo_cases_upload")
    if st.button("Check and import", disabled=not uploads, key="sfo_cases_import"):
        files = [(f.name, f.getvalue()) for f in uploads or []]
        jobs.start(IMPORT_JOB, "Importing the bundle",
                   lambda progress: cases.import_upload(files, actor=user, progress=progress),
                   total=IMPORT_STEPS)
    finished, report = jobs.result(IMPORT_JOB)
    if finished and report is not None:
        if report.changed:
            st.success(f"Imported into {report.database}.")
        else:
            st.info("Nothing changed: this export was imported before.")
        st.dataframe(pd.DataFrame(report.summary.rows()), hide_index=True, width="stretch")
        for warning in report.warnings:
            st.warning(warning)
