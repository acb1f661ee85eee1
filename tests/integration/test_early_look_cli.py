"""`sfo early-look draft` as a manager runs it: a draft from the evidence alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfo import cli
from sfo.documents import early_look as render

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"


def crn_of(bundle: Path) -> str:
    text = (bundle / "people.csv").read_bytes().decode("cp1252").lstrip("\ufeff\xef\xbb\xbf")
    return text.splitlines()[1].split(",")[0].strip('"')


def test_a_draft_lists_the_gaps_proposes_answers_and_is_marked_draft(tmp_path: Path, capsys):
    bundle = SCENARIOS / "da_curfew_inexperienced_pso"
    out = tmp_path / "el.docx"
    code = cli.main(["early-look", "draft", str(bundle), "--crn", crn_of(bundle),
                     "--out", str(out)])
    stdout = capsys.readouterr().out
    assert code == 0
    assert "not met" in stdout and "DRAFT" in stdout
    text = render.docx_text(out.read_bytes())
    assert "DRAFT" in text
    assert "DA-CHECKS" in text and "HOME-VISIT" in text  # the gaps this scenario has
    assert "No case to answer" in text
    html = out.with_suffix(".html").read_text("utf-8")
    assert "Working context" in html


def test_a_draft_from_a_messy_export_says_what_was_not_supplied(tmp_path: Path, capsys):
    bundle = SCENARIOS / "messy_export"
    out = tmp_path / "el.docx"
    code = cli.main(["early-look", "draft", str(bundle), "--crn", crn_of(bundle),
                     "--mapping", str(bundle / "mapping.toml"), "--out", str(out)])
    capsys.readouterr()
    assert code == 0
    text = render.docx_text(out.read_bytes())
    assert "workload.csv" in text and "Not supplied" in text


def test_a_draft_for_an_unknown_person_exits_2(tmp_path: Path, capsys):
    bundle = SCENARIOS / "da_curfew_inexperienced_pso"
    code = cli.main(["early-look", "draft", str(bundle), "--crn", "Z999999",
                     "--out", str(tmp_path / "el.docx")])
    assert code == 2
    assert "Z999999" in capsys.readouterr().err
    assert not (tmp_path / "el.docx").exists()


@pytest.mark.parametrize("name", ["well_managed_high_risk", "unallocated_spell_bank_holidays"])
def test_every_scenario_gives_a_draft(tmp_path: Path, capsys, name: str):
    bundle = SCENARIOS / name
    code = cli.main(["early-look", "draft", str(bundle), "--crn", crn_of(bundle),
                     "--out", str(tmp_path / "el.docx")])
    capsys.readouterr()
    assert code == 0
