"""Domestic abuse and child safeguarding: DA-CHECKS, HOME-VISIT."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sfo.domain.rules.prepare import Prepared, findings_frame, first_on_or_after, fmt, ids


def _first_in(p: Prepared, q: pd.DataFrame, lo: str, hi: str, codes: list[str]) -> pd.DataFrame:
    """For each query row, the first contact of these codes dated in [q[lo], q[hi]]."""
    cands = p.contacts_of(codes)[["crn", "date", "record_id"]].rename(
        columns={"date": "hit_date", "record_id": "hit_id"})
    hit = first_on_or_after(q, lo, cands, by="crn", cand_on="hit_date")
    hit = hit[hit["hit_date"] <= hit[hi]].set_index("qid")
    return pd.DataFrame({"hit_date": hit["hit_date"].reindex(q["qid"]).to_numpy(),
                         "hit_id": hit["hit_id"].reindex(q["qid"]).to_numpy()},
                        index=q.index)


def da_checks(p: Prepared) -> pd.DataFrame:
    """Police and children's services checks, each with a response, for DA/child cases."""
    rid = "DA-CHECKS"
    e = p.events.copy()
    e["lo"] = e["sentence_date"] - p.days(rid, "days_before_sentence")
    e["deadline"] = p.wd(e["start"], int(p.param(rid, "within_working_days")))
    e = e[p.trigger(e["ev"], e["lo"], e["deadline"]) & (e["deadline"] <= e["end"])].copy()
    e["qid"] = np.arange(len(e))
    resp_n = int(p.param(rid, "response_within_working_days"))
    out = []
    met: dict[str, pd.Series] = {}
    for label, checks, responses in (
        ("police domestic abuse", "police_checks", "police_responses"),
        ("children's services", "children_checks", "children_responses"),
    ):
        hit = _first_in(p, e, "lo", "deadline", list(p.param(rid, checks)))
        none = e[hit["hit_date"].isna()]
        out.append(findings_frame(
            none["crn"], none["event_id"], rid, none["deadline"],
            [ids(r) for r in none["record_id"]],
            [f"No {label} check was recorded between {fmt(lo)} and {fmt(d)} (30 days before "
             f"sentence to {int(p.param(rid, 'within_working_days'))} working days after the "
             f"start), although the case involves domestic abuse or child safeguarding."
             for lo, d in zip(none["lo"], none["deadline"], strict=True)]))
        made = e[hit["hit_date"].notna()].assign(check=hit["hit_date"], check_id=hit["hit_id"])
        made["due"] = p.wd(made["check"], resp_n)
        resp = _first_in(p, made, "check", "due", list(p.param(rid, responses)))
        waiting = made[resp["hit_date"].isna() & (made["due"] <= made["end"])]
        out.append(findings_frame(
            waiting["crn"], waiting["event_id"], rid, waiting["due"],
            [ids(r, c) for r, c in zip(waiting["record_id"], waiting["check_id"], strict=True)],
            [f"The {label} check made on {fmt(c)} had no response recorded within {resp_n} "
             f"working days." for c in waiting["check"]]))
        ok = made[resp["hit_date"].notna()]
        met[label] = pd.Series(ok["check_id"].to_numpy(), index=ok["qid"].to_numpy())
    both = e[e["qid"].isin(met["police domestic abuse"].index)
             & e["qid"].isin(met["children's services"].index)]
    out.append(findings_frame(
        both["crn"], both["event_id"], "GOOD-PRACTICE", both["deadline"],
        [ids(r, met["police domestic abuse"].get(q), met["children's services"].get(q))
         for r, q in zip(both["record_id"], both["qid"], strict=True)],
        ["Police domestic abuse and children's services checks were made on time and their "
         "responses recorded."] * len(both)))
    return pd.concat(out, ignore_index=True)


def home_visit(p: Prepared) -> pd.DataFrame:
    """A home visit within 20 working days of start for DA/child cases."""
    rid = "HOME-VISIT"
    n = int(p.param(rid, "within_working_days"))
    e = p.events.copy()
    e["deadline"] = p.wd(e["start"], n)
    e = e[p.trigger(e["ev"], e["start"], e["deadline"]) & (e["deadline"] <= e["end"])].copy()
    e["qid"] = np.arange(len(e))
    hit = _first_in(p, e, "start", "deadline", list(p.param(rid, "home_visits")))
    none = e[hit["hit_date"].isna()]
    done = e[hit["hit_date"].notna()]
    return pd.concat([
        findings_frame(
            none["crn"], none["event_id"], rid, none["deadline"],
            [ids(r) for r in none["record_id"]],
            [f"No home visit was recorded within {n} working days of the start on {fmt(s)} "
             f"(by {fmt(d)}), although the case involves domestic abuse or child "
             f"safeguarding." for s, d in zip(none["start"], none["deadline"], strict=True)]),
        findings_frame(
            done["crn"], done["event_id"], "GOOD-PRACTICE", hit.loc[done.index, "hit_date"],
            [ids(r, h) for r, h in zip(done["record_id"], hit.loc[done.index, "hit_id"],
                                       strict=True)],
            [f"A home visit was made on {fmt(h)}, within {n} working days of the start."
             for h in hit.loc[done.index, "hit_date"]]),
    ], ignore_index=True)
