"""Shared material for the review tests: two scenario bundles, read once, and a clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from sfo.domain.findings import CaseFindings
from sfo.importers import load_bundle
from sfo.services import analysis

SCENARIOS = Path(__file__).resolve().parents[3] / "fixtures" / "scenarios"
TODAY = date(2026, 1, 1)
AT = datetime(2024, 8, 1, 10, 0, tzinfo=UTC)
REVIEWER = "reviewer.example"


def _case(name: str) -> CaseFindings:
    folder = SCENARIOS / name
    mapping = folder / "mapping.toml"
    records = load_bundle(folder, mapping=mapping if mapping.exists() else None)
    (case,) = analysis.findings_for(records, today=TODAY).cases
    return case


@pytest.fixture(scope="session")
def da_case() -> CaseFindings:
    return _case("da_curfew_inexperienced_pso")


@pytest.fixture(scope="session")
def overloaded_case() -> CaseFindings:
    return _case("repeated_absences_overloaded")
