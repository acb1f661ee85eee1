"""Findings and timelines for bundles: the verbs the CLI and the app share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

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
