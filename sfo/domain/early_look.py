"""The early look: a manager's first structured look at a case after an SFO charge.

Within days of the charge the manager answers the checklist (answers proposed
from the rule findings, each confirmed or changed with a reason), records the
working context fairly and confirms it was considered, works through the
just-culture sequence for any individual act or omission, sets immediate
actions and recommends what happens next. The toolkit proposes answers from
evidence and checks that the record is complete; it never chooses an outcome
or a recommendation.

Everything is held in one immutable :class:`EarlyLookState`. Each change is a
function returning a new state; a signed-off state cannot be changed. The
state round-trips through plain JSON types (:meth:`EarlyLookState.to_dict`,
:meth:`EarlyLookState.from_dict`) so that the store can keep it in the
``content`` of an :class:`sfo.domain.casework.EarlyLook` row.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sfo.domain import editing
from sfo.domain import just_culture as jc
from sfo.domain.calendar import WorkingCalendar
from sfo.domain.checklist import CONDITIONS, Checklist, Question
from sfo.domain.context import CATEGORIES, ContextEntry, prefill_working_context
from sfo.domain.deadlines import Deadline, deadlines
from sfo.domain.findings import CaseFindings, Finding
from sfo.domain.records import CaseRecords
from sfo.domain.rulepack import RulePack
from sfo.domain.rules.prepare import prepare
from sfo.errors import EarlyLookInvalid

__all__ = [
    "ANSWERS",
    "ANSWER_MEANINGS",
    "CONTENT_SCHEMA",
    "RECOMMENDATIONS",
    "Answer",
    "Deadline",
    "EarlyLookState",
    "Evidence",
    "ImmediateAction",
    "ProposedAnswer",
    "Recommendation",
    "Signature",
    "add_action",
    "add_context",
    "add_just_culture",
    "case_conditions",
    "complete",
    "completion_problems",
    "confirm",
    "consider_context",
    "deadlines",
    "edit_context",
    "good_practice_rule",
    "looks_like_person",
    "prefill",
    "prefill_working_context",
    "recommend",
    "remove_action",
    "remove_context",
    "remove_just_culture",
    "set_action_done",
    "start",
    "update_just_culture",
]

CONTENT_SCHEMA = 1  # the version of the to_dict() layout

ANSWERS: dict[str, str] = {
    "met": "Met",
    "not_met": "Not met",
    "partly": "Partly met",
    "not_supplied": "Not supplied",
    "not_applicable": "Not applicable",
    "to_answer": "To answer",
}
ANSWER_MEANINGS: dict[str, str] = {
    "met": "Yes: what the question asks was done.",
    "not_met": "No: there is a significant gap in this part of practice.",
    "partly": "Some of it was done, some was not.",
    "not_supplied": "The records needed to answer were not supplied. This is not the same "
                    "as 'no'.",
    "not_applicable": "The question does not apply to this case.",
    "to_answer": "Nothing gives evidence for this question yet: the manager answers it "
                 "from the case record.",
}
RECOMMENDATIONS: dict[str, str] = {
    "full_sfo_review": "Full SFO review",
    "hr_advice": "HR advice",
    "dip_sample": "Dip sample of the practitioner's caseload",
    "no_further_action": "No further action",
}

# GOOD-PRACTICE findings share one rule id; the rule that recorded each is
# known from how its sentence opens (the wording is in sfo/domain/rules/*.py).
# A test runs every scenario bundle and fails if a good-practice finding
# matches none of these, so a change of wording cannot drop evidence silently.
_GOOD_PRACTICE_OPENINGS: tuple[tuple[str, str], ...] = (
    ("The first appointment was held", "FIRST-APPT"),
    ("A risk assessment was completed", "RISK-INIT"),
    ("Recall was considered", "RECALL-TIMELY"),
    ("Enforcement action followed", "ENFORCEMENT"),
    ("Police domestic abuse and children's services checks", "DA-CHECKS"),
    ("A home visit was made", "HOME-VISIT"),
    ("Management oversight of this high-risk case", "OVERSIGHT"),
)
_NOT_APPLICABLE: dict[str, str] = {
    "licence": "The records show this case is not a licence, so this question does not "
               "apply.",
    "da_child": "The records show no domestic abuse or child safeguarding concerns (index "
                "offence, curfew requirement or registrations), so this question does not "
                "apply.",
}
_UNKNOWN: dict[str, str] = {
    "licence": "sentences and licences (events.csv) were not supplied",
    "da_child": "registrations (registrations.csv), which would show domestic abuse and "
                "child protection registrations, were not supplied",
}
# Something that looks like a staff code or an email address names a person, not a role.
_PERSON = re.compile(r"^[A-Z]\d{2}[A-Z0-9]{4,5}$|@")


# -- the pieces -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Evidence:
    """One finding behind a proposed answer: what the rule found, when, and what was known."""

    rule_id: str
    kind: str
    date: date | None
    summary: str
    records: tuple[str, ...]   # record ids (contacts, assessments, rows) to look at
    known: tuple[str, ...]     # what was recorded on or before the date

    @classmethod
    def from_finding(cls, f: Finding) -> Evidence:
        """The evidence form of a rule finding."""
        return cls(rule_id=f.rule_id, kind=f.kind, date=f.date, summary=f.summary,
                   records=tuple(f.evidence), known=tuple(f.known))


@dataclass(frozen=True)
class ProposedAnswer:
    """The answer the evidence points to, with the basis for it, before the manager looks."""

    question_id: str
    answer: str
    basis: str                              # one or two plain-English sentences
    evidence: tuple[Evidence, ...] = ()     # gaps first, then good practice
    not_checked: tuple[str, ...] = ()       # why a rule could not check this case


@dataclass(frozen=True)
class Answer:
    """The manager's answer to one question: confirmed as proposed or changed with a reason."""

    question_id: str
    answer: str
    proposed: str
    by: str
    at: datetime
    reason: str = ""

    @property
    def overridden(self) -> bool:
        """Whether the manager changed an answer the evidence proposed."""
        return self.proposed != "to_answer" and self.answer != self.proposed


@dataclass(frozen=True)
class Signature:
    """Who confirmed something, and when."""

    by: str
    at: datetime


@dataclass(frozen=True)
class ImmediateAction:
    """Something to do now: owned by a role (never a named person), with a due date."""

    action_id: str
    description: str
    owner_role: str
    due: date
    done: bool = False
    question_id: str | None = None   # the checklist question it answers, if any


@dataclass(frozen=True)
class Recommendation:
    """What the manager recommends happens next, and why."""

    choices: tuple[str, ...]
    rationale: str
    by: str
    at: datetime


@dataclass(frozen=True)
class EarlyLookState:
    """Everything recorded in one early look (see the module docstring)."""

    crn: str
    as_of: date
    charge_date: date
    checklist_name: str
    checklist_version: str
    questions: tuple[Question, ...]          # the checklist as it was when the look began
    proposals: tuple[ProposedAnswer, ...]
    answers: tuple[Answer, ...] = ()
    context: tuple[ContextEntry, ...] = ()
    context_considered: Signature | None = None
    just_culture: tuple[jc.JustCultureRecord, ...] = ()
    actions: tuple[ImmediateAction, ...] = ()
    recommendation: Recommendation | None = None
    signed_off: Signature | None = None

    def __post_init__(self) -> None:
        ids = [q.id for q in self.questions]
        if [p.question_id for p in self.proposals] != ids:
            raise EarlyLookInvalid("The proposed answers do not match the questions of the "
                                   "checklist, one for one and in order.")
        given = [(p.question_id, p.answer) for p in self.proposals]
        given += [(a.question_id, a.answer) for a in self.answers]
        for qid, value in given:
            if value not in ANSWERS:
                raise EarlyLookInvalid(f"'{value}' is not an answer (question {qid}).")
        stray = [a.question_id for a in self.answers if a.question_id not in ids]
        if stray or len({a.question_id for a in self.answers}) != len(self.answers):
            raise EarlyLookInvalid("Each answer must be to a different question of the "
                                   "checklist.")

    def question(self, question_id: str) -> Question:
        """One question of the checklist this look uses."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise EarlyLookInvalid(f"The checklist {self.checklist_name} {self.checklist_version} "
                               f"has no question {question_id}.")

    def proposal(self, question_id: str) -> ProposedAnswer:
        """The proposed answer to one question."""
        self.question(question_id)
        return next(p for p in self.proposals if p.question_id == question_id)

    def answer(self, question_id: str) -> Answer | None:
        """The manager's answer to one question, if given."""
        return next((a for a in self.answers if a.question_id == question_id), None)

    def current(self, question_id: str) -> str:
        """The manager's answer if given, else the proposed one."""
        given = self.answer(question_id)
        return given.answer if given else self.proposal(question_id).answer

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only (str, int, bool, None, lists, dicts)."""
        return {
            "schema": CONTENT_SCHEMA,
            "crn": self.crn,
            "as_of": self.as_of.isoformat(),
            "charge_date": self.charge_date.isoformat(),
            "checklist": {"name": self.checklist_name, "version": self.checklist_version},
            "questions": [_question_dict(q) for q in self.questions],
            "proposals": [_proposal_dict(p) for p in self.proposals],
            "answers": [{"question_id": a.question_id, "answer": a.answer,
                         "proposed": a.proposed, "by": a.by, "at": a.at.isoformat(),
                         "reason": a.reason} for a in self.answers],
            "context": [e.to_dict() for e in self.context],
            "context_considered": _sig_dict(self.context_considered),
            "just_culture": [r.to_dict() for r in self.just_culture],
            "actions": [{"action_id": a.action_id, "description": a.description,
                         "owner_role": a.owner_role, "due": a.due.isoformat(),
                         "done": a.done, "question_id": a.question_id} for a in self.actions],
            "recommendation": None if self.recommendation is None else {
                "choices": list(self.recommendation.choices),
                "rationale": self.recommendation.rationale,
                "by": self.recommendation.by, "at": self.recommendation.at.isoformat()},
            "signed_off": _sig_dict(self.signed_off),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EarlyLookState:
        """Rebuild a state from :meth:`to_dict` (EarlyLookInvalid if it is not one)."""
        schema = data.get("schema")
        if schema != CONTENT_SCHEMA:
            raise EarlyLookInvalid(f"This early look was saved in layout {schema!r}; this "
                                   f"version of the toolkit reads layout {CONTENT_SCHEMA}.")
        try:
            return cls(
                crn=str(data["crn"]),
                as_of=date.fromisoformat(data["as_of"]),
                charge_date=date.fromisoformat(data["charge_date"]),
                checklist_name=str(data["checklist"]["name"]),
                checklist_version=str(data["checklist"]["version"]),
                questions=tuple(_question_from(q) for q in data["questions"]),
                proposals=tuple(_proposal_from(p) for p in data["proposals"]),
                answers=tuple(Answer(question_id=a["question_id"], answer=a["answer"],
                                     proposed=a["proposed"], by=a["by"],
                                     at=datetime.fromisoformat(a["at"]), reason=a["reason"])
                              for a in data["answers"]),
                context=tuple(ContextEntry.from_dict(e) for e in data["context"]),
                context_considered=_sig_from(data["context_considered"]),
                just_culture=tuple(jc.JustCultureRecord.from_dict(r)
                                   for r in data["just_culture"]),
                actions=tuple(ImmediateAction(
                    action_id=a["action_id"], description=a["description"],
                    owner_role=a["owner_role"], due=date.fromisoformat(a["due"]),
                    done=bool(a["done"]), question_id=a["question_id"])
                    for a in data["actions"]),
                recommendation=None if data["recommendation"] is None else Recommendation(
                    choices=tuple(data["recommendation"]["choices"]),
                    rationale=data["recommendation"]["rationale"],
                    by=data["recommendation"]["by"],
                    at=datetime.fromisoformat(data["recommendation"]["at"])),
                signed_off=_sig_from(data["signed_off"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise EarlyLookInvalid(f"The saved early look is incomplete or damaged ({exc!r})."
                                   ) from None


def looks_like_person(text: str) -> bool:
    """Whether text looks like a person (a staff code or an email address), not a role."""
    return bool(_PERSON.search(text.strip()))


# -- proposing answers ------------------------------------------------------------------------

def good_practice_rule(finding: Finding) -> str | None:
    """The rule a GOOD-PRACTICE finding belongs to (None if its wording is not known)."""
    for opening, rule_id in _GOOD_PRACTICE_OPENINGS:
        if finding.summary.startswith(opening):
            return rule_id
    return None


def case_conditions(records: CaseRecords, case: CaseFindings, pack: RulePack,
                    cal: WorkingCalendar) -> dict[str, bool | None]:
    """Whether the case is a licence, and has domestic abuse or child concerns (None: unknown).

    Worked out the way the rules work them out, up to the case's as-of date,
    so that a question limited to such cases can be proposed "not applicable".
    """
    unknown: dict[str, bool | None] = dict.fromkeys(CONDITIONS)
    if not records.has("events"):
        return unknown
    p = prepare(records.for_people([case.crn]), pack, cal, as_of=case.as_of,
                today=case.as_of)
    ev = p.events
    if ev.empty:
        return unknown
    da_child = bool(p.trigger(ev["ev"], ev["start"], ev["end"]).any())
    return {
        "licence": bool(ev["licence"].any()),
        # With no registrations file, "no concern found" may only mean "not supplied".
        "da_child": True if da_child else (False if records.has("registrations") else None),
    }


def prefill(checklist: Checklist, case: CaseFindings, *,
            conditions: Mapping[str, bool | None] | None = None,
            disabled: Collection[str] = ()) -> tuple[ProposedAnswer, ...]:
    """A proposed answer to every question, from the rule findings and what was not checked.

    ``conditions`` (from :func:`case_conditions`) lets a question limited to
    licences or to domestic abuse and child cases be proposed "not
    applicable"; ``disabled`` names rules the rule pack switched off, which
    count as not checked rather than as finding nothing.
    """
    return tuple(_propose(q, case, conditions or {}, frozenset(disabled))
                 for q in checklist.questions)


def _propose(q: Question, case: CaseFindings, conditions: Mapping[str, bool | None],
             disabled: frozenset[str]) -> ProposedAnswer:
    rules = set(q.rule_ids)
    gaps = [f for f in case.findings if f.rule_id in rules and f.kind == "gap"]
    # A gap is never hidden: "not applicable" only where the rules found none.
    if not gaps and q.applies_when is not None and conditions.get(q.applies_when) is False:
        return ProposedAnswer(q.id, "not_applicable", _NOT_APPLICABLE[q.applies_when])
    if not q.rule_ids:
        return ProposedAnswer(q.id, "to_answer", "No rule gives evidence for this question: "
                                                 "answer it from the case record.")
    good = [f for f in case.findings
            if f.kind == "good_practice" and good_practice_rule(f) in rules]
    why_not: dict[str, str] = {r: "Not checked: switched off in the rule pack."
                               for r in q.rule_ids if r in disabled}
    for skipped in case.not_checked:
        if skipped.rule_id in rules:
            why_not.setdefault(skipped.rule_id, skipped.reason)
    not_checked = tuple(f"{r}: {_reason(why_not[r])}" for r in q.rule_ids if r in why_not)
    evidence = tuple(Evidence.from_finding(f) for f in (*gaps, *good))
    checked = [r for r in q.rule_ids if r not in why_not]
    if gaps:
        n = len(gaps)
        basis = (f"The rules found {n} gap{'s' if n != 1 else ''} "
                 f"({', '.join(sorted({f.rule_id for f in gaps}))}): see the evidence.")
        return ProposedAnswer(q.id, "not_met", basis, evidence, not_checked)
    if not checked:
        return ProposedAnswer(q.id, "not_supplied",
                              "The rules could not check this. " + " ".join(not_checked),
                              evidence,
                              not_checked)
    if q.applies_when is not None and q.applies_when in conditions and (
            conditions[q.applies_when] is None) and not good:
        return ProposedAnswer(
            q.id, "not_supplied",
            f"The records supplied cannot show whether {CONDITIONS[q.applies_when]}: "
            f"{_UNKNOWN[q.applies_when]}. The rules found nothing to check in what was "
            "supplied.", evidence, not_checked)
    if not_checked:
        return ProposedAnswer(
            q.id, "to_answer",
            f"No gap found by the rules that could be checked ({', '.join(checked)}), but "
            f"not everything could be checked: {' '.join(not_checked)} Answer from the case "
            "record.", evidence, not_checked)
    basis = f"No gap found by the rules ({', '.join(checked)})."
    if good:
        basis += " Good practice was recorded: see the evidence."
    return ProposedAnswer(q.id, "met", basis, evidence)


def _reason(text: str) -> str:
    return text.removeprefix("Not checked: ")


# -- starting and answering -------------------------------------------------------------------

def start(checklist: Checklist, case: CaseFindings, *, context: Iterable[ContextEntry] = (),
          conditions: Mapping[str, bool | None] | None = None,
          disabled: Collection[str] = (), charge_date: date | None = None) -> EarlyLookState:
    """A new early look: proposed answers from the findings and the proposed working context."""
    return EarlyLookState(
        crn=case.crn, as_of=case.as_of, charge_date=charge_date or case.as_of,
        checklist_name=checklist.name, checklist_version=checklist.version,
        questions=checklist.questions,
        proposals=prefill(checklist, case, conditions=conditions, disabled=disabled),
        context=tuple(context))


def confirm(state: EarlyLookState, question_id: str, answer: str, *, by: str,
            reason: str = "", at: datetime | None = None) -> EarlyLookState:
    """Record the manager's answer: as proposed needs no reason, a change of it needs one."""
    _editable(state)
    q = state.question(question_id)
    if answer not in ANSWERS or answer == "to_answer":
        choices = ", ".join(a for a in ANSWERS if a != "to_answer")
        raise EarlyLookInvalid(f"'{answer}' is not an answer to {q.id}; answer one of "
                               f"{choices}.")
    _who(by)
    proposed = state.proposal(q.id).answer
    if proposed != "to_answer" and answer != proposed and not reason.strip():
        raise EarlyLookInvalid(
            f"{q.id} ({q.area}): the evidence proposed '{ANSWERS[proposed]}'. Changing it to "
            f"'{ANSWERS[answer]}' needs a reason, so that a reader can see why.")
    given = Answer(question_id=q.id, answer=answer, proposed=proposed, by=by.strip(),
                   at=at or _now(), reason=reason.strip())
    kept = tuple(a for a in state.answers if a.question_id != q.id)
    order = [x.id for x in state.questions]
    return replace(state, answers=tuple(sorted((*kept, given),
                                               key=lambda a: order.index(a.question_id))))


# -- working context --------------------------------------------------------------------------

def add_context(state: EarlyLookState, category: str, text: str, *, by: str,
                is_mitigation: bool = False, restricted: bool = False,
                staff_code: str | None = None) -> EarlyLookState:
    """Add an entry the manager wrote (personal circumstances are always restricted)."""
    _editable(state)
    entry = ContextEntry(entry_id=_next_id("C", (e.entry_id for e in state.context)),
                         category=category, text=text.strip(), is_mitigation=is_mitigation,
                         restricted=restricted, source="entered", staff_code=staff_code,
                         by=_who(by))
    return _context_changed(state, (*state.context, entry))


def edit_context(state: EarlyLookState, entry_id: str, *, by: str, text: str | None = None,
                 category: str | None = None, is_mitigation: bool | None = None,
                 restricted: bool | None = None) -> EarlyLookState:
    """Change an entry (one from the bundle keeps its source, and records who changed it)."""
    _editable(state)
    old = _entry(state, entry_id)
    if category is not None and category not in CATEGORIES:
        raise EarlyLookInvalid(f"'{category}' is not a working-context category; categories "
                               f"are {', '.join(CATEGORIES)}.")
    new = ContextEntry(
        entry_id=old.entry_id, category=old.category if category is None else category,
        text=old.text if text is None else text.strip(),
        is_mitigation=old.is_mitigation if is_mitigation is None else is_mitigation,
        restricted=old.restricted if restricted is None else restricted,
        source=old.source, staff_code=old.staff_code, by=_who(by))
    return _context_changed(state, tuple(new if e.entry_id == entry_id else e
                                         for e in state.context))


def remove_context(state: EarlyLookState, entry_id: str) -> EarlyLookState:
    """Remove an entry."""
    _editable(state)
    _entry(state, entry_id)
    return _context_changed(state, tuple(e for e in state.context if e.entry_id != entry_id))


def consider_context(state: EarlyLookState, *, by: str,
                     at: datetime | None = None) -> EarlyLookState:
    """The manager's confirmation that the working context was considered (needed to finish)."""
    _editable(state)
    return replace(state, context_considered=Signature(_who(by), at or _now()))


def _context_changed(state: EarlyLookState,
                     entries: tuple[ContextEntry, ...]) -> EarlyLookState:
    # What was considered is no longer what is recorded: it must be considered again.
    return replace(state, context=entries, context_considered=None)


def _entry(state: EarlyLookState, entry_id: str) -> ContextEntry:
    for e in state.context:
        if e.entry_id == entry_id:
            return e
    raise EarlyLookInvalid(f"There is no working-context entry {entry_id}.")


# -- just culture -----------------------------------------------------------------------------

def add_just_culture(state: EarlyLookState, act: str, *,
                     staff_code: str | None = None) -> EarlyLookState:
    """Start a just-culture record for one act or omission of an individual."""
    _editable(state)
    rid = _next_id("J", (r.record_id for r in state.just_culture))
    return replace(state, just_culture=(*state.just_culture,
                                        jc.new_record(rid, act, staff_code=staff_code)))


def update_just_culture(state: EarlyLookState, record: jc.JustCultureRecord) -> EarlyLookState:
    """Put back a record changed with the functions of :mod:`sfo.domain.just_culture`."""
    _editable(state)
    if not any(r.record_id == record.record_id for r in state.just_culture):
        raise EarlyLookInvalid(f"There is no just-culture record {record.record_id}.")
    return replace(state, just_culture=tuple(record if r.record_id == record.record_id else r
                                             for r in state.just_culture))


def remove_just_culture(state: EarlyLookState, record_id: str) -> EarlyLookState:
    """Remove a just-culture record."""
    _editable(state)
    if not any(r.record_id == record_id for r in state.just_culture):
        raise EarlyLookInvalid(f"There is no just-culture record {record_id}.")
    return replace(state, just_culture=tuple(r for r in state.just_culture
                                             if r.record_id != record_id))


# -- next steps -------------------------------------------------------------------------------

def add_action(state: EarlyLookState, description: str, *, owner_role: str, due: date,
               question_id: str | None = None) -> EarlyLookState:
    """Add an immediate action owned by a role (for example 'Senior probation officer')."""
    _editable(state)
    if not description.strip():
        raise EarlyLookInvalid("Describe the action.")
    role = owner_role.strip()
    if not role:
        raise EarlyLookInvalid("Say which role owns the action (for example 'Senior "
                               "probation officer'), not a person's name.")
    if looks_like_person(role):
        raise EarlyLookInvalid(f"'{role}' looks like a person (a staff code or an email "
                               "address). An action is owned by a role, such as 'Senior "
                               "probation officer' or 'Head of the probation delivery unit'.")
    if question_id is not None:
        state.question(question_id)
    action = ImmediateAction(action_id=_next_id("A", (a.action_id for a in state.actions)),
                             description=description.strip(), owner_role=role, due=due,
                             question_id=question_id)
    return replace(state, actions=(*state.actions, action))


def set_action_done(state: EarlyLookState, action_id: str, done: bool = True) -> EarlyLookState:
    """Mark an action done (or not done)."""
    _editable(state)
    if not any(a.action_id == action_id for a in state.actions):
        raise EarlyLookInvalid(f"There is no action {action_id}.")
    return replace(state, actions=tuple(replace(a, done=done) if a.action_id == action_id
                                        else a for a in state.actions))


def remove_action(state: EarlyLookState, action_id: str) -> EarlyLookState:
    """Remove an action."""
    _editable(state)
    if not any(a.action_id == action_id for a in state.actions):
        raise EarlyLookInvalid(f"There is no action {action_id}.")
    return replace(state, actions=tuple(a for a in state.actions if a.action_id != action_id))


def recommend(state: EarlyLookState, choices: Sequence[str], *, rationale: str, by: str,
              at: datetime | None = None) -> EarlyLookState:
    """Record the manager's recommendation (one or more of RECOMMENDATIONS) and why."""
    _editable(state)
    chosen = tuple(dict.fromkeys(choices))
    if not chosen:
        raise EarlyLookInvalid("Choose at least one recommendation: "
                               + "; ".join(RECOMMENDATIONS.values()) + ".")
    unknown = [c for c in chosen if c not in RECOMMENDATIONS]
    if unknown:
        raise EarlyLookInvalid(f"{', '.join(unknown)} is not a recommendation; they are "
                               f"{', '.join(RECOMMENDATIONS)}.")
    if "no_further_action" in chosen and len(chosen) > 1:
        raise EarlyLookInvalid("'No further action' cannot be recommended together with "
                               "anything else.")
    if not rationale.strip():
        raise EarlyLookInvalid("Give the rationale for the recommendation.")
    return replace(state, recommendation=Recommendation(chosen, rationale.strip(), _who(by),
                                                        at or _now()))


# -- finishing --------------------------------------------------------------------------------

def completion_problems(state: EarlyLookState) -> list[str]:
    """Everything that stops the early look being signed off, in plain English."""
    out: list[str] = []
    if state.context_considered is None:
        out.append("The working context has not been confirmed as considered.")
    for q in state.questions:
        given = state.answer(q.id)
        proposed = state.proposal(q.id)
        label = f"{q.id} ({q.area})"
        if given is None and proposed.answer == "to_answer":
            out.append(f"{label} is still to be answered.")
        elif given is None:
            out.append(f"{label}: the proposed answer '{ANSWERS[proposed.answer]}' has not "
                       "been confirmed or changed.")
        elif given.overridden and not given.reason.strip():
            out.append(f"{label}: the proposed answer was changed from "
                       f"'{ANSWERS[given.proposed]}' to '{ANSWERS[given.answer]}' without a "
                       "reason.")
        current = state.current(q.id)
        if q.action_today and current in ("not_met", "partly") and not any(
                a.question_id == q.id for a in state.actions):
            out.append(f"{label} is answered '{ANSWERS[current]}' but no immediate action is "
                       "recorded for it.")
    for record in state.just_culture:
        out.extend(record.problems())
    if state.recommendation is None:
        out.append("No recommendation has been made. Choose one or more: "
                   + "; ".join(RECOMMENDATIONS.values()) + ".")
    elif not state.recommendation.rationale.strip():
        out.append("The recommendation has no rationale.")
    return out


def complete(state: EarlyLookState, *, by: str, at: datetime | None = None) -> EarlyLookState:
    """Sign the early look off; refused (listing every problem) while any remains."""
    _editable(state)
    problems = completion_problems(state)
    if problems:
        raise EarlyLookInvalid(
            f"The early look cannot be signed off yet: {len(problems)} thing"
            f"{'s' if len(problems) != 1 else ''} to finish.\n"
            + "\n".join(f"  - {p}" for p in problems), problems)
    return replace(state, signed_off=Signature(_who(by), at or _now()))


# -- helpers ----------------------------------------------------------------------------------

def _editable(state: EarlyLookState) -> None:
    s = state.signed_off
    if s is not None:
        raise EarlyLookInvalid(f"This early look was signed off by {s.by} on "
                               f"{s.at.day} {s.at:%B %Y}; it cannot be changed.")


def _who(by: str) -> str:
    if not by.strip():
        raise EarlyLookInvalid("Say who is making the change.")
    return by.strip()


_now = editing.now
_next_id = editing.next_id


def _question_dict(q: Question) -> dict[str, Any]:
    return {"id": q.id, "area": q.area, "text": q.text, "rule_ids": list(q.rule_ids),
            "action_today": q.action_today, "applies_when": q.applies_when, "help": q.help}


def _question_from(d: Mapping[str, Any]) -> Question:
    return Question(id=d["id"], area=d["area"], text=d["text"], rule_ids=tuple(d["rule_ids"]),
                    action_today=bool(d["action_today"]), applies_when=d["applies_when"],
                    help=d["help"])


def _proposal_dict(p: ProposedAnswer) -> dict[str, Any]:
    return {"question_id": p.question_id, "answer": p.answer, "basis": p.basis,
            "evidence": [{"rule_id": e.rule_id, "kind": e.kind,
                          "date": e.date.isoformat() if e.date else None,
                          "summary": e.summary, "records": list(e.records),
                          "known": list(e.known)} for e in p.evidence],
            "not_checked": list(p.not_checked)}


def _proposal_from(d: Mapping[str, Any]) -> ProposedAnswer:
    return ProposedAnswer(
        question_id=d["question_id"], answer=d["answer"], basis=d["basis"],
        evidence=tuple(Evidence(rule_id=e["rule_id"], kind=e["kind"],
                                date=date.fromisoformat(e["date"]) if e["date"] else None,
                                summary=e["summary"], records=tuple(e["records"]),
                                known=tuple(e["known"])) for e in d["evidence"]),
        not_checked=tuple(d["not_checked"]))


def _sig_dict(s: Signature | None) -> dict[str, str] | None:
    return None if s is None else {"by": s.by, "at": s.at.isoformat()}


def _sig_from(d: Mapping[str, str] | None) -> Signature | None:
    return None if d is None else Signature(by=d["by"], at=datetime.fromisoformat(d["at"]))


