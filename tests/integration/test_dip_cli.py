"""`sfo dip` as a quality lead runs it: frame, plan, draw, substitute, evaluate, report."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest

from fixtures.dip import make_results, write_results
from fixtures.generate import generate_bundle
from sfo import cli

AS_OF = "2024-06-30"


def run(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    try:
        code = cli.main([str(a) for a in args])
    except SystemExit as exc:  # argparse refuses an option before any command runs
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "region"
    generate_bundle(out, people=240, seed=11)
    return out


@pytest.fixture
def frame(bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "caseload.csv"
    code, out, _ = run(capsys, "dip", "frame", bundle, "--as-of", AS_OF, "--out", path)
    assert code == 0, out
    return path


def test_plan_json_gives_the_worked_discovery_number(capsys):
    code, out, _ = run(capsys, "dip", "plan", "--population", 500, "--prevalence", 5,
                       "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["n"] == 56
    assert doc["binomial_n"] == 59


def test_plan_estimate_gives_the_worked_estimation_number(capsys):
    code, out, _ = run(capsys, "dip", "plan", "--method", "estimate", "--population", 500,
                       "--expected-rate", "0.5", "--margin", "5", "--format", "json")
    assert code == 0
    assert json.loads(out)["n"] == 218


def test_plan_with_a_bad_prevalence_exits_2_with_what_is_allowed(capsys):
    code, _, err = run(capsys, "dip", "plan", "--population", 500, "--prevalence", "abc")
    assert code == 2
    assert "not a number" in err


def test_the_frame_from_a_bundle_has_one_row_per_person(frame: Path, bundle: Path):
    rows = read_csv(frame)
    people = read_csv(bundle / "people.csv")
    assert sorted(r["crn"] for r in rows) == sorted(p["crn"] for p in people)
    assert {"staff_code", "team_code", "rosh_level", "sentence_type", "start_date"} <= set(rows[0])


def test_a_stratified_draw_writes_sample_reserve_record_and_log(frame: Path, tmp_path: Path,
                                                               capsys):
    out = tmp_path / "dip" / "sample.csv"
    code, stdout, err = run(capsys, "dip", "draw", frame, "--n", 30, "--strata", "rosh_level",
                            "--seed", 42, "--exclude", "start_date within 8w",
                            "--as-of", AS_OF, "--by", "Quality Lead", "--out", out)
    assert code == 0, err
    sample = read_csv(out)
    assert len(sample) == 30
    assert {"stratum", "selection_order"} <= set(sample[0])
    assert sorted(int(r["selection_order"]) for r in sample) == list(range(1, 31))
    reserve = read_csv(out.with_name("sample.reserve.csv"))
    assert not {r["crn"] for r in reserve} & {r["crn"] for r in sample}
    record = json.loads(out.with_name("sample.draw.json").read_text())
    assert record["seed"] == "0x" + "0" * 30 + "2a"
    assert record["eligible"]["exclusions"] == ["start_date within 8w"]
    log = out.with_name("sample.log.jsonl").read_text().splitlines()
    assert len(log) == 1 and json.loads(log[0])["actor"] == "Quality Lead"
    assert "0x" + "0" * 30 + "2a" in stdout


def test_the_same_seed_gives_the_same_sample_and_a_new_seed_is_reported_as_a_redraw(
        frame: Path, tmp_path: Path, capsys):
    out = tmp_path / "s.csv"
    assert run(capsys, "dip", "draw", frame, "--n", 25, "--seed", 7, "--out", out)[0] == 0
    first = {r["crn"] for r in read_csv(out)}
    again = tmp_path / "again.csv"
    assert run(capsys, "dip", "draw", frame, "--n", 25, "--seed", 7, "--out", again)[0] == 0
    assert {r["crn"] for r in read_csv(again)} == first
    code, _, err = run(capsys, "dip", "draw", frame, "--n", 25, "--seed", 8, "--out", out)
    assert code == 0
    assert "redraw" in err.lower()
    assert len(out.with_name("s.log.jsonl").read_text().splitlines()) == 2


def test_substitution_takes_the_next_reserve_case_of_the_same_stratum(frame: Path,
                                                                     tmp_path: Path, capsys):
    out = tmp_path / "s.csv"
    run(capsys, "dip", "draw", frame, "--n", 20, "--strata", "rosh_level", "--seed", 5,
        "--out", out)
    before = {r["crn"]: r for r in read_csv(out)}
    reserve = read_csv(out.with_name("s.reserve.csv"))
    victim = next(iter(before))
    stratum = before[victim]["stratum"]
    expected = min((r for r in reserve if r["stratum"] == stratum),
                   key=lambda r: int(r["reserve_order"]))["crn"]
    code, stdout, err = run(capsys, "dip", "substitute", out, "--crn", victim, "--reason",
                            "transferred", "--by", "Quality Lead")
    assert code == 0, err
    after = {r["crn"] for r in read_csv(out)}
    assert victim not in after and expected in after and len(after) == 20
    assert expected in stdout
    assert len(out.with_name("s.log.jsonl").read_text().splitlines()) == 2


def test_unable_to_assess_is_never_substituted(frame: Path, tmp_path: Path, capsys):
    out = tmp_path / "s.csv"
    run(capsys, "dip", "draw", frame, "--n", 10, "--seed", 5, "--out", out)
    crn = read_csv(out)[0]["crn"]
    code, _, err = run(capsys, "dip", "substitute", out, "--crn", crn, "--reason",
                       "UNABLE-TO-ASSESS")
    assert code == 2
    assert "failure" in err
    assert crn in {r["crn"] for r in read_csv(out)}


def test_an_edited_sample_is_refused_for_substitution(frame: Path, tmp_path: Path, capsys):
    out = tmp_path / "s.csv"
    run(capsys, "dip", "draw", frame, "--n", 10, "--seed", 5, "--out", out)
    rows = read_csv(out)
    reserve = read_csv(out.with_name("s.reserve.csv"))
    rows[0]["crn"] = reserve[0]["crn"]  # someone swaps a case by hand
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    code, _, err = run(capsys, "dip", "substitute", out, "--crn", rows[1]["crn"],
                       "--reason", "TRANSFERRED")
    assert code == 2
    assert "edited" in err


def test_a_frame_with_duplicate_and_malformed_crns_names_the_rows(tmp_path: Path, capsys):
    bad = tmp_path / "caseload.csv"
    bad.write_text("crn,team_code\nX000001,N07UAT\nX000001,N07UAT\n12345,N07UAT\n", "utf-8")
    code, _, err = run(capsys, "dip", "draw", bad, "--n", 1, "--out", tmp_path / "s.csv")
    assert code == 2
    assert "row 3" in err and "row 4" in err and "'crn'" in err
    assert not (tmp_path / "s.csv").exists()


def test_evaluate_and_report_from_results(frame: Path, bundle: Path, tmp_path: Path, capsys):
    out = tmp_path / "s.csv"
    run(capsys, "dip", "draw", frame, "--n", 40, "--strata", "rosh_level", "--seed", 3,
        "--out", out)
    second = tmp_path / "second.csv"
    code, _, _ = run(capsys, "dip", "second-review", out, "--fraction", 25, "--out", second)
    assert code == 0
    crns = [r["crn"] for r in read_csv(out)]
    twice = [r["crn"] for r in read_csv(second)]
    assert len(twice) == 10 and set(twice) <= set(crns)
    results = write_results(tmp_path / "results.csv", make_results(crns, second=twice))
    code, stdout, err = run(capsys, "dip", "evaluate", results, "--sample", out,
                            "--format", "json")
    assert code == 0, err
    doc = json.loads(stdout)
    assert doc["questions"]
    code, stdout, err = run(capsys, "dip", "report", results, "--sample", out, "--bundle",
                            bundle, "--purpose", "Routine quarterly check.",
                            "--out", tmp_path / "report.docx")
    assert code == 0, err
    docx = tmp_path / "report.docx"
    with zipfile.ZipFile(docx) as z:
        body = z.read("word/document.xml").decode("utf-8")
    assert "Routine quarterly check." in body
    assert "not a finding about them" in body
    assert "Working context of the practitioners" in body
    assert "weeks over 110%" in body or "No workload measurement" in body
    html = (tmp_path / "report.html").read_text("utf-8")
    assert "<h2>Method</h2>" in html and "SipHash-2-4" in html


def test_results_for_a_case_not_in_the_sample_are_refused_with_the_row(frame: Path,
                                                                      tmp_path: Path, capsys):
    out = tmp_path / "s.csv"
    run(capsys, "dip", "draw", frame, "--n", 5, "--seed", 3, "--out", out)
    crn = read_csv(out)[0]["crn"]
    results = tmp_path / "results.csv"
    results.write_text("crn,question_id,answer,reviewer,comment\n"
                       f"{crn},Q1,yes,A,\nZ999999,Q1,no,A,\n{crn},Q2,maybe,A,\n", "utf-8")
    code, _, err = run(capsys, "dip", "evaluate", results, "--sample", out)
    assert code == 2
    assert "row 3" in err and "Z999999" in err
    assert "row 4" in err and "'answer'" in err


def test_a_selection_log_cut_short_is_refused(frame: Path, tmp_path: Path, capsys):
    out = tmp_path / "s.csv"
    run(capsys, "dip", "draw", frame, "--n", 10, "--seed", 5, "--out", out)
    crn = read_csv(out)[0]["crn"]
    run(capsys, "dip", "substitute", out, "--crn", crn, "--reason", "DUPLICATE")
    log_file = out.with_name("s.log.jsonl")
    first_line = log_file.read_text().splitlines()[0]
    log_file.write_text(first_line + "\n")  # the substitution's entry removed
    code, _, err = run(capsys, "dip", "substitute", out, "--crn", read_csv(out)[1]["crn"],
                       "--reason", "DUPLICATE")
    assert code == 2
    assert "entries have been removed" in err
