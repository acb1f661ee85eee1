"""Steps 7, 8 (agreement) and 9: what the answers say, in words and a chart, and the report."""

from __future__ import annotations

import math

import altair as alt
import pandas as pd
import streamlit as st

from dipsample.evaluation import Agreement, QuestionResult
from sfo.services import dip_store
from sfo.services.dip_store import DrawView, Evaluated
from ui.components import dip_session as ds
from ui.components import preview, session

CONFIDENCE = {0.9: "90%", 0.95: "95%", 0.99: "99%"}
CONFIDENCE_KEY = "sfo_dip_confidence"
REPORT = "sfo_dip_report"   # (draw id, draw version, answers, confidence, {fmt: bytes})
WORD = dip_store.WORD


def evaluated(drawn: DrawView) -> Evaluated:
    """The draw's answers evaluated at the confidence chosen on the page."""
    confidence = float(st.session_state.get(CONFIDENCE_KEY + "_kept") or 0.95)
    return dip_store.evaluate(drawn.id, actor=session.user(), confidence=confidence)


def chart(found: Evaluated) -> alt.LayerChart | alt.FacetChart | None:
    """Each question's rate not meeting the standard with its interval (and the weighted one)."""
    rows = []
    texts = dict(found.questions)
    checked, weighted = "Cases checked, exact interval", "Whole caseload, weighted by stratum"
    for q in found.evaluation.questions:
        rows.append({"question": q.question_id, "text": texts.get(q.question_id, ""),
                     "estimate": checked, "rate": 100 * q.proportion,
                     "low": 100 * q.exact[0], "high": 100 * q.exact[1],
                     "words": f"{q.failing} of {q.assessed} checked"})
        s = q.stratified
        if s is not None and s.standard_error > 0:
            rows.append({"question": q.question_id, "text": texts.get(q.question_id, ""),
                         "estimate": weighted, "rate": 100 * s.proportion,
                         "low": 100 * s.low, "high": 100 * s.high,
                         "words": f"covers {ds.pct(s.covered_share)} of eligible cases"})
    if not rows:
        return None
    data = pd.DataFrame(rows)
    conf = ds.pct(found.evaluation.confidence)
    title = f"Cases not meeting the standard (%), with {conf} intervals"
    scale = alt.Scale(domain=[0, 100])
    y = alt.Y("question:N", title=None, sort=None)
    colour = alt.Color("estimate:N", title=None, scale=alt.Scale(
        domain=[checked, weighted], range=["#1d70b8", "#d4351c"]),
        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400))
    tooltip = [alt.Tooltip("question:N", title="Question"), alt.Tooltip("text:N", title=" "),
               alt.Tooltip("estimate:N", title="Figure"),
               alt.Tooltip("rate:Q", title="Rate (%)", format=".1f"),
               alt.Tooltip("low:Q", title="From (%)", format=".1f"),
               alt.Tooltip("high:Q", title="To (%)", format=".1f"),
               alt.Tooltip("words:N", title="Based on")]
    base = alt.Chart(data).encode(y=y, yOffset=alt.YOffset("estimate:N", sort=[checked,
                                                                                weighted]),
                                  color=colour, tooltip=tooltip)
    bars = base.mark_rule(strokeWidth=3).encode(x=alt.X("low:Q", title=title, scale=scale),
                                               x2="high:Q")
    points = base.mark_point(filled=True, size=90, opacity=1).encode(
        x=alt.X("rate:Q", title=title, scale=scale),
        shape=alt.Shape("estimate:N", legend=None, scale=alt.Scale(
            domain=[checked, weighted], range=["circle", "diamond"])))
    height = max(140, 70 * len(found.evaluation.questions))
    return alt.layer(bars, points).properties(height=height)


def _figures(q: QuestionResult) -> pd.DataFrame:
    conf = ds.pct(q.confidence)
    rows = [{"Figure": f"Cases checked: {q.failing} of {q.assessed} did not meet it",
             "Rate": ds.pct(q.proportion),
             f"{conf} interval": f"{ds.pct(q.exact[0])} to {ds.pct(q.exact[1])}",
             "Method": "exact"},
            {"Figure": "", "Rate": "",
             f"{conf} interval": f"{ds.pct(q.wilson[0])} to {ds.pct(q.wilson[1])}",
             "Method": "Wilson"},
            {"Figure": "Upper limit", "Rate": "",
             f"{conf} interval": f"at most {ds.pct(q.upper_bound)}",
             "Method": "one-sided, exact"}]
    s = q.stratified
    if s is not None:
        rows.append({"Figure": "Whole eligible caseload, weighted by stratum",
                     "Rate": ds.pct(s.proportion),
                     f"{conf} interval": f"{ds.pct(s.low)} to {ds.pct(s.high)}",
                     "Method": "weighted normal"})
    return pd.DataFrame(rows)


def evaluation(drawn: DrawView) -> None:
    """Per question: the result in words, the figures, the chart; what is still to do."""
    st.selectbox("How sure (confidence)", list(CONFIDENCE), format_func=CONFIDENCE.__getitem__,
                 key=ds.remembered(CONFIDENCE_KEY, 0.95), on_change=ds.remember,
                 args=(CONFIDENCE_KEY,))
    found = evaluated(drawn)
    ev = found.evaluation
    if not ev.questions:
        st.info("No answers yet: record them in step 6, then the figures appear here.")
        for w in found.warnings:
            st.caption(w)
        return
    st.markdown(f"What the {found.answers} answers say about the **{found.population_total:,} "
                "eligible cases**. A rate is the share of checked cases that did not meet the "
                "standard (no, partly or unable to assess); the interval is where the true "
                "share for all eligible cases lies, with the confidence chosen.")
    drawn_chart = chart(found)
    if drawn_chart is not None:
        st.altair_chart(drawn_chart, width="stretch", key="sfo_dip_chart")
        st.caption("Each line is a question's interval and each mark its rate: blue for the "
                   "cases checked, red (diamonds) for the whole caseload with each stratum "
                   "weighted by its share. The tables under each question give the same "
                   "figures. Exact intervals are Clopper-Pearson; the weighted ones are normal "
                   "intervals with the finite population correction.")
    texts = dict(found.questions)
    for q in ev.questions:
        with st.container(border=True):
            st.markdown(f"**{ds.md(q.question_id)}**: {ds.md(texts.get(q.question_id, ''))}")
            st.markdown(ds.md(q.statement(found.population_total)))
            st.dataframe(_figures(q), hide_index=True, width="stretch",
                         key=f"sfo_dip_figures_{q.question_id}")
            if len(q.per_stratum) > 1:
                with st.expander("By stratum (rough: few cases each)"):
                    st.dataframe(pd.DataFrame([{
                        "Stratum": s.stratum, "Eligible": s.population, "Checked": s.assessed,
                        "Not met": s.failing, "Rate": ds.pct(s.proportion),
                        "Exact interval": f"{ds.pct(s.exact[0])} to {ds.pct(s.exact[1])}"}
                        for s in q.per_stratum]), hide_index=True, width="stretch",
                        key=f"sfo_dip_strata_{q.question_id}")
    agreement_note = {a.warning for a in ev.agreement if a.warning}
    for w in found.warnings:
        if w not in agreement_note:
            st.warning(w)
    st.info("A dip sample looks at records, not at people. These figures say how often the "
            "records met the standard; read them with the working context of the "
            "practitioners (workload, training, supervision, experience), which the report "
            "sets out. They are not a finding about any practitioner.")


def _strength(kappa: float) -> str:
    if math.isnan(kappa):
        return "cannot be worked out (both gave one answer throughout)"
    if kappa < 0:
        return "poor (worse than chance)"
    for limit, word in ((0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial")):
        if kappa <= limit:
            return word
    return "almost perfect"


def agreement(drawn: DrawView) -> None:
    """How far the second reviewer agreed with the first, in words."""
    found = evaluated(drawn)
    pairs: tuple[Agreement, ...] = tuple(a for a in found.evaluation.agreement if a.pairs)
    st.subheader("Agreement")
    if not pairs:
        st.info("No case has been answered by two reviewers yet.")
        return
    st.dataframe(pd.DataFrame([{
        "Question": a.question_id or "All questions", "Answered twice": a.pairs,
        "Same answer": ds.pct(a.percent_agreement),
        "Cohen's kappa": "" if math.isnan(a.kappa) else f"{a.kappa:.2f}",
        "Agreement": _strength(a.kappa)} for a in pairs]), hide_index=True, width="stretch",
        key="sfo_dip_agreement")
    st.caption("Cohen's kappa is 1 when the reviewers always agree and 0 when they agree no "
               "more than chance would; from 0.6 agreement is usually taken as good enough.")
    notes = [a.warning for a in pairs if a.warning]
    if notes:
        st.warning("\n".join(f"- {ds.md(w)}" for w in notes))


def _make(drawn: DrawView, answers: int, confidence: float) -> None:
    user = session.user()
    made: dict[str, bytes] = {}

    def both() -> dict[str, bytes]:
        return {fmt: dip_store.report(drawn.id, fmt, actor=user, confidence=confidence)
                for fmt in ("docx", "html")}

    found = ds.step("report", both, "Report made.")
    if found is None:
        return
    made.update(found)
    st.session_state[REPORT] = (drawn.id, drawn.version, answers, confidence, made)


def report(drawn: DrawView) -> None:
    """Make the report (Word and HTML) and download it."""
    found = evaluated(drawn)
    confidence = found.evaluation.confidence
    st.markdown("The report sets out the purpose, the frame and exclusions, the method (with "
                "the seed), the sample against the eligible caseload, the cases replaced, the "
                "results with their intervals and a chart, agreement between reviewers, the "
                "**working context of the practitioners** whose cases were sampled, and the "
                "limitations.")
    st.markdown(f"It records the seed **{drawn.seed}** and {found.answers} answers, at "
                f"{ds.pct(confidence)} confidence.")
    kept = st.session_state.get(REPORT)
    fresh = (kept is not None and kept[0] == drawn.id and kept[1] == drawn.version
             and kept[2] == found.answers and kept[3] == confidence)
    if not fresh:
        if kept is not None and kept[0] == drawn.id:
            st.info("Answers or the sample have changed since the report was made: make it "
                    "again to include them.")
        st.button("Make the report", type="primary", key="sfo_dip_make_report",
                  on_click=_make, args=(drawn, found.answers, confidence))
        ds.problem("report")
        return
    assert kept is not None
    made = kept[4]
    a, b, _ = st.columns([1, 1, 1])
    a.download_button("Download the report (Word)", data=made["docx"],
                      file_name=f"dip-sample-{drawn.plan_id}-report.docx", mime=WORD,
                      on_click="ignore", key="sfo_dip_report_docx", icon=":material/download:")
    b.download_button("Download the report (HTML)", data=made["html"],
                      file_name=f"dip-sample-{drawn.plan_id}-report.html", mime="text/html",
                      on_click="ignore", key="sfo_dip_report_html", icon=":material/download:")
    with st.expander("Read the report here"):
        preview.document(made["html"], height=700, alt="Preview of the dip-sample report")
