"""The hand-built scenario bundles are coherent with their expected.toml files.

Checked independently of the toolkit's importer (plain csv and tomllib), so a
broken fixture is reported as a fixture problem, not an importer problem.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
SCENARIOS = sorted(p for p in ROOT.iterdir() if p.is_dir())
RULE_IDS = {
    "ALLOC-TIMELY", "ALLOC-FIT", "FIRST-APPT", "RISK-INIT", "RISK-REVIEW", "RISK-CONSISTENCY",
    "OVERSIGHT", "DA-CHECKS", "HOME-VISIT", "CONTACT-FREQ", "OUTCOME-RECORDED", "ENFORCEMENT",
    "RECALL-TIMELY", "REG-REVIEW", "CTX-WORKLOAD", "CTX-TRAINING", "CTX-EXPERIENCE",
    "CTX-SUPERVISION", "CTX-VACANCIES", "GOOD-PRACTICE",
}


def _table(folder: Path, name: str) -> list[dict[str, str]]:
    raw = (folder / f"{name}.csv").read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    mapping_file = folder / "mapping.toml"
    if mapping_file.exists():
        mapping = tomllib.loads(mapping_file.read_text(encoding="utf-8")).get(name, {})
        rows = [{mapping.get(k, k): v for k, v in row.items()} for row in rows]
    return rows


def _date(text: str) -> date:
    fmt = "%d/%m/%Y" if "/" in text else "%Y-%m-%d"
    return datetime.strptime(text, fmt).date()


def test_six_scenarios_present() -> None:
    assert [p.name for p in SCENARIOS] == [
        "da_curfew_inexperienced_pso", "licence_missed_first_appt_slow_recall", "messy_export",
        "repeated_absences_overloaded", "unallocated_spell_bank_holidays",
        "well_managed_high_risk",
    ]


@pytest.mark.parametrize("folder", SCENARIOS, ids=lambda p: p.name)
def test_expected_matches_bundle(folder: Path) -> None:
    expected = tomllib.loads((folder / "expected.toml").read_text(encoding="utf-8"))
    people = {row["crn"] for row in _table(folder, "people")}
    contacts = _table(folder, "contacts")
    assert len({c["contact_id"] for c in contacts}) == len(contacts)
    for case in expected["case"]:
        assert case["crn"] in people
        assert re.fullmatch(r"[A-Z]\d{6}", case["crn"])
        rules = set(case["rule_ids"])
        assert rules <= RULE_IDS
        assert not rules & set(case.get("absent", []))
        assert set(case.get("absent", [])) <= RULE_IDS
        assert case["notes"].strip()
        cnoc = sorted(_date(c["contact_date"]) for c in contacts
                      if c["crn"] == case["crn"] and c["type_code"] == "CNOC")
        assert cnoc and cnoc[0] == date.fromisoformat(case["as_of"])


@pytest.mark.parametrize("folder", SCENARIOS, ids=lambda p: p.name)
def test_staff_and_events_are_consistent(folder: Path) -> None:
    if (folder / "allocations.csv").exists():
        staff = {row["staff_code"] for row in _table(folder, "staff")}
        for row in _table(folder, "allocations"):
            assert row["staff_code"] in staff
            if row["allocated_to"]:
                assert _date(row["allocated_to"]) >= _date(row["allocated_from"])
    events = {(e["crn"], e["event_id"]) for e in _table(folder, "events")}
    for c in _table(folder, "contacts"):
        assert not c["event_id"] or (c["crn"], c["event_id"]) in events


def test_messy_export_is_really_messy() -> None:
    folder = ROOT / "messy_export"
    raw = (folder / "contacts.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1252")
    for needle in ("£", "é", "“", "’", "\x0b", "\x0c", "\x07", "ZZX1", "Officer Name",
                   "Contact Date", "\r\n"):
        assert needle in text, repr(needle)
    for name in ("people", "events", "contacts", "assessments"):
        body = (folder / f"{name}.csv").read_bytes().decode("cp1252")
        assert re.search(r"\d{2}/\d{2}/\d{4}", body), name
        assert not re.search(r"\d{4}-\d{2}-\d{2}", body), name
