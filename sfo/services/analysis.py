"""Findings and timelines for bundles: the verbs the CLI and the app share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from sfo import bootstrap, config, importers, standards
from sfo.domain import timeline as tl
from sfo.domain.findings import CaseFindings
from sfo.domain.records import CaseRecords
from sfo.domain.rulepack import RulePack
from sfo.domain.rules import engine
from sfo.errors import InputError, NotFound

Progress = Callable[[str], None]


@dataclass(frozen=True)
class FindingsReport:
    """Findings for the people asked for, with the warnings raised on import."""

    cases: tuple[CaseFindings, ...]
    warnings: tuple[str, ...]
    pack: RulePack
    source: str

    def as_dict(self) -> dict[str, object]:
        """The `sfo findings --format json` document."""
        return {
            "source": self.source,
            "rule_pack": {"name": self.pack.name, "version": self.pack.version,
                          "origin": self.pack.origin},
            "cases": [c.as_dict() for c in self.cases],
            "warnings": list(self.warnings),
        }


def rule_pack(rules: str | Path | None = None) -> RulePack:
    """The rule pack to use: --rules, else the SFO_RULES setting, else the default."""
    chosen = rules or config.setting("SFO_RULES") or None
    return standards.load_rule_pack(chosen)


def load(bundle: str | Path, *, mapping: str | Path | None = None,
         progress: Progress | None = None) -> CaseRecords:
    """Import a bundle (folder or .zip), all or nothing."""
    limit = config.setting("SFO_MAX_UNZIPPED_MB")
    if not limit.isdigit() or int(limit) < 1:
        raise InputError(f"SFO_MAX_UNZIPPED_MB is '{limit}'; expected a whole number of MB.")
    return importers.load_bundle(Path(bundle), mapping=mapping, progress=progress,
                                 max_unzipped_mb=int(limit))


def _require(records: CaseRecords, crn: str | None) -> None:
    if crn is not None and crn not in set(records.table("people")["crn"]):
        raise NotFound(f"No person with CRN {crn} in {records.source or 'the bundle'} "
                       f"(people.csv lists {len(records.table('people'))}).")


def findings_for(records: CaseRecords, *, crn: str | None = None, as_of: date | None = None,
                 pack: RulePack | None = None, today: date | None = None,
                 progress: Progress | None = None) -> FindingsReport:
    """Apply the rule pack to imported records (one person, or everyone)."""
    pack = pack or rule_pack()
    _require(records, crn)
    subset = records.for_people([crn]) if crn else records
    cal = bootstrap.calendar_for(subset, as_of, today or date.today())
    result = engine.run_rules(subset, pack, cal, as_of=as_of, today=today, progress=progress)
    cases = tuple(result.cases([crn] if crn else None))
    return FindingsReport(cases=cases, warnings=records.warnings, pack=pack,
                          source=records.source)


def findings(bundle: str | Path, *, crn: str | None = None, as_of: date | None = None,
             rules: str | Path | None = None, mapping: str | Path | None = None,
             today: date | None = None, progress: Progress | None = None) -> FindingsReport:
    """Import a bundle and apply the rule pack: `sfo findings`."""
    pack = rule_pack(rules)  # a bad rules file is reported before a long import
    records = load(bundle, mapping=mapping, progress=progress)
    return findings_for(records, crn=crn, as_of=as_of, pack=pack, today=today,
                        progress=progress)


def timeline_for(records: CaseRecords, *, crn: str, as_of: date | None = None) -> pd.DataFrame:
    """One person's chronology, limited to what was recorded by as-of when given."""
    _require(records, crn)
    frame = tl.build_timeline(records, [crn])
    return tl.known_on(frame, as_of) if as_of else frame


def timeline(bundle: str | Path, *, crn: str, as_of: date | None = None,
             mapping: str | Path | None = None) -> tuple[pd.DataFrame, CaseRecords]:
    """Import a bundle and reconstruct one person's chronology: `sfo timeline`."""
    records = load(bundle, mapping=mapping)
    return timeline_for(records, crn=crn, as_of=as_of), records


def long_date(d: date | pd.Timestamp | None) -> str:
    """A date as people write it ('3 June 2024'); '' for none."""
    if d is None or pd.isna(d):
        return ""
    d = pd.Timestamp(d)
    return f"{d.day} {d:%B %Y}"


def case_summary(records: CaseRecords, crn: str, as_of: date) -> dict[str, Any]:
    """The case as it stood on ``as_of``: sentence, risk, registrations, who held it."""
    r, as_of_ts = records, pd.Timestamp(as_of)
    person = r.table("people").set_index("crn").loc[crn]
    ev = r.table("events")
    ev = ev[(ev["crn"] == crn)].copy()
    ev["start"] = ev["release_date"].where(ev["sentence_type"] == "licence").fillna(
        ev["sentence_date"])
    ev = ev[ev["start"] <= as_of_ts].sort_values("start")
    sentence = start = ""
    if len(ev):
        last = ev.iloc[-1]
        sentence = str(last["sentence_type"]).replace("_", " ")
        if isinstance(last["index_offence"], str) and last["index_offence"]:
            sentence += f" ({last['index_offence']})"
        start = long_date(last["start"])
    rosh = "not supplied" if not r.has("assessments") else "no completed assessment"
    a = r.table("assessments")
    a = a[(a["crn"] == crn) & a["completed_date"].notna() & (a["completed_date"] <= as_of_ts)]
    if len(a):
        latest = a.sort_values("completed_date").iloc[-1]
        rosh = (f"{str(latest['rosh_overall']).replace('_', ' ').lower()} "
                f"(assessment {latest['record_id']}, {long_date(latest['completed_date'])})")
    regs: list[str] = []
    g = r.table("registrations")
    g = g[(g["crn"] == crn) & (g["registered_date"] <= as_of_ts)
          & (g["deregistered_date"].isna() | (g["deregistered_date"] > as_of_ts))]
    for t, lv in zip(g["type_code"], g["level"], strict=True):
        regs.append(f"{t} {lv}" if isinstance(lv, str) and lv else str(t))
    holder = ""
    al = r.table("allocations")
    al = al[(al["crn"] == crn) & (al["allocated_from"] <= as_of_ts)
            & (al["allocated_to"].isna() | (al["allocated_to"] >= as_of_ts))]
    if len(al):
        code = str(al.sort_values("allocated_from").iloc[-1]["staff_code"])
        staff = r.table("staff").set_index("staff_code")
        grade = staff["grade"].get(code) if code in staff.index else None
        holder = ("unallocated" if code.endswith("U") else
                  f"{code}{f' ({grade})' if isinstance(grade, str) else ''}")
    return {"crn": crn, "name": str(person.get("name") or ""),
            "pdu": str(person.get("pdu") or ""), "team": str(person.get("team_code") or ""),
            "sentence": sentence, "start": start, "as_of": long_date(as_of), "rosh": rosh,
            "registrations": regs, "practitioner": holder}
