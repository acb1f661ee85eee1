"""Appointments: FIRST-APPT, CONTACT-FREQ, OUTCOME-RECORDED, RECALL-TIMELY."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sfo.domain.rules.prepare import (
    Prepared,
    findings_frame,
    first_on_or_after,
    fmt,
    fmt_many,
    ids,
)


def ns_in_window(p: Prepared) -> pd.DataFrame:
    """NS appointments attributed to an event and dated inside its window (computed once)."""
    return p.memo("ns_in_window", lambda: _ns_in_window(p))


def _ns_in_window(p: Prepared) -> pd.DataFrame:
    ev_key = p.contacts["ev"].to_numpy()
    # Event keys are positions in p.events, so start and end are a plain take.
    start = p.events["start"].to_numpy()[np.maximum(ev_key, 0)]
    end = p.events["end"].to_numpy()[np.maximum(ev_key, 0)]
    d = p.contacts["date"].to_numpy()
    keep = p.contacts["ns"].to_numpy() & (ev_key >= 0) & (d >= start) & (d <= end)
    return p.contacts[keep]


def first_appointments(p: Prepared) -> pd.DataFrame:
    """Each event with its first NS appointment in the window (NaT when none)."""
    return p.memo("first_appointments", lambda: _first_appointments(p))


def _first_appointments(p: Prepared) -> pd.DataFrame:
    ev = p.events
    ns = ns_in_window(p)[["ev", "date", "record_id", "outcome_code"]]
    first = ns.drop_duplicates("ev")  # contacts are sorted by (event, date) in prepare
    first = first.set_index("ev")
    return ev.assign(
        first=first["date"].reindex(ev["ev"]).to_numpy(),
        first_id=first["record_id"].reindex(ev["ev"]).to_numpy(),
        first_outcome=first["outcome_code"].reindex(ev["ev"]).to_numpy(),
    )


def first_appt(p: Prepared) -> pd.DataFrame:
    """First NS appointment within 5 working days (licence: release day or the next)."""
    rid = "FIRST-APPT"
    e = first_appointments(p).copy()
    days = np.where(e["licence"].to_numpy(bool), int(p.param(rid, "licence_within_working_days")),
                    int(p.param(rid, "within_working_days"))).astype("int64")
    e["days"] = days
    e["deadline"] = p.wd(e["start"], days)
    late = (e["first"] > e["deadline"]) | (e["first"].isna() & (e["deadline"] <= e["end"]))
    bad = e[late]
    took = p.cal.count_between(bad["start"].to_numpy() + np.timedelta64(1, "D"),
                               bad["first"].to_numpy())
    what = np.where(bad["licence"], "release", "start")
    summary = [
        (f"The first appointment was on {fmt(f)}, {k} working days after the {w} on "
         f"{fmt(s)}; it was expected within {n} working day{'s' if n != 1 else ''}."
         if not pd.isna(f) else
         f"No appointment was recorded between the {w} on {fmt(s)} and {fmt(end)}; the "
         f"first was expected within {n} working day{'s' if n != 1 else ''}.")
        for f, k, w, s, n, end in zip(bad["first"], took, what, bad["start"], bad["days"],
                                      bad["end"], strict=True)
    ]
    gaps = findings_frame(bad["crn"], bad["event_id"], rid, bad["deadline"],
                          [ids(a, b) for a, b in zip(bad["record_id"], bad["first_id"],
                                                     strict=True)], summary)
    ok = e[e["first"] <= e["deadline"]]
    good = findings_frame(
        ok["crn"], ok["event_id"], "GOOD-PRACTICE", ok["first"],
        [ids(a, b) for a, b in zip(ok["record_id"], ok["first_id"], strict=True)],
        [f"The first appointment was held on {fmt(f)}, within {n} working "
         f"day{'s' if n != 1 else ''} of the {'release' if lic else 'start'} on {fmt(s)}."
         for f, n, lic, s in zip(ok["first"], ok["days"], ok["licence"], ok["start"],
                                 strict=True)])
    return pd.concat([gaps, good], ignore_index=True)


def contact_freq(p: Prepared) -> pd.DataFrame:
    """Gaps between NS appointments longer than the profile's limit."""
    rid = "CONTACT-FREQ"
    ns = ns_in_window(p)[["crn", "ev", "date", "record_id"]]
    ns = ns.reset_index(drop=True)  # already sorted by (event, date)
    if ns.empty:
        return findings_frame([], [], rid, [], [], [])
    ev = p.events.set_index("ev")
    start = ev["start"].reindex(ns["ev"]).to_numpy()
    end = ev["end"].reindex(ns["ev"]).to_numpy()
    nxt = ns.groupby("ev")["date"].shift(-1)
    nxt_id = ns.groupby("ev")["record_id"].shift(-1)
    hr = p.high_risk_on(ns["crn"], ns["date"])
    early = ns["date"].to_numpy() <= start + np.timedelta64(
        int(p.param(rid, "high_risk_early_period_days")), "D")
    limit = np.where(hr, np.where(early, int(p.param(rid, "high_risk_early_days")),
                                  int(p.param(rid, "high_risk_later_days"))),
                     int(p.param(rid, "standard_days")))
    due = ns["date"].to_numpy() + limit.astype("timedelta64[D]")
    nxt_v = nxt.to_numpy()
    late = np.where(pd.isna(nxt_v), end > due, nxt_v > due)
    bad = ns[late]
    b_next = nxt[late]
    b_limit = limit[late]
    b_hr = hr[late]
    b_end = end[late]
    summary = []
    gap_days = (b_next - bad["date"].to_numpy()).dt.days.fillna(-1).astype("int64")
    for d, n, days, lim, h, e in zip(fmt_many(bad["date"]).tolist(),
                                     fmt_many(b_next).tolist(), gap_days.tolist(),
                                     b_limit.tolist(), b_hr.tolist(),
                                     fmt_many(b_end).tolist(), strict=True):
        why = "while the case had a high-risk profile" if h else "for this case"
        if n == "an unknown date":
            summary.append(f"After the appointment on {d} no further appointment was "
                           f"recorded up to {e}; the next was expected within {lim} "
                           f"days {why}.")
        else:
            summary.append(f"After the appointment on {d} the next was on {n}, "
                           f"{days} days later; it was expected within {lim} days "
                           f"{why}.")
    evidence = [ids(a, b) for a, b in zip(bad["record_id"], nxt_id[late], strict=True)]
    event_id = ev["event_id"].reindex(bad["ev"]).to_numpy()
    return findings_frame(bad["crn"], event_id, rid, due[late], evidence, summary)


def outcome_recorded(p: Prepared) -> pd.DataFrame:
    """NS appointments with no outcome, or an AFTA never decided, within 2 working days."""
    rid = "OUTCOME-RECORDED"
    n = int(p.param(rid, "decide_within_working_days"))
    c = (ns_in_window(p) if p.records.has("events") else p.contacts[p.contacts["ns"]]).copy()
    c["due"] = p.wd(c["date"], n)
    as_of = p.as_of_of(c["crn"])
    c = c[c["due"].to_numpy() <= as_of]
    missing = c[c["outcome_code"].isna()]
    undecided = c[(c["outcome_code"] == p.codes("undecided_outcome")[0])
                  & c["enforcement_code"].isna()].reset_index(drop=True)
    undecided["qid"] = np.arange(len(undecided))
    dec = p.contacts_of(list(p.param(rid, "decision_contacts")))[
        ["crn", "date", "record_id"]]
    hit = first_on_or_after(undecided, "date", dec, by="crn")
    decided = hit[hit["date_c"] <= hit["due"]]["qid"] if "date_c" in hit else hit["qid"][:0]
    undecided = undecided[~undecided["qid"].isin(decided)]
    event_of = p.events.set_index("ev")["event_id"]
    out = [
        findings_frame(
            missing["crn"], event_of.reindex(missing["ev"]).to_numpy(), rid, missing["due"],
            [ids(r) for r in missing["record_id"]],
            [f"No outcome was recorded for the appointment on {fmt(d)}."
             for d in missing["date"]]),
        findings_frame(
            undecided["crn"], event_of.reindex(undecided["ev"]).to_numpy(), rid,
            undecided["due"], [ids(r) for r in undecided["record_id"]],
            [f"The failure to attend on {fmt(d)} was never decided as acceptable or "
             f"unacceptable (it was expected within {n} working days)."
             for d in undecided["date"]]),
    ]
    return pd.concat(out, ignore_index=True)


def recall_timely(p: Prepared) -> pd.DataFrame:
    """A licence whose first appointment failed, without recall considered in 1 working day."""
    rid = "RECALL-TIMELY"
    n = int(p.param(rid, "within_working_days"))
    e = first_appointments(p)
    e = e[e["licence"] & e["first_outcome"].isin(p.codes("unacceptable_outcomes"))].copy()
    e["due"] = p.wd(e["first"], n)
    e = e[e["due"] <= e["end"]].reset_index(drop=True)
    e["qid"] = np.arange(len(e))
    rec = p.contacts_of(list(p.param(rid, "recall_contacts")))[
        ["crn", "date", "record_id"]]
    hit = first_on_or_after(e, "first", rec, by="crn")
    if "record_id_c" in hit.columns:
        hit = hit.rename(columns={"record_id_c": "rec_id"})
    timely = hit[hit["date"] <= hit["due"]]
    bad = e[~e["qid"].isin(timely["qid"])]
    later = hit.set_index("qid")["date"].reindex(bad["qid"]).to_numpy()
    summary = [
        (f"The first appointment after release, on {fmt(f)}, was missed ({o}); recall was "
         f"not considered until {fmt(lt)}. It was expected within {n} working day.")
        if not pd.isna(lt) else
        (f"The first appointment after release, on {fmt(f)}, was missed ({o}); no "
         f"consideration of recall was recorded. It was expected within {n} working day.")
        for f, o, lt in zip(bad["first"], bad["first_outcome"], later, strict=True)
    ]
    gaps = findings_frame(bad["crn"], bad["event_id"], rid, bad["due"],
                          [ids(a, b) for a, b in zip(bad["record_id"], bad["first_id"],
                                                     strict=True)], summary)
    good = findings_frame(
        timely["crn"], timely["event_id"], "GOOD-PRACTICE", timely["date"],
        [ids(a, b) for a, b in zip(timely["first_id"], timely["rec_id"], strict=True)],
        [f"Recall was considered on {fmt(d)} after the first appointment on {fmt(f)} was "
         f"missed." for d, f in zip(timely["date"], timely["first"], strict=True)])
    return pd.concat([gaps, good], ignore_index=True)
