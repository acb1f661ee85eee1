"""Allocation and management oversight: ALLOC-TIMELY, ALLOC-FIT, OVERSIGHT."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sfo.domain.rules.prepare import (
    Prepared,
    add_months,
    findings_frame,
    first_after,
    first_on_or_after,
    fmt,
    ids,
)

ONE_DAY = pd.Timedelta(days=1)


def alloc_timely(p: Prepared) -> pd.DataFrame:
    """Late first allocation and later unallocated spells of 5+ working days."""
    rid = "ALLOC-TIMELY"
    ev = p.events
    n_days = int(p.param(rid, "allocate_within_working_days"))
    max_gap = int(p.param(rid, "max_unallocated_working_days"))
    es = p.event_spells

    first = es.groupby("ev")["alloc_date"].min()
    first_id = es.drop_duplicates("ev").set_index("ev")["spell_id"]
    e = ev.assign(first=first.reindex(ev["ev"]).to_numpy(),
                  first_id=first_id.reindex(ev["ev"]).to_numpy())
    e["deadline"] = p.wd(e["start"], n_days)
    late = (e["first"] > e["deadline"]) | (e["first"].isna() & (e["deadline"] <= e["end"]))
    lat = e[late]
    took = p.cal.count_between(lat["start"].to_numpy() + np.timedelta64(1, "D"),
                               lat["first"].to_numpy())
    summary = [
        (f"No named practitioner was allocated until {fmt(f)}, {k} working days after the "
         f"start on {fmt(s)}; allocation was expected within {n_days} working days."
         if not pd.isna(f) else
         f"No named practitioner was allocated between the start on {fmt(s)} and {fmt(end)}; "
         f"allocation was expected within {n_days} working days.")
        for f, k, s, end in zip(lat["first"], took, lat["start"], lat["end"], strict=True)
    ]
    out = [findings_frame(lat["crn"], lat["event_id"], rid, lat["deadline"],
                          [ids(a, b) for a, b in zip(lat["record_id"], lat["first_id"],
                                                     strict=True)], summary)]

    # Later unallocated runs: uncovered days between covered intervals.
    if len(es):
        s = es.sort_values(["ev", "alloc_date"], kind="stable")
        covered_to = s.groupby("ev")["until"].cummax()
        prev_to = covered_to.groupby(s["ev"]).shift(1)
        prev_id = s.groupby("ev")["spell_id"].shift(1)
        gap_from = prev_to + ONE_DAY
        mid = s.assign(gap_from=gap_from, gap_to=s["alloc_date"] - ONE_DAY, prev_id=prev_id,
                       next_id=s["spell_id"])
        mid = mid[mid["gap_from"].notna() & (mid["gap_to"] >= mid["gap_from"])]
        last = s.assign(covered_to=covered_to).groupby("ev").tail(1)
        tail = last.assign(gap_from=last["covered_to"] + ONE_DAY, gap_to=last["end"],
                           prev_id=last["spell_id"], next_id=None)
        tail = tail[tail["gap_to"] >= tail["gap_from"]]
        gaps = pd.concat([mid, tail], ignore_index=True)
        if len(gaps):
            wdays = p.cal.count_between(gaps["gap_from"], gaps["gap_to"])
            gaps = gaps[wdays > max_gap].assign(wdays=wdays[wdays > max_gap])
            starts_working = p.cal.is_working_day(gaps["gap_from"])
            when = p.wd(gaps["gap_from"], np.where(starts_working, max_gap, max_gap + 1))
            ev_ids = ev.set_index("ev")["record_id"]
            summary = [
                f"The case had no named practitioner from {fmt(a)} to {fmt(b)} "
                f"({w} working days); a spell of {max_gap + 1} working days or more without "
                f"one is a gap."
                for a, b, w in zip(gaps["gap_from"], gaps["gap_to"], gaps["wdays"], strict=True)
            ]
            evidence = [ids(x, y, z) for x, y, z in zip(
                ev_ids.reindex(gaps["ev"]).to_numpy(), gaps["prev_id"], gaps["next_id"],
                strict=True)]
            out.append(findings_frame(gaps["crn"], gaps["event_id"], rid, when, evidence,
                                      summary))
    return pd.concat(out, ignore_index=True)


def _staff(p: Prepared) -> pd.DataFrame:
    staff = p.records.table("staff")
    return staff.drop_duplicates("staff_code").set_index("staff_code")


def experience(p: Prepared, es: pd.DataFrame, min_months: int) -> pd.DataFrame:
    """Grade and months in grade of each spell's practitioner on its allocation date."""
    staff = _staff(p)
    grade = staff["grade"].reindex(es["staff_code"]).to_numpy()
    since = staff["in_role_since"].reindex(es["staff_code"]).to_numpy()
    since_s = pd.Series(since, index=es.index, dtype="datetime64[ns]")
    cutoff = add_months(es["alloc_date"], -min_months)
    months = ((es["alloc_date"] - since_s).dt.days / 30.44).round().astype("Int64")
    return pd.DataFrame({
        "grade": grade,
        "since": since_s,
        "months": months,
        "under": since_s.notna() & (since_s > cutoff),
        "unknown": since_s.isna(),
        "known_staff": pd.Series(grade, index=es.index).notna(),
    }, index=es.index)


def describe_practitioner(code: str, grade: object, months: object) -> str:
    """'N07A726, a PSO with 4 months in grade'."""
    if grade is None or pd.isna(grade):  # type: ignore[call-overload]
        return f"{code} (grade not recorded)"
    article = "an" if str(grade)[0] in "AEIOU" else "a"
    if months is None or pd.isna(months):  # type: ignore[call-overload]
        return f"{code}, {article} {grade} (time in grade not recorded)"
    m = int(months)  # type: ignore[call-overload]
    span = f"{m // 12} years" if m >= 24 else f"{m} months"
    return f"{code}, {article} {grade} with {span} in grade"


def alloc_fit(p: Prepared) -> pd.DataFrame:
    """High-risk or DA/child cases allocated below PO/SPO with 12 months, without oversight."""
    rid = "ALLOC-FIT"
    es = p.event_spells
    if es.empty:
        return findings_frame([], [], rid, [], [], [])
    months = int(p.param(rid, "min_months_in_grade"))
    within = p.days(rid, "oversight_within_days")
    hr = p.high_risk_on(es["crn"], es["alloc_date"])
    trig = p.trigger(es["ev"], es["alloc_date"], es["alloc_date"])
    child = p.registration_active(es["crn"], es["alloc_date"], es["alloc_date"],
                                  p.codes("child_registrations"))
    applies = hr | (trig & child)
    x = experience(p, es, months)
    fit = (x["grade"].isin(p.codes("named_grades")) & ~x["under"] & ~x["unknown"]).to_numpy()
    cand = es[applies & ~fit & x["known_staff"].to_numpy()].copy()
    if cand.empty:
        return findings_frame([], [], rid, [], [], [])
    cand["qid"] = np.arange(len(cand))
    ov = p.contacts_of(p.codes("oversight"))[["crn", "date", "record_id"]]
    hit = first_on_or_after(cand, "alloc_date", ov, by="crn")
    ok = hit[hit["date"] <= hit["alloc_date"] + within]["qid"]
    cand = cand[~cand["qid"].isin(ok) & (cand["alloc_date"] + within <= cand["until"])]
    xx = x.loc[cand.index]
    why = np.where(p.high_risk_on(cand["crn"], cand["alloc_date"]), "a high-risk profile",
                   "domestic abuse or child safeguarding concerns and a child registration")
    summary = [
        f"On {fmt(a)} the case, which had {w}, was allocated to "
        f"{describe_practitioner(s, g, m)}; no management oversight recording that choice "
        f"followed within {within.days} days. Such cases are expected to go to a PO or SPO "
        f"with {months} months or more in grade."
        for a, w, s, g, m in zip(cand["alloc_date"], why, cand["staff_code"], xx["grade"],
                                 xx["months"], strict=True)
    ]
    evidence = [ids(a) for a in cand["spell_id"]]
    return findings_frame(cand["crn"], cand["event_id"], rid, cand["alloc_date"], evidence,
                          summary)


def oversight(p: Prepared) -> pd.DataFrame:
    """Oversight within 15 days of allocating a high-risk case, then every 8 weeks."""
    rid = "OVERSIGHT"
    es = p.event_spells
    if es.empty:
        return findings_frame([], [], rid, [], [], [])
    first_days = p.days(rid, "first_within_days")
    cadence = p.days(rid, "max_days_between")
    ov = p.contacts_of(p.codes("oversight"))[["crn", "date", "record_id"]]
    es = es.assign(qid=np.arange(len(es)))
    out = []

    hr = p.high_risk_on(es["crn"], es["alloc_date"])
    q = es[hr]
    hit = first_on_or_after(q, "alloc_date", ov, by="crn")
    ok_rows = hit[hit["date"] <= hit["alloc_date"] + first_days]
    missed = q[~q["qid"].isin(ok_rows["qid"]) & (q["alloc_date"] + first_days <= q["until"])]
    out.append(findings_frame(
        missed["crn"], missed["event_id"], rid, missed["alloc_date"] + first_days,
        [ids(s) for s in missed["spell_id"]],
        [f"The case had a high-risk profile when {s} was allocated on {fmt(a)}, and no "
         f"management oversight was recorded within {first_days.days} days."
         for s, a in zip(missed["staff_code"], missed["alloc_date"], strict=True)]))
    good = ok_rows[ok_rows["date"] <= ok_rows["until"]]
    out.append(findings_frame(
        good["crn"], good["event_id"], "GOOD-PRACTICE", good["date"],
        [ids(s, c) for s, c in zip(good["spell_id"], good["record_id"], strict=True)],
        [f"Management oversight of this high-risk case was recorded on {fmt(d)}, "
         f"{(d - a).days} days after it was allocated to {s}."
         for d, a, s in zip(good["date"], good["alloc_date"], good["staff_code"],
                            strict=True)]))

    # Cadence: from the allocation date and each oversight contact to the next.
    joined = es[["qid", "crn", "event_id", "alloc_date", "until", "spell_id"]].merge(
        ov, on="crn")
    joined = joined[(joined["date"] > joined["alloc_date"]) & (joined["date"] <= joined["until"])]
    refs = pd.concat([
        es[["qid", "crn", "event_id", "until", "spell_id"]].assign(
            ref=es["alloc_date"], ref_id=None),
        joined[["qid", "crn", "event_id", "until", "spell_id"]].assign(
            ref=joined["date"], ref_id=joined["record_id"]),
    ], ignore_index=True)
    refs["due"] = refs["ref"] + cadence
    refs = refs[refs["due"] <= refs["until"]].reset_index(drop=True)
    refs["rid"] = np.arange(len(refs))
    nxt = first_after(refs, "ref", ov, by="crn")
    in_time = nxt[nxt["date"] <= nxt["due"]]["rid"]
    late = refs[~refs["rid"].isin(in_time)]
    late = late[p.high_risk_on(late["crn"], late["due"])]
    late = late.drop_duplicates(["qid", "due"])
    out.append(findings_frame(
        late["crn"], late["event_id"], rid, late["due"],
        [ids(s, r) for s, r in zip(late["spell_id"], late["ref_id"], strict=True)],
        [(f"No management oversight was recorded for more than {cadence.days} days after "
          f"{'the oversight on ' + fmt(r) if isinstance(i, str) else 'allocation on ' + fmt(r)}"
          f" while the case had a high-risk profile.")
         for r, i in zip(late["ref"], late["ref_id"], strict=True)]))
    return pd.concat(out, ignore_index=True)
