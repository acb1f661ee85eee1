"""Themes: what keeps coming up across stored SFO reviews, by unit and period.

The report is counted in the background (``ui/components/jobs.py``): with
many reviews the grouping of learning takes seconds, and nobody's session
waits for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import NamedTuple

import altair as alt
import pandas as pd
import streamlit as st

from sfo.domain import themes as th
from sfo.domain.access import Actor
from sfo.domain.themes import ThemesReport
from sfo.services import admin, reviews, themes
from ui.components import feedback, jobs, session

JOB = "sfo_job_th_report"
REPORT = "sfo_th_report"      # (filters, units, report) of the last report counted
STARTED = "sfo_th_started"    # the filters the job running now was started with
FAILED = "sfo_th_failed"      # filters whose counting failed: not started again by itself
ALL = "All units"


class Filters(NamedTuple):
    """What the report is counted over."""

    pdu: str | None
    start: date | None
    end: date | None
    final_only: bool


def count(filters: Filters, actor: Actor, progress: Callable[[str], None]
          ) -> tuple[Filters, list[str], ThemesReport]:
    """The units with reviews and the report (runs in a worker thread: no Streamlit here)."""
    progress("Reading the stored reviews")
    units = sorted({unit for *_, unit in reviews.every_review(actor=actor) if unit})
    progress("Counting the factors and findings, and grouping the learning")
    report = themes.across_reviews(pdu=filters.pdu, start=filters.start, end=filters.end,
                                   final_only=filters.final_only, actor=actor)
    return filters, units, report


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


user = session.user()
st.title("Themes")
st.write("What keeps coming up across stored SFO reviews: the contributory factors they "
         "named, the gaps in practice they found, their overall judgements, a trend by "
         "quarter and the learning grouped by the words it shares. Counts are of reviews, and "
         "restricted factors (such as personal circumstances) are only ever counted, never "
         "described.")
if user.pdus:
    st.caption("You see the reviews of your units only: " + ", ".join(user.pdus) + ".")

job = st.session_state.get(JOB)
if isinstance(job, jobs.Job) and not job.running:
    finished, value = jobs.result(JOB)     # shows the error if the counting failed
    if value is None:
        st.session_state[FAILED] = st.session_state.get(STARTED)
    else:
        st.session_state[REPORT] = value
last = st.session_state.get(REPORT)
units: list[str] = last[1] if last else []
a, b, c, d = st.columns([2, 1, 1, 1], vertical_alignment="bottom")
pdu = a.selectbox("Probation delivery unit", [ALL, *units], key="sfo_th_pdu",
                  help="Only the reviews of people in this unit. The units listed are those "
                       "with stored reviews you may see.")
start = b.date_input("From", value=None, min_value=date(2000, 1, 1), format="DD/MM/YYYY",
                     key="sfo_th_from", help="The first day of the period (included). A "
                     "review counts from the day it was finalised, a draft from its as-of "
                     "date.")
end = c.date_input("To", value=None, min_value=date(2000, 1, 1), format="DD/MM/YYYY",
                   key="sfo_th_to", help="The last day of the period (included).")
final_only = d.checkbox("Final reviews only", key="sfo_th_final",
                        help="Leave out reviews that are still drafts.")
filters = Filters(None if pdu == ALL else pdu, start if isinstance(start, date) else None,
                  end if isinstance(end, date) else None, final_only)

if filters.start and filters.end and filters.start > filters.end:
    st.error(f"The period starts on {filters.start:%d %B %Y}, after it ends on "
             f"{filters.end:%d %B %Y}. Change one of the dates.")
    st.stop()

if isinstance(st.session_state.get(JOB), jobs.Job):
    jobs.result(JOB)            # still counting: its progress
elif (last is None or last[0] != filters) and st.session_state.get(FAILED) != filters:
    st.session_state[STARTED] = filters
    jobs.start(JOB, "Counting the themes", functools.partial(count, filters, user))
    jobs.result(JOB)
    st.stop()
if last is None or last[0] != filters:
    if st.session_state.get(FAILED) == filters:
        st.info("The themes could not be counted for these choices. Change them, or count "
                "again.")
        if st.button("Count again", key="sfo_th_again"):
            del st.session_state[FAILED]
            st.rerun()
    st.stop()

report: ThemesReport = last[2]
where = f" in {report.region}" if report.region else ""
period = ""
if report.start and report.end:
    period = f" from {report.start:%d %B %Y} to {report.end:%d %B %Y}"
elif report.start:
    period = f" from {report.start:%d %B %Y} on"
elif report.end:
    period = f" up to {report.end:%d %B %Y}"
kind = "finalised " if filters.final_only else ""
st.subheader(f"Across {plural(report.reviews, kind + 'review')}{where}{period}")
if not report.reviews:
    st.info("No stored review matches these choices. Choose another unit or a longer period."
            if any(filters[:3]) or filters.final_only else
            "There are no stored SFO reviews to look across yet.")
    st.stop()
if report.reviews < th.SMALL_COUNT:
    st.warning(f"Only {plural(report.reviews, 'review')}: with fewer than {th.SMALL_COUNT}, "
               "read every count as an example, not a trend.")

# -- contributory factors -----------------------------------------------------------------------
st.subheader("Contributory factors")
factors = report.factor_frame()
factors["level_label"] = factors["level"].str.capitalize()
bars = alt.Chart(factors).mark_bar().encode(
    x=alt.X("reviews:Q", title="Reviews naming it", axis=alt.Axis(tickMinStep=1)),
    y=alt.Y("title:N", sort=list(factors["title"]), title=None,
            axis=alt.Axis(labelLimit=320, labelOverlap=False)),
    color=alt.Color("level_label:N", title="Level", scale=alt.Scale(scheme="tableau10")),
    tooltip=[alt.Tooltip("title:N", title="Factor"), alt.Tooltip("level_label:N", title="Level"),
             alt.Tooltip("reviews:Q", title="Reviews naming it"),
             alt.Tooltip("hindered:Q", title="Said it hindered"),
             alt.Tooltip("helped:Q", title="Said it helped"),
             alt.Tooltip("systemic:Q", title="Called it systemic")],
).properties(height=alt.Step(28))
st.altair_chart(bars, width="stretch", key="sfo_th_factors_chart")
st.caption("Every kind of factor is listed, including those no review named. A review that "
           "named a kind twice counts once. Point at a bar for how many said it hindered, "
           "helped or was systemic; the table below has the same numbers.")
with st.expander("The factors as a table"):
    st.dataframe(factors[["title", "level_label", "reviews", "hindered", "helped", "systemic"]]
                 .rename(columns={"title": "Factor", "level_label": "Level",
                                  "reviews": "Reviews naming it", "hindered": "Hindered",
                                  "helped": "Helped", "systemic": "Systemic"}),
                 hide_index=True, width="stretch")
st.info(report.restricted_summary, icon=":material/lock:")

# -- the trend by quarter -----------------------------------------------------------------------
st.subheader("By quarter")
trend = report.trend_frame()
if trend.empty:
    st.write("No review in the period named a contributory factor, so there is no trend to "
             "show.")
else:
    trend["column"] = trend["quarter"] + " (" + trend["quarter_reviews"].astype(str) + ")"
    trend["share"] = (trend["reviews"] / trend["quarter_reviews"].where(
        trend["quarter_reviews"] > 0)).astype(float)
    order = [t for t in factors["title"] if t in set(trend["title"])]
    columns = list(dict.fromkeys(trend["column"]))
    base = alt.Chart(trend).encode(
        x=alt.X("column:O", sort=columns, title="Quarter (reviews in it)",
                axis=alt.Axis(labelAngle=0 if len(columns) <= 6 else -45)),
        y=alt.Y("title:N", sort=order, title=None,
                axis=alt.Axis(labelLimit=320, labelOverlap=False)))
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color("share:Q", title="Share of the quarter's reviews",
                        scale=alt.Scale(scheme="blues", domain=[0, 1]),
                        legend=alt.Legend(format="%")),
        tooltip=[alt.Tooltip("quarter:N", title="Quarter"), alt.Tooltip("title:N", title="Factor"),
                 alt.Tooltip("reviews:Q", title="Reviews naming it"),
                 alt.Tooltip("quarter_reviews:Q", title="Reviews in the quarter")])
    labels = base.mark_text(fontSize=13).encode(
        text=alt.Text("reviews:Q"),
        color=alt.condition("datum.share > 0.6", alt.value("white"), alt.value("black")))
    st.altair_chart((cells + labels).properties(height=alt.Step(34)),
                    width="stretch", key="sfo_th_trend_chart")
    quiet = [q for q, n in report.quarters if 0 < n < th.SMALL_COUNT]
    st.caption("Each cell is the number of reviews in the quarter that named the factor; the "
               "darker, the larger its share of that quarter's reviews. Q1 is January to "
               "March. Quarters with no reviews are shown with zeros."
               + (f" {len(quiet)} of the {len(report.quarters)} quarters had fewer than "
                  f"{th.SMALL_COUNT} reviews: a rise or fall there means little."
                  if quiet else ""))

# -- findings and judgements --------------------------------------------------------------------
left, right = st.columns([3, 2])
with left:
    st.subheader("Gaps in practice by rule")
    found = report.finding_frame()
    if found.empty:
        st.write("No review recorded a key episode with a gap under a practice-standard rule.")
    else:
        st.dataframe(found.rename(columns={"rule_id": "Rule",
                                           "reviews": "Reviews with a gap under it"}),
                     hide_index=True, width="stretch",
                     column_config={"Reviews with a gap under it": st.column_config
                                    .ProgressColumn(format="%d", min_value=0,
                                                    max_value=report.reviews)})
        st.caption("Gaps a reviewer added without a rule, and good practice, are not counted "
                   "here.")
with right:
    st.subheader("Overall judgements")
    st.write("Were all reasonable steps taken?")
    said = dict(report.judgements)
    for label, key in (("Yes", "yes"), ("Partly", "partly"), ("No", "no"),
                       ("No judgement yet", th.NOT_JUDGED)):
        st.markdown(f"**{said.get(key, 0):,}** {label}")

# -- learning -----------------------------------------------------------------------------------
st.subheader("Learning, grouped by the words it shares")
st.caption("A reading aid, not a finding: the grouping only knows which words pieces of "
           "learning share. Read the learning in a theme before saying what it is about.")
if not report.themes:
    st.write("The reviews hold no learning yet.")
for n, theme in enumerate(report.themes):
    items = len(theme.items)
    with st.expander(f"{theme.label}: {plural(items, 'piece')} of learning from "
                     f"{plural(theme.reviews, 'review')}", expanded=n == 0):
        st.table(pd.DataFrame([{"Learning": i.text, "Level": i.level.capitalize(),
                                "Review": str(i.review_id)} for i in theme.items]),
                 hide_index=True)

# -- downloads ----------------------------------------------------------------------------------
st.subheader("Download")
st.write("Each table as a spreadsheet (CSV). Text that a spreadsheet would run as a formula "
         "starts with an apostrophe.")
stem = "themes" + (f"-{report.region}" if report.region else "") + (
    f"-from-{report.start.isoformat()}" if report.start else "") + (
    f"-to-{report.end.isoformat()}" if report.end else "")
stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in stem)
buttons = st.columns(len(admin.THEMES_TABLES))
for column, (table, label) in zip(buttons, admin.THEMES_TABLES.items(), strict=True):
    with feedback.reported():
        column.download_button(label, data=functools.partial(admin.themes_csv, report, table),
                               file_name=f"{stem}-{table}.csv", mime="text/csv",
                               on_click="ignore", key=f"sfo_th_download_{table}",
                               icon=":material/download:")
