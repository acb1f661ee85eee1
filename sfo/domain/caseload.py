"""A sampling frame built from case records: one row per person, for a dip sample.

Columns (the data contract's usual frame columns): crn, staff_code and
team_code of the current holder, pdu, rosh_level (latest completed
assessment), sentence_type and start_date of the latest sentence or licence,
and last_audited_date (empty: the records do not say).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from sfo.domain.records import CaseRecords

COLUMNS = ("crn", "staff_code", "team_code", "pdu", "rosh_level", "sentence_type",
           "start_date", "last_audited_date")


def caseload_frame(records: CaseRecords, *, as_of: date) -> pd.DataFrame:
    """One row per person with the columns a dip sample stratifies and filters by."""
    cut = pd.Timestamp(as_of)
    people = records.table("people")[["crn", "pdu", "team_code"]].copy()
    out = people.set_index("crn")
    ev = records.table("events")
    ev = ev.assign(start=ev["release_date"].where(ev["sentence_type"] == "licence")
                   .fillna(ev["sentence_date"]))
    ev = ev[ev["start"] <= cut].sort_values(["crn", "start"], kind="stable")
    latest = ev.drop_duplicates("crn", keep="last").set_index("crn")
    out["sentence_type"] = latest["sentence_type"].reindex(out.index)
    out["start_date"] = latest["start"].reindex(out.index).dt.strftime("%Y-%m-%d")
    al = records.table("allocations")
    al = al[(al["allocated_from"] <= cut)
            & (al["allocated_to"].isna() | (al["allocated_to"] >= cut))]
    al = al.sort_values(["crn", "allocated_from"], kind="stable").drop_duplicates(
        "crn", keep="last").set_index("crn")
    out["staff_code"] = al["staff_code"].reindex(out.index)
    staff = records.table("staff").drop_duplicates("staff_code").set_index("staff_code")
    holder_team = staff["team_code"].reindex(out["staff_code"]).to_numpy()
    out["team_code"] = pd.Series(holder_team, index=out.index).fillna(out["team_code"])
    a = records.table("assessments")
    a = a[a["completed_date"].notna() & (a["completed_date"] <= cut)]
    a = a.sort_values(["crn", "completed_date"], kind="stable").drop_duplicates(
        "crn", keep="last").set_index("crn")
    out["rosh_level"] = a["rosh_overall"].reindex(out.index)
    out["last_audited_date"] = ""
    frame = out.reset_index()[list(COLUMNS)]
    return frame.astype(object).where(frame.notna(), "").sort_values("crn", kind="stable")
