"""The working context and the contributory factors, and how the working context was considered.

The working context comes from the early look (or the records) and is read
here. Factors are proposed from it; the reviewer grades each piece of
evidence (fact, inference or hearsay) and says whether the factor was known
at the time, helped or hindered, and is specific or systemic. Personal
circumstances are always restricted: the service never sends them to someone
who may not see them, so this page cannot show them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from sfo.domain import context as ctx
from sfo.domain import factors as fc
from sfo.domain import review as rv
from sfo.errors import ReviewInvalid
from ui.components import review_fields as fields
from ui.components import review_session as rvs

SECTION = rvs.FACTORS
CODES = list(fc.FACTOR_TYPES)
GRADE_WORDS = {g: label.split(":")[0] for g, label in fc.GRADES.items()}   # fact -> Fact
GRID = "sfo_rv_evidence_grid"   # bumped to draw the evidence table afresh after a refusal


def _context(state: rv.ReviewState) -> None:
    st.markdown("#### The working context")
    st.markdown("What the early look (or the records) said about the conditions the work was "
                "done in. It is changed on the early look, not here.")
    if not state.context:
        st.info("No working context was recorded.")
        return
    lines = []
    for e in state.context:
        badges = (" :violet-badge[Restricted]" if e.restricted else "") + (
            " :blue-badge[Mitigation]" if e.is_mitigation else "")
        lines.append(f"- **{e.entry_id}, {rvs.md(ctx.CATEGORIES.get(e.category, e.category))}"
                     f"**{badges}: {rvs.md(e.text)}")
    st.markdown("\n".join(lines))


# -- one factor ---------------------------------------------------------------------------------

def _factor_title(f: fc.Factor) -> str:
    variant = f" ({fc.PARTNER_VARIANTS[f.variant]})" if f.variant else ""
    return f"{f.factor_id}: {f.kind.title}{variant}"


def _overview(state: rv.ReviewState) -> None:
    fs = state.factors
    table = pd.DataFrame({
        "Factor": [f.factor_id for f in fs],
        "Kind": [f.kind.title for f in fs],
        "Level": [fc.LEVELS[f.kind.level] for f in fs],
        "Known at the time": [fc.KNOWN.get(f.known_at_the_time or "", "Not yet said")
                              for f in fs],
        "Helped or hindered": [fc.EFFECTS[f.effect] for f in fs],
        "Specific or systemic": [fc.SCOPES.get(f.scope or "", "Not yet said") for f in fs],
        "Evidence": [len(f.evidence) for f in fs],
        "Restricted": ["Restricted" if f.restricted else "" for f in fs],
    })
    st.dataframe(table, hide_index=True, width="stretch")


def _set(factor_id: str, field: str, widget_key: str, label: str) -> None:
    value = st.session_state.get(widget_key)
    if field == "restricted":
        value = bool(value)
    rvs.apply(lambda s: rv.update_factor(s, factor_id, **{field: value}), where=factor_id,
              note=f"changed {label} of factor {factor_id}")


def _description(factor_id: str) -> fields.TextChange:
    def change(s: rv.ReviewState, text: str) -> rv.ReviewState:
        return rv.update_factor(s, factor_id, description=text)

    return change


def _radio(f: fc.Factor, field: str, label: str, options: dict[str, str], value: str | None,
           *, editable: bool) -> None:
    if not editable:
        st.markdown(f"**{label}:** {options.get(value or '', 'Not yet said')}")
        return
    keys = list(options)
    # Keyed by the stored value, so the choice shown is always the one saved.
    widget_key = rvs.key(f"f_{field}_{f.factor_id}", value, st.session_state.get(GRID, 0))
    st.radio(label, keys, index=keys.index(value) if value in keys else None,
             format_func=options.__getitem__, horizontal=True, key=widget_key,
             on_change=_set, args=(f.factor_id, field, widget_key, label.lower()))


def _notes_frame(f: fc.Factor) -> pd.DataFrame:
    return pd.DataFrame({
        "text": pd.Series([n.text for n in f.evidence], dtype="object"),
        "grade": pd.Series([n.grade for n in f.evidence], dtype="object"),
        "records": pd.Series([", ".join(n.records) for n in f.evidence], dtype="object"),
        "dated": pd.Series([n.dated for n in f.evidence], dtype="object"),
    })


def _as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _note(cells: dict[str, Any], row: int) -> fc.EvidenceNote:
    text = str(cells.get("text") or "")
    if not text.strip():
        raise ReviewInvalid(f"Evidence row {row + 1} has no text: say what the evidence is, "
                            "or delete the row.")
    grade = cells.get("grade")
    if grade not in fc.GRADES:
        raise ReviewInvalid(f"Grade evidence row {row + 1}: fact, inference or hearsay.")
    records = tuple(r.strip() for r in str(cells.get("records") or "").split(",") if r.strip())
    return fc.EvidenceNote(text=text, grade=str(grade), records=records,
                           dated=_as_date(cells.get("dated")))


def _evidence_edited(factor_id: str, drawn: tuple[fc.EvidenceNote, ...], table_key: str
                     ) -> bool:
    """Apply the table's edits, added and deleted rows (if any); True if there were."""
    edits = st.session_state.get(table_key) or {}
    if not any(edits.get(k) for k in ("edited_rows", "added_rows", "deleted_rows")):
        return False
    rows: list[dict[str, Any] | None] = [
        {"text": n.text, "grade": n.grade, "records": ", ".join(n.records), "dated": n.dated}
        for n in drawn]
    for row, cells in (edits.get("edited_rows") or {}).items():
        current = rows[int(row)]
        assert current is not None
        current.update(cells)
    for row in edits.get("deleted_rows") or []:
        rows[int(row)] = None
    rows += [{"grade": "fact", **added} for added in edits.get("added_rows") or []]

    def change(s: rv.ReviewState) -> rv.ReviewState:
        notes = tuple(_note(cells, i) for i, cells in enumerate(rows) if cells is not None)
        return rv.update_factor(s, factor_id, evidence=notes)

    if not rvs.apply(change, where=factor_id, note=f"changed the evidence of factor "
                                                  f"{factor_id}"):
        st.session_state[GRID] = st.session_state.get(GRID, 0) + 1
    return True


def _on_evidence(factor_id: str, drawn: tuple[fc.EvidenceNote, ...], table_key: str) -> None:
    _evidence_edited(factor_id, drawn, table_key)


def _evidence(f: fc.Factor, *, editable: bool) -> None:
    st.markdown("**Evidence**")
    if not editable:
        if not f.evidence:
            st.markdown(":grey[No evidence recorded.]")
        st.markdown("\n".join(f"- {rvs.md(n.text)} ({GRADE_WORDS[n.grade].lower()}"
                              + (f"; records {', '.join(n.records)}" if n.records else "")
                              + ")" for n in f.evidence))
        return
    st.caption("Grade each piece: fact (shown by the case record or another document), "
               "inference (your reading of the facts) or hearsay (an account given to you, not "
               "yet checked). Change a cell, add a row at the bottom or delete a row: it is "
               "saved at once.")
    found = rvs.opened()
    table_key = rvs.key(f"f_evidence_{f.factor_id}_v{found.version}_"
                        f"{st.session_state.get(GRID, 0)}")
    st.data_editor(
        _notes_frame(f), key=table_key, num_rows="dynamic", hide_index=True, width="stretch",
        on_change=_on_evidence, args=(f.factor_id, f.evidence, table_key),
        column_config={
            "text": st.column_config.TextColumn("What the evidence says", required=True,
                                                width="large"),
            "grade": st.column_config.SelectboxColumn(
                "Grade", options=list(fc.GRADES),
                format_func=lambda g: GRADE_WORDS.get(str(g), str(g)), required=True,
                default="fact", width="small"),
            "records": st.column_config.TextColumn("Records (ids, separated by commas)",
                                                   width="medium"),
            "dated": st.column_config.DateColumn("Dated", format="D MMM YYYY", width="small"),
        })
    # Edits that came without a change event (a test setting the table's state).
    if _evidence_edited(f.factor_id, f.evidence, table_key):
        st.rerun()


def _remove(factor_id: str) -> None:
    rvs.apply(lambda s: rv.remove_factor(s, factor_id), where="factors",
              note=f"removed factor {factor_id}")


def _factor(f: fc.Factor, *, editable: bool) -> None:
    kind = f.kind
    with st.container(border=True):
        st.markdown(f"#### {rvs.md(_factor_title(f))}")
        badges = [f":blue-badge[{fc.LEVELS[kind.level]} level]"]
        if f.restricted:
            badges.append(":violet-badge[Restricted]")
        if f.source == "proposed":
            badges.append(":grey-badge[Proposed by the toolkit]")
        st.markdown(" ".join(badges))
        st.caption(f"In the SEIPS work system: {fc.SEIPS[kind.seips].lower()}. In the London "
                   f"Protocol: {fc.LONDON_PROTOCOL[kind.london].lower()}.")
        rvs.pointer(SECTION, f.factor_id)
        fields.text("Description", f.description, name=f"f_description_{f.factor_id}",
                    change=_description(f.factor_id), editable=editable, height=90,
                    note=f"changed the description of factor {f.factor_id}")
        _radio(f, "known_at_the_time", "Known at the time", fc.KNOWN, f.known_at_the_time,
               editable=editable)
        _radio(f, "effect", "Helped or hindered", fc.EFFECTS, f.effect, editable=editable)
        _radio(f, "scope", "Specific to this case or systemic", fc.SCOPES, f.scope,
               editable=editable)
        if kind.variants:
            _radio(f, "variant", "What happened to the information", fc.PARTNER_VARIANTS,
                   f.variant, editable=editable)
        if editable and not kind.restricted:
            widget_key = rvs.key(f"f_restricted_{f.factor_id}", f.restricted,
                                 st.session_state.get(GRID, 0))
            st.checkbox("Restricted: only the manager, the reviewer and HR can see it; it is "
                        "left out of the shared copy and the family summary",
                        value=f.restricted, key=widget_key, on_change=_set,
                        args=(f.factor_id, "restricted", widget_key, "whether it is "
                                                                      "restricted"))
        elif editable:
            st.caption("Personal circumstances are always restricted: only the manager, the "
                       "reviewer and HR can see them.")
        rvs.problem(f.factor_id)
        _evidence(f, editable=editable)
        if editable:
            with st.popover(f"Remove factor {f.factor_id}"):
                st.markdown(f"Remove {f.factor_id} from the review? This is saved at once.")
                st.button(f"Yes, remove {f.factor_id}", key=rvs.key(f"f_rm_{f.factor_id}"),
                          on_click=_remove, args=(f.factor_id,))


# -- adding a factor, and considering the working context ---------------------------------------

def _add(code_key: str, text_key: str, note_key: str, grade_key: str) -> None:
    code = st.session_state.get(code_key)
    if code is None:
        rvs.fail("factors_add", ReviewInvalid("Choose the kind of factor from the list."))
        return
    description = str(st.session_state.get(text_key) or "")
    note = str(st.session_state.get(note_key) or "").strip()
    grade = st.session_state.get(grade_key)
    if note and grade is None:
        rvs.fail("factors_add", ReviewInvalid("Grade the evidence: fact, inference or "
                                              "hearsay."))
        return

    def change(s: rv.ReviewState) -> rv.ReviewState:
        evidence = (fc.EvidenceNote(text=note, grade=str(grade)),) if note else ()
        return rv.add_factor(s, str(code), description or fc.FACTOR_TYPES[str(code)].title,
                             evidence=evidence)

    if rvs.apply(change, where="factors_add", note=f"added a {code} factor",
                 mine=description, form=True):
        st.session_state[fields.memory_key("factor")] = rvs.opened().state.factors[-1] \
            .factor_id


def _add_form(state: rv.ReviewState) -> None:
    with st.expander("Add a factor from the list of contributory factors"):
        ids = tuple(f.factor_id for f in state.factors)
        code_key, text_key = rvs.key("f_new_code", ids), rvs.key("f_new_text", ids)
        note_key, grade_key = rvs.key("f_new_note", ids), rvs.key("f_new_grade", ids)
        with st.form(rvs.key("f_new", ids), border=False):
            st.selectbox("Kind of factor", CODES, index=None, key=code_key,
                         placeholder="Choose a kind",
                         format_func=lambda c: (f"{fc.FACTOR_TYPES[c].title} "
                                                f"({fc.LEVELS[fc.FACTOR_TYPES[c].level]} "
                                                "level)"))
            st.text_area("Description", key=text_key, height=80,
                         placeholder="For example: the team had 3 vacancies from March.")
            st.text_area("First piece of evidence (optional)", key=note_key, height=80)
            st.radio("Grade of the evidence", list(fc.GRADES), index=None, key=grade_key,
                     format_func=GRADE_WORDS.__getitem__, horizontal=True)
            st.caption("Personal circumstances are always restricted.")
            st.form_submit_button("Add the factor", on_click=_add,
                                  args=(code_key, text_key, note_key, grade_key),
                                  key=rvs.key("f_new_save", ids))
    rvs.problem("factors_add")


def _consider(text_key: str) -> None:
    statement = str(st.session_state.get(text_key) or "")
    rvs.apply(lambda s: rv.consider_context(s, statement, by=rvs.me()), where="considered",
              note="recorded how the working context was considered", mine=statement, form=True)


def _considered(state: rv.ReviewState, *, editable: bool) -> None:
    st.markdown("#### How the working context was considered")
    rvs.pointer(SECTION, "factors")
    signed = state.context_considered
    if signed is not None:
        st.success(f"{rvs.md(signed.by)} recorded how the working context was considered, at "
                   f"{rvs.moment(signed.at)}.")
    if not editable:
        fields.read_only("How the working context was considered", state.context_statement)
        return
    if not rv.working_context_considered(state):
        st.warning("You cannot finalise until the working context is considered: record the "
                   "contributory factors, or say here how you considered the working context "
                   "and why you found none.")
    text_key = rvs.key("ctx_statement", state.context_statement,
                       signed.at if signed else None)
    with st.form(rvs.key("ctx_form", state.context_statement), border=False):
        st.text_area("How you considered the working context", value=state.context_statement,
                     key=text_key, height=120,
                     help="For example what you looked at (workload, supervision, training, "
                          "vacancies, systems, partner agencies) and what you found.")
        st.form_submit_button("Save and confirm the working context was considered",
                              on_click=_consider, args=(text_key,), type="primary")
    rvs.problem("considered")


def factors(state: rv.ReviewState, *, editable: bool) -> None:
    """The working context, each factor, adding one, and how the context was considered."""
    _context(state)
    st.markdown("#### Contributory factors")
    st.markdown("The toolkit proposed factors from the working context. It does not say "
                "whether they were known at the time or systemic: you do. "
                + ("Each change is saved at once." if editable else ""))
    if state.factors:
        _overview(state)
        labels = {f.factor_id: _factor_title(f) for f in state.factors}
        chosen = fields.chooser("Factor to " + ("work on" if editable else "read"),
                                list(labels), name="factor", format_func=labels.__getitem__)
        factor = next(f for f in state.factors if f.factor_id == chosen)
        _factor(factor, editable=editable)
    else:
        st.info("No contributory factor is recorded.")
    rvs.problem("factors")
    if editable:
        _add_form(state)
    _considered(state, editable=editable)
