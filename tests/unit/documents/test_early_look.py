"""The early-look documents: what they show, what they never show, and the sandbox."""

from __future__ import annotations

import copy
import hashlib
import io
import os
import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sfo.documents import build_templates
from sfo.documents import early_look as el
from sfo.errors import InputError, TemplateInvalid
from tests.factories_documents import RESTRICTED_TEXT, early_look_context, final_context

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TRICKY = "Said \"no\" & 'later' <b>not bold</b> a<b && x>y {{ 7*7 }} {% if x %} {_{ z }_}"
PAYLOADS = ["{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "{{ cycler.__init__.__globals__ }}",
            "{{ cycler.__init__.__globals__.os.popen('id').read() }}"]


def parts(data: bytes) -> dict[str, str]:
    """Every XML part of a .docx, as text."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist()
                if n.endswith((".xml", ".rels"))}


def body_paragraphs(data: bytes) -> list[str]:
    doc = Document(io.BytesIO(data))
    out = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            out += [c.text for c in row.cells]
    return out


def footer_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    return " ".join(p.text for s in doc.sections for p in s.footer.paragraphs)


def edited_template(tmp_path: Path, old: str, new: str, name: str = el.DOCX_TEMPLATE) -> Path:
    """A copy of a shipped template with one piece of text changed, as an editor would."""
    source = el.TEMPLATES / name
    out = tmp_path / name
    if name.endswith(".docx"):
        with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w") as zout:
            for item in zin.infolist():
                data = zin.read(item.filename)
                if item.filename == "word/document.xml":
                    text = data.decode("utf-8")
                    assert old in text, old
                    data = text.replace(old, new, 1).encode("utf-8")
                zout.writestr(item, data)
    else:
        text = source.read_text("utf-8")
        assert old in text, old
        out.write_text(text.replace(old, new, 1), "utf-8")
    return out


def with_note(text: str) -> dict[str, Any]:
    ctx = early_look_context()
    ctx["working_context"][0]["text"] = text
    return ctx


# What a full early look shows

def test_a_full_early_look_renders_as_a_word_document_with_every_section():
    data = el.render_docx(early_look_context())
    doc = Document(io.BytesIO(data))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["The case", "Deadlines", "Chronology"]
    for section in ["Checklist", "Working context", "Options and recommendation", "Sign-off",
                    "Individual practice: the just culture questions"]:
        assert section in headings
    assert doc.paragraphs[0].style.name == "Title"


def test_the_checklist_table_has_a_row_per_question():
    ctx = early_look_context()
    doc = Document(io.BytesIO(el.render_docx(ctx)))
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Question")
    rows = table.rows[1:]
    assert len(rows) == len(ctx["checklist"])
    for row, q in zip(rows, ctx["checklist"], strict=True):
        assert q["question"] in row.cells[0].text
        assert row.cells[1].text.startswith(q["answer_label"])
    assert "Not yet confirmed" in rows[1].cells[1].text
    assert "Proposed by the toolkit: Yes" in rows[2].cells[1].text
    assert "Known at the time:" in rows[0].cells[2].text


def test_the_word_document_carries_the_working_context_and_every_option():
    ctx = early_look_context()
    doc = Document(io.BytesIO(el.render_docx(ctx)))
    text = "\n".join(body_paragraphs(el.render_docx(ctx)))
    for entry in ctx["working_context"]:
        assert entry["text"] in text
    bullets = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert bullets[0] == "No case to answer"
    assert bullets[:len(ctx["options"])] == ctx["options"]
    assert el.READ_FIRST in text


def test_a_draft_says_so_in_a_banner_and_its_footer_and_has_no_fingerprint():
    data = el.render_docx(early_look_context())
    assert any(p.startswith("DRAFT – needs the manager's confirmation.")
               for p in body_paragraphs(data))
    assert "DRAFT – needs the manager's confirmation" in footer_text(data)
    assert "fingerprint (SHA-256)" not in footer_text(data)


def test_a_final_shows_its_content_fingerprint_in_the_footer_and_no_draft_banner():
    ctx = final_context()
    data = el.render_docx(ctx)
    assert f"Content fingerprint (SHA-256): {el.fingerprint_content(ctx)}" in footer_text(data)
    assert not any("DRAFT" in p for p in body_paragraphs(data))
    assert "Signed off by Morgan Sample, Senior probation officer, on 1 December 2026." in (
        body_paragraphs(data))


def test_a_final_keeps_the_fingerprint_it_was_given_when_it_matches():
    ctx = final_context()
    ctx["fingerprint"] = el.fingerprint_content(ctx)
    assert ctx["fingerprint"] in footer_text(el.render_docx(ctx))


def test_a_final_whose_content_changed_after_fingerprinting_is_refused():
    ctx = final_context()
    ctx["fingerprint"] = el.fingerprint_content(ctx)
    ctx["checklist"][0]["answer_label"] = "No"
    with pytest.raises(ValueError, match="does not match its content"):
        el.render_docx(ctx)
    with pytest.raises(ValueError, match="does not match its content"):
        el.render_html(ctx)


def test_no_case_to_answer_is_always_first_among_the_options():
    moved = el.prepare(early_look_context(options=["Learning for the system only",
                                                   "no case to answer"]))
    assert moved["options"] == ["no case to answer", "Learning for the system only"]
    added = el.prepare(early_look_context(options=["Performance improvement plan"]))
    assert added["options"] == ["No case to answer", "Performance improvement plan"]


def test_a_context_with_only_a_status_renders_with_every_section_saying_what_is_missing():
    data = el.render_docx({"status": "draft"})
    text = "\n".join(body_paragraphs(data))
    assert "No working context has been recorded yet." in text
    assert "No case to answer" in text
    assert "Not signed off." in text
    assert "No working context has been recorded yet." in el.render_html({})


def test_an_unknown_status_or_audience_is_refused():
    with pytest.raises(ValueError, match="status"):
        el.render_docx(early_look_context(status="finished"))
    with pytest.raises(ValueError, match="audience"):
        el.render_html(early_look_context(audience="public"))


# Text arrives intact

def test_notes_with_markup_characters_come_out_as_written_not_escaped_twice():
    data = el.render_docx(with_note(TRICKY))
    assert TRICKY in el.docx_text(data)
    xml = parts(data)["word/document.xml"]
    assert "&amp;amp;" not in xml and "&amp;lt;" not in xml and "&amp;#" not in xml
    assert TRICKY in "\n".join(body_paragraphs(data))


def test_a_value_that_looks_like_a_template_tag_is_printed_literally():
    data = el.render_docx(with_note("{{ 7*7 }} and {% for x in y %}"))
    assert "{{ 7*7 }} and {% for x in y %}" in el.docx_text(data)
    assert "49" not in el.docx_text(data)
    page = el.render_html(with_note("{{ 7*7 }}"))
    assert "{{ 7*7 }}" in page


def test_new_lines_in_a_note_are_line_breaks_in_word():
    data = el.render_docx(with_note("First line\r\nsecond line\vthird line\fend"))
    xml = parts(data)["word/document.xml"]
    assert re.search(r"First line</w:t>\s*<w:br/>\s*<w:t[^>]*>second line</w:t>\s*<w:br/>"
                     r"\s*<w:t[^>]*>third line</w:t>\s*<w:br/>\s*<w:t[^>]*>end", xml)
    assert 'w:type="page"' not in xml  # a form feed is not a page break


def test_characters_xml_cannot_hold_are_replaced_visibly():
    note = "bell\x07 null\x00 escape\x1b del\x7f lone\ud800 end"
    data = el.render_docx(with_note(note))
    assert "bell\ufffd null\ufffd escape\ufffd del\ufffd lone\ufffd end" in el.docx_text(data)
    page = el.render_html(with_note(note))
    assert "bell\ufffd null\ufffd" in page and "\x07" not in page


def test_clean_text_keeps_tabs_and_turns_every_line_end_into_a_new_line():
    assert el.clean_text("a\tb\r\nc\rd\ve\ff\u2028g") == "a\tb\nc\nd\ne\nf\ng"


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=60))
def test_any_text_in_a_note_renders_and_reads_back_as_cleaned(text: str):
    data = el.render_docx(with_note(text))
    shown = "".join(el.docx_text(data).split())
    assert "".join(el.clean_text(text).split()) in shown


# Restricted entries

def test_restricted_entries_never_appear_anywhere_in_a_shared_word_document():
    ctx = early_look_context(audience="shared")  # as if the service forgot to filter
    ctx["working_context"].append({"category": "Health", "text": "Unmarked entry zqx",
                                   "is_mitigation": True, "source": "HR"})
    data = el.render_docx(ctx)
    for name, xml in parts(data).items():
        assert "bereavement" not in xml, name
        assert "zqx" not in xml, name  # no restricted flag: treated as restricted
        assert "Restricted: manager" not in xml, name
    assert "Workload measurement was 124%" in el.docx_text(data)


def test_restricted_entries_are_in_a_restricted_word_document_and_marked():
    data = el.render_docx(early_look_context(audience="restricted"))
    text = "\n".join(body_paragraphs(data))
    assert RESTRICTED_TEXT in text
    assert "Restricted: manager, reviewer and HR only" in text


def test_a_context_without_an_audience_is_treated_as_shared():
    ctx = early_look_context()
    del ctx["audience"]
    assert "bereavement" not in el.docx_text(el.render_docx(ctx))
    assert "bereavement" not in el.render_html(ctx)


def test_restricted_entries_never_appear_in_a_shared_page_and_do_in_a_restricted_one():
    assert "bereavement" not in el.render_html(early_look_context(audience="shared"))
    assert RESTRICTED_TEXT in el.render_html(early_look_context(audience="restricted"))


# The sandbox and template mistakes

@pytest.mark.parametrize("payload", PAYLOADS)
def test_a_word_template_reaching_into_python_is_refused_by_the_sandbox(tmp_path, payload):
    template = edited_template(tmp_path, "{{ case.pdu }}", payload)
    with pytest.raises(TemplateInvalid, match="the sandbox refused it") as caught:
        el.render_docx(early_look_context(), template=template)
    assert str(template) in str(caught.value)
    assert isinstance(caught.value, InputError)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_an_html_template_reaching_into_python_is_refused_by_the_sandbox(tmp_path, payload):
    template = edited_template(tmp_path, "{{ case.pdu }}", payload, el.HTML_TEMPLATE)
    with pytest.raises(TemplateInvalid, match="the sandbox refused it"):
        el.render_html(early_look_context(), template=template)


def test_a_template_cannot_change_the_context(tmp_path):
    template = edited_template(tmp_path, "{{ case.pdu }}", "{{ options.append('x') }}",
                               el.HTML_TEMPLATE)
    with pytest.raises(TemplateInvalid, match="sandbox"):
        el.render_html(early_look_context(), template=template)


def test_a_mistyped_tag_in_a_word_template_is_an_error_naming_it(tmp_path):
    template = edited_template(tmp_path, "{{ case.pdu }}", "{{ case.pdx }}")
    with pytest.raises(TemplateInvalid, match="pdx") as caught:
        el.render_docx(early_look_context(), template=template)
    assert str(caught.value).startswith(f"The template {template} cannot be used:")


def test_a_mistyped_name_in_an_html_template_is_an_error_naming_it(tmp_path):
    template = edited_template(tmp_path, "{% for q in checklist %}",
                               "{% for q in checklst %}", el.HTML_TEMPLATE)
    with pytest.raises(TemplateInvalid, match="'checklst' is undefined"):
        el.render_html(early_look_context(), template=template)


def test_a_broken_tag_in_a_word_template_says_where(tmp_path):
    template = edited_template(tmp_path, "{{ case.pdu }}", "{{ case.pdu }")
    with pytest.raises(TemplateInvalid, match="a tag is not valid"):
        el.render_docx(early_look_context(), template=template)


def test_a_broken_tag_in_an_html_template_gives_its_line(tmp_path):
    template = edited_template(tmp_path, "{% endif %}", "", el.HTML_TEMPLATE)
    with pytest.raises(TemplateInvalid, match="a tag is not valid on line"):
        el.render_html(early_look_context(), template=template)


def test_a_template_that_leaves_out_the_working_context_is_refused(tmp_path):
    template = edited_template(tmp_path, "<td>{{ w.text }}</td>", "<td></td>", el.HTML_TEMPLATE)
    with pytest.raises(TemplateInvalid, match="leaves out the working-context entries"):
        el.render_html(early_look_context(), template=template)
    docx = edited_template(tmp_path, ">{{ read_first }}<", "><")
    with pytest.raises(TemplateInvalid, match="Please read first"):
        el.render_docx(early_look_context(), template=docx)


def test_a_final_template_without_the_fingerprint_is_refused(tmp_path):
    template = edited_template(tmp_path, "{{ fingerprint }}", "", el.HTML_TEMPLATE)
    with pytest.raises(TemplateInvalid, match="fingerprint"):
        el.render_html(final_context(), template=template)


def test_a_file_that_is_not_a_word_document_is_an_error(tmp_path):
    bad = tmp_path / "early_look.docx"
    bad.write_text("not a zip")
    with pytest.raises(TemplateInvalid, match="cannot be opened as a Word document"):
        el.render_docx(early_look_context(), template=bad)
    with pytest.raises(TemplateInvalid, match="cannot be opened"):
        el.render_docx(early_look_context(), template=tmp_path / "missing.docx")


# Local templates

def test_a_local_template_folder_overrides_the_shipped_template(tmp_path, monkeypatch):
    edited_template(tmp_path, "<h2>The case</h2>", "<h2>The case (local)</h2>",
                    el.HTML_TEMPLATE)
    monkeypatch.setenv("SFO_TEMPLATE_DIR", str(tmp_path))
    assert "The case (local)" in el.render_html(early_look_context())
    # no early_look.docx there: the shipped Word template is used
    assert el.template_path(el.DOCX_TEMPLATE) == el.TEMPLATES / el.DOCX_TEMPLATE


def test_a_local_template_folder_that_does_not_exist_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SFO_TEMPLATE_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(TemplateInvalid, match="SFO_TEMPLATE_DIR"):
        el.render_docx(early_look_context())


# Fingerprints

def reordered(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(v) for v in value]
    return value


def test_the_fingerprint_does_not_depend_on_the_order_of_keys():
    ctx = final_context()
    assert list(reordered(ctx)) != list(ctx)
    assert el.fingerprint_content(reordered(ctx)) == el.fingerprint_content(ctx)


@pytest.mark.parametrize("change", [
    lambda c: c["case"].update(crn="X320742"),
    lambda c: c["checklist"][1].update(confirmed=not c["checklist"][1]["confirmed"]),
    lambda c: c["checklist"][0]["known"].append("Another fact"),
    lambda c: c["chronology"].reverse(),
    lambda c: c["working_context"][5].update(text="Changed restricted entry"),
    lambda c: c["deadlines"][0].update(working_days_left=1),
    lambda c: c.update(generated="2 December 2026"),
    lambda c: c.update(audience="shared"),
])
def test_any_change_to_what_is_shown_changes_the_fingerprint(change):
    ctx = final_context()
    changed = copy.deepcopy(ctx)
    change(changed)
    assert el.fingerprint_content(changed) != el.fingerprint_content(ctx)


def test_the_fingerprint_leaves_out_the_fingerprint_field_and_restricted_entries_of_a_shared_copy():
    ctx = final_context(audience="shared")
    assert el.fingerprint_content({**ctx, "fingerprint": "abc"}) == el.fingerprint_content(ctx)
    filtered = copy.deepcopy(ctx)
    filtered["working_context"] = [e for e in filtered["working_context"] if not e["restricted"]]
    assert el.fingerprint_content(filtered) == el.fingerprint_content(ctx)


def test_the_fingerprint_is_the_sha256_of_the_canonical_json():
    ctx = {"status": "final", "audience": "restricted", "title": "Früh", "fingerprint": "x"}
    canonical = '{"audience":"restricted","status":"final","title":"Früh"}'.encode()
    assert el.fingerprint_content(ctx) == hashlib.sha256(canonical).hexdigest()


def test_a_context_that_is_not_json_ready_is_refused():
    from datetime import date

    with pytest.raises(TypeError, match="JSON-ready"):
        el.fingerprint_content({"generated": date(2026, 12, 1)})


def test_file_sha256_is_the_hash_of_the_bytes():
    assert el.file_sha256(b"abc") == hashlib.sha256(b"abc").hexdigest()


# The page

class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.th_without_scope = 0
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "th" and "scope" not in dict(attrs):
            self.th_without_scope += 1
        if tag == "html":
            self.lang = dict(attrs).get("lang") or ""


def test_the_page_is_in_british_english_with_headings_in_order_and_scoped_headers():
    outline = _Outline()
    outline.feed(el.render_html(final_context()))
    assert outline.lang == "en-GB"
    assert outline.headings[0] == 1 and outline.headings.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(outline.headings, outline.headings[1:], strict=False))
    assert outline.th_without_scope == 0


def test_the_page_shows_the_draft_banner_or_the_fingerprint():
    draft = el.render_html(early_look_context())
    assert 'class="draft"' in draft and "DRAFT – needs the manager's confirmation." in draft
    ctx = final_context()
    final = el.render_html(ctx)
    assert el.fingerprint_content(ctx) in final and 'class="draft"' not in final


def test_the_page_escapes_markup_in_notes():
    page = el.render_html(with_note(TRICKY))
    assert "<b>not bold</b>" not in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page


# The shipped template

def test_the_shipped_word_template_is_what_build_templates_writes(tmp_path):
    fresh = tmp_path / "early_look.docx"
    build_templates.main([str(fresh)])
    shipped = parts((el.TEMPLATES / el.DOCX_TEMPLATE).read_bytes())
    built = parts(fresh.read_bytes())
    for name in built:
        if not name.startswith("docProps/"):
            assert shipped.get(name) == built[name], (
                f"{name} differs: run python -m sfo.documents.build_templates")


@pytest.mark.slow
def test_a_rendered_early_look_converts_to_pdf_with_libreoffice(tmp_path):
    exe = shutil.which("libreoffice") or shutil.which("soffice")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("libreoffice is not on PATH; .ci/run installs libreoffice-writer-nogui")
        pytest.skip("libreoffice is not on PATH: the PDF conversion is not checked")
    source = tmp_path / "early_look.docx"
    source.write_bytes(el.render_docx(final_context(audience="shared")))
    subprocess.run([exe, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(source)], check=True, capture_output=True, timeout=180)
    pdf = (tmp_path / "early_look.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(tmp_path / "early_look.pdf"), "-"],
                              check=True, capture_output=True, text=True).stdout
        assert "No case to answer" in text and "Working context" in text
        assert "bereavement" not in text


def test_a_missing_html_template_is_an_error(tmp_path):
    with pytest.raises(TemplateInvalid, match="no such file"):
        el.render_html(early_look_context(), template=tmp_path / "early_look.html.j2")


def test_an_item_that_is_not_an_object_is_refused_rather_than_printed_blank():
    with pytest.raises(TypeError, match="expected an object"):
        el.prepare(early_look_context(checklist=["Was the risk assessed?"]))
