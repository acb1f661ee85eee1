"""The chronology: one ordered, de-duplicated timeline per person.

Contacts, assessments, registrations, allocations, sentences and licences
become dated entries; so does the working context of each practitioner while
they held the case (workload weeks, training, supervision). ``known_on``
keeps what was recorded on or before a date: the view a practitioner had
at the time, which is what practice is judged on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from sfo.domain.records import CaseRecords

TIMELINE_COLUMNS = [
    "crn", "date", "time", "source", "category", "record_id", "code", "title", "detail",
    "staff_code", "sensitive",
]
FAR_FUTURE = pd.Timestamp("2200-01-01")

# Order of sources on the same day and time: the sentence before what follows it.
SOURCE_ORDER = {"event": 0, "allocation": 1, "registration": 2, "assessment": 3,
                "contact": 4, "workload": 5, "training": 6, "supervision": 7}

CATEGORIES: dict[str, tuple[str, ...]] = {
    "appointment": ("COAI", "COHV", "COTI", "COAP", "COPT", "COVC", "CHVS", "C084", "C444",
                    "IOHV"),
    "oversight": ("C002", "MO1", "MO3", "MO5", "C416", "CSPO", "SPOD03", "RROD"),
    "mappa/marac": ("CCMM", "CCMR", "C005"),
    "police": ("C204", "C369", "C515", "CARR", "CNOC"),
    "safeguarding": ("SFGC", "SFRR", "C158", "C078"),
    "assessment": ("C004", "C057", "CSPR"),
    "enforcement": ("AWLI", "AWL2", "AWLF", "AWLS", "AIBR", "ABRQ", "ARWS"),
    "recall": ("C041", "RECI", "C286", "C421", "C288", "PPCS", "ERCL", "RECDI", "MRD01",
               "SPOD02"),
    "lifecycle": ("EREL", "ECOM", "ETER", "ROC", "ERGN"),
}


def contact_categories(codes: pd.Series) -> np.ndarray:
    """The timeline category of each contact type code ('other' when unknown)."""
    lookup = {code: cat for cat, codes_ in CATEGORIES.items() for code in codes_}
    return codes.map(lookup).fillna("other").to_numpy(dtype=object)


def _frame(**cols: object) -> pd.DataFrame:
    df = pd.DataFrame(cols)
    for col in TIMELINE_COLUMNS:
        if col not in df.columns:
            df[col] = None
    return df[TIMELINE_COLUMNS]


def build_timeline(records: CaseRecords, crns: Iterable[str] | None = None) -> pd.DataFrame:
    """The chronology for some people (all when ``crns`` is None), oldest first."""
    if crns is not None:
        records = records.for_people(list(crns))
    parts = []

    c = records.table("contacts")
    if len(c):
        detail = c["outcome_code"].fillna("")
        detail = detail.where(c["enforcement_code"].isna(),
                              detail + " / enforcement " + c["enforcement_code"].fillna(""))
        cat = contact_categories(c["type_code"])
        cat = np.where(c["enforcement_code"].notna() & (cat == "appointment"), "appointment",
                       cat)
        parts.append(_frame(
            crn=c["crn"].to_numpy(), date=c["contact_date"].to_numpy(),
            time=c["contact_time"].to_numpy(), source="contact", category=cat,
            record_id=c["record_id"].to_numpy(), code=c["type_code"].to_numpy(),
            title=c["type_description"].fillna(c["type_code"]).to_numpy(),
            detail=(detail.str.strip(" /") + np.where(c["notes"].notna(), "\n", "")
                    + c["notes"].fillna("")).str.strip().to_numpy(),
            staff_code=c["staff_code"].to_numpy(), sensitive=c["sensitive"].to_numpy()))

    e = records.table("events")
    if len(e):
        label = e["sentence_type"].str.replace("_", " ")
        parts.append(_frame(
            crn=e["crn"].to_numpy(), date=e["sentence_date"].to_numpy(), source="event",
            category="sentence", record_id=e["record_id"].to_numpy(),
            code=e["sentence_type"].to_numpy(), title=("Sentenced: " + label).to_numpy(),
            detail=(e["index_offence"].fillna("") + np.where(
                e["requirements"].fillna("") != "", "; requirements: ", "")
                + e["requirements"].fillna("")).to_numpy()))
        rel = e[e["release_date"].notna()]
        parts.append(_frame(
            crn=rel["crn"].to_numpy(), date=rel["release_date"].to_numpy(), source="event",
            category="sentence", record_id=rel["record_id"].to_numpy(), code="release",
            title="Released from custody: supervision on licence begins",
            detail=rel["index_offence"].fillna("").to_numpy()))
        term = e[e["terminated_date"].notna()]
        parts.append(_frame(
            crn=term["crn"].to_numpy(), date=term["terminated_date"].to_numpy(),
            source="event", category="sentence", record_id=term["record_id"].to_numpy(),
            code="terminated", title="Order or licence terminated", detail=""))

    a = records.table("assessments")
    if len(a):
        levels = a["rosh_overall"].fillna("not recorded").str.replace("_", " ").str.lower()
        status = a["status"].fillna("")
        done = a["completed_date"].notna()
        parts.append(_frame(
            crn=a["crn"].to_numpy(), date=a["completed_date"].fillna(a["initiated_date"])
            .to_numpy(), source="assessment", category="assessment",
            record_id=a["record_id"].to_numpy(), code=a["assessment_type"].to_numpy(),
            title=np.where(done, a["assessment_type"] + " completed",
                           a["assessment_type"] + " started (not completed)"),
            detail=("Overall RoSH " + levels + np.where(status != "", " (" + status + ")", ""))
            .to_numpy(), staff_code=a["staff_code"].to_numpy()))

    r = records.table("registrations")
    if len(r):
        lvl = r["level"].fillna("")
        parts.append(_frame(
            crn=r["crn"].to_numpy(), date=r["registered_date"].to_numpy(),
            source="registration", category="registration", record_id=r["record_id"].to_numpy(),
            code=r["type_code"].to_numpy(),
            title=("Registered: " + r["type_code"] + np.where(lvl != "", " " + lvl, "")).to_numpy(),
            detail=np.where(r["next_review_date"].notna(),
                            "Next review " + r["next_review_date"].dt.strftime("%Y-%m-%d")
                            .fillna(""), "")))
        dereg = r[r["deregistered_date"].notna()]
        parts.append(_frame(
            crn=dereg["crn"].to_numpy(), date=dereg["deregistered_date"].to_numpy(),
            source="registration", category="registration",
            record_id=dereg["record_id"].to_numpy(), code=dereg["type_code"].to_numpy(),
            title=("Deregistered: " + dereg["type_code"]).to_numpy(), detail=""))

    al = records.table("allocations")
    if len(al):
        unalloc = al["staff_code"].str.endswith("U")
        parts.append(_frame(
            crn=al["crn"].to_numpy(), date=al["allocated_from"].to_numpy(),
            source="allocation", category="allocation", record_id=al["record_id"].to_numpy(),
            code=al["reason_code"].to_numpy(),
            title=np.where(unalloc, "Unallocated (" + al["staff_code"] + ")",
                           "Allocated to " + al["staff_code"]),
            detail=np.where(al["allocated_to"].notna(),
                            "Until " + al["allocated_to"].dt.strftime("%Y-%m-%d").fillna(""),
                            "Current"),
            staff_code=al["staff_code"].to_numpy()))
        parts.extend(_working_context(records, al[~unalloc]))

    parts = [p for p in parts if len(p)]
    if not parts:
        return _frame()
    tl = pd.concat(parts, ignore_index=True)
    tl["date"] = pd.to_datetime(tl["date"])
    tl["sensitive"] = tl["sensitive"].fillna(False).astype(bool)
    tl = tl.drop_duplicates(["crn", "date", "time", "source", "code", "title", "detail"])
    tl["_order"] = tl["source"].map(SOURCE_ORDER)
    tl = tl.sort_values(["crn", "date", "time", "_order", "record_id"], kind="stable",
                        na_position="first")
    return tl.drop(columns="_order").reset_index(drop=True)


def _working_context(records: CaseRecords, spells: pd.DataFrame) -> list[pd.DataFrame]:
    """Workload, training and supervision of practitioners while they held the case."""
    s = spells[["crn", "staff_code", "allocated_from", "allocated_to"]].assign(
        until=spells["allocated_to"].fillna(FAR_FUTURE))
    out = []
    w = records.table("workload")
    if len(w):
        m = s.merge(w, on="staff_code")
        m = m[(m["week_start"] + pd.Timedelta(days=6) >= m["allocated_from"])
              & (m["week_start"] <= m["until"])]
        cl = m["caseload_count"].map(lambda v: "" if pd.isna(v) else f", caseload {v:g}")
        out.append(_frame(
            crn=m["crn"].to_numpy(), date=m["week_start"].to_numpy(), source="workload",
            category="working context", record_id=m["record_id"].to_numpy(),
            code="WMT", title=("Workload week: " + m["staff_code"]).to_numpy(),
            detail=(m["capacity_pct"].map(lambda v: f"{v:g}% capacity") + cl).to_numpy(),
            staff_code=m["staff_code"].to_numpy()))
    t = records.table("training")
    if len(t):
        m = s.merge(t[t["status_date"].notna()], on="staff_code")
        m = m[m["status_date"] <= m["until"]]
        out.append(_frame(
            crn=m["crn"].to_numpy(), date=m["status_date"].to_numpy(), source="training",
            category="working context", record_id=m["record_id"].to_numpy(),
            code=m["course_code"].to_numpy(),
            title=("Training " + m["status"].str.replace("_", " ") + ": "
                   + m["course_title"].fillna(m["course_code"])).to_numpy(),
            detail=m["staff_code"].to_numpy(), staff_code=m["staff_code"].to_numpy()))
    sv = records.table("supervision")
    if len(sv):
        m = s.merge(sv, on="staff_code")
        m = m[(m["supervision_date"] >= m["allocated_from"])
              & (m["supervision_date"] <= m["until"])]
        out.append(_frame(
            crn=m["crn"].to_numpy(), date=m["supervision_date"].to_numpy(),
            source="supervision", category="working context",
            record_id=m["record_id"].to_numpy(), code=m["kind"].to_numpy(),
            title=("Supervision (" + m["kind"].str.replace("_", " ") + "): "
                   + m["staff_code"]).to_numpy(),
            detail=("Supervisor " + m["supervisor_code"].fillna("not recorded")).to_numpy(),
            staff_code=m["staff_code"].to_numpy()))
    return out


def known_on(timeline: pd.DataFrame, when: date) -> pd.DataFrame:
    """Entries recorded on or before a date: what could have been known then."""
    return timeline[timeline["date"] <= pd.Timestamp(when)]


def episodes(records: CaseRecords, crn: str | None = None) -> pd.DataFrame:
    """Sentence and licence episodes: start (release for licences), end, type, offence."""
    e = records.table("events")
    if crn is not None:
        e = e[e["crn"] == crn]
    post = e["sentence_type"].isin(["licence", "post_sentence_supervision"])
    start = e["sentence_date"].where(~(post & e["release_date"].notna()), e["release_date"])
    end = e["terminated_date"].fillna(e["expected_end_date"])
    return pd.DataFrame({
        "crn": e["crn"].to_numpy(), "event_id": e["event_id"].to_numpy(),
        "sentence_type": e["sentence_type"].to_numpy(), "sentence_date": e["sentence_date"],
        "start": start.to_numpy(), "end": end.to_numpy(),
        "terminated": e["terminated_date"].notna().to_numpy(),
        "index_offence": e["index_offence"].to_numpy(),
        "requirements": e["requirements"].to_numpy(),
    }).sort_values(["crn", "start"], kind="stable").reset_index(drop=True)


def allocation_spells(records: CaseRecords, crn: str, *, until: date) -> pd.DataFrame:
    """Who held the case when, including unallocated spells (explicit or gaps)."""
    al = records.table("allocations")
    al = al[al["crn"] == crn].sort_values(["allocated_from", "record_id"], kind="stable")
    end = pd.Timestamp(until)
    rows: list[dict[str, object]] = []
    covered_to: pd.Timestamp | None = None
    for frm, to, code, rid in zip(al["allocated_from"], al["allocated_to"], al["staff_code"],
                                  al["record_id"], strict=True):
        if frm > end:
            break
        stop = end if pd.isna(to) else min(to, end)
        if covered_to is not None and frm > covered_to + pd.Timedelta(days=1):
            rows.append({"from": covered_to + pd.Timedelta(days=1),
                         "to": frm - pd.Timedelta(days=1), "staff_code": None,
                         "allocated": False, "record_id": None})
        rows.append({"from": frm, "to": stop, "staff_code": code,
                     "allocated": not str(code).endswith("U"), "record_id": rid})
        covered_to = stop if covered_to is None else max(covered_to, stop)
    if covered_to is not None and covered_to < end:
        rows.append({"from": covered_to + pd.Timedelta(days=1), "to": end, "staff_code": None,
                     "allocated": False, "record_id": None})
    return pd.DataFrame(rows, columns=["from", "to", "staff_code", "allocated", "record_id"])
