"""Enforcement and registrations: ENFORCEMENT, REG-REVIEW."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sfo.domain.rules.prepare import (
    Prepared,
    add_months,
    findings_frame,
    first_on_or_after,
    fmt,
    group_lists,
    ids,
)


def failures(p: Prepared) -> pd.DataFrame:
    """Unacceptable failures inside an event window (or up to as-of with no events)."""
    c = p.contacts
    c = c[c["outcome_code"].isin(p.codes("unacceptable_outcomes"))]
    if p.records.has("events"):
        c = c[c["ev"] >= 0]
        ev = p.events.set_index("ev")
        d = c["date"].to_numpy()
        c = c[(d >= ev["start"].reindex(c["ev"]).to_numpy())
              & (d <= ev["end"].reindex(c["ev"]).to_numpy())]
        c = c.assign(end=ev["end"].reindex(c["ev"]).to_numpy(),
                     event_key=c["ev"].to_numpy())
    else:
        c = c.assign(end=p.as_of_of(c["crn"]),
                     event_key=pd.factorize(c["crn"])[0])
    return c.sort_values(["event_key", "date", "record_id"], kind="stable").reset_index(
        drop=True)


def _acted(p: Prepared, f: pd.DataFrame, due: str, codes: list[str],
           contact_types: list[str]) -> np.ndarray:
    """Whether each failure has one of the codes on it, or such a contact by ``due``."""
    on_contact = f["enforcement_code"].isin(codes).to_numpy()
    cands = p.contacts_of(contact_types)[["crn", "date", "record_id"]].rename(
        columns={"date": "act_date", "record_id": "act_id"})
    q = f.assign(qid=np.arange(len(f)))
    hit = first_on_or_after(q, "date", cands, by="crn", cand_on="act_date")
    ok = np.zeros(len(f), dtype=bool)
    ok[hit.loc[hit["act_date"] <= hit[due], "qid"].to_numpy()] = True
    return on_contact | ok


def enforcement(p: Prepared) -> pd.DataFrame:
    """Warnings within 7 days; breach or recall after a second failure within 12 months."""
    rid = "ENFORCEMENT"
    f = failures(p)
    event_of = p.events.set_index("ev")["event_id"]
    ev_ids = (event_of.reindex(f["ev"]).to_numpy() if p.records.has("events")
              else np.full(len(f), None, dtype=object))
    f = f.assign(event_id=ev_ids)
    days7 = p.days(rid, "action_within_days")
    f["due7"] = f["date"] + days7
    acted = _acted(p, f, "due7", list(p.param(rid, "warning_enforcement_codes")),
                   list(p.param(rid, "warning_contacts")))
    due7 = (f["due7"] <= f["end"]).to_numpy()
    miss = f[due7 & ~acted]
    out = [findings_frame(
        miss["crn"], miss["event_id"], rid, miss["due7"],
        [ids(r) for r in miss["record_id"]],
        [f"The unacceptable failure on {fmt(d)} ({o}) was not followed by a warning, breach "
         f"or recall within {days7.days} days." for d, o in zip(miss["date"],
                                                               miss["outcome_code"],
                                                               strict=True)])]

    # A second failure within the repeat window needs breach or recall initiated.
    window = p.days(rid, "repeat_window_days")
    prev = f.groupby("event_key")["date"].shift(1)
    prev_id = f.groupby("event_key")["record_id"].shift(1)
    repeat = (prev.notna() & (f["date"] - prev <= window)).to_numpy()
    n10 = int(p.param(rid, "breach_within_working_days"))
    f["due10"] = p.wd(f["date"], n10)
    breached = _acted(p, f, "due10", list(p.param(rid, "breach_enforcement_codes")),
                      list(p.param(rid, "breach_contacts")))
    rep = repeat & ~breached & (f["due10"] <= f["end"]).to_numpy()
    r = f[rep]
    out.append(findings_frame(
        r["crn"], r["event_id"], rid, r["due10"],
        [ids(a, b) for a, b in zip(r["record_id"], prev_id[rep], strict=True)],
        [f"The unacceptable failure on {fmt(d)} was the second within 12 months (the "
         f"previous was on {fmt(pv)}), and breach or recall was not initiated within {n10} "
         f"working days." for d, pv in zip(r["date"], prev[rep], strict=True)]))

    # Good practice: every due failure of an event acted on in time.
    done = f[due7]
    if len(done):
        all_ok = pd.Series(acted[due7], index=done.index).groupby(done["event_key"]).all()
        good_keys = all_ok[all_ok].index
        g = done[done["event_key"].isin(good_keys)]
        last = g.groupby("event_key").tail(1)
        count = g.groupby("event_key").size().reindex(last["event_key"]).to_numpy()
        _, evidence = group_lists(g["event_key"].to_numpy(), g["record_id"].tolist())
        out.append(findings_frame(
            last["crn"], last["event_id"], "GOOD-PRACTICE", last["date"], evidence,
            [f"Enforcement action followed {'each of the ' + str(k) + ' unacceptable failures' if k > 1 else 'the unacceptable failure'} within {days7.days} days."  # noqa: E501
             for k in count]))
    return pd.concat(out, ignore_index=True)


def reg_review(p: Prepared) -> pd.DataFrame:
    """Registrations active at as-of whose review date has passed."""
    rid = "REG-REVIEW"
    periods: dict[str, int] = dict(p.param(rid, "default_review_months"))
    r = p.registrations.copy()
    r["as_of"] = p.as_of_of(r["crn"])
    r = r[(r["start"] <= r["as_of"]) & (r["end"] > r["as_of"])].copy()
    review = r["next_review_date"].copy()
    for months in sorted(set(periods.values())):
        types = [t for t, m in periods.items() if m == months]
        use = review.isna() & r["type_code"].isin(types)
        if use.any():
            review[use] = add_months(r.loc[use, "start"], months)
    r["review"] = review
    r["defaulted"] = r["next_review_date"].isna()
    late = r[r["review"] < r["as_of"]]
    return findings_frame(
        late["crn"], [None] * len(late), rid, late["review"],
        [ids(x) for x in late["record_id"]],
        [f"The {t} registration made on {fmt(s)} was due for review on {fmt(v)}"
         f"{' (the default review period, as no review date was recorded)' if dflt else ''}; "
         f"by {fmt(a)} it had not been reviewed."
         for t, s, v, dflt, a in zip(late["type_code"], late["start"], late["review"],
                                     late["defaulted"], late["as_of"], strict=True)])
