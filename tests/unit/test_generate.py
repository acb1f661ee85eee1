"""The seeded bundle generator: deterministic, proportionate and valid per the data contract.

The checks here are written independently of the generator, with pandas, from
the data contract (docs/data-contract.md).
"""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from fixtures.generate import GapRates, generate_bundle

FILES = ["people", "events", "contacts", "assessments", "registrations", "allocations",
         "staff", "workload", "training", "supervision", "teams"]
DATE_COLUMNS = {
    "people": ["date_of_birth"],
    "events": ["sentence_date", "release_date", "expected_end_date", "terminated_date"],
    "contacts": ["contact_date"],
    "assessments": ["initiated_date", "completed_date"],
    "registrations": ["registered_date", "next_review_date", "deregistered_date"],
    "allocations": ["allocated_from", "allocated_to"],
    "staff": ["in_role_since"],
    "workload": ["week_start"],
    "training": ["status_date"],
    "supervision": ["supervision_date"],
}


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.csv"))}


def _read(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("gen") / "b200"
    counts = generate_bundle(out, people=200, seed=7)
    return out, counts


def test_same_seed_gives_identical_bytes(tmp_path: Path,
                                         bundle: tuple[Path, dict[str, int]]) -> None:
    again = tmp_path / "again"
    generate_bundle(again, people=200, seed=7)
    assert _digest(again) == _digest(bundle[0])


def test_different_seed_differs(tmp_path: Path, bundle: tuple[Path, dict[str, int]]) -> None:
    other = tmp_path / "other"
    generate_bundle(other, people=200, seed=8)
    a, b = _digest(other), _digest(bundle[0])
    assert a["contacts.csv"] != b["contacts.csv"]
    assert a["people.csv"] != b["people.csv"]


def test_all_contract_files_written_with_counts(bundle: tuple[Path, dict[str, int]]) -> None:
    folder, counts = bundle
    assert sorted(counts) == sorted(FILES)
    for name in FILES:
        assert len(_read(folder, name)) == counts[name], name
        assert counts[name] > 0, name


def test_counts_roughly_proportional(bundle: tuple[Path, dict[str, int]]) -> None:
    _, counts = bundle
    assert counts["people"] == 200
    assert 15_000 <= counts["contacts"] <= 25_000
    assert 200 <= counts["events"] <= 400                 # 1-2 per person
    assert 400 <= counts["assessments"] <= 1_500          # every 3-5 months
    n_staff = counts["staff"]
    assert 10 <= n_staff <= 20                            # ~60 per 1,000 people (+ U codes)
    assert counts["allocations"] >= 200


def test_identifiers_are_well_formed_and_unique(bundle: tuple[Path, dict[str, int]]) -> None:
    folder, _ = bundle
    people = _read(folder, "people")
    assert people["crn"].is_unique
    assert people["crn"].str.fullmatch(r"[A-Z]\d{6}").all()
    contacts = _read(folder, "contacts")
    assert contacts["contact_id"].is_unique
    staff = _read(folder, "staff")
    assert staff["staff_code"].is_unique
    assert staff["staff_code"].str.len().eq(7).all()
    assert staff["team_code"].str.len().eq(6).all()
    assert _read(folder, "assessments")["assessment_id"].is_unique
    assert _read(folder, "registrations")["registration_id"].is_unique
    events = _read(folder, "events")
    assert not events.duplicated(["crn", "event_id"]).any()
    assert _read(folder, "teams")["month"].str.fullmatch(r"\d{4}-\d{2}").all()


def test_referential_integrity(bundle: tuple[Path, dict[str, int]]) -> None:
    folder, _ = bundle
    crns = set(_read(folder, "people")["crn"])
    for name in ("events", "contacts", "assessments", "registrations", "allocations"):
        assert set(_read(folder, name)["crn"]) <= crns, name
    staff = set(_read(folder, "staff")["staff_code"])
    allocations = _read(folder, "allocations")
    assert set(allocations["staff_code"]) <= staff
    assert allocations["staff_code"].str.endswith("U").any()      # some unallocated spells
    for name in ("workload", "training", "supervision"):
        assert set(_read(folder, name)["staff_code"]) <= staff, name
    assert set(_read(folder, "supervision")["supervisor_code"]) <= staff
    contacts = _read(folder, "contacts")
    events = _read(folder, "events")
    with_event = contacts[contacts["event_id"] != ""]
    pairs = set(zip(events["crn"], events["event_id"], strict=True))
    assert all(p in pairs for p in zip(with_event["crn"], with_event["event_id"], strict=True))
    teams = set(_read(folder, "teams")["team_code"])
    assert set(_read(folder, "people")["team_code"]) <= teams


def test_dates_are_iso_and_consistent(bundle: tuple[Path, dict[str, int]]) -> None:
    folder, _ = bundle
    parsed: dict[str, pd.DataFrame] = {}
    for name, cols in DATE_COLUMNS.items():
        frame = _read(folder, name)
        for col in cols:
            values = frame.loc[frame[col] != "", col]
            assert values.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all(), (name, col)
            pd.to_datetime(values, format="%Y-%m-%d")   # raises on an invalid date
        parsed[name] = frame
    events = parsed["events"]
    lic = events[events["sentence_type"] == "licence"]
    assert len(lic) > 0
    assert (lic["release_date"] != "").all()
    assert (pd.to_datetime(lic["release_date"]) >= pd.to_datetime(lic["sentence_date"])).all()
    assert set(events["sentence_type"]) <= {"community_order", "suspended_sentence_order",
                                            "licence", "post_sentence_supervision"}
    alloc = parsed["allocations"]
    closed = alloc[alloc["allocated_to"] != ""]
    assert (pd.to_datetime(closed["allocated_to"])
            >= pd.to_datetime(closed["allocated_from"])).all()
    ass = parsed["assessments"]
    done = ass[ass["completed_date"] != ""]
    assert (pd.to_datetime(done["completed_date"]) >= pd.to_datetime(done["initiated_date"])).all()
    workload = _read(folder, "workload")
    assert (pd.to_datetime(workload["week_start"]).dt.day_of_week == 0).all()


def test_content_is_varied_and_realistic(bundle: tuple[Path, dict[str, int]]) -> None:
    folder, _ = bundle
    contacts = _read(folder, "contacts")
    codes = set(contacts["type_code"])
    assert {"COAI", "COAP", "CHVS", "C004", "CNOC", "AWLI"} <= codes
    assert contacts["outcome_code"].isin(["UAAB", "AFTC", "ATSH"]).any()
    assert contacts["notes"].str.contains("\n").any()
    assert contacts["notes"].str.contains(",").any()
    ns = contacts[contacts["national_standard"] == "Y"]
    assert 0.15 < len(ns) / len(contacts) < 0.6
    cnoc_people = contacts.loc[contacts["type_code"] == "CNOC", "crn"].nunique()
    assert 0.15 < cnoc_people / 200 < 0.45
    workload = _read(folder, "workload")
    cap = workload["capacity_pct"].astype(float)
    assert cap.min() < 90 and cap.max() > 110
    load = workload["caseload_count"].astype(float)
    assert load.min() >= 30 and load.max() <= 110
    training = _read(folder, "training")
    assert {"completed", "not_available"} <= set(training["status"])
    supervision = _read(folder, "supervision")
    assert "formal" in set(supervision["kind"])


def test_gap_rates_change_the_output(tmp_path: Path) -> None:
    none = GapRates(unacceptable_absence=0.0, undecided_afta=0.0)
    counts = generate_bundle(tmp_path / "clean", people=50, seed=3, rates=none)
    contacts = _read(tmp_path / "clean", "contacts")
    assert not contacts["outcome_code"].isin(["UAAB", "AFTC", "ATSH", "AFTA"]).any()
    assert counts["contacts"] == len(contacts)


def test_zip_output_is_deterministic(tmp_path: Path) -> None:
    a = tmp_path / "one" / "bundle"
    b = tmp_path / "two" / "bundle"
    generate_bundle(a, people=30, seed=1, zip_output=True)
    generate_bundle(b, people=30, seed=1, zip_output=True)
    za, zb = a.with_suffix(".zip"), b.with_suffix(".zip")
    assert za.read_bytes() == zb.read_bytes()
    with zipfile.ZipFile(za) as zf:
        assert sorted(zf.namelist()) == sorted(f"bundle/{n}.csv" for n in FILES)
