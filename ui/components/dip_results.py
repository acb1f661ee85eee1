"""Steps 6 and 8: answers per case (an editable table, or an uploaded results.csv), the
questions, and the second review.

The answers table has one row per sampled case and one column per question.
A change to a cell is saved at once as that reviewer's answer, naming the
version the table showed; an answer someone else saved meanwhile is never
overwritten (the page shows theirs). The table is drawn afresh after every
save, and after a refused change.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from sfo.errors import InputError
from sfo.services import dip_store
from sfo.services.dip_store import Answer, AnswerChange, DrawView, PlanView
from ui.components import dip_session as ds
from ui.components import session

REVIEWER = "sfo_dip_reviewer"
SECOND = "sfo_dip_second_reviewer"
GRID = "sfo_dip_grid"          # bumped to draw an answers table afresh after a refused change
UPLOADED = "sfo_dip_uploaded"  # what the last upload stored, to say so
UPLOAD = "sfo_dip_results_upload"
WORDS = dip_store.ANSWER_LABELS
FROM_LABEL = {label: word for word, label in WORDS.items()}


def _edits(draw_id: int, crns: Sequence[str], reviewer: str,
           versions: dict[tuple[str, str], int], table_key: str, where: str) -> bool:
    """Save the table's edits; whether there were any (saved, or refused and kept to show)."""
    edits = (st.session_state.get(table_key) or {}).get("edited_rows", {})
    if not edits:
        return False
    changes = []
    for row, cells in sorted(edits.items()):
        crn = crns[int(row)]
        for question, value in cells.items():
            if question == "Stratum":
                continue
            if value in (None, ""):
                ds.fail(where, InputError(
                    f"An answer cannot be taken away ({question} for {crn}): choose another "
                    "answer. Every version is kept."))
                st.session_state[GRID] = st.session_state.get(GRID, 0) + 1
                return True
            changes.append(AnswerChange(crn, str(question), FROM_LABEL.get(str(value),
                                                                            str(value)),
                                        reviewer, expected_version=versions.get((crn,
                                                                                 question))))
    done = ds.step(where, lambda: dip_store.record_answers(draw_id, changes,
                                                           actor=session.user()),
                   f"{len(changes)} answer{'s' if len(changes) != 1 else ''} saved.")
    if done is None:
        # Drawn afresh, so it never shows an answer that was not saved.
        st.session_state[GRID] = st.session_state.get(GRID, 0) + 1
    st.session_state.pop(table_key, None)
    return True


def _on_edit(draw_id: int, crns: tuple[str, ...], reviewer: str,
             versions: dict[tuple[str, str], int], table_key: str, where: str) -> None:
    _edits(draw_id, crns, reviewer, versions, table_key, where)


def answers_table(drawn: DrawView, plan: PlanView, stored: list[Answer], *, reviewer: str,
                  crns: Sequence[str], where: str) -> None:
    """One row per case, one column per question: the reviewer's answers, saved as changed."""
    strata = dict(zip(drawn.sample.selected["crn"].astype(str),
                      drawn.sample.selected["stratum"].astype(str), strict=True))
    mine = {(a.crn, a.question_id): a for a in stored
            if a.reviewer.casefold() == reviewer.casefold()}
    questions = [q for q, _ in plan.questions]
    table = pd.DataFrame(
        {"Stratum": [strata.get(c, "") for c in crns],
         **{q: [WORDS[mine[c, q].answer] if (c, q) in mine else None for c in crns]
            for q in questions}},
        index=pd.Index(list(crns), name="CRN"))
    versions = {k: a.version for k, a in mine.items()}
    signature = tuple(sorted((k, v) for k, v in versions.items()))
    table_key = ds.key(f"answers_{where}", drawn.id, reviewer.casefold(), signature,
                       st.session_state.get(GRID, 0))
    texts = dict(plan.questions)
    config = {"_index": st.column_config.TextColumn("CRN", disabled=True),
              "Stratum": st.column_config.TextColumn("Stratum", disabled=True)}
    for q in questions:
        config[q] = st.column_config.SelectboxColumn(q, options=list(WORDS.values()),
                                                     help=texts[q], width="small")
    given = sum(1 for c in crns for q in questions if (c, q) in mine)
    st.markdown(f"**{given} of {len(crns) * len(questions)} answers given** by "
                f"{ds.md(reviewer)}.")
    if not drawn.current:
        st.dataframe(table, column_config=config, width="stretch")
        return
    st.data_editor(table, key=table_key, num_rows="fixed", column_config=config,
                   width="stretch", on_change=_on_edit,
                   args=(drawn.id, tuple(crns), reviewer, versions, table_key, where))
    st.caption("Choose an answer in a cell to save it; each change is saved at once. Point at "
               "a question's heading for its wording.")
    # Edits that came without a change event (a test setting the table's state) take the same
    # path; after the callback has saved, the table's key is new and empty.
    if _edits(drawn.id, tuple(crns), reviewer, versions, table_key, where):
        st.rerun()
    ds.problem(where)


def _upload(draw_id: int) -> None:
    upload = st.session_state.get(UPLOAD)
    if upload is None:
        ds.fail("upload", InputError("Choose the results file to upload (results.csv)."))
        return
    st.session_state.pop(UPLOADED, None)
    done = ds.step("upload", lambda: dip_store.upload_results(
        draw_id, upload.getvalue(), file_name=upload.name, actor=session.user()),
        "Results stored.")
    if done is not None:
        st.session_state[UPLOADED] = (draw_id, upload.name, done)
        # Show the answers just stored: the table is of whoever gave most first answers.
        first = _first_reviewer(dip_store.answers(draw_id, actor=session.user()))
        if first:
            st.session_state[REVIEWER + "_kept"] = first


def _first_reviewer(stored: Sequence[Answer]) -> str:
    """Whoever gave the most first answers ('' when nobody has answered)."""
    first: dict[tuple[str, str], str] = {}
    for a in sorted(stored, key=lambda a: a.id):
        first.setdefault((a.crn, a.question_id), a.reviewer)
    names = list(first.values())
    return max(sorted(set(names)), key=names.count) if names else ""


def _second_reviewer(stored: Sequence[Answer]) -> str:
    """Whoever gave the most second answers ('' when nobody has)."""
    seen: set[tuple[str, str]] = set()
    names = []
    for a in sorted(stored, key=lambda a: a.id):
        if (a.crn, a.question_id) in seen:
            names.append(a.reviewer)
        seen.add((a.crn, a.question_id))
    return max(sorted(set(names)), key=names.count) if names else ""


def results(drawn: DrawView, plan: PlanView) -> None:
    """Answers per case: in the table, or uploaded as results.csv."""
    user = session.user()
    stored = dip_store.answers(drawn.id, actor=user)
    st.markdown("Answer each question for each sampled case: **Yes**, **No**, **Partly**, "
                "**Not applicable**, or **Unable to assess**. No, partly and unable to assess "
                "count as not meeting the standard; not applicable is left out of the count. "
                "The first answer recorded for a case and question is the one evaluated; "
                "another reviewer's answer is a second review (step 8).")
    if not drawn.current:
        st.warning("This draw was replaced by a redraw: its answers can be read, not changed.")
    with st.expander("The questions"):
        _questions(plan)
    reviewer = st.text_input("Answers recorded as the work of",
                             key=ds.remembered(REVIEWER, _first_reviewer(stored) or ds.me()),
                             on_change=ds.remember, args=(REVIEWER,),
                             help="The reviewer who audited the cases (usually you).").strip()
    if not reviewer:
        st.warning("Say who audited the cases to record their answers.")
    else:
        answers_table(drawn, plan, stored, reviewer=reviewer, crns=list(drawn.crns),
                      where="answers")
    st.subheader("Or upload the answers")
    st.markdown("A results file has the columns crn, question_id, answer, reviewer and "
                "comment, one row per answer. Rows with no answer yet are skipped; a file with "
                "a mistake stores nothing, and every problem is listed with its row and "
                "column.")
    a, b = st.columns([3, 2], vertical_alignment="bottom")
    a.file_uploader("Results file (results.csv)", type=["csv"], key=UPLOAD)
    b.download_button("Download a results form (CSV)",
                      data=functools.partial(dip_store.results_form, drawn.id, actor=user,
                                             reviewer=reviewer),
                      file_name=f"dip-sample-{drawn.plan_id}-results.csv", mime="text/csv",
                      on_click="ignore", key="sfo_dip_results_form",
                      icon=":material/download:")
    st.button("Check and store the results", type="primary", key="sfo_dip_upload_go",
              on_click=_upload, args=(drawn.id,), disabled=not drawn.current)
    done = st.session_state.get(UPLOADED)
    if done and done[0] == drawn.id:
        o = done[2]
        st.success(f"{ds.md(done[1])}: {o.added} new answers, {o.changed} changed, "
                   f"{o.unchanged} already stored, for {o.cases} cases"
                   + (f"; {o.skipped} rows with no answer were skipped" if o.skipped else "")
                   + ".")
    ds.problem("upload")


def _save_questions(table_key: str, base: pd.DataFrame) -> None:
    found = ds.plan()
    if found is None:
        return
    state = st.session_state.get(table_key) or {}
    table = base.copy()
    for row, cells in (state.get("edited_rows") or {}).items():
        for column, value in cells.items():
            table.loc[int(row), column] = value
    table = table.drop(index=[int(r) for r in state.get("deleted_rows") or []])
    added = pd.DataFrame(state.get("added_rows") or [], columns=["Question", "Text"])
    table = pd.concat([table, added], ignore_index=True).fillna("")
    questions = [(str(q), str(t)) for q, t in zip(table["Question"], table["Text"],
                                                  strict=True)]
    ds.step("questions", lambda: dip_store.set_questions(
        found.id, questions, expected_version=found.version, actor=session.user()),
        "Questions saved.")


def _questions(plan: PlanView) -> None:
    st.markdown("The checklist each sampled case is audited against. Give each question a "
                "short id (as in results.csv) and its wording.")
    base = pd.DataFrame([{"Question": q, "Text": t} for q, t in plan.questions])
    table_key = ds.key("questions", plan.version)
    st.data_editor(base, key=table_key, num_rows="dynamic", hide_index=True, width="stretch",
                   column_config={"Question": st.column_config.TextColumn(
                       "Question", required=True, width="small"),
                       "Text": st.column_config.TextColumn("Text", required=True,
                                                           width="large")})
    st.button("Save the questions", key=ds.key("questions_save"), on_click=_save_questions,
              args=(table_key, base))
    ds.problem("questions")


# -- second review ------------------------------------------------------------------------------

def _choose(share_key: str) -> None:
    found = ds.draw()
    if found is None:
        return
    share = float(st.session_state.get(share_key) or 0) / 100
    ds.step("second", lambda: dip_store.choose_second_review(
        found.id, fraction=share, expected_version=found.version, actor=session.user()),
        "Cases for a second review chosen.")


def second_review(drawn: DrawView, plan: PlanView) -> None:
    """Choose the cases to review twice, and record the second reviewer's answers."""
    st.markdown("A second, independent reviewer audits some of the sampled cases again, "
                "without seeing the first answers. How often the two agree (with Cohen's "
                "kappa, which allows for agreement by chance) shows whether the questions are "
                "read the same way; below 0.6 the results need care. The cases are chosen "
                "from the draw's seed, so the choice can be checked too.")
    chosen = list(drawn.second_review)
    if drawn.current:
        a, b = st.columns([2, 1], vertical_alignment="bottom")
        share_key = ds.key("second_share", drawn.version)
        a.number_input("Share of the sample to review again (%)", min_value=1, max_value=100,
                       value=10, step=5, key=share_key)
        b.button("Choose the cases again" if chosen else "Choose the cases",
                 key=ds.key("second_go"), on_click=_choose, args=(share_key,))
        ds.problem("second")
    if not chosen:
        st.info("No cases have been chosen for a second review yet.")
        return
    st.markdown(f"**{len(chosen)} cases for a second review:** {', '.join(chosen)}.")
    stored = dip_store.answers(drawn.id, actor=session.user())
    first_by: dict[tuple[str, str], str] = {}
    for given in sorted(stored, key=lambda g: g.id):
        first_by.setdefault((given.crn, given.question_id), given.reviewer)
    reviewer = st.text_input("Second reviewer", key=ds.remembered(SECOND,
                                                                 _second_reviewer(stored)),
                             on_change=ds.remember, args=(SECOND,),
                             placeholder="The name of whoever reviews the cases again").strip()
    if not reviewer:
        st.caption("Give the second reviewer's name to record their answers.")
        return
    if any(first_by.get((c, q), "").casefold() == reviewer.casefold()
           for c in chosen for q, _ in plan.questions):
        st.warning(f"{ds.md(reviewer)} gave the first answers for some of these cases. A second "
                   "review is by someone else.")
    answers_table(drawn, plan, stored, reviewer=reviewer, crns=chosen, where="second_answers")
