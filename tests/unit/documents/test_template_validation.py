"""Checking an uploaded template: each problem named by its place, with how to fix it."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from docx import Document

from sfo.documents import early_look, rendering, review, validation
from sfo.documents.validation import TemplateReport, check_template
from sfo.errors import TemplateInvalid

SHIPPED = [(kind, fmt) for kind in validation.KINDS for fmt in validation.FORMATS]
DOCUMENT = "word/document.xml"


def shipped(kind: str, fmt: str = "docx") -> bytes:
    return (rendering.TEMPLATES / validation.TEMPLATE_FILES[kind][fmt]).read_bytes()


def zip_edited(kind: str, old: str, new: str, part: str = DOCUMENT) -> bytes:
    """A shipped Word template with one piece of its XML changed, as Word would save it."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(shipped(kind))) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == part:
                text = data.decode("utf-8")
                assert old in text, old
                data = text.replace(old, new, 1).encode("utf-8")
            zout.writestr(item, data)
    return out.getvalue()


def word_edited(kind: str, change: Callable[[Any], None]) -> bytes:
    """A shipped Word template changed through python-docx, as an editor in Word would."""
    doc = Document(io.BytesIO(shipped(kind)))
    change(doc)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def html_edited(kind: str, old: str, new: str) -> bytes:
    text = shipped(kind, "html").decode("utf-8")
    assert old in text, old
    return text.replace(old, new, 1).encode("utf-8")


def paragraph_number(kind: str, starts: str) -> int:
    """The number Word users would count to: body paragraphs only, from 1."""
    doc = Document(io.BytesIO(shipped(kind)))
    return next(i for i, p in enumerate(doc.paragraphs, 1) if p.text.startswith(starts))


def only_problem(report: TemplateReport) -> validation.TemplateProblem:
    assert not report.ok
    assert len(report.problems) == 1, [str(p) for p in report.problems]
    return report.problems[0]


def set_paragraph(starts: str, text: str) -> Callable[[Any], None]:
    def change(doc: Any) -> None:
        paragraph = next(p for p in doc.paragraphs if p.text.startswith(starts))
        paragraph.text = text
    return change


def table_with(doc: Any, *headings: str) -> Any:
    return next(t for t in doc.tables
                if [c.text for c in t.rows[0].cells][:len(headings)] == list(headings))


# Shipped templates

@pytest.mark.parametrize(("kind", "fmt"), SHIPPED)
def test_every_shipped_template_passes_every_check(kind: str, fmt: str):
    report = check_template(kind, shipped(kind, fmt), validation.TEMPLATE_FILES[kind][fmt])
    assert report.ok, [str(p) for p in report.problems]
    assert report.problems == ()
    assert report.fully_checked
    assert report.format == fmt


def test_the_fields_a_template_uses_are_listed_with_list_items_marked():
    report = check_template("early_look", shipped("early_look"), "early_look.docx")
    for used in ["case.crn", "read_first", "chronology", "chronology[].date",
                 "working_context[].text", "just_culture[].steps[].question", "fingerprint"]:
        assert used in report.fields_used
    assert list(report.fields_used) == sorted(report.fields_used)


@pytest.mark.parametrize("kind", validation.KINDS)
def test_the_made_up_contexts_have_an_item_in_every_list_so_item_fields_are_checked(kind: str):
    def lists(value: Any, path: str) -> list[tuple[str, Any]]:
        found = []
        if isinstance(value, dict):
            for key, inner in value.items():
                found += lists(inner, f"{path}.{key}".lstrip("."))
        elif isinstance(value, list):
            found.append((path, value))
            if value:
                found += lists(value[0], f"{path}[]")
        return found

    reference = validation._reference_context(kind)
    ignored = {"sensitive_categories", "sensitive_records"}  # inputs, never printed
    empty = [path for path, value in lists(reference, "") if not value and path not in ignored]
    assert empty == []


def test_the_known_fields_include_what_the_renderers_add():
    assert "is_draft" in validation.known_fields("early_look")
    assert "analysis_sections[].heading" in validation.known_fields("review")
    assert "read_first" in validation.known_fields("family_summary")
    assert "chronology[].staff_code" not in validation.known_fields("family_summary")


# The file

def test_a_pdf_renamed_docx_is_not_a_word_document_and_says_how_to_save_one():
    problem = only_problem(check_template("early_look", b"%PDF-1.7\n1 0 obj\n", "mine.docx"))
    assert problem.where == ""
    assert problem.message.startswith(
        "This is not a Word document (.docx). Open it in Word and use File > Save As > "
        "Word Document (.docx).")
    assert "PDF" in problem.message


def test_a_text_file_renamed_docx_is_not_a_word_document():
    problem = only_problem(check_template("review", b"Dear team,\nsee below.\n", "a.docx"))
    assert validation.NOT_WORD in problem.message
    assert "text file" in problem.message


def test_an_old_word_doc_is_not_a_word_document():
    problem = only_problem(check_template("review", b"\xd0\xcf\x11\xe0" + bytes(500), "a.doc"))
    assert validation.NOT_WORD in problem.message


def test_a_damaged_zip_is_not_a_word_document():
    data = shipped("early_look")
    problem = only_problem(check_template("early_look", data[: len(data) // 2], "a.docx"))
    assert validation.NOT_WORD in problem.message


def test_a_zip_without_a_word_document_inside_is_not_a_word_document():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("notes.txt", "hello")
    problem = only_problem(check_template("early_look", out.getvalue(), "a.docx"))
    assert validation.NOT_WORD in problem.message


def test_a_docm_is_refused_because_of_its_macros():
    problem = only_problem(check_template("early_look", shipped("early_look"), "mine.docm"))
    assert "macros" in problem.message
    assert "File > Save As > Word Document (.docx)" in problem.message


def test_macros_inside_a_file_named_docx_are_refused():
    data = zip_edited("early_look",
                      "application/vnd.openxmlformats-officedocument.wordprocessingml."
                      "document.main+xml",
                      "application/vnd.ms-word.document.macroEnabled.main+xml",
                      part="[Content_Types].xml")
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as z:
        z.writestr("word/vbaProject.bin", b"\x00macro")
    problem = only_problem(check_template("early_look", out.getvalue(), "mine.docx"))
    assert "macros" in problem.message


def test_a_file_over_the_size_limit_is_refused_with_the_usual_cause(monkeypatch):
    monkeypatch.setattr(validation, "MAX_BYTES", 1024 * 1024)
    problem = only_problem(check_template("early_look", shipped("early_look") + bytes(2**20),
                                          "big.docx"))
    assert "at most 1 MB" in problem.message
    assert "Compress Pictures" in problem.message


def test_tracked_changes_are_refused_with_how_to_accept_them():
    data = zip_edited("early_look", "<w:r><w:rPr><w:b/><w:sz w:val=\"19\"/></w:rPr>"
                      "<w:t>Risk of serious harm</w:t></w:r>",
                      "<w:ins w:id=\"1\" w:author=\"A\"><w:r><w:t>Risk of serious harm</w:t>"
                      "</w:r></w:ins>")
    problem = only_problem(check_template("early_look", data, "mine.docx"))
    assert "tracked changes" in problem.message
    assert "Accept All Changes" in problem.message


def test_a_file_of_another_type_says_which_endings_are_templates():
    problem = only_problem(check_template("review", b"a,b\n", "review.csv"))
    assert ".docx" in problem.message and ".html.j2" in problem.message


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError, match="early_look, review, family_summary"):
        check_template("dip_report", b"", "x.docx")


# Tag syntax

def test_an_unclosed_tag_names_its_paragraph_by_its_opening_words_and_the_braces_to_type():
    number = paragraph_number("early_look", "{{ audience_note }}")
    data = word_edited("early_look", set_paragraph("{{ audience_note }}",
                                                   "Risk of serious harm: {{ case.rosh"))
    problem = only_problem(check_template("early_look", data, "mine.docx"))
    assert problem.where == (f"paragraph {number}, which begins 'Risk of serious harm: "
                             "{{ case.rosh'")
    assert "is not closed" in problem.message
    assert "Type the closing }} at its end" in problem.message
    assert str(problem).startswith(f"In paragraph {number}, which begins 'Risk of serious")


def test_an_unclosed_tag_in_a_table_names_the_table_row_and_column():
    data = zip_edited("early_look", '{{ case.rosh or "Not recorded" }}',
                      '{{ case.rosh or "Not recorded" }')
    problem = only_problem(check_template("early_look", data, "mine.docx"))
    assert problem.where.startswith("table 1, row 8, column 2, which begins '{{ case.rosh")
    assert "must end with }}" in problem.message


def test_a_closing_brace_pair_without_its_opening_is_reported():
    data = word_edited("review", set_paragraph("{{ judgement.reasons }}",
                                               "{ judgement.reasons }}"))
    problem = only_problem(check_template("review", data, "mine.docx"))
    assert "which begins '{ judgement.reasons }}'" in problem.where
    assert "There is a }} with no {{ before it" in problem.message


def test_curly_quotes_that_break_a_tag_are_named_as_the_cause():
    data = zip_edited("early_look", '{{ case.rosh or "Not recorded" }}',
                      "{{ case.rosh or ‘the manager’s view’ }}")
    problem = only_problem(check_template("early_look", data, "mine.docx"))
    assert problem.where.startswith("table 1, row 8, column 2, which begins '{{ case.rosh")
    assert "curly quotes" in problem.message
    assert 'Put text in double quotes, "like this"' in problem.message


def test_a_curly_quote_left_open_is_reported_at_its_own_tag_not_the_next_one_with_quotes():
    data = zip_edited("early_look", '{{ case.rosh or "Not recorded" }}',
                      "{{ case.rosh or “Not recorded’ }}")
    problem = only_problem(check_template("early_look", data, "mine.docx"))
    assert problem.where.startswith("table 1, row 8")
    assert "curly quotes" in problem.message


def test_matching_curly_quotes_that_word_typed_do_no_harm():
    data = zip_edited("early_look", '{{ case.rosh or "Not recorded" }}',
                      "{{ case.rosh or “Not recorded” }}")
    assert check_template("early_look", data, "mine.docx").ok


def test_a_row_loop_without_its_end_is_reported_at_the_row_that_opens_it():
    def delete_the_end_row(doc: Any) -> None:
        table = table_with(doc, "Date", "Category", "What was recorded")
        table._tbl.remove(table.rows[-1]._tr)

    problem = only_problem(check_template("early_look", word_edited("early_look",
                                                                    delete_the_end_row),
                                          "mine.docx"))
    assert problem.where == "table 3, row 2, which begins '{%tr for e in chronology %}'"
    assert "The row loop {%tr for e in chronology %} has no {%tr endfor %}" in problem.message
    assert "Add a table row after the rows it repeats" in problem.message


def test_fields_are_still_checked_when_a_row_loop_has_lost_its_end():
    def break_two_things(doc: Any) -> None:
        doc.tables[0].rows[7].cells[1].paragraphs[0].runs[0].text = "{{ case.crnn }}"
        table = table_with(doc, "Date", "Category", "What was recorded")
        table._tbl.remove(table.rows[-1]._tr)

    report = check_template("early_look", word_edited("early_look", break_two_things),
                            "mine.docx")
    assert [p.where.split(",")[0] for p in report.problems] == ["table 3", "table 1"]
    assert "has no {%tr endfor %}" in report.problems[0].message
    assert "Did you mean case.crn?" in report.problems[1].message


def test_a_web_page_with_an_unclosed_tag_still_has_its_fields_checked():
    data = html_edited("early_look", "{{ read_first }}", "{{ read_first }")
    data = data.replace(b"<td>{{ case.crn }}</td>", b"<td>{{ case.crnn }}</td>")
    report = check_template("early_look", data, "early_look.html.j2")
    messages = [p.message for p in report.problems]
    assert len(messages) == 2
    assert "is not closed" in messages[0]
    assert "Did you mean case.crn?" in messages[1]


def test_an_if_without_its_endif_is_reported_where_it_opens():
    number = paragraph_number("review", "{%p if is_draft %}")
    data = word_edited("review", lambda doc: doc.element.body.remove(
        next(p for p in doc.paragraphs if p.text == "{%p endif %}")._element))
    problem = only_problem(check_template("review", data, "mine.docx"))
    assert problem.where == f"paragraph {number}, which begins '{{%p if is_draft %}}'"
    assert "has no {%p endif %} after it" in problem.message
    assert "Add a paragraph with {%p endif %} alone in it" in problem.message


def test_an_end_of_the_wrong_kind_says_which_to_write():
    data = zip_edited("early_look", "{%p endif %}", "{% endif %}")
    problem = only_problem(check_template("early_look", data, "mine.docx"))
    assert problem.where.endswith("which begins '{% endif %}'")
    assert "goes with {%p if is_draft %}" in problem.message
    assert "Write {%p endif %} instead, alone in its own paragraph" in problem.message


def test_a_paragraph_tag_sharing_its_paragraph_would_lose_the_text_beside_it():
    data = word_edited("review", set_paragraph("{%p if is_draft %}",
                                               "Draft: {%p if is_draft %}"))
    problem = only_problem(check_template("review", data, "mine.docx"))
    assert "which begins 'Draft: {%p if is_draft %}'" in problem.where
    assert "must be alone in its paragraph" in problem.message
    assert "Draft:" in problem.message


def test_a_misspelt_tag_name_suggests_the_right_one():
    data = zip_edited("early_look", "{%p if is_draft %}", "{%p iff is_draft %}")
    problem = only_problem(check_template("early_look", data, "mine.docx"))
    assert problem.where.endswith("which begins '{%p iff is_draft %}'")
    assert "Did you mean {%p if %}?" in problem.message


def test_a_misspelt_filter_suggests_the_right_one():
    data = zip_edited("early_look", "{{ g.evidence | join", "{{ g.evidence | joinn")
    problem = only_problem(check_template("early_look", data, "mine.docx"))
    assert problem.where.startswith("table 5, row 3, column 4")
    assert "a filter called joinn, which does not exist. Did you mean join?" in problem.message


def test_a_tag_with_nothing_in_it_says_it_needs_a_field():
    data = zip_edited("review", "{{ judgement.reasons }}", "{{ }}")
    problem = only_problem(check_template("review", data, "mine.docx"))
    assert "it needs a field in it" in problem.message


def test_a_broken_tag_in_the_footer_is_placed_in_the_footer():
    data = zip_edited("review", "{{ fingerprint }}", "{{ fingerprint }", part="word/footer1.xml")
    problem = only_problem(check_template("review", data, "mine.docx"))
    assert problem.where.startswith("the footer, paragraph 1, which begins '{% if status")


# Unknown fields

def test_a_misspelt_field_suggests_the_field_the_toolkit_fills():
    data = zip_edited("early_look", '{{ case.rosh or "Not recorded" }}', "{{ case.crnn }}")
    problem = only_problem(check_template("early_look", data, "mine.docx"))
    assert problem.where == "table 1, row 8, column 2, which begins '{{ case.crnn }}'"
    assert problem.message == ("The field case.crnn is not one the toolkit fills. Did you mean "
                               "case.crn? The fields you can use are listed in "
                               "docs/templates.md.")


def test_a_misspelt_field_of_a_loop_item_is_checked_against_the_items():
    data = zip_edited("review", "{{ e.category }}", "{{ e.categroy }}")
    problem = only_problem(check_template("review", data, "mine.docx"))
    assert problem.where.startswith("table 3, row 3, column 2")
    assert "The field e.categroy is not one the toolkit fills. Did you mean e.category?" in (
        problem.message)


def test_a_misspelt_top_level_name_suggests_the_right_one_with_the_rest_of_the_field():
    data = zip_edited("review", "{{ judgement.reasons }}", "{{ judgment.reasons }}")
    problem = only_problem(check_template("review", data, "mine.docx"))
    assert "Did you mean judgement.reasons?" in problem.message


def test_a_field_used_outside_its_loop_says_to_move_it_inside():
    data = zip_edited("review", "{{ judgement.reasons }}", "{{ e.date }}")
    problem = only_problem(check_template("review", data, "mine.docx"))
    assert "e.date is used outside its loop" in problem.message
    assert "for e in chronology" in problem.message


def test_a_family_summary_cannot_print_what_only_the_review_holds():
    data = zip_edited("family_summary", "{{ e.date }}", "{{ e.staff_code }}")
    problem = only_problem(check_template("family_summary", data, "mine.docx"))
    assert "The field e.staff_code is not one the toolkit fills" in problem.message


def test_a_template_of_another_kind_is_named_as_that_kind():
    problem = only_problem(check_template("review", shipped("early_look"), "early_look.docx"))
    assert problem.message.startswith("This looks like the early look template, not the SFO "
                                      "review one")
    assert "right kind" in problem.message


# Reaching inside the program

@pytest.mark.parametrize("tag", [
    "{{ ''.__class__ }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ judgement | attr('__class__') }}",
    "{{ judgement['__class__'] }}",
    "{{ judgement._secret }}",
])
def test_reaching_inside_the_program_is_refused_in_plain_words(tag: str):
    data = zip_edited("review", "{{ judgement.reasons }}", tag)
    problem = only_problem(check_template("review", data, "mine.docx"))
    assert problem.where.endswith(f"which begins '{tag}'")
    assert problem.message.startswith(validation.UNSAFE)
    assert "take that part out of the tag" in problem.message


# What must be shown

def test_deleting_the_working_context_section_is_refused_with_how_to_put_it_back():
    def delete_working_context(doc: Any) -> None:
        body = doc.element.body
        paragraphs = doc.paragraphs
        start = next(i for i, p in enumerate(paragraphs) if p.text == "Working context")
        end = next(i for i, p in enumerate(paragraphs)
                   if p.text.startswith("Individual practice"))
        for p in paragraphs[start:end]:
            body.remove(p._element)
        body.remove(table_with(doc, "Area", "What was recorded")._element)

    report = check_template("early_look", word_edited("early_look", delete_working_context),
                            "mine.docx")
    problem = only_problem(report)
    assert problem.message.startswith("The template leaves out the working-context section")
    assert "Put back the working-context table" in problem.message
    assert "{%tr for w in working_context %}" in problem.message


def test_removing_the_fingerprint_is_refused_for_final_documents():
    data = zip_edited("early_look", "{{ fingerprint }}", "", part="word/footer1.xml")
    problem = only_problem(check_template("early_look", data, "mine.docx"))
    assert "does not show the content fingerprint on a final document" in problem.message
    assert "Put {{ fingerprint }} back in the footer" in problem.message
    assert check_template("early_look", data, "mine.docx").fully_checked


def test_removing_the_analysis_headings_from_a_review_is_refused():
    data = zip_edited("review", "{{ a.heading }}", "{{ a.text }}")
    problem = only_problem(check_template("review", data, "mine.docx"))
    assert "six analysis headings" in problem.message
    assert "{%p for a in analysis_sections %}" in problem.message


def test_removing_the_read_first_note_from_a_web_page_is_refused_with_its_tag():
    data = html_edited("family_summary", "{{ read_first }}", "")
    problem = only_problem(check_template("family_summary", data, "family_summary.html.j2"))
    assert "'Please read first' note" in problem.message
    assert "Put {{ read_first }} back" in problem.message


def test_the_rendering_checks_wait_until_the_tags_are_right():
    data = zip_edited("early_look", '{{ case.rosh or "Not recorded" }}', "{{ case.crnn }}")
    report = check_template("early_look", data, "mine.docx")
    assert not report.fully_checked


# Web-page templates

def test_a_misspelt_field_in_a_web_page_names_its_line():
    data = html_edited("early_look", "<td>{{ case.crn }}</td>", "<td>{{ case.crnn }}</td>")
    line = data.decode().splitlines().index(
        next(x for x in data.decode().splitlines() if "case.crnn" in x)) + 1
    problem = only_problem(check_template("early_look", data, "early_look.html.j2"))
    assert problem.where == f"line {line}"
    assert "Did you mean case.crn?" in problem.message


def test_an_if_without_its_endif_in_a_web_page_names_the_line_it_opens_on():
    text = shipped("review", "html").decode()
    data = html_edited("review", "{% endif %}", "")
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "{% if" in x)
    problem = only_problem(check_template("review", data, "review.html.j2"))
    assert problem.where == f"line {line}"
    assert "has no {% endif %} after it" in problem.message


def test_curly_quotes_in_a_web_page_tag_are_named():
    data = html_edited("early_look", '{{ case.rosh or "Not recorded" }}',
                       "{{ case.rosh or “Not recorded” }}")
    problem = only_problem(check_template("early_look", data, "early_look.html.j2"))
    assert problem.where.startswith("line ")
    assert "curly quotes" in problem.message
    assert "straight quotes" in problem.message


def test_a_web_page_template_not_saved_as_utf8_says_how_to_save_it():
    data = shipped("review", "html").decode().replace("</main>", "</main>é").encode("cp1252")
    problem = only_problem(check_template("review", data, "review.html.j2"))
    assert "save it with the encoding UTF-8" in problem.message


def test_a_word_document_named_as_a_web_page_is_refused():
    problem = only_problem(check_template("review", shipped("review"), "review.html.j2"))
    assert "not a web-page template" in problem.message


# Raising

def test_raise_if_invalid_lists_every_problem():
    data = zip_edited("early_look", '{{ case.rosh or "Not recorded" }}', "{{ case.crnn }}")
    data_two = zip_edited("early_look", "{{ case.pdu }}", "{{ case.pdx }}")
    report = check_template("early_look", data, "mine.docx")
    with pytest.raises(TemplateInvalid) as caught:
        report.raise_if_invalid()
    assert "mine.docx" in str(caught.value)
    assert "1 problem found." in str(caught.value)
    assert "case.crnn" in str(caught.value)
    both = TemplateReport("early_look", "docx", "mine.docx",
                          report.problems + check_template("early_look", data_two,
                                                           "x.docx").problems)
    with pytest.raises(TemplateInvalid) as caught:
        both.raise_if_invalid()
    lines = str(caught.value).splitlines()
    assert lines[0].endswith("2 problems found.")
    assert [line.startswith("  - In table 1") for line in lines[1:]] == [True, True]


def test_raise_if_invalid_is_quiet_for_a_good_template():
    check_template("review", shipped("review"), "review.docx").raise_if_invalid()


def test_template_files_name_the_shipped_files():
    assert validation.TEMPLATE_FILES["early_look"] == {
        "docx": early_look.DOCX_TEMPLATE, "html": early_look.HTML_TEMPLATE}
    assert validation.TEMPLATE_FILES["family_summary"]["docx"] == review.FAMILY_DOCX
    for files in validation.TEMPLATE_FILES.values():
        for name in files.values():
            assert (rendering.TEMPLATES / name).is_file()
