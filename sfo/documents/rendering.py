"""What every document renderer shares: cleaning, hashing, the sandbox and its errors.

Used by :mod:`sfo.documents.early_look` and :mod:`sfo.documents.review`.
Templates run in jinja2's ``ImmutableSandboxedEnvironment`` with
autoescaping and ``StrictUndefined``; what a template gets wrong is reported
as :class:`sfo.errors.TemplateInvalid` through :func:`reason`.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sfo import config
from sfo.errors import TemplateInvalid

TEMPLATES = Path(__file__).resolve().parent / "templates"

# Characters XML 1.0 cannot hold, and C1 controls (legal XML but invisible and
# a sign of mis-decoded text): shown as U+FFFD so a reader sees something was there.
_UNPRINTABLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_ENDS = re.compile("\r\n|[\r\v\f\u2028\u2029]")


def clean_text(text: str) -> str:
    """Text as a document can hold it: line ends as ``\\n``, unprintable characters as U+FFFD."""
    if text.isascii() and text.isprintable():  # most text: nothing to change, and fast
        return text
    return _UNPRINTABLE.sub("\ufffd", _LINE_ENDS.sub("\n", text))


def clean(value: Any) -> Any:
    """Every string inside ``value`` (dicts, lists) passed through :func:`clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    return value


def filled(value: Any, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """A dict with every default key present; a missing or None value becomes the default."""
    if value is not None and not isinstance(value, Mapping):
        raise TypeError(f"expected an object with the keys {', '.join(defaults)}, "
                        f"not {value!r}")
    out = dict(value or {})
    for key, default in defaults.items():
        if out.get(key) is None:
            out[key] = list(default) if isinstance(default, list) else default
    return out


def content_sha256(content: Any, what: str = "document") -> str:
    """SHA-256 (hex) of the canonical JSON of ``content`` (sorted keys, UTF-8)."""
    try:
        data = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"the {what} context must be JSON-ready: {exc}") from exc
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def file_sha256(data: bytes) -> str:
    """SHA-256 (hex) of a rendered file's bytes, as kept with a finalised document."""
    return hashlib.sha256(data).hexdigest()


def template_path(name: str, template: Path | None = None) -> Path:
    """The template to use: the one given, else SFO_TEMPLATE_DIR's, else the shipped one."""
    if template is not None:
        return template
    local = config.setting("SFO_TEMPLATE_DIR")
    if local:
        folder = Path(local)
        if not folder.is_dir():
            raise TemplateInvalid(str(folder), "SFO_TEMPLATE_DIR does not name a folder")
        if (folder / name).is_file():
            return folder / name
    return TEMPLATES / name


def environment(*, finalize: Callable[[Any], Any] | None = None,
                loader_dir: Path | None = None) -> Any:
    """jinja2's immutable sandbox with autoescaping and undefined names an error."""
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    loader = FileSystemLoader(str(loader_dir)) if loader_dir else None
    return ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined,
                                         finalize=finalize, loader=loader)


def xml_text(value: Any) -> Any:
    """An expression's output escaped for XML, braces as character references.

    After rendering, docxtpl turns ``{_{`` into ``{{`` across the whole
    document (its way of printing tags literally); with braces written as
    ``&#123;``/``&#125;`` no value can be changed by that. One translation
    per value: long chronologies print tens of thousands of them.
    """
    from markupsafe import Markup

    if hasattr(value, "__html__"):  # already safe markup: only the braces
        return Markup(str(value.__html__()).translate(_BRACES))
    return Markup(str(value).translate(_XML))


_XML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;",
                "{": "&#123;", "}": "&#125;"}
_XML = str.maketrans(_XML_ESCAPES)
_BRACES = str.maketrans({"{": "&#123;", "}": "&#125;"})


_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_UNDEFINED_NAME = re.compile(r"'(\w+)' is undefined|has no attribute '(\w+)'")


def reason(exc: Exception, source: str, what: str = "the document") -> str:
    """The template engine's message, with the tag or place when it can be found.

    ``source`` is the template's text, searched for the tag that names an
    undefined value (jinja2 reports the name, not the tag); ``what`` names
    the document in the message ("the early look").
    """
    from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

    text = str(exc) or type(exc).__name__
    if isinstance(exc, SecurityError):
        return f"the sandbox refused it: {text}"
    if isinstance(exc, TemplateSyntaxError):
        near = " ".join(" ".join(getattr(exc, "docx_context", None) or []).split())
        if near:
            return f"a tag is not valid: {text} (near: {near[:160]})"
        return f"a tag is not valid on line {exc.lineno}: {text}"
    if isinstance(exc, UndefinedError):
        found = _UNDEFINED_NAME.search(text)
        name = (found.group(1) or found.group(2)) if found else ""
        tags = [t for t in _TAG.findall(source) if name and re.search(rf"\b{name}\b", t)]
        where = f" in the tag {' '.join(tags[0].split())}" if tags else ""
        return f"a tag names something {what} does not have{where}: {text}"
    return f"a tag failed: {text} ({type(exc).__name__})"


# What a template may get wrong while rendering: its tags are code a user wrote.
TEMPLATE_FAULTS = (TypeError, ValueError, ArithmeticError, LookupError, AttributeError)


def docx_text(data: bytes) -> str:
    """All the text of a .docx (body, headers, footers), for checks and tests."""
    from lxml import etree

    texts: list[str] = []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in sorted(z.namelist()):
            if name.startswith("word/") and name.endswith(".xml"):
                root = etree.fromstring(z.read(name))
                texts += [t.text or "" for t in root.iter(
                    "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t")]
    return "".join(texts)


def check_shown(shown: str, need: list[tuple[str, str]], where: Path, what: str,
                escape: Callable[[str], str] = str) -> None:
    """Refuse a rendering that leaves out what every such document must show.

    ``need`` pairs each text with the reason it is required; whitespace is
    ignored, since Word and HTML break lines where they like.
    """
    squeezed = "".join(shown.split())
    missing = sorted({why for text, why in need
                      if text.strip() and "".join(escape(text).split()) not in squeezed})
    if missing:
        raise TemplateInvalid(str(where), "it leaves out " + "; ".join(missing) + ", which "
                              f"every {what} must show.")


def render_docx_template(path: Path, ctx: Mapping[str, Any], what: str,
                         title: str) -> bytes:
    """``ctx`` through the sandboxed Word template at ``path``; faults as TemplateInvalid."""
    from docx.opc.exceptions import PackageNotFoundError
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError

    try:
        doc = DocxTemplate(str(path))
        doc.render(ctx, jinja_env=environment(finalize=xml_text), autoescape=True)
        doc.docx.core_properties.title = title
        out = io.BytesIO()
        doc.save(out)
    except (PackageNotFoundError, zipfile.BadZipFile, OSError) as exc:
        raise TemplateInvalid(str(path), f"it cannot be opened as a Word document: {exc}") from None
    except (TemplateError, *TEMPLATE_FAULTS) as exc:
        raise TemplateInvalid(str(path), reason(exc, docx_text(path.read_bytes()), what)) from None
    return out.getvalue()


def render_html_template(path: Path, ctx: Mapping[str, Any], what: str) -> str:
    """``ctx`` through the sandboxed jinja2 template at ``path``; faults as TemplateInvalid."""
    from jinja2 import TemplateError, TemplateNotFound

    env = environment(loader_dir=path.parent)
    try:
        page: str = env.get_template(path.name).render(ctx)
    except TemplateNotFound as exc:
        if exc.name == path.name:
            raise TemplateInvalid(str(path), "it cannot be read: there is no such file") from None
        raise TemplateInvalid(str(path), f"it includes {exc.name}, which is not there") from None
    except OSError as exc:
        raise TemplateInvalid(str(path), f"it cannot be read: {exc}") from None
    except (TemplateError, *TEMPLATE_FAULTS) as exc:
        source = path.read_text("utf-8", errors="replace") if path.is_file() else ""
        raise TemplateInvalid(str(path), reason(exc, source, what)) from None
    return page


_BREAK = '</w:t><w:br/><w:t xml:space="preserve">'
_XML_BREAKS = str.maketrans({**_XML_ESCAPES, "\n": _BREAK})
_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml")
_W_T = re.compile(r"<w:t(?: [^>]*)?>([^<]*)</w:t>")
_TITLE = re.compile(r"<dc:title>.*?</dc:title>|<dc:title/>", re.DOTALL)
_compiled: dict[tuple[str, int, int], dict[str, Any]] = {}


def xml_text_breaks(value: Any) -> Any:
    """:func:`xml_text`, with each ``\\n`` a line break (the value is inside a ``w:t``)."""
    from markupsafe import Markup

    if hasattr(value, "__html__"):
        return Markup(str(value.__html__()).translate(_BRACES).replace("\n", _BREAK))
    return Markup(str(value).translate(_XML_BREAKS))


def _compiled_parts(path: Path) -> dict[str, Any]:
    """The template's body, header and footer parts as compiled jinja2 templates (cached)."""
    from docxtpl import DocxTemplate
    from jinja2 import TemplateSyntaxError

    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _compiled:
        env = environment(finalize=xml_text_breaks)
        patcher = DocxTemplate(str(path))
        parts: dict[str, Any] = {}
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if _PARTS.fullmatch(name):
                    # docxtpl's patch turns {%p %}, {%tr %} and the like into plain tags.
                    src = re.sub(r"<w:p([ >])", r"\n<w:p\1",
                                 patcher.patch_xml(z.read(name).decode("utf-8")))
                    try:
                        parts[name] = env.from_string(src)
                    except TemplateSyntaxError as exc:
                        line = max((exc.lineno or 1) - 4, 0)
                        exc.docx_context = [re.sub(r"<[^>]+>", "", x)  # type: ignore[attr-defined]
                                            for x in src.splitlines()[line:line + 7]]
                        raise
        _compiled.clear()  # one template at a time is plenty
        _compiled[key] = parts
    return _compiled[key]


def render_docx_parts(path: Path, ctx: Mapping[str, Any], what: str,
                      title: str) -> tuple[bytes, str]:
    """``ctx`` through the Word template at ``path``: the .docx bytes and all its text.

    The fast path for long documents: docxtpl's tag syntax (``{%tr %}`` and
    the rest, by its own patch step) rendered straight into the template's
    parts with the sandbox, without docxtpl's reparse of the whole document.
    Column tags (``{%tc %}``) and images are not supported here.
    """
    from docx.opc.exceptions import PackageNotFoundError
    from jinja2 import TemplateError
    from lxml import etree
    from markupsafe import escape

    try:
        parts = _compiled_parts(path)
        rendered = {name: t.render(ctx).replace("\n<w:p", "<w:p") for name, t in parts.items()}
        texts = []
        for name in sorted(rendered):
            root = etree.fromstring(rendered[name].encode("utf-8"))
            texts += [t.text or "" for t in root.iter(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t")]
        out = io.BytesIO()
        with zipfile.ZipFile(path) as zin, \
                zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
            for item in zin.infolist():
                if item.filename in rendered:
                    zout.writestr(item.filename, rendered[item.filename])
                elif item.filename == "docProps/core.xml":
                    core = zin.read(item.filename).decode("utf-8")
                    zout.writestr(item.filename, _TITLE.sub(
                        lambda _m: f"<dc:title>{escape(title)}</dc:title>", core, count=1))
                else:
                    zout.writestr(item, zin.read(item.filename))
    except etree.XMLSyntaxError as exc:
        raise TemplateInvalid(str(path), f"it renders to a Word document that is not valid "
                              f"XML (a tag in the wrong place?): {exc}") from None
    except (PackageNotFoundError, zipfile.BadZipFile, OSError, KeyError) as exc:
        raise TemplateInvalid(str(path), f"it cannot be opened as a Word document: {exc}") from None
    except (TemplateError, *TEMPLATE_FAULTS) as exc:
        raise TemplateInvalid(str(path), reason(exc, docx_text(path.read_bytes()), what)) from None
    return out.getvalue(), "".join(texts)
