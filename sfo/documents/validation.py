"""Checking a document template when someone uploads it, in words a Word user understands.

:func:`check_template` looks at a template (the bytes of an edited
``early_look.docx``, ``review.html.j2`` and the like) before anyone relies on
it and returns a :class:`TemplateReport`: every problem found, each naming
its place (``paragraph 12, which begins '...'``, ``table 3, row 2``, or
``line 40`` of a web-page template) and saying how to fix it. The checks, in
order (a file that is not a template stops at the first; ifs and fors out of
step stop the tag checks there; making a document waits until the file and
every tag are right, and ``fully_checked`` says whether it ran):

1. The file: a real .docx (not a .doc, PDF or text file renamed, not a
   damaged zip, no macros, no tracked changes, at most :data:`MAX_BYTES`), or
   UTF-8 text for a web-page template.
2. The tags: each ``{{ }}`` and ``{% %}`` closed in its own paragraph;
   ``{%p %}``/``{%tr %}`` tags alone in their paragraph or row; every ``if``
   and ``for`` closed by its ``endif``/``endfor`` of the same kind; then
   jinja2's own parse (curly quotes that Word typed are named when present).
3. The fields: every name a tag uses must be one the toolkit fills (checked
   against a made-up context of each kind, through loops), with the nearest
   right name suggested.
4. Reaching inside the program (``__class__`` and the like), which the sandbox
   refuses.
5. A document is made from the template with made-up contexts (draft and
   final) through the real renderers, and what the renderer refuses (the
   working-context section left out, no fingerprint, no draft banner, missing
   analysis headings) is reported.

Nothing is installed: :data:`TEMPLATE_FILES` names the file each kind and
format is kept as, for whoever installs an accepted template.
"""

from __future__ import annotations

import difflib
import io
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import Any

from sfo.documents import early_look, rendering, review
from sfo.errors import TemplateInvalid

KINDS = ("early_look", "review", "family_summary")
FORMATS = ("docx", "html")

TEMPLATE_FILES: dict[str, dict[str, str]] = {
    "early_look": {"docx": early_look.DOCX_TEMPLATE, "html": early_look.HTML_TEMPLATE},
    "review": {"docx": review.REVIEW_DOCX, "html": review.REVIEW_HTML},
    "family_summary": {"docx": review.FAMILY_DOCX, "html": review.FAMILY_HTML},
}

KIND_NAMES = {"early_look": "early look", "review": "SFO review",
              "family_summary": "family summary"}
FORMAT_NAMES = {"docx": "Word", "html": "web page"}

MAX_BYTES = 20 * 1024 * 1024
# A .docx is a zip: refuse one that would unpack to far more than any template needs.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024

NOT_WORD = ("This is not a Word document (.docx). Open it in Word and use File > Save As > "
            "Word Document (.docx).")
FIELDS_DOC = "The fields you can use are listed in docs/templates.md."
UNSAFE = "This template tries to reach inside the program, which is not allowed."

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml")  # what the renderers fill
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"})
_HAS_SMART_QUOTE = re.compile("[“”‘’]")


@dataclass(frozen=True)
class TemplateProblem:
    """One thing wrong with a template: where it is (empty for the whole file) and how to fix it."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"In {self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True)
class TemplateReport:
    """What :func:`check_template` found: the problems, and the fields the template uses.

    ``fully_checked`` is False when the later checks (making a document from
    the template) did not run because earlier problems stop them: check the
    template again once those are fixed.
    """

    kind: str
    format: str
    filename: str
    problems: tuple[TemplateProblem, ...]
    fields_used: tuple[str, ...] = ()
    fully_checked: bool = True

    @property
    def ok(self) -> bool:
        """True when the template can be used."""
        return not self.problems

    def raise_if_invalid(self) -> None:
        """Raise :class:`TemplateInvalid` listing every problem, unless there are none."""
        if self.problems:
            noun = "problem" if len(self.problems) == 1 else "problems"
            lines = [f"{len(self.problems)} {noun} found."]
            lines += [f"  - {p}" for p in self.problems]
            raise TemplateInvalid(self.filename, "\n".join(lines))


def check_template(kind: str, data: bytes, filename: str) -> TemplateReport:
    """Every problem with a template for ``kind``; the format comes from ``filename``'s ending."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    name = PurePath(filename).name.lower()
    fmt, refusal = _format_of(name)

    def report(problems: list[TemplateProblem], used: tuple[str, ...] = (),
               complete: bool = True) -> TemplateReport:
        return TemplateReport(kind, fmt or "unknown", filename, tuple(_unique(problems)), used,
                              complete)

    if refusal:
        return report([TemplateProblem("", refusal)], complete=False)
    if len(data) > MAX_BYTES:
        return report([TemplateProblem("", (
            f"The file is {len(data) / 1024 / 1024:,.1f} MB; a template may be at most "
            f"{MAX_BYTES // 1024 // 1024} MB. Large pictures are the usual cause: in Word, "
            "select a picture and use Picture Format > Compress Pictures, then save."))],
            complete=False)
    if fmt == "docx":
        sources, problem = _docx_sources(data)
    else:
        sources, problem = _html_sources(data)
    if problem:
        return report([problem], complete=False)
    env = rendering.environment()
    reference = _reference_context(kind)
    problems: list[TemplateProblem] = []
    used: set[str] = set()
    for source in sources:
        found, fields = _check_tags(source, env, reference)
        problems += found
        used |= fields
    if problems:
        other = _other_kind(kind, sources, env, problems)
        if other:
            return report([TemplateProblem("", (
                f"This looks like the {KIND_NAMES[other]} template, not the "
                f"{KIND_NAMES[kind]} one: the fields it uses are the {KIND_NAMES[other]}'s. "
                f"Check that you chose the right kind of template (the shipped "
                f"{TEMPLATE_FILES[other][fmt]} is the {KIND_NAMES[other]} one)."))],
                complete=False)
        return report(problems, tuple(sorted(used)), complete=False)
    problems = _check_rendering(kind, fmt, data)
    return report(problems, tuple(sorted(used)))


def _other_kind(kind: str, sources: list[_Source], env: Any,
                problems: list[TemplateProblem]) -> str:
    """Another kind whose fields all of the template's are, when it names many unknown ones."""
    if sum(p.message.startswith("The field ") for p in problems) < 3:
        return ""
    for other in KINDS:
        if other != kind:
            reference = _reference_context(other)
            if not any(_check_tags(s, env, reference)[0] for s in sources):
                return other
    return ""


def _unique(problems: list[TemplateProblem]) -> list[TemplateProblem]:
    seen: set[TemplateProblem] = set()
    out = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


# -- 1. the file -----------------------------------------------------------------
_OTHER_FILES = {
    ".doc": "an older Word 97-2003 document (.doc)", ".rtf": "a Rich Text document (.rtf)",
    ".odt": "an OpenDocument text file (.odt)", ".pdf": "a PDF", ".txt": "a text file",
    ".pages": "a Pages document",
}
_HTML_ENDINGS = (".html.j2", ".htm.j2", ".j2", ".jinja", ".jinja2", ".html", ".htm")


def _format_of(name: str) -> tuple[str, str]:
    """The format a file name says (docx or html), or a refusal saying why it cannot be used."""
    if name.endswith(".docx"):
        return "docx", ""
    if name.endswith((".docm", ".dotm")):
        return "docx", _MACROS
    if name.endswith(".dotx"):
        return "docx", ("This is a Word template file (.dotx), not a Word document. Open it "
                        "in Word and use File > Save As > Word Document (.docx).")
    if name.endswith(_HTML_ENDINGS):
        return "html", ""
    for ending, what in _OTHER_FILES.items():
        if name.endswith(ending):
            return "docx", f"{NOT_WORD} (This file is {what}.)"
    return "", ("A template must be a Word document ending .docx, or a web-page template "
                "ending .html.j2. Save the Word template with File > Save As > Word "
                "Document (.docx).")


_MACROS = ("This document contains macros (it is a macro-enabled Word file), and a "
           "template may not. Open it in Word and use File > Save As > Word Document "
           "(.docx), which leaves the macros out.")


def _looks_like(data: bytes) -> str:
    """What a file that is not a .docx seems to be, for the message."""
    if data.startswith(b"%PDF"):
        return " (It is a PDF with its name changed.)"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return (" (It is an older Word 97-2003 .doc file with its name changed, or a "
                "document protected with a password: remove the password in Word with "
                "File > Info > Protect Document first.)")
    if data.startswith(b"{\\rtf"):
        return " (It is a Rich Text (.rtf) file with its name changed.)"
    if data.startswith(b"PK"):
        return " (The file is damaged, or is a zip file of something else.)"
    if not data.strip():
        return " (The file is empty.)"
    head = data[:2048]
    if b"\x00" not in head:
        return " (It is a text file with its name changed.)"
    return ""


@dataclass(frozen=True)
class _Source:
    """One part of a template compiled on its own: its tags, and the text jinja2 parses."""

    tags: tuple[_Tag, ...]
    text: str                       # what jinja2 parses (docx: one tag per line)
    where_of_line: Callable[[int], str]
    fmt: str
    problems: tuple[TemplateProblem, ...] = ()
    blank: tuple[tuple[int, int], ...] = ()   # web page: unclosed tags' openers, as offsets

    def mended(self, edits: Mapping[int, str], closers: list[str]) -> str:
        """The text jinja2 parses, with tags replaced (by index) and ends added at the end.

        Used to check the rest of a template when some tags are wrong: a broken
        or stray tag is replaced by nothing, a block left open is closed.
        """
        ends = "".join(f"{{% {c} %}}" for c in closers)
        if self.fmt == "docx":
            lines = [edits.get(i, t.clean(True)).replace("\n", " ")
                     for i, t in enumerate(self.tags)]
            return "\n".join(lines) + ("\n" + ends if ends else "")
        spans = [(a, b, "") for a, b in self.blank]
        spans += [(t.start, t.start + len(t.text), edits[i])
                  for i, t in enumerate(self.tags) if i in edits]
        out, pos = [], 0
        for a, b, new in sorted(spans):
            out.append(self.text[pos:a])
            # Keep the line breaks of what is replaced, so line numbers stay right.
            out.append(new + "\n" * self.text.count("\n", a, b))
            pos = b
        out.append(self.text[pos:])
        return "".join(out) + ends


def _docx_sources(data: bytes) -> tuple[list[_Source], TemplateProblem | None]:
    """The document, header and footer parts of a .docx, or why it is not a usable .docx."""
    from lxml import etree

    if not zipfile.is_zipfile(io.BytesIO(data)):
        return [], TemplateProblem("", NOT_WORD + _looks_like(data))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            names = {i.filename for i in infos}
            if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
                return [], TemplateProblem("", (
                    f"The file unpacks to more than {MAX_UNZIPPED_BYTES // 1024 // 1024} MB, "
                    "far more than a template needs. Save a copy without large pictures or "
                    "embedded files and check that."))
            if "word/document.xml" not in names:
                return [], TemplateProblem("", NOT_WORD + _looks_like(data))
            types = z.read("[Content_Types].xml").decode("utf-8", "replace") \
                if "[Content_Types].xml" in names else ""
            if "macroEnabled" in types or any(n.lower().endswith("vbaproject.bin")
                                               for n in names):
                return [], TemplateProblem("", _MACROS)
            if "wordprocessingml.template.main" in types:
                return [], TemplateProblem("", (
                    "This is a Word template file (.dotx) renamed .docx. Open it in Word "
                    "and use File > Save As > Word Document (.docx)."))
            parts = [n for n in names if _PARTS.fullmatch(n)]
            roots = {n: etree.fromstring(z.read(n), parser) for n in parts}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, OSError, EOFError,
            ValueError, etree.XMLSyntaxError):
        return [], TemplateProblem("", NOT_WORD + " (The file is damaged.)")
    try:
        from docx import Document

        Document(io.BytesIO(data))
    except Exception:  # python-docx raises many kinds for a broken package
        return [], TemplateProblem("", NOT_WORD + " (The file is damaged.)")
    if any(root.find(f".//{W}ins") is not None or root.find(f".//{W}del") is not None
           for root in roots.values()):
        return [], TemplateProblem("", (
            "The document has tracked changes, which would show in every document made from "
            "it. In Word use Review > Accept > Accept All Changes (or reject them), turn "
            "off Track Changes, save, and check it again."))
    sources = []
    for name in _part_order(roots):
        label = _part_label(name, roots)
        sources.append(_docx_source(_paragraphs(roots[name], label)))
    return sources, None


def _part_order(roots: Mapping[str, Any]) -> list[str]:
    def key(name: str) -> tuple[int, int]:
        kind = 0 if name == "word/document.xml" else 1 if "header" in name else 2
        number = re.search(r"(\d+)\.xml$", name)
        return kind, int(number.group(1)) if number else 0
    return sorted(roots, key=key)


def _part_label(name: str, roots: Mapping[str, Any]) -> str:
    if name == "word/document.xml":
        return ""
    kind = "header" if "header" in name else "footer"
    same = [n for n in _part_order(roots) if kind in n]
    return f"the {kind}" if len(same) == 1 else f"{kind} {same.index(name) + 1}"


@dataclass(frozen=True)
class _Para:
    """A paragraph of a Word part: where it is, its text, and the paragraph and row it is in."""

    where: str        # "paragraph 12" / "table 3, row 2, column 1" (with the part, if any)
    row_where: str    # "table 3, row 2" for a paragraph in a table, else the same as where
    text: str
    para: int         # index among the part's paragraphs
    row: int | None   # index of its table row among the part's rows, if in a table


def _nearest(el: Any, tag: str) -> Any:
    parent = el.getparent()
    while parent is not None and parent.tag != tag:
        parent = parent.getparent()
    return parent


def _own_text(p: Any) -> str:
    """The text of a paragraph, without that of paragraphs nested in it (text boxes)."""
    return "".join(t.text or "" for t in p.iter(f"{W}t") if _nearest(t, f"{W}p") is p)


def _paragraphs(root: Any, label: str) -> list[_Para]:
    """Every paragraph of a part, in document order, with the place a Word user would look."""
    body = root.find(f"{W}body")
    container = body if body is not None else root
    prefix = f"{label}, " if label else ""
    out: list[_Para] = []
    count = {"p": 0, "tbl": 0, "row": 0}

    def add(p: Any, where: str, row_where: str, row: int | None) -> None:
        out.append(_Para(prefix + where, prefix + row_where, _own_text(p), len(out), row))

    def walk(parent: Any) -> None:
        for child in parent:
            if child.tag == f"{W}p":
                count["p"] += 1
                for p in child.iter(f"{W}p"):
                    add(p, f"paragraph {count['p']}", f"paragraph {count['p']}", None)
            elif child.tag == f"{W}tbl":
                count["tbl"] += 1
                table = count["tbl"]
                rows = [r for r in child.iter(f"{W}tr") if _nearest(r, f"{W}tbl") is child]
                for r, tr in enumerate(rows, 1):
                    count["row"] += 1
                    cells = [c for c in tr.iter(f"{W}tc") if _nearest(c, f"{W}tr") is tr]
                    for c, tc in enumerate(cells, 1):
                        for p in tc.iter(f"{W}p"):
                            add(p, f"table {table}, row {r}, column {c}",
                                f"table {table}, row {r}", count["row"])
            elif isinstance(child.tag, str):
                walk(child)  # content controls, custom XML and the like hold paragraphs too

    walk(container)
    return out


def _opening(text: str, limit: int = 45) -> str:
    """The first words of a paragraph or line, to say which one is meant."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def _html_sources(data: bytes) -> tuple[list[_Source], TemplateProblem | None]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return [], TemplateProblem("", (
            "The file is saved as UTF-16 text. In your editor, save it with the encoding "
            "UTF-8, then check it again."))
    if data.startswith(b"PK") or data.startswith(b"%PDF") or b"\x00" in data[:4096]:
        return [], TemplateProblem("", (
            "This is not a web-page template: it is not text. A web-page template is a text "
            "file (HTML with tags, like the shipped early_look.html.j2); edit it in a text "
            "editor, not Word."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        return [], TemplateProblem(f"line {line}", (
            "The file is not saved as UTF-8 text. In your editor, save it with the encoding "
            "UTF-8, then check it again."))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    tags, problems, blank = _html_tags(text)
    return [_Source(tuple(tags), text, lambda n: f"line {n}", "html", tuple(problems),
                    tuple(blank))], None


# -- 2. the tags -----------------------------------------------------------------
@dataclass(frozen=True)
class _Tag:
    """One tag as written, where it is, and how docxtpl places it."""

    text: str          # as written (curly quotes and all)
    where: str         # the place, with its opening words
    line: int          # the line jinja2 reports for it
    opener: str        # "{{", "{%" or "{#"
    level: str         # docxtpl's "p", "tr", "tc", "r", or "" for an ordinary tag
    name: str          # a statement's name ("if", "endfor"), else ""
    para: int = -1     # the paragraph it is in (docx)
    row: int | None = None
    start: int = -1    # its offset in a web page's text

    def clean(self, word: bool) -> str:
        """The tag as jinja2 sees it; in Word, docxtpl's level removed and quotes straightened."""
        if not word:
            return self.text
        text = self.text
        if self.level:
            text = self.opener + " " + text[len(self.opener) + len(self.level) + 1:]
        return text.translate(_SMART_QUOTES)


_OPEN = re.compile(r"\{\{|\{%|\{#")
_CLOSE = {"{{": "}}", "{%": "%}", "{#": "#}"}
_LEVEL = re.compile(r"(?:\{\{|\{%)(p|tr|tc|r) ")
_NAME = re.compile(r"\{%[-+]?\s*(?:(?:p|tr|tc|r) )?\s*([A-Za-z_]\w*)")
_BLOCKS = {"if": "endif", "for": "endfor", "with": "endwith", "filter": "endfilter",
           "macro": "endmacro", "call": "endcall", "autoescape": "endautoescape",
           "block": "endblock", "raw": "endraw", "set": "endset"}
_MIDDLES = {"elif": ("if",), "else": ("if", "for")}


def _tag_name(text: str) -> str:
    m = _NAME.match(text)
    if not m:
        return ""
    name = m.group(1)
    if name == "set" and "=" in text:
        return "set="  # {% set x = ... %} stands alone; only {% set x %} needs {% endset %}
    return name


def _docx_source(paras: list[_Para]) -> _Source:
    """The tags of one Word part, one a line, and the problems seen in the text itself."""
    tags: list[_Tag] = []
    problems: list[TemplateProblem] = []
    for para in paras:
        where = f"{para.where}, which begins '{_opening(para.text)}'"
        text = para.text
        pos = 0
        spans = []
        while m := _OPEN.search(text, pos):
            opener = m.group()
            end = text.find(_CLOSE[opener], m.end())
            following = _OPEN.search(text, m.end())
            if end < 0 or (following and following.start() < end):
                shown = text[m.start():following.start() if following else None].strip()
                problems.append(TemplateProblem(where, (
                    f"The tag that starts {_short(shown)} is not closed: it must end with "
                    f"{_CLOSE[opener]} in the same paragraph. Type the closing "
                    f"{_CLOSE[opener]} at its end (or, if it is not meant to be a tag, "
                    f"take out the {opener}).")))
                pos = m.end()
                continue
            tag_text = text[m.start():end + 2]
            spans.append((m.start(), end + 2))
            level_m = _LEVEL.match(tag_text)
            level = level_m.group(1) if level_m else ""
            tag_where = (f"{para.row_where}, which begins '{_opening(para.text)}'"
                         if level == "tr" else where)
            tags.append(_Tag(tag_text, tag_where, len(tags) + 1, opener, level,
                             _tag_name(tag_text) if opener == "{%" else "", para.para,
                             para.row))
            pos = end + 2
        kept = [0, *(i for span in spans for i in span), len(text)]
        rest = "".join(text[kept[i]:kept[i + 1]] for i in range(0, len(kept), 2))
        for closer, opener in (("}}", "{{"), ("%}", "{%")):
            if closer in rest and opener not in rest:
                problems.append(TemplateProblem(where, (
                    f"There is a {closer} with no {opener} before it. A tag starts with "
                    f"{opener} and ends with {closer}, with no space inside either: check "
                    "the start of the tag.")))
    problems += _alone(tags, paras)
    lines = [t.clean(word=True).replace("\n", " ") for t in tags]
    by_line = {t.line: t.where for t in tags}
    return _Source(tuple(tags), "\n".join(lines), lambda n: by_line.get(n, ""), "docx",
                   tuple(problems))


def _alone(tags: list[_Tag], paras: list[_Para]) -> list[TemplateProblem]:
    """docxtpl removes the whole paragraph (or row) a ``{%p %}`` (``{%tr %}``) tag is in."""
    problems = []
    for tag in tags:
        if tag.level == "p":
            others = [t.text for t in tags if t.para == tag.para and t is not tag]
            leftover = paras[tag.para].text.replace(tag.text, "", 1).strip()
            unit, fix = "paragraph", "Press Enter before and after the tag"
        elif tag.level == "tr":
            others = [t.text for t in tags if t.row == tag.row and t is not tag]
            leftover = " ".join(p.text for p in paras if p.row == tag.row)
            leftover = leftover.replace(tag.text, "", 1).strip()
            unit, fix = "table row", "Insert a row for the tag and move the rest to another row"
        else:
            continue
        if leftover:
            lost = f"'{_short(' '.join(others) if others else leftover)}'"
            problems.append(TemplateProblem(tag.where, (
                f"{tag.text} must be alone in its {unit}: the whole {unit} is removed when a "
                f"document is made, so {lost} would be lost. {fix}, so that it has the "
                f"{unit} to itself.")))
    return problems


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _html_tags(text: str) -> tuple[list[_Tag], list[TemplateProblem],
                                  list[tuple[int, int]]]:
    """The tags of a web-page template with their lines; unclosed ones as problems."""
    tags: list[_Tag] = []
    problems: list[TemplateProblem] = []
    blank: list[tuple[int, int]] = []
    pos = 0
    raw = False
    line, counted = 1, 0
    while m := _OPEN.search(text, pos):
        opener = m.group()
        line += text.count("\n", counted, m.start())
        counted = m.start()
        end = text.find(_CLOSE[opener], m.end())
        following = _OPEN.search(text, m.end())
        if end < 0 or (opener != "{#" and following and following.start() < end):
            if not raw:
                blank.append((m.start(), m.end()))
                problems.append(TemplateProblem(f"line {line}", (
                    f"The tag that starts {_short(text[m.start():].splitlines()[0])} is not "
                    f"closed: it must end with {_CLOSE[opener]}. Type the closing "
                    f"{_CLOSE[opener]} at its end.")))
            pos = m.end()
            continue
        tag_text = text[m.start():end + 2]
        pos = end + 2
        name = _tag_name(tag_text) if opener == "{%" else ""
        if raw and name != "endraw":
            continue
        raw = name == "raw"
        if opener != "{#":
            tags.append(_Tag(tag_text, f"line {line}", line, opener, "", name,
                             start=m.start()))
    return tags, problems, blank


def _written(tag: _Tag, level: str, name: str) -> str:
    """A closing or middle tag written as this tag's kind needs it (``{%p endif %}``)."""
    if tag.opener == "{%" and level:
        return f"{{%{level} {name} %}}"
    return f"{{% {name} %}}"


# Statement names the sandbox knows (no extensions: no do, break, continue or trans).
_STATEMENTS = {"if", "elif", "else", "for", "set", "with", "filter", "macro", "call",
               "autoescape", "block", "raw", "include", "import", "from", "extends", "print"}
_STATEMENTS |= {f"end{name}" for name in _STATEMENTS}
_COMMON = ("if", "elif", "else", "endif", "for", "endfor")


@dataclass
class _Blocks:
    """What the block check found, and how to mend the tags enough to check the rest.

    ``edits`` replaces tags (by index): an end or else with nothing to belong
    to by nothing, and an end that closes blocks left open inside it by their
    ends and itself; ``closers`` end the blocks still open at the end.
    ``stop`` is set when a tag's name is unknown: what follows cannot be read.
    """

    problems: list[TemplateProblem]
    edits: dict[int, str]
    closers: list[str]
    stop: bool


def _check_blocks(source: _Source) -> _Blocks:
    """Every if, for and the like closed by its end of the same kind, in the right order."""
    problems: list[TemplateProblem] = []
    stack: list[tuple[int, _Tag]] = []
    edits: dict[int, str] = {}
    stop = False
    word = source.fmt == "docx"

    def nearest(names: set[str], level: str) -> tuple[int | None, bool]:
        """The innermost open block of one of ``names``, of the same kind if there is one."""
        for same_kind in (True, False):
            for i in range(len(stack) - 1, -1, -1):
                t = stack[i][1]
                if t.name in names and (not word or not same_kind or t.level == level):
                    return i, same_kind
        return None, False

    def close_inside(found: int, index: int, tag: _Tag) -> None:
        """Report the blocks left open inside the one ``tag`` belongs to, and close them."""
        inside = list(reversed(stack[found + 1:]))
        if inside:
            problems.extend(_unclosed(t, source.fmt) for _, t in inside)
            edits[index] = "".join(f"{{% {_BLOCKS[t.name]} %}}" for _, t in inside) + \
                tag.clean(word)
            del stack[found + 1:]

    for index, tag in enumerate(source.tags):
        name = tag.name
        if not name or name == "set=":
            continue
        if name not in _STATEMENTS:
            near = difflib.get_close_matches(name, _COMMON, n=1, cutoff=0.6)
            hint = f" Did you mean {_written(tag, tag.level, near[0])}?" if near else ""
            problems.append(TemplateProblem(tag.where, (
                f"{tag.text} starts with {name}, which is not a tag the toolkit knows.{hint} "
                "The tags are if, elif, else, endif, for and endfor (see "
                "docs/templates.md).")))
            stop = True
            if not near:
                continue
            # Carry on as if it were spelt right, so its end is not reported as well.
            tag = replace(tag, name=near[0])
            name = tag.name
        if name in _BLOCKS:
            stack.append((index, tag))
            continue
        if name in _MIDDLES:
            found, same_kind = nearest(set(_MIDDLES[name]), tag.level)
            if found is None:
                inside = " or ".join(f"{{% {p} %}}" for p in _MIDDLES[name])
                problems.append(TemplateProblem(tag.where, (
                    f"{tag.text} is not inside an {inside}: take it out, or put back the "
                    f"{{% {_MIDDLES[name][0]} ... %}} it belongs to.")))
                edits[index] = ""
                continue
            close_inside(found, index, tag)
            opener = stack[found][1]
        elif name.startswith("end"):
            found, same_kind = nearest({o for o, e in _BLOCKS.items() if e == name}, tag.level)
            if found is None:
                what = name.removeprefix("end")
                problems.append(TemplateProblem(tag.where, (
                    f"{tag.text} has no {{% {what} ... %}} before it for it to close. Take "
                    f"it out, or put back the {{% {what} %}} it belongs to.")))
                edits[index] = ""
                continue
            close_inside(found, index, tag)
            opener = stack.pop()[1]
        else:
            continue
        if word and not same_kind:
            problems.append(TemplateProblem(tag.where, _kinds(tag, opener, name)))
    problems += [_unclosed(t, source.fmt) for _, t in reversed(stack)]
    return _Blocks(problems, edits, [_BLOCKS[t.name] for _, t in reversed(stack)], stop)


def _kinds(tag: _Tag, top: _Tag, name: str) -> str:
    kinds = {"p": "a paragraph tag ({%p %})", "tr": "a table-row tag ({%tr %})",
             "tc": "a table-cell tag ({%tc %})", "r": "a run tag ({%r %})",
             "": "an ordinary tag ({% %})"}
    alone = {"p": ", alone in its own paragraph", "tr": ", alone in its own table row"}
    return (f"{tag.text} goes with {top.text} (in {top.where}), which is {kinds[top.level]}: "
            f"they must be the same kind. Write {_written(top, top.level, name)} instead"
            f"{alone.get(top.level, '')}.")


def _unclosed(tag: _Tag, fmt: str) -> TemplateProblem:
    end = _BLOCKS[tag.name]
    closing = _written(tag, tag.level, end)
    if tag.level == "tr":
        how = (f"Add a table row after the rows it repeats, with {closing} alone in its "
               "first cell (the shipped template has one).")
    elif tag.level == "p":
        how = (f"Add a paragraph with {closing} alone in it where the part that depends on "
               "it ends.")
    elif fmt == "docx":
        how = f"Add {closing} where the text that depends on it ends."
    else:
        how = f"Add {closing} where the part that depends on it ends."
    loop = "The row loop " if tag.level == "tr" else ""
    return TemplateProblem(tag.where, f"{loop}{tag.text} has no {closing} after it. {how}")


def _check_tags(source: _Source, env: Any,
                reference: Mapping[str, Any]) -> tuple[list[TemplateProblem], set[str]]:
    """Tag syntax, then the fields and reaching inside the program, for one part."""
    from jinja2 import TemplateSyntaxError

    blocks = _check_blocks(source)
    problems = [*source.problems, *blocks.problems]
    if blocks.stop:
        return problems, set()
    word = source.fmt == "docx"
    # Each tag on its own first: a quote left open in one tag would otherwise be reported
    # by jinja2 at the next tag that has a quote in it.
    edits = dict(blocks.edits)
    for index, tag in enumerate(source.tags):
        error = _error_alone(tag, env, word)
        if error is not None:
            edits[index] = ""
            problems.append(TemplateProblem(tag.where, _syntax_message(
                str(error.message or error), tag, env, source.fmt)))
    try:
        tree = env.parse(source.mended(edits, blocks.closers))
        env.compile(tree)
    except TemplateSyntaxError as exc:
        if problems:  # most likely one of those already found
            return problems, set()
        line = exc.lineno or 1
        culprit = next((t for t in source.tags if t.line == line), None)
        return [TemplateProblem(source.where_of_line(line), _syntax_message(
            str(exc.message or exc), culprit, env, source.fmt))], set()
    fields = _Fields(reference, env, source)
    fields.template(tree)
    return problems + fields.problems, fields.used


def _error_alone(tag: _Tag, env: Any, word: bool) -> Any:
    """jinja2's error for a tag on its own (its block closed for it), or None if it parses."""
    from jinja2 import TemplateSyntaxError

    text = tag.clean(word).replace("\n", " ") if word else tag.clean(word)
    if tag.name in _BLOCKS:
        text += f"{{% {_BLOCKS[tag.name]} %}}"
    elif tag.name in _MIDDLES:
        parent = _MIDDLES[tag.name][0]
        text = f"{{% {parent} x %}}{text}{{% end{parent} %}}"
    elif tag.name.startswith("end"):
        return None
    try:
        env.compile(env.parse(text))
    except TemplateSyntaxError as exc:
        return exc
    return None


_FILTER = re.compile(r"No (filter|test) named '([^']+)'")
_UNKNOWN_TAG = re.compile(r"Encountered unknown tag '([^']+)'")


def _syntax_message(message: str, tag: _Tag | None, env: Any, fmt: str) -> str:
    the_tag = f"The tag {tag.text}" if tag else "A tag here"
    # jinja2's " at 16" counts characters of the tag as it parsed it: no help to a reader.
    message = re.sub(r" at \d+$", "", message.strip())
    says = f" (The template engine says: {message.rstrip('.')}.)"
    if tag and _HAS_SMART_QUOTE.search(tag.text):
        if fmt == "docx":
            return (f"{the_tag} is not written correctly. It has curly quotes (“ ” ‘ ’), "
                    "which Word types for you: inside a tag they count as straight quotes, "
                    "so an apostrophe (’) ends the text early and a quote without its partner "
                    "leaves it open. Put text in double quotes, \"like this\", with an opening "
                    "and a closing quote, and leave apostrophes out of it." + says)
        return (f"{the_tag} has curly quotes (“ ” ‘ ’), which a tag cannot use. Retype "
                "them as straight quotes (\" or '), and turn off smart quotes in your "
                "editor." + says)
    if not tag and re.search("unexpected char '[“”‘’]'", message):
        return ("A tag here has curly quotes (“ ” ‘ ’), which a tag cannot use. Retype them "
                "as straight quotes (\" or ')." + says)
    found = _FILTER.search(message)
    if found:
        what, name = found.groups()
        known = env.filters if what == "filter" else env.tests
        near = difflib.get_close_matches(name, list(known), n=1)
        hint = f" Did you mean {near[0]}?" if near else ""
        return (f"{the_tag} uses a {what} called {name}, which does not exist.{hint} "
                "Check the spelling against the shipped template, which uses join, as in "
                "{{ case.registrations | join(\", \") }}.")
    found = _UNKNOWN_TAG.search(message)
    if found:
        return (f"{the_tag} starts with {found.group(1)}, which is not a tag the "
                "toolkit knows. Use if, elif, else, endif, for or endfor (see "
                "docs/templates.md), and check the spelling." + says)
    if "Expected an expression" in message:
        return (f"{the_tag} is not complete: it needs a field in it, for example "
                "{{ case.crn }} or {% if chronology %}." + says)
    return (f"{the_tag} is not written correctly. Compare it with the same tag in the "
            "shipped template: check each brace, quote and name." + says)


# -- 3 and 4. the fields, and reaching inside the program --------------------------
class _Any:
    """A value the check cannot know (a loop over pairs, a computed value): anything goes."""

    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()
_MISSING = object()
# Attributes jinja2's sandbox refuses, beyond every name starting with "_".
_INTERNAL = {"mro", "func_globals", "func_code", "func_closure", "gi_frame", "gi_code",
             "cr_frame", "cr_code", "ag_frame", "ag_code", "f_globals", "f_locals",
             "f_builtins", "tb_frame", "im_func", "im_self", "im_class"}


def _unsafe(key: Any) -> bool:
    return isinstance(key, str) and (key.startswith("_") or key in _INTERNAL)


class _Fields:
    """Walks a parsed template: names it uses that the context lacks, and unsafe attributes."""

    def __init__(self, reference: Mapping[str, Any], env: Any, source: _Source) -> None:
        from jinja2 import nodes

        self.nodes = nodes
        self.reference = reference
        self.globals = set(env.globals)
        self.source = source
        self.problems: list[TemplateProblem] = []
        self.used: set[str] = set()
        self.loop_names: dict[str, str] = {}

    def template(self, tree: Any) -> None:
        n = self.nodes
        for loop in tree.find_all(n.For):
            targets = [loop.target] if isinstance(loop.target, n.Name) \
                else list(loop.target.find_all(n.Name))
            for target in targets:
                self.loop_names.setdefault(target.name, self._text(loop.iter))
        self.body(tree.body, {})

    def problem(self, node: Any, message: str) -> None:
        self.problems.append(TemplateProblem(self.source.where_of_line(node.lineno), message))

    def body(self, statements: list[Any], scope: dict[str, tuple[Any, str | None]]) -> None:
        for node in statements:
            self.statement(node, scope)

    def statement(self, node: Any, scope: dict[str, tuple[Any, str | None]]) -> None:
        n = self.nodes
        if isinstance(node, n.For):
            items = self.expr(node.iter, scope)
            inner = dict(scope)
            self.bind(node.target, self.element(items), inner)
            inner["loop"] = (ANY, None)
            if node.test is not None:
                self.expr(node.test, inner)
            self.body(node.body, inner)
            self.body(node.else_, scope)
        elif isinstance(node, n.Assign):
            self.bind(node.target, self.expr(node.node, scope), scope)
        elif isinstance(node, n.AssignBlock):
            self.body(node.body, scope)
            self.bind(node.target, (ANY, None), scope)
        elif isinstance(node, n.With):
            inner = dict(scope)
            for target, value in zip(node.targets, node.values, strict=False):
                self.bind(target, self.expr(value, scope), inner)
            self.body(node.body, inner)
        elif isinstance(node, n.Macro | n.CallBlock):
            inner = dict(scope)
            for arg in node.args:
                self.bind(arg, (ANY, None), inner)
            for name in ("caller", "varargs", "kwargs"):
                inner[name] = (ANY, None)
            if isinstance(node, n.Macro):
                scope[node.name] = (ANY, None)
            else:
                self.expr(node.call, scope)
            self.body(node.body, inner)
        elif isinstance(node, n.Expr):
            self.expr(node, scope)
        else:
            for child in node.iter_child_nodes():
                if isinstance(child, n.Stmt | n.Template):
                    self.statement(child, scope)
                elif isinstance(child, n.Expr):
                    self.expr(child, scope)
                else:
                    self.statement(child, scope)

    def bind(self, target: Any, value: tuple[Any, str | None],
             scope: dict[str, tuple[Any, str | None]]) -> None:
        if isinstance(target, self.nodes.Name):
            scope[target.name] = value
        else:
            for name in target.find_all(self.nodes.Name):
                scope[name.name] = (ANY, None)

    def element(self, items: tuple[Any, str | None]) -> tuple[Any, str | None]:
        value, path = items
        if isinstance(value, list | tuple) and value:
            return value[0], f"{path}[]" if path else None
        return ANY, None

    def expr(self, node: Any, scope: dict[str, tuple[Any, str | None]]) -> tuple[Any, str | None]:
        n = self.nodes
        if isinstance(node, n.Name | n.Getattr | n.Getitem):
            return self.chain(node, scope)
        if isinstance(node, n.Filter) and node.name == "attr" and node.args and \
                isinstance(node.args[0], n.Const) and _unsafe(node.args[0].value):
            self.problem(node, self._unsafe_message(node.args[0].value))
        for kw in node.find_all(n.Keyword) if isinstance(node, n.Filter | n.Call) else ():
            if kw.key == "attribute" and isinstance(kw.value, n.Const) and \
                    _unsafe(kw.value.value):
                self.problem(node, self._unsafe_message(kw.value.value))
        if isinstance(node, n.Test) and node.name in ("defined", "undefined"):
            return ANY, None  # asking whether a field exists is not using it
        for child in node.iter_child_nodes():
            self._inside(child, scope)
        if isinstance(node, n.Const):
            return node.value, None
        return ANY, None

    def _inside(self, node: Any, scope: dict[str, tuple[Any, str | None]]) -> None:
        """An expression, or a helper node (a keyword argument, a comparison) holding some."""
        if isinstance(node, self.nodes.Expr):
            self.expr(node, scope)
        else:
            for child in node.iter_child_nodes():
                self._inside(child, scope)

    def chain(self, node: Any, scope: dict[str, tuple[Any, str | None]]) -> tuple[Any, str | None]:
        """``a.b[0].c``: each step checked against the context, as far as it can be known."""
        n = self.nodes
        steps: list[Any] = []
        base = node
        while isinstance(base, n.Getattr | n.Getitem):
            if isinstance(base, n.Getattr):
                steps.append(base.attr)
            elif isinstance(base.arg, n.Const):
                steps.append(base.arg.value)
            else:
                self.expr(base.arg, scope)
                steps.append(ANY)
            base = base.node
        steps.reverse()
        bad = next((s for s in steps if _unsafe(s)), None)
        if bad is not None:
            self.problem(node, self._unsafe_message(bad))
            return ANY, None
        if isinstance(base, n.Name):
            if base.name in scope:
                value, path = scope[base.name]
            elif base.name in self.reference:
                value, path = self.reference[base.name], base.name
            elif base.name in self.globals:
                value, path = ANY, None
            else:
                names = list(self.reference) + list(scope)
                self._unknown(node, base.name, steps, 0, names)
                return ANY, None
        else:
            value, path = self.expr(base, scope)
        for i, step in enumerate(steps, 1):
            if value is ANY or step is ANY:
                return ANY, None
            value, known = self._step(value, step)
            if value is _MISSING:
                self._unknown(node, base.name if isinstance(base, n.Name) else "",
                              steps, i, known)
                return ANY, None
            path = (f"{path}[]" if isinstance(step, int) else f"{path}.{step}") if path else None
        if path:
            self.used.add(path)
        return value, path

    @staticmethod
    def _step(value: Any, step: Any) -> tuple[Any, list[str]]:
        """One step into a sample value, or _MISSING and the names that would have worked."""
        if isinstance(value, Mapping):
            if step in value:
                return value[step], []
            if isinstance(step, str) and hasattr(value, step):
                return ANY, []  # a dict's own method, such as items
            return _MISSING, [str(k) for k in value]
        if isinstance(value, list | tuple | str):
            if isinstance(step, int):
                return (value[0] if value else ANY), []
            if isinstance(step, str) and hasattr(value, step):
                return ANY, []
            return _MISSING, []
        if value is not None and isinstance(step, str) and hasattr(value, step):
            return ANY, []
        return _MISSING, []

    def _unknown(self, node: Any, base: str, steps: list[Any], at: int,
                 known: list[str]) -> None:
        parts = [base] + [str(s) for s in steps] if base else ["…"] + [str(s) for s in steps]
        written = ".".join(parts)
        wrong = parts[at]
        if at == 0 and base in self.loop_names:
            self.problem(node, (
                f"The field {written} is used outside its loop: {base} is filled only between "
                f"the for tag that names it (for {base} in {self.loop_names[base]}) and its "
                "endfor. Move the tag inside the loop."))
            return
        near = difflib.get_close_matches(wrong, known, n=1, cutoff=0.6)
        hint = ""
        if near:
            fixed = [*parts[:at], near[0], *parts[at + 1:]]
            hint = f" Did you mean {'.'.join(fixed)}?"
        self.problem(node, f"The field {written} is not one the toolkit fills.{hint} "
                           f"{FIELDS_DOC}")

    @staticmethod
    def _unsafe_message(attribute: Any) -> str:
        return (f"{UNSAFE} It uses {attribute}: take that part out of the tag, and use only "
                f"the fields listed in docs/templates.md.")

    def _text(self, node: Any) -> str:
        n = self.nodes
        if isinstance(node, n.Name):
            return str(node.name)
        if isinstance(node, n.Getattr):
            return f"{self._text(node.node)}.{node.attr}"
        return "…"


# -- 5. making a document ---------------------------------------------------------
def _check_rendering(kind: str, fmt: str, data: bytes) -> list[TemplateProblem]:
    """Render made-up contexts through the real renderer; what it refuses, in plain English."""
    render = _RENDERERS[(kind, fmt)]
    problems: list[TemplateProblem] = []
    with tempfile.TemporaryDirectory(prefix="sfo-template-") as folder:
        path = Path(folder) / TEMPLATE_FILES[kind][fmt]
        path.write_bytes(data)
        for label, context in _contexts(kind):
            try:
                render(context, path)
            except TemplateInvalid as exc:
                problems += _rendering_problems(exc.reason, fmt, label)
            except Exception as exc:  # an uploaded template is untrusted input: report, not crash
                problems.append(TemplateProblem("", (
                    f"A document could not be made from it ({label}): {type(exc).__name__}: "
                    f"{exc}. Compare it with the shipped template to find what changed.")))
    return problems


_RENDERERS: dict[tuple[str, str], Callable[[Mapping[str, Any], Path], Any]] = {
    ("early_look", "docx"): lambda c, p: early_look.render_docx(c, template=p),
    ("early_look", "html"): lambda c, p: early_look.render_html(c, template=p),
    ("review", "docx"): lambda c, p: review.render_review_docx(c, template=p),
    ("review", "html"): lambda c, p: review.render_review_html(c, template=p),
    ("family_summary", "docx"): lambda c, p: review.render_family_docx(c, template=p),
    ("family_summary", "html"): lambda c, p: review.render_family_html(c, template=p),
}


def _tag_form(fmt: str, level: str, body: str) -> str:
    return f"{{%{level} {body} %}}" if fmt == "docx" and level else f"{{% {body} %}}"


def _left_out(item: str, fmt: str) -> str:
    """How to put back one thing a rendering left out (the renderer's wording, as the key)."""
    def t(level: str, body: str) -> str:
        return _tag_form(fmt, level, body)

    if item.startswith("the 'Please read first' note"):
        return ("The template leaves out the 'Please read first' note, which says the "
                "document is not a finding about anyone. Put {{ read_first }} back (the "
                "shipped template has it just after the title).")
    if item.startswith("every outcome option"):
        return ("The template leaves out the list of outcome options, so 'No case to answer' "
                f"would not be shown as open. Put back {t('p', 'for o in options')}, "
                f"{{{{ o }}}} and {t('p', 'endfor')}"
                + (", each alone in its own paragraph." if fmt == "docx" else "."))
    if item.startswith("the working-context entries"):
        return ("The template leaves out the working-context section: every early look must "
                "show the practitioner's working context (workload, caseload, supervision, "
                "training, team vacancies), so that it is fair. Put back the working-context "
                "table from the shipped template, with {{ w.text }} in the row between "
                f"{t('tr', 'for w in working_context')} and {t('tr', 'endfor')}.")
    if item.startswith("the working context section"):
        return ("The template leaves out the working-context section: every review must show "
                "the working context the practitioner was working in, so that it is fair. "
                "Put back the 'Working context' heading and what follows it from the "
                "shipped template.")
    if item.startswith("the draft banner"):
        return ("The template does not show the word DRAFT on a draft. Put back the draft "
                f"banner: {t('p', 'if is_draft')}, a paragraph with DRAFT in it, then "
                f"{t('p', 'endif')}.")
    if item.startswith("the fingerprint"):
        where = "in the footer" if fmt == "docx" else "at the foot of the page"
        return ("The template does not show the content fingerprint on a final document. "
                f"Put {{{{ fingerprint }}}} back {where} (the shipped one reads 'Content "
                "fingerprint (SHA-256): {{ fingerprint }}').")
    if item.startswith("every analysis heading"):
        return ("The template leaves out one or more of the six analysis headings "
                "(Assessment, Planning, Implementation and delivery, Reviewing, Risk "
                "management, Management oversight). Put back "
                f"{t('p', 'for a in analysis_sections')}, {{{{ a.heading }}}}, {{{{ a.text }}}} "
                f"and {t('p', 'endfor')}.")
    if item.startswith("the judgement"):
        return ("The template leaves out the judgement: 'Were all reasonable steps taken to "
                "manage the risk of serious harm?' with {{ judgement.all_reasonable_steps }}. "
                "Put it back from the shipped template.")
    return (f"The template leaves out {item}. Put it back from the shipped template (see "
            "'What must not be removed' in docs/templates.md).")


_NEAR = re.compile(r"a tag is not valid: (.*) \(near: (.*)\)$", re.DOTALL)


def _rendering_problems(reason: str, fmt: str, label: str) -> list[TemplateProblem]:
    if reason.startswith("it leaves out "):
        items = reason.removeprefix("it leaves out ").rsplit(", which every", 1)[0]
        return [TemplateProblem("", _left_out(item, fmt)) for item in items.split("; ")]
    if reason.startswith("the sandbox refused it"):
        return [TemplateProblem("", f"{UNSAFE} ({reason.split(': ', 1)[-1].rstrip('.')}.) "
                                    "Take that part out of the tag.")]
    if reason.startswith("a tag names something"):
        tag = re.search(r"in the tag (.*?): ", reason)
        shown = f"The tag {tag.group(1)}" if tag else "A tag"
        return [TemplateProblem("", (
            f"{shown} names something the toolkit does not fill when it makes {label}. "
            f"{FIELDS_DOC} (The template engine says: {reason.rsplit(': ', 1)[-1]}.)"))]
    near = _NEAR.match(reason)
    if near:
        return [TemplateProblem(f"the text '{_short(near.group(2))}'", (
            "A tag here is not written correctly. Compare it with the shipped template. "
            f"(The template engine says: {near.group(1)}.)"))]
    if "not valid XML" in reason:
        return [TemplateProblem("", (
            "A document made from it is damaged, which happens when a tag is in a place "
            "Word cannot have one: keep each {%p %} tag alone in its own paragraph and each "
            "{%tr %} tag alone in its own table row, and keep {% if %}...{% endif %} within "
            "one paragraph."))]
    if reason.startswith("it includes "):
        return [TemplateProblem("", (
            f"The template {reason.removeprefix('it ')}: a template must be one file. Copy "
            "what the included file holds into the template instead."))]
    if reason.startswith("it cannot be opened as a Word document"):
        return [TemplateProblem("", NOT_WORD)]
    return [TemplateProblem("", (
        f"A document could not be made from it ({label}): {reason}. Compare it with the "
        "shipped template to find what changed."))]


# -- made-up contexts (no real people) --------------------------------------------
def _early_look_sample(status: str = "draft", audience: str = "restricted") -> dict[str, Any]:
    """A made-up early look with every field filled and every list holding an entry."""
    return {
        "status": status, "audience": audience, "title": "Early look",
        "generated": "1 December 2026",
        "case": {"crn": "X000001", "name": "Sam Sample", "pdu": "Sample PDU",
                 "team": "Sample team", "sentence": "Community order, 12 months",
                 "start": "5 January 2026", "as_of": "20 November 2026",
                 "as_of_source": "the charge (CNOC contact on 20 November 2026)",
                 "rosh": "High (assessment completed 2 February 2026)",
                 "registrations": ["ADVP Domestic abuse perpetrator"],
                 "practitioner": "Ari Example (PO)"},
        "deadlines": [{"label": "Early look", "due": "27 November 2026",
                       "working_days_left": 3, "overdue": False}],
        "chronology": [{"date": "5 January 2026", "time": "10:00", "category": "Sentence",
                        "title": "Community order made", "detail": "At the magistrates' court.",
                        "record_id": "E1"}],
        "checklist": [{"id": "EL1", "area": "Assessment",
                       "question": "Was the risk of serious harm assessed on time?",
                       "answer_label": "Partly", "proposed_label": "Yes", "confirmed": True,
                       "override_reason": "The assessment missed the police information.",
                       "evidence": ["A1"], "known": ["Police call-out on 2 June 2026"],
                       "summaries": ["Assessment completed within 15 working days."]}],
        "gaps": [{"date": "12 June 2026", "rule_id": "RISK-REVIEW",
                  "summary": "The risk assessment was not reviewed after the call-out.",
                  "evidence": ["C11"]}],
        "good_practice": [{"date": "18 March 2026", "rule_id": "ENFORCEMENT",
                           "summary": "A warning was sent within two working days."}],
        "actions": [{"description": "Review the risk assessment.",
                     "owner_role": "Senior probation officer", "due": "4 December 2026",
                     "done": False}],
        "working_context": [
            {"category": "Workload", "text": "Workload was 124% of capacity for six weeks.",
             "is_mitigation": True, "restricted": False, "source": "Workload tool"},
            {"category": "Personal circumstances", "text": "A restricted entry made up for "
             "checking templates.", "is_mitigation": True, "restricted": True,
             "source": "Line manager"}],
        "working_context_considered": {"by": "Morgan Example (SPO)", "at": "30 November 2026"},
        "just_culture": [{"act": "Not reviewing the risk assessment after the call-out",
                          "steps": [{"step": "Deliberate harm",
                                     "question": "Was there any intention to cause harm?",
                                     "answer": "No", "note": "None found."}],
                          "outcome_label": "Learning for the system only",
                          "hr_advice": {"date": "28 November 2026", "adviser": "HR adviser"},
                          "wider_learning": "Oversight when manager posts are vacant."}],
        "options": [early_look.NO_CASE_TO_ANSWER, "Learning for the system only",
                    "Individual development (training, supervision)",
                    "Performance improvement plan",
                    "Refer for HR advice about a disciplinary investigation"],
        "recommendation": {"label": "Full SFO review", "rationale": "The charge meets the "
                           "SFO criteria."},
        "not_supplied": ["Supervision records"],
        "sign_off": {"name": "Morgan Example", "role": "Senior probation officer",
                     "date": "1 December 2026"},
        "fingerprint": None,
    }


def _review_sample(status: str = "draft", audience: str = "restricted") -> dict[str, Any]:
    """A made-up SFO review with every field filled and every list holding an entry."""
    return {
        "status": status, "audience": audience, "version": "2", "title": "SFO review",
        "generated": "3 February 2027",
        "change_notes": [{"version": "1", "note": "First draft.", "by": "Reviewer",
                          "date": "20 January 2027"}],
        "case": {"crn": "X000001", "name": "Sam Sample", "sentence": "Community order",
                 "start": "5 January 2026", "as_of": "20 November 2026",
                 "risk_profile": "High RoSH to a known adult",
                 "background": "Made-up background for checking templates.",
                 "pdu": "Sample PDU", "practitioner": "Ari Example (PO)"},
        "chronology": [
            {"date": "5 January 2026", "time": "10:30", "category": "Sentence",
             "title": "Community order made", "detail": "18 months.", "record_id": "C1",
             "staff_code": "", "sensitive": False}],
        "episodes": [{"id": "E1", "title": "The police call-out",
                      "expected": "A risk review.", "happened": "No review.",
                      "known_then": ["The call-out was logged."],
                      "why_it_made_sense": "No injuries were recorded.",
                      "good_practice": "A safeguarding enquiry was made.",
                      "evidence": ["C1"]}],
        "analysis": {key: f"Made-up analysis of {heading.lower()}."
                     for key, heading in review.ANALYSIS},
        "judgement": {"all_reasonable_steps": "Partly", "reasons": "Most steps were taken.",
                      "by": "Reviewer", "date": "3 February 2027"},
        "working_context": [
            {"category": "Workload", "text": "Workload was 124% of capacity for six weeks.",
             "is_mitigation": True, "restricted": False, "source": "Workload tool"},
            {"category": "Personal circumstances", "text": "A restricted entry made up for "
             "checking templates.", "is_mitigation": True, "restricted": True,
             "source": "Line manager"}],
        "working_context_considered": {"by": "Reviewer", "at": "2 February 2027",
                                       "statement": "Workload was taken into account."},
        "factors": [{"code": "F-ORG-02", "label": "Caseload above the workload measure",
                     "description": "The team's caseload was above the measure.",
                     "level": "Organisational", "seips": "Organisation",
                     "london": "Work environment", "effect": "Less time for home visits.",
                     "scope": "Team-wide", "known_at_the_time": True,
                     "evidence": [{"text": "Workload report", "grade": "A"}],
                     "restricted": False}],
        "learning": {"individual": ["Refresh risk training."], "team": ["Use the checklist."],
                     "organisational": ["Call-outs trigger a risk review."],
                     "system": ["Police logs shared daily."]},
        "actions": [{"id": "A1", "description": "Add call-outs to the review triggers.",
                     "owner_role": "Head of PDU", "due": "31 March 2027", "status": "Open",
                     "links": ["F-ORG-02"]}],
        "quality": [{"severity": "Warning", "where": "Chronology",
                     "message": "One entry has no time."}],
        "family_summary": "The review found that most steps were taken.",
        "staff": [{"code": "N99A999", "name": "Ari Example"}], "fingerprint": None,
    }


def _contexts(kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """The contexts a template is tried with, each with words for the message."""
    if kind == "early_look":
        yield "a draft", _early_look_sample("draft", "restricted")
        yield "a final shared copy", _early_look_sample("final", "shared")
        yield "a draft with nothing recorded", {"status": "draft"}
    else:
        yield "a draft", _review_sample("draft")
        yield "a final shared copy", _review_sample("final", "shared")
        yield "a draft with nothing recorded", {"status": "draft"}


def _reference_context(kind: str) -> dict[str, Any]:
    """Every field a template of this kind may use, with a made-up value (a final's)."""
    if kind == "early_look":
        return early_look.prepare(_early_look_sample("final", "restricted"))
    if kind == "review":
        return review.prepare(_review_sample("final"))
    return review.family_context(_review_sample("final"))


def known_fields(kind: str) -> tuple[str, ...]:
    """Every field a template of ``kind`` may use (``chronology[].date``: a list item's)."""
    out: list[str] = []

    def walk(value: Any, path: str) -> None:
        out.append(path)
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(inner, f"{path}.{key}")
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            for key, inner in value[0].items():
                walk(inner, f"{path}[].{key}")

    for key, value in _reference_context(kind).items():
        walk(value, key)
    return tuple(sorted(out))


@dataclass(frozen=True)
class TemplateInUse:
    """The template a kind and format uses now: the shipped one or a local one."""

    kind: str
    format: str
    path: Path
    local: bool
    sha256: str


def templates_in_use() -> list[TemplateInUse]:
    """Each kind and format with the file in use (SFO_TEMPLATE_DIR's, else the shipped one)."""
    out = []
    for kind in KINDS:
        for fmt in FORMATS:
            path = rendering.template_path(TEMPLATE_FILES[kind][fmt])
            local = path.resolve().parent != rendering.TEMPLATES.resolve()
            out.append(TemplateInUse(kind, fmt, path, local,
                                     rendering.file_sha256(path.read_bytes())))
    return out
