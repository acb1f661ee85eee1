"""Risk assessment: RISK-INIT, RISK-REVIEW, RISK-CONSISTENCY."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sfo.domain.records import ROSH_LEVELS
from sfo.domain.rules.prepare import (
    Prepared,
    findings_frame,
    first_on_or_after,
    fmt,
    ids,
    latest_on_or_before,
)


def _level(rank: object) -> str:
    r = int(rank)  # type: ignore[call-overload]
    return ROSH_LEVELS[r].replace("_", " ").lower() if r >= 0 else "not recorded"


def risk_init(p: Prepared) -> pd.DataFrame:
    """An assessment completed within 15 working days of start (or in the 12 weeks before)."""
    rid = "RISK-INIT"
    n = int(p.param(rid, "within_working_days"))
    before = p.days(rid, "prior_assessment_days")
    e = p.events.copy()
    e["deadline"] = p.wd(e["start"], n)
    e["lo"] = e["start"] - before
    e["qid"] = np.arange(len(e))
    a = p.assessments[["crn", "date", "record_id"]]
    hit = first_on_or_after(e, "lo", a, by="crn").set_index("qid")
    found = hit["date"].reindex(e["qid"]).to_numpy()
    found_id = hit["record_id_c"].reindex(e["qid"]).to_numpy()
    ok = found <= e["deadline"].to_numpy()
    bad_mask = ~ok & (e["deadline"] <= e["end"]).to_numpy()
    bad = e[bad_mask]
    later = found[bad_mask]
    summary = [
        (f"No risk assessment was completed within {n} working days of the start on "
         f"{fmt(s)} (by {fmt(d)}), nor in the 12 weeks before it; the first was completed "
         f"on {fmt(lt)}." if not pd.isna(lt) and lt <= end else
         f"No risk assessment was completed within {n} working days of the start on "
         f"{fmt(s)} (by {fmt(d)}), nor in the 12 weeks before it, and none by {fmt(end)}.")
        for s, d, lt, end in zip(bad["start"], bad["deadline"], later, bad["end"], strict=True)
    ]
    gaps = findings_frame(bad["crn"], bad["event_id"], rid, bad["deadline"],
                          [ids(r, f) for r, f in zip(bad["record_id"], found_id[bad_mask],
                                                     strict=True)], summary)
    good_rows = e[ok]
    good = findings_frame(
        good_rows["crn"], good_rows["event_id"], "GOOD-PRACTICE", found[ok],
        [ids(r, f) for r, f in zip(good_rows["record_id"], found_id[ok], strict=True)],
        [f"A risk assessment was completed on {fmt(d)}, "
         + ("before the start on " if d <= s else f"within {n} working days of the start on ")
         + f"{fmt(s)}." for d, s in zip(found[ok], good_rows["start"].to_numpy(), strict=True)])
    return pd.concat([gaps, good], ignore_index=True)


def risk_review(p: Prepared) -> pd.DataFrame:
    """Reassessment at least every 16 weeks and within 10 working days of significant events."""
    rid = "RISK-REVIEW"
    max_gap = p.days(rid, "max_days_between")
    n = int(p.param(rid, "after_significant_event_working_days"))
    e = p.events.assign(qid=np.arange(len(p.events)))
    a = p.assessments[["crn", "date", "record_id"]]
    out = []

    # (a) the 16-week clock, starting from the latest assessment at or before start.
    base = latest_on_or_before(e, "start", a, by="crn").set_index("qid")
    pts0 = pd.DataFrame({
        "qid": e["qid"].to_numpy(),
        "date": base["date"].reindex(e["qid"]).fillna(e.set_index("qid")["start"]).to_numpy(),
        "aid": base["record_id_c"].reindex(e["qid"]).to_numpy(),
    })
    inwin = e[["qid", "crn", "start", "end"]].merge(a, on="crn")
    inwin = inwin[(inwin["date"] > inwin["start"]) & (inwin["date"] <= inwin["end"])]
    pts = pd.concat([pts0, inwin[["qid", "date"]].assign(aid=inwin["record_id"])],
                    ignore_index=True).sort_values(["qid", "date"], kind="stable")
    ends = e.set_index("qid")["end"]
    pts["next"] = pts.groupby("qid")["date"].shift(-1)
    pts["next"] = pts["next"].fillna(pd.Series(ends.reindex(pts["qid"]).to_numpy(),
                                               index=pts.index))
    over = pts[(pts["next"] - pts["date"]) > max_gap]
    ev_by_q = e.set_index("qid")
    last_is_end = over["next"].to_numpy() == ends.reindex(over["qid"]).to_numpy()
    summary = [
        (f"No risk assessment was completed for {(nx - d).days} days after "
         f"{'the assessment on ' + fmt(d) if isinstance(aid, str) else 'the start on ' + fmt(d)}"
         f"{' up to ' + fmt(nx) if at_end else ' (the next was on ' + fmt(nx) + ')'}; a review "
         f"was expected at least every {max_gap.days // 7} weeks.")
        for d, nx, aid, at_end in zip(over["date"], over["next"], over["aid"], last_is_end,
                                      strict=True)
    ]
    out.append(findings_frame(
        ev_by_q["crn"].reindex(over["qid"]).to_numpy(),
        ev_by_q["event_id"].reindex(over["qid"]).to_numpy(), rid, over["date"] + max_gap,
        [ids(x, y) for x, y in zip(ev_by_q["record_id"].reindex(over["qid"]).to_numpy(),
                                   over["aid"], strict=True)], summary))

    # (b) reassessment after significant events in the window.
    sig_c = p.contacts_of(list(p.param(rid, "significant_contacts")))
    sig_c = sig_c[sig_c["ev"] >= 0][["crn", "ev", "date", "record_id", "type_code"]]
    regs = p.registrations[p.registrations["type_code"].isin(
        list(p.param(rid, "significant_registrations")))]
    sig_r = e[["ev", "crn", "start", "end"]].merge(
        regs[["crn", "start", "record_id", "type_code"]].rename(columns={"start": "date"}),
        on="crn")
    sig_r = sig_r[(sig_r["date"] >= sig_r["start"]) & (sig_r["date"] <= sig_r["end"])]
    sig = pd.concat([sig_c.assign(what="an arrest"),
                     sig_r[["crn", "ev", "date", "record_id", "type_code"]].assign(
                         what="a new " + sig_r["type_code"] + " registration")],
                    ignore_index=True)
    evi = p.events.set_index("ev")
    sig["end"] = evi["end"].reindex(sig["ev"]).to_numpy()
    sig = sig[(sig["date"] >= evi["start"].reindex(sig["ev"]).to_numpy())
              & (sig["date"] <= sig["end"])]
    sig = sig.assign(due=p.wd(sig["date"], n))
    sig = sig[sig["due"] <= sig["end"]].reset_index(drop=True)
    sig["sid"] = np.arange(len(sig))
    hit = first_on_or_after(sig, "date", a, by="crn")
    in_time = hit[hit["date_c"] <= hit["due"]]["sid"] if len(hit) else hit["sid"]
    bad = sig[~sig["sid"].isin(in_time)]
    out.append(findings_frame(
        bad["crn"], evi["event_id"].reindex(bad["ev"]).to_numpy(), rid, bad["due"],
        [ids(r) for r in bad["record_id"]],
        [f"After {w} on {fmt(d)}, no risk assessment was completed within {n} working days."
         for w, d in zip(bad["what"], bad["date"], strict=True)]))
    return pd.concat(out, ignore_index=True)


def risk_consistency(p: Prepared) -> pd.DataFrame:
    """Overall RoSH below a group level, below a RoSH registration, or lowered unexplained."""
    rid = "RISK-CONSISTENCY"
    n = int(p.param(rid, "rationale_within_working_days"))
    a = p.assessments.copy()
    first_start = p.events.groupby("crn")["start"].min()
    lo = first_start.reindex(a["crn"]).to_numpy() - p.days("RISK-INIT", "prior_assessment_days")
    a["prev_rosh"] = a.groupby("crn")["rosh"].shift(1)
    a["prev_id"] = a.groupby("crn")["record_id"].shift(1)
    a = a[~(a["date"].to_numpy() < lo)]  # NaT bound (no events) keeps everything
    known = a[a["rosh"] >= 0].reset_index(drop=True)
    out = []

    below_group = known[known["groups_max"] > known["rosh"]]
    out.append(findings_frame(
        below_group["crn"], [None] * len(below_group), rid, below_group["date"],
        [ids(r) for r in below_group["record_id"]],
        [f"The assessment completed on {fmt(d)} gave an overall risk of serious harm of "
         f"{_level(r)}, lower than its own highest group level ({_level(g)})."
         for d, r, g in zip(below_group["date"], below_group["rosh"], below_group["groups_max"],
                            strict=True)]))

    levels = dict(p.pack.codes["rosh_registration_levels"])
    rosh_regs = p.registrations[p.registrations["type_code"].isin(list(levels))]
    if len(rosh_regs) and len(known):
        m = known[["crn", "date", "record_id", "rosh"]].merge(
            rosh_regs[["crn", "start", "end", "type_code", "record_id"]], on="crn",
            suffixes=("", "_reg"))
        m = m[(m["start"] <= m["date"]) & (m["end"] > m["date"])]
        ranks = {k: ROSH_LEVELS.index(v) for k, v in levels.items()}
        m["reg_rank"] = m["type_code"].map(ranks).astype("int64")
        m = m.sort_values("reg_rank", ascending=False).drop_duplicates("record_id")
        m = m[m["reg_rank"] > m["rosh"]]
        out.append(findings_frame(
            m["crn"], [None] * len(m), rid, m["date"],
            [ids(a_, r) for a_, r in zip(m["record_id"], m["record_id_reg"], strict=True)],
            [f"The assessment completed on {fmt(d)} gave an overall risk of serious harm of "
             f"{_level(r)}, lower than the active {t} registration ({_level(g)})."
             for d, r, t, g in zip(m["date"], m["rosh"], m["type_code"], m["reg_rank"],
                                   strict=True)]))

    lowered = known[(known["prev_rosh"] >= 0) & (known["rosh"] < known["prev_rosh"])].copy()
    lowered["from"] = p.wd(lowered["date"], -n)
    lowered["qid"] = np.arange(len(lowered))
    rationale = p.contacts_of(list(p.param(rid, "rationale_contacts")))[
        ["crn", "date", "record_id"]]
    hit = first_on_or_after(lowered, "from", rationale, by="crn")
    explained = hit[hit["date_c"] <= hit["date"]]["qid"] if len(hit) else hit["qid"]
    bad = lowered[~lowered["qid"].isin(explained)]
    out.append(findings_frame(
        bad["crn"], [None] * len(bad), rid, bad["date"],
        [ids(r, q) for r, q in zip(bad["record_id"], bad["prev_id"], strict=True)],
        [f"The assessment completed on {fmt(d)} lowered the overall risk of serious harm "
         f"from {_level(q)} to {_level(r)} with no rationale recorded by a manager or "
         f"practitioner in the {n} working days before."
         for d, q, r in zip(bad["date"], bad["prev_rosh"], bad["rosh"], strict=True)]))
    return pd.concat(out, ignore_index=True)
