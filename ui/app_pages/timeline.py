"""Timeline: the case's chronology as a chart and a table, as it was known on a date."""

from __future__ import annotations

import functools
from datetime import date

import streamlit as st

from sfo.domain.records import CaseRecords
from sfo.services import analysis, chronology
from ui.components import case_data, feedback, session, timeline_chart

VIEWS = ("Chart", "Table", "Chart and table")
_CACHE = "sfo_tl_data"
FOCUS = "sfo_tl_focus"   # a record id another page asked to show (the early look sets it)

st.title("Timeline")
crn = case_data.require_case("timeline")


def timeline_data(records: CaseRecords, crn: str,
                  known_on: date | None) -> chronology.TimelineData:
    """The case's lanes as known on a date, kept for the session so reruns reuse them."""
    cache: dict[tuple[str, int, date | None], chronology.TimelineData] = (
        st.session_state.setdefault(_CACHE, {}))
    key = (crn, id(records), known_on)
    if key not in cache:
        if len(cache) >= 6:  # a few dates of one case; never the whole session's history
            cache.clear()
        made = chronology.lanes(records, crn, known_on=known_on)
        cache[key] = made
        cache[(crn, id(records), made.known_on)] = made
    return cache[key]


def entries(n: int) -> str:
    return f"{n:,} {'entry' if n == 1 else 'entries'}"


if crn:
    user = session.user()
    with feedback.reported():
        records = case_data.records(crn, "timeline")
        default = timeline_data(records, crn, None)
        people = records.table("people")
        name = str(next(iter(people.loc[people["crn"] == crn, "name"].dropna()), "") or "")
        st.write(f"Everything recorded for **{name or crn}** ({crn}), one lane for each kind of "
                 "entry, with the rules' findings at the top and the practitioner's workload "
                 "underneath. Risk of serious harm (RoSH) levels come from each completed "
                 "assessment. Practice is judged on what was known at the time: choose a "
                 "'known on' date to see only what had been recorded by then.")
        if default.empty:
            st.info(f"Nothing is recorded for {crn} yet: no contacts, assessments, "
                    "registrations or allocations. Import a bundle that holds them on the "
                    "Cases page.")
            st.stop()

        source = ("the date of the charge" if default.as_of_source != "today"
                  else "today, as no charge is recorded")
        first = min(d for d in (default.first_date, default.as_of) if d is not None)
        last = max(d for d in (default.last_date, default.as_of) if d is not None)
        left, right = st.columns([1, 2])
        with left:
            known_on = st.date_input(
                "Known on", value=default.as_of, min_value=first, max_value=last,
                format="DD/MM/YYYY", key=f"sfo_tl_known_on_{crn}",
                help=f"Only what was recorded on or before this date is shown. It starts at "
                     f"the case's as-of date, {analysis.long_date(default.as_of)} ({source}).")
        with right:
            view = st.radio("Show", VIEWS, horizontal=True, key="sfo_tl_view",
                            help="The chart gives the shape of the case; the table lists "
                                 "every entry and can be downloaded.")
        with st.expander("Filter the lanes and kinds of entry"):
            lanes = st.multiselect("Lanes to show", chronology.LANES, key="sfo_tl_lanes",
                                   placeholder="All lanes",
                                   help="Leave empty to show every lane.")
            kinds = st.multiselect("Kinds of entry to show",
                                   list(chronology.CATEGORY_LABELS.values()),
                                   key="sfo_tl_kinds", placeholder="All kinds of entry",
                                   help="Leave empty to show every kind. Findings are "
                                        "always shown while their lane is.")
        chosen = known_on if isinstance(known_on, date) else default.as_of
        data = default if chosen == default.known_on else timeline_data(records, crn, chosen)
        shown = chronology.filtered(data, lanes=lanes or None, categories=kinds or None)

        when = analysis.long_date(data.known_on)
        if len(data.table) == 0:
            st.warning(f"Nothing had been recorded by {when}. The {entries(data.hidden)} "
                       "recorded after it are hidden: choose a later date.")
            st.stop()
        said = (f"Showing {len(shown.table):,} of the {entries(len(data.table))} "
                f"recorded up to {when}" if lanes or kinds
                else f"Showing the {entries(len(data.table))} recorded up to {when}")
        hidden = (f" {entries(data.hidden).capitalize()} recorded after {when} "
                  f"{'is' if data.hidden == 1 else 'are'} hidden." if data.hidden
                  else " Nothing recorded after it is hidden.")
        st.markdown(f"{said}.{hidden}")

        focus = st.session_state.get(FOCUS)
        if focus:
            picked = data.table[data.table["record_id"].astype(str) == str(focus)]
            with st.container(border=True):
                if len(picked):
                    st.markdown(f"**Record {focus}**, opened from the early look:")
                    st.dataframe(chronology.readable(picked), hide_index=True,
                                 width="stretch", key="sfo_tl_focus_table",
                                 column_config={"Date": st.column_config.DateColumn(
                                     format="D MMM YYYY")})
                else:
                    st.markdown(f"Record {focus}, opened from the early look, was not "
                                f"recorded by {when}: choose a later 'known on' date.")
                if st.button("Done with this record", key="sfo_tl_focus_clear"):
                    del st.session_state[FOCUS]
                    st.rerun()

        if view in ("Chart", "Chart and table"):
            drawn = timeline_chart.chart(shown, lanes or chronology.LANES)
            if drawn is None:
                st.info("Nothing to draw with these filters. Choose more lanes or kinds of "
                        "entry.")
            else:
                st.altair_chart(drawn, width="stretch", key="sfo_tl_chart",
                                alt=f"Timeline of {crn} up to {when}: "
                                    f"{entries(len(shown.table))} in lanes, findings at the "
                                    "top, workload underneath. The table view lists the "
                                    "same entries.")
                start = timeline_chart.chart_start(shown)
                earlier = int((shown.table["date"] < start).sum())
                note = (f" {entries(earlier).capitalize()} from before the case began "
                        "(training and supervision) are in the table." if earlier else "")
                st.caption("Point at a mark for its details. Drag the chart to move along "
                           "it, hold Shift and scroll to zoom, double-click to go back. The "
                           "table view lists the same entries in words." + note)
            with st.expander(f"Findings up to {when} ({len(data.findings)})"):
                if len(data.findings):
                    st.dataframe(
                        data.findings[["date", "rule_id", "kind_label", "summary"]].rename(
                            columns={"date": "Date", "rule_id": "Rule",
                                     "kind_label": "Kind", "summary": "Finding"}),
                        hide_index=True, width="stretch",
                        column_config={"Date": st.column_config.DateColumn(
                            format="D MMM YYYY")})
                else:
                    st.write("The rules found nothing up to this date.")
                if data.undated_findings:
                    st.caption(f"{data.undated_findings} findings have no date and are not "
                               "drawn; the early look lists them.")

        if view in ("Table", "Chart and table"):
            st.dataframe(chronology.readable(shown.table), hide_index=True, width="stretch",
                         column_config={"Date": st.column_config.DateColumn(
                             format="D MMM YYYY")}, key="sfo_tl_table")

        st.write("Download the entries shown, as a spreadsheet. Text that a spreadsheet "
                 "would run as a formula starts with an apostrophe.")
        a, b, _ = st.columns([1, 1, 2])
        for column, fmt, mime in (
                (a, "csv", "text/csv"),
                (b, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
            column.download_button(
                f"Download as {fmt.upper()}",
                data=functools.partial(chronology.export, shown.table, fmt, crn=crn,
                                       known_on=data.known_on, actor=user),
                file_name=f"timeline-{crn}-{data.known_on.isoformat()}.{fmt}", mime=mime,
                on_click="ignore", key=f"sfo_tl_download_{fmt}", icon=":material/download:")
