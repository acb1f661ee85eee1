"""Working context (mitigation): CTX-WORKLOAD, CTX-TRAINING, CTX-EXPERIENCE,
CTX-SUPERVISION, CTX-VACANCIES.

These are not gaps. They record the conditions a practitioner worked under,
so that no finding about an individual is read without them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sfo.domain.joins import codes_of, day_numbers, range_join
from sfo.domain.rules.allocation import describe_practitioner, experience
from sfo.domain.rules.prepare import (
    Prepared,
    findings_frame,
    fmt,
    fmt_many,
    group_lists,
    ids,
    latest_on_or_before,
)

SIX_DAYS = pd.Timedelta(days=6)


def _empty(rid: str) -> pd.DataFrame:
    return findings_frame([], [], rid, [], [], [])


def workload(p: Prepared) -> pd.DataFrame:
    """Runs of 4+ consecutive weeks over 110% capacity during an allocation."""
    rid = "CTX-WORKLOAD"
    es = p.event_spells
    over_pct = float(p.param(rid, "capacity_over_pct"))
    min_weeks = int(p.param(rid, "min_consecutive_weeks"))
    w = p.records.table("workload")
    w = w[w["capacity_pct"] > over_pct]
    if es.empty or w.empty:
        return _empty(rid)
    m = es[["ev", "crn", "event_id", "staff_code", "spell_id", "alloc_date", "until"]].merge(
        w[["staff_code", "week_start", "capacity_pct", "caseload_count", "record_id"]],
        on="staff_code")
    # A week counts when it overlaps the allocation.
    m = m[(m["week_start"] + SIX_DAYS >= m["alloc_date"]) & (m["week_start"] <= m["until"])]
    if m.empty:
        return _empty(rid)
    m = m.sort_values(["ev", "spell_id", "week_start"], kind="stable").reset_index(drop=True)
    same_spell = (m["ev"].eq(m["ev"].shift(1)) & m["spell_id"].eq(m["spell_id"].shift(1)))
    gap = m["week_start"].diff() != pd.Timedelta(days=7)
    m["run"] = (gap | ~same_spell).cumsum()
    runs = m.groupby("run").agg(
        crn=("crn", "first"), event_id=("event_id", "first"),
        staff_code=("staff_code", "first"), first=("week_start", "first"),
        last=("week_start", "last"), weeks=("week_start", "size"),
        peak=("capacity_pct", "max"), caseload=("caseload_count", "max"),
    )
    _, evidence = group_lists(m["run"].to_numpy(), m["record_id"].tolist())
    runs["evidence"] = pd.Series(evidence, index=runs.index, dtype=object)
    runs = runs[runs["weeks"] >= min_weeks]
    summary = [
        f"{s} was working at over {over_pct:g}% of capacity for {k} consecutive weeks, from "
        f"the week of {fmt(a)} to the week of {fmt(b)} (peak {pk:g}%"
        f"{'' if pd.isna(cl) else f', caseload up to {cl:g}'})."
        for s, k, a, b, pk, cl in zip(runs["staff_code"], runs["weeks"], runs["first"],
                                      runs["last"], runs["peak"], runs["caseload"], strict=True)
    ]
    return findings_frame(runs["crn"], runs["event_id"], rid, runs["first"],
                          list(runs["evidence"]), summary)


def _families(codes: pd.Series) -> pd.Series:
    return codes.str.upper().str.split("-").str[0]


def training(p: Prepared) -> pd.DataFrame:
    """Courses the case needed that the practitioner had not completed when allocated."""
    rid = "CTX-TRAINING"
    es = p.event_spells
    if es.empty:
        return _empty(rid)
    hr = p.high_risk_on(es["crn"], es["alloc_date"])
    trig = p.trigger(es["ev"], es["alloc_date"], es["alloc_date"])
    need = []
    for fam in p.param(rid, "da_child_courses"):
        need.append(es[trig].assign(family=fam, why="domestic abuse or child safeguarding"))
    for fam in p.param(rid, "high_risk_courses"):
        need.append(es[hr].assign(family=fam, why="a high-risk profile"))
    needs = pd.concat(need, ignore_index=True)
    if needs.empty:
        return _empty(rid)
    t = p.records.table("training")
    t = t.assign(family=_families(t["course_code"]))
    m = needs[["ev", "crn", "staff_code", "alloc_date", "family"]].reset_index().merge(
        t[["staff_code", "family", "status", "status_date", "record_id", "course_code"]],
        on=["staff_code", "family"], how="left")
    # A course completed after the person's as-of date had not been done by then.
    # (A booking's date may lie ahead: that it was booked was known.)
    later = (m["status_date"].to_numpy() > p.as_of_of(m["crn"])) & (
        m["status"] == "completed").to_numpy(bool)
    m.loc[later, ["status", "status_date", "record_id", "course_code"]] = None
    completed = (m["status"] == "completed") & (
        m["status_date"].isna() | (m["status_date"] <= m["alloc_date"]))
    done_idx = set(m.loc[completed, "index"])
    missing = needs[~needs.index.isin(done_idx)]
    if missing.empty:
        return _empty(rid)
    # The most telling status recorded for the family (latest by date).
    recs = m[m["index"].isin(missing.index) & m["status"].notna()]
    recs = recs.sort_values(["index", "status_date"], kind="stable", na_position="first")
    latest = recs.groupby("index").tail(1).set_index("index")
    unavailable = set(recs.loc[recs["status"] == "not_available", "index"])
    status = latest["status"].reindex(missing.index)
    status_date = latest["status_date"].reindex(missing.index)
    rec_keys, rec_lists = group_lists(recs["index"].to_numpy(), recs["record_id"].tolist())
    rec_ids = pd.Series(rec_lists, index=rec_keys, dtype=object).reindex(missing.index)
    phrases = []
    for i, fam, why, s, sd, a, code in zip(missing.index, missing["family"], missing["why"],
                                           status, status_date, missing["alloc_date"],
                                           missing["staff_code"], strict=True):
        if i in unavailable:
            state = "the course was recorded as not available to them"
        elif s == "booked":
            state = f"it was recorded as booked{'' if pd.isna(sd) else ' (' + fmt(sd) + ')'}"
        elif s == "overdue":
            state = "it was recorded as overdue"
        elif s == "not_started":
            state = "it was recorded as not started"
        elif s == "completed":
            state = f"it was completed only later{'' if pd.isna(sd) else ', on ' + fmt(sd)}"
        else:
            state = "no training record for it was supplied"
        phrases.append(
            f"When {code} was allocated this case on {fmt(a)}, which involved {why}, they had "
            f"not completed {fam} training; {state}.")
    evidence = [ids(s, *(r if isinstance(r, list) else []))
                for s, r in zip(missing["spell_id"], rec_ids, strict=True)]
    return findings_frame(missing["crn"], missing["event_id"], rid, missing["alloc_date"],
                          evidence, phrases)


def experience_ctx(p: Prepared) -> pd.DataFrame:
    """An inexperienced practitioner holding a high-risk or DA/child case."""
    rid = "CTX-EXPERIENCE"
    es = p.event_spells
    if es.empty:
        return _empty(rid)
    months = int(p.param(rid, "min_months_in_grade"))
    hr = p.high_risk_on(es["crn"], es["alloc_date"])
    trig = p.trigger(es["ev"], es["alloc_date"], es["alloc_date"])
    x = experience(p, es, months)
    junior = x["grade"].isin(p.codes("inexperienced_grades")) | x["under"]
    sel = (hr | trig) & junior.to_numpy()
    e = es[sel]
    xx = x[sel]
    why = np.where(hr[sel], "a high-risk profile", "domestic abuse or child safeguarding")
    return findings_frame(
        e["crn"], e["event_id"], rid, e["alloc_date"], [ids(s) for s in e["spell_id"]],
        [f"On {fmt(a)} this case, involving {w}, was allocated to "
         f"{describe_practitioner(s, g, m)}."
         for a, w, s, g, m in zip(e["alloc_date"], why, e["staff_code"], xx["grade"],
                                  xx["months"], strict=True)])


def supervision(p: Prepared) -> pd.DataFrame:
    """Stretches of more than 6 weeks without formal supervision during an allocation."""
    rid = "CTX-SUPERVISION"
    es = p.event_spells
    if es.empty:
        return _empty(rid)
    limit = p.days(rid, "max_days_between")
    s = p.records.table("supervision")
    s = s[s["kind"] == "formal"][["staff_code", "supervision_date", "record_id"]]
    q = es[["ev", "crn", "event_id", "staff_code", "spell_id", "alloc_date", "until"]].assign(
        qid=np.arange(len(es)))
    # Staff as integer codes and days as numbers, so the joins are binary searches.
    staff = pd.Index(pd.concat([q["staff_code"], s["staff_code"]]).astype(object).unique())
    q_staff = codes_of(staff, q["staff_code"])
    s_staff = codes_of(staff, s["staff_code"])
    s_day = day_numbers(s["supervision_date"])
    alloc_day = day_numbers(q["alloc_date"])
    # The latest formal supervision on or before the allocation date ...
    base = latest_on_or_before(
        q[["qid", "alloc_date"]].assign(staff=q_staff), "alloc_date",
        pd.DataFrame({"staff": s_staff, "date": s["supervision_date"].to_numpy(),
                      "record_id": s["record_id"].to_numpy(dtype=object)}), by="staff"
    ).set_index("qid")
    # ... and every one after it, up to the end of the allocation.
    li, ri = range_join(q_staff, alloc_day + 1, day_numbers(q["until"]), s_staff, s_day)
    start_pts = pd.DataFrame({
        "qid": q["qid"].to_numpy(),
        "date": base["date"].reindex(q["qid"]).fillna(
            q.set_index("qid")["alloc_date"]).to_numpy(),
        "sid": base["record_id"].reindex(q["qid"]).to_numpy(),
    })
    pts = pd.concat([start_pts, pd.DataFrame({
        "qid": q["qid"].to_numpy()[li],
        "date": s["supervision_date"].to_numpy()[ri],
        "sid": s["record_id"].to_numpy(dtype=object)[ri]})],
        ignore_index=True).sort_values(["qid", "date"], kind="stable")
    qi = q.set_index("qid")
    pts["next"] = pts.groupby("qid")["date"].shift(-1)
    at_end = pts["next"].isna()
    pts["next"] = pts["next"].fillna(pd.Series(qi["until"].reindex(pts["qid"]).to_numpy(),
                                               index=pts.index))
    long = pts[(pts["next"] - pts["date"]) > limit]
    long_end = at_end[long.index]
    rows = qi.reindex(long["qid"])
    return findings_frame(
        rows["crn"].to_numpy(), rows["event_id"].to_numpy(), rid, long["date"] + limit,
        [ids(a, b) for a, b in zip(rows["spell_id"].to_numpy(), long["sid"], strict=True)],
        [f"{code} had no formal supervision for {days} days, from {d} "
         f"{'up to ' if e else 'to '}{nx}; formal supervision is expected at least every "
         f"{limit.days // 7} weeks."
         for code, days, d, nx, e in zip(
             rows["staff_code"].tolist(),
             ((long["next"] - long["date"]).dt.days).tolist(),
             fmt_many(long["date"]).tolist(), fmt_many(long["next"]).tolist(),
             long_end.tolist(), strict=True)])


def vacancies(p: Prepared) -> pd.DataFrame:
    """Months when a team of the case had less than 85% of its establishment in post."""
    rid = "CTX-VACANCIES"
    min_pct = float(p.param(rid, "min_in_post_pct"))
    teams = p.records.table("teams")
    if teams.empty or p.events.empty:
        return _empty(rid)
    teams = teams.assign(pct=100.0 * teams["in_post_fte"] / teams["establishment_fte"])
    teams = teams[teams["pct"] < min_pct]  # only short-staffed months can give a finding
    if teams.empty:
        return _empty(rid)
    people_team = p.records.table("people")["team_code"].to_numpy()
    ev = p.events[["ev", "crn", "event_id", "start", "end", "record_id"]]
    own = ev.assign(team_code=people_team[ev["crn"].to_numpy()])
    staff_team = p.records.table("staff").drop_duplicates("staff_code").set_index(
        "staff_code")["team_code"]
    es = p.event_spells
    via = es[["ev", "crn", "event_id", "start", "end"]].assign(
        team_code=staff_team.reindex(es["staff_code"]).to_numpy(),
        record_id=p.events.set_index("ev")["record_id"].reindex(es["ev"]).to_numpy())
    links = pd.concat([own, via], ignore_index=True).dropna(subset=["team_code"])
    links = links.drop_duplicates(["ev", "team_code"])
    m = links.merge(teams[["team_code", "month", "pct", "record_id"]], on="team_code",
                    suffixes=("", "_team"))
    month_start = m["start"].dt.to_period("M").dt.to_timestamp()
    m = m[(m["month"] >= month_start) & (m["month"] <= m["end"]) & (m["pct"] < min_pct)]
    if m.empty:
        return _empty(rid)
    m = m.sort_values(["ev", "team_code", "month"], kind="stable")
    g = m.groupby(["ev", "team_code"], sort=False)
    agg = g.agg(crn=("crn", "first"), event_id=("event_id", "first"), first=("month", "first"),
                months=("month", "size"), low=("pct", "min"), ev_record=("record_id", "first"))
    agg = agg.reset_index()
    agg["evidence"] = group_lists(g.ngroup().to_numpy(), m["record_id_team"].tolist())[1]
    low_month = m.loc[g["pct"].idxmin().to_numpy(), "month"].to_numpy()
    return findings_frame(
        agg["crn"], agg["event_id"], rid, agg["first"],
        [ids(r, *e) for r, e in zip(agg["ev_record"], agg["evidence"], strict=True)],
        [f"Team {t} had less than {min_pct:g}% of its establishment in post in {k} "
         f"month{'s' if k != 1 else ''} of this period, at lowest {lo:.0f}% "
         f"({pd.Timestamp(lm).strftime('%B %Y')})."
         for t, k, lo, lm in zip(agg["team_code"], agg["months"], agg["low"], low_month,
                                 strict=True)])
