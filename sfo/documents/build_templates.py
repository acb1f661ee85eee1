"""Writing the shipped Word templates (early look, SFO review, family summary) with python-docx.

Run ``python -m sfo.documents.build_templates`` after changing this file and
check in the .docx it writes (a test fails while the two differ). The .docx is
an ordinary Word document with docxtpl tags in it, so an organisation can
copy it, edit it in Word and point ``SFO_TEMPLATE_DIR`` at its copy (see
docs/templates.md); this script is only how the shipped one is made.

Layout: A4, Arial, Word's built-in Title/Heading/List Bullet styles (so a
house style applies), tables that repeat their heading row on each page, and
tag paragraphs (``{%p ... %}``) and tag rows (``{%tr ... %}``) in small grey
text: they disappear when the document is rendered.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

OUT = Path(__file__).resolve().parent / "templates" / "early_look.docx"

BLACK = RGBColor(0x0B, 0x0C, 0x0C)
GREY = RGBColor(0x50, 0x5A, 0x5F)
WIDTH_CM = 17.0  # A4 less 2 cm margins

# A paragraph in a cell: text, or runs of (text, "b" for bold / "s" for small grey / "").
Para = str | Sequence[tuple[str, str]]
# A table cell: one Para, or a list of them (Any: the nesting is beyond mypy's inference).
Cell = Any


def _no_theme_fonts(rpr: Any) -> None:
    """Set Arial outright: theme font attributes would win over it in Word."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), "Arial")


def _styles(doc: Any) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _no_theme_fonts(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-GB")
    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    normal.font.color.rgb = BLACK
    normal.paragraph_format.space_after = Pt(6)
    for name, size, before in (("Title", 24, 0), ("Heading 1", 16, 18), ("Heading 2", 13, 12)):
        style = doc.styles[name]
        _no_theme_fonts(style.element.get_or_add_rPr())
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = BLACK
        style.paragraph_format.space_before = Pt(before)
        style.paragraph_format.space_after = Pt(6)
        ppr = style.element.get_or_add_pPr()
        border = ppr.find(qn("w:pBdr"))
        if border is not None:  # the default Title's blue rule
            ppr.remove(border)
    doc.styles["List Bullet"].paragraph_format.space_after = Pt(2)


def _box(paragraph: Any, colour: str, *, fill: str, left_only: bool = False,
         size: int = 12) -> None:
    """A coloured border (and shading) around a paragraph: the banners."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        on = side == "left" or not left_only
        edge.set(qn("w:val"), "single" if on else "nil")
        edge.set(qn("w:sz"), str(size * 2 if side == "left" else size))
        edge.set(qn("w:space"), "6")
        edge.set(qn("w:color"), colour)
        borders.append(edge)
    ppr.append(borders)
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    ppr.append(shading)


def _runs(paragraph: Any, content: Para, size: float | None = None) -> Any:
    runs = [(content, "")] if isinstance(content, str) else content
    for text, fmt in runs:
        run = paragraph.add_run(text)
        run.bold = "b" in fmt or None
        if "s" in fmt:
            run.font.size = Pt(8.5)
            run.font.color.rgb = GREY
        elif size:
            run.font.size = Pt(size)
    return paragraph


def tag(container: Any, text: str) -> Any:
    """A paragraph holding only a docxtpl paragraph tag; it is removed when rendered."""
    paragraph = container.add_paragraph()
    paragraph.paragraph_format.space_after = Pt(0)
    return _runs(paragraph, [(text, "s")])


def para(container: Any, content: Para, style: str | None = None) -> Any:
    """A paragraph of text and tags."""
    return _runs(container.add_paragraph(style=style), content)


def intro(container: Any, content: Para) -> Any:
    """A paragraph kept on the same page as what follows it (a table, a list)."""
    paragraph = para(container, content)
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def _cell_width(cell: Any, cm: float) -> None:
    cell.width = Cm(cm)


def _shade(cell: Any, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _paras(content: Cell) -> list[Any]:
    """A cell's paragraphs: a cell is one paragraph (text or runs) or a list of them."""
    if isinstance(content, str) or (content and isinstance(content[0], tuple)):
        return [content]
    return list(content)


def _fill_cell(cell: Any, content: Cell) -> None:
    for i, runs in enumerate(_paras(content)):
        paragraph = cell.paragraphs[0] if i == 0 else cell.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(2)
        _runs(paragraph, runs, size=9.5)


def only_if(test: str, *paragraphs: Para) -> list[Para]:
    """Paragraphs of a cell shown only when ``test`` holds (no empty line otherwise)."""
    return [[(f"{{%p if {test} %}}", "s")], *paragraphs, [("{%p endif %}", "s")]]


def table(doc: Any, widths: Sequence[float], head: Sequence[str] | None,
          loop: str | None, cells: Sequence[Sequence[Cell]]) -> Any:
    """A table with a heading row and, with ``loop`` ("q in checklist"), one row per item."""
    assert abs(sum(widths) - WIDTH_CM) < 0.01, widths
    rows = (1 if head else 0) + (3 if loop else len(cells))
    t = doc.add_table(rows=rows, cols=len(widths))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    t.autofit = False
    grid = t._tbl.tblGrid
    for col, cm in zip(grid.findall(qn("w:gridCol")), widths, strict=True):
        col.set(qn("w:w"), str(int(Cm(cm).twips)))
    for row in t.rows:
        for cell, cm in zip(row.cells, widths, strict=True):
            _cell_width(cell, cm)
    n = 0
    if head:
        header = t.rows[0]
        trpr = header._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        trpr.append(repeat)  # repeated at the top of each page
        for cell, text in zip(header.cells, head, strict=True):
            _shade(cell, "F3F2F1")
            _fill_cell(cell, [[(text, "b")]])
            cell.paragraphs[0].paragraph_format.keep_with_next = True
        n = 1
    if loop:
        _fill_cell(t.rows[n].cells[0], [[(f"{{%tr for {loop} %}}", "s")]])
        _keep_together(t.rows[n + 1])
        for cell, content in zip(t.rows[n + 1].cells, cells[0], strict=True):
            _fill_cell(cell, content)
        _fill_cell(t.rows[n + 2].cells[0], [[("{%tr endfor %}", "s")]])
    else:
        for row, line in zip(t.rows[n:], cells, strict=True):
            _keep_together(row)
            for cell, content in zip(row.cells, line, strict=True):
                _fill_cell(cell, content)
    return t


def _keep_together(row: Any) -> None:
    """A row is not split across pages (a row taller than a page still breaks)."""
    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def after_table(paragraph: Any) -> Any:
    """Space between a table and the paragraph under it."""
    paragraph.paragraph_format.space_before = Pt(8)
    return paragraph


def _field(paragraph: Any, instr: str, size: float) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instr)
    run = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    half_points = OxmlElement("w:sz")
    half_points.set(qn("w:val"), str(int(size * 2)))
    rpr.append(half_points)
    run.append(rpr)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _header_footer(doc: Any) -> None:
    section = doc.sections[0]
    head = section.header.paragraphs[0]
    _runs(head, [("{% if is_draft %}DRAFT – {% endif %}", "b"),
                 ("OFFICIAL-SENSITIVE. {% if audience == \"restricted\" %}Restricted copy: "
                  "manager, reviewer and HR only{% else %}Shared copy{% endif %}. "
                  "{{ title }} {{ case.crn }}", "")], size=8.5)
    foot = section.footer.paragraphs[0]
    _runs(foot, [("{% if status == \"final\" %}Final. Content fingerprint (SHA-256): "
                  "{{ fingerprint }}{% else %}DRAFT – needs the manager's confirmation. "
                  "Not final, so not fingerprinted.{% endif %}", "")], size=8)
    pages = section.footer.add_paragraph()
    _runs(pages, "{% if generated %}Generated {{ generated }}. {% endif %}Page ", size=8)
    _field(pages, "PAGE", 8)
    _runs(pages, " of ", size=8)
    _field(pages, "NUMPAGES", 8)


def _page(doc: Any) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    section.header_distance = section.footer_distance = Cm(1)


def _list(doc: Any, loop: str, item: Para, *, style: str = "List Bullet") -> None:
    tag(doc, f"{{%p for {loop} %}}")
    para(doc, item, style)
    tag(doc, "{%p endfor %}")


def _if_else(doc: Any, test: str, then: Any, otherwise: Para) -> None:
    tag(doc, f"{{%p if {test} %}}")
    then()
    tag(doc, "{%p else %}")
    para(doc, otherwise)
    tag(doc, "{%p endif %}")


def build() -> Any:
    """The early-look Word template as a python-docx Document."""
    doc = Document()
    _page(doc)
    _styles(doc)
    props = doc.core_properties
    props.title, props.author, props.comments, props.subject = "Early look", "", "", ""
    props.keywords, props.last_modified_by, props.language = "", "", "en-GB"
    _header_footer(doc)

    para(doc, "{{ title }}", "Title")
    para(doc, [("{{ case.name }} ({{ case.crn }}).{% if generated %} Generated {{ generated }}."
                "{% endif %}", "")])
    tag(doc, "{%p if is_draft %}")
    banner = para(doc, [("DRAFT – needs the manager's confirmation. ", "b"),
                        ("Answers shown as not yet confirmed were proposed by the toolkit "
                         "from the record. This document is not final and must not be "
                         "relied on as the early look.", "")])
    _box(banner, "D4351C", fill="FCE9E6")
    tag(doc, "{%p endif %}")
    note = para(doc, [("Please read first. ", "b"), ("{{ read_first }}", "")])
    _box(note, "1D70B8", fill="F3F2F1", left_only=True)
    para(doc, [("{{ audience_note }}", "s")])

    doc.add_heading("The case", 1)
    rows = [("Case reference (CRN)", "{{ case.crn }}"), ("Name", "{{ case.name }}"),
            ("Probation delivery unit", "{{ case.pdu }}"), ("Team", "{{ case.team }}"),
            ("Sentence", "{{ case.sentence }}"), ("Start of supervision", "{{ case.start }}"),
            ("Record looked at up to",
             "{{ case.as_of }}{% if case.as_of_source %} ({{ case.as_of_source }}){% endif %}"),
            ("Risk of serious harm", "{{ case.rosh or \"Not recorded\" }}"),
            ("Registrations",
             "{{ case.registrations | join(\", \") if case.registrations else \"None\" }}"),
            ("Practitioner", "{{ case.practitioner }}")]
    table(doc, [4.6, 12.4], None, None, [[[(label, "b")], value] for label, value in rows])

    doc.add_heading("Deadlines", 1)
    _if_else(doc, "deadlines", lambda: table(
        doc, [9.5, 4.0, 3.5], ["Deadline", "Due", "Working days left"], "d in deadlines",
        [["{{ d.label }}", "{{ d.due }}",
          [("{% if d.overdue %}Overdue{% else %}{{ d.working_days_left }}{% endif %}", "")]]]),
        "No deadlines were recorded.")

    doc.add_heading("Chronology", 1)
    intro(doc, "What the case record shows, in date order, as it was recorded at the time.")
    _if_else(doc, "chronology", lambda: table(
        doc, [2.6, 2.8, 9.4, 2.2], ["Date", "Category", "What was recorded", "Record"],
        "e in chronology",
        [[["{{ e.date }}", *only_if("e.time", [("{{ e.time }}", "s")])], "{{ e.category }}",
          [[("{{ e.title }}", "b")], *only_if("e.detail", "{{ e.detail }}")],
          [("{{ e.record_id }}", "s")]]]),
        "No entries in the record before the as-of date.")

    doc.add_heading("Checklist", 1)
    intro(doc, "Each answer is the manager's. Where the toolkit proposed an answer from the "
              "record, the proposal is shown with what it rests on, judged on what was known "
              "at the time.")
    _if_else(doc, "checklist", lambda: table(
        doc, [5.0, 4.6, 7.4], ["Question", "Answer", "What it rests on"], "q in checklist",
        [[[[("{{ q.id }} {{ q.area }}", "s")], "{{ q.question }}"],
          [[("{{ q.answer_label or \"Not answered\" }}", "b")],
           [("{% if q.confirmed %}Confirmed by the manager{% else %}Not yet confirmed"
             "{% endif %}", "s")],
           *only_if("q.proposed_label and q.proposed_label != q.answer_label",
                    [("Proposed by the toolkit: ", "s"), ("{{ q.proposed_label }}", "")]),
           *only_if("q.override_reason",
                    [("Why the answer differs: ", "s"), ("{{ q.override_reason }}", "")])],
          ["{{ q.summaries | join(\"\\n\") }}",
           *only_if("q.known", [("Known at the time: ", "b"),
                                ("{{ q.known | join(\"; \") }}", "")]),
           *only_if("q.evidence", [("Records: {{ q.evidence | join(\", \") }}", "s")])]]]),
        "No checklist questions were answered.")

    doc.add_heading("Gaps in practice found in the record", 1)
    _if_else(doc, "gaps", lambda: table(
        doc, [2.4, 9.6, 2.8, 2.2], ["Date", "What the record shows", "Standard", "Records"],
        "g in gaps",
        [["{{ g.date }}", "{{ g.summary }}", [("{{ g.rule_id }}", "s")],
          [("{{ g.evidence | join(\", \") }}", "s")]]]),
        "The checks found no gaps in core practice in the record.")

    doc.add_heading("Good practice", 1)
    _if_else(doc, "good_practice", lambda: table(
        doc, [2.4, 11.8, 2.8], ["Date", "What was done well", "Standard"], "p in good_practice",
        [["{{ p.date }}", "{{ p.summary }}", [("{{ p.rule_id }}", "s")]]]),
        "No good practice was recorded by the checks; that does not mean there was none.")

    doc.add_heading("Actions needed now", 1)
    _if_else(doc, "actions", lambda: table(
        doc, [9.2, 3.6, 2.6, 1.6], ["Action", "Who", "Due", "Done"], "a in actions",
        [["{{ a.description }}", "{{ a.owner_role }}", "{{ a.due }}",
          "{% if a.done %}Yes{% else %}No{% endif %}"]]),
        "No actions were recorded.")

    doc.add_heading("Working context", 1)
    intro(doc, "The practitioner's working context over the period: workload, caseload, "
              "supervision, training, experience and grade against the case's complexity, "
              "team vacancies, systems and partner agencies. Read every finding above with it.")
    _if_else(doc, "working_context", lambda: table(
        doc, [3.8, 9.8, 3.4], ["Area", "What was recorded", "Source"], "w in working_context",
        [[[[("{{ w.category }}", "b")],
           *only_if("w.is_mitigation", [("Mitigating", "s")]),
           *only_if("w.restricted", [("Restricted: manager, reviewer and HR only", "s")])],
          "{{ w.text }}", [("{{ w.source }}", "s")]]]),
        "No working context has been recorded yet. A finding about an individual cannot be "
        "finalised until it has been considered.")
    after_table(para(doc, [("{% if working_context_considered %}Considered by "
                "{{ working_context_considered.by }} on {{ working_context_considered.at }}."
                "{% else %}The manager has not yet recorded that the working context was "
                "considered.{% endif %}", "b")]))

    doc.add_heading("Individual practice: the just culture questions", 1)
    intro(doc, "Where the manager considered an individual's part, the NHS just culture "
              "questions are recorded in order. They structure the manager's thinking; they do "
              "not decide the outcome, and wider learning is required whatever the answers.")

    def acts() -> None:
        tag(doc, "{%p for a in just_culture %}")
        doc.add_heading("{{ a.act }}", 2)
        table(doc, [2.8, 5.2, 2.6, 6.4], ["Step", "Question", "Answer", "Note"],
              "s in a.steps",
              [[[("{{ s.step }}", "b")], "{{ s.question }}", "{{ s.answer }}", "{{ s.note }}"]])
        after_table(para(doc, [("Outcome considered: ", "b"),
                               ("{{ a.outcome_label or \"not yet decided\" }}", "")]))
        para(doc, [("HR advice: ", "b"),
                   ("{% if a.hr_advice %}taken from {{ a.hr_advice.adviser }} on "
                    "{{ a.hr_advice.date }}.{% else %}not taken.{% endif %}", "")])
        para(doc, [("Wider learning (always required): ", "b"),
                   ("{{ a.wider_learning or \"not yet recorded\" }}", "")])
        tag(doc, "{%p endfor %}")

    _if_else(doc, "just_culture", acts,
             "No individual's part has been considered under the just culture questions.")

    doc.add_heading("Options and recommendation", 1)
    intro(doc, "Every outcome stays open until the manager decides. The options are:")
    _list(doc, "o in options", "{{ o }}")
    doc.add_heading("Recommendation", 2)

    def recommendation() -> None:
        intro(doc, [("{{ recommendation.label }}", "b")])
        para(doc, "{{ recommendation.rationale }}")

    _if_else(doc, "recommendation", recommendation,
             "No recommendation has been made yet; every option above is open.")

    doc.add_heading("Information not supplied", 1)

    def missing() -> None:
        intro(doc, "These were not in the record supplied, so the early look could not take "
                  "them into account:")
        _list(doc, "m in not_supplied", "{{ m }}")

    _if_else(doc, "not_supplied", missing, "Nothing was recorded as missing.")

    doc.add_heading("Sign-off", 1)
    _if_else(doc, "sign_off", lambda: para(
        doc, "Signed off by {{ sign_off.name }}, {{ sign_off.role }}, on {{ sign_off.date }}."),
        "Not signed off.")
    return doc


def _review_header_footer(doc: Any, marking: str) -> None:
    """The review's header (draft, marking, title) and footer (status, fingerprint, pages)."""
    section = doc.sections[0]
    head = section.header.paragraphs[0]
    _runs(head, [("{% if is_draft %}DRAFT – {% endif %}", "b"),
                 (marking, "")], size=8.5)
    foot = section.footer.paragraphs[0]
    _runs(foot, [("{% if status == \"final\" %}Final, version {{ version }}. Content "
                  "fingerprint (SHA-256): {{ fingerprint }}{% else %}DRAFT, version "
                  "{{ version }} – not final, so not fingerprinted.{% endif %}", "")], size=8)
    pages = section.footer.add_paragraph()
    _runs(pages, "{% if generated %}Generated {{ generated }}. {% endif %}Page ", size=8)
    _field(pages, "PAGE", 8)
    _runs(pages, " of ", size=8)
    _field(pages, "NUMPAGES", 8)


def _document(title: str) -> Any:
    doc = Document()
    _page(doc)
    _styles(doc)
    props = doc.core_properties
    props.title, props.author, props.comments, props.subject = title, "", "", ""
    props.keywords, props.last_modified_by, props.language = "", "", "en-GB"
    return doc


def _draft_banner(doc: Any, text: str) -> None:
    tag(doc, "{%p if is_draft %}")
    _box(para(doc, [("DRAFT. ", "b"), (text, "")]), "D4351C", fill="FCE9E6")
    tag(doc, "{%p endif %}")


def _bullets_or(doc: Any, items: str, otherwise: str) -> None:
    _if_else(doc, items, lambda: _list(doc, f"i in {items}", "{{ i }}"), otherwise)


def build_review() -> Any:
    """The SFO review Word template (``templates/review.docx``) as a python-docx Document."""
    doc = _document("SFO review")
    _review_header_footer(doc, "OFFICIAL-SENSITIVE. {{ title }} {{ case.crn }}")

    para(doc, "{{ title }}", "Title")
    para(doc, [("{% if case.name %}{{ case.name }} ({{ case.crn }}){% else %}{{ case.crn }}"
                "{% endif %}. Version {{ version }}.{% if generated %} Generated "
                "{{ generated }}.{% endif %}", "")])
    _draft_banner(doc, "This review is not final and must not be relied on or shared.")
    note = para(doc, [("Please read first. ", "b"), ("{{ read_first }}", "")])
    _box(note, "1D70B8", fill="F3F2F1", left_only=True)

    doc.add_heading("Version history", 1)
    _if_else(doc, "change_notes", lambda: table(
        doc, [1.8, 9.4, 3.2, 2.6], ["Version", "Change", "By", "Date"], "c in change_notes",
        [["{{ c.version }}", "{{ c.note }}", "{{ c.by }}", "{{ c.date }}"]]),
        "No changes recorded.")

    tag(doc, "{%p if audience == \"shared\" %}")
    _box(para(doc, [("Shared copy. ", "b"),
                    ("Restricted entries (personal circumstances) are left out of this copy: "
                     "{{ restricted_left_out }} in all. The manager, the reviewer and HR "
                     "hold the restricted copy.", "")]), "505A5F", fill="F3F2F1",
         left_only=True)
    tag(doc, "{%p endif %}")

    doc.add_heading("The case", 1)
    rows = [("Case reference (CRN)", "{{ case.crn }}"), ("Name", "{{ case.name }}"),
            ("Probation delivery unit", "{{ case.pdu }}"),
            ("Sentence", "{{ case.sentence }}"), ("Start of supervision", "{{ case.start }}"),
            ("Held by at the time", "{{ case.practitioner }}"),
            ("Record looked at up to", "{{ case.as_of }}"),
            ("Risk profile at the time", "{{ case.risk_profile or \"Not recorded\" }}")]
    table(doc, [4.6, 12.4], None, None, [[[(label, "b")], value] for label, value in rows])
    doc.add_heading("Background", 2)
    after_table(para(doc, "{{ case.background or \"Not yet written.\" }}"))

    doc.add_heading("Chronology", 1)
    intro(doc, "What the case record shows, in date order, as it was recorded at the time.")
    # One paragraph per cell and no tags inside the row: the row is copied once per
    # entry, and a chronology can have thousands.
    _if_else(doc, "chronology", lambda: table(
        doc, [2.4, 2.3, 8.4, 1.8, 2.1], ["Date", "Category", "What was recorded", "Record",
                                         "Staff"],
        "e in chronology",
        [["{{ e.when }}", "{{ e.category }}",
          [("{{ e.title }}", "b"), ("{{ e.detail_line }}", "")],
          [("{{ e.record_id }}", "s")], [("{{ e.staff_code }}", "s")]]]),
        "No entries in the record before the as-of date.")

    doc.add_heading("Key episodes", 1)

    def episodes() -> None:
        tag(doc, "{%p for ep in episodes %}")
        doc.add_heading("{{ ep.id }} {{ ep.title }}", 2)
        table(doc, [4.6, 12.4], None, None, [
            [[("What was expected", "b")], "{{ ep.expected }}"],
            [[("What happened", "b")], "{{ ep.happened }}"],
            [[("What was known then", "b")], "{{ ep.known_then | join(\"\\n\") }}"],
            [[("Why it made sense at the time", "b")], "{{ ep.why_it_made_sense }}"],
            [[("Good practice", "b")], "{{ ep.good_practice }}"],
            [[("Evidence", "b")], [("{{ ep.evidence | join(\", \") }}", "s")]]])
        tag(doc, "{%p endfor %}")

    _if_else(doc, "episodes", episodes, "No key episodes were identified.")

    doc.add_heading("Analysis", 1)
    tag(doc, "{%p for a in analysis_sections %}")
    doc.add_heading("{{ a.heading }}", 2)
    para(doc, "{{ a.text or \"Not yet written.\" }}")
    tag(doc, "{%p endfor %}")

    doc.add_heading("Working context", 1)
    intro(doc, "The conditions the work was done under: workload, caseload, supervision, "
              "training, experience and grade against the case's complexity, team vacancies, "
              "systems and partner agencies. Read every episode above with it.")
    _if_else(doc, "working_context", lambda: table(
        doc, [3.8, 9.8, 3.4], ["Area", "What was recorded", "Source"], "w in working_context",
        [[[[("{{ w.category }}", "b")],
           *only_if("w.is_mitigation", [("Mitigating", "s")]),
           *only_if("w.restricted", [("Restricted: manager, reviewer and HR only", "s")])],
          "{{ w.text }}", [("{{ w.source }}", "s")]]]),
        "No working context was supplied or recorded. The review cannot be finalised until "
        "the reviewer says how the working context was considered.")
    after_table(para(doc, [("{% if working_context_considered %}Considered by "
                "{{ working_context_considered.by }} on {{ working_context_considered.at }}: "
                "{% else %}The reviewer has not yet said how the working context was "
                "considered.{% endif %}", "b"),
                ("{% if working_context_considered %}"
                 "{{ working_context_considered.statement }}{% endif %}", "")]))

    doc.add_heading("Contributory factors", 1)
    _if_else(doc, "factors", lambda: table(
        doc, [4.2, 2.6, 4.4, 5.8], ["Factor", "Level", "Effect", "Evidence"], "f in factors",
        [[[[("{{ f.code }}", "s")], [("{{ f.label }}", "b")],
           [("{{ f.frameworks }}", "s")]],
          ["{{ f.level }}", [("{{ f.scope }}", "s")]],
          ["{{ f.effect }}", [("Known at the time: {{ f.known_label }}", "s")]],
          ["{{ f.description }}", "{{ f.evidence_text }}",
           [("{{ f.restricted_label }}", "s")]]]]),
        "No contributory factors were recorded.")

    doc.add_heading("Judgement", 1)
    intro(doc, [("Were all reasonable steps taken to manage the risk of serious harm? ", "b"),
                ("{{ judgement.all_reasonable_steps or \"Not yet decided\" }}", "b")])
    para(doc, "{{ judgement.reasons }}")
    para(doc, [("{% if judgement.by %}Decided by {{ judgement.by }} on {{ judgement.date }}."
                "{% endif %}", "s")])

    doc.add_heading("Learning", 1)
    for key, heading in (("individual", "Individual"), ("team", "Team"),
                         ("organisational", "Organisational"), ("system", "System")):
        doc.add_heading(heading, 2)
        _bullets_or(doc, f"learning.{key}", "None recorded.")

    doc.add_heading("Actions", 1)
    _if_else(doc, "actions", lambda: table(
        doc, [1.4, 7.0, 3.0, 2.2, 1.8, 1.6], ["Id", "Action", "Owner", "Due", "Status",
                                             "Links"],
        "a in actions",
        [[[("{{ a.id }}", "s")], "{{ a.description }}", "{{ a.owner_role }}", "{{ a.due }}",
          "{{ a.status }}", [("{{ a.links | join(\", \") }}", "s")]]]),
        "No actions were recorded.")

    doc.add_heading("Quality checks", 1)
    _if_else(doc, "quality", lambda: table(
        doc, [2.4, 4.2, 10.4], ["Severity", "Where", "What to check"], "q in quality",
        [[[("{{ q.severity }}", "b")], "{{ q.where }}", "{{ q.message }}"]]),
        "The quality checks found nothing to raise.")
    return doc


def build_family() -> Any:
    """The family summary Word template (``templates/family_summary.docx``)."""
    doc = _document("Summary for the family")
    _review_header_footer(doc, "{{ title }}")
    para(doc, "{{ title }}", "Title")
    para(doc, "{% if generated %}Written {{ generated }}.{% endif %}")
    _draft_banner(doc, "This summary is not final yet.")
    note = para(doc, [("About this summary. ", "b"), ("{{ read_first }}", "")])
    _box(note, "1D70B8", fill="F3F2F1", left_only=True)

    doc.add_heading("What the review found", 1)
    para(doc, "{{ family_summary or \"The summary has not been written yet.\" }}")
    intro(doc, [("Were all reasonable steps taken? ", "b"),
                ("{{ judgement.all_reasonable_steps or \"Not yet decided\" }}", "b")])
    para(doc, "{{ judgement.reasons }}")

    doc.add_heading("What happened", 1)
    _if_else(doc, "chronology", lambda: table(
        doc, [3.0, 14.0], ["Date", "What happened"], "e in chronology",
        [["{{ e.date }}", "{{ e.title }}"]]),
        "No events are listed.")

    doc.add_heading("What made a difference", 1)
    intro(doc, "The review looked at the conditions the staff worked under (such as workload, "
              "training, supervision and staffing) as well as what they did.")
    _if_else(doc, "factors", lambda: table(
        doc, [5.0, 12.0], ["What", "How it made a difference"], "f in factors",
        [[[("{{ f.label }}", "b")], "{{ f.effect }}"]]),
        "Nothing is listed.")

    doc.add_heading("What will change", 1)
    for key, heading in (("organisational", "For the probation service"),
                         ("system", "With other services")):
        doc.add_heading(heading, 2)
        _bullets_or(doc, f"learning.{key}", "None recorded.")
    doc.add_heading("Actions", 2)
    _if_else(doc, "actions", lambda: table(
        doc, [9.0, 3.4, 2.4, 2.2], ["What will be done", "Who", "By", "Status"],
        "a in actions",
        [["{{ a.description }}", "{{ a.owner_role }}", "{{ a.due }}", "{{ a.status }}"]]),
        "No actions are listed.")
    return doc


SHIPPED = {"early_look.docx": build, "review.docx": build_review,
           "family_summary.docx": build_family}


def main(argv: Sequence[str] | None = None) -> int:
    """Write the Word templates: every shipped one, or the early look to the path given."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args:
        build().save(args[0])
        print(f"wrote {args[0]}")
        return 0
    for name, builder in SHIPPED.items():
        builder().save(str(OUT.parent / name))
        print(f"wrote {OUT.parent / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
