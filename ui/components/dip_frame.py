"""Steps 1 and 2: the caseload frame, and who is eligible (exclusion rules with their counts)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from dipsample import eligibility
from sfo.errors import InputError
from sfo.services import dip_store
from sfo.services.dip_store import PlanView
from ui.components import dip_session as ds
from ui.components import session

KINDS = {
    "within": "has a date within the last",
    "in": "has one of these values",
    "not-in": "has none of these values (keep only these)",
    "empty": "is blank",
}
UNITS = {"w": "weeks", "m": "months", "d": "days"}
MAX_LISTED = 200   # distinct values offered to pick from; more are typed


def frame(plan: PlanView) -> None:
    """What the frame holds, where it came from, and the dip sample's name and purpose."""
    found = ds.frame(plan)
    content = plan.content["frame"]
    st.markdown(f"**{ds.md(plan.frame_name)}**: {len(found):,} cases, "
                f"{len(plan.columns)} columns. It came from {ds.md(plan.source_text)}.")
    st.caption(f"Fingerprint (SHA-256 of the frame's content, whatever the order of its rows "
               f"and columns): {content['fingerprint']}")
    for w in content.get("warnings", ()):
        st.warning(w)
    data = found.data.drop(columns=["row"])
    summary = pd.DataFrame([
        {"Column": c, "Different values": int(data[c].nunique()),
         "Blank": int((data[c].astype(str) == "").sum()),
         "For example": ", ".join(str(v) for v in data[c][data[c] != ""].unique()[:4])}
        for c in data.columns])
    st.markdown("The columns, to choose exclusions and strata from:")
    st.dataframe(summary, hide_index=True, width="stretch", key="sfo_dip_columns")
    with st.expander(f"The frame's cases ({len(data):,})"):
        shown = data.head(2000)
        st.dataframe(shown, hide_index=True, width="stretch", key="sfo_dip_frame_rows")
        if len(data) > len(shown):
            st.caption(f"The first {len(shown):,} cases by CRN are shown.")
    _details(plan)


def _save_details(name_key: str, purpose_key: str) -> None:
    found = ds.plan()
    if found is None:
        return
    ds.step("details", lambda: dip_store.set_details(
        found.id, name=str(st.session_state.get(name_key) or ""),
        purpose=str(st.session_state.get(purpose_key) or ""),
        expected_version=found.version, actor=session.user()), "Name and purpose saved.")


def _details(plan: PlanView) -> None:
    with st.form(ds.key("details", plan.version), border=True):
        name_key = ds.key("name", plan.version)
        purpose_key = ds.key("purpose", plan.version)
        st.text_input("Name of the dip sample", value=plan.name, key=name_key)
        st.text_area("Why the sample is drawn (the report's purpose)", value=plan.purpose,
                     key=purpose_key, height=90)
        st.form_submit_button("Save the name and purpose", on_click=_save_details,
                              args=(name_key, purpose_key))
    ds.problem("details")


# -- eligibility -----------------------------------------------------------------------------

def _set_rules(rules: list[str], as_at: date, message: str) -> None:
    found = ds.plan()
    if found is None:
        return
    ds.step("eligibility", lambda: dip_store.set_exclusions(
        found.id, rules, reference_date=as_at, expected_version=found.version,
        actor=session.user()), message)


def _add(column_key: str, kind_key: str, amount_key: str, unit_key: str, values_key: str,
         typed_key: str) -> None:
    found = ds.plan()
    if found is None:
        return
    column = st.session_state.get(column_key)
    kind = st.session_state.get(kind_key)
    if not column or not kind:
        ds.fail("eligibility", InputError("Choose the column and what to exclude."))
        return
    if kind == "within":
        amount = st.session_state.get(amount_key)
        rule = f"{column} within {int(amount or 0)}{st.session_state.get(unit_key) or 'w'}"
    elif kind in ("in", "not-in"):
        values = list(st.session_state.get(values_key) or [])
        typed = str(st.session_state.get(typed_key) or "")
        values += [v.strip() for v in typed.split(",") if v.strip()]
        if not values:
            ds.fail("eligibility", InputError("Choose or type at least one value."))
            return
        rule = f"{column} {kind} {','.join(values)}"
    else:
        rule = f"{column} empty"
    _set_rules([*found.exclusions, rule], found.reference_date, f"Rule added: {rule}.")


def _remove(pick_key: str) -> None:
    found = ds.plan()
    picked = st.session_state.get(pick_key)
    if found is None or picked is None:
        ds.fail("eligibility", InputError("Choose the rule to remove."))
        return
    rules = [r for i, r in enumerate(found.exclusions) if i != int(picked)]
    _set_rules(rules, found.reference_date, "Rule removed.")


def _new_date(date_key: str) -> None:
    found = ds.plan()
    value = st.session_state.get(date_key)
    if found is not None and isinstance(value, date):
        _set_rules(list(found.exclusions), value, f"As-at date set to {value:%-d %B %Y}.")


def eligible(plan: PlanView, elig: eligibility.Eligibility) -> None:
    """Who is eligible: the rules, each with the cases it excluded, and the flow in numbers."""
    editable = not plan.draw_ids
    st.markdown("Exclude the cases the audit should not cover. Each rule removes cases from "
                "the frame, in order; a case is counted under the first rule that excludes "
                "it, so the numbers add up from the whole frame to the eligible cases.")
    date_key = ds.key("as_at", plan.version)
    st.date_input("As at (the date 'within' rules count back from)", value=plan.reference_date,
                  format="DD/MM/YYYY", key=date_key, on_change=_new_date, args=(date_key,),
                  disabled=not editable)
    a, b, c = st.columns(3)
    a.metric("Cases in the frame", f"{elig.population:,}")
    b.metric("Excluded", f"{elig.population - len(elig.eligible):,}")
    c.metric("Eligible", f"{len(elig.eligible):,}")
    if elig.rules:
        st.markdown("\n".join(
            f"{i + 1}. **{count:,} excluded**: {ds.md(rule.explain(elig.reference_date))}."
            for i, (rule, (_, count)) in enumerate(zip(elig.rules, elig.counts, strict=True))))
    else:
        st.info("No exclusion rule yet: every case in the frame is eligible.")
    for w in elig.warnings:
        st.warning(w)
    if not editable:
        st.caption("The sample has been drawn, so the rules can no longer change.")
        return
    _rule_builder(plan)
    if elig.rules:
        r1, r2 = st.columns([3, 1], vertical_alignment="bottom")
        pick_key = ds.key("rule_pick", plan.version)
        r1.selectbox("Rule to remove", list(range(len(elig.rules))),
                     format_func=lambda i: f"{i + 1}: {elig.rules[i].reason}", index=None,
                     placeholder="Choose a rule", key=pick_key)
        r2.button("Remove the rule", key=ds.key("rule_remove"), on_click=_remove,
                  args=(pick_key,))
    ds.problem("eligibility")


def _rule_builder(plan: PlanView) -> None:
    found = ds.frame(plan)
    columns = [c for c in plan.columns if c != "crn"]
    with st.container(border=True):
        st.markdown("**Add an exclusion rule**")
        a, b = st.columns(2)
        column_key = ds.key("rule_column", plan.version)
        kind_key = ds.key("rule_kind", plan.version)
        column = a.selectbox("Column to exclude by", columns, index=None,
                             placeholder="Choose a column", key=column_key)
        kind = b.selectbox("Exclude a case when the column", list(KINDS),
                           format_func=KINDS.__getitem__, key=kind_key)
        amount_key = ds.key("rule_amount", plan.version)
        unit_key = ds.key("rule_unit", plan.version)
        values_key = ds.key("rule_values", plan.version, column)
        typed_key = ds.key("rule_typed", plan.version, column)
        if kind == "within":
            c, d = st.columns(2)
            c.number_input("How long", min_value=1, value=8, step=1, key=amount_key)
            d.selectbox("In", list(UNITS), format_func=UNITS.__getitem__, key=unit_key)
            st.caption("For example 'start_date' within the last 8 weeks: cases started too "
                       "recently to judge. A blank date never excludes a case.")
        elif kind in ("in", "not-in") and column:
            _, distinct = found.encoded(column)
            values = [v for v in distinct.tolist() if v]
            if len(values) <= MAX_LISTED:
                st.multiselect("Values", values, key=values_key, placeholder="Choose values")
            else:
                st.text_input("Values (separated by commas, exactly as in the frame)",
                              key=typed_key)
        st.button("Add the rule", key=ds.key("rule_add"), on_click=_add,
                  args=(column_key, kind_key, amount_key, unit_key, values_key, typed_key))
