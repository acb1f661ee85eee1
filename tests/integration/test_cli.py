"""The sfo command as a user runs it: exit codes, formats, messages."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from sfo import cli

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
LICENCE = SCENARIOS / "licence_missed_first_appt_slow_recall"
TODAY = ["--as-of", "2024-03-14"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_findings_json_follows_the_contract(capsys):
    code, out, _ = run(capsys, "findings", LICENCE, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    (case,) = doc["cases"]
    assert case["crn"] == "D471093"
    assert case["as_of"] == "2024-03-14"
    rules = {f["rule_id"] for f in case["findings"]}
    assert "RECALL-TIMELY" in rules
    recall = next(f for f in case["findings"] if f["rule_id"] == "RECALL-TIMELY")
    assert set(recall) >= {"rule_id", "kind", "severity", "date", "summary", "evidence"}
    assert recall["kind"] == "gap" and recall["date"] == "2024-03-05"
    assert isinstance(doc["warnings"], list)


def test_findings_table_lists_gaps_and_the_fairness_reminder(capsys):
    code, out, _ = run(capsys, "findings", LICENCE)
    assert code == 0
    assert "RECALL-TIMELY" in out
    assert "Nothing here is a judgement on an individual" in out


def test_kind_filter_keeps_only_that_kind(capsys):
    code, out, _ = run(capsys, "findings", LICENCE, "--format", "json", "--kind", "gap")
    assert code == 0
    kinds = {f["kind"] for f in json.loads(out)["cases"][0]["findings"]}
    assert kinds == {"gap"}


def test_csv_output_neutralises_spreadsheet_formulas(capsys, tmp_path):
    bundle = tmp_path / "b"
    shutil.copytree(LICENCE, bundle)
    contacts = (bundle / "contacts.csv").read_text("utf-8")
    # A note cannot reach the findings CSV, but a staff-entered summary-like value can
    # reach the timeline CSV: make a contact description start with '='.
    contacts = contacts.replace("Initial Appointment", "=HYPERLINK(\"x\")", 1)
    (bundle / "contacts.csv").write_text(contacts, "utf-8")
    code, out, _ = run(capsys, "timeline", bundle, "--crn", "D471093", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    titles = [r["title"] for r in rows]
    assert any(t.startswith("'=HYPERLINK") for t in titles)
    assert not any(t.startswith("=") for t in titles)


def test_timeline_as_of_drops_later_entries(capsys):
    code, out, _ = run(capsys, "timeline", LICENCE, "--crn", "D471093", "--as-of",
                       "2024-03-05", "--format", "json")
    assert code == 0
    entries = json.loads(out)["entries"]
    assert entries
    assert max(e["date"] for e in entries) <= "2024-03-05"


def test_bad_bundle_exits_2_with_file_row_and_column_and_no_traceback(capsys, tmp_path):
    bundle = tmp_path / "b"
    shutil.copytree(LICENCE, bundle)
    text = (bundle / "contacts.csv").read_text("utf-8").splitlines()
    fields = text[2].split(",")
    fields[3] = "2024-02-30"
    text[2] = ",".join(fields)
    (bundle / "contacts.csv").write_text("\n".join(text) + "\n", "utf-8")
    code, out, err = run(capsys, "findings", bundle)
    assert code == 2
    assert out == ""
    assert "contacts.csv, row 3, column 'contact_date'" in err
    assert "Nothing was imported" in err
    assert "Traceback" not in err


def test_unknown_person_exits_2(capsys):
    code, _, err = run(capsys, "findings", LICENCE, "--crn", "X000000")
    assert code == 2
    assert "No person with CRN X000000" in err


def test_bad_rules_file_exits_2_naming_the_setting(capsys, tmp_path):
    rules = tmp_path / "local.toml"
    rules.write_text("[rules.FIRST-APPT]\nwithin_working_dayz = 3\n", "utf-8")
    code, _, err = run(capsys, "findings", LICENCE, "--rules", rules)
    assert code == 2
    assert "within_working_dayz" in err


def test_progress_bar_goes_to_stderr_when_asked(capsys):
    code, out, err = run(capsys, "findings", LICENCE, "--progress", "always",
                         "--format", "json")
    assert code == 0
    json.loads(out)  # stdout stays clean JSON
    assert "step" in err


def test_settings_lists_every_setting(capsys):
    code, out, _ = run(capsys, "settings")
    assert code == 0
    for name in ("SFO_RULES", "SFO_DATA_DIR", "SFO_PROGRESS", "SFO_DEBUG"):
        assert name in out


def test_demo_writes_a_bundle_and_summarises_it(capsys, tmp_path):
    code, out, _ = run(capsys, "demo", "--people", "12", "--out", tmp_path / "demo")
    assert code == 0
    assert (tmp_path / "demo" / "contacts.csv").exists()
    assert "Checked 12 cases" in out
    assert "Gaps:" in out and "Working context:" in out


def test_problems_are_listed_file_by_file_in_row_order(capsys, tmp_path):
    bundle = tmp_path / "b"
    shutil.copytree(LICENCE, bundle)
    lines = (bundle / "contacts.csv").read_text("utf-8").splitlines()
    late = lines[6].split(",")
    late[1] = "Z999999"  # an unknown person in row 7
    lines[6] = ",".join(late)
    early = lines[2].split(",")
    early[3] = "not a date"  # a bad date in row 3
    lines[2] = ",".join(early)
    (bundle / "contacts.csv").write_text("\n".join(lines) + "\n", "utf-8")
    people = (bundle / "people.csv").read_text("utf-8").splitlines()
    people.append("X12,Nobody")  # a bad CRN in people.csv, row 3
    (bundle / "people.csv").write_text("\n".join(people) + "\n", "utf-8")
    code, _, err = run(capsys, "findings", bundle)
    assert code == 2
    listed = [line for line in err.splitlines() if line.startswith("  - ")]
    assert listed[0].startswith("  - people.csv, row 3")
    rows = [int(line.split("row ")[1].split(",")[0]) for line in listed
            if line.startswith("  - contacts.csv")]
    assert rows == sorted(rows) and rows[0] == 3


def test_a_reader_that_stops_early_is_not_an_error(tmp_path):
    import subprocess
    import sys

    from fixtures.generate import generate_bundle

    generate_bundle(tmp_path / "b", people=40, seed=3)  # far more output than a pipe holds
    cmd = f"{sys.executable} -m sfo.cli findings {tmp_path / 'b'} --format json | head -c 20"
    proc = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.stdout.startswith("{")
    assert proc.stderr.strip() == "" or "internal error" not in proc.stderr
    assert "Traceback" not in proc.stderr
