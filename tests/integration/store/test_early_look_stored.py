"""Stored early looks: start from stored records, versioned saves, finalising, final documents."""

from __future__ import annotations

import zipfile
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest

from sfo.documents import early_look as render
from sfo.domain import early_look as el
from sfo.errors import ConflictError, EarlyLookInvalid, InputError
from sfo.services import early_look, records
from sfo.store import audit

SCENARIOS = Path(__file__).resolve().parents[3] / "fixtures" / "scenarios"
DA = SCENARIOS / "da_curfew_inexperienced_pso"
TODAY = date(2024, 6, 24)


@pytest.fixture
def stored(engine, db_url) -> tuple[str, str]:
    records.import_bundle(DA, url=db_url, actor="importer")
    crn = (DA / "people.csv").read_text("utf-8").splitlines()[1].split(",")[0].strip('"')
    return db_url, crn


def _finish(state: el.EarlyLookState) -> el.EarlyLookState:
    """What a manager does before sign-off: confirm answers, consider context, recommend."""
    for q in state.questions:
        prop = state.proposal(q.id)
        answer = "met" if prop.answer == "to_answer" else prop.answer
        state = el.confirm(state, q.id, answer, by="manager")
    for q in state.questions:
        if q.action_today and state.current(q.id) in ("not_met", "partly"):
            state = el.add_action(state, "Check other cases", owner_role="SPO",
                                  due=TODAY, question_id=q.id)
    state = el.consider_context(state, by="manager")
    return el.recommend(state, ["full_sfo_review"], rationale="DA checks were not made.",
                        by="manager")


def test_an_early_look_starts_from_stored_records_with_evidence(stored):
    url, crn = stored
    opened = early_look.start_stored(crn=crn, actor="manager", url=url, today=TODAY)
    assert opened.version == 1 and opened.status == "draft"
    answers = {p.question_id: p.answer for p in opened.state.proposals}
    assert "not_met" in answers.values()
    assert opened.state.context  # working context proposed from the bundle


def test_a_stale_save_is_refused_and_names_who_changed_it(stored):
    url, crn = stored
    opened = early_look.start_stored(crn=crn, actor="manager", url=url, today=TODAY)
    first_q = opened.state.questions[0].id
    mine = el.confirm(opened.state, first_q, opened.state.proposal(first_q).answer, by="amy")
    early_look.save_stored(opened.id, mine, expected_version=1, actor="amy", url=url)
    theirs = el.consider_context(opened.state, by="ben")
    with pytest.raises(ConflictError, match="changed by amy"):
        early_look.save_stored(opened.id, theirs, expected_version=1, actor="ben", url=url)
    again = early_look.open_stored(opened.id, actor="ben", url=url)
    assert again.version == 2 and again.state.context_considered is None


def test_finalising_is_refused_while_the_working_context_is_unconsidered(stored):
    url, crn = stored
    opened = early_look.start_stored(crn=crn, actor="manager", url=url, today=TODAY)
    with pytest.raises(EarlyLookInvalid, match="working context"):
        early_look.finalise_stored(opened.id, expected_version=1, actor="manager", url=url,
                                   today=TODAY)


def test_a_finalised_early_look_is_immutable_fingerprinted_and_its_documents_kept(
        stored, engine):
    url, crn = stored
    opened = early_look.start_stored(crn=crn, actor="manager", url=url, today=TODAY)
    state = el.add_context(_finish(opened.state), "personal", "Bereavement in May 2024.",
                           by="manager")
    state = el.consider_context(state, by="manager")
    saved = early_look.save_stored(opened.id, state, expected_version=1, actor="manager",
                                   url=url)
    final = early_look.finalise_stored(opened.id, expected_version=saved.version,
                                       actor="manager", url=url, today=TODAY)
    assert final.status == "final" and final.fingerprint
    data, fingerprint, sha = early_look.final_document(opened.id, audience="restricted",
                                                       fmt="docx", actor="hr", url=url)
    assert fingerprint == final.fingerprint and render.file_sha256(data) == sha
    text = render.docx_text(data)
    assert fingerprint in text and "Bereavement" in text
    shared, _, _ = early_look.final_document(opened.id, audience="shared", fmt="docx",
                                             actor="hr", url=url)
    with zipfile.ZipFile(BytesIO(shared)) as z:
        xml = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist()
                       if n.endswith(".xml"))
    assert "Bereavement" not in xml
    with pytest.raises(InputError, match="final"):
        early_look.save_stored(opened.id, state, expected_version=final.version,
                               actor="manager", url=url)
    with engine.connect() as conn:
        actions = [e.action for e in audit.for_case(conn, crn)]
        assert audit.verify(conn) == []
    assert {"create", "update", "finalise", "export"} <= set(actions)


def test_recommending_a_dip_sample_drafts_a_plan_on_the_practitioners_caseload(
        engine, db_url, tmp_path):
    from dipsample import planning
    from fixtures.generate import generate_bundle

    bundle = tmp_path / "region"
    generate_bundle(bundle, people=120, seed=5)
    records.import_bundle(bundle, url=db_url, actor="importer")
    stored_records = records.load_stored(db_url, actor="test")
    from sfo.domain.caseload import caseload_frame

    as_of = date(2024, 3, 1)
    frame = caseload_frame(stored_records, as_of=as_of)
    held = frame[frame["staff_code"].str.len() == 7]
    code = held["staff_code"].value_counts().index[0]
    crn = held[held["staff_code"] == code]["crn"].iloc[0]
    opened = early_look.start_stored(crn=crn, actor="manager", url=db_url, as_of=as_of)
    plan = early_look.draft_dip_plan(opened.id, actor="manager", url=db_url)
    others = int((frame["staff_code"] == code).sum()) - 1
    assert plan.plan["staff_code"] == code and plan.plan["frame_rows"] == others
    assert crn not in plan.plan["crns"]
    # The size is the discovery size for that caseload, worked out independently here.
    assert plan.plan["n"] == planning.discovery_size(others, 0.10, 0.95).n
    assert "not a finding about the practitioner" in plan.purpose


def test_a_manager_can_take_an_early_look_to_final_from_the_command_line(stored, tmp_path,
                                                                        capsys):
    from sfo import cli

    url, crn = stored

    def sfo(*args: str) -> tuple[int, str, str]:
        code = cli.main([*args, "--db", url, "--by", "Jo Manager"])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = sfo("early-look", "start", "--crn", crn)
    assert code == 0
    look = out.split()[3]  # "Started early look N for ..."
    code, _, err = sfo("early-look", "finalise", look)
    assert code == 2 and "cannot be signed off yet" in err
    opened = early_look.open_stored(int(look), actor="test", url=url)
    for q in opened.state.questions:
        proposed = opened.state.proposal(q.id).answer
        answer = "met" if proposed == "to_answer" else proposed
        assert sfo("early-look", "answer", look, "--question", q.id, "--answer", answer)[0] == 0
    assert sfo("early-look", "consider-context", look)[0] == 0
    assert sfo("early-look", "recommend", look, "--choice", "full_sfo_review",
               "--rationale", "Checks were not made.")[0] == 0
    code, out, err = sfo("early-look", "finalise", look)
    assert code == 0, err
    fingerprint = out.split("Fingerprint: ")[1].split()[0]
    shared = tmp_path / "shared.docx"
    assert sfo("early-look", "export", look, "--out", str(shared), "--audience", "shared")[0] == 0
    restricted = tmp_path / "final.docx"
    assert sfo("early-look", "export", look, "--out", str(restricted))[0] == 0
    assert fingerprint in render.docx_text(restricted.read_bytes())
    code, _, err = sfo("early-look", "answer", look, "--question", "EL01", "--answer", "met")
    assert code == 2 and "cannot be changed" in err
