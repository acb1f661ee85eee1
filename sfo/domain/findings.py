"""Findings: what the practice-standard rules say about a case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Finding:
    """One gap, piece of working context, or piece of good practice, with its evidence."""

    crn: str
    rule_id: str
    kind: str            # gap | context | good_practice
    severity: str        # high | medium | low | info
    date: date | None    # the decision point
    summary: str         # one plain-English sentence
    evidence: tuple[str, ...]
    known: tuple[str, ...]  # what was recorded on or before `date`
    event_id: str | None = None
    local_default: bool = False  # a threshold behind it is a local default

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form (the `sfo findings --format json` contract)."""
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "severity": self.severity,
            "date": self.date.isoformat() if self.date else None,
            "summary": self.summary,
            "evidence": list(self.evidence),
            "known": list(self.known),
            "event_id": self.event_id,
            "local_default": self.local_default,
        }


@dataclass(frozen=True)
class NotChecked:
    """A rule that could not be checked for a person, and why."""

    rule_id: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"rule_id": self.rule_id, "reason": self.reason}


@dataclass(frozen=True)
class CaseFindings:
    """Everything the rules found for one person as of one date."""

    crn: str
    as_of: date
    as_of_source: str
    findings: tuple[Finding, ...]
    not_checked: tuple[NotChecked, ...]

    def rule_ids(self, kind: str | None = None) -> set[str]:
        """The distinct rule ids found (optionally of one kind)."""
        return {f.rule_id for f in self.findings if kind is None or f.kind == kind}

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "crn": self.crn,
            "as_of": self.as_of.isoformat(),
            "as_of_source": self.as_of_source,
            "findings": [f.as_dict() for f in self.findings],
            "not_checked": [n.as_dict() for n in self.not_checked],
        }
