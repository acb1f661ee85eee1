"""The chronology: one ordered, de-duplicated timeline per person.

Contacts, assessments, registrations, allocations, sentences and licences
become dated entries; so does the working context of each practitioner while
they held the case (workload weeks, training, supervision). ``known_on``
keeps what was recorded on or before a date: the view a practitioner had
at the time, which is what practice is judged on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from sfo.domain.joins import codes_of, day_numbers, range_join
from sfo.domain.records import CaseRecords

TIMELINE_COLUMNS = [
    "crn", "date", "time", "source", "category", "record_id", "code", "title", "detail",
    "staff_code", "sensitive",
]
FAR_FUTURE = pd.Timestamp("2200-01-01")


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



# Entry kinds, in the order they are listed on the same day and time.
ENTRY_KINDS = ("sentence", "release", "terminated", "allocation", "registration",
               "deregistration", "assessment", "contact", "workload", "training", "supervision")
KIND_CODE = {k: i for i, k in enumerate(ENTRY_KINDS)}
_NO_TIME = np.int64(-1)


def _minutes(times: pd.Series) -> np.ndarray:
    """HH:MM as minutes after midnight (-1 when empty), via the few distinct values."""
    codes, uniques = pd.factorize(times)
    lookup = np.array([_parse_minutes(u) for u in uniques] + [-1], dtype="int64")
    return lookup[codes]  # code -1 (missing) picks the trailing -1


def _parse_minutes(text: object) -> int:
    try:
        hh, mm = str(text).split(":")
        return int(hh) * 60 + int(mm)
    except ValueError:
        return -1


@dataclass(frozen=True)
class TimelineIndex:
    """Everyone's chronology in order, as parallel arrays pointing into the tables."""

    crn: np.ndarray      # position of the person in people.csv
    date: np.ndarray     # datetime64[ns]
    minutes: np.ndarray  # minutes after midnight, -1 when no time
    kind: np.ndarray     # index into ENTRY_KINDS
    pos: np.ndarray      # row position in the kind's table

    def __len__(self) -> int:
        return len(self.pos)

    def frame(self) -> pd.DataFrame:
        """The same as a DataFrame."""
        return pd.DataFrame({"crn": self.crn, "date": self.date, "minutes": self.minutes,
                             "kind": self.kind, "pos": self.pos})


def timeline_index(records: CaseRecords) -> TimelineIndex:
    """The ordered, de-duplicated chronology of everyone, as pointers into the tables.

    One row per entry: ``crn`` (position in people.csv), ``date``, ``minutes``
    (-1 when no time), ``kind`` (see ENTRY_KINDS) and ``pos`` (row position in
    the source table). Text is read from the tables only when an entry is
    shown (:func:`build_timeline`), so the whole region's order costs little.
    """
    people = pd.Index(records.table("people")["crn"].astype(str))
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]] = []

    def add(kind: str, crn: np.ndarray, when: object, pos: np.ndarray,
            minutes: np.ndarray | None = None) -> None:
        d = np.asarray(when, dtype="datetime64[ns]")
        keep = ~np.isnat(d)
        mins = minutes if minutes is not None else np.full(len(pos), -1, dtype="int64")
        parts.append((np.asarray(crn, dtype="int64")[keep], d[keep], mins[keep],
                      KIND_CODE[kind], np.asarray(pos, dtype="int64")[keep]))

    c = records.table("contacts")
    if len(c):
        add("contact", codes_of(people, c["crn"]), c["contact_date"], np.arange(len(c)),
            _minutes(c["contact_time"]))
    e = records.table("events")
    if len(e):
        ecrn, pos = codes_of(people, e["crn"]), np.arange(len(e))
        add("sentence", ecrn, e["sentence_date"], pos)
        add("release", ecrn, e["release_date"], pos)
        add("terminated", ecrn, e["terminated_date"], pos)
    a = records.table("assessments")
    if len(a):
        add("assessment", codes_of(people, a["crn"]),
            a["completed_date"].fillna(a["initiated_date"]), np.arange(len(a)))
    r = records.table("registrations")
    if len(r):
        rcrn, pos = codes_of(people, r["crn"]), np.arange(len(r))
        add("registration", rcrn, r["registered_date"], pos)
        add("deregistration", rcrn, r["deregistered_date"], pos)
    al = records.table("allocations")
    if len(al):
        acrn = codes_of(people, al["crn"])
        add("allocation", acrn, al["allocated_from"], np.arange(len(al)))
        named = ~al["staff_code"].str.endswith("U").to_numpy(bool)
        _working_context_index(records, al, acrn, named, add)

    if not parts:
        none = np.array([], dtype="int64")
        return TimelineIndex(none, np.array([], dtype="datetime64[ns]"), none, none, none)
    crn = np.concatenate([p[0] for p in parts])
    date_ = np.concatenate([p[1] for p in parts])
    mins = np.concatenate([p[2] for p in parts])
    kind = np.concatenate([np.full(len(p[0]), p[3], dtype="int64") for p in parts])
    pos = np.concatenate([p[4] for p in parts])
    day = day_numbers(date_)
    # One packed key (person, day, minute, kind); a stable sort keeps table order
    # within a key. 21 + 18 + 11 + 4 bits.
    key = (((crn << 18) | (day - day.min())) << 11 | (mins + 1)) << 4 | kind
    order = np.argsort(key, kind="stable")
    key, pos = key[order], pos[order]
    same_key = key[1:] == key[:-1]
    # A staff record reached through two overlapping spells is listed once.
    repeat = np.zeros(len(key), dtype=bool)
    repeat[1:] = same_key & (pos[1:] == pos[:-1])
    # Contacts can only repeat one another within the same (person, day, time, kind).
    contact = (key & 0xF) == KIND_CODE["contact"]
    crowded = contact & (np.r_[False, same_key] | np.r_[same_key, False])
    at = np.flatnonzero(crowded)
    if len(at):
        repeat[at[_repeated_contacts(c, key[at], pos[at])]] = True
    keep = order[~repeat]
    return TimelineIndex(crn=crn[keep], date=date_[keep], minutes=mins[keep], kind=kind[keep],
                         pos=pos[~repeat])


def _repeated_contacts(c: pd.DataFrame, group: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Which of these contacts repeat an earlier one of the same group exactly.

    ``group`` is the sorted (person, day, time) key of each, ``pos`` its row in
    contacts.csv, ascending within a group. A fingerprint of the content finds
    the candidates; only those are compared field by field.
    """
    mix = np.uint64(0x9E3779B97F4A7C15)
    rows = c.iloc[pos]
    h = group.astype(np.uint64)
    for part in (pd.factorize(rows["type_code"])[0], pd.factorize(rows["outcome_code"])[0],
                 rows["notes"].str.len().fillna(-1).to_numpy("int64")):
        h = (h ^ np.asarray(part).astype(np.uint64)) * mix
        h ^= h >> np.uint64(29)
    fingerprints = pd.Series(h)
    cand = np.flatnonzero(fingerprints.duplicated().to_numpy())
    out = np.zeros(len(pos), dtype=bool)
    if len(cand) == 0:
        return out
    first_of = fingerprints.groupby(fingerprints).transform("idxmin").to_numpy()
    fields = ["crn", "contact_date", "contact_time", "type_code", "outcome_code",
              "enforcement_code", "notes", "staff_code"]
    a = rows[fields].iloc[cand].reset_index(drop=True)
    b = rows[fields].iloc[first_of[cand]].reset_index(drop=True)
    equal = ((a == b) | (a.isna() & b.isna())).all(axis=1).to_numpy(bool)
    out[cand[equal]] = True
    return out


def _working_context_index(records: CaseRecords, al: pd.DataFrame, acrn: np.ndarray,
                           named: np.ndarray, add: Callable[..., None]) -> None:
    """Index entries for the practitioner's workload, training and supervision in a spell."""
    staff_index = pd.Index(pd.concat([
        al["staff_code"], records.table("workload")["staff_code"],
        records.table("training")["staff_code"], records.table("supervision")["staff_code"],
    ]).unique())
    sp = al[named]
    scode = codes_of(staff_index, sp["staff_code"])
    sfrom = day_numbers(sp["allocated_from"])
    suntil = day_numbers(sp["allocated_to"].fillna(FAR_FUTURE))
    crn = acrn[named]
    for kind, table, col, lo_pad in (("workload", "workload", "week_start", 6),
                                     ("training", "training", "status_date", None),
                                     ("supervision", "supervision", "supervision_date", 0)):
        t = records.table(table)
        if t.empty:
            continue
        tday = day_numbers(t[col])
        valid = t[col].notna().to_numpy(bool)
        lo = sfrom - lo_pad if lo_pad is not None else np.full(len(sp), -(2**30))
        li, ri = range_join(scode, lo, suntil, np.where(valid, codes_of(staff_index,
                                                                        t["staff_code"]), -2),
                            tday)
        add(kind, crn[li], t[col].to_numpy()[ri], ri)


def build_timeline(records: CaseRecords, crns: Iterable[str] | None = None) -> pd.DataFrame:
    """The chronology for some people (all when ``crns`` is None), oldest first, with text."""
    if crns is not None:
        records = records.for_people(list(crns))
    idx = timeline_index(records)
    if len(idx) == 0:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in TIMELINE_COLUMNS}).assign(
            date=pd.Series(dtype="datetime64[ns]"))
    names = records.table("people")["crn"].to_numpy(dtype=object)
    kinds = idx.kind
    out = pd.DataFrame({
        "crn": names[idx.crn], "date": idx.date,
        "time": None, "source": None, "category": None, "record_id": None, "code": None,
        "title": None, "detail": None, "staff_code": None, "sensitive": False,
    })
    for kind, code in KIND_CODE.items():
        rows = np.flatnonzero(kinds == code)
        if len(rows):
            text = _ENTRY_TEXT[kind](records, idx.pos[rows])
            for col, values in text.items():
                out.loc[rows, col] = np.asarray(values, dtype=object)
    out["sensitive"] = out["sensitive"].fillna(False).astype(bool)
    return out[TIMELINE_COLUMNS]


def _s(series: pd.Series) -> np.ndarray:
    """A text column as objects, empty strings for missing values."""
    return series.fillna("").to_numpy(dtype=object)


def _d(series: pd.Series) -> np.ndarray:
    return series.dt.strftime("%Y-%m-%d").fillna("").to_numpy(dtype=object)


def _contact_text(records: CaseRecords, pos: np.ndarray) -> dict[str, object]:
    c = records.table("contacts").iloc[pos]
    outcome = _s(c["outcome_code"])
    enf = _s(c["enforcement_code"])
    notes = _s(c["notes"])
    detail = [" / ".join(x for x in (o, f"enforcement {e}" if e else "") if x)
              + ("\n" + n if n else "") for o, e, n in zip(outcome, enf, notes, strict=True)]
    return {"time": c["contact_time"].to_numpy(dtype=object), "source": "contact",
            "category": contact_categories(c["type_code"]),
            "record_id": c["record_id"].to_numpy(dtype=object),
            "code": c["type_code"].to_numpy(dtype=object),
            "title": c["type_description"].fillna(c["type_code"]).to_numpy(dtype=object),
            "detail": [d.strip() for d in detail],
            "staff_code": c["staff_code"].to_numpy(dtype=object),
            "sensitive": c["sensitive"].to_numpy(bool)}


def _event_text(kind: str) -> Callable[[CaseRecords, np.ndarray], dict[str, Any]]:
    def text(records: CaseRecords, pos: np.ndarray) -> dict[str, Any]:
        title: Any
        detail: Any
        code: Any
        e = records.table("events").iloc[pos]
        offence = _s(e["index_offence"])
        reqs = _s(e["requirements"])
        if kind == "sentence":
            title = ["Sentenced: " + t.replace("_", " ") for t in _s(e["sentence_type"])]
            detail = [o + ("; requirements: " + r if r else "") for o, r in
                      zip(offence, reqs, strict=True)]
            code = e["sentence_type"].to_numpy(dtype=object)
        elif kind == "release":
            title = ["Released from custody: supervision on licence begins"] * len(e)
            detail, code = list(offence), "release"
        else:
            title, detail, code = ["Order or licence terminated"] * len(e), "", "terminated"
        return {"source": "event", "category": "sentence",
                "record_id": e["record_id"].to_numpy(dtype=object), "code": code,
                "title": title, "detail": detail}
    return text


def _assessment_text(records: CaseRecords, pos: np.ndarray) -> dict[str, object]:
    a = records.table("assessments").iloc[pos]
    levels = [x.replace("_", " ").lower() if x else "not recorded"
              for x in _s(a["rosh_overall"])]
    status = _s(a["status"])
    done = a["completed_date"].notna().to_numpy(bool)
    types = _s(a["assessment_type"])
    return {"source": "assessment", "category": "assessment",
            "record_id": a["record_id"].to_numpy(dtype=object), "code": types,
            "title": [t + (" completed" if d else " started (not completed)")
                      for t, d in zip(types, done, strict=True)],
            "detail": [f"Overall RoSH {lv}" + (f" ({st})" if st else "")
                       for lv, st in zip(levels, status, strict=True)],
            "staff_code": a["staff_code"].to_numpy(dtype=object)}


def _registration_text(kind: str) -> Callable[[CaseRecords, np.ndarray], dict[str, Any]]:
    def text(records: CaseRecords, pos: np.ndarray) -> dict[str, Any]:
        title: Any
        detail: Any
        r = records.table("registrations").iloc[pos]
        types, levels = _s(r["type_code"]), _s(r["level"])
        if kind == "registration":
            title = [f"Registered: {t}" + (f" {lv}" if lv else "")
                     for t, lv in zip(types, levels, strict=True)]
            detail = ["Next review " + d if d else "" for d in _d(r["next_review_date"])]
        else:
            title, detail = [f"Deregistered: {t}" for t in types], [""] * len(r)
        return {"source": "registration", "category": "registration",
                "record_id": r["record_id"].to_numpy(dtype=object), "code": types,
                "title": title, "detail": detail}
    return text


def _allocation_text(records: CaseRecords, pos: np.ndarray) -> dict[str, object]:
    al = records.table("allocations").iloc[pos]
    codes = _s(al["staff_code"])
    return {"source": "allocation", "category": "allocation",
            "record_id": al["record_id"].to_numpy(dtype=object),
            "code": al["reason_code"].to_numpy(dtype=object),
            "title": [f"Unallocated ({c})" if c.endswith("U") else f"Allocated to {c}"
                      for c in codes],
            "detail": ["Until " + d if d else "Current" for d in _d(al["allocated_to"])],
            "staff_code": codes}


def _workload_text(records: CaseRecords, pos: np.ndarray) -> dict[str, object]:
    w = records.table("workload").iloc[pos]
    return {"source": "workload", "category": "working context",
            "record_id": w["record_id"].to_numpy(dtype=object), "code": "WMT",
            "title": ["Workload week: " + c for c in _s(w["staff_code"])],
            "detail": [f"{p:g}% capacity" + ("" if pd.isna(n) else f", caseload {n:g}")
                       for p, n in zip(w["capacity_pct"], w["caseload_count"], strict=True)],
            "staff_code": _s(w["staff_code"])}


def _training_text(records: CaseRecords, pos: np.ndarray) -> dict[str, object]:
    t = records.table("training").iloc[pos]
    titles = t["course_title"].fillna(t["course_code"]).to_numpy(dtype=object)
    return {"source": "training", "category": "working context",
            "record_id": t["record_id"].to_numpy(dtype=object),
            "code": t["course_code"].to_numpy(dtype=object),
            "title": [f"Training {s.replace('_', ' ')}: {c}"
                      for s, c in zip(_s(t["status"]), titles, strict=True)],
            "detail": _s(t["staff_code"]), "staff_code": _s(t["staff_code"])}


def _supervision_text(records: CaseRecords, pos: np.ndarray) -> dict[str, object]:
    sv = records.table("supervision").iloc[pos]
    return {"source": "supervision", "category": "working context",
            "record_id": sv["record_id"].to_numpy(dtype=object),
            "code": sv["kind"].to_numpy(dtype=object),
            "title": [f"Supervision ({k.replace('_', ' ')}): {c}"
                      for k, c in zip(_s(sv["kind"]), _s(sv["staff_code"]), strict=True)],
            "detail": ["Supervisor " + (s or "not recorded") for s in _s(sv["supervisor_code"])],
            "staff_code": _s(sv["staff_code"])}


_ENTRY_TEXT: dict[str, Callable[[CaseRecords, np.ndarray], dict[str, Any]]] = {
    "contact": _contact_text, "sentence": _event_text("sentence"),
    "release": _event_text("release"), "terminated": _event_text("terminated"),
    "assessment": _assessment_text, "registration": _registration_text("registration"),
    "deregistration": _registration_text("deregistration"), "allocation": _allocation_text,
    "workload": _workload_text, "training": _training_text, "supervision": _supervision_text,
}


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
