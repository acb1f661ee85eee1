"""The Dip samples page: frame, eligibility, size, strata and draw, worklist, results,
evaluation, second review and report, each step saved at once.

Each test copies the seeded database, so the dip samples one test makes never change what
another sees.
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date

import pytest

from dipsample import planning
from fixtures.dip import make_results
from sfo.services import dip_store
from tests.ui.conftest import actor
from ui import navigation

QUALITY = actor("quality")
AS_AT = date(2024, 6, 30)
PAGE = "app_pages/dip_samples.py"


def frame_csv(n: int = 120, seed: int = 3) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["crn", "pdu", "tier", "staff_code", "team_code", "start_date"])
    for number in rng.sample(range(100_000, 1_000_000), n):
        writer.writerow([f"X{number}", rng.choice(["North", "South"]), rng.choice("ABC"),
                         f"N07A{rng.randint(700, 705)}", "N07UAT",
                         f"2024-{rng.randint(1, 6):02d}-{rng.randint(1, 28):02d}"])
    return out.getvalue().encode("utf-8")


def results_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["crn", "question_id", "answer", "reviewer",
                                             "comment"])
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def planned(*, exclude: tuple[str, ...] = ("start_date within 8w",)) -> dip_store.PlanView:
    plan = dip_store.create_from_upload(frame_csv(), file_name="caseload.csv", actor=QUALITY,
                                        reference_date=AS_AT, name="North and South")
    return dip_store.set_exclusions(plan.id, list(exclude), reference_date=AS_AT,
                                    expected_version=plan.version, actor=QUALITY)


def drawn() -> dip_store.DrawView:
    plan = planned()
    plan = dip_store.set_design(plan.id, n=20, strata=["pdu"], expected_version=plan.version,
                                actor=QUALITY)
    return dip_store.draw(plan.id, expected_version=plan.version, actor=QUALITY, seed=99)


@pytest.fixture
def page(app, own_db):
    def make(plan_id: int | None = None, step: str | None = None, role: str = "quality"):
        at = app(role)
        if plan_id is not None:
            at.session_state["sfo_dip_plan_id"] = plan_id
        if step is not None:
            at.session_state["sfo_dip_tab"] = step
        at.switch_page(PAGE).run()
        assert not at.exception, at.exception
        return at

    return make


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def widget(elements, label: str):
    return next(e for e in elements if e.label == label)


def answers_table(at):
    return next(d for d in at.data_editor if "_answers_" in d.key)


def said(at) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def test_the_quality_team_starts_a_dip_sample_with_every_input_labelled(page):
    at = page()
    assert at.title[0].value == "Dip samples"
    assert "not a finding about them" in said(at)
    source = widget(at.radio, "Where the frame comes from")
    assert source.options == ["Upload a caseload frame", "From an early look's recommendation",
                              "From every stored case as at a date"]
    assert [u.label for u in at.get("file_uploader")] == ["Caseload frame (CSV)"]
    assert {"Name of the dip sample", "Why the sample is drawn (the report's purpose)"} <= {
        w.label for w in [*at.text_input, *at.text_area]}
    assert all(w.label for w in [*at.text_input, *at.text_area, *at.selectbox, *at.radio,
                                 *at.date_input, *at.number_input])
    source.set_value("From every stored case as at a date").run()
    assert widget(at.date_input, "Cases as at")
    assert button(at, "Build the frame from the stored cases")


@pytest.mark.parametrize("role", ["hr", "admin", "reviewer"])
def test_roles_that_may_not_run_dip_samples_are_not_shown_the_page(role):
    pages = [p.title for ps in navigation.menu_for(actor(role)).values() for p in ps]
    assert "Dip samples" not in pages


def test_the_eligibility_step_counts_each_rule_and_a_rule_added_is_saved(page):
    plan = planned()
    at = page(plan.id, "2. Eligibility")
    elig = dip_store.eligibility_of(plan)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Cases in the frame": "120",
                       "Excluded": str(120 - len(elig.eligible)),
                       "Eligible": str(len(elig.eligible))}
    assert f"**{elig.counts[0][1]:,} excluded**" in said(at)
    widget(at.selectbox, "Column to exclude by").set_value("tier").run()
    widget(at.selectbox, "Exclude a case when the column").set_value("in").run()
    widget(at.multiselect, "Values").set_value(["C"]).run()
    button(at, "Add the rule").click().run()
    assert not at.exception and not at.error
    stored = dip_store.open_plan(plan.id, actor=QUALITY)
    assert stored.exclusions == ("start_date within 8w", "tier in C")
    assert "tier is C" in said(at)


def test_the_size_step_works_out_the_discovery_size_and_explains_it(page):
    plan = planned()
    at = page(plan.id, "3. Size")
    button(at, "Work out the size").click().run()
    eligible = len(dip_store.eligibility_of(plan).eligible)
    expected = planning.discovery_size(eligible, 0.05, 0.95).n
    assert widget(at.metric, "Cases to check").value == str(expected)
    assert "In other words" in said(at) and "hypergeometric" in said(at)
    assert dip_store.open_plan(plan.id, actor=QUALITY).design["n"] == expected


def test_a_stratified_draw_shows_the_sample_against_the_caseload_and_the_seed(page):
    plan = planned()
    at = page(plan.id, "4. Strata and draw")
    widget(at.multiselect, "Stratify by (columns)").set_value(["pdu"]).run()
    table = next(d.value for d in at.dataframe if "Share of sample" in d.value.columns)
    assert table["Stratum"].tolist() == ["pdu=North", "pdu=South"]
    button(at, "Draw the sample").click().run()
    assert not at.exception and not at.error
    stored = dip_store.open_plan(plan.id, actor=QUALITY)
    assert stored.design["strata"] == ["pdu"] and stored.current_draw is not None
    view = dip_store.open_draw(stored.current_draw, actor=QUALITY)
    assert [c.value for c in at.code] == [view.seed]
    assert any("Draw again" in e.label for e in at.expander)


def test_substitution_never_offers_unable_to_assess_and_replaces_from_the_reserve(page):
    view = drawn()
    at = page(view.plan_id, "5. Worklist")
    assert [b.proto.label for b in at.get("download_button")] == [
        "Download the worklist (CSV)", "Download the worklist (XLSX)"]
    reasons = widget(at.selectbox, "Why it is ineligible")
    assert "UNABLE-TO-ASSESS" not in reasons.options and len(reasons.options) == 5
    assert "Unable to assess is not a reason to replace a case" in "\n".join(
        i.value for i in at.info)
    widget(at.selectbox, "Case to replace").set_value(view.crns[0])
    reasons.set_value("TRANSFERRED")
    at.button[-1].click().run()    # the form's submit button
    assert not at.exception and not at.error
    after = dip_store.open_draw(view.id, actor=QUALITY)
    (sub,) = after.record["substitutions"]
    assert sub["crn"] == view.crns[0] and sub["reason"] == "TRANSFERRED"
    assert view.crns[0] not in after.crns


def test_an_answer_changed_in_the_table_is_saved_at_once_and_others_answers_appear(page):
    view = drawn()
    at = page(view.plan_id, "6. Results")
    table = answers_table(at)
    assert table.value.index.tolist() == list(view.crns)
    at.session_state[table.key] = {"edited_rows": {0: {"Q1": "No"}}, "added_rows": [],
                                   "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error
    (stored,) = dip_store.answers(view.id, actor=QUALITY)
    assert (stored.crn, stored.question_id, stored.answer, stored.reviewer) == (
        view.crns[0], "Q1", "no", "Test quality")
    assert answers_table(at).value.loc[view.crns[0], "Q1"] == "No"
    dip_store.record_answers(view.id, [dip_store.AnswerChange(
        view.crns[1], "Q2", "unable to assess", "Test quality")], actor=actor("manager"))
    at.run()
    assert answers_table(at).value.loc[view.crns[1], "Q2"] == "Unable to assess"
    assert "2 of 100 answers given" in said(at)


def test_a_step_based_on_a_version_someone_else_changed_is_refused_and_theirs_shown(page):
    plan = planned()
    at = page(plan.id, "3. Size")
    dip_store.set_planning(plan.id, method="estimate", margin=0.1,
                           expected_version=plan.version, actor=actor("manager"))
    button(at, "Work out the size").click().run()
    assert any("was changed by Test manager" in w.value for w in at.warning)
    stored = dip_store.open_plan(plan.id, actor=QUALITY)
    assert stored.planning["method"] == "estimate"          # theirs is kept
    assert widget(at.radio, "What the sample is for").value == "estimate"   # and shown


def test_the_evaluation_says_the_results_in_words_with_a_chart(page):
    view = drawn()
    dip_store.upload_results(view.id, results_csv(make_results(list(view.crns), seed=2)),
                             file_name="results.csv", actor=QUALITY)
    at = page(view.plan_id, "7. Evaluation")
    assert not at.error
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert "Cases not meeting the standard" in json.dumps(spec)
    text = said(at)
    assert "We can be 95% confident" in text or "cannot rule out" in text
    assert "not a finding about any practitioner" in "\n".join(i.value for i in at.info)


def test_second_review_cases_are_chosen_and_agreement_is_shown(page):
    view = drawn()
    at = page(view.plan_id, "8. Second review")
    widget(at.number_input, "Share of the sample to review again (%)").set_value(25)
    button(at, "Choose the cases").click().run()
    after = dip_store.open_draw(view.id, actor=QUALITY)
    assert len(after.second_review) == 5
    rows = make_results(list(view.crns), seed=4, second=after.second_review)
    dip_store.upload_results(view.id, results_csv(rows), file_name="results.csv",
                             actor=QUALITY)
    at.run()
    assert widget(at.text_input, "Second reviewer").value == "Reviewer B"
    assert not any("gave the first answers" in w.value for w in at.warning)
    widget(at.text_input, "Second reviewer").set_value("reviewer a").run()
    assert any("gave the first answers" in w.value for w in at.warning)
    agreement = next(d.value for d in at.dataframe if "Cohen's kappa" in d.value.columns)
    assert agreement["Answered twice"].tolist()[-1] == 25


def test_the_report_is_made_and_offered_in_word_and_html(page):
    view = drawn()
    at = page(view.plan_id, "9. Report")
    assert view.seed in said(at)
    button(at, "Make the report").click().run()
    assert not at.exception and not at.error
    assert [b.proto.label for b in at.get("download_button")] == [
        "Download the report (Word)", "Download the report (HTML)"]


def test_a_plan_drafted_by_an_early_look_is_offered_to_start_from(page, own_db):
    from sfo import bootstrap
    from sfo.domain import casework

    with bootstrap.engine_for(own_db) as engine, bootstrap.unit_of_work(engine) as uow:
        uow.dip_plans.add(casework.DipPlan(
            name="Dip sample of N07A726's caseload after early look 4",
            plan={"source": {"early_look_id": 4, "crn": "W582036"}, "staff_code": "N07A726",
                  "as_of": "2024-06-01", "crns": [], "n": 5}), actor="Test manager")
        uow.commit()
    at = page()
    widget(at.radio, "Where the frame comes from").set_value(
        "From an early look's recommendation").run()
    draft = widget(at.selectbox, "Plan drafted by an early look")
    assert "the recommendation of early look 4 on W582036" in draft.options[0]
    assert button(at, "Build the frame and open the plan")


def test_neyman_allocation_takes_each_strata_expected_rate_from_its_table_and_keeps_it(page):
    plan = planned(exclude=())
    plan = dip_store.set_design(plan.id, n=40, strata=["pdu"], expected_version=plan.version,
                                actor=QUALITY)
    at = page(plan.id, "4. Strata and draw")
    widget(at.radio, "How to share the sample between strata").set_value("neyman").run()
    rates = next(d for d in at.data_editor if "_design_rates_" in d.key)
    assert rates.value.index.tolist() == ["pdu=North", "pdu=South"]
    # Nothing is assumed: with no rates given, the page says which strata need one.
    assert any("needs an expected rate" in str(w.value) for w in at.warning)
    at.session_state[rates.key] = {"edited_rows": {0: {"Expected to fail (%)": 50},
                                                   1: {"Expected to fail (%)": 10}},
                                   "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception
    sizes = rates.value["Eligible cases"].to_dict()
    # Neyman by hand: n_h proportional to N_h * sqrt(p_h (1 - p_h)), rounded by largest
    # remainder to a total of 40.
    weight = {"pdu=North": sizes["pdu=North"] * (0.5 * 0.5) ** 0.5,
              "pdu=South": sizes["pdu=South"] * (0.1 * 0.9) ** 0.5}
    exact = {k: 40 * w / sum(weight.values()) for k, w in weight.items()}
    floor = {k: int(v) for k, v in exact.items()}
    for k in sorted(exact, key=lambda k: exact[k] - floor[k], reverse=True)[:40 - sum(
            floor.values())]:
        floor[k] += 1
    table = next(d.value for d in at.dataframe if "Share of sample" in d.value.columns)
    assert dict(zip(table["Stratum"], table["Sampled"], strict=True)) == floor
    assert floor["pdu=North"] > 40 * sizes["pdu=North"] / sum(sizes.values())  # more than
    # proportional where results vary more
    button(at, "Save the strata and allocation").click().run()
    stored = dip_store.open_plan(plan.id, actor=QUALITY).design
    assert stored["allocation"] == "neyman"
    assert stored["rates"] == {"pdu=North": 0.5, "pdu=South": 0.1}
    button(at, "Draw the sample").click().run()
    assert not at.exception and not at.error
    assert "Expected to fail, by stratum: pdu=North 50%; pdu=South 10%." in said(at)


def test_a_stratum_left_without_cases_is_pointed_out_in_the_words_of_the_page(page):
    plan = planned(exclude=())
    plan = dip_store.set_design(plan.id, n=40, strata=["pdu"], allocation="neyman",
                                rates={"pdu=North": 0.5, "pdu=South": 0.0},
                                expected_version=plan.version, actor=QUALITY)
    at = page(plan.id, "4. Strata and draw")
    table = next(d.value for d in at.dataframe if "Share of sample" in d.value.columns)
    # Expected never to fail, so no variance: Neyman gives it nothing.
    assert dict(zip(table["Stratum"], table["Sampled"], strict=True)) == {
        "pdu=North": 40, "pdu=South": 0}
    (warning,) = [str(w.value) for w in at.warning]
    assert "'pdu=South'" in warning and "gets no case" in warning
    assert '"At least this many cases from each stratum"' in warning
    assert "min_per_stratum" not in warning and "take_all_below" not in warning
