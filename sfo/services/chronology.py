"""The Timeline page's data: one person's chronology as lanes, spells and findings.

:func:`lanes` turns a case's records into what the Timeline chart draws and
the table lists, as it stood on a *known-on* date: everything recorded after
that date is left out (the semantics of :func:`sfo.domain.timeline.known_on`),
spells still open on it end on it, and the findings are the rules' findings
as of it. Each frame is built with column operations, never a Python loop per
entry, so a case of 5,000 entries costs about what a case of 100 does.

:func:`export_csv` and :func:`export_xlsx` write the table for a spreadsheet
with formulas neutralised; :func:`export` does the same for someone signed
in and records the download in the audit log.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from sfo import bootstrap
from sfo.documents import exports
from sfo.domain import access
from sfo.domain import timeline as tl
from sfo.domain.access import Actor
from sfo.domain.findings import Finding
from sfo.domain.records import CaseRecords
from sfo.errors import InputError
from sfo.services import analysis, audit

__all__ = [
    "ALLOCATION",
    "APPOINTMENTS",
    "ASSESSMENTS",
    "CATEGORY_LABELS",
    "ENFORCEMENT",
    "FINDINGS",
    "FINDING_KINDS",
    "GRADE_WORDS",
    "LANES",
    "OTHER_CONTACTS",
    "OTHER_RECORD",
    "OUTCOME_GROUPS",
    "REGISTRATIONS",
    "SENTENCE",
    "SPAN_COLUMNS",
    "SPAN_KINDS",
    "TABLE_COLUMNS",
    "TABLE_HEADINGS",
    "TOOLTIP_CHARS",
    "WORKING",
    "WORKLOAD",
    "TimelineData",
    "export",
    "export_csv",
    "export_xlsx",
    "filtered",
    "lanes",
    "long_dates",
    "outcome_groups",
    "readable",
    "register_names",
]

FINDINGS = "Findings"
SENTENCE = "Sentence"
ALLOCATION = "Allocation"
APPOINTMENTS = "Appointments"
ENFORCEMENT = "Enforcement and recall"
OTHER_CONTACTS = "Other contacts"
ASSESSMENTS = "Assessments and RoSH"
REGISTRATIONS = "Registrations"
WORKING = "Supervision and training"
WORKLOAD = "Workload"
# Top to bottom, as the chart draws them (workload is a panel of its own under the lanes).
LANES: tuple[str, ...] = (FINDINGS, SENTENCE, ALLOCATION, APPOINTMENTS, ENFORCEMENT,
                          OTHER_CONTACTS, ASSESSMENTS, REGISTRATIONS, WORKING, WORKLOAD)

# What happened at an appointment, in plain words, from its outcome code.
OUTCOME_GROUPS: tuple[str, ...] = (
    "attended", "failed to comply", "missed (unacceptable)", "missed (acceptable)",
    "rescheduled", "no outcome recorded", "other outcome",
)
OTHER_RECORD = "other record"   # the colour group of every entry that is not an appointment
_ATTENDED = ("ATTC", "APPK", "ATSS", "AFDA", "CO01")
_FAILED = ("AFTC", "ATSH")
_MISSED = ("UAAB", "AFTA", "ABNS")
_RESCHEDULED = ("RSSR", "RSOF")
_ACCEPTABLE_EXTRA = ("CO05",)   # besides every AA.. code

SPAN_KINDS: tuple[str, ...] = (
    "order or licence", "allocated", "unallocated", "RoSH low", "RoSH medium", "RoSH high",
    "RoSH very high", "RoSH not recorded", "registration",
)
FINDING_KINDS = {"gap": "gap in practice", "context": "working context",
                 "good_practice": "good practice"}
CATEGORY_LABELS = {
    "appointment": "appointment", "oversight": "management oversight",
    "mappa/marac": "MAPPA or MARAC meeting", "police": "police",
    "safeguarding": "safeguarding", "assessment": "assessment or plan",
    "enforcement": "enforcement", "recall": "recall", "lifecycle": "start, end or change",
    "other": "other contact", "sentence": "sentence or licence", "registration": "registration",
    "allocation": "allocation", "working context": "workload, supervision or training",
}
TABLE_COLUMNS = ["date", "time", "lane", "category", "title", "detail", "outcome", "code",
                 "record_id", "staff_code", "sensitive"]
TABLE_HEADINGS = {"date": "Date", "time": "Time", "lane": "Lane", "category": "Kind of entry",
                  "title": "What was recorded", "detail": "Detail",
                  "outcome": "Appointment outcome", "code": "Code", "record_id": "Record",
                  "staff_code": "Staff", "sensitive": "Sensitive"}
GRADE_WORDS = {"PSO": "probation services officer", "PQIP": "trainee probation officer",
               "PO": "probation officer", "SPO": "senior probation officer", "OTHER": "other grade"}
TOOLTIP_CHARS = 200
_INCOMPLETE = ("IN_PROGRESS", "LOCKED_INCOMPLETE")
_WORKING_SOURCES = ("workload", "training", "supervision")


@dataclass(frozen=True)
class TimelineData:
    """One person's chronology as the Timeline page shows it on a known-on date.

    ``points``: lane, date, date_text, title, group (outcome group or
    'other record'), category, detail (short), code, record_id, staff_code.
    ``spans``: lane, start, end, label, kind, track, category, detail,
    record_id, from_text, to_text, open (still running on the known-on date).
    ``workload``: week_start, week_text, capacity_pct, caseload, staff_code,
    over_limit. ``findings``: lane, date, date_text, rule_id, kind, kind_label,
    severity, summary, evidence. ``table``: the chronology rows up to the
    known-on date (:data:`TABLE_COLUMNS`).
    """

    crn: str
    as_of: date                 # the case's own as-of date: the charge, else today
    as_of_source: str
    known_on: date
    points: pd.DataFrame
    spans: pd.DataFrame
    workload: pd.DataFrame
    findings: pd.DataFrame
    table: pd.DataFrame
    hidden: int                 # entries recorded after known_on, left out
    undated_findings: int       # findings with no date (not drawn)
    first_date: date | None     # the earliest entry of the whole record (before any cut)
    last_date: date | None      # the latest entry of the whole record

    @property
    def total(self) -> int:
        """Every entry of the case's chronology, shown or hidden."""
        return len(self.table) + self.hidden

    @property
    def empty(self) -> bool:
        """Whether the case has nothing recorded at all."""
        return self.total == 0

    def lanes_present(self) -> list[str]:
        """The lanes holding something, in chart order."""
        used = (set(self.points["lane"]) | set(self.spans["lane"])
                | ({WORKLOAD} if len(self.workload) else set())
                | ({FINDINGS} if len(self.findings) else set()))
        return [lane for lane in LANES if lane in used]


def lanes(records: CaseRecords, crn: str, *, known_on: date | None = None) -> TimelineData:
    """The chart lanes, spells, workload, findings and table of one person, as known on a date.

    ``known_on`` defaults to the case's as-of date (the first charge
    contact, else today), as the findings do.
    """
    report = analysis.findings_for(records, crn=crn, as_of=known_on)
    (case,) = report.cases
    when = known_on or case.as_of
    cut = pd.Timestamp(when)
    one = records.for_people([crn])
    full = tl.build_timeline(one, [crn])
    shown = tl.known_on(full, when).reset_index(drop=True)
    table = _table(one, shown)
    findings, undated = _findings(case.findings, cut)
    first = full["date"].min() if len(full) else None
    last = full["date"].max() if len(full) else None
    return TimelineData(
        crn=crn, as_of=case.as_of, as_of_source=case.as_of_source, known_on=when,
        points=_points(table), spans=_spans(one, crn, cut),
        workload=_workload(one, shown), findings=findings, table=table,
        hidden=len(full) - len(shown), undated_findings=undated,
        first_date=None if first is None else pd.Timestamp(first).date(),
        last_date=None if last is None else pd.Timestamp(last).date())


def filtered(data: TimelineData, *, lanes: Iterable[str] | None = None,
             categories: Iterable[str] | None = None) -> TimelineData:
    """The same data keeping only some lanes and kinds of entry (None keeps all)."""
    keep_lanes = set(LANES if lanes is None else lanes)
    kinds = None if categories is None else set(categories)

    def pick(frame: pd.DataFrame, lane: pd.Series | str) -> pd.DataFrame:
        mask = (frame["lane"].isin(keep_lanes) if isinstance(lane, pd.Series)
                else pd.Series(lane in keep_lanes, index=frame.index))
        if kinds is not None and "category" in frame:
            mask &= frame["category"].isin(kinds)
        return frame[mask]

    workload = data.workload if WORKLOAD in keep_lanes and (
        kinds is None or CATEGORY_LABELS["working context"] in kinds) else data.workload.iloc[:0]
    return replace(data, points=pick(data.points, data.points["lane"]),
                   spans=pick(data.spans, data.spans["lane"]),
                   findings=pick(data.findings, FINDINGS), workload=workload,
                   table=pick(data.table, data.table["lane"]))


# -- the table and the points ------------------------------------------------

def _by_id(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column of a table indexed by record id (the first row of a repeated id)."""
    unique = frame.drop_duplicates("record_id")
    return pd.Series(unique[column].to_numpy(), index=unique["record_id"].to_numpy())


def _table(one: CaseRecords, shown: pd.DataFrame) -> pd.DataFrame:
    """The chronology rows with their lane, plain-word kind and appointment outcome."""
    if shown.empty:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else
                                          bool if c == "sensitive" else object)
                             for c in TABLE_COLUMNS})
    source = shown["source"].astype(str)
    category = shown["category"].astype(str)
    contact = (source == "contact").to_numpy()
    c = one.table("contacts")
    ids = shown["record_id"].astype(str)
    outcome_code = ids.map(_by_id(c, "outcome_code")).where(contact)
    national = ids.map(_by_id(c, "national_standard")).eq(True).to_numpy()
    appointment = contact & (national | (category == "appointment").to_numpy())
    lane = np.select(
        [appointment, contact & category.isin(["enforcement", "recall"]).to_numpy(), contact,
         (source == "event").to_numpy(), (source == "assessment").to_numpy(),
         (source == "registration").to_numpy(), (source == "allocation").to_numpy(),
         (source == "workload").to_numpy()],
        [APPOINTMENTS, ENFORCEMENT, OTHER_CONTACTS, SENTENCE, ASSESSMENTS, REGISTRATIONS,
         ALLOCATION, WORKLOAD], default=WORKING).astype(object)
    outcome = np.where(appointment, outcome_groups(outcome_code), "").astype(object)
    time = shown["time"].where(shown["time"].notna(), "").astype(str)
    return pd.DataFrame({
        "date": shown["date"].to_numpy(), "time": time.to_numpy(dtype=object), "lane": lane,
        "category": category.map(CATEGORY_LABELS).fillna(category).to_numpy(dtype=object),
        "title": _text(shown["title"]), "detail": _text(shown["detail"]), "outcome": outcome,
        "code": _text(shown["code"]), "record_id": _text(shown["record_id"]),
        "staff_code": _text(shown["staff_code"]),
        "sensitive": shown["sensitive"].astype(bool).to_numpy(),
    })


def _text(values: pd.Series) -> np.ndarray:
    return values.where(values.notna(), "").astype(str).to_numpy(dtype=object)


def outcome_groups(codes: pd.Series) -> np.ndarray:
    """The plain-words outcome group of each appointment outcome code (see OUTCOME_GROUPS)."""
    code = codes.where(codes.notna(), "").astype(str).str.strip().str.upper()
    return np.select(
        [(code == "").to_numpy(), code.isin(_ATTENDED).to_numpy(), code.isin(_FAILED).to_numpy(),
         code.isin(_MISSED).to_numpy(),
         (code.str.startswith("AA") | code.isin(_ACCEPTABLE_EXTRA)).to_numpy(),
         code.isin(_RESCHEDULED).to_numpy()],
        ["no outcome recorded", "attended", "failed to comply", "missed (unacceptable)",
         "missed (acceptable)", "rescheduled"], default="other outcome").astype(object)


def long_dates(values: pd.Series) -> pd.Series:
    """Dates as people write them ('8 January 2024'), column-wise; '' when missing."""
    d = pd.to_datetime(values)
    text = d.dt.day.astype("Int64").astype(str) + " " + d.dt.strftime("%B %Y")
    return text.where(d.notna(), "").astype(object)


def _short(values: pd.Series) -> np.ndarray:
    """Text for a tooltip: one line, at most TOOLTIP_CHARS characters."""
    one_line = values.astype(str).str.replace(r"\s+", " ", regex=True).str.strip()
    long = one_line.str.len() > TOOLTIP_CHARS
    cut = one_line.str.slice(0, TOOLTIP_CHARS - 1) + "…"
    return one_line.where(~long, cut).to_numpy(dtype=object)


def _points(table: pd.DataFrame) -> pd.DataFrame:
    """Entries drawn as marks: everything but allocations (drawn as spells) and workload."""
    p = table[~table["lane"].isin([ALLOCATION, WORKLOAD])]
    group = p["outcome"].where(p["lane"] == APPOINTMENTS, OTHER_RECORD)
    return pd.DataFrame({
        "lane": p["lane"].to_numpy(dtype=object), "date": p["date"].to_numpy(),
        "date_text": long_dates(p["date"]).to_numpy(dtype=object),
        "title": p["title"].to_numpy(dtype=object), "group": group.to_numpy(dtype=object),
        "category": p["category"].to_numpy(dtype=object),
        "detail": _short(p["detail"]) if len(p) else np.array([], dtype=object),
        "code": p["code"].to_numpy(dtype=object),
        "record_id": p["record_id"].to_numpy(dtype=object),
        "staff_code": p["staff_code"].to_numpy(dtype=object),
    }).reset_index(drop=True)


# -- spells ------------------------------------------------------------------

SPAN_COLUMNS = ["lane", "start", "end", "label", "kind", "track", "category", "detail",
                "record_id", "from_text", "to_text", "open"]


def _spans(one: CaseRecords, crn: str, cut: pd.Timestamp) -> pd.DataFrame:
    """Sentences, allocation spells, RoSH levels and registrations, cut at the known-on date."""
    parts = [p for p in (_sentence_spans(one, crn, cut), _allocation_spans(one, crn, cut),
                         _rosh_spans(one, cut), _registration_spans(one, cut)) if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in ("start", "end") else
                                          bool if c == "open" else object)
                             for c in SPAN_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["from_text"] = long_dates(out["start"])
    out["to_text"] = long_dates(out["end"]).where(~out["open"], "still open on " + long_dates(
        out["end"]))
    return out[SPAN_COLUMNS]


def _span_frame(lane: str, start: pd.Series, end: pd.Series, cut: pd.Timestamp, *,
                label: object, kind: object, track: object, category: str, detail: object,
                record_id: object) -> pd.DataFrame:
    """Spells that began by ``cut``, each ending at the earlier of its end and ``cut``."""
    start = pd.Series(pd.to_datetime(np.asarray(start)))
    end = pd.Series(pd.to_datetime(np.asarray(end)))
    open_ = (end.isna() | (end > cut)).to_numpy()
    frame = pd.DataFrame({"lane": lane, "start": start, "end": end.where(~open_, cut),
                          "label": label, "kind": kind, "track": track, "category": category,
                          "detail": detail, "record_id": record_id, "open": open_})
    return frame[(frame["start"] <= cut).to_numpy()]


def _sentence_spans(one: CaseRecords, crn: str, cut: pd.Timestamp) -> pd.DataFrame:
    e = tl.episodes(one, crn)
    if e.empty:
        return e
    kind = e["sentence_type"].astype(str).str.replace("_", " ")
    detail = e["index_offence"].where(e["index_offence"].notna(), "").astype(str)
    return _span_frame(SENTENCE, e["start"], e["end"], cut, label=kind.to_numpy(dtype=object),
                       kind="order or licence", track="", category="sentence or licence",
                       detail=detail.to_numpy(dtype=object),
                       record_id=e["event_id"].astype(str).to_numpy(dtype=object))


def _allocation_spans(one: CaseRecords, crn: str, cut: pd.Timestamp) -> pd.DataFrame:
    s = tl.allocation_spells(one, crn, until=cut.date())
    if s.empty:
        return s
    code = s["staff_code"].where(s["staff_code"].notna(), "").astype(str)
    staff = one.table("staff").drop_duplicates("staff_code")
    grade = code.map(pd.Series(staff["grade"].to_numpy(), index=staff["staff_code"].to_numpy()))
    named = s["allocated"].astype(bool)
    words = grade.map(GRADE_WORDS).fillna(grade)
    label = (code + (", " + words.astype(str)).where(grade.notna(), "")).where(
        named, "Unallocated")
    detail = ("Held by " + label).where(named, ("Held by the team's unallocated code " + code)
                                          .where(code != "", "No allocation recorded"))
    # a spell that runs to the known-on date is open only if its allocation is
    ends = s["to"].where(~((s["to"] >= cut) & _open_allocation(one, s)), pd.NaT)
    return _span_frame(ALLOCATION, s["from"], ends, cut, label=label.to_numpy(dtype=object),
                       kind=np.where(named, "allocated", "unallocated"), track="",
                       category="allocation", detail=detail.to_numpy(dtype=object),
                       record_id=s["record_id"].where(s["record_id"].notna(), "")
                       .astype(str).to_numpy(dtype=object))


def _open_allocation(one: CaseRecords, spells: pd.DataFrame) -> pd.Series:
    """Whether each spell's allocation row has no end date, or one after the known-on date."""
    al = one.table("allocations").drop_duplicates("record_id")
    to = spells["record_id"].map(pd.Series(al["allocated_to"].to_numpy(),
                                           index=al["record_id"].to_numpy()))
    return to.isna() | (to > spells["to"])   # an unallocated gap (no row) is open too


def _rosh_spans(one: CaseRecords, cut: pd.Timestamp) -> pd.DataFrame:
    a = one.table("assessments")
    done = a[a["completed_date"].notna() & (a["completed_date"] <= cut)
             & ~a["status"].isin(_INCOMPLETE)].sort_values(["completed_date", "record_id"])
    if done.empty:
        return done.iloc[:0]
    level = done["rosh_overall"].where(done["rosh_overall"].notna(), "")
    words = level.astype(str).str.replace("_", " ").str.lower()
    label = ("RoSH " + words).where(words != "", "RoSH not recorded")
    nxt = done["completed_date"].shift(-1)
    return _span_frame(ASSESSMENTS, done["completed_date"], nxt, cut,
                       label=label.to_numpy(dtype=object), kind=label.to_numpy(dtype=object),
                       track="", category="assessment or plan",
                       detail=("Overall risk of serious harm from the "
                               + done["assessment_type"].astype(str) + " completed on "
                               + long_dates(done["completed_date"]).astype(str))
                       .to_numpy(dtype=object),
                       record_id=done["record_id"].astype(str).to_numpy(dtype=object))


def _registration_spans(one: CaseRecords, cut: pd.Timestamp) -> pd.DataFrame:
    r = one.table("registrations")
    r = r[r["registered_date"].notna()]
    if r.empty:
        return r.iloc[:0]
    code = r["type_code"].astype(str)
    level = r["level"].where(r["level"].notna(), "").astype(str)
    names = code.map(register_names())
    label = code + (" " + level).where(level != "", "") + (
        " (" + names.astype(str).str.lower() + ")").where(names.notna(), "")
    detail = names.where(names.notna(), "A registration of type " + code)
    return _span_frame(REGISTRATIONS, r["registered_date"], r["deregistered_date"], cut,
                       label=label.to_numpy(dtype=object), kind="registration",
                       track=code.to_numpy(dtype=object), category="registration",
                       detail=detail.to_numpy(dtype=object),
                       record_id=r["record_id"].astype(str).to_numpy(dtype=object))


@cache
def register_names() -> dict[str, str]:
    """What each register type code means, from the shipped code lists."""
    text = resources.files("sfo.standards").joinpath("codes.toml").read_text(encoding="utf-8")
    groups = tomllib.loads(text).get("register_types", {})
    return {str(code): str(name) for group in groups.values() if isinstance(group, dict)
            for code, name in group.items()}


# -- workload and findings ---------------------------------------------------

def _workload(one: CaseRecords, shown: pd.DataFrame) -> pd.DataFrame:
    """The weekly workload of whoever held the case, for the weeks they held it."""
    weeks = shown[shown["source"] == "workload"]
    w = one.table("workload")
    ids = weeks["record_id"].astype(str)
    capacity = ids.map(_by_id(w, "capacity_pct")).astype("float64")
    return pd.DataFrame({
        "week_start": weeks["date"].to_numpy(),
        "week_text": long_dates(weeks["date"]).to_numpy(dtype=object),
        "capacity_pct": capacity.to_numpy(),
        "caseload": ids.map(_by_id(w, "caseload_count")).astype("float64").to_numpy(),
        "staff_code": _text(weeks["staff_code"]),
        "over_limit": (capacity > 110).to_numpy(),
    })


def _findings(found: tuple[Finding, ...], cut: pd.Timestamp) -> tuple[pd.DataFrame, int]:
    """The findings dated up to the known-on date, and how many had no date."""
    # One row per finding, not per entry: the rules hand their findings over as objects.
    frame = pd.DataFrame({
        "date": pd.to_datetime(pd.Series([f.date for f in found], dtype=object)),
        "rule_id": pd.Series([f.rule_id for f in found], dtype=object),
        "kind": pd.Series([f.kind for f in found], dtype=object),
        "severity": pd.Series([f.severity for f in found], dtype=object),
        "summary": pd.Series([f.summary for f in found], dtype=object),
        "evidence": pd.Series(["; ".join(f.evidence) for f in found], dtype=object),
    })
    undated = int(frame["date"].isna().sum())
    frame = frame[frame["date"].notna() & (frame["date"] <= cut)].sort_values(
        "date", kind="stable").reset_index(drop=True)
    frame.insert(0, "lane", FINDINGS)
    frame.insert(2, "date_text", long_dates(frame["date"]).to_numpy(dtype=object))
    frame.insert(5, "kind_label", frame["kind"].map(FINDING_KINDS).fillna(frame["kind"]))
    return frame, undated


# -- exports -----------------------------------------------------------------

def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with the headings people read (Date, What was recorded, ...)."""
    out = frame.rename(columns=TABLE_HEADINGS)
    if "Sensitive" in out and out["Sensitive"].dtype == bool:
        out["Sensitive"] = np.where(out["Sensitive"].to_numpy(), "yes", "")
    return out


def export_csv(frame: pd.DataFrame) -> bytes:
    """The chronology table as CSV bytes, formulas neutralised."""
    return exports.csv_bytes(readable(frame))


def export_xlsx(frame: pd.DataFrame) -> bytes:
    """The chronology table as an Excel workbook of text cells, formulas neutralised."""
    return exports.xlsx_bytes(readable(frame), sheet="Chronology")


def export(frame: pd.DataFrame, fmt: str, *, crn: str, known_on: date, actor: Actor | str,
           url: str | None = None) -> bytes:
    """The table as a download (``csv`` or ``xlsx``); the download is written to the audit log."""
    access.require(actor, "case.view")
    writers = {"csv": export_csv, "xlsx": export_xlsx}
    if fmt not in writers:
        raise InputError(f"A timeline can be downloaded as CSV or XLSX, not '{fmt}'.")
    data = writers[fmt](frame)
    with bootstrap.engine_for(url) as engine, bootstrap.unit_of_work(engine) as uow:
        audit.record(uow, actor=actor, action="export", object_type="timeline", object_id=crn,
                     crn=crn, summary=f"downloaded {len(frame)} timeline entries of {crn} "
                                      f"known on {known_on.isoformat()} as {fmt.upper()}")
        uow.commit()
    return data
