"""What every document renderer shares: cleaning, hashing, the sandbox and its errors.

Used by :mod:`sfo.documents.early_look` and :mod:`sfo.documents.review`.
Templates run in jinja2's ``ImmutableSandboxedEnvironment`` with
autoescaping and ``StrictUndefined``; what a template gets wrong is reported
as :class:`sfo.errors.TemplateInvalid` through :func:`reason`.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import re
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.parsers import expat

from markupsafe import Markup, escape

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

    loader = FileSystemLoader(str(loader_dir)) if loader_dir else None
    return _sandbox()(autoescape=True, undefined=StrictUndefined, finalize=finalize,
                      loader=loader)


# What ``getattr`` can find on a plain dict: the attributes of its type (a dict
# instance has no attributes of its own).
_DICT_ATTRIBUTES = frozenset(dir(dict))


@functools.cache
def _sandbox() -> Any:
    """``ImmutableSandboxedEnvironment``, with ``x.key`` on a plain dict found in one step.

    jinja2 looks ``x.key`` up as an attribute first and, for a dict, raises
    and catches an AttributeError before trying ``x["key"]``: once per value
    printed, about 7 ms of a 2,000-row chronology. Where the name is no
    attribute of a dict, the sandbox would return the item, so it is
    returned at once; anything else (a missing key, a dict method, any other
    object) goes through the sandbox's own lookup and checks.
    """
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class Sandbox(ImmutableSandboxedEnvironment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
                try:
                    return obj[attribute]
                except KeyError:
                    pass
            return super().getattr(obj, attribute)

    return Sandbox


def xml_text(value: Any) -> Any:
    """An expression's output escaped for XML, braces as character references.

    After rendering, docxtpl turns ``{_{`` into ``{{`` across the whole
    document (its way of printing tags literally); with braces written as
    ``&#123;``/``&#125;`` no value can be changed by that. One translation
    per value: long chronologies print tens of thousands of them.
    """
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
_PARTS = re.compile(r"word/(document|header\d*|footer\d*)\.xml")
_W_T = re.compile(r"<w:t(?:\s[^>]*)?(?<!/)>([^<]*)</w:t\s*>")
_W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_W_T_TAG = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"
_REFERENCE = re.compile(r"&(?:#([0-9]+)|#x([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_TITLE = re.compile(r"<dc:title>.*?</dc:title>|<dc:title/>", re.DOTALL)


def xml_text_breaks(value: Any) -> Any:
    """:func:`xml_text`, with each ``\\n`` a line break (the value is inside a ``w:t``)."""
    # Safe markup keeps its tags; anything else has & < > " ' escaped, as xml_text does.
    text = str(value.__html__()) if hasattr(value, "__html__") else str(escape(str(value)))
    if "{" in text or "}" in text:
        text = text.replace("{", "&#123;").replace("}", "&#125;")
    return Markup(text.replace("\n", _BREAK))


def _autoescaped_text_breaks(value: Any) -> Any:
    """:func:`xml_text_breaks` where autoescaping is on throughout the template.

    Text with no brace and no line end is most of what a long document
    prints; it goes back as it is, and autoescaping escapes it exactly as
    :func:`xml_text_breaks` would, without building markup twice. Never the
    finalizer of a template with an ``{% autoescape %}`` tag, which could
    turn the escaping off (see :func:`_compile_part`).
    """
    if type(value) is str and "{" not in value and "}" not in value and "\n" not in value:
        return value
    return xml_text_breaks(value)


@dataclass(frozen=True)
class _WordTemplate:
    """A Word template made ready to render: once per content, then shared."""

    parts: dict[str, Any]  # body, headers, footers: compiled jinja2 templates
    rest: bytes  # every other file of the template, as a zip compressed once
    core: str | None  # docProps/core.xml, which gets the document's title


# Word templates made ready, by the SHA-256 of the file's bytes: an edited template
# is a new key however soon it is saved after the last and whatever its size.
_CACHE_SIZE = 8
_cache: OrderedDict[bytes, _WordTemplate] = OrderedDict()
_cache_lock = threading.Lock()


def _compile_part(source: str) -> Any:
    """One part's XML, after docxtpl's patch, as a jinja2 template in the sandbox."""
    from jinja2 import TemplateSyntaxError, nodes

    # As docxtpl does: each paragraph on its own line, so that an error's line
    # number points to a few paragraphs' text; the line ends are taken out of
    # the template's own text again below, rather than out of every rendering.
    lined = re.sub(r"<w:p([ >])", r"\n<w:p\1", source)
    try:
        tree = environment().parse(lined)
        for data in tree.find_all(nodes.TemplateData):
            data.data = data.data.replace("\n<w:p", "<w:p")
        # {% autoescape %} can turn escaping off: then every value escapes itself.
        fixed = next(tree.find_all(nodes.EvalContextModifier), None) is None
        finalize = _autoescaped_text_breaks if fixed else xml_text_breaks
        return environment(finalize=finalize).from_string(tree)
    except TemplateSyntaxError as exc:
        line = max((exc.lineno or 1) - 4, 0)
        exc.docx_context = [re.sub(r"<[^>]+>", "", x)  # type: ignore[attr-defined]
                            for x in lined.splitlines()[line:line + 7]]
        raise


def _made_ready(data: bytes) -> _WordTemplate:
    """The Word template in ``data`` compiled, and the files that are copied zipped."""
    from docxtpl import DocxTemplate

    patcher = DocxTemplate(io.BytesIO(data))  # docxtpl's patch makes {%tr %} and the like plain
    parts: dict[str, Any] = {}
    core = None
    rest = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(rest, "w") as zout:
        for item in zin.infolist():
            if _PARTS.fullmatch(item.filename):
                parts[item.filename] = _compile_part(
                    patcher.patch_xml(zin.read(item).decode("utf-8")))
            elif item.filename == "docProps/core.xml":
                core = zin.read(item).decode("utf-8")
            else:
                zout.writestr(item, zin.read(item))
    return _WordTemplate(parts, rest.getvalue(), core)


def _word_template(path: Path) -> _WordTemplate:
    """The Word template at ``path`` made ready, from the cache when its bytes are known."""
    data = path.read_bytes()
    key = hashlib.sha256(data).digest()
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    made = _made_ready(data)  # outside the lock: one slow compile holds up no other render
    with _cache_lock:
        _cache[key] = made
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return made


def _reference(match: re.Match[str]) -> str:
    if match[1]:
        return chr(int(match[1]))
    if match[2]:
        return chr(int(match[2], 16))
    return _ENTITIES[match[3]]


def _shown_text(xml: str, data: bytes) -> str:
    """The text of a rendered part (its ``w:t`` elements); an error if it is not XML.

    Word writes parts with elements, attributes, text and references only,
    and ``w`` for its main namespace, declared on the root; then a regular
    expression reads the text (about 4 ms for a 2,000-row chronology, where
    lxml took 25 ms or more to build and walk the tree).
    Anything else (comments, CDATA, processing instructions, namespaces
    declared further in) is read by lxml.
    """
    # Well-formed, with every namespace prefix declared (Word refuses a part that uses an
    # undeclared one, which raw XML passed through |safe could), or ExpatError.
    expat.ParserCreate(namespace_separator=" ").Parse(data, True)
    root_end = xml.find(">", xml.find("?>") + 2) + 1  # the end of the root's start tag
    plain = ("<!" not in xml and xml.find("<?", 1) == -1
             and _W_NS in xml[:root_end] and xml.find("xmlns", root_end) == -1)
    if not plain:
        from lxml import etree

        return "".join(t.text or "" for t in etree.fromstring(data).iter(_W_T_TAG))
    text = "".join(_W_T.findall(xml))
    return _REFERENCE.sub(_reference, text) if "&" in text else text


def render_docx_parts(path: Path, ctx: Mapping[str, Any], what: str,
                      title: str) -> tuple[bytes, str]:
    """``ctx`` through the Word template at ``path``: the .docx bytes and all its text.

    The fast path for long documents: docxtpl's tag syntax (``{%tr %}`` and
    the rest, by its own patch step) rendered straight into the template's
    parts with the sandbox, without docxtpl's reparse of the whole document.
    A template is compiled once per content (and its unchanged files zipped
    once); rendered parts are checked to be well-formed XML. Column tags
    (``{%tc %}``) and images are not supported here.
    """
    from docx.opc.exceptions import PackageNotFoundError
    from jinja2 import TemplateError
    from lxml import etree

    try:
        template = _word_template(path)
        texts = []
        rendered = {}
        for name, part in sorted(template.parts.items()):
            xml = part.render(ctx)
            rendered[name] = xml.encode("utf-8")
            texts.append(_shown_text(xml, rendered[name]))
        out = io.BytesIO(template.rest)
        with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as zout:
            if template.core is not None:
                zout.writestr("docProps/core.xml", _TITLE.sub(
                    lambda _m: f"<dc:title>{escape(title)}</dc:title>", template.core, count=1))
            for name, data in rendered.items():
                zout.writestr(name, data)
    except (expat.ExpatError, etree.XMLSyntaxError) as exc:
        raise TemplateInvalid(str(path), f"it renders to a Word document that is not valid "
                              f"XML (a tag in the wrong place?): {exc}") from None
    except (PackageNotFoundError, zipfile.BadZipFile, OSError, KeyError) as exc:
        raise TemplateInvalid(str(path), f"it cannot be opened as a Word document: {exc}") from None
    except (TemplateError, *TEMPLATE_FAULTS) as exc:
        raise TemplateInvalid(str(path), reason(exc, docx_text(path.read_bytes()), what)) from None
    return out.getvalue(), "".join(texts)
