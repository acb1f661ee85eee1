"""Rendering an SFO review, and its summary for the victim's family, as Word and HTML.

The services build a plain, JSON-ready context (below); this module lays it
out through templates a person can edit: ``templates/review.docx`` and
``templates/review.html.j2`` for the review (read by the Inspectorate and
senior leaders), ``templates/family_summary.docx`` and
``templates/family_summary.html.j2`` for the family. ``SFO_TEMPLATE_DIR``
may hold local versions of any of them. The Word templates are written by
``python -m sfo.documents.build_templates``; the chronology is one template
row (``{%tr for e in chronology %}``) repeated by the template engine, so a
chronology of thousands of entries renders in about the time of one.

Templates run in the same sandbox as the early look
(:mod:`sfo.documents.rendering`): autoescaping, undefined names an error,
and what a template gets wrong raised as :class:`sfo.errors.TemplateInvalid`.
Every string is cleaned (:func:`~sfo.documents.rendering.clean_text`) and
missing keys get their defaults before rendering.

The context::

    {"status": "draft" | "final",
     "version": "3",
     "change_notes": [{"version", "note", "by", "date"}],
     "title": "SFO review",
     "generated": "1 December 2026",
     "audience": "restricted" | "shared" | "family",   # not restricted: restricted left out
     "case": {"crn", "name", "sentence", "start", "as_of", "risk_profile", "background",
              "pdu", "practitioner"},
     "chronology": [{"date", "time", "category", "title", "detail", "record_id",
                     "staff_code",
                     "sensitive": bool,            # never in the family summary
                     "family_title"}],             # optional: plain words for the family
     "episodes": [{"id", "title", "expected", "happened", "known_then": [str],
                   "why_it_made_sense", "good_practice", "evidence": [str]}],
     "analysis": {"assessment", "planning", "implementation_and_delivery", "reviewing",
                  "risk_management", "management_oversight"},      # text each
     "judgement": {"all_reasonable_steps": "Yes" | "Partly" | "No" | None, "reasons",
                   "by", "date"},
     "working_context": [{"category", "text", "is_mitigation": bool, "restricted": bool,
                          "source"}],
     "working_context_considered": {"by", "at", "statement"} | None,
     "restricted_left_out": int,                    # entries and factors not in this copy
     "factors": [{"code", "label", "description", "level", "seips", "london", "effect",
                  "scope", "known_at_the_time": bool | str | None,
                  "evidence": [{"text", "grade"}],
                  "restricted": bool}],              # never in the family summary
     "learning": {"individual", "team", "organisational", "system": [str]},
     "actions": [{"id", "description", "owner_role", "due", "status", "links": [str]}],
     "quality": [{"severity", "where", "message"}],
     "family_summary": "plain-English text for the family",
     "staff": [{"code", "name"}],                   # optional: names to keep out of it
     "sensitive_categories": [str], "sensitive_records": [str],    # optional
     "family_records": [str] | None,                # optional: the only rows the family sees
     "fingerprint": str | None}

Every value not marked otherwise is a string formatted for people. A final
review's footer shows :func:`fingerprint_content` (the SHA-256 of the
canonical JSON of the cleaned context without its fingerprint, as for the
early look); a final context whose fingerprint does not match is refused
(``ValueError``). :func:`file_sha256` identifies the rendered bytes.

The family summary (:func:`family_context`) is built from the same context
and holds only what the family may read: the summary text, the judgement,
the key events of the chronology (dates and titles: no notes, staff, record
ids or sensitive rows; only the rows in ``family_records`` when it is
given), the factors
that are not restricted (label and effect), organisational and system
learning and the actions. A chronology row counts as sensitive unless its
``sensitive`` is exactly ``False``, or if its category is in
``sensitive_categories`` or its record in ``sensitive_records``; a factor
counts as restricted unless its ``restricted`` is exactly ``False``. In
every text it keeps, each staff code of the chronology or of ``staff``,
each staff name in ``staff``, and anything shaped like a staff code
(``[A-Z]\\d{2}[A-Z0-9]{4}``, which a CRN also matches) becomes "the
practitioner". A final family summary is fingerprinted on its own content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sfo.documents import rendering

# Re-exported for callers of this module.
from sfo.documents.rendering import file_sha256 as file_sha256

REVIEW_DOCX = "review.docx"
REVIEW_HTML = "review.html.j2"
FAMILY_DOCX = "family_summary.docx"
FAMILY_HTML = "family_summary.html.j2"

ANALYSIS = (("assessment", "Assessment"), ("planning", "Planning"),
            ("implementation_and_delivery", "Implementation and delivery"),
            ("reviewing", "Reviewing"), ("risk_management", "Risk management"),
            ("management_oversight", "Management oversight"))
ANSWERS = ("Yes", "Partly", "No")
LEARNING = ("individual", "team", "organisational", "system")
PRACTITIONER = "the practitioner"
STAFF_CODE = re.compile(r"\b[A-Z]\d{2}[A-Z0-9]{4}\b")

READ_FIRST = (
    "This review looks at what was known and done at the time, from the case record and "
    "from the people involved. It explains why decisions made sense when they were made "
    "and what the service will learn; it is not a finding about any individual.")
FAMILY_READ_FIRST = (
    "This is a summary, in plain English, of an independent review of how the probation "
    "service managed the case. Staff are not named, and some details are left out to "
    "protect other people. If you would like to talk about it, please contact your "
    "family liaison officer or victim liaison officer.")

_CASE = {"crn": "", "name": "", "sentence": "", "start": "", "as_of": "", "risk_profile": "",
         "background": "", "pdu": "", "practitioner": ""}
_ITEMS: dict[str, dict[str, Any]] = {
    "change_notes": {"version": "", "note": "", "by": "", "date": ""},
    "chronology": {"date": "", "time": "", "category": "", "title": "", "detail": "",
                   "record_id": "", "staff_code": "", "sensitive": True,
                   "family_title": ""},
    "episodes": {"id": "", "title": "", "expected": "", "happened": "", "known_then": [],
                 "why_it_made_sense": "", "good_practice": "", "evidence": []},
    "factors": {"code": "", "label": "", "description": "", "level": "", "seips": "",
                "london": "",
                "effect": "", "scope": "", "known_at_the_time": None, "evidence": [],
                "restricted": True},
    "actions": {"id": "", "description": "", "owner_role": "", "due": "", "status": "",
                "links": []},
    "quality": {"severity": "", "where": "", "message": ""},
    "working_context": {"category": "", "text": "", "is_mitigation": False,
                        "restricted": True, "source": ""},
}
_TOP: dict[str, Any] = {"status": "draft", "version": "1", "title": "SFO review",
                        "audience": "restricted", "generated": "", "family_summary": "",
                        "fingerprint": None, "staff": [], "sensitive_categories": [],
                        "sensitive_records": [], "restricted_left_out": 0}


_filled = rendering.filled


def _status(context: Mapping[str, Any]) -> str:
    status = context.get("status") or "draft"
    if status not in ("draft", "final"):
        raise ValueError(f"status must be 'draft' or 'final', not {status!r}")
    return str(status)


def _complete(context: Mapping[str, Any]) -> dict[str, Any]:
    """The context cleaned, with every key present."""
    ctx = _filled(rendering.clean({**context, "status": _status(context)}), _TOP)
    ctx["version"] = str(ctx["version"])
    ctx["case"] = _filled(ctx.get("case"), _CASE)
    for key, defaults in _ITEMS.items():
        ctx[key] = [_filled(item, defaults) for item in ctx.get(key) or []]
    ctx["analysis"] = _filled(ctx.get("analysis"), {k: "" for k, _ in ANALYSIS})
    ctx["judgement"] = _filled(ctx.get("judgement"),
                               {"all_reasonable_steps": None, "reasons": "", "by": "",
                                "date": ""})
    considered = ctx.get("working_context_considered")
    ctx["working_context_considered"] = None if considered is None else _filled(
        considered, {"by": "", "at": "", "statement": ""})
    if ctx["audience"] not in ("restricted", "shared", "family"):
        raise ValueError("audience must be 'restricted', 'shared' or 'family', not "
                         f"{ctx['audience']!r}")
    answer = ctx["judgement"]["all_reasonable_steps"]
    if answer is not None and answer not in ANSWERS:
        raise ValueError(f"judgement.all_reasonable_steps must be one of {ANSWERS} or None, "
                         f"not {answer!r}")
    ctx["learning"] = _filled(ctx.get("learning"), {k: [] for k in LEARNING})
    for f in ctx["factors"]:
        f["evidence"] = [_filled(e, {"text": "", "grade": ""}) for e in f["evidence"]]
    ctx["staff"] = [_filled(s, {"code": "", "name": ""}) for s in ctx["staff"]]
    return ctx


def _detail_line(detail: str) -> str:
    return f"\n{detail}" if detail else ""


def _known(value: Any) -> str:
    if isinstance(value, str) and value:
        return value            # already worded ("Known only afterwards")
    return {True: "yes", False: "no"}.get(value, "not known")


def _finalised(ctx: dict[str, Any], content: Mapping[str, Any]) -> None:
    """Set ``is_draft`` and, for a final, the fingerprint (refusing a false one)."""
    ctx["is_draft"] = ctx["status"] == "draft"
    if not ctx["is_draft"]:
        fingerprint = rendering.content_sha256(
            rendering.clean({k: v for k, v in content.items() if k != "fingerprint"}),
            "review")
        given = content.get("fingerprint")
        if given and given != fingerprint:
            raise ValueError("the fingerprint in the context does not match its content: the "
                             "content has changed since it was fingerprinted")
        ctx["fingerprint"] = fingerprint


def fingerprint_content(context: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the review's content, without the fingerprint."""
    content = rendering.clean({k: v for k, v in context.items() if k != "fingerprint"})
    return rendering.content_sha256(content, "review")


def prepare(context: Mapping[str, Any]) -> dict[str, Any]:
    """The review context as its templates see it: cleaned, complete, with display values."""
    ctx = _complete(context)
    for e in ctx["chronology"]:
        e["when"] = f"{e['date']}\n{e['time']}" if e["time"] else e["date"]
        e["detail_line"] = _detail_line(e["detail"])
    for f in ctx["factors"]:
        f["frameworks"] = "; ".join(f"{name}: {f[key]}" for key, name in
                                    (("seips", "SEIPS"), ("london", "London Protocol"))
                                    if f[key])
        f["known_label"] = _known(f["known_at_the_time"])
        f["evidence_text"] = "\n".join(f"{e['text']} ({e['grade']})" if e["grade"]
                                       else e["text"] for e in f["evidence"])
        f["restricted_label"] = ("Restricted: not in the family summary"
                                 if f["restricted"] is not False else "")
    ctx["analysis_sections"] = [{"key": key, "heading": heading, "text": ctx["analysis"][key]}
                                for key, heading in ANALYSIS]
    ctx["read_first"] = READ_FIRST
    _finalised(ctx, context)
    return ctx


def _practitioner(match: re.Match[str]) -> str:
    """ "the practitioner", capitalised at the start of a sentence."""
    before = match.string[:match.start()].rstrip(" ")
    return PRACTITIONER.capitalize() if not before or before[-1] in ".!?\n" else PRACTITIONER


_TWICE = re.compile(r"\b([Tt]he practitioner)\s*\(\s*the practitioner\s*\)")


def _redactor(ctx: Mapping[str, Any]) -> Any:
    """A function replacing every staff code and name in a text with "the practitioner"."""
    literal = {e["staff_code"] for e in ctx["chronology"]}
    literal |= {s[k] for s in ctx["staff"] for k in ("code", "name")}
    words = sorted((w for w in literal if w.strip()), key=len, reverse=True)
    pattern = (re.compile("|".join([r"(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w)",
                                    STAFF_CODE.pattern]))
               if words else STAFF_CODE)

    def redact(value: Any) -> Any:
        if isinstance(value, str):
            # "N07A726 (Jo Smith)" names one person twice: say "the practitioner" once.
            return _TWICE.sub(r"\1", pattern.sub(_practitioner, value))
        if isinstance(value, Mapping):
            return {k: redact(v) for k, v in value.items()}
        if isinstance(value, list):
            return [redact(v) for v in value]
        return value

    return redact


def _shown_rows(ctx: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    categories = set(ctx["sensitive_categories"])
    records = set(ctx["sensitive_records"])
    only = ctx.get("family_records")
    wanted = None if only is None else set(only)
    for e in ctx["chronology"]:
        if (e["sensitive"] is False and e["category"] not in categories
                and e["record_id"] not in records
                and (wanted is None or e["record_id"] in wanted)):
            yield e


def family_context(context: Mapping[str, Any]) -> dict[str, Any]:
    """What the family summary may show: no staff, restricted factors or sensitive rows."""
    ctx = _complete(context)
    redact = _redactor(ctx)
    content = {
        "status": ctx["status"], "version": ctx["version"], "generated": ctx["generated"],
        "title": context.get("family_title") or "Summary of the review for the family",
        "family_summary": ctx["family_summary"],
        "judgement": ctx["judgement"],
        # Dates and titles only: a contact's notes speak of other people.
        "chronology": [{"date": e["date"], "title": e["family_title"] or e["title"]}
                       for e in _shown_rows(ctx)],
        "factors": [{"label": f["label"], "effect": f["effect"]} for f in ctx["factors"]
                    if f["restricted"] is False],
        "learning": {k: ctx["learning"][k] for k in ("organisational", "system")},
        "actions": [{k: a[k] for k in ("description", "owner_role", "due", "status")}
                    for a in ctx["actions"]],
    }
    out: dict[str, Any] = redact(content)
    # The family summary is fingerprinted on what it shows, never on the review.
    _finalised(out, dict(out))
    out["read_first"] = FAMILY_READ_FIRST
    out.setdefault("fingerprint", None)
    return out


def _required(ctx: Mapping[str, Any], *, review: bool) -> list[tuple[str, str]]:
    need = [(ctx["read_first"], "the 'Please read first' note ({{ read_first }})")]
    if review:
        need += [(heading, "every analysis heading") for _, heading in ANALYSIS]
        need.append(("Were all reasonable steps taken", "the judgement"))
        need.append(("Working context", "the working context section"))
    if ctx["is_draft"]:
        need.append(("DRAFT", "the draft banner"))
    else:
        need.append((ctx["fingerprint"], "the fingerprint ({{ fingerprint }} in the footer)"))
    return need


def _docx(ctx: dict[str, Any], name: str, template: Path | None, *, review: bool,
          what: str, title: str) -> bytes:
    path = rendering.template_path(name, template)
    data, text = rendering.render_docx_parts(path, ctx, what, title)
    rendering.check_shown(text, _required(ctx, review=review), path, what.removeprefix("the "))
    return data


def _html(ctx: dict[str, Any], name: str, template: Path | None, *, review: bool,
          what: str) -> str:
    from markupsafe import escape

    path = rendering.template_path(name, template)
    page = rendering.render_html_template(path, ctx, what)
    rendering.check_shown(page, _required(ctx, review=review), path, what.removeprefix("the "),
                          escape=lambda t: str(escape(t)))
    return page


def render_review_docx(context: Mapping[str, Any], *, template: Path | None = None) -> bytes:
    """The SFO review as a Word document (.docx bytes), from the sandboxed Word template."""
    ctx = prepare(context)
    return _docx(ctx, REVIEW_DOCX, template, review=True, what="the SFO review",
                 title=f"{ctx['title']} {ctx['case']['crn']}".strip())


def render_review_html(context: Mapping[str, Any], *, template: Path | None = None) -> str:
    """The SFO review as a self-contained HTML page, from the sandboxed jinja2 template."""
    return _html(prepare(context), REVIEW_HTML, template, review=True, what="the SFO review")


def render_family_docx(context: Mapping[str, Any], *, template: Path | None = None) -> bytes:
    """The family summary of an SFO review as a Word document (.docx bytes)."""
    ctx = family_context(context)
    return _docx(ctx, FAMILY_DOCX, template, review=False, what="the family summary",
                 title=ctx["title"])


def render_family_html(context: Mapping[str, Any], *, template: Path | None = None) -> str:
    """The family summary of an SFO review as a self-contained HTML page."""
    return _html(family_context(context), FAMILY_HTML, template, review=False,
                 what="the family summary")
