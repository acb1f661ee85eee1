"""`sfo review draft` on every scenario bundle: sections present and populated, files that open."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date
from pathlib import Path

import docx
import pytest

from sfo import cli
from sfo.documents import rendering
from sfo.domain import timeline as tl
from sfo.services import analysis, reviews

SCENARIOS = Path(__file__).resolve().parents[2] / "fixtures" / "scenarios"
NAMES = sorted(p.name for p in SCENARIOS.iterdir() if (p / "expected.toml").exists())


def crn_of(bundle: Path) -> str:
    text = (bundle / "people.csv").read_bytes().decode("cp1252").lstrip("\ufeff\xef\xbb\xbf")
    return text.splitlines()[1].split(",")[0].strip('"')


def _draft(tmp_path: Path, name: str, *extra: str) -> tuple[Path, Path]:
    bundle = SCENARIOS / name
    args = ["review", "draft", str(bundle), "--crn", crn_of(bundle), "--out",
            str(tmp_path / "review.docx"), "--family-out", str(tmp_path / "family.docx")]
    if (bundle / "mapping.toml").exists():
        args += ["--mapping", str(bundle / "mapping.toml")]
    assert cli.main([*args, *extra]) == 0
    return tmp_path / "review.docx", tmp_path / "family.docx"


@pytest.mark.parametrize("name", NAMES)
def test_a_draft_review_of_every_scenario_has_every_section_populated(tmp_path, capsys, name):
    review, family = _draft(tmp_path, name)
    out = capsys.readouterr().out
    assert "DRAFT" in out and "key episodes" in out
    expected = tomllib.loads((SCENARIOS / name / "expected.toml").read_text("utf-8"))
    (person,) = expected["case"]
    document = docx.Document(str(review))     # it opens as a Word document
    text = rendering.docx_text(review.read_bytes())
    for heading in ("Chronology", "Key episodes", "Analysis", "Assessment", "Planning",
                    "Implementation and delivery", "Reviewing", "Risk management",
                    "Management oversight", "Were all reasonable steps taken",
                    "Contributory factors", "Learning", "Actions", "DRAFT"):
        assert heading in text, heading
    gaps = [r for r in person["rule_ids"] if not r.startswith(("CTX-", "GOOD-"))]
    for rule in gaps:                         # one key episode per gap the rules found
        assert rule in text, rule
    # The chronology has one row per entry recorded up to the as-of date (less the working
    # context, which has its own section), counted here from the timeline directly.
    records = analysis.load(SCENARIOS / name, mapping=(SCENARIOS / name / "mapping.toml")
                            if (SCENARIOS / name / "mapping.toml").exists() else None)
    as_of = date.fromisoformat(str(person["as_of"]))
    frame = tl.known_on(tl.build_timeline(records, [crn_of(SCENARIOS / name)]), as_of)
    entries = int((frame["category"] != "working context").sum())
    chronology = next(t for t in document.tables
                      if t.rows[0].cells[0].text.strip().startswith("Date"))
    assert len(chronology.rows) - 1 == entries
    assert docx.Document(str(family)) is not None
    assert "DRAFT" in rendering.docx_text(family.read_bytes())


def test_the_draft_family_summary_leaves_out_staff_and_sensitive_contacts(tmp_path, capsys):
    name = "da_curfew_inexperienced_pso"
    _, family = _draft(tmp_path, name)
    capsys.readouterr()
    text = rendering.docx_text(family.read_bytes())
    staff = (SCENARIOS / name / "staff.csv").read_text("utf-8").splitlines()[1:]
    for line in staff:
        code, staff_name = line.split(",")[:2]
        assert code not in text and staff_name not in text and staff_name.split()[-1] not in text
    html = family.with_suffix(".html").read_text("utf-8")
    for line in staff:
        assert line.split(",")[0] not in html


def _family_rows(bundle: Path) -> tuple[dict, set[tuple[str, str]]]:
    from sfo.documents import review as render

    p = reviews.prepare(analysis.load(bundle), crn=crn_of(bundle), today=date(2024, 9, 1))
    view = reviews.view(p, audience="family")
    return view, {(e["date"], e["title"]) for e in render.family_context(view)["chronology"]}


def test_a_contact_marked_sensitive_leaves_the_family_summary_but_not_the_review(tmp_path):
    import csv
    import shutil

    original = SCENARIOS / "da_curfew_inexperienced_pso"
    view, shown = _family_rows(original)
    with (original / "contacts.csv").open(encoding="utf-8", newline="") as f:
        contacts = list(csv.DictReader(f))
    ids = {c["contact_id"] for c in contacts}
    row = next(e for e in view["chronology"]
               if e["record_id"] in ids and (e["date"], e["family_title"]) in shown)
    copy = tmp_path / "bundle"
    shutil.copytree(original, copy)
    for c in contacts:
        if c["contact_id"] == row["record_id"]:
            c["sensitive"] = "Y"
    with (copy / "contacts.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(contacts[0]))
        writer.writeheader()
        writer.writerows(contacts)
    view2, shown2 = _family_rows(copy)
    assert (row["date"], row["family_title"]) not in shown2
    assert shown2 == shown - {(row["date"], row["family_title"])}
    kept = next(e for e in view2["chronology"] if e["record_id"] == row["record_id"])
    assert kept["sensitive"] is True      # still in the full review, marked


def test_a_draft_pdf_is_written_when_libreoffice_is_installed(tmp_path, capsys):
    from sfo.documents import pdf

    if not pdf.available():
        import os

        if os.environ.get("CI"):
            pytest.fail("libreoffice is not on PATH; .ci/run installs libreoffice-writer-nogui")
        pytest.skip("libreoffice is not on PATH: the PDF is not checked")
    review, _ = _draft(tmp_path, "licence_missed_first_appt_slow_recall", "--pdf")
    capsys.readouterr()
    made = review.with_suffix(".pdf").read_bytes()
    assert made.startswith(b"%PDF-") and len(made) > 5_000


def test_a_draft_for_a_file_that_is_not_word_is_refused_before_anything_is_read(tmp_path,
                                                                                capsys):
    bundle = SCENARIOS / "well_managed_high_risk"
    code = cli.main(["review", "draft", str(bundle), "--crn", crn_of(bundle), "--out",
                     str(tmp_path / "review.pdf")])
    assert code == 2 and "FILE.docx" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_the_view_keeps_restricted_factors_only_for_the_restricted_audience():
    bundle = SCENARIOS / "da_curfew_inexperienced_pso"
    from sfo.domain import context as ctx
    from sfo.domain import review as rv

    p = reviews.prepare(analysis.load(bundle), crn=crn_of(bundle), today=date(2024, 9, 1))
    personal = ctx.ContextEntry("P1", "personal", "A bereavement.", restricted=True)
    state = rv.add_factor(p.state, "personal_circumstances", "A bereavement in May.",
                          evidence=[])
    p = reviews.Prepared(replace(state, context=(*state.context, personal)), p.records, p.case)
    full = reviews.view(p, audience="restricted")
    shared = reviews.view(p, audience="shared")
    assert any(f["code"] == "personal_circumstances" for f in full["factors"])
    assert not any(f["code"] == "personal_circumstances" for f in shared["factors"])
    assert "A bereavement." in {e["text"] for e in full["working_context"]}
    assert "A bereavement." not in {e["text"] for e in shared["working_context"]}
    assert shared["restricted_left_out"] == 2
