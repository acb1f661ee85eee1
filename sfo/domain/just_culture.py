"""The just-culture record: the NHS just culture guide worked through for one act or omission.

When an early look or review considers an individual's part in what happened,
the manager works through the guide's sequence in order (deliberate harm,
health, foresight, substitution, mitigating circumstances), answers each
question yes, no or unsure with a note, and then chooses an outcome. The
toolkit structures and records that judgement. It never makes it: nothing
here reads the answers to suggest, rank or pick an outcome, and the outcome
is only ever the one the manager set (tests/unit/early_look checks both).

Wider learning is always still required, whatever the outcome: the record
carries it and it cannot be switched off. A route towards a disciplinary
investigation needs HR advice (date and adviser) recorded first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sfo.errors import EarlyLookInvalid


@dataclass(frozen=True)
class Step:
    """One test of the sequence and its questions, in the guide's order."""

    id: str
    title: str
    questions: tuple[tuple[str, str], ...]   # (question id, question text)


# The questions follow the NHS just culture guide (NHS Improvement, 2018), worded
# for probation practice. They are a fixed sequence, not a local setting: the
# point is that every individual is looked at the same way.
STEPS: tuple[Step, ...] = (
    Step("deliberate_harm", "Deliberate harm", (
        ("JC1", "Was there any intention to cause harm?"),
    )),
    Step("health", "Health", (
        ("JC2", "Are there indications that physical ill health affected what the "
                "practitioner did or did not do?"),
        ("JC3", "Are there indications that mental ill health affected it?"),
        ("JC4", "Are there indications of substance misuse?"),
    )),
    Step("foresight", "Foresight", (
        ("JC5", "Were there agreed procedures or accepted practice that applied to this "
                "act or omission?"),
        ("JC6", "Were those procedures workable, known to the practitioner and in routine "
                "use?"),
        ("JC7", "Did the practitioner knowingly depart from them?"),
    )),
    Step("substitution", "Substitution", (
        ("JC8", "Would other practitioners with the same experience, training and "
                "workload, in the same circumstances, have been likely to act in the same "
                "way?"),
        ("JC9", "Did the practitioner miss training that their peers received, or that "
                "the case needed?"),
        ("JC10", "Was supervision or management oversight that should normally have been "
                 "given missing?"),
    )),
    Step("mitigation", "Mitigating circumstances", (
        ("JC11", "Were there significant mitigating circumstances (for example workload, "
                 "vacancies, access to training, systems, or personal circumstances)?"),
    )),
)
QUESTION_TEXT: dict[str, str] = {qid: text for s in STEPS for qid, text in s.questions}
STEP_OF: dict[str, str] = {qid: s.id for s in STEPS for qid, _ in s.questions}

REPLIES: dict[str, str] = {"yes": "Yes", "no": "No", "unsure": "Unsure"}

OUTCOMES: dict[str, str] = {
    "no_case_to_answer": "No case to answer",
    "system_learning_only": "Learning for the system only",
    "individual_development": "Individual development (training, supervision)",
    "performance_improvement_plan": "Performance improvement plan",
    "refer_hr_disciplinary": "Refer for HR advice about a disciplinary investigation",
}
DISCIPLINARY = "refer_hr_disciplinary"
CONCERNS: dict[str, str] = {"misconduct": "misconduct", "gross_misconduct": "gross misconduct"}


@dataclass(frozen=True)
class Reply:
    """The manager's answer to one question of the sequence."""

    question_id: str
    answer: str      # yes | no | unsure
    note: str = ""


@dataclass(frozen=True)
class HrAdvice:
    """HR advice taken: when, from whom (a role or name as HR gives it), and what was said."""

    on: date
    adviser: str
    note: str = ""


@dataclass(frozen=True)
class JustCultureRecord:
    """The sequence worked through for one act or omission, and the outcome the manager chose."""

    record_id: str
    act: str                              # the act or omission, described factually
    staff_code: str | None = None
    replies: tuple[Reply, ...] = ()
    outcome: str | None = None            # set only by choose_outcome, never computed
    concern: str | None = None            # misconduct | gross_misconduct (disciplinary only)
    rationale: str = ""
    chosen_by: str = ""
    chosen_at: datetime | None = None
    hr_advice: HrAdvice | None = None
    wider_learning: str = ""

    @property
    def wider_learning_required(self) -> bool:
        """Always True: whatever happens for the individual, the system still has to learn."""
        return True

    def reply(self, question_id: str) -> Reply | None:
        """The answer given to one question, if any."""
        return next((r for r in self.replies if r.question_id == question_id), None)

    def unanswered(self) -> tuple[str, ...]:
        """Question ids of the sequence not yet answered, in order."""
        done = {r.question_id for r in self.replies}
        return tuple(q for q in QUESTION_TEXT if q not in done)

    def problems(self) -> list[str]:
        """What stops the record being complete, in plain English."""
        out = []
        left = self.unanswered()
        if left:
            out.append(f"Just-culture record {self.record_id}: {len(left)} question"
                       f"{'s' if len(left) != 1 else ''} of the sequence not yet answered "
                       f"({', '.join(left)}).")
        if self.outcome is None:
            out.append(f"Just-culture record {self.record_id}: no outcome has been chosen.")
        elif not self.rationale.strip():
            out.append(f"Just-culture record {self.record_id}: the outcome has no rationale.")
        if self.outcome == DISCIPLINARY and self.hr_advice is None:
            out.append(f"Just-culture record {self.record_id}: a referral towards a "
                       "disciplinary investigation needs HR advice (date and adviser) "
                       "recorded first.")
        if self.outcome == DISCIPLINARY and self.concern not in CONCERNS:
            out.append(f"Just-culture record {self.record_id}: say whether the concern is "
                       "misconduct or gross misconduct.")
        if not self.wider_learning.strip():
            out.append(f"Just-culture record {self.record_id}: wider learning is always "
                       "still required; record what it is.")
        return out

    def summary(self) -> str:
        """The record in plain English, in the order of the sequence."""
        who = f" by {self.staff_code}" if self.staff_code else ""
        lines = [f"Act or omission{who}: {self.act}"]
        for step in STEPS:
            parts = []
            for qid, text in step.questions:
                r = self.reply(qid)
                if r is None:
                    parts.append(f"{text} Not yet answered.")
                else:
                    note = f" {r.note.strip()}" if r.note.strip() else ""
                    parts.append(f"{text} {REPLIES[r.answer]}.{note}")
            lines.append(f"{step.title}: " + " ".join(parts))
        if self.outcome is None:
            lines.append("Outcome: not yet chosen by the manager.")
        else:
            label = OUTCOMES[self.outcome]
            if self.outcome == DISCIPLINARY and self.concern in CONCERNS:
                label += f" ({CONCERNS[self.concern]})"
            by = f", chosen by {self.chosen_by}" if self.chosen_by else ""
            lines.append(f"Outcome{by}: {label}. Rationale: "
                         f"{self.rationale.strip() or 'not recorded'}")
        if self.hr_advice is not None:
            a = self.hr_advice
            lines.append(f"HR advice: given by {a.adviser} on {a.on.day} {a.on:%B %Y}."
                         + (f" {a.note.strip()}" if a.note.strip() else ""))
        lines.append("Wider learning is still required: "
                     + (self.wider_learning.strip() or "not yet recorded."))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "record_id": self.record_id, "act": self.act, "staff_code": self.staff_code,
            "replies": [{"question_id": r.question_id, "answer": r.answer, "note": r.note}
                        for r in self.replies],
            "outcome": self.outcome, "concern": self.concern, "rationale": self.rationale,
            "chosen_by": self.chosen_by,
            "chosen_at": self.chosen_at.isoformat() if self.chosen_at else None,
            "hr_advice": None if self.hr_advice is None else {
                "on": self.hr_advice.on.isoformat(), "adviser": self.hr_advice.adviser,
                "note": self.hr_advice.note},
            "wider_learning": self.wider_learning,
            "wider_learning_required": True,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JustCultureRecord:
        """Rebuild from :meth:`to_dict` (checking every value as the editing functions do)."""
        rec = new_record(str(data["record_id"]), str(data["act"]),
                         staff_code=data.get("staff_code"))
        for r in data.get("replies", ()):
            rec = answer(rec, str(r["question_id"]), str(r["answer"]), note=str(r["note"]))
        hr = data.get("hr_advice")
        if hr is not None:
            rec = record_hr_advice(rec, on=date.fromisoformat(hr["on"]),
                                   adviser=str(hr["adviser"]), note=str(hr.get("note", "")))
        outcome = data.get("outcome")
        at = data.get("chosen_at")
        rec = replace(rec, outcome=None if outcome is None else _outcome(str(outcome)),
                      concern=_concern(data.get("concern")),
                      rationale=str(data.get("rationale", "")),
                      chosen_by=str(data.get("chosen_by", "")),
                      chosen_at=None if at is None else datetime.fromisoformat(at))
        return replace(rec, wider_learning=str(data.get("wider_learning", "")))


def new_record(record_id: str, act: str, *, staff_code: str | None = None) -> JustCultureRecord:
    """A record for one act or omission, with nothing answered and no outcome."""
    if not act.strip():
        raise EarlyLookInvalid("Describe the act or omission the just-culture record is about.")
    return JustCultureRecord(record_id=record_id, act=act.strip(), staff_code=staff_code)


def answer(rec: JustCultureRecord, question_id: str, reply: str, *,
           note: str = "") -> JustCultureRecord:
    """The record with one question of the sequence answered (or re-answered)."""
    if question_id not in QUESTION_TEXT:
        raise EarlyLookInvalid(f"{question_id} is not a question of the just-culture "
                               f"sequence; its questions are {', '.join(QUESTION_TEXT)}.")
    if reply not in REPLIES:
        raise EarlyLookInvalid(f"'{reply}' is not an answer; answer yes, no or unsure.")
    kept = tuple(r for r in rec.replies if r.question_id != question_id)
    order = list(QUESTION_TEXT)
    replies = tuple(sorted((*kept, Reply(question_id, reply, note.strip())),
                           key=lambda r: order.index(r.question_id)))
    return replace(rec, replies=replies)


def choose_outcome(rec: JustCultureRecord, outcome: str, *, by: str, rationale: str,
                   concern: str | None = None,
                   at: datetime | None = None) -> JustCultureRecord:
    """The record with the outcome the manager chose, and why (``at`` defaults to now, UTC)."""
    outcome = _outcome(outcome)
    if not by.strip():
        raise EarlyLookInvalid("Say who chose the outcome.")
    if not rationale.strip():
        raise EarlyLookInvalid(f"Give the reason for choosing '{OUTCOMES[outcome]}'.")
    if outcome == DISCIPLINARY and concern not in CONCERNS:
        raise EarlyLookInvalid("For a referral towards a disciplinary investigation, say "
                               "whether the concern is misconduct or gross misconduct.")
    if outcome != DISCIPLINARY and concern is not None:
        raise EarlyLookInvalid("Misconduct or gross misconduct is recorded only with a "
                               "referral towards a disciplinary investigation.")
    return replace(rec, outcome=outcome, concern=concern, rationale=rationale.strip(),
                   chosen_by=by.strip(), chosen_at=at or datetime.now(UTC))


def clear_outcome(rec: JustCultureRecord) -> JustCultureRecord:
    """The record with no outcome chosen (the manager is reconsidering)."""
    return replace(rec, outcome=None, concern=None, rationale="", chosen_by="", chosen_at=None)


def record_hr_advice(rec: JustCultureRecord, *, on: date, adviser: str,
                     note: str = "") -> JustCultureRecord:
    """The record with the HR advice taken (needed before any disciplinary route)."""
    if not adviser.strip():
        raise EarlyLookInvalid("Say who gave the HR advice.")
    return replace(rec, hr_advice=HrAdvice(on=on, adviser=adviser.strip(), note=note.strip()))


def record_wider_learning(rec: JustCultureRecord, text: str) -> JustCultureRecord:
    """The record with the wider learning that is still required."""
    if not text.strip():
        raise EarlyLookInvalid("Wider learning is always still required: say what it is.")
    return replace(rec, wider_learning=text.strip())


def _outcome(outcome: str) -> str:
    if outcome not in OUTCOMES:
        raise EarlyLookInvalid(f"'{outcome}' is not an outcome; the outcomes are "
                               f"{', '.join(OUTCOMES)}.")
    return outcome


def _concern(concern: object) -> str | None:
    if concern is None:
        return None
    if concern not in CONCERNS:
        raise EarlyLookInvalid(f"'{concern}' is not misconduct or gross_misconduct.")
    return str(concern)
