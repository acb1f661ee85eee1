"""The hand-built scenario bundles give exactly the rule ids their authors expect."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from sfo.services import analysis

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"


def cases():
    for folder in sorted(p for p in SCENARIOS.iterdir() if p.is_dir()):
        expected = tomllib.loads((folder / "expected.toml").read_text("utf-8"))
        for case in expected["case"]:
            yield pytest.param(folder, case, id=f"{folder.name}:{case['crn']}")


@pytest.mark.parametrize(("folder", "case"), list(cases()))
def test_scenario_gives_exactly_the_expected_rule_ids(folder: Path, case: dict):
    mapping = folder / "mapping.toml"
    report = analysis.findings(folder, crn=case["crn"],
                               mapping=mapping if mapping.exists() else None,
                               today=date(2026, 1, 1))
    (found,) = report.cases
    assert found.as_of.isoformat() == case["as_of"], "as-of should come from the CNOC contact"
    got = found.rule_ids()
    detail = "\n".join(f"{f.date} {f.rule_id}: {f.summary}" for f in found.findings)
    assert got == set(case["rule_ids"]), detail
    assert not (got & set(case.get("absent", []))), detail


def test_messy_export_reports_rules_without_their_files_as_not_checked():
    folder = SCENARIOS / "messy_export"
    report = analysis.findings(folder, mapping=folder / "mapping.toml", today=date(2026, 1, 1))
    (case,) = report.cases
    not_checked = {n.rule_id: n.reason for n in case.not_checked}
    assert "CTX-WORKLOAD" in not_checked
    assert "workload.csv" in not_checked["CTX-WORKLOAD"]
    assert "ALLOC-TIMELY" in not_checked
    assert "allocations.csv" in not_checked["ALLOC-TIMELY"]
    assert "FIRST-APPT" not in not_checked
    assert any("Windows-1252" in w or "cp1252" in w for w in report.warnings)
