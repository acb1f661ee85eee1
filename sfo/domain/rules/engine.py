"""Run the practice-standard rules over case records.

Every rule is a vectorised function over all people at once. The engine runs
the enabled ones, says which could not be checked (and why) rather than
passing them silently, removes duplicates, adds kind and severity from the
rule pack, and records for each finding what was known on its date (the
hindsight guard).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from sfo.domain.calendar import WorkingCalendar
from sfo.domain.findings import CaseFindings, Finding, NotChecked
from sfo.domain.records import CaseRecords
from sfo.domain.rulepack import RulePack
from sfo.domain.rules import (
    allocation,
    appointments,
    enforcement,
    risk,
    safeguarding,
    working_context,
)
from sfo.domain.rules.prepare import (
    FINDING_COLUMNS,
    Prepared,
    empty_findings,
    fmt,
    latest_on_or_before,
    prepare,
)
from sfo.domain.rules.risk import _level

RuleFn = Callable[[Prepared], pd.DataFrame]
PROFILE = ("assessments", "registrations")  # either one lets the risk profile be judged


@dataclass(frozen=True)
class Rule:
    """One rule: its id, the files it needs, and the function that applies it."""

    rule_id: str
    needs: tuple[str, ...]
    fn: RuleFn
    needs_profile: bool = False
    per_event: bool = True


RULES: tuple[Rule, ...] = (
    Rule("ALLOC-TIMELY", ("events", "allocations"), allocation.alloc_timely),
    Rule("ALLOC-FIT", ("events", "allocations", "staff"), allocation.alloc_fit,
         needs_profile=True),
    Rule("FIRST-APPT", ("events",), appointments.first_appt),
    Rule("RISK-INIT", ("events", "assessments"), risk.risk_init),
    Rule("RISK-REVIEW", ("events", "assessments"), risk.risk_review),
    Rule("RISK-CONSISTENCY", ("assessments",), risk.risk_consistency, per_event=False),
    Rule("OVERSIGHT", ("events", "allocations"), allocation.oversight, needs_profile=True),
    Rule("DA-CHECKS", ("events",), safeguarding.da_checks),
    Rule("HOME-VISIT", ("events",), safeguarding.home_visit),
    Rule("CONTACT-FREQ", ("events",), appointments.contact_freq),
    Rule("OUTCOME-RECORDED", (), appointments.outcome_recorded, per_event=False),
    Rule("ENFORCEMENT", (), enforcement.enforcement, per_event=False),
    Rule("RECALL-TIMELY", ("events",), appointments.recall_timely),
    Rule("REG-REVIEW", ("registrations",), enforcement.reg_review, per_event=False),
    Rule("CTX-WORKLOAD", ("events", "allocations", "workload"), working_context.workload),
    Rule("CTX-TRAINING", ("events", "allocations", "training"), working_context.training),
    Rule("CTX-EXPERIENCE", ("events", "allocations", "staff"), working_context.experience_ctx),
    Rule("CTX-SUPERVISION", ("events", "allocations", "supervision"),
         working_context.supervision),
    Rule("CTX-VACANCIES", ("events", "teams"), working_context.vacancies),
)
RULE_IDS: tuple[str, ...] = (*(r.rule_id for r in RULES), "GOOD-PRACTICE")

WHAT_IT_MEANS = {
    "events": "sentences and licences (events.csv)",
    "allocations": "allocations (allocations.csv)",
    "staff": "staff grades and experience (staff.csv)",
    "assessments": "risk assessments (assessments.csv)",
    "registrations": "registrations (registrations.csv)",
    "workload": "workload measurement (workload.csv)",
    "training": "training records (training.csv)",
    "supervision": "supervision records (supervision.csv)",
    "teams": "team establishment and staffing (teams.csv)",
}


@dataclass(frozen=True)
class FindingsResult:
    """All findings for all people, as one frame, with per-person context."""

    frame: pd.DataFrame          # one row per finding (see FINDING_COLUMNS + kind, ...)
    as_of: pd.DataFrame          # crn, as_of, as_of_source
    not_checked: pd.DataFrame    # crn, rule_id, reason
    supplied: frozenset[str] = frozenset()  # which files the hindsight facts could use

    def cases(self, crns: list[str] | None = None) -> Iterator[CaseFindings]:
        """Per-person results in CRN order."""
        frame = self.frame
        by_crn = dict(tuple(frame.groupby("crn", sort=False))) if len(frame) else {}
        nc = dict(tuple(self.not_checked.groupby("crn", sort=False))) if len(
            self.not_checked) else {}
        rows = self.as_of.sort_values("crn")
        if crns is not None:
            rows = rows[rows["crn"].isin(crns)]
        for crn, as_of, source in zip(rows["crn"], rows["as_of"], rows["as_of_source"],
                                      strict=True):
            f = by_crn.get(crn)
            findings: tuple[Finding, ...] = ()
            if f is not None:
                known = [render_known(row, self.supplied)
                         for row in f[list(KNOWN_COLUMNS)].to_dict("records")]
                findings = tuple(
                    Finding(crn=crn, rule_id=r, kind=k, severity=s,
                            date=None if pd.isna(d) else pd.Timestamp(d).date(),
                            summary=sm, evidence=tuple(ev), known=kn,
                            event_id=None if e is None or pd.isna(e) else str(e),
                            local_default=bool(loc))
                    for r, k, s, d, sm, ev, kn, e, loc in zip(
                        f["rule_id"], f["kind"], f["severity"], f["date"], f["summary"],
                        f["evidence"], known, f["event_id"], f["local_default"],
                        strict=True))
            n = nc.get(crn)
            not_checked: tuple[NotChecked, ...] = ()
            if n is not None:
                not_checked = tuple(NotChecked(r, why) for r, why in zip(
                    n["rule_id"], n["reason"], strict=True))
            yield CaseFindings(crn=crn, as_of=pd.Timestamp(as_of).date(),
                               as_of_source=source, findings=findings,
                               not_checked=not_checked)


def run_rules(records: CaseRecords, pack: RulePack, cal: WorkingCalendar, *,
              as_of: date | None = None, today: date | None = None,
              progress: Callable[[str], None] | None = None) -> FindingsResult:
    """Apply every enabled rule to every person in the records."""
    today = today or date.today()
    p = prepare(records, pack, cal, as_of=as_of, today=today)
    frames = [empty_findings()]
    skipped: list[tuple[str, str]] = []
    for rule in RULES:
        if not pack.enabled(rule.rule_id):
            continue
        missing = [t for t in rule.needs if not records.has(t)]
        if rule.needs_profile and not any(records.has(t) for t in PROFILE):
            missing.append("assessments or registrations")
        if missing:
            skipped.append((rule.rule_id, _missing_reason(missing)))
            continue
        if progress:
            progress(rule.rule_id)
        frames.append(rule.fn(p))
    found = pd.concat(frames, ignore_index=True)
    if not pack.enabled("GOOD-PRACTICE"):
        found = found[found["rule_id"] != "GOOD-PRACTICE"]
    found = _finish(found, p)
    names = p.as_of["crn_str"].to_numpy()
    found["crn"] = names[found["crn"].to_numpy(dtype="int64")]
    not_checked = _not_checked(p, skipped)
    not_checked["crn"] = names[not_checked["crn"].to_numpy(dtype="int64")]
    as_of_frame = p.as_of.assign(crn=names).drop(columns="crn_str")
    return FindingsResult(frame=found, as_of=as_of_frame, not_checked=not_checked,
                          supplied=records.supplied)


def _missing_reason(missing: list[str]) -> str:
    names = [WHAT_IT_MEANS.get(m, m) for m in missing]
    return "Not checked: " + " and ".join(names) + " not supplied."


def _not_checked(p: Prepared, skipped: list[tuple[str, str]]) -> pd.DataFrame:
    crns = p.as_of["crn"].to_numpy()
    parts = [pd.DataFrame({"crn": crns, "rule_id": r, "reason": why}) for r, why in skipped]
    if p.records.has("events"):
        no_events = np.setdiff1d(crns, p.events["crn"].unique())
        if len(no_events):
            for rule in RULES:
                if rule.per_event and p.pack.enabled(rule.rule_id) and rule.rule_id not in {
                        r for r, _ in skipped}:
                    parts.append(pd.DataFrame({
                        "crn": no_events, "rule_id": rule.rule_id,
                        "reason": "Not checked: no sentence or licence for this person "
                                  "started on or before the as-of date."}))
    if not parts:
        return pd.DataFrame({"crn": np.array([], dtype="int64"), "rule_id": [], "reason": []})
    return pd.concat(parts, ignore_index=True).sort_values(["crn", "rule_id"], kind="stable")


def _finish(found: pd.DataFrame, p: Prepared) -> pd.DataFrame:
    if found.empty:
        found = found.assign(kind=pd.Series(dtype=object), severity=pd.Series(dtype=object),
                             local_default=pd.Series(dtype=bool))
        return found.assign(**{c: pd.Series(dtype=object) for c in KNOWN_COLUMNS})
    found = found[FINDING_COLUMNS].copy()
    found["date"] = pd.to_datetime(found["date"])
    found["evidence"] = [tuple(e) for e in found["evidence"]]
    found = found.drop_duplicates(["crn", "rule_id", "date", "summary"])
    found = found.sort_values(["crn", "date", "rule_id"], kind="stable").reset_index(drop=True)
    kinds = {r: p.pack.kind(r) for r in found["rule_id"].unique()}
    sev = {r: p.pack.severity(r) for r in found["rule_id"].unique()}
    local = {r: bool(p.pack.rules.get(r, {}).get("local")) for r in found["rule_id"].unique()}
    found["kind"] = found["rule_id"].map(kinds)
    found["severity"] = found["rule_id"].map(sev)
    found["local_default"] = found["rule_id"].map(local).astype(bool)
    return pd.concat([found, known_at(p, found)], axis=1)


KNOWN_COLUMNS = ("known_assessment", "known_assessment_date", "known_rosh",
                 "known_registrations", "known_holder", "known_grade")


def known_at(p: Prepared, found: pd.DataFrame) -> pd.DataFrame:
    """For each finding, what the record showed on its date (the hindsight guard).

    The facts are found here, vectorised; :func:`render_known` words them when a
    finding is shown.
    """
    n = len(found)
    q = pd.DataFrame({"crn": found["crn"].to_numpy(), "date": found["date"].to_numpy(),
                      "qid": np.arange(n)})
    out = pd.DataFrame({
        "known_assessment": np.full(n, None, dtype=object),
        "known_assessment_date": np.full(n, np.datetime64("NaT", "ns")),
        "known_rosh": np.full(n, -1, dtype="int64"),
        "known_registrations": np.full(n, None, dtype=object),
        "known_holder": np.full(n, None, dtype=object),
        "known_grade": np.full(n, None, dtype=object),
    }, index=found.index)
    if p.records.has("assessments"):
        a = p.assessments[["crn", "date", "record_id", "rosh"]]
        hit = latest_on_or_before(q, "date", a, by="crn")
        at = hit["qid"].to_numpy()
        out.iloc[at, 0] = hit["record_id"].to_numpy(dtype=object)
        out.iloc[at, 1] = hit["date_c"].to_numpy()
        out.iloc[at, 2] = hit["rosh"].to_numpy()
    if p.records.has("registrations"):
        m = q.merge(p.registrations[["crn", "type_code", "level", "start", "end"]], on="crn")
        m = m[(m["start"] <= m["date"]) & (m["end"] > m["date"])]
        if len(m):
            labels = [t if not isinstance(lv, str) else f"{t} {lv}"
                      for t, lv in zip(m["type_code"].tolist(), m["level"].tolist(),
                                       strict=True)]
            m = m.assign(label=labels).sort_values(["qid", "label"]).drop_duplicates(
                ["qid", "label"])
            qids = m["qid"].to_numpy()
            starts = np.flatnonzero(np.r_[True, qids[1:] != qids[:-1]])
            pieces = np.array([f"{label}, " for label in m["label"].tolist()], dtype=object)
            joined = np.add.reduceat(pieces, starts)  # each person's labels, comma-separated
            out.iloc[qids[starts], 3] = np.array([t[:-2] for t in joined.tolist()],
                                                 dtype=object)
    if p.records.has("allocations"):
        al = p.allocations[["crn", "staff_code", "start", "to"]].rename(
            columns={"start": "from"})
        hit = latest_on_or_before(q, "date", al, by="crn", cand_on="from")
        hit = hit[hit["to"] >= hit["date"]]
        staff = p.records.table("staff").drop_duplicates("staff_code").set_index("staff_code")
        codes = hit["staff_code"].to_numpy(dtype=object)
        at = hit["qid"].to_numpy()
        out.iloc[at, 4] = codes
        out.iloc[at, 5] = staff["grade"].reindex(codes).to_numpy(dtype=object)
    return out


def render_known(row: Mapping[Any, Any], supplied: frozenset[str]) -> tuple[str, ...]:
    """The hindsight facts of one finding in plain English."""
    lines = []
    if "assessments" in supplied:
        aid = row["known_assessment"]
        if isinstance(aid, str):
            rosh = int(row["known_rosh"])
            lines.append(f"Latest completed risk assessment: {aid} on "
                         f"{fmt(row['known_assessment_date'])} "
                         f"(overall RoSH {_level(rosh)}).")
        else:
            lines.append("No completed risk assessment recorded by this date.")
    if "registrations" in supplied:
        regs = row["known_registrations"]
        lines.append(f"Active registrations: {regs}." if isinstance(regs, str)
                     else "No active registrations.")
    if "allocations" in supplied:
        code, grade = row["known_holder"], row["known_grade"]
        if not isinstance(code, str):
            lines.append("No practitioner allocated on this date.")
        elif code.endswith("U"):
            lines.append(f"Unallocated ({code}) on this date.")
        else:
            lines.append(f"Held by {code}{f' ({grade})' if isinstance(grade, str) else ''}.")
    return tuple(lines)
