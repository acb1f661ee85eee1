"""SFO reviews: start one from the evidence, keep it, finalise it, and lay out its documents.

The verbs the CLI (``sfo review ...``) and the app share. The domain
(:mod:`sfo.domain.review`, :mod:`sfo.domain.quality`) holds and checks the
review; this module gathers what it needs (records, findings, the early look
and its working context), builds each document's view (a plain context for
:mod:`sfo.documents.review`) and keeps stored reviews: versioned saves that
refuse a stale edit, finalising that stores the documents as issued with
their fingerprints, and reopening as a new version with a change note.

Audiences. ``restricted`` is the full review, for the manager, the reviewer
and HR: it holds restricted working-context entries and factors (personal
circumstances). ``shared`` is the same review without them, for the
Inspectorate and senior leaders. ``family`` is the plain-English summary for
the victim's family (see :func:`sfo.documents.review.family_context`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sfo import bootstrap
from sfo.documents import pdf
from sfo.documents import review as render
from sfo.domain import access
from sfo.domain import context as ctx
from sfo.domain import early_look as el
from sfo.domain import factors as fc
from sfo.domain import quality as qc
from sfo.domain import review as rv
from sfo.domain import timeline as tl
from sfo.domain.access import Actor
from sfo.domain.findings import CaseFindings
from sfo.domain.records import CaseRecords
from sfo.domain.rulepack import RulePack
from sfo.errors import InputError, NotFound
from sfo.services import analysis
from sfo.services import early_look as looks

AUDIENCES = ("restricted", "shared", "family")
FORMATS = ("docx", "html", "pdf")
# Chronology categories a family summary leaves out: they hold other people's
# information (police call-outs, children's services, MAPPA and MARAC), or codes
# this toolkit does not know and so cannot vouch for.
FAMILY_HIDDEN_CATEGORIES = ("police", "safeguarding", "mappa/marac", "other",
                            "working context", "registration")
# What a family reads for each kind of entry: plain words, no codes or jargon.
_FAMILY_CODES = {
    **dict.fromkeys(("COAI", "COAP", "C084", "C444"), "Appointment with the probation service"),
    **dict.fromkeys(("COHV", "CHVS", "IOHV"), "Home visit by the probation service"),
    **dict.fromkeys(("COTI", "COPT"), "Telephone appointment with the probation service"),
    "COVC": "Video appointment with the probation service",
    "ECOM": "The order started", "EREL": "Released from prison", "ETER": "The order ended",
    "ROC": "A new probation practitioner took over the case",
    "CNOC": "Charged with a new offence",
    "C004": "Risk assessment completed", "C057": "Sentence plan written",
    "CSPR": "Sentence plan reviewed",
    **dict.fromkeys(("AWLI", "AWL2", "AWLF", "AWLS"), "Warning letter sent"),
    **dict.fromkeys(("AIBR", "ABRQ"), "Breach or recall action started"),
    "ARWS": "Enforcement reviewed",
    **dict.fromkeys(("C286", "RECDI", "MRD01", "C421", "SPOD02"), "Recall to prison considered"),
    **dict.fromkeys(("C041", "RECI", "C288", "PPCS"), "Recall to prison requested"),
    "ERCL": "Returned to prison",
}
_FAMILY_CATEGORIES = {"appointment": "Appointment with the probation service",
                      "oversight": "A manager reviewed the case",
                      "assessment": "Risk assessment", "enforcement": "Enforcement action",
                      "recall": "Recall to prison considered",
                      "lifecycle": "A change in the case", "sentence": "Sentence"}
_FAMILY_OUTCOMES = {
    "ATTC": "attended", "AFTC": "attended but did not comply",
    "ATSH": "sent home because of behaviour", "UAAB": "missed without an acceptable reason",
    "AFTA": "missed", "CO05": "missed with an acceptable reason", "RSSR": "rescheduled",
    "RSOF": "rescheduled"}
_ANSWER = {"yes": "Yes", "partly": "Partly", "no": "No"}

def _require_audience(actor: Actor | str, audience: str) -> None:
    """Refuse the restricted copy to a role that may not see restricted entries."""
    from sfo.errors import PermissionDenied

    access.require(actor, "review.view")
    if audience == "restricted" and not access.can_see_restricted(actor):
        raise PermissionDenied("The restricted copy holds personal circumstances, which only "
                               "the manager, the reviewer and HR may see; take the shared "
                               "copy instead.")


_day = analysis.long_date
_engine = bootstrap.engine_for


@dataclass(frozen=True)
class Prepared:
    """A review with the evidence its documents need."""

    state: rv.ReviewState
    records: CaseRecords
    case: CaseFindings


def _period_start(records: CaseRecords, crn: str, as_of: date) -> date:
    return looks._period_start(records, crn, as_of)


def risk_profile_text(records: CaseRecords, crn: str, as_of: date) -> str:
    """The risk profile as the record stood on ``as_of``, in words (for the reviewer to edit)."""
    s = analysis.case_summary(records, crn, as_of)
    parts = [f"On {s['as_of']} the latest risk of serious harm assessment was {s['rosh']}."]
    parts.append("Active registrations: " + (", ".join(s["registrations"]) or "none") + ".")
    if s["practitioner"]:
        parts.append(f"The case was held by {s['practitioner']}.")
    return " ".join(parts)


def prepare(records: CaseRecords, *, crn: str, as_of: date | None = None,
            pack: RulePack | None = None, early_look: el.EarlyLookState | None = None,
            today: date | None = None) -> Prepared:
    """Start a review of one person from imported records (nothing is saved).

    With an early look, the review starts from its date and carries its
    working context (the manager's entries included); otherwise the working
    context is proposed from the records.
    """
    if early_look is not None:
        if early_look.crn != crn:
            raise InputError(f"The early look is for {early_look.crn}, not {crn}.")
        as_of = as_of or early_look.as_of
    report = analysis.findings_for(records, crn=crn, as_of=as_of, pack=pack, today=today)
    (case,) = report.cases
    subset = records.for_people([crn])
    entries: tuple[ctx.ContextEntry, ...] = ()
    if early_look is None:
        entries = ctx.prefill_working_context(
            subset, case, start=_period_start(subset, crn, case.as_of), end=case.as_of)
    state = rv.start(case, early_look=early_look, context=entries)
    state = rv.set_background(state, risk_profile=risk_profile_text(subset, crn, case.as_of))
    return Prepared(state, subset, case)


def _reprepare(state: rv.ReviewState, records: CaseRecords,
               today: date | None = None) -> Prepared:
    """The evidence for a saved review, as of its date."""
    report = analysis.findings_for(records, crn=state.crn, as_of=state.as_of, today=today)
    (case,) = report.cases
    return Prepared(state, records.for_people([state.crn]), case)


# -- the documents' view ---------------------------------------------------------------------

def family_title(source: str, category: str, code: str, outcome: str, title: str) -> str:
    """What a chronology entry says in the family summary: plain words, no codes.

    "" for an entry the family summary leaves out (a new registration: the
    flags themselves are not listed for the family).
    """
    if code == "ERGN":
        return ""
    if source == "event":
        return {"release": "Released from prison: supervision on licence began",
                "terminated": "The order or licence ended"}.get(code, title)
    if source == "assessment":
        return ("Risk assessment completed" if title.endswith(" completed")
                else "Risk assessment started")
    if source == "allocation":
        return ("No probation practitioner was allocated" if title.startswith("Unallocated")
                else "A probation practitioner was allocated")
    words = _FAMILY_CODES.get(code) or _FAMILY_CATEGORIES.get(category, "Entry in the record")
    if category == "appointment":
        said = _FAMILY_OUTCOMES.get(outcome) or (
            "missed with an acceptable reason" if outcome.startswith("AA") else "")
        words += f": {said}" if said else ""
    return words


def _chronology(p: Prepared) -> list[dict[str, Any]]:
    """Every entry recorded up to the as-of date, but the working context (its own section)."""
    frame = tl.known_on(tl.build_timeline(p.records, [p.state.crn]), p.state.as_of)
    frame = frame[frame["category"] != "working context"]
    dates = {d: _day(d) for d in frame["date"].unique()}
    contacts = p.records.table("contacts")
    outcomes = dict(zip(contacts["record_id"], contacts["outcome_code"].fillna(""),
                        strict=True))
    out = []
    for row in zip(frame["date"], frame["time"], frame["source"], frame["category"],
                   frame["code"], frame["title"], frame["detail"], frame["record_id"],
                   frame["staff_code"], frame["sensitive"], strict=True):
        d, time, source, category, code, title, detail, record_id, staff, sensitive = row
        outcome = str(outcomes.get(record_id, "")) if source == "contact" else ""
        out.append({"date": dates[d], "time": _text(time), "category": _text(category),
                    "title": _text(title), "detail": _text(detail),
                    "record_id": _text(record_id), "staff_code": _text(staff),
                    "sensitive": bool(sensitive),
                    "family_title": family_title(_text(source), _text(category), _text(code),
                                                 outcome, _text(title))})
    return out


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def _episodes(state: rv.ReviewState) -> list[dict[str, Any]]:
    out = []
    for e in state.episodes:
        title = rv.EPISODE_KINDS[e.kind]
        if e.rule_id:
            title += f" ({e.rule_id})"
        if e.decision_date:
            title += f", {_day(e.decision_date)}"
        out.append({"id": e.episode_id, "title": title, "expected": e.expected,
                    "happened": e.what_happened, "known_then": list(e.known_then),
                    "why_it_made_sense": e.why_it_made_sense,
                    "good_practice": e.good_practice,
                    "evidence": sorted({r for n in e.evidence for r in n.records})})
    return out


def _factors(state: rv.ReviewState, audience: str) -> list[dict[str, Any]]:
    out = []
    for f in state.factors:
        if f.restricted and audience != "restricted":
            continue
        kind = f.kind
        label = kind.title
        if f.variant:
            label += f" ({fc.PARTNER_VARIANTS[f.variant]})"
        out.append({"code": f.code, "label": label, "description": f.description,
                    "level": fc.LEVELS[kind.level], "seips": fc.SEIPS[kind.seips],
                    "london": fc.LONDON_PROTOCOL[kind.london],
                    "effect": fc.EFFECTS[f.effect],
                    "scope": fc.SCOPES.get(f.scope or "", "Not yet said"),
                    "known_at_the_time": (fc.KNOWN[f.known_at_the_time]
                                          if f.known_at_the_time else None),
                    "evidence": [{"text": n.text, "grade": n.grade} for n in f.evidence],
                    "restricted": f.restricted})
    return out


def _staff(records: CaseRecords) -> list[dict[str, str]]:
    staff = records.table("staff")
    names = staff["name"] if "name" in staff else pd.Series([""] * len(staff))
    return [{"code": str(code), "name": _text(name)}
            for code, name in zip(staff["staff_code"], names, strict=True)]


def view(p: Prepared, *, audience: str = "restricted", status: str = "draft",
         today: date | None = None) -> dict[str, Any]:
    """The review documents' context (see :mod:`sfo.documents.review`).

    ``audience`` restricted keeps restricted entries and factors; shared and
    family leave them out (the family summary is then drawn from this view).
    """
    if audience not in AUDIENCES:
        raise InputError(f"'{audience}' is not an audience; use restricted (manager, reviewer "
                         "and HR), shared (the review without restricted entries) or family "
                         "(the summary for the victim's family).")
    s = p.state
    today = today or date.today()
    summary = analysis.case_summary(p.records, s.crn, s.as_of)
    entries = s.context if audience == "restricted" else ctx.shareable(s.context)
    hidden_factors = sum(1 for f in s.factors if f.restricted) if audience != "restricted" else 0
    hidden_entries = len(s.context) - len(entries)
    learning: dict[str, list[str]] = {level: [] for level in fc.LEVELS}
    for item in s.learning:
        learning[item.level].append(item.text)
    chronology = _chronology(p)
    cited = {r for e in s.episodes for n in e.evidence for r in n.records}
    return {
        "status": status, "audience": audience, "version": str(s.version),
        "change_notes": [{"version": str(c.version), "note": c.note, "by": c.by,
                          "date": _day(c.at)} for c in s.change_notes],
        "title": "SFO review", "generated": _day(today),
        "case": {"crn": s.crn, "name": summary["name"], "sentence": summary["sentence"],
                 "start": summary["start"], "as_of": _day(s.as_of),
                 "risk_profile": s.risk_profile, "background": s.background,
                 "practitioner": summary["practitioner"], "pdu": summary["pdu"]},
        "chronology": chronology,
        "episodes": _episodes(s),
        "analysis": {h: s.analysis_of(h) for h in rv.HEADINGS},
        "judgement": {"all_reasonable_steps": (_ANSWER[s.judgement.all_reasonable_steps]
                                               if s.judgement else None),
                      "reasons": s.judgement.reasons if s.judgement else "",
                      "by": s.judgement.by if s.judgement else "",
                      "date": _day(s.judgement.at) if s.judgement else ""},
        "factors": _factors(s, audience),
        "restricted_left_out": hidden_factors + hidden_entries,
        "learning": learning,
        "actions": [{"id": a.action_id, "description": a.description,
                     "owner_role": a.owner_role, "due": _day(a.due),
                     "status": rv.ACTION_STATUSES[a.status], "links": list(a.links)}
                    for a in s.actions],
        "quality": [{"severity": i.severity, "where": i.where,
                     "message": f"{i.message} {i.suggestion}".strip()}
                    for i in qc.check(s)],
        "working_context": [{"category": e.category, "text": e.text,
                             "is_mitigation": e.is_mitigation, "restricted": e.restricted,
                             "source": e.source} for e in entries],
        "working_context_considered": None if s.context_considered is None else {
            "by": s.context_considered.by, "at": _day(s.context_considered.at),
            "statement": s.context_statement},
        "family_summary": s.family_summary,
        "staff": _staff(p.records),
        "sensitive_categories": list(FAMILY_HIDDEN_CATEGORIES),
        "family_records": sorted(e["record_id"] for e in chronology if e["family_title"] and (
            e["record_id"] in cited or e["category"] in ("sentence", "lifecycle"))),
        "fingerprint": None,
    }


# -- rendering -------------------------------------------------------------------------------

def render_bytes(context: dict[str, Any], *, audience: str, fmt: str) -> bytes:
    """One document from a view: the review (restricted or shared) or the family summary."""
    if fmt not in FORMATS:
        raise InputError(f"'{fmt}' is not a format; use docx, html or pdf.")
    if fmt == "pdf":
        name = "family-summary" if audience == "family" else "sfo-review"
        return pdf.to_pdf(render_bytes(context, audience=audience, fmt="docx"), name=name)
    if audience == "family":
        return (render.render_family_docx(context) if fmt == "docx"
                else render.render_family_html(context).encode("utf-8"))
    return (render.render_review_docx(context) if fmt == "docx"
            else render.render_review_html(context).encode("utf-8"))


def _final_context(context: dict[str, Any], audience: str) -> dict[str, Any]:
    """The view with its fingerprint set (the family summary's is over what it shows)."""
    final = dict(context)
    if audience == "family":
        final["fingerprint"] = render.family_context(final)["fingerprint"]
    else:
        final["fingerprint"] = render.fingerprint_content(final)
    return final


def _write(out: Path, data: bytes) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)
    return out


def write_draft(bundle: Path, *, crn: str, out: Path, as_of: date | None = None,
                rules: Path | None = None, mapping: Path | None = None,
                audience: str = "restricted", make_pdf: bool = False,
                family_out: Path | None = None,
                today: date | None = None) -> tuple[list[Path], Prepared]:
    """`sfo review draft`: a draft review from the evidence alone (Word and HTML, PDF if asked)."""
    if out.suffix.lower() != ".docx":
        raise InputError(f"--out {out}: the review is a Word file; name it FILE.docx.")
    if family_out is not None and family_out.suffix.lower() != ".docx":
        raise InputError(f"--family-out {family_out}: the family summary is a Word file; "
                         "name it FILE.docx.")
    if audience == "family":
        raise InputError("Use --family-out for the family summary; --audience is restricted "
                         "or shared.")
    pack = analysis.rule_pack(rules)
    records = analysis.load(bundle, mapping=mapping)
    p = prepare(records, crn=crn, as_of=as_of, pack=pack, today=today)
    context = view(p, audience=audience, status="draft", today=today)
    docx = render_bytes(context, audience=audience, fmt="docx")
    written = [_write(out, docx),
               _write(out.with_suffix(".html"),
                      render_bytes(context, audience=audience, fmt="html"))]
    if make_pdf:
        written.append(_write(out.with_suffix(".pdf"), pdf.to_pdf(docx, name=out.stem)))
    if family_out is not None:
        family = view(p, audience="family", status="draft", today=today)
        written += [_write(family_out, render_bytes(family, audience="family", fmt="docx")),
                    _write(family_out.with_suffix(".html"),
                           render_bytes(family, audience="family", fmt="html"))]
    return written, p


# -- stored reviews --------------------------------------------------------------------------

@dataclass(frozen=True)
class Opened:
    """A stored review as opened: its state and the lock version a save must name."""

    id: int
    version: int                  # the lock version (each save); state.version is the review's
    status: str                   # draft | final
    state: rv.ReviewState
    fingerprint: str | None
    updated_by: str


def _opened(obj: Any) -> Opened:
    return Opened(obj.id, obj.version, obj.status, rv.ReviewState.from_dict(obj.content),
                  obj.fingerprint, obj.updated_by)


def _latest_early_look(crn: str, url: str | None, actor: Actor | str) -> el.EarlyLookState | None:
    """The newest early look on the person, final ones first (None if there is none)."""
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        found = uow.early_looks.list_for_crn(crn)
    if not found:
        return None
    best = max(found, key=lambda o: (o.status == "final", o.id or 0))
    return el.EarlyLookState.from_dict(best.content)


def start_stored(*, crn: str, actor: Actor | str, url: str | None = None, as_of: date | None = None,
                 early_look_id: int | None = None, today: date | None = None) -> Opened:
    """Start a review of a stored case and save it as a draft (audited).

    The early look named (else the person's newest, a final one first) gives
    the review its date and working context; without any, the working context
    is proposed from the stored records.
    """
    access.require(actor, "review.edit")
    from sfo.domain import casework
    from sfo.services import audit
    from sfo.services import records as stored
    from sfo.store import schema

    if early_look_id is not None:
        look: el.EarlyLookState | None = looks.open_stored(
            early_look_id, actor=actor, url=url).state
        assert look is not None
        if look.crn != crn:
            raise InputError(f"Early look {early_look_id} is about {look.crn}, not {crn}.")
    else:
        look = _latest_early_look(crn, url, actor)
    records = stored.load_stored(url, crns=[crn], actor=actor)
    p = prepare(records, crn=crn, as_of=as_of, early_look=look, today=today)
    with _engine(url) as engine:
        schema.check(engine)
        with bootstrap.unit_of_work(engine) as uow:
            obj = uow.reviews.add(casework.Review(crn=crn, as_of=p.state.as_of,
                                                  content=p.state.to_dict()),
                                  actor=access.name_of(actor))
            source = " from the early look" if look is not None else ""
            audit.record(uow, actor=actor, action="create", object_type="review",
                         object_id=str(obj.id), crn=crn,
                         summary=f"started an SFO review as of {p.state.as_of}{source}")
            uow.commit()
    return _opened(obj)


def open_stored(review_id: int, *, actor: Actor | str, url: str | None = None) -> Opened:
    """Open a stored review (the look is audited).

    Someone whose role may not see restricted entries gets the review without
    them (restricted factors and working-context entries), and cannot save it.
    """
    from sfo.services import audit
    from sfo.services import records as stored

    access.require(actor, "review.view")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        obj = uow.reviews.get(review_id)
        stored.check_case_access(actor, obj.crn, uow)
        audit.record(uow, actor=actor, action="view", object_type="review",
                     object_id=str(review_id), crn=obj.crn, summary="opened the review")
        uow.commit()
    return _visible(_opened(obj), actor)


def list_stored(*, crn: str, actor: Actor | str, url: str | None = None) -> list[Opened]:
    """Every review of one person, oldest first (the listing is audited).

    As with :func:`open_stored`, a role that may not see restricted entries gets
    each review without them.
    """
    from sfo.services import audit
    from sfo.services import records as stored

    access.require(actor, "review.view")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        stored.check_case_access(actor, crn, uow)
        found = uow.reviews.list_for_crn(crn)
        audit.record(uow, actor=actor, action="view", object_type="review", object_id="*",
                     crn=crn, summary=f"listed {len(found)} review(s)")
        uow.commit()
    return [_visible(_opened(o), actor) for o in found]


def _visible(opened: Opened, actor: Actor | str) -> Opened:
    """The review as the actor may see it: without restricted entries unless they may."""
    if access.can_see_restricted(actor):
        return opened
    s = opened.state
    return replace(opened, state=replace(
        s, context=ctx.shareable(s.context),
        factors=tuple(f for f in s.factors if not f.restricted)))


def save_stored(review_id: int, state: rv.ReviewState, *, expected_version: int,
                actor: Actor | str, url: str | None = None, note: str = "") -> Opened:
    """Save a changed draft; ConflictError if someone saved since ``expected_version``."""
    access.require(actor, "review.edit")
    from sfo.services import audit

    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        current = uow.reviews.get(review_id)
        if current.status == "final":
            raise InputError(f"Review {review_id} is final (version "
                             f"{current.content.get('version')}); reopen it with a note to "
                             "change it.")
        if state.crn != current.crn:
            raise InputError(f"That review is for {state.crn}, not {current.crn}.")
        saved = uow.reviews.save(replace(current, content=state.to_dict()),
                                 expected_version=expected_version, actor=access.name_of(actor))
        audit.record(uow, actor=actor, action="update", object_type="review",
                     object_id=str(review_id), crn=current.crn,
                     summary=note or f"saved (lock version {saved.version})")
        uow.commit()
    return _opened(saved)


def change_stored(review_id: int, change: Callable[[rv.ReviewState], rv.ReviewState], *,
                  actor: Actor | str, url: str | None = None, note: str = "") -> Opened:
    """Open, apply ``change(state) -> state`` and save, as one versioned step.

    If someone saves between the opening and the saving, the save is refused
    with ConflictError (nothing is overwritten).
    """
    opened = open_stored(review_id, actor=actor, url=url)
    return save_stored(review_id, change(opened.state), expected_version=opened.version,
                       actor=actor, url=url, note=note)


def quality(review_id: int, *, actor: Actor | str,
            url: str | None = None) -> tuple[qc.QualityItem, ...]:
    """The quality check of a stored review (blocks first)."""
    return qc.check(open_stored(review_id, actor=actor, url=url).state)


def finalise_stored(review_id: int, *, expected_version: int, actor: Actor | str,
                    url: str | None = None, today: date | None = None) -> Opened:
    """Finalise the current version: refused while anything blocks it; the documents are kept.

    The restricted and shared review and the family summary are rendered (Word
    and HTML), fingerprinted and stored in ``final_documents`` with the
    review's version; the review becomes final and can only be reopened as a
    new version with a note.
    """
    access.require(actor, "review.edit")
    from sfo.domain import casework
    from sfo.services import audit
    from sfo.services import records as stored

    opened = open_stored(review_id, actor=actor, url=url)
    if opened.status == "final":
        raise InputError(f"Review {review_id} version {opened.state.version} is already final "
                         f"(fingerprint {opened.fingerprint}).")
    state = rv.finalise(opened.state, by=access.name_of(actor))   # refuses, listing what blocks it
    records = stored.load_stored(url, crns=[state.crn], actor=actor)
    p = _reprepare(state, records, today)
    when = today or date.today()
    docs: list[tuple[str, str, dict[str, Any], bytes]] = []
    for audience in AUDIENCES:
        context = _final_context(view(p, audience=audience, status="final", today=when),
                                 audience)
        for fmt in ("docx", "html"):
            docs.append((audience, fmt, context,
                         render_bytes(context, audience=audience, fmt=fmt)))
    restricted_print = next(c["fingerprint"] for a, _, c, _ in docs if a == "restricted")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        current = uow.reviews.get(review_id)
        saved = uow.reviews.save(
            replace(current, content=state.to_dict(), status="final",
                    finalised_at=bootstrap.now(), fingerprint=restricted_print),
            expected_version=expected_version, actor=access.name_of(actor))
        for audience, fmt, context, data in docs:
            uow.final_documents.add(casework.FinalDocument(
                kind="review", object_id=review_id, version=state.version, crn=state.crn,
                audience=audience, format=fmt, fingerprint=context["fingerprint"],
                file_sha256=render.file_sha256(data), data=data, context=context,
                created_by=access.name_of(actor), created_at=bootstrap.now()))
        audit.record(uow, actor=actor, action="finalise", object_type="review",
                     object_id=str(review_id), crn=state.crn,
                     summary=f"finalised version {state.version}; fingerprint "
                             f"{restricted_print}")
        uow.commit()
    return _opened(saved)


def reopen_stored(review_id: int, *, note: str, actor: Actor | str,
                  url: str | None = None) -> Opened:
    """Reopen a final review as its next version; the note says what will change and why."""
    access.require(actor, "review.edit")
    from sfo.services import audit

    opened = open_stored(review_id, actor=actor, url=url)
    if opened.status != "final":
        raise InputError(f"Review {review_id} is not final: change it directly.")
    state = rv.reopen(opened.state, note, by=access.name_of(actor))
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        current = uow.reviews.get(review_id)
        saved = uow.reviews.save(
            replace(current, content=state.to_dict(), status="draft", finalised_at=None,
                    fingerprint=None),
            expected_version=opened.version, actor=access.name_of(actor))
        audit.record(uow, actor=actor, action="reopen", object_type="review",
                     object_id=str(review_id), crn=state.crn,
                     summary=f"reopened as version {state.version}: {note.strip()}")
        uow.commit()
    return _opened(saved)


@dataclass(frozen=True)
class Exported:
    """A review document ready to save: its bytes, what it is, and its fingerprints."""

    data: bytes
    label: str
    filename: str
    fingerprint: str | None
    file_sha256: str


def export_stored(review_id: int, *, audience: str, fmt: str, actor: Actor | str,
                  url: str | None = None, version: int | None = None) -> Exported:
    """A stored review's document: as issued for a final version, or the draft as it stands.

    ``version`` picks an earlier final version; without it, the current
    version (final: as issued; draft: rendered now and marked DRAFT). A PDF
    is made from the Word document by LibreOffice.
    """
    _require_audience(actor, audience)
    from sfo.services import audit
    from sfo.services import records as stored

    if audience not in AUDIENCES:
        raise InputError(f"'{audience}' is not an audience; use restricted, shared or "
                         "family.")
    if fmt not in FORMATS:
        raise InputError(f"'{fmt}' is not a format; use docx, html or pdf.")
    opened = open_stored(review_id, actor=actor, url=url)
    what = "family summary" if audience == "family" else f"{audience} SFO review"
    stem = f"{'family-summary' if audience == 'family' else 'sfo-review'}-{opened.state.crn}"
    wanted = version if version is not None else opened.state.version
    issued = opened.status == "final" or wanted < opened.state.version
    if issued:
        with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
            doc = uow.final_documents.find(kind="review", object_id=review_id,
                                           audience=audience,
                                           fmt="docx" if fmt == "pdf" else fmt, version=wanted)
            if doc is None:
                raise NotFound(f"Review {review_id} has no final version {wanted}.")
            audit.record(uow, actor=actor, action="export", object_type="review",
                         object_id=str(review_id), crn=doc.crn,
                         summary=f"took the final {what}, version {wanted}, as {fmt}")
            uow.commit()
        data = pdf.to_pdf(doc.data, name=stem) if fmt == "pdf" else doc.data
        return Exported(data, f"the final {what}, version {wanted} (fingerprint "
                              f"{doc.fingerprint[:16]}...)",
                        f"{stem}-v{wanted}-final.{fmt}", doc.fingerprint,
                        render.file_sha256(data))
    if version is not None and version != opened.state.version:
        raise NotFound(f"Review {review_id} has no version {version}.")
    records = stored.load_stored(url, crns=[opened.state.crn], actor=actor)
    p = _reprepare(opened.state, records)
    data = render_bytes(view(p, audience=audience, status="draft"), audience=audience, fmt=fmt)
    return Exported(data, f"the DRAFT {what}, version {opened.state.version}",
                    f"{stem}-v{opened.state.version}-draft.{fmt}", None,
                    render.file_sha256(data))


def draft_view(review_id: int, *, audience: str, actor: Actor | str,
               url: str | None = None, today: date | None = None) -> dict[str, Any]:
    """The view of a stored review as it stands (for a preview)."""
    _require_audience(actor, audience)
    from sfo.services import records as stored

    opened = open_stored(review_id, actor=actor, url=url)
    records = stored.load_stored(url, crns=[opened.state.crn], actor=actor)
    status = "final" if opened.status == "final" else "draft"
    return view(_reprepare(opened.state, records, today), audience=audience, status=status,
                today=today)


def final_versions(review_id: int, *, actor: Actor | str, url: str | None = None
                   ) -> list[dict[str, Any]]:
    """Each finalised version of a review: version, fingerprint, who finalised it and when."""
    access.require(actor, "review.view")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        docs = uow.final_documents.list_for(kind="review", object_id=review_id)
    out: dict[int, dict[str, Any]] = {}
    for d in docs:
        if d.audience == "restricted" and d.format == "docx":
            out[d.version] = {"version": d.version, "fingerprint": d.fingerprint,
                              "by": d.created_by, "at": d.created_at}
    return [out[v] for v in sorted(out)]


def every_review(*, url: str | None = None, actor: Actor | str = "sfo"
                 ) -> list[tuple[int, str, rv.ReviewState, str]]:
    """Every stored review: (id, status, state, the person's PDU), for themes across reviews.

    Only the reviews' own content and each person's probation delivery unit
    are read, not case records, so nothing here is a look at a case.
    """
    access.require(actor, "themes.view")
    from sfo.store import records as store_records

    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        rows = uow.reviews.list_all()
        pdus = store_records.people_pdus(uow.connection, [r.crn for r in rows])
    return [(int(r.id or 0), r.status, rv.ReviewState.from_dict(r.content),
             pdus.get(r.crn, "")) for r in rows
            if access.can_see_case(actor, pdus.get(r.crn, ""))]


# -- for the app: noticing newer saves, conflicts in words, changing an action ------------------

@dataclass(frozen=True)
class Latest:
    """Which lock version of a review is stored now, and who saved it when."""

    version: int
    status: str
    updated_by: str
    updated_at: datetime | None


def latest_version(review_id: int, *, actor: Actor | str, url: str | None = None) -> Latest:
    """The review's current lock version and who saved it when: to notice someone else's save."""
    access.require(actor, "review.view")
    from sfo.services import records as stored

    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        o = uow.reviews.get(review_id)
        stored.check_case_access(actor, o.crn, uow)
    return Latest(o.version, o.status, o.updated_by, o.updated_at)


def change_action(state: rv.ReviewState, action_id: str, *, description: str | None = None,
                  owner_role: str | None = None, due: date | None = None,
                  links: tuple[str, ...] | list[str] | None = None) -> rv.ReviewState:
    """An action of the plan changed in place (same id and status history), checked as a new one.

    :func:`sfo.domain.review.add_action` holds the checks (a role, not a person;
    links to this review's findings or factors); they are run on a copy.
    """
    from sfo.errors import ReviewInvalid

    old = next((a for a in state.actions if a.action_id == action_id), None)
    if old is None:
        raise ReviewInvalid(f"There is no action {action_id}.")
    probe = rv.add_action(
        replace(state, actions=()), old.description if description is None else description,
        owner_role=old.owner_role if owner_role is None else owner_role,
        due=old.due if due is None else due,
        links=old.links if links is None else tuple(links), by="check")
    checked = probe.actions[0]
    new = replace(old, description=checked.description, owner_role=checked.owner_role,
                  due=checked.due, links=checked.links)
    return replace(state, actions=tuple(new if a.action_id == action_id else a
                                        for a in state.actions))


def content_parts(content: Mapping[str, Any] | None, *,
                  restricted: bool = True) -> dict[str, str]:
    """A saved review, part by part, in words: what a conflict compares.

    With ``restricted`` False, restricted factors and working-context entries
    are left out (for someone who may not see them).
    """
    if not content:
        return {}
    s = rv.ReviewState.from_dict(dict(content))
    out: dict[str, str] = {}
    if s.background:
        out["Case background"] = s.background
    if s.risk_profile:
        out["Risk profile at the time"] = s.risk_profile
    for e in s.episodes:
        out[f"Episode {e.episode_id}"] = " / ".join(
            t for t in (rv.EPISODE_KINDS[e.kind], e.expected, e.what_happened,
                        "; ".join(e.known_then), e.why_it_made_sense, e.good_practice,
                        "; ".join(e.knew)) if t)
    for heading, title in rv.HEADINGS.items():
        if s.analysis_of(heading):
            out[f"Analysis: {title}"] = s.analysis_of(heading)
    if s.judgement is not None:
        out["Overall judgement"] = (f"{rv.JUDGEMENTS[s.judgement.all_reasonable_steps]}: "
                                    f"{s.judgement.reasons}")
    for f in s.factors:
        if f.restricted and not restricted:
            continue
        out[f"Factor {f.factor_id} ({f.kind.title})"] = " / ".join(
            t for t in (f.description, fc.KNOWN.get(f.known_at_the_time or "", ""),
                        fc.EFFECTS[f.effect], fc.SCOPES.get(f.scope or "", ""),
                        "; ".join(f"{n.text} ({n.grade})" for n in f.evidence)) if t)
    for c in s.context:
        if c.restricted and not restricted:
            continue
        out[f"Working context {c.entry_id}"] = c.text
    if s.context_considered is not None:
        out["How the working context was considered"] = s.context_statement
    for x in s.learning:
        out[f"Learning {x.learning_id} ({fc.LEVELS[x.level].lower()})"] = x.text
    for a in s.actions:
        out[f"Action {a.action_id}"] = (
            f"{a.description} ({a.owner_role}, due {_day(a.due)}, "
            f"{rv.ACTION_STATUSES[a.status].lower()}; {', '.join(a.links)})")
    if s.family_summary:
        out["Summary for the family"] = s.family_summary
    if s.finalised is not None:
        out["Finalised"] = f"version {s.version}, by {s.finalised.by}"
    return out


def save_draft(review_id: int, state: rv.ReviewState, *, expected_version: int,
               actor: Actor | str, url: str | None = None, note: str = "") -> Opened:
    """:func:`save_stored`, with a conflict saying in words which parts the other person changed."""
    from sfo.errors import ConflictError

    try:
        return save_stored(review_id, state, expected_version=expected_version, actor=actor,
                           url=url, note=note)
    except ConflictError as exc:
        restricted = access.can_see_restricted(actor)
        raise exc.in_words(
            "content", lambda content: content_parts(content, restricted=restricted),
            labels={"status": "Status", "fingerprint": "Fingerprint",
                    "finalised_at": "Finalised at"}) from None


def pdf_available() -> bool:
    """Whether PDFs can be made here (LibreOffice is installed)."""
    return pdf.available()


@dataclass(frozen=True)
class Listed:
    """One stored review as a list shows it: what exists, not what it says."""

    id: int
    status: str
    lock_version: int             # each save
    version: int                  # the review's own version (1, 2, ... after reopening)
    updated_by: str
    updated_at: datetime | None


def listed(*, crn: str, actor: Actor | str, url: str | None = None) -> list[Listed]:
    """The reviews of one person, oldest first, without their content (not a look at them).

    For a page that redraws often: opening one (:func:`open_stored`) is the
    audited look.
    """
    access.require(actor, "review.view")
    from sfo.services import records as stored

    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        stored.check_case_access(actor, crn, uow)
        found = uow.reviews.list_for_crn(crn)
    return [Listed(o.id or 0, o.status, o.version, int(o.content.get("version", 1)),
                   o.updated_by, o.updated_at) for o in found]
