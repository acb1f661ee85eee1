"""Rendering the dip-sample report as a Word document and an HTML page.

The words and figures come from :class:`ReportModel`, built by the service;
this module only lays them out. The HTML is rendered from an editable jinja2
template in a sandbox (autoescaped, no access to Python internals); the Word
document is written with python-docx using Word's built-in styles, so an
organisation's own styles apply when the document is opened from its template.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from dipsample.evaluation import Evaluation, QuestionResult
from dipsample.hashing import format_seed

TEMPLATES = Path(__file__).resolve().parent / "templates"

NOT_A_VERDICT = (
    "A dip sample looks at records, not at people. Sampling a practitioner's work after a "
    "concern has been raised is not a finding about them: the results below must be read "
    "with the working context of the practitioners (workload, training, supervision and "
    "experience), and 'no case to answer' remains open.")


@dataclass(frozen=True)
class ReportModel:
    """Everything the dip-sample report says, ready to lay out."""

    title: str
    purpose: str
    generated: date
    frame_name: str
    frame_rows: int
    frame_fingerprint: str
    eligible_rows: int
    eligible_fingerprint: str
    reference_date: date
    exclusions: tuple[tuple[str, int], ...]
    seed: int
    method: str
    allocation_method: str
    strata_columns: tuple[str, ...]
    sample_size: int
    drawn_by: str
    drawn_at: str
    allocation: tuple[tuple[str, int, int], ...]   # stratum, population, sample
    substitutions: tuple[tuple[str, str, str, str], ...]  # crn, reason, replaced by, note
    evaluation: Evaluation
    population_total: int
    confidence: float
    practitioners: Sequence[Any]
    context_note: str
    warnings: tuple[str, ...]

    @property
    def conf(self) -> str:
        """The confidence level as people write it ("95%")."""
        return f"{100 * self.confidence:g}%"

    def method_statement(self) -> tuple[str, ...]:
        """The method, in the style of an inspection report's methodology annex."""
        strat = (f"stratified by {', '.join(self.strata_columns)} "
                 f"({len(self.allocation)} strata, {self.allocation_method} allocation)"
                 if self.strata_columns else "a simple random sample (one stratum)")
        how = ("Within each stratum, cases were put in order by a keyed hash (SipHash-2-4) of "
               f"the case reference (CRN), keyed by the seed {format_seed(self.seed)}; the "
               "first cases in that order were selected and the rest form the stratum's "
               "ordered reserve list.") if self.method == "random" else (
               "Within each stratum, cases were sorted and every k-th case taken from a "
               f"starting point derived from the seed {format_seed(self.seed)}.")
        return (
            f"The sampling frame was {self.frame_name}: {self.frame_rows:,} cases. After the "
            f"exclusions listed above (applied as at {self.reference_date:%-d %B %Y}), "
            f"{self.eligible_rows:,} cases were eligible.",
            f"A sample of {self.sample_size:,} cases was drawn"
            f"{' by ' + self.drawn_by if self.drawn_by else ''}"
            f"{' on ' + self.drawn_at[:10] if self.drawn_at else ''}: {strat}.",
            how,
            "Anyone can repeat the draw from the same frame and seed and get the same cases, "
            "whatever order the frame's rows are in. Every draw and substitution is recorded "
            "in a hash-chained selection log, so a redraw cannot be hidden.",
            "A case found ineligible was replaced by the next reserve case of its stratum. A "
            "case that could not be assessed (records missing) was not replaced: it counts "
            "as not meeting the standard.",
            "Answers of 'no', 'partly' and 'unable to assess' count as not meeting the "
            "standard; 'not applicable' is left out of the count.",
            f"Intervals are {self.conf} exact (Clopper-Pearson) intervals, with Wilson "
            "intervals beside them; the upper limit is one-sided. Where the sample was "
            "stratified, the estimate for the whole eligible caseload weights each stratum by "
            "its share of the caseload, with the finite population correction.",
        )

    def limitations(self) -> tuple[str, ...]:
        """What the reader must keep in mind."""
        out = [
            "The audit judges what the case records show. Work done but not recorded cannot "
            "be seen, and the records are read with hindsight: each judgement should rest on "
            "what was known at the time.",
            f"The intervals describe the eligible caseload of {self.eligible_rows:,} cases "
            "only, not cases that were excluded.",
        ]
        not_assessed = {q: c for q, c in self.evaluation.not_assessed.items() if c}
        if not_assessed:
            n = sum(len(c) for c in not_assessed.values())
            out.append(f"{n} answers are missing (sampled cases not yet assessed on some "
                       "questions); they are not counted as failures, so the figures could "
                       "change when they are done.")
        if self.substitutions:
            out.append(f"{len(self.substitutions)} sampled cases were ineligible and "
                       "replaced from the reserve list (listed above).")
        if len(self.allocation) > 1:
            out.append("Figures for a single stratum rest on few cases and are rough; the "
                       "figure for the whole caseload is the one to rely on.")
        return tuple(out)

    def stratum_label(self, label: str) -> str:
        """A stratum as shown: without the column name when there is one stratifier."""
        if len(self.strata_columns) == 1:
            prefix = f"{self.strata_columns[0]}="
            return label[len(prefix):] if label.startswith(prefix) else label
        return label

    @property
    def stratum_heading(self) -> str:
        """The stratum column's heading in tables."""
        if len(self.strata_columns) == 1:
            return f"Stratum ({self.strata_columns[0]})"
        return "Stratum"

    def notes(self) -> tuple[str, ...]:
        """Warnings from the draw and evaluation, each said once.

        The same warning about several questions ("Q1: ...", "Q2: ...") is
        said once, naming them; agreement warnings are under agreement.
        """
        agreement = {a.warning for a in self.evaluation.agreement if a.warning}
        grouped: dict[str, list[str]] = {}
        for w in self.warnings:
            if w in agreement:
                continue
            head, sep, rest = w.partition(": ")
            if sep and head in {q.question_id for q in self.questions()}:
                grouped.setdefault(rest, []).append(head)
            else:
                grouped.setdefault(w, [])
        return tuple(f"{', '.join(qs)}: {text}" if qs else text
                     for text, qs in grouped.items())

    def questions(self) -> tuple[QuestionResult, ...]:
        """The questions' results, in order."""
        return tuple(self.evaluation.questions)


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.1f}%"


def chart_png(model: ReportModel) -> bytes:
    """A bar chart of the failure rate per question with its exact interval (PNG)."""
    import matplotlib

    matplotlib.use("Agg")  # no screen: draw to memory
    import matplotlib.pyplot as plt

    qs = model.questions()
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * max(len(qs), 2) + 1.2), dpi=150)
    labels = [q.question_id for q in qs][::-1]
    rates = [100 * q.proportion for q in qs][::-1]
    lo = [100 * (q.proportion - q.exact[0]) for q in qs][::-1]
    hi = [100 * (q.exact[1] - q.proportion) for q in qs][::-1]
    ax.barh(labels, rates, color="#1d70b8", xerr=[lo, hi], capsize=3,
            error_kw={"ecolor": "#0b0c0c", "lw": 1})
    ax.set_xlim(0, 100)
    ax.set_xlabel(f"Cases not meeting the standard (%), with {model.conf} exact interval")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _rows(model: ReportModel) -> dict[str, list[list[str]]]:
    """The report's tables as text cells (shared by Word and HTML)."""
    flow = [["Cases in the frame", f"{model.frame_rows:,}"]]
    flow += [[f"Excluded: {reason}", f"{count:,}"] for reason, count in model.exclusions]
    flow.append(["Eligible cases", f"{model.eligible_rows:,}"])
    total_pop = sum(p for _, p, _ in model.allocation) or 1
    total_n = sum(n for _, _, n in model.allocation) or 1
    alloc = [[model.stratum_label(s), f"{p:,}", _pct(p / total_pop), f"{n:,}",
              _pct(n / total_n)] for s, p, n in model.allocation]
    results = [[q.question_id, f"{q.assessed}", f"{q.failing}", _pct(q.proportion),
                f"{_pct(q.exact[0])} to {_pct(q.exact[1])}",
                f"{_pct(q.wilson[0])} to {_pct(q.wilson[1])}", _pct(q.upper_bound)]
               for q in model.questions()]
    strata = [[q.question_id, model.stratum_label(s.stratum), f"{s.assessed}", f"{s.failing}",
               _pct(s.proportion), f"{_pct(s.exact[0])} to {_pct(s.exact[1])}"]
              for q in model.questions() if len(q.per_stratum) > 1 for s in q.per_stratum]
    agreement = [[a.question_id or "All questions", f"{a.pairs}",
                  _pct(a.percent_agreement) if a.pairs else "",
                  "" if not a.pairs or a.kappa != a.kappa else f"{a.kappa:.2f}"]
                 for a in model.evaluation.agreement if a.pairs]
    subs = [[crn, reason, by, note] for crn, reason, by, note in model.substitutions]
    return {"flow": flow, "allocation": alloc, "results": results, "strata": strata,
            "agreement": agreement, "substitutions": subs}


def headers(model: ReportModel) -> dict[str, list[str]]:
    """The tables' column headings."""
    return {
        "allocation": [model.stratum_heading, "Eligible cases", "Share", "Sampled", "Share"],
        "results": ["Question", "Checked", "Not met", "Rate", "Exact interval",
                    "Wilson interval", "Upper limit"],
        "strata": ["Question", model.stratum_heading, "Checked", "Not met", "Rate",
                   "Exact interval"],
        "agreement": HEADERS["agreement"],
        "substitutions": HEADERS["substitutions"],
    }


HEADERS = {
    "agreement": ["Question", "Cases reviewed twice", "Agreement", "Cohen's kappa"],
    "substitutions": ["Case", "Reason", "Replaced by", "Note"],
}


def write_docx(model: ReportModel, path: Path) -> None:
    """Write the report as a Word document."""
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    doc.core_properties.title = model.title
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(11)
    doc.add_heading(model.title, level=0)
    doc.add_paragraph(f"Generated {model.generated:%-d %B %Y}. Eligible caseload "
                      f"{model.eligible_rows:,} cases; {model.sample_size:,} sampled.")
    note = doc.add_paragraph()
    note.add_run("Please read first. ").bold = True
    note.add_run(NOT_A_VERDICT)
    rows = _rows(model)

    heads = headers(model)

    def table(key: str, cells: list[list[str]], head: list[str] | None = None) -> None:
        head = head or heads[key]
        t = doc.add_table(rows=1, cols=len(head))
        t.style = "Table Grid"
        for i, h in enumerate(head):
            t.rows[0].cells[i].text = h
        for line in cells:
            row = t.add_row().cells
            for i, value in enumerate(line):
                row[i].text = value
        for n, tr in enumerate(t.rows):
            for cell in tr.cells:
                for par in cell.paragraphs:
                    for r in par.runs:
                        r.font.size = Pt(9)  # tables of figures fit the page at 9pt
                        r.bold = n == 0

    doc.add_heading("Purpose", level=1)
    doc.add_paragraph(model.purpose or "No purpose was recorded for this sample.")
    doc.add_heading("The caseload and exclusions", level=1)
    table("flow", rows["flow"], ["Step", "Cases"])
    doc.add_paragraph(f"Frame fingerprint (SHA-256): {model.frame_fingerprint}. Eligible "
                      f"frame fingerprint: {model.eligible_fingerprint}.")
    doc.add_heading("Method", level=1)
    for para in model.method_statement():
        doc.add_paragraph(para)
    doc.add_heading("The sample compared with the eligible caseload", level=1)
    table("allocation", rows["allocation"])
    if rows["substitutions"]:
        doc.add_heading("Cases replaced", level=2)
        table("substitutions", rows["substitutions"])
    doc.add_heading("Results", level=1)
    for q in model.questions():
        doc.add_paragraph(f"{q.question_id}: {q.statement(model.population_total)}")
    table("results", rows["results"])
    doc.add_paragraph()
    doc.add_picture(io.BytesIO(chart_png(model)), width=Cm(16))
    if rows["strata"]:
        doc.add_heading("Results by stratum", level=2)
        table("strata", rows["strata"])
    doc.add_heading("Agreement between reviewers", level=1)
    if rows["agreement"]:
        table("agreement", rows["agreement"])
    else:
        doc.add_paragraph("No case was reviewed twice, so agreement between reviewers is not "
                          "known. A second review of a random tenth of the sample is "
                          "recommended (sfo dip second-review).")
    for a in model.evaluation.agreement:
        if a.warning:
            doc.add_paragraph(a.warning)
    doc.add_heading("Working context of the practitioners whose work was sampled", level=1)
    doc.add_paragraph(model.context_note)
    for p in model.practitioners:
        item = doc.add_paragraph(style="List Bullet")
        item.add_run(f"{p.staff_code} ({p.cases} case{'s' if p.cases != 1 else ''} sampled). ")
        item.add_run(" ".join(p.context))
    doc.add_heading("Limitations", level=1)
    for line in model.limitations():
        doc.add_paragraph(line, style="List Bullet")
    if model.notes():
        doc.add_heading("Notes from the draw and evaluation", level=2)
        for w in model.notes():
            doc.add_paragraph(w, style="List Bullet")
    tmp = path.with_name(path.name + ".part")
    doc.save(str(tmp))
    tmp.replace(path)


def write_html(model: ReportModel, path: Path) -> None:
    """Write the report as a self-contained HTML page (sandboxed, autoescaped template)."""
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=True,
                               undefined=StrictUndefined)
    page = env.get_template("dip_report.html.j2").render(
        m=model, rows=_rows(model), headers=headers(model), not_a_verdict=NOT_A_VERDICT,
        chart=base64.b64encode(chart_png(model)).decode("ascii"),
        statements=[(q.question_id, q.statement(model.population_total))
                    for q in model.questions()])
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(page, "utf-8")
    tmp.replace(path)
