"""Rendering a manager's early look as a Word document and an HTML page.

The services build a plain, JSON-ready context (below); this module lays it
out through two templates a person can edit: ``templates/early_look.docx``
(Word, with docxtpl tags; see docs/templates.md) and
``templates/early_look.html.j2``. A folder named by the setting
``SFO_TEMPLATE_DIR`` may hold local versions of either.

Both templates run in jinja2's sandbox (``ImmutableSandboxedEnvironment``:
no access to Python internals and no changing the context) with
autoescaping, and with undefined names an error: a mistyped tag, a template
that reaches for ``__class__`` and the like, or one that leaves out what every
early look must show, raises :class:`sfo.errors.TemplateInvalid` naming the
file and the reason. Values are data, never template code: a note that reads
``{{ 7*7 }}`` is printed as written.

Before rendering, the context is *prepared* (:func:`prepare`):

- A ``shared`` document loses every restricted working-context entry. The
  service filters too; this is the second line of defence. An entry counts as
  restricted unless its ``restricted`` is exactly ``False``, and a context
  without an ``audience`` is treated as ``shared``.
- Every string is cleaned (:func:`clean_text`): line ends and vertical
  tab/form feed become ``\\n`` (a line break in Word, ``white-space:
  pre-line`` in HTML); characters XML cannot hold (other C0 and C1 controls,
  lone surrogates, U+FFFE/U+FFFF) become U+FFFD, so the reader sees that
  something was there.
- Missing keys get their defaults (empty text, empty lists, ``False``;
  ``status`` defaults to ``draft``), ``None`` text becomes empty text, and
  "No case to answer" is put first among the options (added if missing).
- Three values for the templates are added: ``read_first`` (the fairness
  note), ``audience_note`` and ``is_draft``.

The context::

    {"status": "draft" | "final",
     "audience": "restricted" | "shared",    # restricted: manager, reviewer, HR only
     "title": "Early look",
     "generated": "1 December 2026",         # for a final: the day it was finalised
     "case": {"crn", "name", "pdu", "team", "sentence", "start", "as_of",
              "as_of_source",                 # "the charge (CNOC contact)", "given by the manager"
              "rosh", "registrations": [str], "practitioner"},
     "deadlines": [{"label", "due", "working_days_left": int | None, "overdue": bool}],
     "chronology": [{"date", "time", "category", "title", "detail", "record_id"}],
     "checklist": [{"id", "area", "question",
                    "answer_label",           # the answer shown (the manager's, else proposed)
                    "proposed_label",         # what the toolkit proposed from the record
                    "confirmed": bool,        # the manager has confirmed the answer
                    "override_reason",        # why the manager changed the proposal
                    "evidence": [str],        # record ids
                    "known": [str],           # what was recorded before the decision point
                    "summaries": [str]}],     # plain-English findings behind the proposal
     "gaps": [{"date", "rule_id", "summary", "evidence": [str]}],
     "good_practice": [{"date", "rule_id", "summary"}],
     "actions": [{"description", "owner_role", "due", "done": bool}],
     "working_context": [{"category", "text", "is_mitigation": bool, "restricted": bool,
                          "source"}],
     "working_context_considered": {"by", "at"} | None,
     "just_culture": [{"act",
                       "steps": [{"step", "question", "answer", "note"}],
                       "outcome_label",
                       "hr_advice": {"date", "adviser"} | None,
                       "wider_learning"}],
     "options": [str],                        # every outcome option, "No case to answer" first
     "recommendation": {"label", "rationale"} | None,
     "not_supplied": [str],                   # data the early look could not use
     "sign_off": {"name", "role", "date"} | None,
     "fingerprint": str | None}               # fingerprint_content(...) of a final

Every value not marked otherwise is a string, already formatted for people
(dates as "1 December 2026"). Extra keys are passed to the templates as they
are.

Fingerprints. A final document's footer shows :func:`fingerprint_content`:
the SHA-256 of the canonical JSON of what the document shows (the context
after the audience filter and cleaning, without the fingerprint field). The
content is fingerprinted, not the file, because a file cannot hold its own
hash, and because the same content rendered twice gives different bytes (a
.docx is a zip with timestamps): anyone holding the stored context can
recompute the footer's value. The bytes the service keeps are identified by
:func:`file_sha256`, recorded when the document is finalised. A final
context without a fingerprint gets one; one whose fingerprint does not match
its content is refused (``ValueError``), since the footer would be false.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sfo.documents import rendering
from sfo.documents.rendering import TEMPLATES as TEMPLATES
from sfo.documents.rendering import clean_text as clean_text
from sfo.documents.rendering import docx_text as docx_text
from sfo.documents.rendering import file_sha256 as file_sha256
from sfo.documents.rendering import template_path as template_path
from sfo.errors import TemplateInvalid

# TEMPLATES, clean_text, docx_text, file_sha256, template_path are re-exported
# above: callers and tests use them through this module.
_clean = rendering.clean
_environment = rendering.environment
_xml_text = rendering.xml_text
_TEMPLATE_FAULTS = rendering.TEMPLATE_FAULTS


def _reason(exc: Exception, source: str) -> str:
    return rendering.reason(exc, source, "the early look")

DOCX_TEMPLATE = "early_look.docx"
HTML_TEMPLATE = "early_look.html.j2"

NO_CASE_TO_ANSWER = "No case to answer"

READ_FIRST = (
    "This early look records what the case record showed at the time each decision was "
    "made, and the working context the practitioner was working in. It is not a finding "
    "about any individual, and the toolkit does not decide the outcome: every option, "
    "including no case to answer, stays open until the manager decides.")

AUDIENCE_NOTES = {
    "restricted": ("Restricted copy: it may include entries about personal circumstances. "
                   "For the manager, the reviewer and HR only; do not share it further."),
    "shared": ("Shared copy: entries about personal circumstances are restricted to the "
               "manager, the reviewer and HR and are never included in a shared copy, "
               "whether or not there are any."),
}

# Every key of the context with its default, and the defaults of each list's items.
_CASE = {"crn": "", "name": "", "pdu": "", "team": "", "sentence": "", "start": "",
         "as_of": "", "as_of_source": "", "rosh": "", "registrations": [],
         "practitioner": ""}
_ITEMS: dict[str, dict[str, Any]] = {
    "deadlines": {"label": "", "due": "", "working_days_left": None, "overdue": False},
    "chronology": {"date": "", "time": "", "category": "", "title": "", "detail": "",
                   "record_id": ""},
    "checklist": {"id": "", "area": "", "question": "", "answer_label": "",
                  "proposed_label": "", "confirmed": False, "override_reason": "",
                  "evidence": [], "known": [], "summaries": []},
    "gaps": {"date": "", "rule_id": "", "summary": "", "evidence": []},
    "good_practice": {"date": "", "rule_id": "", "summary": ""},
    "actions": {"description": "", "owner_role": "", "due": "", "done": False},
    "working_context": {"category": "", "text": "", "is_mitigation": False,
                        "restricted": True, "source": ""},
    "just_culture": {"act": "", "steps": [], "outcome_label": "", "hr_advice": None,
                     "wider_learning": ""},
}
_STEP = {"step": "", "question": "", "answer": "", "note": ""}
_OBJECTS = {"working_context_considered": {"by": "", "at": ""},
            "recommendation": {"label": "", "rationale": ""},
            "sign_off": {"name": "", "role": "", "date": ""}}
_TOP: dict[str, Any] = {"status": "draft", "audience": "shared", "title": "Early look",
                        "generated": "", "options": [], "not_supplied": [],
                        "fingerprint": None}

def _for_audience(context: Mapping[str, Any]) -> dict[str, Any]:
    """The context without restricted working-context entries, unless it is a restricted copy."""
    out = dict(context)
    if out.get("audience") != "restricted":
        out["working_context"] = [e for e in out.get("working_context") or []
                                  if isinstance(e, Mapping) and e.get("restricted") is False]
    return out


_filled = rendering.filled


def _options(options: list[Any]) -> list[str]:
    """The outcome options with "No case to answer" first (added if a caller left it out)."""
    texts = [str(o) for o in options]
    rest = [o for o in texts if o.strip().lower() != NO_CASE_TO_ANSWER.lower()]
    first = [o for o in texts if o.strip().lower() == NO_CASE_TO_ANSWER.lower()][:1]
    return (first or [NO_CASE_TO_ANSWER]) + rest


def prepare(context: Mapping[str, Any]) -> dict[str, Any]:
    """The context as the templates see it: filtered for its audience, cleaned and complete."""
    status = context.get("status") or "draft"
    audience = context.get("audience") or "shared"
    if status not in ("draft", "final"):
        raise ValueError(f"status must be 'draft' or 'final', not {status!r}")
    if audience not in AUDIENCE_NOTES:
        raise ValueError(f"audience must be 'restricted' or 'shared', not {audience!r}")
    given = {**context, "status": status, "audience": audience}
    ctx = _clean(_for_audience(given))
    ctx = _filled(ctx, _TOP)
    ctx["case"] = _filled(ctx.get("case"), _CASE)
    for key, defaults in _ITEMS.items():
        ctx[key] = [_filled(item, defaults) for item in ctx.get(key) or []]
    for act in ctx["just_culture"]:
        act["steps"] = [_filled(s, _STEP) for s in act["steps"]]
        if act["hr_advice"] is not None:
            act["hr_advice"] = _filled(act["hr_advice"], {"date": "", "adviser": ""})
    for key, defaults in _OBJECTS.items():
        ctx[key] = _filled(ctx[key], defaults) if ctx.get(key) else None
    ctx["options"] = _options(ctx["options"])
    ctx["read_first"] = READ_FIRST
    ctx["audience_note"] = AUDIENCE_NOTES[audience]
    ctx["is_draft"] = status == "draft"
    if status == "final":
        fingerprint = fingerprint_content(context)
        if context.get("fingerprint") and context["fingerprint"] != fingerprint:
            raise ValueError("the fingerprint in the context does not match its content: the "
                             "content has changed since it was fingerprinted")
        ctx["fingerprint"] = fingerprint
    return ctx


def fingerprint_content(context: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of what the document shows, without the fingerprint."""
    content = _clean(_for_audience({k: v for k, v in context.items() if k != "fingerprint"}))
    return rendering.content_sha256(content, "early-look")


def _required(ctx: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What every rendering must show, with the reason: an edited template may not drop it."""
    need = [(ctx["read_first"], "the 'Please read first' note ({{ read_first }})")]
    need += [(o, "every outcome option ({{ o }} in the options list)") for o in ctx["options"]]
    need += [(e["text"], "the working-context entries") for e in ctx["working_context"]]
    if ctx["is_draft"]:
        need.append(("DRAFT", "the draft banner"))
    else:
        need.append((ctx["fingerprint"], "the fingerprint ({{ fingerprint }} in the footer)"))
    return [(text, why) for text, why in need if text.strip()]


def _check_shown(shown: str, ctx: Mapping[str, Any], where: Path,
                 escape: Callable[[str], str] = str) -> None:
    squeezed = "".join(shown.split())
    missing = sorted({why for text, why in _required(ctx)
                      if "".join(escape(text).split()) not in squeezed})
    if missing:
        raise TemplateInvalid(str(where), "it leaves out " + "; ".join(missing) + ", which "
                              "every early look must show.")


def render_docx(context: Mapping[str, Any], *, template: Path | None = None) -> bytes:
    """The early look as a Word document (.docx bytes), from the sandboxed Word template."""
    from docx.opc.exceptions import PackageNotFoundError
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError

    ctx = prepare(context)
    path = template_path(DOCX_TEMPLATE, template)
    try:
        doc = DocxTemplate(str(path))
        doc.render(ctx, jinja_env=_environment(finalize=_xml_text), autoescape=True)
        doc.docx.core_properties.title = f"{ctx['title']} {ctx['case']['crn']}".strip()
        out = io.BytesIO()
        doc.save(out)
    except (PackageNotFoundError, zipfile.BadZipFile, OSError) as exc:
        raise TemplateInvalid(str(path), f"it cannot be opened as a Word document: {exc}") from None
    except (TemplateError, *_TEMPLATE_FAULTS) as exc:
        raise TemplateInvalid(str(path), _reason(exc, docx_text(path.read_bytes()))) from None
    data = out.getvalue()
    _check_shown(docx_text(data), ctx, path)
    return data


def render_html(context: Mapping[str, Any], *, template: Path | None = None) -> str:
    """The early look as a self-contained HTML page, from the sandboxed jinja2 template."""
    from markupsafe import escape

    ctx = prepare(context)
    path = template_path(HTML_TEMPLATE, template)
    page = rendering.render_html_template(path, ctx, "the early look")
    _check_shown(page, ctx, path, escape=lambda t: str(escape(t)))
    return page
