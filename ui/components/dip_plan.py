"""Steps 3 and 4: the sample size explained, then strata, allocation and the draw."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from dipsample import eligibility, planning
from dipsample.allocation import Allocation
from sfo.errors import SfoError
from sfo.services import dip_store
from sfo.services.dip_store import DrawView, PlanView
from ui.components import dip_session as ds
from ui.components import session

METHODS = {"discovery": "Discovery: is the problem there at all?",
           "estimate": "Estimation: how common is the problem?"}
CONFIDENCE = {0.9: "90%", 0.95: "95%", 0.99: "99%"}
SHARING = {"proportional": "In proportion to each stratum's size",
           "equal": "The same number from each stratum",
           "neyman": "More where results are expected to vary most (Neyman)"}
RATE = "Expected to fail (%)"
MIN_LABEL = "At least this many cases from each stratum"
TAKE_ALL_LABEL = "Take every case of a stratum this small or smaller (0: none)"
# The allocation's warnings name its options as the command line does; on this page they
# are the fields above.
PAGE_WORDS = (("set min_per_stratum or take_all_below",
               f"give \"{MIN_LABEL}\" or \"{TAKE_ALL_LABEL}\""),
              ("min_per_stratum", f"\"{MIN_LABEL}\""),
              ("take_all_below", f"\"{TAKE_ALL_LABEL}\""))


def _warnings(warnings: Any) -> str:
    """The allocation's warnings as a list, in this page's words."""
    out = []
    for w in warnings:
        text = str(w)
        for option, field in PAGE_WORDS:
            text = text.replace(option, field)
        out.append(f"- {ds.md(text)}")
    return "\n".join(out)
SHARED = {"proportional": "shared in proportion to each stratum's size",
          "equal": "the same number from each stratum", "neyman": "shared by Neyman allocation"}


# -- size -------------------------------------------------------------------------------------

def _plan_size(keys: Mapping[str, str]) -> None:
    found = ds.plan()
    if found is None:
        return
    method = str(st.session_state.get(keys["method"]) or "discovery")
    share = st.session_state.get
    ds.step("size", lambda: dip_store.set_planning(
        found.id, method=method, prevalence=float(share(keys["prevalence"]) or 0) / 100,
        expected_rate=float(share(keys["expected"]) or 0) / 100,
        margin=float(share(keys["margin"]) or 0) / 100,
        confidence=float(share(keys["confidence"]) or 0.95), expected_version=found.version,
        actor=session.user()), "Sample size worked out.")


def size(plan: PlanView, elig: eligibility.Eligibility) -> None:
    """Choose discovery or estimation, work the size out, and say what it means."""
    eligible = len(elig.eligible)
    p = plan.planning
    editable = not plan.draw_ids
    st.markdown(f"There are **{eligible:,} eligible cases**. How many to check depends on the "
                "question the sample answers:")
    st.markdown("- **Discovery** asks whether a problem is there at all: the sample is big "
                "enough to find at least one failing case, with the confidence you choose, if "
                "at least a given share of cases fail. Use it after a concern, to see whether "
                "it recurs.\n"
                "- **Estimation** asks how common a problem is: the sample is big enough to "
                "estimate the share of failing cases to within a margin (plus or minus so "
                "many percentage points).")
    keys = {k: ds.key(f"size_{k}", plan.version) for k in
            ("method", "prevalence", "expected", "margin", "confidence")}
    method = st.radio("What the sample is for", list(METHODS), format_func=METHODS.__getitem__,
                      index=list(METHODS).index(str(p.get("method", "discovery"))),
                      key=keys["method"], disabled=not editable)
    a, b = st.columns(2)
    if method == "discovery":
        a.number_input("Smallest share of failing cases worth finding (%)", min_value=0.1,
                       max_value=100.0, step=1.0, format="%g",
                       value=float(100 * p.get("prevalence", dip_store.DEFAULT_PREVALENCE)),
                       key=keys["prevalence"], disabled=not editable,
                       help="If at least this share of eligible cases fail, the sample finds "
                            "at least one of them.")
    else:
        a.number_input("Share you expect to fail (%)", min_value=0.1, max_value=99.9,
                       step=5.0, format="%g",
                       value=float(100 * (p.get("expected_rate") or 0.5)),
                       key=keys["expected"], disabled=not editable,
                       help="50% if you do not know: it gives the largest, safest size.")
        a.number_input("How close the estimate must be (plus or minus, percentage points)",
                       min_value=0.5, max_value=50.0, step=1.0, format="%g",
                       value=float(100 * (p.get("margin") or dip_store.DEFAULT_MARGIN)),
                       key=keys["margin"], disabled=not editable)
    conf = float(p.get("confidence", 0.95))
    b.selectbox("How sure (confidence)", list(CONFIDENCE), format_func=CONFIDENCE.__getitem__,
                index=list(CONFIDENCE).index(conf) if conf in CONFIDENCE else 1,
                key=keys["confidence"], disabled=not editable)
    if editable:
        st.button("Work out the size", type="primary", key=ds.key("size_go"),
                  on_click=_plan_size, args=(keys,))
    ds.problem("size")
    if not plan.planning or eligible < 1:
        return
    try:
        worked = dip_store.size_of(plan, eligible)
    except SfoError as exc:
        st.warning(str(exc))
        return
    with st.container(border=True):
        c, d = st.columns([1, 3])
        c.metric("Cases to check", f"{worked.n:,}", help=f"of {eligible:,} eligible cases")
        d.markdown(ds.md(worked.statement()))
        if isinstance(worked, planning.DiscoveryPlan):
            d.markdown(
                f"In other words: if {ds.pct(worked.prevalence)} or more of the cases fail, "
                f"checking {worked.n} finds at least one in {ds.pct(worked.confidence)} of "
                f"samples. If none of the {worked.n} fails, you can say with "
                f"{ds.pct(worked.confidence)} confidence that fewer than "
                f"{worked.failing_assumed} of the {eligible:,} cases fail. It does not say how "
                "many fail: for that, use estimation.")
        else:
            d.markdown(
                f"In other words: with {worked.n} cases checked, the share failing will be "
                f"known to within {ds.pct(worked.margin)} either way in "
                f"{ds.pct(worked.confidence)} of samples (if the true share is near "
                f"{ds.pct(worked.expected_rate)}; nearer 0% or 100% it will be closer).")
    chosen = plan.design.get("n")
    if chosen and int(chosen) != worked.n:
        st.info(f"The sample size has been set to {int(chosen)} in the next step, not the "
                f"{worked.n} worked out here.")


# -- strata and allocation --------------------------------------------------------------------

def allocation_table(table: pd.DataFrame) -> pd.DataFrame:
    """The sample against the eligible caseload, one row per stratum, in words."""
    def margin(x: Any) -> str:
        value = float(x)
        return "no case sampled" if math.isinf(value) else "none (every case)" if value == 0 \
            else f"plus or minus {ds.pct(value, 0)}"

    return pd.DataFrame({
        "Stratum": table["stratum"].astype(str),
        "Eligible cases": table["population"].astype(int),
        "Share of eligible": [ds.pct(float(x)) for x in table["population_share"]],
        "Sampled": table["sample"].astype(int),
        "Share of sample": [ds.pct(float(x)) for x in table["sample_share"]],
        "Rough margin for the stratum alone": [margin(x) for x in table["margin_of_error"]],
    })


def _rates_from(keys: Mapping[str, str]) -> dict[str, float] | None:
    """The expected rate of each stratum (0 to 1) from the rates table and its edits; a
    stratum left empty is left out, so that the allocation names it."""
    base: list[tuple[str, float | None]] = st.session_state.get(keys["rates_base"]) or []
    edits = (st.session_state.get(keys.get("rates_table", "")) or {}).get("edited_rows") or {}
    percent = {label: value for label, value in base}
    for row, change in edits.items():
        if RATE in change and 0 <= int(row) < len(base):
            percent[base[int(row)][0]] = change[RATE]
    rates = {label: float(value) / 100 for label, value in percent.items()
             if value is not None and not pd.isna(value)}
    return rates or None


def _design_from(keys: Mapping[str, str], plan: PlanView) -> dict[str, Any]:
    get = st.session_state.get
    allocation = str(get(keys["allocation"]) or "proportional")
    return {"n": int(get(keys["n"]) or 0), "strata": list(get(keys["strata"]) or []),
            "allocation": allocation,
            "rates": _rates_from(keys) if allocation == "neyman" else None,
            "min_per_stratum": int(get(keys["min"]) or 0),
            "take_all_below": int(get(keys["take_all"]) or 0) or None,
            "per_practitioner_limit": int(get(keys["limit"]) or 0) or None
            if "staff_code" in plan.columns else None,
            "one_per_team": bool(get(keys["team"])) if "team_code" in plan.columns else False}


def _changed(design: Mapping[str, Any], plan: PlanView) -> bool:
    saved = plan.design
    return any((saved.get(k) or None) != (v or None) for k, v in design.items())


def _save_design(keys: Mapping[str, str]) -> PlanView | None:
    found = ds.plan()
    if found is None:
        return None
    design = _design_from(keys, found)
    if not _changed(design, found):
        return found
    result = ds.step("strata", lambda: dip_store.set_design(
        found.id, **design, expected_version=found.version, actor=session.user()),
        "Strata and allocation saved.")
    return result if isinstance(result, PlanView) else None


def _on_save(keys: Mapping[str, str]) -> None:
    _save_design(keys)


def _draw(keys: Mapping[str, str], seed_key: str, reason_key: str | None) -> None:
    found = _save_design(keys) if reason_key is None else ds.plan()
    if found is None:
        return
    seed = str(st.session_state.get(seed_key) or "")
    reason = str(st.session_state.get(reason_key) or "") if reason_key else ""
    done = ds.step("draw", lambda: dip_store.draw(
        found.id, expected_version=found.version, actor=session.user(), seed=seed,
        reason=reason), "Sample drawn.")
    if isinstance(done, DrawView):
        st.session_state.pop(ds.OPEN, None)


def strata(plan: PlanView, elig: eligibility.Eligibility, drawn: DrawView | None) -> None:
    """Strata and allocation with the sample against the eligible caseload, and the draw."""
    if drawn is not None:
        _drawn(plan, drawn)
        return
    d = plan.design
    columns = [c for c in plan.columns if c != "crn"]
    keys = {k: ds.key(f"design_{k}", plan.version) for k in
            ("strata", "allocation", "n", "min", "take_all", "limit", "team", "rates_base")}
    st.markdown("**Strata** split the eligible cases into groups (for example by PDU or "
                "tier), and each group gets its share of the sample, so that no group is "
                "missed by chance.")
    st.multiselect("Stratify by (columns)", columns,
                   default=[c for c in d.get("strata") or [] if c in columns],
                   key=keys["strata"], placeholder="No strata: one simple random sample")
    a, b = st.columns(2)
    a.radio("How to share the sample between strata", list(SHARING),
            format_func=SHARING.__getitem__,
            index=list(SHARING).index(str(d.get("allocation") or "proportional"))
            if str(d.get("allocation") or "proportional") in SHARING else 0,
            key=keys["allocation"])
    suggested = int(d.get("n") or 0)
    if not suggested and len(elig.eligible):
        try:
            suggested = dip_store.size_of(plan, len(elig.eligible)).n
        except SfoError:
            suggested = 1
    b.number_input("Sample size (cases)", min_value=1, max_value=max(1, len(elig.eligible)),
                   value=min(suggested, max(1, len(elig.eligible))), step=1, key=keys["n"],
                   help="Worked out in step 3; change it here if you need to.")
    c, e = st.columns(2)
    c.number_input(MIN_LABEL, min_value=0,
                   value=int(d.get("min_per_stratum") or 0), step=1, key=keys["min"])
    e.number_input(TAKE_ALL_LABEL, min_value=0, value=int(d.get("take_all_below") or 0), step=1,
                   key=keys["take_all"])
    f, g = st.columns(2)
    if "staff_code" in plan.columns:
        f.number_input("At most this many cases of one practitioner (0: no limit)",
                       min_value=0, value=int(d.get("per_practitioner_limit") or 0), step=1,
                       key=keys["limit"])
    if "team_code" in plan.columns:
        g.checkbox("At least one case from every team", value=bool(d.get("one_per_team")),
                   key=keys["team"])
    if st.session_state.get(keys["allocation"]) == "neyman":
        _rates_table(plan, elig, keys)
    design = _design_from(keys, plan)
    trial = replace(plan, content={**plan.content, "design": design})
    try:
        shared: Allocation | None = dip_store.allocation_of(trial, elig.eligible)
    except SfoError as exc:
        st.warning(str(exc))
        shared = None
    if shared is not None:
        st.markdown(f"**The sample against the eligible caseload**: {shared.n} of "
                    f"{len(elig.eligible):,} cases.")
        st.dataframe(allocation_table(shared.as_table()), hide_index=True, width="stretch",
                     key="sfo_dip_allocation")
        if shared.warnings:
            st.warning(_warnings(shared.warnings))
    if _changed(design, plan):
        st.caption("These choices are not saved yet: they are saved when you save them or "
                   "draw the sample.")
    st.button("Save the strata and allocation", key=ds.key("design_save"),
              on_click=_on_save, args=(keys,))
    ds.problem("strata")
    st.divider()
    st.subheader("Draw the sample")
    st.markdown("Cases are chosen by a **seed**: a long random number made when you draw. "
                "Within each stratum the cases are put in an order fixed by the seed and the "
                "CRN, and the first ones are taken; the rest, in the same order, are the "
                "stratum's reserve list. Anyone with the frame and the seed can repeat the "
                "draw and get the same cases, and every draw is kept in a log that cannot be "
                "changed unseen.")
    seed_key = ds.key("seed", plan.version)
    st.text_input("Seed (leave empty for a new one)", key=seed_key,
                  help="Only to repeat a draw made elsewhere, for example with `sfo dip draw`: "
                       "give its seed (0x... or a whole number).")
    st.button("Draw the sample", type="primary", key=ds.key("draw_go"), on_click=_draw,
              args=(keys, seed_key, None))
    ds.problem("draw")


def _rates_table(plan: PlanView, elig: eligibility.Eligibility,
                 keys: dict[str, str]) -> None:
    """The expected failure rate of each stratum, which Neyman allocation shares by."""
    chosen = list(st.session_state.get(keys["strata"]) or [])
    try:
        sizes = dip_store.strata_sizes(plan, elig.eligible, chosen)
    except SfoError as exc:
        st.warning(str(exc))
        return
    saved = plan.design.get("rates") or {}
    base = [(label, round(100 * float(saved[label]), 4) if label in saved else None)
            for label in sizes]
    st.session_state[keys["rates_base"]] = base
    keys["rates_table"] = ds.key("design_rates", plan.version, tuple(sizes),
                                 tuple(sorted(saved.items())))
    st.markdown("**Neyman allocation** takes more cases from strata whose results are "
                "expected to vary most: a stratum expected to fail about half the time "
                "needs more cases than one expected almost always to pass (or almost always "
                "to fail). Give each stratum the share of cases you expect to fail, for "
                "example from an earlier sample; the same share everywhere gives the same "
                "as sharing in proportion to size.")
    table = pd.DataFrame({"Eligible cases": list(sizes.values()),
                          RATE: [value for _, value in base]},
                         index=pd.Index(list(sizes), name="Stratum"))
    st.data_editor(table, key=keys["rates_table"], num_rows="fixed", width="stretch",
                   column_config={
                       "_index": st.column_config.TextColumn("Stratum", disabled=True),
                       "Eligible cases": st.column_config.NumberColumn(disabled=True),
                       RATE: st.column_config.NumberColumn(
                           RATE, min_value=0.0, max_value=100.0, step=1.0, format="%g%%",
                           help="The share of this stratum's cases you expect to fail the "
                                "checklist, from 0 to 100.")})


def _drawn(plan: PlanView, drawn: DrawView) -> None:
    r = drawn.record
    st.success(f"{len(drawn.crns)} cases were drawn by {ds.md(r.get('drawn_by') or 'someone')} "
               f"at {ds.moment(_when(r.get('drawn_at')))}.")
    st.markdown("**Seed** (with the frame, it repeats the draw exactly):")
    st.code(drawn.seed, language=None)
    strata_cols = r["sampler"].get("strata") or []
    how = SHARED.get(r["sampler"].get("allocation"), "")
    st.markdown(f"Stratified by {', '.join(strata_cols) or 'nothing (one stratum)'}"
                f"{', ' + how if strata_cols and how else ''}. Eligible cases: "
                f"{r['eligible']['rows']:,} (fingerprint {r['eligible']['fingerprint'][:16]}...).")
    rates = r["sampler"].get("rates") if r["sampler"].get("allocation") == "neyman" else None
    if rates:
        st.markdown("Expected to fail, by stratum: " + "; ".join(
            f"{ds.md(label)} {ds.pct(float(rate))}" for label, rate in rates.items()) + ".")
    st.dataframe(allocation_table(pd.DataFrame(r["allocation"])), hide_index=True,
                 width="stretch", key="sfo_dip_drawn_allocation")
    if r.get("warnings"):
        st.warning(_warnings(r["warnings"]))
    with st.expander("Draw again (a redraw)"):
        st.markdown("A redraw takes a new seed with the same settings. It is kept in the "
                    "selection log and named in the report beside this draw, so a sample "
                    "cannot be drawn again quietly until it gives a preferred answer. Answers "
                    "already recorded stay with this draw and do not count for the new one.")
        reason_key = ds.key("redraw_reason", drawn.id)
        st.text_area("Why the sample must be drawn again", key=reason_key, height=80)
        st.button("Draw again", key=ds.key("redraw_go", drawn.id), on_click=_draw,
                  args=({}, ds.key("redraw_seed", drawn.id), reason_key))
        ds.problem("draw")


def _when(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None
