"""Rules and settings: the rule pack and checklist in use, the settings, and the templates.

A template uploaded here is checked first and installed only if it has no
problem; each problem is shown in words a Word user can act on.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sfo.services import admin
from ui.components import feedback, session

KINDS = {"early_look": "Early look", "review": "SFO review", "family_summary": "Family summary"}
CHECKED = "sfo_adm_template_report"     # (file name, kind, report, installed path or None)

user = session.user()
st.title("Rules and settings")
st.write("What the toolkit uses now: the practice-standard rules and their thresholds, the "
         "early-look checklist, every setting, and the document templates. Settings are "
         "read from the environment of the app: change them where the app is started, then "
         "start it again. See docs/settings.md.")

rules_tab, checklist_tab, settings_tab, templates_tab = st.tabs(
    ["Rule pack", "Checklist", "Settings", "Document templates"])

with rules_tab:
    pack = feedback.attempt(admin.rule_pack, actor=user)
    if pack is not None:
        where = ("shipped with the toolkit" if pack.shipped else
                 f"the local file {pack.origin} (SFO_RULES), laid over the shipped pack")
        st.markdown(f"**{pack.name}**, version **{pack.version}**, {where}.")
        if pack.sources:
            st.caption("Sources: " + "; ".join(pack.sources) + ". A threshold marked "
                       "'local default' has no current national source.")
        st.table(pack.frame(), hide_index=True)
        st.caption("To change a threshold, copy sfo/standards/rules.toml, change what your "
                   "region needs, and set SFO_RULES to the copy's path (docs/rules.md). "
                   "Code lists are in the file.")

with checklist_tab:
    questions = feedback.attempt(admin.checklist, actor=user)
    if questions is not None:
        where = ("shipped with the toolkit" if questions.shipped else
                 f"the local file {questions.origin} (SFO_CHECKLIST), which replaces the "
                 "shipped one")
        title = f" ({questions.title})" if questions.title else ""
        st.markdown(f"**{questions.name}**{title}, version **{questions.version}**, {where}: "
                    f"{len(questions.questions)} questions.")
        st.table(questions.frame(), hide_index=True)

with settings_tab:
    overview = feedback.attempt(admin.settings_overview, actor=user)
    if overview is not None:
        st.markdown(f"Database in use: `{overview.database}` (a password is never shown).")
        st.table(overview.frame(), hide_index=True)

with templates_tab:
    folder, exists = admin.template_folder()
    if folder and not exists:
        st.warning(f"SFO_TEMPLATE_DIR names {folder}, which does not exist yet, so documents "
                   "cannot be made. Make the folder, or install a template below (which "
                   "makes it).")
    else:
        rows = feedback.attempt(admin.templates_in_use, actor=user)
        if rows is not None:
            st.write("The template each document is made from now: shipped with the toolkit, "
                     "or a local one from SFO_TEMPLATE_DIR. The SHA-256 tells two versions "
                     "apart.")
            st.dataframe(pd.DataFrame([{"Document": r.label, "Template": r.source,
                                        "SHA-256 (first 12)": r.sha256[:12], "File": r.path}
                                       for r in rows]),
                         hide_index=True, width="stretch", key="sfo_adm_templates")
    st.markdown("**Check or install an edited template**")
    if not folder:
        st.info("SFO_TEMPLATE_DIR is not set, so a template can be checked here but not "
                "installed. To install templates, set it to a folder the app can write to "
                "and start the app again, for example "
                "`SFO_TEMPLATE_DIR=/srv/sfo/templates sfo ui`. The shipped templates are "
                "never changed.")
    kind = st.selectbox("Which document it is for", list(KINDS), format_func=KINDS.__getitem__,
                        key="sfo_adm_template_kind")
    upload = st.file_uploader("Template file (.docx, or .html.j2 for the web page)",
                              type=["docx", "j2", "html"], key="sfo_adm_template_file")
    label = "Check and install" if folder else "Check"
    if st.button(label, type="primary", disabled=upload is None, key="sfo_adm_template_go"):
        assert upload is not None
        with st.spinner("Checking the template"):
            if folder:
                done = feedback.attempt(admin.install_template, kind, upload.getvalue(),
                                        upload.name, actor=user)
                if done is not None:
                    st.session_state[CHECKED] = (upload.name, kind, *done)
            else:
                report = feedback.attempt(admin.check_template, kind, upload.getvalue(),
                                          upload.name, actor=user)
                if report is not None:
                    st.session_state[CHECKED] = (upload.name, kind, report, None)
    checked = st.session_state.get(CHECKED)
    if checked is not None:
        name, for_kind, report, installed = checked
        if report.ok and installed is not None:
            st.success(f"{name} passed every check and is now the {KINDS[for_kind]} template "
                       f"({installed}). The one it replaced, if any, is kept beside it.")
        elif report.ok:
            st.success(f"{name} passed every check: it can be used as the "
                       f"{KINDS[for_kind]} template.")
        else:
            st.error(f"{name} cannot be used as the {KINDS[for_kind]} template: "
                     f"{len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}"
                     " found, so nothing was installed." if folder else
                     f"{name} cannot be used as the {KINDS[for_kind]} template: "
                     f"{len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}"
                     " found.")
            st.table(pd.DataFrame([{"Where": p.where or "the whole file",
                                    "Problem": p.message} for p in report.problems]),
                     hide_index=True)
            if not report.fully_checked:
                st.caption("Fix these and check again: a document is made from the template "
                           "as a last check once the file and its tags are right.")
