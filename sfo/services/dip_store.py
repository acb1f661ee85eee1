"""Dip samples kept in the store: the app's verbs, from the caseload frame to the report.

The sampling itself is :mod:`dipsample`, and the draw is the one the
file-based verbs use (:func:`sfo.services.dip.draw_sample` and
:func:`sfo.services.dip.replay`), so a stored draw and ``sfo dip draw`` on the
same frame with the same seed choose the same cases in the same order.

What the store keeps
    ``dip_plans.plan`` (JSON): where the frame came from (an upload, an early
    look's recommendation, or every stored case as at a date), **the frame's
    rows themselves** (``frame``: its columns, values, spreadsheet rows and
    fingerprint), the reference date and exclusion rules, the sample-size
    settings, the strata and allocation, the checklist questions, and the ids
    of the draws made. Once a draw is made the frame cannot be replaced.
    ``dip_draws``: one row per draw: ``record``, the draw record (the shape of
    ``SAMPLE.draw.json``, plus the second-review subset and, for a draw made
    again, the draw it replaced and why), and ``log``, the hash-chained
    selection log as JSON lines. A plan's second draw carries the first one's
    log on, so the redraw is in the chain for anyone to see; substitutions
    append to the draw's log and are saved with the draw's version.
    ``dip_results``: one answer per case, question and reviewer, versioned.

Reproducibility
    Opening a draw makes it again from the frame kept in the plan, with the
    recorded exclusions, parameters and seed and then its substitutions, and
    checks the frame's fingerprint, the log's chain and last hash, and that
    the cases come out as the log's last entry says (its digest of the
    selected CRNs). Anything that does not match is refused, never used.

Which answer counts
    The first answer stored for a case and question (oldest first) is the one
    evaluated; an answer by another reviewer is a second review, used for
    agreement (as in ``results.csv``, where the first row counts).

Every verb needs the permission ``dip.run`` (quality team and managers) when
a person signed in to the app calls it (a plain name is the operator at a
terminal); every change, opening and download is written to the audit log.
Errors of :mod:`dipsample` come out as :class:`sfo.errors.InputError`, and a
refused frame or results file as :class:`sfo.errors.FileInvalid` naming each
row and column.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from dipsample import allocation as dip_allocation
from dipsample import eligibility, evaluation, hashing, planning, selection, substitution
from dipsample import log as selection_log
from dipsample.errors import DipSampleError, FrameInvalid, ResultsInvalid
from dipsample.frame import Frame
from sfo import bootstrap
from sfo.documents import dip_report as render
from sfo.documents import exports
from sfo.domain import access, casework
from sfo.domain.access import Actor
from sfo.errors import ConflictError, FileInvalid, InputError, NotFound, Problem
from sfo.importers import tabular
from sfo.services import audit, dip, dip_report

Progress = Callable[[str], None]
PLAN_FORMAT = 1
ANSWERS = evaluation.ANSWERS
ANSWER_LABELS: dict[str, str] = {
    "yes": "Yes", "no": "No", "partly": "Partly", "not_applicable": "Not applicable",
    "unable_to_assess": "Unable to assess"}
# Substitution reasons that replace a case (unable to assess never does: it is a result).
REPLACING_REASONS: dict[str, str] = {code: r.meaning for code, r in substitution.REASONS.items()
                                     if r.replaced}
UNABLE_TO_ASSESS = substitution.UNABLE_TO_ASSESS
DEFAULT_QUESTIONS: tuple[tuple[str, str], ...] = (
    ("Q1", "Was a risk assessment completed within 15 working days of the start?"),
    ("Q2", "Were domestic abuse and child safeguarding checks made and followed up?"),
    ("Q3", "Was contact kept at the required frequency?"),
    ("Q4", "Were missed appointments followed up and enforced?"),
    ("Q5", "Is management oversight recorded where the case needed it?"),
)
DEFAULT_PREVALENCE = 0.05
DEFAULT_MARGIN = 0.05
_QUESTION_ID = re.compile(r"[A-Za-z0-9_.\-]{1,20}")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
WORD = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

_engine = bootstrap.engine_for


# ---------------------------------------------------------------- what the app is shown
@dataclass(frozen=True)
class PlanView:
    """A stored dip sample's plan as opened: what a save must name (``version``) and its content."""

    id: int
    version: int
    name: str
    purpose: str
    content: Mapping[str, Any]
    created_by: str = ""
    updated_by: str = ""
    updated_at: datetime | None = None

    @property
    def has_frame(self) -> bool:
        """Whether the plan holds a frame yet (one drafted by an early look does not)."""
        return isinstance(self.content.get("frame"), Mapping)

    @property
    def frame_name(self) -> str:
        """Where the frame came from, as a file name or a description."""
        return str(self.content.get("frame", {}).get("name", "")) if self.has_frame else ""

    @property
    def frame_rows(self) -> int:
        """Cases in the frame."""
        return int(self.content.get("frame", {}).get("rows", 0)) if self.has_frame else 0

    @property
    def columns(self) -> tuple[str, ...]:
        """The frame's columns (crn first)."""
        return tuple(self.content.get("frame", {}).get("columns", ())) if self.has_frame else ()

    @property
    def reference_date(self) -> date:
        """The date 'within' exclusion rules count back from."""
        text = self.content.get("reference_date")
        return date.fromisoformat(text) if text else date.today()

    @property
    def exclusions(self) -> tuple[str, ...]:
        """The exclusion rules, in order, as written."""
        return tuple(self.content.get("exclusions", ()))

    @property
    def planning(self) -> Mapping[str, Any]:
        """The sample-size settings (method, prevalence or margin and expected rate, confidence)."""
        return dict(self.content.get("planning") or {})

    @property
    def design(self) -> Mapping[str, Any]:
        """The size, strata, allocation and selection options of the draw."""
        return dict(self.content.get("design") or {})

    @property
    def questions(self) -> tuple[tuple[str, str], ...]:
        """The checklist questions (id, text) each sampled case is audited against."""
        found = self.content.get("questions")
        if not found:
            return DEFAULT_QUESTIONS
        return tuple((str(q["id"]), str(q["text"])) for q in found)

    @property
    def draw_ids(self) -> tuple[int, ...]:
        """The draws made from this plan, oldest first."""
        return tuple(int(i) for i in self.content.get("draws", ()))

    @property
    def current_draw(self) -> int | None:
        """The latest draw (the one results belong to), or None before the first draw."""
        return self.draw_ids[-1] if self.draw_ids else None

    @property
    def source_text(self) -> str:
        """Where the frame came from, in words."""
        return _source_text(self.content)


@dataclass(frozen=True)
class Listed:
    """A stored dip sample as a list shows it."""

    id: int
    name: str
    version: int
    has_frame: bool
    draws: int
    source: str
    updated_by: str
    updated_at: datetime | None


@dataclass(frozen=True)
class DrawView:
    """A stored draw, made again from its frame and checked: the sample, its log and history."""

    id: int
    version: int
    plan_id: int
    record: Mapping[str, Any]
    sample: selection.Sample
    eligibility: eligibility.Eligibility
    log: tuple[selection_log.LogEntry, ...]
    redraws: tuple[str, ...]
    current: bool

    @property
    def seed(self) -> str:
        """The seed as the log records it (0x and 32 hexadecimal digits)."""
        return str(self.record["seed"])

    @property
    def second_review(self) -> tuple[str, ...]:
        """The cases chosen for a second, independent review (in review order)."""
        found = self.record.get("second_review") or {}
        return tuple(found.get("crns", ()))

    @property
    def crns(self) -> tuple[str, ...]:
        """The sampled cases now (after substitutions), in selection order."""
        return tuple(self.sample.selected["crn"].astype(str).tolist())


@dataclass(frozen=True)
class Answer:
    """One stored answer to one question for one sampled case, with its version."""

    id: int
    version: int
    crn: str
    question_id: str
    answer: str
    reviewer: str
    comment: str
    updated_by: str
    updated_at: datetime | None


@dataclass(frozen=True)
class AnswerChange:
    """An answer to record: new (``expected_version`` None) or a change to the version shown.

    ``comment`` None keeps the stored comment (none for a new answer).
    """

    crn: str
    question_id: str
    answer: str
    reviewer: str
    comment: str | None = None
    expected_version: int | None = None


@dataclass(frozen=True)
class UploadOutcome:
    """What an uploaded results file changed."""

    added: int
    changed: int
    unchanged: int
    skipped: int            # rows with no answer yet
    cases: int


@dataclass(frozen=True)
class Evaluated:
    """An evaluation of a stored draw's answers, with what it was made against."""

    evaluation: evaluation.Evaluation
    population: Mapping[str, int]
    questions: tuple[tuple[str, str], ...]
    answers: int
    warnings: tuple[str, ...]

    @property
    def population_total(self) -> int:
        """Eligible cases over all strata."""
        return sum(self.population.values())


# ---------------------------------------------------------------- helpers
@contextmanager
def _plain(source: str = "") -> Iterator[None]:
    """dipsample's errors as the toolkit's: a refused file names its rows and columns."""
    try:
        yield
    except (FrameInvalid, ResultsInvalid) as exc:
        raise _file_invalid(exc, source or exc.source) from None
    except DipSampleError as exc:
        raise InputError(str(exc)) from None


def _file_invalid(exc: FrameInvalid | ResultsInvalid, source: str) -> FileInvalid:
    problems = [Problem(source, i.row, i.column, i.message) for i in exc.issues]
    return FileInvalid(problems, total=exc.total, source=source)


def _name(actor: Actor | str) -> str:
    return access.name_of(actor)


def _view(obj: casework.DipPlan) -> PlanView:
    assert obj.id is not None
    return PlanView(id=obj.id, version=obj.version, name=obj.name, purpose=obj.purpose,
                    content=dict(obj.plan), created_by=obj.created_by,
                    updated_by=obj.updated_by, updated_at=obj.updated_at)


def _source_text(content: Mapping[str, Any]) -> str:
    source = content.get("source") or {}
    kind = source.get("kind")
    if kind == "upload":
        return f"uploaded file {source.get('file', '')}"
    if kind == "store":
        return f"every stored case as at {source.get('as_of', '')}"
    if "early_look_id" in source:
        return (f"the recommendation of early look {source['early_look_id']} on "
                f"{source.get('crn', '')} (the caseload of {content.get('staff_code', '')} as "
                f"at {content.get('as_of', '')})")
    return "not recorded"


def _frame_content(frame: Frame, *, name: str, warnings: Sequence[str] = ()) -> dict[str, Any]:
    """The frame as JSON the store keeps: every column's values in CRN order, and its rows."""
    data = frame.data
    return {"name": name, "rows": len(frame), "fingerprint": frame.fingerprint,
            "columns": list(frame.columns), "row": [int(r) for r in data["row"].tolist()],
            "values": {c: [str(v) for v in data[c].tolist()] for c in frame.columns},
            "warnings": list(warnings)}


def frame_of(plan: PlanView) -> Frame:
    """The plan's frame, rebuilt from the store and checked against its fingerprint."""
    if not plan.has_frame:
        raise InputError(f"Dip sample {plan.id} has no caseload frame yet: start it from a "
                         "frame first.")
    kept = plan.content["frame"]
    table = pd.DataFrame({c: pd.Series(kept["values"][c], dtype=object) for c in kept["columns"]})
    table["row"] = pd.Series(kept["row"], dtype="int64")
    with _plain(kept["name"]):
        frame = Frame.from_dataframe(table, source=kept["name"])
    if frame.fingerprint != kept["fingerprint"]:
        raise InputError(f"The frame kept with dip sample {plan.id} no longer has the "
                         "fingerprint it was stored with: it has been changed in the database, "
                         "so no draw can be trusted from it.")
    return frame


def eligibility_of(plan: PlanView, frame: Frame | None = None) -> eligibility.Eligibility:
    """The plan's exclusions applied to its frame: who is eligible, and the counts."""
    frame = frame if frame is not None else frame_of(plan)
    with _plain(plan.frame_name):
        return eligibility.apply_exclusions(frame, list(plan.exclusions),
                                            reference_date=plan.reference_date)


def size_of(plan: PlanView, eligible: int) -> planning.DiscoveryPlan | planning.EstimationPlan:
    """The sample size the plan's settings give for this many eligible cases."""
    if eligible < 1:
        raise InputError("No case is eligible, so there is nothing to sample: change the "
                         "exclusions.")
    p = plan.planning
    method = str(p.get("method", "discovery"))
    with _plain():
        return dip.plan(method=method, population=eligible,
                        prevalence=p.get("prevalence", DEFAULT_PREVALENCE),
                        expected_rate=p.get("expected_rate"),
                        margin=p.get("margin", DEFAULT_MARGIN),
                        confidence=float(p.get("confidence", 0.95)))


def strata_sizes(plan: PlanView, eligible: Frame,
                 strata: Sequence[str] | None = None) -> dict[str, int]:
    """Eligible cases in each stratum (labels as the draw makes them), in the draw's order."""
    columns = tuple(plan.design.get("strata") or ()) if strata is None else tuple(strata)
    for c in columns:
        if c not in eligible.columns:
            raise InputError(f"'{c}' is not a column of the frame, so it cannot be a stratum.")
    codes, labels = selection.stratum_codes(eligible, columns)
    counts = pd.Series(codes).value_counts().reindex(range(len(labels)), fill_value=0)
    return {label: int(counts.iloc[i]) for i, label in enumerate(labels)}


def allocation_of(plan: PlanView, eligible: Frame) -> dip_allocation.Allocation:
    """How the plan's sample size would be shared between strata (before drawing)."""
    d = plan.design
    n = d.get("n")
    if not n:
        raise InputError("Work out the sample size first (or give one).")
    with _plain():
        return dip_allocation.Allocator(
            str(d.get("allocation", "proportional")),
            min_per_stratum=int(d.get("min_per_stratum") or 0),
            max_per_stratum=d.get("max_per_stratum"), take_all_below=d.get("take_all_below"),
            rates=d.get("rates")).allocate(strata_sizes(plan, eligible), int(n))


def _plan_parts(content: Mapping[str, Any] | None) -> dict[str, str]:
    """A saved plan, part by part, in words (never the frame's rows): what a conflict
    compares."""
    if not content:
        return {}
    out = {"Where the frame came from": _source_text(content)}
    if isinstance(content.get("frame"), Mapping):
        frame = content["frame"]
        out["Frame"] = f"{frame.get('name')} ({frame.get('rows')} cases)"
    out["Reference date"] = str(content.get("reference_date", ""))
    out["Exclusion rules"] = "; ".join(content.get("exclusions", ())) or "none"
    out["Sample size settings"] = ", ".join(
        f"{k} {v}" for k, v in (content.get("planning") or {}).items())
    out["Strata and allocation"] = ", ".join(
        f"{k} {v}" for k, v in (content.get("design") or {}).items() if v not in (None, [], 0))
    out["Questions"] = ", ".join(str(q.get("id")) for q in content.get("questions", ()))
    out["Draws"] = ", ".join(str(i) for i in content.get("draws", ())) or "none"
    return out


def _save_plan(uow: Any, current: casework.DipPlan, content: Mapping[str, Any], *,
               expected_version: int, actor: Actor | str, summary: str,
               name: str | None = None, purpose: str | None = None) -> casework.DipPlan:
    """Save a changed plan (ConflictError in words if someone saved first), audited."""
    changed = replace(current, plan=dict(content),
                      name=current.name if name is None else name,
                      purpose=current.purpose if purpose is None else purpose)
    try:
        saved = uow.dip_plans.save(changed, expected_version=expected_version,
                                   actor=_name(actor))
    except ConflictError as exc:
        raise exc.in_words("plan", _plan_parts, gone="(nothing)") from None
    audit.record(uow, actor=actor, action="update", object_type="dip_plan",
                 object_id=str(saved.id), crn=None, summary=summary)
    return saved


def _change(plan_id: int, *, expected_version: int, actor: Actor | str, url: str | None,
            summary: str, change: Callable[[PlanView, Any], dict[str, Any]],
            name: str | None = None, purpose: str | None = None) -> PlanView:
    """Open a plan, apply ``change(view, uow) -> content`` and save it, as one versioned step."""
    access.require(actor, "dip.run")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        current = uow.dip_plans.get(plan_id)
        content = change(_view(current), uow)
        saved = _save_plan(uow, current, content, expected_version=expected_version,
                           actor=actor, summary=summary, name=name, purpose=purpose)
        uow.commit()
    return _view(saved)


def _new_content(frame: Frame, *, name: str, source: Mapping[str, Any], reference_date: date,
                 warnings: Sequence[str] = ()) -> dict[str, Any]:
    return {"format": PLAN_FORMAT, "source": dict(source),
            "frame": _frame_content(frame, name=name, warnings=warnings),
            "reference_date": reference_date.isoformat(), "exclusions": [],
            "planning": {"method": "discovery", "prevalence": DEFAULT_PREVALENCE,
                         "confidence": 0.95},
            "design": {"n": None, "strata": [], "allocation": "proportional"},
            "questions": [{"id": q, "text": t} for q, t in DEFAULT_QUESTIONS],
            "draws": []}


def _add_plan(content: Mapping[str, Any], *, name: str, purpose: str, actor: Actor | str,
              url: str | None, summary: str) -> PlanView:
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        saved = uow.dip_plans.add(casework.DipPlan(name=name, purpose=purpose,
                                                   plan=dict(content)), actor=_name(actor))
        audit.record(uow, actor=actor, action="create", object_type="dip_plan",
                     object_id=str(saved.id), crn=None, summary=summary)
        uow.commit()
    return _view(saved)


def _purpose(purpose: str) -> str:
    return purpose.strip() or ("To see how widespread a problem is across the caseload. "
                               "Sampling is not a finding about any practitioner: read the "
                               "results with their working context.")


# ---------------------------------------------------------------- plans
def list_plans(*, actor: Actor | str, url: str | None = None) -> list[Listed]:
    """Every stored dip sample, oldest first (what exists, not what it holds)."""
    access.require(actor, "dip.run")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        found = [_view(p) for p in uow.dip_plans.list_all()]
    return [Listed(id=p.id, name=p.name, version=p.version, has_frame=p.has_frame,
                   draws=len(p.draw_ids), source=p.source_text, updated_by=p.updated_by,
                   updated_at=p.updated_at) for p in found]


def open_plan(plan_id: int, *, actor: Actor | str, url: str | None = None) -> PlanView:
    """A stored dip sample's plan (the opening is audited)."""
    access.require(actor, "dip.run")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        obj = uow.dip_plans.get(plan_id)
        audit.record(uow, actor=actor, action="view", object_type="dip_plan",
                     object_id=str(plan_id), crn=None, summary="opened the dip sample")
        uow.commit()
    return _view(obj)


@dataclass(frozen=True)
class Versions:
    """What is stored now for a plan: its version, its current draw and that draw's version."""

    plan: int
    draw_id: int | None
    draw: int | None
    updated_by: str
    updated_at: datetime | None


def versions(plan_id: int, *, actor: Actor | str, url: str | None = None) -> Versions:
    """The versions stored now (not audited: nothing of the content is read out)."""
    access.require(actor, "dip.run")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        plan = _view(uow.dip_plans.get(plan_id))
        found = uow.dip_draws.get(plan.current_draw) if plan.current_draw else None
    by, at = plan.updated_by, plan.updated_at
    if found is not None and found.updated_at and (at is None or found.updated_at > at):
        by, at = found.updated_by, found.updated_at
    return Versions(plan=plan.version, draw_id=plan.current_draw,
                    draw=found.version if found is not None else None, updated_by=by,
                    updated_at=at)


def read_frame_upload(data: bytes, *, file_name: str) -> tuple[Frame, tuple[str, ...]]:
    """An uploaded caseload.csv checked as a sampling frame (FileInvalid naming rows, columns)."""
    name = _SAFE_NAME.sub("_", Path(file_name).name) or "caseload.csv"
    if not data.strip():
        raise InputError(f"{file_name} is empty: upload the caseload frame (one row per case, "
                         "with a crn column).")
    with tempfile.TemporaryDirectory(prefix="sfo-dip-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            table = tabular.read_text_table(path)
        except FileInvalid as exc:
            raise FileInvalid(exc.problems, total=exc.total, source=file_name) from None
    with _plain(file_name):
        frame = Frame.from_dataframe(table.frame, source=file_name)
    return frame, table.warnings


def create_from_upload(data: bytes, *, file_name: str, actor: Actor | str,
                       url: str | None = None, name: str = "", purpose: str = "",
                       reference_date: date | None = None) -> PlanView:
    """A new dip sample from an uploaded caseload frame, its rows kept in the store."""
    access.require(actor, "dip.run")
    frame, warnings = read_frame_upload(data, file_name=file_name)
    content = _new_content(
        frame, name=Path(file_name).name,
        source={"kind": "upload", "file": Path(file_name).name,
                "sha256": hashlib.sha256(data).hexdigest()},
        reference_date=reference_date or date.today(), warnings=warnings)
    return _add_plan(content, name=name.strip() or f"Dip sample of {Path(file_name).name}",
                     purpose=_purpose(purpose), actor=actor, url=url,
                     summary=f"started a dip sample from the uploaded frame {file_name} "
                             f"({len(frame)} cases, fingerprint {frame.fingerprint[:16]})")


def _stored_frame(*, as_of: date, actor: Actor | str, url: str | None,
                  progress: Progress | None, purpose: str) -> tuple[Frame, pd.DataFrame]:
    from sfo.domain.caseload import caseload_frame
    from sfo.services import records as stored

    say = progress or (lambda _step: None)
    say("Reading every stored case")
    records = stored.load_stored(url, actor=actor, purpose=purpose)
    say("Building the caseload frame")
    table = caseload_frame(records, as_of=as_of)
    say("Checking the frame")
    with _plain("the stored case records"):
        frame = Frame.from_dataframe(table.reset_index(drop=True),
                                     source=f"stored cases as at {as_of.isoformat()}")
    return frame, table


def create_from_store(*, as_of: date, actor: Actor | str, url: str | None = None,
                      name: str = "", purpose: str = "",
                      progress: Progress | None = None) -> PlanView:
    """A new dip sample whose frame is every stored case as at a date (who held it then)."""
    access.require(actor, "dip.run")
    frame, _ = _stored_frame(as_of=as_of, actor=actor, url=url, progress=progress,
                             purpose=f"read every stored case to build a dip-sample frame as "
                                     f"at {as_of.isoformat()}")
    if progress:
        progress("Saving the dip sample")
    label = f"stored cases as at {as_of.isoformat()}"
    content = _new_content(frame, name=label, source={"kind": "store", "as_of": as_of.isoformat()},
                           reference_date=as_of)
    return _add_plan(content, name=name.strip() or f"Dip sample of the caseload as at "
                                                    f"{as_of:%-d %B %Y}",
                     purpose=_purpose(purpose), actor=actor, url=url,
                     summary=f"started a dip sample from the {len(frame)} stored cases as at "
                             f"{as_of.isoformat()} (fingerprint {frame.fingerprint[:16]})")


def start_from_early_look(plan_id: int, *, actor: Actor | str, url: str | None = None,
                          progress: Progress | None = None) -> tuple[PlanView, tuple[str, ...]]:
    """Give a plan an early look drafted its frame: every stored case as at the early look's date.

    The draft's exclusions (everyone not held by the practitioner, and the case
    the early look was about) and its discovery settings are kept; the
    warnings say if the caseload has changed since the draft was made.
    """
    access.require(actor, "dip.run")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        draft = _view(uow.dip_plans.get(plan_id))
    if draft.has_frame:
        raise InputError(f"Dip sample {plan_id} already has its frame.")
    old = dict(draft.content)
    if "as_of" not in old or "staff_code" not in old:
        raise InputError(f"Dip sample {plan_id} was not drafted by an early look, and has no "
                         "frame: start a new dip sample instead.")
    as_of = date.fromisoformat(str(old["as_of"]))
    frame, table = _stored_frame(
        as_of=as_of, actor=actor, url=url, progress=progress,
        purpose=f"read every stored case to build the frame of dip sample {plan_id}")
    code = str(old["staff_code"])
    source = old.get("source") or {}
    now = sorted(table.loc[(table["staff_code"] == code)
                           & (table["crn"] != source.get("crn")), "crn"].tolist())
    warnings: list[str] = []
    if sorted(old.get("crns", [])) != now:
        warnings.append(f"The caseload of {code} as at {as_of:%-d %B %Y} is now {len(now)} "
                        f"cases; the early look's draft counted {len(old.get('crns', []))}. "
                        "Records imported since the draft have changed it: the sample is "
                        "drawn from the caseload as it is stored now.")
    content = {**_new_content(frame, name=f"stored cases as at {as_of.isoformat()}",
                              source=source, reference_date=as_of, warnings=warnings),
               "drafted": {k: v for k, v in old.items() if k not in ("crns",)},
               "staff_code": code, "as_of": as_of.isoformat(),
               "exclusions": list(old.get("exclusions", [])),
               "planning": {"method": "discovery",
                            "prevalence": float(old.get("prevalence", 0.10)),
                            "confidence": float(old.get("confidence", 0.95))},
               "design": {"n": old.get("n"), "strata": [], "allocation": "proportional"}}
    if progress:
        progress("Saving the dip sample")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        current = uow.dip_plans.get(plan_id)
        saved = _save_plan(uow, current, content, expected_version=draft.version, actor=actor,
                           summary=f"gave the dip sample drafted by early look "
                                   f"{source.get('early_look_id')} its frame: {len(frame)} "
                                   f"stored cases as at {as_of.isoformat()}")
        uow.commit()
    return _view(saved), tuple(warnings)


def _no_draw_yet(plan: PlanView, what: str) -> None:
    if plan.draw_ids:
        raise InputError(f"Dip sample {plan.id} has been drawn, so its {what} can no longer "
                         "change. Draw again with the same settings (a redraw, recorded with "
                         "your reason), or start a new dip sample.")


def set_details(plan_id: int, *, name: str, purpose: str, expected_version: int,
                actor: Actor | str, url: str | None = None) -> PlanView:
    """Rename a dip sample and say why it is drawn (the report's purpose)."""
    if not name.strip():
        raise InputError("Give the dip sample a name.")
    return _change(plan_id, expected_version=expected_version, actor=actor, url=url,
                   summary="changed the name and purpose", change=lambda p, _uow: dict(p.content),
                   name=name.strip(), purpose=purpose.strip())


def set_exclusions(plan_id: int, rules: Sequence[str], *, reference_date: date,
                   expected_version: int, actor: Actor | str,
                   url: str | None = None) -> PlanView:
    """Set the exclusion rules (checked against the frame) and the date they count back from."""
    texts = [" ".join(str(r).split()) for r in rules if str(r).strip()]

    def change(plan: PlanView, uow: Any) -> dict[str, Any]:
        _no_draw_yet(plan, "exclusions")
        frame = frame_of(plan)
        with _plain(plan.frame_name):
            parsed = [eligibility.parse_rule(t, columns=frame.columns) for t in texts]
            # Applying them finds bad dates in a column a 'within' rule reads.
            eligibility.apply_exclusions(frame, parsed, reference_date=reference_date)
        return {**plan.content, "exclusions": [r.text for r in parsed],
                "reference_date": reference_date.isoformat()}

    return _change(plan_id, expected_version=expected_version, actor=actor, url=url,
                   summary="set the exclusions: " + ("; ".join(texts) or "none")
                           + f" (as at {reference_date.isoformat()})", change=change)


def set_planning(plan_id: int, *, method: str, prevalence: float | None = None,
                 expected_rate: float | None = None, margin: float | None = None,
                 confidence: float = 0.95, expected_version: int, actor: Actor | str,
                 url: str | None = None) -> PlanView:
    """Set how the sample size is worked out (shares as fractions); the size becomes n."""
    settings: dict[str, Any] = {"method": method, "confidence": confidence}
    if method == "discovery":
        settings["prevalence"] = prevalence
    else:
        settings.update(expected_rate=0.5 if expected_rate is None else expected_rate,
                        margin=margin)

    def change(plan: PlanView, uow: Any) -> dict[str, Any]:
        _no_draw_yet(plan, "sample size")
        trial = replace(plan, content={**plan.content, "planning": settings})
        size = size_of(trial, len(eligibility_of(trial).eligible))
        return {**plan.content, "planning": settings, "design": {**plan.design, "n": size.n}}

    return _change(plan_id, expected_version=expected_version, actor=actor, url=url,
                   summary=f"planned the sample size ({method})", change=change)


def set_design(plan_id: int, *, n: int, strata: Sequence[str] = (),
               allocation: str = "proportional", min_per_stratum: int = 0,
               max_per_stratum: int | None = None, take_all_below: int | None = None,
               rates: Mapping[str, float] | None = None, method: str = "random",
               per_practitioner_limit: int | None = None, one_per_team: bool = False,
               expected_version: int, actor: Actor | str, url: str | None = None) -> PlanView:
    """Set the size, strata and allocation of the draw (checked on the eligible cases)."""
    columns = [c.strip().lower() for c in strata if c.strip()]
    design = {"n": n, "strata": columns,
              "allocation": allocation, "min_per_stratum": min_per_stratum,
              "max_per_stratum": max_per_stratum, "take_all_below": take_all_below,
              "rates": dict(rates) if rates else None, "method": method,
              "per_practitioner_limit": per_practitioner_limit, "one_per_team": one_per_team}

    def change(plan: PlanView, uow: Any) -> dict[str, Any]:
        _no_draw_yet(plan, "strata and allocation")
        trial = replace(plan, content={**plan.content, "design": design})
        allocation_of(trial, eligibility_of(trial).eligible)
        with _plain(plan.frame_name):
            # A trial draw refuses whatever the real one would (a missing column, a
            # practitioner limit with a systematic draw, ...).
            dip.draw_sample(frame_of(plan), **_design_kwargs(design), seed=0,
                            exclude=plan.exclusions, reference_date=plan.reference_date)
        return {**plan.content, "design": design}

    stratified = ", ".join(columns) or "no strata"
    return _change(plan_id, expected_version=expected_version, actor=actor, url=url,
                   summary=f"set the draw: {n} cases, {stratified}, {allocation} allocation",
                   change=change)


def set_questions(plan_id: int, questions: Sequence[tuple[str, str]], *, expected_version: int,
                  actor: Actor | str, url: str | None = None) -> PlanView:
    """Set the checklist questions (id, text); a question already answered cannot be removed."""
    cleaned = [(str(q).strip(), str(t).strip()) for q, t in questions if str(q).strip()]
    problems = []
    seen: set[str] = set()
    for q, t in cleaned:
        if not _QUESTION_ID.fullmatch(q):
            problems.append(f"'{q}' is not a question id: use letters, digits, '.', '-' or '_' "
                            "(up to 20), for example Q1.")
        if q.casefold() in seen:
            problems.append(f"The question id {q} is used twice.")
        seen.add(q.casefold())
        if not t:
            problems.append(f"Question {q} needs its text.")
    if not cleaned:
        problems.append("Give at least one question.")
    if problems:
        raise InputError(" ".join(problems))

    def change(plan: PlanView, uow: Any) -> dict[str, Any]:
        if plan.current_draw is not None:
            answered = {a.question_id for a in _answers(plan.current_draw, url, uow)}
            gone = sorted(answered - {q for q, _ in cleaned})
            if gone:
                raise InputError(f"{', '.join(gone)} already has answers, so it cannot be "
                                 "removed.")
        return {**plan.content, "questions": [{"id": q, "text": t} for q, t in cleaned]}

    return _change(plan_id, expected_version=expected_version, actor=actor, url=url,
                   summary="set the questions: " + ", ".join(q for q, _ in cleaned),
                   change=change)


# ---------------------------------------------------------------- draws
def _design_kwargs(design: Mapping[str, Any]) -> dict[str, Any]:
    n = design.get("n")
    if not n:
        raise InputError("Set the sample size before drawing.")
    return {"n": int(n), "strata": tuple(design.get("strata") or ()),
            "allocation": str(design.get("allocation") or "proportional"),
            "min_per_stratum": int(design.get("min_per_stratum") or 0),
            "max_per_stratum": design.get("max_per_stratum"),
            "take_all_below": design.get("take_all_below"), "rates": design.get("rates"),
            "method": str(design.get("method") or "random"),
            "per_practitioner_limit": design.get("per_practitioner_limit"),
            "one_per_team": bool(design.get("one_per_team"))}


def _entries(text: str, where: str) -> tuple[selection_log.LogEntry, ...]:
    with _plain(where):
        return selection_log.from_jsonl(text, source=where)


def draw(plan_id: int, *, expected_version: int, actor: Actor | str, url: str | None = None,
         seed: int | str | None = None, reason: str = "",
         now: datetime | None = None) -> DrawView:
    """Draw the sample (a new 128-bit seed unless one is given), record it and log it.

    Drawing a plan again needs a reason: the new draw carries the earlier
    draws' log on, so the redraw is in the chain, and the record names the
    draw it replaced. A draw of the same eligible cases in another dip sample
    is named in the warnings too.
    """
    access.require(actor, "dip.run")
    if isinstance(seed, str):
        try:
            seed = hashing.parse_seed(seed) if seed.strip() else None
        except ValueError as exc:
            raise InputError(str(exc).capitalize() + ".") from None
    at = now or bootstrap.now()
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        current = uow.dip_plans.get(plan_id)
        plan = _view(current)
        if plan.version != expected_version:
            # Checked before the work; the save below checks again.
            raise ConflictError(f"Dip-sample plan {plan_id}", by=plan.updated_by or "someone",
                                at=plan.updated_at.isoformat(timespec="seconds")
                                if plan.updated_at else "?", changes={})
        previous = uow.dip_draws.get(plan.current_draw) if plan.current_draw else None
        if previous is not None and not reason.strip():
            raise InputError("This dip sample has been drawn already. Drawing again is a "
                             "redraw, shown in the selection log and the report: say why.")
        frame = frame_of(plan)
        entries: tuple[selection_log.LogEntry, ...] = ()
        if previous is not None:
            entries = _entries(previous.log, f"the selection log of draw {previous.id}")
            trouble = dip.log_trouble(entries, previous.record.get("log_head"))
            if trouble:
                raise InputError(f"The selection log of draw {previous.id} {trouble}")
        with _plain(plan.frame_name):
            elig, sample = dip.draw_sample(
                frame, **_design_kwargs(plan.design), seed=seed, exclude=plan.exclusions,
                reference_date=plan.reference_date, actor=_name(actor), at=at)
        detail: dict[str, Any] = {"frame": plan.frame_name, "plan_id": plan_id,
                                  "exclusions": list(plan.exclusions)}
        if previous is not None:
            detail["redraw_reason"] = reason.strip()
        entries = selection_log.append(entries, action="draw", actor=_name(actor), at=at,
                                       sample=sample, detail=detail)
        record = dip.draw_record({"name": plan.frame_name, "plan_id": plan_id,
                                  "rows": len(frame), "fingerprint": frame.fingerprint},
                                 elig, list(plan.exclusions), sample, [])
        record["log_head"] = entries[-1].entry_hash
        record["eligibility_warnings"] = list(elig.warnings)
        warnings = list(record["warnings"])
        if previous is not None:
            record["replaces"] = {"draw_id": previous.id, "seed": previous.record.get("seed"),
                                  "drawn_by": previous.record.get("drawn_by"),
                                  "drawn_at": previous.record.get("drawn_at"),
                                  "reason": reason.strip()}
            warnings.append(f"Redraw: this sample replaces draw {previous.id} (seed "
                            f"{previous.record.get('seed')}, by "
                            f"{previous.record.get('drawn_by') or 'unnamed'} at "
                            f"{previous.record.get('drawn_at')}). The reason given: "
                            f"{reason.strip().rstrip('.')}. Both draws must be reported.")
        for other in uow.dip_draws.list_all():
            earlier = other.record.get("eligible", {}).get("fingerprint")
            if (earlier == elig.eligible.fingerprint and other.plan_id != plan_id):
                warnings.append(f"The same eligible cases were drawn before in dip sample "
                                f"{other.plan_id} (draw {other.id}, seed "
                                f"{other.record.get('seed')}, by "
                                f"{other.record.get('drawn_by') or 'unnamed'}). Both draws "
                                "must be reported.")
        record["warnings"] = warnings
        added = uow.dip_draws.add(casework.DipDraw(
            plan_id=plan_id, record=record, log=selection_log.to_jsonl(entries)),
            actor=_name(actor))
        assert added.id is not None
        after = _save_plan(uow, current, {**plan.content, "draws": [*plan.draw_ids, added.id]},
                           expected_version=expected_version, actor=actor,
                           summary=f"drew {len(sample.selected)} cases (draw {added.id})")
        audit.record(uow, actor=actor, action="create", object_type="dip_draw",
                     object_id=str(added.id), crn=None,
                     summary=f"drew {len(sample.selected)} of {len(elig.eligible)} eligible "
                             f"cases with seed {record['seed']}"
                             + (" (a redraw)" if previous is not None else ""))
        uow.commit()
    return _draw_view(added, _view(after), frame)


def _draw_view(obj: casework.DipDraw, plan: PlanView, frame: Frame | None = None) -> DrawView:
    """A draw made again from the plan's frame and checked against its record and log."""
    assert obj.id is not None
    record = dict(obj.record)
    frame = frame if frame is not None else frame_of(plan)
    what = f"Draw {obj.id} of dip sample {plan.id}"
    if frame.fingerprint != record["frame"]["fingerprint"]:
        raise InputError(f"{what} was made from a different frame from the one the dip sample "
                         "keeps (the fingerprints differ), so it cannot be checked.")
    entries = _entries(obj.log, f"the selection log of draw {obj.id}")
    trouble = dip.log_trouble(entries, record.get("log_head"))
    if trouble:
        raise InputError(f"The selection log of draw {obj.id} {trouble}")
    with _plain(plan.frame_name):
        sample, elig = dip.replay(frame, record)
    if elig.eligible.fingerprint != record["eligible"]["fingerprint"]:
        raise InputError(f"{what}: the eligible cases no longer come out as recorded, so the "
                         "draw cannot be checked.")
    if not entries or entries[-1].selected_digest != sample.selected_digest():
        raise InputError(f"{what} does not come out as its selection log says when it is made "
                         "again from the frame and seed: its record has been changed.")
    return DrawView(id=obj.id, version=obj.version, plan_id=plan.id, record=record,
                    sample=sample, eligibility=elig, log=entries,
                    redraws=tuple(str(r) for r in selection_log.redraws(entries)),
                    current=plan.current_draw == obj.id)


def open_draw(draw_id: int, *, actor: Actor | str, url: str | None = None) -> DrawView:
    """A stored draw, made again from its frame and checked (the opening is audited)."""
    access.require(actor, "dip.run")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        obj = uow.dip_draws.get(draw_id)
        plan = _plan_of(uow, obj)
        audit.record(uow, actor=actor, action="view", object_type="dip_draw",
                     object_id=str(draw_id), crn=None, summary="opened the draw")
        uow.commit()
    return _draw_view(obj, plan)


def _plan_of(uow: Any, obj: casework.DipDraw) -> PlanView:
    if obj.plan_id is None:
        raise NotFound(f"Draw {obj.id} belongs to no dip sample.")
    return _view(uow.dip_plans.get(obj.plan_id))


def _current(uow: Any, draw_id: int, expected_version: int | None = None
             ) -> tuple[casework.DipDraw, PlanView]:
    obj = uow.dip_draws.get(draw_id)
    plan = _plan_of(uow, obj)
    if plan.current_draw != draw_id:
        raise InputError(f"Draw {draw_id} was replaced by a redraw (draw {plan.current_draw}), "
                         "so it can no longer change; work on the current draw.")
    if expected_version is not None and obj.version != expected_version:
        raise ConflictError(f"Dip-sample draw {draw_id}", by=obj.updated_by or "someone",
                            at=obj.updated_at.isoformat(timespec="seconds")
                            if obj.updated_at else "?",
                            changes={"record": ("the draw you had open", "a newer version")})
    return obj, plan


def substitute(draw_id: int, *, crn: str, reason: str, note: str = "", expected_version: int,
               actor: Actor | str, url: str | None = None,
               now: datetime | None = None) -> DrawView:
    """Replace an ineligible case with the next reserve case of its stratum, logged.

    "Unable to assess" is refused: a case whose records cannot be assessed
    stays in the sample and counts as not meeting the standard.
    """
    access.require(actor, "dip.run")
    code = str(reason).strip().upper().replace(" ", "-").replace("_", "-")
    if code == UNABLE_TO_ASSESS:
        raise InputError(
            f"{crn} is not replaced: 'unable to assess' is not a reason to substitute. Records "
            "that cannot be assessed are themselves a finding, so the case stays in the sample: "
            "record the answer 'Unable to assess' in the results, where it counts as not "
            "meeting the standard.")
    at = now or bootstrap.now()
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        obj, plan = _current(uow, draw_id, expected_version)
        view = _draw_view(obj, plan)
        with _plain():
            new = substitution.substitute(view.sample, crn.strip(), code, note=note,
                                          actor=_name(actor), at=at)
        done = new.substitutions[-1]
        record = dict(obj.record)
        record["substitutions"] = [*record["substitutions"],
                                   dip.substitution_entry(new, actor=_name(actor), at=at)]
        record["warnings"] = list(dict.fromkeys([*record.get("warnings", []), *new.warnings]))
        entries = selection_log.append(view.log, action="substitute", actor=_name(actor),
                                       at=at, sample=new,
                                       detail={"crn": done.crn, "reason": done.reason,
                                               "replaced_by": done.replaced_by})
        record["log_head"] = entries[-1].entry_hash
        if done.crn in (record.get("second_review") or {}).get("crns", ()):
            chosen = list(record["second_review"]["crns"])
            chosen[chosen.index(done.crn)] = done.replaced_by
            record["second_review"] = {**record["second_review"], "crns": chosen}
        saved = uow.dip_draws.save(replace(obj, record=record,
                                           log=selection_log.to_jsonl(entries)),
                                   expected_version=obj.version, actor=_name(actor))
        audit.record(uow, actor=actor, action="update", object_type="dip_draw",
                     object_id=str(draw_id), crn=done.crn,
                     summary=f"replaced {done.crn} ({done.reason}"
                             + (f": {done.note}" if done.note else "")
                             + f") with {done.replaced_by}, the next reserve case of "
                               f"{done.stratum}")
        uow.commit()
    return _draw_view(saved, plan)


def choose_second_review(draw_id: int, *, size: int | None = None,
                         fraction: float | None = None, expected_version: int,
                         actor: Actor | str, url: str | None = None) -> DrawView:
    """Choose the cases a second reviewer re-audits, reproducibly from the draw's seed."""
    access.require(actor, "dip.run")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        obj, plan = _current(uow, draw_id, expected_version)
        view = _draw_view(obj, plan)
        with _plain():
            chosen = evaluation.second_review_subset(
                list(view.crns), hashing.parse_seed(view.seed), size=size, fraction=fraction)
        record = {**obj.record, "second_review": {"crns": list(chosen), "size": size,
                                                  "fraction": fraction}}
        saved = uow.dip_draws.save(replace(obj, record=record), expected_version=obj.version,
                                   actor=_name(actor))
        audit.record(uow, actor=actor, action="update", object_type="dip_draw",
                     object_id=str(draw_id), crn=None,
                     summary=f"chose {len(chosen)} cases for a second review: "
                             + ", ".join(chosen))
        uow.commit()
    return _draw_view(saved, plan)


# ---------------------------------------------------------------- results
def _answer(obj: casework.DipResult) -> Answer:
    assert obj.id is not None
    return Answer(id=obj.id, version=obj.version, crn=obj.crn, question_id=obj.question_id,
                  answer=obj.answer, reviewer=obj.reviewer, comment=obj.comment,
                  updated_by=obj.updated_by, updated_at=obj.updated_at)


def _answers(draw_id: int, url: str | None, uow: Any = None) -> list[Answer]:
    if uow is None:
        with _engine(url) as engine, bootstrap.unit_of_work(engine) as own:
            return _answers(draw_id, url, own)
    # The repository lists by person; a draw's answers are few enough to filter here.
    return [_answer(r) for r in uow.dip_results.list_all() if r.draw_id == draw_id]


def answers(draw_id: int, *, actor: Actor | str, url: str | None = None) -> list[Answer]:
    """Every answer stored for a draw, oldest first (with the version a change must name)."""
    access.require(actor, "dip.run")
    return _answers(draw_id, url)


def _word(answer: str) -> str:
    found = evaluation.normalise_answers(pd.Series([answer])).iloc[0]
    if found not in ANSWERS:
        raise InputError(f"'{answer}' is not an answer: use "
                         + ", ".join(ANSWER_LABELS.values()) + ".")
    return str(found)


def record_answers(draw_id: int, changes: Sequence[AnswerChange], *, actor: Actor | str,
                   url: str | None = None) -> list[Answer]:
    """Store answers as one step: a new one, or a change to the version shown (else a conflict).

    An answer someone else stored meanwhile for the same case, question and
    reviewer is never overwritten: the whole step is refused with
    ConflictError saying who and when.
    """
    access.require(actor, "dip.run")
    saved: list[Answer] = []
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        obj, plan = _current(uow, draw_id)
        view = _draw_view(obj, plan)
        in_sample = set(view.crns)
        questions = {q for q, _ in plan.questions}
        existing = {(a.crn, a.question_id, a.reviewer.casefold()): a
                    for a in _answers(draw_id, url, uow)}
        touched: dict[str, list[str]] = {}
        for c in changes:
            crn, qid, reviewer = c.crn.strip(), c.question_id.strip(), c.reviewer.strip()
            if crn not in in_sample:
                raise InputError(f"{crn} is not in the sample, so it cannot be answered.")
            if qid not in questions:
                raise InputError(f"{qid} is not a question of this dip sample (its questions: "
                                 f"{', '.join(sorted(questions))}).")
            if not reviewer:
                raise InputError("Say who answered (the reviewer).")
            word = _word(c.answer)
            found = existing.get((crn, qid, reviewer.casefold()))
            if found is None and c.expected_version is not None:
                raise NotFound(f"The answer to {qid} for {crn} by {reviewer} is no longer "
                               "stored.")
            if found is not None and c.expected_version is None:
                at = found.updated_at.isoformat(timespec="seconds") if found.updated_at else "?"
                raise ConflictError(f"The answer to {qid} for {crn} by {found.reviewer}",
                                    by=found.updated_by or "someone", at=at,
                                    changes={"answer": ("(none)", ANSWER_LABELS.get(
                                        found.answer, found.answer))})
            comment = (c.comment.strip() if c.comment is not None
                       else found.comment if found is not None else "")
            if found is None:
                added = uow.dip_results.add(casework.DipResult(
                    draw_id=draw_id, crn=crn, question_id=qid, answer=word,
                    reviewer=reviewer, comment=comment), actor=_name(actor))
                saved.append(_answer(added))
            elif (found.answer, found.comment) != (word, comment):
                assert c.expected_version is not None
                stored = uow.dip_results.get(found.id)
                new = uow.dip_results.save(replace(stored, answer=word, comment=comment),
                                           expected_version=c.expected_version,
                                           actor=_name(actor))
                saved.append(_answer(new))
            else:
                continue
            touched.setdefault(crn, []).append(f"{qid} {ANSWER_LABELS[word].lower()}")
        for crn, said in touched.items():
            audit.record(uow, actor=actor, action="update", object_type="dip_results",
                         object_id=str(draw_id), crn=crn,
                         summary="recorded dip-sample answers: " + ", ".join(said))
        uow.commit()
    return saved


def _results_frame(rows: Sequence[Answer]) -> pd.DataFrame:
    return pd.DataFrame({
        "crn": pd.Series([a.crn for a in rows], dtype=object),
        "question_id": pd.Series([a.question_id for a in rows], dtype=object),
        "answer": pd.Series([a.answer for a in rows], dtype=object),
        "reviewer": pd.Series([a.reviewer for a in rows], dtype=object),
        "comment": pd.Series([a.comment for a in rows], dtype=object)})


def upload_results(draw_id: int, data: bytes, *, file_name: str, actor: Actor | str,
                   url: str | None = None) -> UploadOutcome:
    """Store the answers of an uploaded results.csv (all or nothing; problems by row and column).

    Rows with no answer yet are skipped. An answer already stored for the same
    case, question and reviewer is replaced by the file's (its earlier version
    is kept in the store's history).
    """
    access.require(actor, "dip.run")
    name = _SAFE_NAME.sub("_", Path(file_name).name) or "results.csv"
    with tempfile.TemporaryDirectory(prefix="sfo-dip-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            table = tabular.read_text_table(path).frame
        except FileInvalid as exc:
            raise FileInvalid(exc.problems, total=exc.total, source=file_name) from None
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        obj, plan = _current(uow, draw_id)
        view = _draw_view(obj, plan)
        problems: list[Problem] = []
        skipped = 0
        if "answer" in table.columns:
            blank = table["answer"].astype("string").fillna("").str.strip() == ""
            skipped = int(blank.sum())
            table = table[~blank].reset_index(drop=True)
        questions = {q for q, _ in plan.questions}
        if "question_id" in table.columns:
            for row, qid in zip(table["row"].tolist(),
                                table["question_id"].astype("string").fillna("").str.strip(),
                                strict=True):
                if qid and qid not in questions:
                    problems.append(Problem(file_name, int(row), "question_id",
                                            f"{qid} is not a question of this dip sample (its "
                                            f"questions: {', '.join(sorted(questions))})"))
        try:
            dip.evaluate_tables(table, view.sample.selected, dip.population_of(view.record),
                                source=file_name)
        except ResultsInvalid as exc:
            problems += [Problem(file_name, i.row, i.column, i.message) for i in exc.issues]
        except DipSampleError as exc:
            raise InputError(str(exc)) from None
        if problems:
            problems.sort(key=lambda p: (p.row or 0, p.column or ""))
            raise FileInvalid(problems, source=file_name)
        existing = {(a.crn, a.question_id, a.reviewer.casefold()): a
                    for a in _answers(draw_id, url, uow)}
        added = changed = unchanged = 0
        cases: set[str] = set()
        spelled = {c.upper(): c for c in view.crns}
        comments = (table["comment"].astype("string").fillna("") if "comment" in table.columns
                    else pd.Series([""] * len(table)))
        for crn, qid, answer, reviewer, comment in zip(
                table["crn"].astype("string").str.strip(),
                table["question_id"].astype("string").str.strip(),
                evaluation.normalise_answers(table["answer"]),
                table["reviewer"].astype("string").str.strip(), comments.str.strip(),
                strict=True):
            crn = spelled[str(crn).upper()]
            found = existing.get((crn, str(qid), str(reviewer).casefold()))
            if found is None:
                uow.dip_results.add(casework.DipResult(
                    draw_id=draw_id, crn=crn, question_id=str(qid), answer=str(answer),
                    reviewer=str(reviewer), comment=str(comment)), actor=_name(actor))
                added += 1
            elif (found.answer, found.comment) != (answer, comment):
                stored = uow.dip_results.get(found.id)
                uow.dip_results.save(replace(stored, answer=str(answer), comment=str(comment)),
                                     expected_version=stored.version, actor=_name(actor))
                changed += 1
            else:
                unchanged += 1
                continue
            cases.add(crn)
        for crn in sorted(cases):
            audit.record(uow, actor=actor, action="update", object_type="dip_results",
                         object_id=str(draw_id), crn=crn,
                         summary=f"stored dip-sample answers from {file_name}")
        audit.record(uow, actor=actor, action="import", object_type="dip_results",
                     object_id=str(draw_id), crn=None,
                     summary=f"uploaded {file_name}: {added} new answers, {changed} changed, "
                             f"{unchanged} unchanged, {skipped} rows with no answer skipped")
        uow.commit()
    return UploadOutcome(added=added, changed=changed, unchanged=unchanged, skipped=skipped,
                         cases=len(cases))


# ---------------------------------------------------------------- evaluation and documents
def _evaluate(view: DrawView, plan: PlanView, rows: Sequence[Answer], *, confidence: float,
              interval: str) -> Evaluated:
    in_sample = set(view.crns)
    kept = [a for a in sorted(rows, key=lambda a: a.id) if a.crn in in_sample]
    left = sorted({a.crn for a in rows if a.crn not in in_sample})
    warnings = []
    if left:
        warnings.append(f"Answers recorded for {', '.join(left)} are not counted: the "
                        f"{'case was' if len(left) == 1 else 'cases were'} replaced as "
                        "ineligible.")
    population = dip.population_of(view.record)
    with _plain("the stored answers"):
        found = dip.evaluate_tables(_results_frame(kept), view.sample.selected, population,
                                    confidence=confidence, interval=interval,
                                    source="the stored answers")
    return Evaluated(evaluation=found, population=population, questions=plan.questions,
                     answers=len(kept), warnings=tuple(warnings) + tuple(found.warnings))


def evaluate(draw_id: int, *, actor: Actor | str, url: str | None = None,
             confidence: float = 0.95, interval: str = "exact") -> Evaluated:
    """The draw's stored answers evaluated: rates, intervals, strata and agreement."""
    access.require(actor, "dip.run")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        obj = uow.dip_draws.get(draw_id)
        plan = _plan_of(uow, obj)
        rows = _answers(draw_id, url, uow)
    return _evaluate(_draw_view(obj, plan), plan, rows, confidence=confidence,
                     interval=interval)


def _exported(draw_id: int, actor: Actor | str, url: str | None, summary: str) -> None:
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        audit.record(uow, actor=actor, action="export", object_type="dip_draw",
                     object_id=str(draw_id), crn=None, summary=summary)
        uow.commit()


def worklist_table(view: DrawView) -> pd.DataFrame:
    """The sampled cases as auditors work through them: order, case, stratum, frame columns."""
    selected = view.sample.selected.drop(columns=["row"], errors="ignore")
    first = ["selection_order", "crn", "stratum"]
    table = selected[first + [c for c in selected.columns if c not in first]].copy()
    second = set(view.second_review)
    table["second_review"] = ["Y" if c in second else "" for c in table["crn"].astype(str)]
    return table.reset_index(drop=True)


def worklist(draw_id: int, fmt: str, *, actor: Actor | str, url: str | None = None) -> bytes:
    """The worklist as CSV or XLSX, formulas neutralised (the download is audited)."""
    access.require(actor, "dip.run")
    if fmt not in ("csv", "xlsx"):
        raise InputError(f"The worklist can be downloaded as CSV or XLSX, not '{fmt}'.")
    view = open_draw(draw_id, actor=actor, url=url)
    table = worklist_table(view)
    data = (exports.csv_bytes(table) if fmt == "csv"
            else exports.xlsx_bytes(table, sheet="Worklist"))
    _exported(draw_id, actor, url, f"downloaded the worklist of {len(table)} cases as "
                                   f"{fmt.upper()}")
    return data


def results_form(draw_id: int, *, actor: Actor | str, url: str | None = None,
                 reviewer: str = "") -> bytes:
    """A results.csv to fill in: one row per sampled case and question, answers blank."""
    access.require(actor, "dip.run")
    view = open_draw(draw_id, actor=actor, url=url)
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        plan = _view(uow.dip_plans.get(view.plan_id))
    rows = [{"crn": c, "question_id": q, "answer": "", "reviewer": reviewer, "comment": ""}
            for c in view.crns for q, _ in plan.questions]
    data = exports.csv_bytes(pd.DataFrame(rows, columns=["crn", "question_id", "answer",
                                                         "reviewer", "comment"]))
    _exported(draw_id, actor, url, f"downloaded a results form for {len(view.crns)} cases")
    return data


def report_model(draw_id: int, *, actor: Actor | str, url: str | None = None,
                 confidence: float = 0.95, today: date | None = None) -> render.ReportModel:
    """Everything the report says, with the practitioners' working context from the store."""
    from sfo.services import records as stored

    access.require(actor, "dip.run")
    with _engine(url) as engine, bootstrap.unit_of_work(engine) as uow:
        obj = uow.dip_draws.get(draw_id)
        plan = _plan_of(uow, obj)
        rows = _answers(draw_id, url, uow)
    view = _draw_view(obj, plan)
    found = _evaluate(view, plan, rows, confidence=confidence, interval="exact")
    ref = date.fromisoformat(view.record["eligible"]["reference_date"])
    selected = view.sample.selected
    records = None
    if "staff_code" in selected.columns:
        try:
            # Staff-level tables only (no person's case is read): workload, training,
            # supervision and grade of the practitioners whose cases were sampled.
            records = stored.load_stored(url, crns=[], actor=actor,
                                         purpose=f"read staff records for the working context "
                                                 f"of dip sample {plan.id}")
        except NotFound:
            records = None
    practitioners, note = dip_report.working_context(selected, records, ref,
                                                     source="the stored case records")
    if records is None:
        note = ("No staff records are stored, so the working context of the practitioners "
                "whose work was sampled (workload, training, supervision) is not shown. It "
                "must be considered before any conclusion is drawn about an individual."
                if "staff_code" in selected.columns else
                "The frame has no staff_code column, so the sampled cases cannot be matched "
                "to practitioners and their working context is not shown. It must be "
                "considered before any conclusion is drawn about an individual.")
    questions = "; ".join(f"{q} {t}" for q, t in plan.questions)
    return dip_report.model(
        view.record, selected, found.evaluation, found.population,
        frame_name=f"{plan.frame_name} (kept with dip sample {plan.id})",
        practitioners=practitioners, context_note=note,
        warnings=(*view.redraws, *found.warnings),
        purpose=f"{plan.purpose}\n\nEach sampled case was checked against these questions: "
                f"{questions}",
        title=plan.name or "Dip sample report", confidence=confidence, today=today)


def report(draw_id: int, fmt: str, *, actor: Actor | str, url: str | None = None,
           confidence: float = 0.95, today: date | None = None) -> bytes:
    """The dip-sample report as Word (``docx``) or HTML (the download is audited)."""
    if fmt not in ("docx", "html"):
        raise InputError(f"The report can be downloaded as Word (docx) or HTML, not '{fmt}'.")
    model = report_model(draw_id, actor=actor, url=url, confidence=confidence, today=today)
    with tempfile.TemporaryDirectory(prefix="sfo-dip-") as tmp:
        path = Path(tmp) / f"report.{fmt}"
        (render.write_docx if fmt == "docx" else render.write_html)(model, path)
        data = path.read_bytes()
    _exported(draw_id, actor, url, f"downloaded the dip-sample report as {fmt.upper()}")
    return data
