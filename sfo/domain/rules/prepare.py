"""Shared, vectorised groundwork for the practice-standard rules.

``prepare`` turns validated case records into the frames every rule reads:
events with their start and end, contacts attributed to events, completed
risk assessments, registrations with open ends closed, and allocation
spells per event. The helpers answer the questions the rules keep asking
(the risk profile on a date, whether the DA/child trigger holds over a
period, the first record in a window) for many rows at once.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from sfo.domain.calendar import WorkingCalendar
from sfo.domain.joins import codes_of, day_numbers
from sfo.domain.records import ROSH_LEVELS, CaseRecords
from sfo.domain.rulepack import RulePack

# Open-ended spells and registrations end here: later than any real date,
# still inside the nanosecond range pandas uses.
FAR_FUTURE = pd.Timestamp("2200-01-01")
ROSH_RANK = {level: rank for rank, level in enumerate(ROSH_LEVELS)}

FINDING_COLUMNS = ["crn", "event_id", "rule_id", "date", "evidence", "summary"]


@dataclass(frozen=True)
class Prepared:
    """Frames the rules read, restricted to what was recorded up to each as-of."""

    records: CaseRecords
    pack: RulePack
    cal: WorkingCalendar
    as_of: pd.DataFrame          # crn (code), crn_str, as_of, as_of_source
    events: pd.DataFrame         # ev, crn, event_id, sentence_type, sentence_date, start, end, ...
    contacts: pd.DataFrame       # crn, ev, date, type_code, outcome_code, enforcement_code, ns, ...
    assessments: pd.DataFrame    # completed risk assessments: crn, date, rosh, record_id, ...
    registrations: pd.DataFrame  # crn, record_id, type_code, level, start, end, next_review_date
    spells: pd.DataFrame         # named allocation spells: crn, staff_code, start, to, record_id
    allocations: pd.DataFrame    # every allocation row up to as-of (named or not)
    event_spells: pd.DataFrame   # one row per named spell overlapping an event window

    def wd(self, dates: pd.Series | np.ndarray, n: int | np.ndarray) -> np.ndarray:
        """Working-day arithmetic returning nanosecond datetimes (NaT kept)."""
        return self.cal.add(np.asarray(dates, dtype="datetime64[ns]"), n).astype(
            "datetime64[ns]"
        )

    def memo(self, name: str, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """A frame several rules share, computed once per run (rules must not modify it)."""
        cache = self.__dict__.setdefault("_memo", {})
        if name not in cache:
            cache[name] = compute()
        return cache[name]

    def as_of_of(self, crn: pd.Series | np.ndarray) -> np.ndarray:
        """Each person's as-of date, by person code."""
        return self.as_of["as_of"].to_numpy()[np.asarray(crn, dtype="int64")]

    def codes(self, key: str) -> tuple[str, ...]:
        """A code list from the pack."""
        return self.pack.codes_of(key)

    def param(self, rule_id: str, key: str) -> Any:
        """A threshold from the pack."""
        return self.pack.param(rule_id, key)

    def days(self, rule_id: str, key: str) -> pd.Timedelta:
        """A calendar-day threshold as a Timedelta."""
        return pd.Timedelta(days=int(self.pack.param(rule_id, key)))

    def contacts_of(self, codes: Sequence[str]) -> pd.DataFrame:
        """Contacts of the given type codes."""
        return self.contacts[self.contacts["type_code"].isin(list(codes))]

    # -- profile and trigger -------------------------------------------------
    def high_risk_on(self, crn: pd.Series, when: pd.Series) -> np.ndarray:
        """Whether each (person, date) has a high-risk profile on that date."""
        n = len(crn)
        out = np.zeros(n, dtype=bool)
        if n == 0:
            return out
        q = pd.DataFrame({"crn": np.asarray(crn), "date": np.asarray(when, "datetime64[ns]"),
                          "qid": np.arange(n)})
        q = q[q["date"].notna()]
        high = {ROSH_RANK[level] for level in self.codes("high_rosh")}
        if len(self.assessments) and len(q):
            latest = latest_on_or_before(q, "date", self.assessments[["crn", "date", "rosh"]],
                                         by="crn")
            hit = latest["rosh"].isin(list(high)).to_numpy()
            out[latest["qid"].to_numpy()[hit]] = True
        regs = self.registrations
        if len(regs) and len(q):
            hr = regs["type_code"].isin(self.codes("high_rosh_registrations")) | (
                (regs["type_code"] == self.codes("mappa_registration")[0])
                & regs["level"].isin(self.codes("high_mappa_levels"))
            )
            active = active_between(q, regs[hr], "date", "date")
            out[active] = True
        return out

    def registration_active(self, crn: pd.Series, first: pd.Series, last: pd.Series,
                            types: Sequence[str]) -> np.ndarray:
        """Whether a registration of these types is active at any time in [first, last]."""
        n = len(crn)
        out = np.zeros(n, dtype=bool)
        regs = self.registrations[self.registrations["type_code"].isin(list(types))]
        if n == 0 or regs.empty:
            return out
        q = pd.DataFrame({"crn": np.asarray(crn),
                          "first": np.asarray(first, "datetime64[ns]"),
                          "last": np.asarray(last, "datetime64[ns]"), "qid": np.arange(n)})
        out[active_between(q, regs, "first", "last")] = True
        return out

    def trigger(self, ev: pd.Series, first: pd.Series, last: pd.Series) -> np.ndarray:
        """Whether the DA/child trigger holds for each event over [first, last]."""
        events = self.events.set_index("ev")
        static = events["da_static"].reindex(np.asarray(ev)).fillna(False).to_numpy(bool)
        crn = events["crn"].reindex(np.asarray(ev))
        regs = self.registration_active(crn, first, last, self.codes("da_child_registrations"))
        return static | regs


def latest_on_or_before(q: pd.DataFrame, on: str, cands: pd.DataFrame,
                        by: str | list[str], cand_on: str = "date") -> pd.DataFrame:
    """For each query row, the latest candidate with the same ``by`` dated on or before it.

    Returns the query rows (only those with a match) joined to the candidate's
    columns; candidate columns clashing with query columns get a ``_c`` suffix.
    """
    return _asof(q, on, cands, by, cand_on, "backward")


def first_on_or_after(q: pd.DataFrame, on: str, cands: pd.DataFrame,
                      by: str | list[str], cand_on: str = "date") -> pd.DataFrame:
    """For each query row, the first candidate with the same ``by`` dated on or after it."""
    return _asof(q, on, cands, by, cand_on, "forward")


def first_after(q: pd.DataFrame, on: str, cands: pd.DataFrame,
                by: str | list[str], cand_on: str = "date") -> pd.DataFrame:
    """For each query row, the first candidate with the same ``by`` dated strictly after it."""
    return _asof(q, on, cands, by, cand_on, "forward", exact=False)


def _asof(q: pd.DataFrame, on: str, cands: pd.DataFrame, by: str | list[str],
          cand_on: str, direction: str, exact: bool = True) -> pd.DataFrame:
    """As-of match on one integer key and a date, by binary search over packed keys.

    Returns the query rows that found a candidate, in query order, with the
    candidate's columns added (a name already used by the query gets ``_c``).
    Among candidates on the same day, looking back takes the last in table
    order and looking forward the first, as ``pandas.merge_asof`` does.
    """
    by_col = by if isinstance(by, str) else by[0]
    if not isinstance(by, str) and len(by) != 1:
        raise ValueError("as-of matching takes one key column")
    rename = {c: f"{c}_c" for c in cands.columns if c in q.columns and c != by_col}
    out_cols = [c for c in cands.columns if c != by_col]
    qd = day_numbers(q[on])
    cd = day_numbers(cands[cand_on])
    q_ok = q[on].notna().to_numpy(bool).copy()
    c_ok = np.flatnonzero(cands[cand_on].notna().to_numpy(bool))
    qg_raw = pd.to_numeric(q[by_col]).to_numpy(dtype="float64", na_value=np.nan)
    q_ok &= ~np.isnan(qg_raw)
    qg = np.where(q_ok, qg_raw, -1).astype("int64")
    cg_raw = pd.to_numeric(cands[by_col]).to_numpy(dtype="float64", na_value=np.nan)
    c_ok = c_ok[~np.isnan(cg_raw[c_ok])]
    cg = cg_raw[c_ok].astype("int64")
    ckey = (cg << 24) + cd[c_ok] + _DAY_OFFSET
    order = np.argsort(ckey, kind="stable")
    ckey = ckey[order]
    rows = c_ok[order]
    qkey = (qg << 24) + qd + _DAY_OFFSET
    if direction == "backward":
        at = np.searchsorted(ckey, qkey, side="right" if exact else "left") - 1
    else:
        at = np.searchsorted(ckey, qkey, side="left" if exact else "right")
    inside = (at >= 0) & (at < len(ckey))
    at_safe = np.clip(at, 0, max(len(ckey) - 1, 0))
    same = inside & q_ok
    if len(ckey):
        same &= (ckey[at_safe] >> 24) == qg
    else:
        same &= False
    hit_q = np.flatnonzero(same)
    result = q.iloc[hit_q].reset_index(drop=True)
    picked = cands.iloc[rows[at_safe[hit_q]]] if len(ckey) else cands.iloc[0:0]
    for col in out_cols:
        result[rename.get(col, col)] = picked[col].to_numpy()
    return result


_DAY_OFFSET = np.int64(2**23)  # days are shifted positive inside the 24-bit field


def active_between(q: pd.DataFrame, regs: pd.DataFrame, first: str, last: str) -> np.ndarray:
    """Query ids (``qid``) for which a registration in ``regs`` is active in [first, last]."""
    if q.empty or regs.empty:
        return np.array([], dtype="int64")
    cols = list(dict.fromkeys(["crn", "qid", first, last]))
    m = q[cols].merge(regs[["crn", "start", "end"]], on="crn")
    hit = (m["start"] <= m[last]) & (m["end"] > m[first])
    return np.unique(m.loc[hit, "qid"].to_numpy())


def add_months(dates: pd.Series, months: int) -> pd.Series:
    """Calendar months added (day clipped to the month's end), vectorised."""
    d = pd.to_datetime(dates)
    valid = d.notna()
    out = pd.Series(pd.NaT, index=d.index, dtype="datetime64[ns]")
    if not valid.any():
        return out
    v = d[valid]
    month_index = v.dt.year * 12 + (v.dt.month - 1) + months
    first = pd.to_datetime({"year": month_index // 12, "month": month_index % 12 + 1,
                            "day": 1})
    last_day = (first + pd.offsets.MonthEnd(0)).dt.day
    day = np.minimum(v.dt.day.to_numpy(), last_day.to_numpy())
    out[valid] = (first + pd.to_timedelta(day - 1, unit="D")).to_numpy()
    return out


def findings_frame(crn: object, event_id: object, rule_id: str, when: object,
                   evidence: Sequence[Sequence[Any]], summary: Sequence[str]) -> pd.DataFrame:
    """Rows in the common shape every rule returns."""
    n = len(summary)
    return pd.DataFrame({
        "crn": np.asarray(crn, dtype=object) if n else np.array([], dtype=object),
        "event_id": np.asarray(event_id, dtype=object) if n else np.array([], dtype=object),
        "rule_id": pd.Series([rule_id] * n, dtype=object),
        "date": np.asarray(when, dtype="datetime64[ns]") if n
        else np.array([], dtype="datetime64[ns]"),
        "evidence": pd.Series(list(evidence), dtype=object),
        "summary": pd.Series(summary, dtype=object),
    })


def empty_findings() -> pd.DataFrame:
    """A findings frame with no rows."""
    return findings_frame([], [], "", [], [], [])


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_FMT_CACHE: dict[int, str] = {}


def fmt(d: object) -> str:
    """A date as people write it: 2 April 2024."""
    if isinstance(d, np.datetime64):
        d = d.item()  # int nanoseconds for [ns], a date for [D], None for NaT
    if isinstance(d, int):
        key = d
    elif isinstance(d, pd.Timestamp):
        key = d.value
    elif d is None:
        return "an unknown date"
    else:
        ts = pd.Timestamp(d)  # type: ignore[arg-type]
        if pd.isna(ts):
            return "an unknown date"
        key = ts.value
    if key == pd.NaT.value:
        return "an unknown date"
    text = _FMT_CACHE.get(key)
    if text is None:
        ts = pd.Timestamp(key)
        text = f"{ts.day} {_MONTHS[ts.month - 1]} {ts.year}"
        _FMT_CACHE[key] = text
    return text


def fmt_many(values: object) -> np.ndarray:
    """Many dates formatted like :func:`fmt`, each distinct day formatted once."""
    arr = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values)
    if arr.dtype.kind != "M":
        arr = arr.astype("datetime64[ns]")
    arr = arr.astype("datetime64[ns]")
    if len(arr) == 0:
        return np.array([], dtype=object)
    uniq, inverse = np.unique(arr, return_inverse=True)
    texts = np.array([fmt(u) for u in uniq], dtype=object)
    return texts[inverse.reshape(-1)]


def group_lists(keys: np.ndarray, values: list[object]) -> tuple[np.ndarray, list[list[object]]]:
    """Values gathered per key, for keys already sorted (unique keys, lists in order)."""
    keys = np.asarray(keys)
    if len(keys) == 0:
        return keys, []
    cuts = np.flatnonzero(keys[1:] != keys[:-1]) + 1
    bounds = [0, *cuts.tolist(), len(keys)]
    return keys[[0, *cuts.tolist()]], [values[a:b] for a, b in itertools.pairwise(bounds)]


def ids(*values: object) -> list[str]:
    """Evidence ids without blanks."""
    return [v if isinstance(v, str) else str(v) for v in values
            if v is not None and v is not pd.NA and v == v and v != ""]


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as Python objects: small frames are joined and filtered often,
    and object arrays are cheaper to take from than Arrow-backed strings."""
    text = [c for c, t in frame.dtypes.items() if t == "str" or str(t).startswith("string")]
    return frame.astype(dict.fromkeys(text, object)) if text else frame


def prepare(records: CaseRecords, pack: RulePack, cal: WorkingCalendar, *,
            as_of: date | None, today: date) -> Prepared:
    """Build the frames the rules read.

    People are keyed by integer codes (positions in people.csv's CRN list) in
    every prepared frame, which keeps joins over millions of contacts cheap;
    the engine turns codes back into CRNs.
    """
    people = records.table("people")
    crn_index = pd.Index(people["crn"].astype(str))
    contacts_all = records.table("contacts")
    ccode = codes_of(crn_index, contacts_all["crn"])

    # -- as-of per person ------------------------------------------------------
    n_people = len(crn_index)
    if as_of is not None:
        asof_arr = np.full(n_people, np.datetime64(as_of, "ns"))
        source = np.full(n_people, "given", dtype=object)
    else:
        is_charge = contacts_all["type_code"].isin(list(pack.codes_of("charge"))).to_numpy()
        ch_pos = np.flatnonzero(is_charge)
        ch_dates = contacts_all["contact_date"].to_numpy()[ch_pos]
        order = np.lexsort((ch_dates.view("i8"), ccode[ch_pos]))
        ch_pos = ch_pos[order]
        first_of = np.unique(ccode[ch_pos], return_index=True)
        asof_arr = np.full(n_people, np.datetime64(today, "ns"))
        source = np.full(n_people, "today", dtype=object)
        pos = ch_pos[first_of[1]]
        who = first_of[0]
        asof_arr[who] = contacts_all["contact_date"].to_numpy()[pos]
        ids_ = contacts_all["record_id"].iloc[pos].tolist()
        source[who] = [f"first charge contact {cid}" for cid in ids_]
    asof = pd.DataFrame({"crn": np.arange(n_people), "crn_str": crn_index.to_numpy(),
                         "as_of": asof_arr, "as_of_source": source})

    def upto(frame: pd.DataFrame, col: str, codes: np.ndarray | None = None
             ) -> tuple[pd.DataFrame, np.ndarray]:
        codes = codes_of(crn_index, frame["crn"]) if codes is None else codes
        keep = frame[col].to_numpy() <= asof_arr[np.maximum(codes, 0)]
        out = frame[keep].copy() if not keep.all() else frame.copy()
        out["crn"] = codes[keep]
        return out, keep

    # -- events ------------------------------------------------------------------
    ev = plain(records.table("events"))
    ev["crn"] = codes_of(crn_index, records.table("events")["crn"])
    post_release = ev["sentence_type"].isin(["licence", "post_sentence_supervision"])
    ev["start"] = ev["sentence_date"].where(~(post_release & ev["release_date"].notna()),
                                            ev["release_date"])
    ev["as_of"] = asof_arr[ev["crn"].to_numpy()]
    ev = ev[ev["start"] <= ev["as_of"]].copy()
    ev["end"] = ev["as_of"].where(
        ev["terminated_date"].isna() | (ev["terminated_date"] > ev["as_of"]),
        ev["terminated_date"],
    )
    ev["licence"] = ev["sentence_type"] == "licence"
    words = "|".join(pack.codes_of("da_offence_words"))
    offence_da = ev["index_offence"].fillna("").str.contains(words, case=False, regex=True)
    needed = "|".join(re.escape(r.lower()) for r in pack.codes_of("da_requirements"))
    req_da = ev["requirements"].fillna("").str.lower().str.contains(
        rf"(?:^|;)\s*(?:{needed})\s*(?:;|$)", regex=True)
    ev["da_static"] = offence_da.to_numpy(bool) | req_da.to_numpy(bool)
    ev = ev.sort_values(["crn", "start", "event_id"], kind="stable").reset_index(drop=True)
    ev["ev"] = np.arange(len(ev), dtype="int64")

    # -- contacts: up to as-of, attributed to events, sorted by (event, date) ----
    dates = contacts_all["contact_date"].to_numpy()
    kept = np.flatnonzero(dates <= asof_arr[np.maximum(ccode, 0)])
    # Attribute each kept contact to an event, then order by (event, day) with one
    # stable sort of a packed key, and gather every column once in that order.
    ev_of = _attribute_to_events(ccode[kept], contacts_all["event_id"].take(kept),
                                 dates[kept], ev)
    key = ((ev_of + 1) << 24) + day_numbers(dates[kept]) + _DAY_OFFSET
    order = np.argsort(key, kind="stable")
    at = kept[order]
    # Codes as categoricals and ids as plain objects: filtering them is cheap.
    c = pd.DataFrame({
        "crn": ccode[at], "date": dates[at],
        "type_code": contacts_all["type_code"].take(at).astype("category").array,
        "outcome_code": contacts_all["outcome_code"].take(at).astype("category").array,
        "enforcement_code": contacts_all["enforcement_code"].take(at).astype("category").array,
        "ns": contacts_all["national_standard"].to_numpy(bool)[at],
        "record_id": contacts_all["record_id"].take(at).to_numpy(dtype=object),
        "ev": ev_of[order],
    })

    # -- completed risk assessments ----------------------------------------------
    a = records.table("assessments")
    done = (
        a["assessment_type"].isin(pack.codes_of("risk_assessment_types"))
        & a["completed_date"].notna()
        & ~a["status"].isin(pack.codes_of("incomplete_statuses"))
    )
    a = a.loc[done, ["crn", "record_id", "completed_date", "rosh_overall", "rosh_public",
                     "rosh_known_adult", "rosh_children", "rosh_staff"]]
    a, _ = upto(plain(a.rename(columns={"completed_date": "date"})), "date")
    group_cols = ["rosh_public", "rosh_known_adult", "rosh_children", "rosh_staff"]
    ranks = {col: pd.Series(pd.Categorical(a[col], categories=list(ROSH_LEVELS)).codes,
                            index=a.index).replace(-1, np.nan).astype("float64")
             for col in ["rosh_overall", *group_cols]}
    assessments = pd.DataFrame({
        "crn": a["crn"].to_numpy(), "date": a["date"].to_numpy(),
        "record_id": a["record_id"].to_numpy(),
        "rosh": ranks["rosh_overall"].fillna(-1).astype("int64").to_numpy(),
        "groups_max": pd.concat([ranks[g] for g in group_cols], axis=1).max(axis=1)
        .fillna(-1).astype("int64").to_numpy(),
    }).sort_values(["crn", "date", "record_id"], kind="stable").reset_index(drop=True)

    # -- registrations -----------------------------------------------------------
    r, _ = upto(plain(records.table("registrations")), "registered_date")
    registrations = pd.DataFrame({
        "crn": r["crn"].to_numpy(), "record_id": r["record_id"].to_numpy(),
        "type_code": r["type_code"].to_numpy(), "level": r["level"].to_numpy(),
        "start": r["registered_date"].to_numpy(),
        "end": r["deregistered_date"].fillna(FAR_FUTURE).to_numpy(),
        "deregistered_date": r["deregistered_date"].to_numpy(),
        "next_review_date": r["next_review_date"].to_numpy(),
    })

    # -- allocation spells -------------------------------------------------------
    al, _ = upto(plain(records.table("allocations")), "allocated_from")
    allocations = pd.DataFrame({
        "crn": al["crn"].to_numpy(), "staff_code": al["staff_code"].to_numpy(),
        "start": al["allocated_from"].to_numpy(),
        "to": al["allocated_to"].fillna(FAR_FUTURE).to_numpy(),
        "record_id": al["record_id"].to_numpy(),
    })
    allocations["named"] = ~allocations["staff_code"].str.endswith("U")
    spells = allocations[allocations["named"]].reset_index(drop=True)

    es = ev[["ev", "crn", "event_id", "start", "end", "sentence_type", "licence"]].merge(
        spells.rename(columns={"start": "from", "record_id": "spell_id"}), on="crn")
    es = es[(es["from"] <= es["end"]) & (es["to"] >= es["start"])].copy()
    es["alloc_date"] = es[["from", "start"]].max(axis=1)
    es["until"] = es[["to", "end"]].min(axis=1)
    es = es.sort_values(["ev", "alloc_date", "spell_id"], kind="stable").reset_index(drop=True)

    return Prepared(records=records, pack=pack, cal=cal, as_of=asof, events=ev, contacts=c,
                    assessments=assessments, registrations=registrations, spells=spells,
                    allocations=allocations, event_spells=es)


def _attribute_to_events(crn: np.ndarray, event_id: pd.Series, date_: np.ndarray,
                         ev: pd.DataFrame) -> np.ndarray:
    """Each contact's event key: its own event_id, else the event running on its date."""
    out = np.full(len(crn), -1, dtype="int64")
    if ev.empty or len(crn) == 0:
        return out
    # Integer keys: (person code, event id code) -> event key.
    ev_codes, ev_uniques = pd.factorize(ev["event_id"])
    width = np.int64(len(ev_uniques) + 1)
    key = pd.Index(ev["crn"].to_numpy().astype("int64") * width + ev_codes)
    ccodes = codes_of(pd.Index(ev_uniques), event_id)  # -1: no event_id, or an unknown one
    has_id = ccodes >= 0
    if has_id.any():
        ck = crn[has_id].astype("int64") * width + ccodes[has_id]
        pos = key.get_indexer(pd.Index(ck))
        out[has_id] = np.where(pos >= 0, ev["ev"].to_numpy()[np.maximum(pos, 0)], -1)
    rest = out == -1
    if rest.any():
        q = pd.DataFrame({"crn": crn[rest], "date": date_[rest], "qid": np.flatnonzero(rest)})
        cands = ev[["crn", "start", "ev"]].rename(columns={"start": "date"})
        back = latest_on_or_before(q, "date", cands, by="crn")
        out[back["qid"].to_numpy()] = back["ev"].to_numpy()
        still = q[~q["qid"].isin(back["qid"])]
        if len(still):
            fwd = first_on_or_after(still, "date", cands, by="crn")
            out[fwd["qid"].to_numpy()] = fwd["ev"].to_numpy()
    return out
