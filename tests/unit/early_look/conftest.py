"""Shared material for the early-look tests: the scenario bundles, read once, and a base state.

Each scenario bundle in fixtures/scenarios is imported and run through the
rule engine once per test session (about three seconds in all).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sfo import bootstrap, standards
from sfo.domain import early_look as el
from sfo.domain.checklist import Checklist
from sfo.domain.findings import CaseFindings
from sfo.domain.records import CaseRecords
from sfo.importers import load_bundle
from sfo.services import analysis

SCENARIOS = Path(__file__).resolve().parents[3] / "fixtures" / "scenarios"
TODAY = date(2026, 1, 1)
AT = datetime(2024, 7, 1, 9, 30, tzinfo=UTC)
MANAGER = "spo.example"


@dataclass(frozen=True)
class Scenario:
    """One scenario bundle with its findings and conditions."""

    name: str
    records: CaseRecords
    case: CaseFindings
    conditions: dict[str, bool | None]
    start: date  # sentence date, or release date for a licence


def _load(folder: Path) -> Scenario:
    mapping = folder / "mapping.toml"
    records = load_bundle(folder, mapping=mapping if mapping.exists() else None)
    report = analysis.findings_for(records, today=TODAY)
    (case,) = report.cases
    cal = bootstrap.calendar_for(records, case.as_of)
    ev = records.table("events")
    start = ev["release_date"].fillna(ev["sentence_date"]).min().date()
    return Scenario(folder.name, records, case,
                    el.case_conditions(records, case, report.pack, cal), start)


@pytest.fixture(scope="session")
def scenarios() -> dict[str, Scenario]:
    return {f.name: _load(f) for f in sorted(SCENARIOS.iterdir()) if f.is_dir()}


@pytest.fixture(scope="session")
def checklist() -> Checklist:
    return standards.load_checklist()


def proposed(checklist: Checklist, s: Scenario) -> dict[str, str]:
    """Question id -> proposed answer for a scenario."""
    return {p.question_id: p.answer
            for p in el.prefill(checklist, s.case, conditions=s.conditions)}


@pytest.fixture(scope="session")
def base_state(scenarios: dict[str, Scenario], checklist: Checklist) -> el.EarlyLookState:
    """A fresh early look on the overloaded-practitioner scenario, with its working context."""
    s = scenarios["repeated_absences_overloaded"]
    ctx = el.prefill_working_context(s.records, s.case, start=s.start, end=s.case.as_of)
    return el.start(checklist, s.case, context=ctx, conditions=s.conditions)


def answered(state: el.EarlyLookState) -> el.EarlyLookState:
    """Every question confirmed as proposed, or answered 'met' where it was to be answered."""
    for p in state.proposals:
        given = "met" if p.answer == "to_answer" else p.answer
        state = el.confirm(state, p.question_id, given, by=MANAGER, at=AT)
    return state


def ready(state: el.EarlyLookState) -> el.EarlyLookState:
    """A state with nothing left to do before sign-off."""
    state = answered(state)
    state = el.consider_context(state, by=MANAGER, at=AT)
    return el.recommend(state, ["full_sfo_review"], by=MANAGER, at=AT,
                        rationale="Enforcement gaps over several weeks need a full review.")
