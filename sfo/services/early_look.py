"""Early looks: start one from the evidence, and lay it out as the Early Look document.

The verbs the CLI (``sfo early-look ...``) and the app share. The domain
(:mod:`sfo.domain.early_look`) holds and checks the record; this module
gathers what it needs (records, findings, the rule pack, the checklist, the
calendar, deadlines from the settings) and builds the document's view: a
plain context for :mod:`sfo.documents.early_look`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from sfo import bootstrap, config, standards
from sfo.documents import early_look as render
from sfo.domain import access
from sfo.domain import context as ctx
from sfo.domain import early_look as el
from sfo.domain import just_culture as jc
from sfo.domain import timeline as tl
from sfo.domain.access import Actor
from sfo.domain.calendar import WorkingCalendar
from sfo.domain.findings import CaseFindings
from sfo.domain.records import TABLES, CaseRecords
from sfo.domain.rulepack import RulePack
from sfo.domain.rules import engine
from sfo.errors import InputError
from sfo.services import analysis

AUDIENCES = ("restricted", "shared")
KEY_CHRONOLOGY_LIMIT = 80  # entries in the document's key chronology, newest kept
_FILE_MEANING = {
    "events": "sentences and licences", "assessments": "risk assessments",
    "registrations": "registrations", "allocations": "allocations", "staff": "staff grades",
    "workload": "workload measurement", "training": "training records",
    "supervision": "supervision records", "teams": "team staffing",
}


@dataclass(frozen=True)
class Prepared:
    """An early look started from the evidence, with what its document needs."""

    state: el.EarlyLookState
    records: CaseRecords
    case: CaseFindings
    calendar: WorkingCalendar


def _days(name: str) -> int:
    value = config.setting(name)
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"{name} is '{value}'; expected a whole number of working days.")
    return int(value)


def _checklist(path: str | Path | None) -> Any:
    chosen = path or config.setting("SFO_CHECKLIST") or None
    return standards.load_checklist(chosen)


def _period_start(records: CaseRecords, crn: str, as_of: date) -> date:
    """Where the working context starts: the latest sentence or licence begun by as-of."""
    ev = records.table("events")
    ev = ev[ev["crn"] == crn]
    starts = ev["release_date"].where(ev["sentence_type"] == "licence").fillna(
        ev["sentence_date"])
    starts = starts[starts <= pd.Timestamp(as_of)]
    if len(starts):
        return pd.Timestamp(starts.max()).date()
    return as_of - timedelta(days=365)


def prepare(records: CaseRecords, *, crn: str, as_of: date | None = None,
            pack: RulePack | None = None, checklist: str | Path | None = None,
            today: date | None = None) -> Prepared:
    """Start an early look for one person from imported records (nothing is saved)."""
    pack = pack or analysis.rule_pack()
    report = analysis.findings_for(records, crn=crn, as_of=as_of, pack=pack, today=today)
    (case,) = report.cases
    subset = records.for_people([crn])
    cal = bootstrap.calendar_for(subset, case.as_of, today or date.today())
    conditions = el.case_conditions(subset, case, pack, cal)
    entries = ctx.prefill_working_context(subset, case,
                                          start=_period_start(subset, crn, case.as_of),
                                          end=case.as_of)
    disabled = [r for r in engine.RULE_IDS if not pack.enabled(r)]
    state = el.start(_checklist(checklist), case, context=entries, conditions=conditions,
                     disabled=disabled, charge_date=case.as_of)
    return Prepared(state, subset, case, cal)


def _reprepare(state: el.EarlyLookState, records: CaseRecords,
               today: date | None = None) -> Prepared:
    """The evidence for a saved early look, as of its date, keeping how that date was set."""
    p = prepare(records, crn=state.crn, today=today)
    if p.case.as_of != state.as_of:  # the date was given, not the charge
        p = prepare(records, crn=state.crn, as_of=state.as_of, today=today)
    return Prepared(state, p.records, p.case, p.calendar)


_day = analysis.long_date


def _case_summary(p: Prepared) -> dict[str, Any]:
    return {**analysis.case_summary(p.records, p.state.crn, p.state.as_of),
            "as_of_source": p.case.as_of_source}


def _chronology(p: Prepared) -> list[dict[str, str]]:
    """Key entries: what the findings rest on, and sentence, licence and charge events."""
    frame = tl.known_on(tl.build_timeline(p.records, [p.state.crn]), p.state.as_of)
    cited = {e for f in p.case.findings for e in f.evidence}
    keep = frame[frame["record_id"].isin(cited) | frame["code"].isin(
        ["CNOC", "EREL", "ECOM", "ETER", "CARR", "ERGN", "ROC"])]
    # Workload weeks, training and supervision have their own section (working context).
    keep = keep[keep["category"] != "working context"]
    keep = keep.tail(KEY_CHRONOLOGY_LIMIT)
    out = []
    for row in keep.to_dict("records"):
        out.append({k: ("" if v is None or (not isinstance(v, str) and pd.isna(v)) else
                        _day(v) if k == "date" else str(v))
                    for k, v in row.items()
                    if k in ("date", "time", "category", "title", "detail", "record_id")})
    return out


def view(p: Prepared, *, audience: str = "restricted", status: str = "draft",
         today: date | None = None) -> dict[str, Any]:
    """The Early Look document's context (see :mod:`sfo.documents.early_look`)."""
    if audience not in AUDIENCES:
        raise InputError(f"'{audience}' is not an audience; use restricted (manager, "
                         "reviewer and HR) or shared.")
    s = p.state
    today = today or date.today()
    dls = el.deadlines(s.charge_date, today, p.calendar,
                       early_look_days=_days("SFO_EARLY_LOOK_DAYS"),
                       notification_days=_days("SFO_NOTIFICATION_DAYS"))
    checklist = []
    for q in s.questions:
        prop = s.proposal(q.id)
        given = s.answer(q.id)
        known: list[str] = []
        for e in prop.evidence:
            known += [k for k in e.known if k not in known]
        checklist.append({
            "id": q.id, "area": q.area, "question": q.text,
            "answer_label": el.ANSWERS[s.current(q.id)],
            "proposed_label": el.ANSWERS[prop.answer],
            "confirmed": given is not None,
            "override_reason": given.reason if given else "",
            "evidence": sorted({r for e in prop.evidence for r in e.records}),
            "known": known,
            "summaries": [prop.basis] + [e.summary for e in prop.evidence]
                         + list(prop.not_checked),
        })
    entries: Sequence[ctx.ContextEntry] = (s.context if audience == "restricted"
                                           else ctx.shareable(s.context))
    records_jc = []
    for rec in s.just_culture:
        steps = []
        for step in jc.STEPS:
            for qid, text in step.questions:
                reply = rec.reply(qid)
                note = reply.note if reply else ""
                if note and audience == "shared" and step.id == "health":
                    # Health is personal: its notes stay with the manager, reviewer and HR.
                    note = "(recorded in the restricted copy)"
                steps.append({"step": step.title, "question": text,
                              "answer": jc.REPLIES.get(reply.answer, "") if reply else
                              "Not answered", "note": note})
        records_jc.append({
            "act": rec.act, "steps": steps,
            "outcome_label": jc.OUTCOMES.get(rec.outcome or "", "Not yet chosen"),
            "hr_advice": None if rec.hr_advice is None else {
                "date": _day(rec.hr_advice.on), "adviser": rec.hr_advice.adviser},
            "wider_learning": rec.wider_learning or "Wider learning is still required; "
                                                   "it has not been written yet."})
    advice = s.recommendation
    return {
        "status": status, "audience": audience, "title": "Early look",
        "generated": _day(today),
        "case": _case_summary(p),
        "deadlines": [{"label": d.label, "due": _day(d.due),
                       "working_days_left": d.working_days_remaining, "overdue": d.overdue}
                      for d in dls],
        "chronology": _chronology(p),
        "checklist": checklist,
        "gaps": [{"date": _day(f.date), "rule_id": f.rule_id, "summary": f.summary,
                  "evidence": list(f.evidence)} for f in p.case.findings if f.kind == "gap"],
        "good_practice": [{"date": _day(f.date), "rule_id": f.rule_id, "summary": f.summary}
                          for f in p.case.findings if f.kind == "good_practice"],
        "actions": [{"description": a.description, "owner_role": a.owner_role,
                     "due": _day(a.due), "done": a.done} for a in s.actions],
        "working_context": [{"category": e.category, "text": e.text,
                             "is_mitigation": e.is_mitigation, "restricted": e.restricted,
                             "source": e.source} for e in entries],
        "working_context_considered": None if s.context_considered is None else {
            "by": s.context_considered.by, "at": _day(s.context_considered.at)},
        "just_culture": records_jc,
        "options": list(jc.OUTCOMES.values()),
        "recommendation": None if advice is None else {
            "label": "; ".join(el.RECOMMENDATIONS.get(c, c) for c in advice.choices),
            "rationale": advice.rationale},
        "not_supplied": [f"{TABLES[t].filename} ({_FILE_MEANING[t]})"
                         for t in _FILE_MEANING if not p.records.has(t)],
        "sign_off": None if s.signed_off is None else {
            "name": s.signed_off.by, "role": "Manager", "date": _day(s.signed_off.at)},
        "fingerprint": None,
    }


def write_draft(bundle: Path, *, crn: str, out: Path, as_of: date | None = None,
                rules: Path | None = None, mapping: Path | None = None,
                checklist: Path | None = None, audience: str = "restricted",
                today: date | None = None) -> tuple[Path, Path, Prepared]:
    """`sfo early-look draft`: a draft from the evidence alone, as Word and HTML."""
    if out.suffix.lower() != ".docx":
        raise InputError(f"--out {out}: the early look is a Word file; name it FILE.docx.")
    pack = analysis.rule_pack(rules)
    records = analysis.load(bundle, mapping=mapping)
    p = prepare(records, crn=crn, as_of=as_of, pack=pack, checklist=checklist, today=today)
    context = view(p, audience=audience, status="draft", today=today)
    docx = render.render_docx(context)
    html = render.render_html(context)
    out.parent.mkdir(parents=True, exist_ok=True)
    html_path = out.with_suffix(".html")
    for path, data in ((out, docx), (html_path, html.encode("utf-8"))):
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return out, html_path, p


# ---------------------------------------------------------------- stored early looks
@dataclass(frozen=True)
class Opened:
    """A stored early look as opened: its state and the version a save must name."""

    id: int
    version: int
    status: str
    state: el.EarlyLookState
    fingerprint: str | None


def _opened(obj: Any) -> Opened:
    return Opened(obj.id, obj.version, obj.status, el.EarlyLookState.from_dict(obj.content),
                  obj.fingerprint)


def start_stored(*, crn: str, actor: Actor | str, url: str | None = None, as_of: date | None = None,
                 today: date | None = None) -> Opened:
    """Start an early look on a stored case and save it as a draft (audited)."""
    access.require(actor, "early_look.edit")
    from sfo.domain import casework
    from sfo.services import audit
    from sfo.services import records as stored
    from sfo.store import schema

    records = stored.load_stored(url, crns=[crn], actor=actor)
    p = prepare(records, crn=crn, as_of=as_of, today=today)
    with _engine(url) as engine:
        schema.check(engine)  # before the unit of work, which holds the write lock
        with bootstrap.unit_of_work(engine) as uow:
            obj = uow.early_looks.add(casework.EarlyLook(
                crn=crn, as_of=p.state.as_of, content=p.state.to_dict()),
                actor=access.name_of(actor))
            audit.record(uow, actor=actor, action="create", object_type="early_look",
                         object_id=str(obj.id), crn=crn,
                         summary=f"started an early look as of {p.state.as_of}")
            uow.commit()
    return _opened(obj)


def open_stored(early_look_id: int, *, actor: Actor | str, url: str | None = None) -> Opened:
    """Open a stored early look (the look is audited).

    Someone whose role may not see restricted entries gets the look without
    them (and cannot save it: only managers change early looks).
    """
    from sfo.services import audit
    from sfo.services import records as stored

    access.require(actor, "early_look.view")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        obj = uow.early_looks.get(early_look_id)
        stored.check_case_access(actor, obj.crn, uow)
        audit.record(uow, actor=actor, action="view", object_type="early_look",
                     object_id=str(early_look_id), crn=obj.crn, summary="opened the early look")
        uow.commit()
    opened = _opened(obj)
    if not access.can_see_restricted(actor):
        from dataclasses import replace

        opened = replace(opened, state=replace(opened.state,
                                               context=ctx.shareable(opened.state.context)))
    return opened


def save_stored(early_look_id: int, state: el.EarlyLookState, *, expected_version: int,
                actor: Actor | str, url: str | None = None, note: str = "") -> Opened:
    """Save a changed draft; ConflictError if someone saved since ``expected_version``."""
    access.require(actor, "early_look.edit")
    from sfo.services import audit

    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        current = uow.early_looks.get(early_look_id)
        if current.status == "final":
            raise InputError(f"Early look {early_look_id} is final and cannot be changed; "
                             "a correction is a new early look.")
        if state.crn != current.crn:
            raise InputError(f"That early look is for {state.crn}, not {current.crn}.")
        from dataclasses import replace

        saved = uow.early_looks.save(replace(current, content=state.to_dict()),
                                     expected_version=expected_version, actor=access.name_of(actor))
        audit.record(uow, actor=actor, action="update", object_type="early_look",
                     object_id=str(early_look_id), crn=current.crn,
                     summary=note or f"saved version {saved.version}")
        uow.commit()
    return _opened(saved)


def change_stored(early_look_id: int, change: Any, *, actor: Actor | str, url: str | None = None,
                  note: str = "") -> Opened:
    """Open, apply ``change(state) -> state`` and save, as one versioned step.

    If someone saves between the opening and the saving, the save is refused
    with ConflictError (nothing is overwritten); run the change again on
    their version.
    """
    opened = open_stored(early_look_id, actor=actor, url=url)
    return save_stored(early_look_id, change(opened.state), expected_version=opened.version,
                       actor=actor, url=url, note=note)


def recommend_stored(early_look_id: int, choices: Sequence[str], *, rationale: str,
                     actor: Actor | str, url: str | None = None) -> tuple[Opened, Any]:
    """Record the recommendation; choosing a dip sample drafts its plan (returned, or None)."""
    opened = change_stored(
        early_look_id,
        lambda st: el.recommend(st, choices, rationale=rationale, by=access.name_of(actor)),
        actor=actor, url=url, note="recorded the recommendation: " + ", ".join(choices))
    plan = None
    if "dip_sample" in choices:
        plan = draft_dip_plan(early_look_id, actor=actor, url=url)
    return opened, plan


def finalise_stored(early_look_id: int, *, expected_version: int, actor: Actor | str,
                    url: str | None = None, today: date | None = None) -> Opened:
    """Sign off and finalise: refused while anything is incomplete; the documents are kept.

    The final documents (restricted and shared, Word and HTML) are rendered,
    fingerprinted and stored in ``final_documents``; the early look becomes
    final and can no longer change.
    """
    access.require(actor, "early_look.edit")
    from dataclasses import replace

    from sfo.domain import casework
    from sfo.services import audit
    from sfo.services import records as stored

    opened = open_stored(early_look_id, actor=actor, url=url)
    if opened.status == "final":
        raise InputError(f"Early look {early_look_id} is already final "
                         f"(fingerprint {opened.fingerprint}).")
    # Refuses, with what is still missing.
    state = el.complete(opened.state, by=access.name_of(actor))
    records = stored.load_stored(url, crns=[state.crn], actor=actor)
    p = _reprepare(state, records, today)
    when = today or date.today()
    docs = []
    for audience in AUDIENCES:
        context = view(p, audience=audience, status="final", today=when)
        context["fingerprint"] = render.fingerprint_content(context)
        for fmt, data in (("docx", render.render_docx(context)),
                          ("html", render.render_html(context).encode("utf-8"))):
            docs.append((audience, fmt, context, data))
    restricted_print = next(c["fingerprint"] for a, f, c, _ in docs if a == "restricted")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        current = uow.early_looks.get(early_look_id)
        saved = uow.early_looks.save(
            replace(current, content=state.to_dict(), status="final",
                    finalised_at=datetime_now(), fingerprint=restricted_print),
            expected_version=expected_version, actor=access.name_of(actor))
        for audience, fmt, context, data in docs:
            uow.final_documents.add(casework.FinalDocument(
                kind="early_look", object_id=early_look_id, crn=state.crn, audience=audience,
                format=fmt, fingerprint=context["fingerprint"],
                file_sha256=render.file_sha256(data), data=data, context=context,
                created_by=access.name_of(actor), created_at=datetime_now()))
        audit.record(uow, actor=actor, action="finalise", object_type="early_look",
                     object_id=str(early_look_id), crn=state.crn,
                     summary=f"finalised; fingerprint {restricted_print}")
        uow.commit()
    return _opened(saved)


def final_document(early_look_id: int, *, audience: str, fmt: str, actor: Actor | str,
                   url: str | None = None) -> tuple[bytes, str, str]:
    """A stored final document's bytes, content fingerprint and file SHA-256 (audited)."""
    _require_audience(actor, audience)
    from sfo.errors import NotFound
    from sfo.services import audit

    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        doc = uow.final_documents.find(kind="early_look", object_id=early_look_id,
                                       audience=audience, fmt=fmt)
        if doc is None:
            raise NotFound(f"Early look {early_look_id} has no final {audience} {fmt} "
                           "document: is it finalised?")
        audit.record(uow, actor=actor, action="export", object_type="early_look",
                     object_id=str(early_look_id), crn=doc.crn,
                     summary=f"took the final {audience} {fmt} document")
        uow.commit()
    return doc.data, doc.fingerprint, doc.file_sha256


def export_stored(early_look_id: int, *, audience: str, fmt: str, actor: Actor | str,
                  url: str | None = None) -> tuple[bytes, str]:
    """A stored early look's document: as finalised, or the draft as it stands."""
    _require_audience(actor, audience)
    from sfo.services import records as stored

    opened = open_stored(early_look_id, actor=actor, url=url)
    if opened.status == "final":
        data, fingerprint, _ = final_document(early_look_id, audience=audience, fmt=fmt,
                                              actor=actor, url=url)
        return data, f"the final {audience} early look (fingerprint {fingerprint[:16]}...)"
    records = stored.load_stored(url, crns=[opened.state.crn], actor=actor)
    p = _reprepare(opened.state, records)
    context = view(p, audience=audience, status="draft")
    data = (render.render_docx(context) if fmt == "docx"
            else render.render_html(context).encode("utf-8"))
    return data, f"the {audience} DRAFT early look (version {opened.version})"


def _require_audience(actor: Actor | str, audience: str) -> None:
    """Refuse the restricted copy to a role that may not see restricted entries."""
    access.require(actor, "early_look.view")
    if audience == "restricted" and not access.can_see_restricted(actor):
        from sfo.errors import PermissionDenied

        raise PermissionDenied("The restricted copy holds personal circumstances, which only "
                               "the manager, the reviewer and HR may see; take the shared "
                               "copy instead.")


_engine = bootstrap.engine_for
datetime_now = bootstrap.now


DIP_PREVALENCE = 0.10  # the failure rate worth finding when a dip sample follows an early look


def draft_dip_plan(early_look_id: int, *, actor: Actor | str, url: str | None = None,
                   prevalence: float = DIP_PREVALENCE) -> Any:
    """A draft dip-sample plan on the caseload of the practitioner who held the case.

    The caseload frame is built from the stored records as at the early look's
    as-of date (everyone held by that practitioner then); the size is the
    discovery sample that finds at least one failing case with 95% confidence
    if ``prevalence`` or more of the caseload fails. Nothing is drawn: the plan
    is saved for the quality team or manager to review and draw.
    """
    access.require(actor, "early_look.edit")
    from dipsample import planning
    from sfo.domain import casework
    from sfo.domain.caseload import caseload_frame
    from sfo.services import audit
    from sfo.services import records as stored

    opened = open_stored(early_look_id, actor=actor, url=url)
    s = opened.state
    everyone = stored.load_stored(url, actor=actor)
    frame = caseload_frame(everyone, as_of=s.as_of)
    holder = frame.loc[frame["crn"] == s.crn, "staff_code"]
    code = str(holder.iloc[0]) if len(holder) else ""
    if not code or code.endswith("U"):
        raise InputError(f"{s.crn} had no named practitioner on {s.as_of}, so there is no "
                         "practitioner's caseload to sample; plan a team sample instead.")
    caseload = frame[(frame["staff_code"] == code) & (frame["crn"] != s.crn)]
    if caseload.empty:
        raise InputError(f"{code} held no other case on {s.as_of}: there is nothing to "
                         "dip sample.")
    size = planning.discovery_size(len(caseload), prevalence, 0.95)
    plan = {"source": {"early_look_id": early_look_id, "crn": s.crn},
            "staff_code": code, "as_of": s.as_of.isoformat(),
            "frame_rows": len(caseload), "crns": caseload["crn"].tolist(),
            "exclusions": [f"staff_code != {code}", f"crn = {s.crn}"],
            "method": "discovery", **size.as_dict()}
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        saved = uow.dip_plans.add(casework.DipPlan(
            name=f"Dip sample of {code}'s caseload after early look {early_look_id}",
            purpose=(f"The early look on {s.crn} recommended a dip sample of the "
                     f"practitioner's other cases, to see whether what it found recurs. "
                     "Sampling is not a finding about the practitioner: read the results "
                     "with their working context."),
            plan=plan), actor=access.name_of(actor))
        audit.record(uow, actor=actor, action="create", object_type="dip_plan",
                     object_id=str(saved.id), crn=s.crn,
                     summary=f"drafted a dip-sample plan of {size.n} of {len(caseload)} "
                             f"cases held by {code}")
        uow.commit()
    return saved


# ---------------------------------------------------------------- for the app's Early look page
@dataclass(frozen=True)
class Listed:
    """One stored early look as a list shows it (nothing of its content)."""

    id: int
    status: str
    version: int
    as_of: date
    updated_by: str
    updated_at: datetime | None


def list_stored(crn: str, *, actor: Actor | str, url: str | None = None) -> list[Listed]:
    """The early looks of one person, oldest first (what exists, not what they say)."""
    access.require(actor, "early_look.view")
    from sfo.services import records as stored

    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        stored.check_case_access(actor, crn, uow)
        found = uow.early_looks.list_for_crn(crn)
    return [Listed(o.id or 0, o.status, o.version, o.as_of, o.updated_by, o.updated_at)
            for o in found]


def latest_version(early_look_id: int, *, actor: Actor | str,
                   url: str | None = None) -> Listed:
    """Which version is stored now, and who saved it when: to notice someone else's save."""
    access.require(actor, "early_look.view")
    from sfo.services import records as stored

    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        o = uow.early_looks.get(early_look_id)
        stored.check_case_access(actor, o.crn, uow)
    return Listed(o.id or early_look_id, o.status, o.version, o.as_of, o.updated_by,
                  o.updated_at)


def deadlines_for(state: el.EarlyLookState, records: CaseRecords, *,
                  today: date | None = None) -> tuple[el.Deadline, ...]:
    """The early-look and notification deadlines of a look, counted from its charge date."""
    today = today or date.today()
    cal = bootstrap.calendar_for(records, state.charge_date, today)
    return el.deadlines(state.charge_date, today, cal,
                        early_look_days=_days("SFO_EARLY_LOOK_DAYS"),
                        notification_days=_days("SFO_NOTIFICATION_DAYS"))


EVIDENCE_COLUMNS = ["record_id", "date", "time", "category", "title", "detail"]


def evidence_records(records: CaseRecords, crn: str) -> pd.DataFrame:
    """The case's timeline rows by record id, to show the records an answer rests on."""
    frame = tl.build_timeline(records, [crn])
    return frame[EVIDENCE_COLUMNS].drop_duplicates("record_id").set_index("record_id")


KEEP = "(keep)"  # change_action: leave the question an action answers as it is


def change_action(state: el.EarlyLookState, action_id: str, *, description: str | None = None,
                  owner_role: str | None = None, due: date | None = None,
                  question_id: str | None = KEEP) -> el.EarlyLookState:
    """An immediate action changed in place (same id, same done), checked as a new one is.

    ``question_id`` left as KEEP keeps the question it answers; None unlinks it.
    """
    old = next((a for a in state.actions if a.action_id == action_id), None)
    if old is None:
        from sfo.errors import EarlyLookInvalid

        raise EarlyLookInvalid(f"There is no action {action_id}.")
    from dataclasses import replace

    # add_action holds the checks (a role, not a person; a description); run them on a copy.
    probe = el.add_action(
        replace(state, actions=()), old.description if description is None else description,
        owner_role=old.owner_role if owner_role is None else owner_role,
        due=old.due if due is None else due,
        question_id=old.question_id if question_id == KEEP else question_id or None)
    new = replace(probe.actions[0], action_id=old.action_id, done=old.done)
    return replace(state, actions=tuple(new if a.action_id == action_id else a
                                        for a in state.actions))


def content_parts(content: Mapping[str, Any] | None) -> dict[str, str]:
    """A saved early look, part by part, in words: what a conflict compares."""
    if not content:
        return {}
    s = el.EarlyLookState.from_dict(dict(content))
    out: dict[str, str] = {}
    for q in s.questions:
        given = s.answer(q.id)
        if given is not None:
            out[f"{q.id} ({q.area})"] = el.ANSWERS[given.answer] + (
                f": {given.reason}" if given.reason else "")
    for e in s.context:
        out[f"Working context {e.entry_id} ({ctx.CATEGORIES[e.category]})"] = (
            e.text + (" [mitigation]" if e.is_mitigation else ""))
    if s.context_considered is not None:
        out["Working context considered"] = f"by {s.context_considered.by}"
    for r in s.just_culture:
        out[f"Just-culture record {r.record_id}"] = r.summary()
    for a in s.actions:
        out[f"Action {a.action_id}"] = (f"{a.description} ({a.owner_role}, due {_day(a.due)}"
                                        f"{', done' if a.done else ''})")
    if s.recommendation is not None:
        out["Recommendation"] = ("; ".join(el.RECOMMENDATIONS.get(c, c)
                                           for c in s.recommendation.choices)
                                 + f": {s.recommendation.rationale}")
    return out


def save_draft(early_look_id: int, state: el.EarlyLookState, *, expected_version: int,
               actor: Actor | str, url: str | None = None, note: str = "") -> Opened:
    """:func:`save_stored`, with a conflict saying in words which parts the other person changed."""
    from sfo.errors import ConflictError

    try:
        return save_stored(early_look_id, state, expected_version=expected_version,
                           actor=actor, url=url, note=note)
    except ConflictError as exc:
        raise exc.in_words("content", content_parts) from None
