"""The SFO review and family summary documents: what they show, what the family never sees."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from docx import Document
from jinja2 import StrictUndefined, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree

from sfo.documents import build_templates, rendering
from sfo.documents import review as rv
from sfo.errors import TemplateInvalid
from tests.factories_documents import (
    RESTRICTED_FACTOR,
    SENSITIVE_TITLE,
    STAFF_CODE,
    STAFF_NAME,
    review_context,
)

TRICKY = "a < b && c > d {{ 7*7 }} bell\x07 nul\x00 end"


def xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


def edited_template(path: Path, old: str, new: str, *, stored: bool = False) -> Path:
    """A copy of the shipped review template with one piece of text changed, as an editor would."""
    with zipfile.ZipFile(rendering.TEMPLATES / rv.REVIEW_DOCX) as zin, \
            zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode("utf-8")
                assert old in text, old
                data = text.replace(old, new, 1).encode("utf-8")
            if stored:
                item.compress_type = zipfile.ZIP_STORED
            zout.writestr(item, data)
    return path


def cells(data: bytes) -> list[str]:
    doc = Document(io.BytesIO(data))
    return [c.text for t in doc.tables for row in t.rows for c in row.cells]


def test_a_review_opens_in_word_with_every_section():
    data = rv.render_review_docx(review_context())
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(cells(data))
    for _, heading in rv.ANALYSIS:
        assert heading in text
    assert "Were all reasonable steps taken" in text and "Partly" in text
    assert "Caseload above the workload measure" in text
    assert "Add call-outs to the risk review triggers." in text
    assert "Community order made" in text and "C1002" in text


def test_the_chronology_has_one_row_per_entry_from_the_row_loop():
    ctx = review_context()
    ctx["chronology"] = ctx["chronology"] * 50
    data = rv.render_review_docx(ctx)
    doc = Document(io.BytesIO(data))
    chronology = next(t for t in doc.tables if t.rows[0].cells[0].text == "Date"
                      and len(t.columns) == 5)
    assert len(chronology.rows) == 1 + 150
    assert "{%" not in xml(data)


def test_a_final_review_has_its_fingerprint_in_the_footer():
    ctx = review_context(status="final")
    data = rv.render_review_docx(ctx)
    footer = " ".join(p.text for s in Document(io.BytesIO(data)).sections
                      for p in s.footer.paragraphs)
    assert rv.fingerprint_content(ctx) in footer
    assert rv.fingerprint_content(ctx) in rv.render_review_html(ctx)


def test_a_final_whose_fingerprint_does_not_match_is_refused():
    with pytest.raises(ValueError, match="does not match"):
        rv.render_review_docx(review_context(status="final", fingerprint="0" * 64))


def test_a_judgement_outside_yes_partly_no_is_refused():
    with pytest.raises(ValueError, match="all_reasonable_steps"):
        rv.render_review_docx(review_context(judgement={"all_reasonable_steps": "Maybe"}))


@pytest.mark.parametrize("status", ["draft", "final"])
def test_the_family_summary_holds_no_staff_restricted_factors_or_sensitive_rows(status):
    ctx = review_context(status=status)
    ctx["chronology"][1]["detail"] += " Also seen by C12B3X4 and N07A726."
    for shown in (xml(rv.render_family_docx(ctx)), rv.render_family_html(ctx)):
        for secret in (STAFF_CODE, STAFF_NAME, "C12B3X4", RESTRICTED_FACTOR,
                       SENSITIVE_TITLE, "C1003", "refresh DA risk training"):
            assert secret not in shown
        assert rv.STAFF_CODE.search(shown) is None
        assert "The practitioner saw" in shown
        assert "Caseload above the workload measure" in shown


def test_a_practitioner_named_by_code_and_name_is_the_practitioner_once():
    ctx = review_context()
    ctx["family_summary"] = f"He was seen by {STAFF_CODE} ({STAFF_NAME}) at the office."
    shown = rv.render_family_html(ctx)
    assert "seen by the practitioner at the office." in shown
    assert "the practitioner (the practitioner)" not in shown


def test_the_family_summary_shows_no_contact_notes_and_only_the_rows_it_is_given():
    ctx = review_context()
    ctx["chronology"][1]["detail"] = "Notes naming the partner's new address."
    kept = ctx["chronology"][1]
    assert kept["sensitive"] is False
    shown = rv.render_family_html(ctx)
    assert kept["title"] in shown and "new address" not in shown
    ctx["family_records"] = []       # none of the rows is a key event
    assert kept["title"] not in rv.render_family_html(ctx)
    ctx["family_records"] = [kept["record_id"]]
    assert kept["title"] in rv.render_family_html(ctx)


def test_a_row_without_a_sensitive_flag_is_kept_out_of_the_family_summary():
    ctx = review_context()
    del ctx["chronology"][0]["sensitive"]
    assert "Community order made" not in rv.render_family_html(ctx)
    assert "Community order made" in rv.render_review_html(ctx)


def test_a_sensitive_category_is_kept_out_of_the_family_summary():
    ctx = review_context(sensitive_categories=["Sentence"])
    assert "Community order made" not in rv.render_family_html(ctx)


def test_markup_ampersands_and_control_characters_survive():
    ctx = review_context()
    ctx["chronology"][0]["detail"] = TRICKY
    ctx["family_summary"] = TRICKY
    for render in (rv.render_review_docx, rv.render_family_docx):
        text = rendering.docx_text(render(ctx))
        assert "a < b && c > d {{ 7*7 }} bell\ufffd nul\ufffd end" in text
    page = rv.render_review_html(ctx)
    assert "a &lt; b &amp;&amp; c &gt; d {{ 7*7 }} bell\ufffd" in page


def test_a_line_break_in_a_value_is_a_line_break_in_word():
    ctx = review_context()
    ctx["chronology"][0]["detail"] = "first line\nsecond line"
    assert "first line</w:t><w:br/>" in xml(rv.render_review_docx(ctx))


@pytest.mark.parametrize("payload", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}"])
@pytest.mark.parametrize("name", [rv.REVIEW_HTML, rv.FAMILY_HTML])
def test_the_sandbox_refuses_a_malicious_html_template(tmp_path, payload, name):
    source = (rendering.TEMPLATES / name).read_text("utf-8")
    path = tmp_path / name
    path.write_text(source.replace("<main>", "<main>" + payload, 1), "utf-8")
    render = rv.render_review_html if name == rv.REVIEW_HTML else rv.render_family_html
    with pytest.raises(TemplateInvalid, match=r"sandbox refused it|does not have"):
        render(review_context(), template=path)


def test_the_sandbox_refuses_a_malicious_word_template(tmp_path):
    path = tmp_path / rv.REVIEW_DOCX
    with zipfile.ZipFile(rendering.TEMPLATES / rv.REVIEW_DOCX) as zin, \
            zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"{{ title }}",
                                    b"{{ ''.__class__.__mro__[1].__subclasses__() }}", 1)
            zout.writestr(item, data)
    with pytest.raises(TemplateInvalid, match="sandbox refused it"):
        rv.render_review_docx(review_context(), template=path)


def test_a_template_that_drops_an_analysis_heading_is_refused(tmp_path):
    path = tmp_path / rv.REVIEW_HTML
    source = (rendering.TEMPLATES / rv.REVIEW_HTML).read_text("utf-8")
    path.write_text(source.replace("<h3>{{ a.heading }}</h3>", "", 1), "utf-8")
    with pytest.raises(TemplateInvalid, match="every analysis heading"):
        rv.render_review_html(review_context(), template=path)


def test_a_broken_tag_in_the_review_template_says_near_what(tmp_path):
    path = edited_template(tmp_path / rv.REVIEW_DOCX, "{{ e.record_id }}", "{{ e.record_id }")
    with pytest.raises(TemplateInvalid, match=r"a tag is not valid: .*\(near: .*e\.record_id"):
        rv.render_review_docx(review_context(), template=path)


def test_a_word_template_that_renders_broken_xml_is_refused(tmp_path):
    path = edited_template(tmp_path / rv.REVIEW_DOCX, "{{ e.record_id }}",
                           "{{ '</w:t>' | safe }}")
    with pytest.raises(TemplateInvalid, match="not valid XML"):
        rv.render_review_docx(review_context(), template=path)


def test_a_word_template_that_renders_an_undeclared_namespace_prefix_is_refused(tmp_path):
    # Well-formed, but Word refuses a part using a prefix it never declared.
    path = edited_template(tmp_path / rv.REVIEW_DOCX, "{{ e.record_id }}",
                           "{{ '<zz:x/>' | safe }}")
    with pytest.raises(TemplateInvalid, match="not valid XML"):
        rv.render_review_docx(review_context(), template=path)


def test_values_stay_text_where_a_word_template_turns_autoescaping_off(tmp_path):
    path = edited_template(tmp_path / rv.REVIEW_DOCX, "{{ e.category }}",
                           "{% autoescape false %}{{ e.category }}{% endautoescape %}")
    ctx = review_context()
    ctx["chronology"][0]["category"] = "<w:b/> & {{ 7*7 }}\nnext"
    data = rv.render_review_docx(ctx, template=path)
    assert "<w:b/> & {{ 7*7 }}next" in rendering.docx_text(data)


def test_a_template_edited_in_place_is_used_at_once_even_with_the_same_size_and_time(
        tmp_path):
    path = edited_template(tmp_path / rv.REVIEW_DOCX, "Key episodes", "Key episodes",
                           stored=True)
    before = path.stat()
    assert "Key episodes" in rendering.docx_text(
        rv.render_review_docx(review_context(), template=path))
    edited_template(path, "Key episodes", "Main moments", stored=True)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    text = rendering.docx_text(rv.render_review_docx(review_context(), template=path))
    assert "Main moments" in text and "Key episodes" not in text


def test_renders_from_several_threads_at_once_each_come_out_whole(tmp_path):
    # A template no render has seen yet, so the threads also race to compile it.
    path = edited_template(tmp_path / rv.REVIEW_DOCX, "Key episodes", "Key episodes (threads)")
    jobs = [(rv.render_review_docx, review_context(), path),
            (rv.render_family_docx, review_context(), None),
            (rv.render_review_docx, review_context(status="final"), path),
            (rv.render_family_docx, review_context(status="final"), None)] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda job: job[0](job[1], template=job[2]), jobs))
    for (render, ctx, template), data in zip(jobs, results, strict=True):
        assert rendering.docx_text(data) == rendering.docx_text(render(ctx, template=template))


def test_the_text_checked_is_the_text_the_document_holds():
    ctx = review_context()
    ctx["chronology"][0]["detail"] = TRICKY
    data, text = rendering.render_docx_parts(rendering.TEMPLATES / rv.REVIEW_DOCX,
                                             rv.prepare(ctx), "the SFO review", "A title")
    assert text == rendering.docx_text(data)
    assert "a < b && c > d {{ 7*7 }}" in text


W_MAIN = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@pytest.mark.parametrize("body", [
    '<w:t>a &amp; b &lt;&#123;&#x7D;&quot;&apos;</w:t><w:t xml:space="preserve"> c </w:t><w:t/>',
    "<!-- <w:t>DRAFT</w:t> --><w:t>shown</w:t>",
    "<w:t><![CDATA[x < y]]></w:t>",
    "<?note <w:t>DRAFT</w:t>?><w:t>shown</w:t>",
    "<w:t\n>spaced</w:t ><w:tab/><w:t xml:space='preserve'/>",
    f'<x:t xmlns:x="{W_MAIN}">other prefix</x:t><w:t xmlns:w="urn:other">not Word</w:t>',
])
def test_the_text_read_from_a_rendered_part_is_what_a_parser_reads(body):
    xml = (f'<?xml version="1.0"?>\n<w:document xmlns:w="{W_MAIN}"><w:body>{body}</w:body>'
           "</w:document>")
    parsed = "".join(t.text or "" for t in etree.fromstring(xml.encode()).iter(f"{{{W_MAIN}}}t"))
    assert rendering._shown_text(xml, xml.encode("utf-8")) == parsed


@pytest.mark.parametrize("name", ["title", "items", "get", "__class__", "missing"])
def test_a_dict_reads_the_same_through_the_quick_lookup_as_through_jinjas_sandbox(name):
    ours = rendering.environment()
    theirs = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    for obj in ({"title": "T", "items": "I", "get": "G", "__class__": "C"}, {},
                OrderedDict(title="T", items="I")):
        got, expected = ours.getattr(obj, name), theirs.getattr(obj, name)
        if isinstance(expected, Undefined):
            assert type(got) is type(expected)
            assert got._undefined_name == expected._undefined_name
            assert got._undefined_exception is expected._undefined_exception
        else:
            assert got == expected


@pytest.mark.parametrize("name", ["review.docx", "family_summary.docx"])
def test_the_shipped_word_templates_are_what_build_templates_writes(tmp_path, name):
    fresh = tmp_path / name
    build_templates.SHIPPED[name]().save(str(fresh))

    def parts(p: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(p) as z:
            return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}

    assert parts(fresh) == parts(rendering.TEMPLATES / name), (
        "run python -m sfo.documents.build_templates")


@pytest.mark.slow
@pytest.mark.parametrize("render", [rv.render_review_docx, rv.render_family_docx])
def test_a_rendered_review_converts_to_pdf_with_libreoffice(tmp_path, render):
    exe = shutil.which("libreoffice") or shutil.which("soffice")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("libreoffice is not on PATH; .ci/run installs libreoffice-writer-nogui")
        pytest.skip("libreoffice is not on PATH: the PDF conversion is not checked")
    source = tmp_path / "review.docx"
    source.write_bytes(render(review_context(status="final")))
    subprocess.run([exe, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
                    str(source)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "review.pdf"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF")
