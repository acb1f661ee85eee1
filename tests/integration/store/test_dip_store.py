"""Dip samples kept in the store (SQLite and PostgreSQL): the app's verbs from frame to report."""

from __future__ import annotations

import csv
import io
import json
import math
import random
from dataclasses import replace
from datetime import date
from pathlib import Path

import docx
import pytest
import sqlalchemy as sa
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from dipsample.hashing import format_seed
from fixtures.dip import make_results
from sfo.documents import rendering
from sfo.domain.access import Actor
from sfo.errors import ConflictError, FileInvalid, InputError, PermissionDenied
from sfo.services import dip, dip_store, records
from sfo.store import audit, tables
from sfo.store import uow as store_uow

AS_OF = date(2024, 6, 30)
SEED = 0x5EED
QUALITY = Actor("qlead", "Quinn Lead", ("quality",))
MANAGER = Actor("mgr", "Morgan Manager", ("manager",))
HR = Actor("hr", "Harper HR", ("hr",))
ADMIN = Actor("admin", "Alex Admin", ("admin",))
FAILING = {"no", "partly", "unable_to_assess"}


def frame_csv(n: int = 300, seed: int = 42) -> bytes:
    """A made-up caseload frame (seeded): pdu, tier, RoSH level, practitioner, start date."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["crn", "pdu", "tier", "rosh_level", "staff_code", "team_code",
                     "start_date", "notes"])
    for i, number in enumerate(rng.sample(range(100_000, 1_000_000), n)):
        writer.writerow([f"X{number}", rng.choice(["North", "South", "East"]),
                         rng.choice("ABCD"), rng.choice(["LOW", "MEDIUM", "HIGH"]),
                         f"N07A{rng.randint(700, 712)}", rng.choice(["N07UAT", "N07UBT"]),
                         f"2024-{rng.randint(1, 6):02d}-{rng.randint(1, 28):02d}",
                         "=HYPERLINK(\"http://example.org\")" if i == 0 else ""])
    return out.getvalue().encode("utf-8")


def results_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["crn", "question_id", "answer", "reviewer",
                                             "comment"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def planned(url: str, *, n: int = 40, strata: tuple[str, ...] = ("pdu",),
            exclude: tuple[str, ...] = ("start_date within 8w",)) -> dip_store.PlanView:
    plan = dip_store.create_from_upload(frame_csv(), file_name="caseload.csv", actor=QUALITY,
                                        url=url, reference_date=AS_OF)
    plan = dip_store.set_exclusions(plan.id, list(exclude), reference_date=AS_OF,
                                    expected_version=plan.version, actor=QUALITY, url=url)
    return dip_store.set_design(plan.id, n=n, strata=list(strata),
                                expected_version=plan.version, actor=QUALITY, url=url)


def drawn(url: str, **kwargs) -> dip_store.DrawView:
    plan = planned(url, **kwargs)
    return dip_store.draw(plan.id, expected_version=plan.version, actor=QUALITY, url=url,
                          seed=SEED)


def test_a_stored_draw_chooses_the_same_cases_as_the_file_draw_of_the_same_frame_and_seed(
        engine, db_url, tmp_path: Path):
    frame = tmp_path / "caseload.csv"
    frame.write_bytes(frame_csv())
    on_file = dip.draw(frame, n=40, out=tmp_path / "sample.csv", strata=["pdu", "tier"],
                       seed=SEED, exclude=["start_date within 8w"], reference_date=AS_OF,
                       actor="Quinn Lead")
    stored = drawn(db_url, strata=("pdu", "tier"))
    # Opened afresh: made again from the rows kept in the plan, not from the draw call.
    reopened = dip_store.open_draw(stored.id, actor=QUALITY, url=db_url)
    file_record = json.loads((tmp_path / "sample.draw.json").read_text("utf-8"))
    for view in (stored, reopened):
        assert view.current
        assert view.seed == format_seed(SEED) == file_record["seed"]
        assert view.record["frame"]["fingerprint"] == file_record["frame"]["fingerprint"]
        assert view.record["eligible"] == file_record["eligible"]
        assert view.record["allocation"] == file_record["allocation"]
        table = view.sample.selected
        expected = on_file.sample.selected
        assert table["crn"].tolist() == expected["crn"].tolist()
        assert table["stratum"].tolist() == expected["stratum"].tolist()
        assert view.sample.reserve["crn"].tolist() == on_file.sample.reserve["crn"].tolist()
    with (tmp_path / "sample.csv").open(encoding="utf-8") as f:
        assert [r["crn"] for r in csv.DictReader(f)] == list(reopened.crns)


def test_a_draw_whose_record_is_changed_in_the_database_is_refused(engine, db_url):
    view = drawn(db_url)
    with store_uow.SqlUnitOfWork(engine) as uow:
        obj = uow.dip_draws.get(view.id)
        record = {**obj.record, "seed": format_seed(SEED + 1)}
        uow.dip_draws.save(replace(obj, record=record), expected_version=obj.version,
                           actor="someone")
        uow.commit()
    with pytest.raises(InputError, match="does not come out as its selection log says"):
        dip_store.open_draw(view.id, actor=QUALITY, url=db_url)


def test_a_second_draw_needs_a_reason_and_is_a_visible_redraw_in_the_log(engine, db_url):
    first = drawn(db_url)
    plan = dip_store.open_plan(first.plan_id, actor=QUALITY, url=db_url)
    with pytest.raises(InputError, match="say why"):
        dip_store.draw(plan.id, expected_version=plan.version, actor=QUALITY, url=db_url)
    second = dip_store.draw(plan.id, expected_version=plan.version, actor=MANAGER, url=db_url,
                            reason="The first draw was made before the exclusions were agreed.")
    assert second.seed != first.seed
    assert [e.action for e in second.log] == ["draw", "draw"]
    assert second.log[1].previous_hash == first.log[0].entry_hash   # one chain
    (redraw,) = second.redraws
    assert first.seed in redraw and second.seed in redraw and "Morgan Manager" in redraw
    assert second.record["replaces"]["draw_id"] == first.id
    assert any("exclusions were agreed" in w for w in second.record["warnings"])
    assert dip_store.open_plan(plan.id, actor=QUALITY, url=db_url).current_draw == second.id
    old = dip_store.open_draw(first.id, actor=QUALITY, url=db_url)
    assert not old.current
    with pytest.raises(InputError, match="replaced by a redraw"):
        dip_store.substitute(first.id, crn=first.crns[0], reason="TRANSFERRED",
                             expected_version=old.version, actor=QUALITY, url=db_url)
    # The report of the redraw says so.
    model = dip_store.report_model(second.id, actor=QUALITY, url=db_url)
    assert any(first.seed in note for note in model.notes())


def test_the_frame_cannot_change_once_drawn_and_a_stale_plan_save_is_refused(engine, db_url):
    plan = planned(db_url)
    dip_store.set_planning(plan.id, method="estimate", margin=0.1,
                           expected_version=plan.version, actor=MANAGER, url=db_url)
    with pytest.raises(ConflictError) as refused:
        dip_store.set_exclusions(plan.id, [], reference_date=AS_OF,
                                 expected_version=plan.version, actor=QUALITY, url=db_url)
    assert refused.value.by == "Morgan Manager"
    assert "Sample size settings" in refused.value.changes   # in words, not the frame's rows
    fresh = dip_store.open_plan(plan.id, actor=QUALITY, url=db_url)
    assert fresh.design["n"] == dip_store.size_of(
        fresh, len(dip_store.eligibility_of(fresh).eligible)).n
    drawn_plan = dip_store.draw(plan.id, expected_version=fresh.version, actor=QUALITY,
                                url=db_url, seed=SEED)
    fresh = dip_store.open_plan(drawn_plan.plan_id, actor=QUALITY, url=db_url)
    with pytest.raises(InputError, match="has been drawn"):
        dip_store.set_design(plan.id, n=10, expected_version=fresh.version, actor=QUALITY,
                             url=db_url)


def test_an_ineligible_case_is_replaced_by_the_next_reserve_case_of_its_stratum(engine, db_url):
    view = drawn(db_url)
    leaving = view.crns[3]
    stratum = str(view.sample.selected.set_index("crn").loc[leaving, "stratum"])
    reserve = view.sample.reserve
    expected = str(reserve[(reserve["stratum"] == stratum)
                           & (reserve["reserve_order"] == 1)]["crn"].iloc[0])
    after = dip_store.substitute(view.id, crn=leaving, reason="terminated",
                                 note="Order ended in March", expected_version=view.version,
                                 actor=QUALITY, url=db_url)
    assert after.crns[3] == expected and leaving not in after.crns
    assert len(after.crns) == len(view.crns)
    (sub,) = after.record["substitutions"]
    assert (sub["crn"], sub["reason"], sub["replaced_by"]) == (leaving, "TERMINATED", expected)
    assert [e.action for e in after.log] == ["draw", "substitute"]
    # Reopened from the store, the substitution is made again from the reserve.
    assert dip_store.open_draw(view.id, actor=QUALITY, url=db_url).crns == after.crns
    with pytest.raises(ConflictError):
        dip_store.substitute(view.id, crn=after.crns[0], reason="DUPLICATE",
                             expected_version=view.version, actor=QUALITY, url=db_url)


@pytest.mark.parametrize("reason", ["UNABLE-TO-ASSESS", "unable to assess"])
def test_unable_to_assess_is_not_a_reason_to_replace_and_the_case_stays(engine, db_url, reason):
    view = drawn(db_url)
    with pytest.raises(InputError, match="counts as not meeting the standard"):
        dip_store.substitute(view.id, crn=view.crns[0], reason=reason,
                             expected_version=view.version, actor=QUALITY, url=db_url)
    again = dip_store.open_draw(view.id, actor=QUALITY, url=db_url)
    assert again.crns == view.crns and len(again.log) == 1 and again.version == view.version


def test_answers_are_versioned_and_a_change_to_a_stale_version_is_refused(engine, db_url):
    view = drawn(db_url)
    crn = view.crns[0]
    (first,) = dip_store.record_answers(view.id, [dip_store.AnswerChange(
        crn, "Q1", "No", "Quinn Lead", comment="No assessment on file.")], actor=QUALITY,
        url=db_url)
    assert (first.answer, first.version) == ("no", 1)
    (second,) = dip_store.record_answers(view.id, [dip_store.AnswerChange(
        crn, "Q1", "partly", "Quinn Lead", expected_version=1)], actor=QUALITY, url=db_url)
    assert (second.answer, second.version, second.id) == ("partly", 2, first.id)
    with pytest.raises(ConflictError):           # made to version 1, which is no longer current
        dip_store.record_answers(view.id, [dip_store.AnswerChange(
            crn, "Q1", "yes", "Quinn Lead", expected_version=1)], actor=MANAGER, url=db_url)
    with pytest.raises(ConflictError) as refused:  # someone answered it while it looked empty
        dip_store.record_answers(view.id, [dip_store.AnswerChange(
            crn, "Q1", "yes", "quinn lead")], actor=MANAGER, url=db_url)
    assert refused.value.by == "Quinn Lead"
    with pytest.raises(InputError, match="not in the sample"):
        dip_store.record_answers(view.id, [dip_store.AnswerChange(
            "Z999999", "Q1", "yes", "Quinn Lead")], actor=QUALITY, url=db_url)
    with pytest.raises(InputError, match="is not an answer"):
        dip_store.record_answers(view.id, [dip_store.AnswerChange(
            crn, "Q2", "maybe", "Quinn Lead")], actor=QUALITY, url=db_url)
    (kept,) = dip_store.answers(view.id, actor=QUALITY, url=db_url)
    assert (kept.answer, kept.version) == ("partly", 2)
    with store_uow.SqlUnitOfWork(engine) as uow:   # every version is kept
        kept = tables.CaseworkVersion.__table__.c
        history = uow.connection.execute(sa.select(kept.version).where(
            kept.object_type == "dip_results").order_by(kept.version)).scalars().all()
    assert history == [1, 2]


def test_an_uploaded_results_file_with_mistakes_is_refused_naming_rows_and_columns(engine,
                                                                                  db_url):
    view = drawn(db_url)
    rows = make_results(list(view.crns[:3]), seed=3)
    rows[1]["answer"] = "probably"
    rows[4]["crn"] = "Z999999"
    rows[6]["question_id"] = "Q9"
    with pytest.raises(FileInvalid) as refused:
        dip_store.upload_results(view.id, results_csv(rows), file_name="results.csv",
                                 actor=QUALITY, url=db_url)
    where = {(p.row, p.column) for p in refused.value.problems}
    assert {(3, "answer"), (6, "crn"), (8, "question_id")} <= where
    assert all(p.file == "results.csv" for p in refused.value.problems)
    assert dip_store.answers(view.id, actor=QUALITY, url=db_url) == []   # all or nothing


def _first_answers(rows: list[dict[str, str]]) -> dict[tuple[str, str], str]:
    first: dict[tuple[str, str], str] = {}
    for r in rows:
        first.setdefault((r["crn"], r["question_id"]), r["answer"])
    return first


def test_the_evaluation_equals_an_independent_computation_on_the_same_answers(engine, db_url,
                                                                             tmp_path: Path):
    view = drawn(db_url, n=60)
    view = dip_store.choose_second_review(view.id, fraction=0.25,
                                          expected_version=view.version, actor=QUALITY,
                                          url=db_url)
    assert len(view.second_review) == 15 and set(view.second_review) <= set(view.crns)
    rows = make_results(list(view.crns), seed=11, second=view.second_review)
    rows[0]["answer"] = ""                       # not answered yet: skipped
    outcome = dip_store.upload_results(view.id, results_csv(rows), file_name="results.csv",
                                       actor=QUALITY, url=db_url)
    assert (outcome.added, outcome.skipped) == (len(rows) - 1, 1)
    found = dip_store.evaluate(view.id, actor=QUALITY, url=db_url)

    # Independently: count the first answers, and take intervals from scipy and kappa from
    # scikit-learn rather than from dipsample.
    answered = [r for r in rows if r["answer"]]
    first = _first_answers(answered)
    strata = dict(zip(view.sample.selected["crn"], view.sample.selected["stratum"],
                      strict=True))
    population = {r["stratum"]: r["population"] for r in view.record["allocation"]}
    by_question = {q.question_id: q for q in found.evaluation.questions}
    assert set(by_question) == {q for _, q in first}
    for qid, result in by_question.items():
        given = {c: a for (c, q), a in first.items() if q == qid and a != "not_applicable"}
        k = sum(a in FAILING for a in given.values())
        n = len(given)
        assert (result.failing, result.assessed) == (k, n)
        exact = stats.binomtest(k, n).proportion_ci(0.95, method="exact")
        wilson = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
        assert result.exact == pytest.approx((exact.low, exact.high), abs=1e-9)
        assert result.wilson == pytest.approx((wilson.low, wilson.high), abs=1e-9)
        # Stratified: weights N_h / N, variance with the finite population correction.
        total = sum(population.values())
        p_hat = var = 0.0
        for s, big in population.items():
            cases = [a for c, a in given.items() if strata[c] == s]
            n_h, f_h = len(cases), sum(a in FAILING for a in cases)
            w = big / total
            p_hat += w * f_h / n_h
            var += w * w * (1 - n_h / big) * (f_h / n_h) * (1 - f_h / n_h) / (n_h - 1)
        assert result.stratified is not None
        assert result.stratified.proportion == pytest.approx(p_hat, abs=1e-12)
        assert result.stratified.standard_error == pytest.approx(math.sqrt(var), abs=1e-12)
    seconds = [r for r in answered if r["reviewer"] == "Reviewer B"]
    pairs = [(first[r["crn"], r["question_id"]], r["answer"]) for r in seconds]
    pooled = next(a for a in found.evaluation.agreement if a.question_id is None)
    assert pooled.pairs == len(pairs)
    assert pooled.kappa == pytest.approx(cohen_kappa_score(*zip(*pairs, strict=True)),
                                         abs=1e-12)
    assert pooled.percent_agreement == pytest.approx(
        sum(a == b for a, b in pairs) / len(pairs))

    # And the same numbers as `sfo dip evaluate` on the same answers in a file.
    frame = tmp_path / "caseload.csv"
    frame.write_bytes(frame_csv())
    dip.draw(frame, n=60, out=tmp_path / "sample.csv", strata=["pdu"], seed=SEED,
             exclude=["start_date within 8w"], reference_date=AS_OF)
    (tmp_path / "results.csv").write_bytes(results_csv(answered))
    on_file = dip.evaluate(tmp_path / "results.csv", sample_path=tmp_path / "sample.csv")
    assert on_file.evaluation.as_dict()["questions"] == found.evaluation.as_dict()["questions"]


def test_answers_of_a_case_replaced_later_are_left_out_with_a_warning(engine, db_url):
    view = drawn(db_url)
    leaving = view.crns[0]
    dip_store.record_answers(view.id, [dip_store.AnswerChange(leaving, "Q1", "yes", "Q L")],
                             actor=QUALITY, url=db_url)
    dip_store.substitute(view.id, crn=leaving, reason="DUPLICATE",
                         expected_version=view.version, actor=QUALITY, url=db_url)
    found = dip_store.evaluate(view.id, actor=QUALITY, url=db_url)
    assert found.answers == 0
    assert any(leaving in w and "replaced as ineligible" in w for w in found.warnings)


def test_a_broken_frame_upload_is_refused_with_its_rows_and_columns(engine, db_url):
    lines = frame_csv(20).decode("utf-8").splitlines()
    lines[3] = lines[2]                                          # a repeated CRN
    lines[5] = "x123456" + lines[5][7:]                          # a lower-case CRN
    with pytest.raises(FileInvalid) as refused:
        dip_store.create_from_upload(("\n".join(lines) + "\n").encode(),
                                     file_name="caseload.csv", actor=QUALITY, url=db_url)
    where = {(p.row, p.column) for p in refused.value.problems}
    assert {(4, "crn"), (6, "crn")} <= where
    assert dip_store.list_plans(actor=QUALITY, url=db_url) == []


def test_the_worklist_and_report_open_and_neutralise_formulas(engine, db_url):
    view = drawn(db_url)
    text = dip_store.worklist(view.id, "csv", actor=QUALITY, url=db_url).decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["crn"] for r in table] == list(view.crns)
    assert all(not r["notes"].startswith("=") for r in table)
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(dip_store.worklist(view.id, "xlsx", actor=QUALITY,
                                                                url=db_url)))
    assert book.active is not None and book.active.max_row == len(view.crns) + 1
    rows = make_results(list(view.crns), seed=5)
    dip_store.upload_results(view.id, results_csv(rows), file_name="results.csv",
                             actor=QUALITY, url=db_url)
    data = dip_store.report(view.id, "docx", actor=QUALITY, url=db_url)
    docx.Document(io.BytesIO(data))
    words = rendering.docx_text(data)
    assert view.seed in words
    assert "Working context of the practitioners" in words
    assert "not a finding about them" in words
    html = dip_store.report(view.id, "html", actor=QUALITY, url=db_url).decode("utf-8")
    assert view.seed in html


def test_every_step_is_written_to_the_audit_log(engine, db_url):
    view = drawn(db_url)
    view = dip_store.substitute(view.id, crn=view.crns[0], reason="WRONG-TYPE",
                                expected_version=view.version, actor=QUALITY, url=db_url)
    dip_store.record_answers(view.id, [dip_store.AnswerChange(view.crns[1], "Q1", "yes",
                                                              "Q L")],
                             actor=QUALITY, url=db_url)
    dip_store.worklist(view.id, "csv", actor=QUALITY, url=db_url)
    with engine.connect() as conn:
        assert audit.verify(conn) == []
        log = tables.AuditEntry.__table__.c
        found = conn.execute(sa.select(log.action, log.object_type, log.actor).where(
            log.object_type.startswith("dip")).order_by(log.seq)).all()
    steps = {(a, o) for a, o, _ in found}
    assert {("create", "dip_plan"), ("update", "dip_plan"), ("create", "dip_draw"),
            ("update", "dip_draw"), ("update", "dip_results"), ("export", "dip_draw"),
            ("view", "dip_draw")} <= steps
    assert {who for _, _, who in found} == {"Quinn Lead"}


@pytest.mark.parametrize("who", [HR, ADMIN], ids=["hr", "admin"])
def test_hr_and_administrators_may_not_run_dip_samples(engine, db_url, who):
    view = drawn(db_url)
    calls = [
        lambda: dip_store.list_plans(actor=who, url=db_url),
        lambda: dip_store.create_from_upload(frame_csv(), file_name="c.csv", actor=who,
                                             url=db_url),
        lambda: dip_store.open_plan(view.plan_id, actor=who, url=db_url),
        lambda: dip_store.open_draw(view.id, actor=who, url=db_url),
        lambda: dip_store.draw(view.plan_id, expected_version=1, actor=who, url=db_url),
        lambda: dip_store.substitute(view.id, crn=view.crns[0], reason="TRANSFERRED",
                                     expected_version=view.version, actor=who, url=db_url),
        lambda: dip_store.record_answers(view.id, [], actor=who, url=db_url),
        lambda: dip_store.evaluate(view.id, actor=who, url=db_url),
        lambda: dip_store.report(view.id, "docx", actor=who, url=db_url),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()


def test_an_early_looks_draft_gets_its_frame_from_the_stored_cases(engine, db_url, tmp_path):
    from fixtures.generate import generate_bundle
    from sfo.domain.caseload import caseload_frame
    from sfo.services import early_look

    bundle = tmp_path / "region"
    generate_bundle(bundle, people=120, seed=5)
    records.import_bundle(bundle, url=db_url, actor="importer")
    as_of = date(2024, 3, 1)
    everyone = caseload_frame(records.load_stored(db_url, actor="test"), as_of=as_of)
    held = everyone[everyone["staff_code"].str.len() == 7]
    code = held["staff_code"].value_counts().index[0]
    crn = held[held["staff_code"] == code]["crn"].iloc[0]
    look = early_look.start_stored(crn=crn, actor=MANAGER, url=db_url, as_of=as_of)
    draft = early_look.draft_dip_plan(look.id, actor=MANAGER, url=db_url)
    (listed,) = dip_store.list_plans(actor=QUALITY, url=db_url)
    assert not listed.has_frame and f"early look {look.id}" in listed.source

    steps: list[str] = []
    plan, warnings = dip_store.start_from_early_look(draft.id, actor=QUALITY, url=db_url,
                                                     progress=steps.append)
    assert warnings == () and steps[0] == "Reading every stored case"
    assert plan.frame_rows == len(everyone)
    elig = dip_store.eligibility_of(plan)
    assert sorted(elig.eligible.data["crn"]) == sorted(draft.plan["crns"])
    assert dip_store.size_of(plan, len(elig.eligible)).n == draft.plan["n"]
    assert plan.design["n"] == draft.plan["n"]
    view = dip_store.draw(plan.id, expected_version=plan.version, actor=QUALITY, url=db_url)
    assert set(view.crns) <= set(draft.plan["crns"]) and crn not in view.crns
    model = dip_store.report_model(view.id, actor=QUALITY, url=db_url)
    (person,) = model.practitioners
    assert person.staff_code == code and person.context   # working context from the store
    assert "from the stored case records" in model.context_note

    whole = dip_store.create_from_store(as_of=as_of, actor=QUALITY, url=db_url)
    assert whole.frame_rows == len(everyone) and whole.content["frame"]["fingerprint"] == \
        plan.content["frame"]["fingerprint"]

