"""The SFO review: an independent reviewer's account of the practice in a case.

Over weeks the reviewer records the case background and the risk profile at
the time, the key practice episodes (each with what was expected, what
happened, what was known then, why it made sense at the time, and any good
practice), analysis under the six practice headings, the overall judgement
on whether all reasonable steps were taken, contributory factors, learning at
each level, an action plan owned by roles, and a plain-English summary for the
victim's family. The toolkit suggests episodes and factors from the findings
and checks the review (:mod:`sfo.domain.quality`); it never reaches a
judgement: ``judgement`` is only ever what the reviewer set.

Everything is held in one immutable :class:`ReviewState`; each change is a
function returning a new state. A finalised version cannot be changed:
:func:`reopen` starts version n+1 and needs a note saying why. The state
round-trips through plain JSON types (:meth:`ReviewState.to_dict`,
:meth:`ReviewState.from_dict`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sfo.domain import early_look as el
from sfo.domain import editing
from sfo.domain.context import ContextEntry
from sfo.domain.factors import FACTOR_TYPES, LEVELS, EvidenceNote, Factor, propose_factors
from sfo.domain.findings import CaseFindings, Finding
from sfo.errors import ReviewInvalid

__all__ = [
    "ACTION_STATUSES",
    "CONTENT_SCHEMA",
    "EPISODE_KINDS",
    "EXPECTATIONS",
    "HEADINGS",
    "JUDGEMENTS",
    "ActionItem",
    "ChangeNote",
    "Episode",
    "Judgement",
    "Learning",
    "ReviewState",
    "Signature",
    "StatusChange",
    "add_action",
    "add_episode",
    "add_factor",
    "add_learning",
    "completion_problems",
    "consider_context",
    "finalise",
    "remove_episode",
    "remove_factor",
    "remove_learning",
    "reopen",
    "set_action_status",
    "set_analysis",
    "set_background",
    "set_family_summary",
    "set_judgement",
    "start",
    "update_episode",
    "update_factor",
    "working_context_considered",
]

CONTENT_SCHEMA = 1  # the version of the to_dict() layout

HEADINGS: dict[str, str] = {
    "assessment": "Assessment",
    "planning": "Planning",
    "implementation_and_delivery": "Implementation and delivery",
    "reviewing": "Reviewing",
    "risk_management": "Risk management",
    "management_oversight": "Management oversight",
}
JUDGEMENTS: dict[str, str] = {"yes": "Yes: all reasonable steps were taken",
                              "partly": "Partly: some reasonable steps were not taken",
                              "no": "No: reasonable steps were not taken"}
EPISODE_KINDS: dict[str, str] = {"gap": "A gap in practice", "good_practice": "Good practice",
                                 "neutral": "Practice described, not judged"}
ACTION_STATUSES: dict[str, str] = {"open": "Open", "in_progress": "In progress",
                                   "done": "Done", "dropped": "Dropped"}
# What each rule expects, in the reviewer's words (from the default rule pack; a
# local pack's numbers may differ, so the reviewer can change the text).
EXPECTATIONS: dict[str, str] = {
    "ALLOC-TIMELY": "A named practitioner allocated within 3 working days of the start, "
                    "with no unallocated spell of 5 working days or more.",
    "ALLOC-FIT": "A PO or SPO with 12 months or more in grade for a high-risk or domestic "
                 "abuse and child case, or the choice recorded by a manager.",
    "FIRST-APPT": "The first appointment within 5 working days of the start (a licence: on "
                  "release day or the next working day).",
    "RISK-INIT": "A risk assessment completed within 15 working days of the start.",
    "RISK-REVIEW": "The risk assessment reviewed at least every 16 weeks and within 10 "
                   "working days of a significant event.",
    "RISK-CONSISTENCY": "The overall risk level consistent with the risk history, and any "
                        "lowering explained.",
    "OVERSIGHT": "Management oversight within 15 days of allocation, then at least every 8 "
                 "weeks.",
    "DA-CHECKS": "Police domestic abuse and children's services checks made, with responses "
                 "recorded within 20 working days.",
    "HOME-VISIT": "A home visit within 20 working days of the start.",
    "CONTACT-FREQ": "Appointments at the frequency the case's risk needs.",
    "OUTCOME-RECORDED": "An outcome recorded for each appointment, and absences decided "
                        "within 2 working days.",
    "ENFORCEMENT": "A warning, breach or recall within 7 days of an unacceptable failure; "
                   "breach or recall after a second within 12 months.",
    "RECALL-TIMELY": "Recall considered within 1 working day of a failed first appointment "
                     "after release.",
    "REG-REVIEW": "Each registration reviewed by its review date.",
}
_RULE_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")


# -- the pieces -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Signature:
    """Who did something, and when."""

    by: str
    at: datetime


@dataclass(frozen=True)
class Episode:
    """One key practice episode, judged on what was known at its decision point."""

    episode_id: str
    kind: str                                 # gap | good_practice | neutral
    decision_date: date | None
    expected: str
    what_happened: str
    known_then: tuple[str, ...] = ()          # what was recorded on or before decision_date
    why_it_made_sense: str = ""               # the reviewer's account of the local rationality
    good_practice: str = ""
    evidence: tuple[EvidenceNote, ...] = ()
    knew: tuple[str, ...] = ()                # what the text says the practitioner knew
    rule_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in EPISODE_KINDS:
            raise ReviewInvalid(f"'{self.kind}' is not a kind of episode; kinds are "
                                f"{', '.join(EPISODE_KINDS)}.")
        if not self.what_happened.strip():
            raise ReviewInvalid("Say what happened in the episode.")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {"episode_id": self.episode_id, "kind": self.kind,
                "decision_date": _d(self.decision_date), "expected": self.expected,
                "what_happened": self.what_happened, "known_then": list(self.known_then),
                "why_it_made_sense": self.why_it_made_sense,
                "good_practice": self.good_practice,
                "evidence": [e.to_dict() for e in self.evidence], "knew": list(self.knew),
                "rule_id": self.rule_id}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Episode:
        """Rebuild from :meth:`to_dict`."""
        return cls(episode_id=str(d["episode_id"]), kind=str(d["kind"]),
                   decision_date=_date_from(d["decision_date"]), expected=str(d["expected"]),
                   what_happened=str(d["what_happened"]),
                   known_then=tuple(d["known_then"]),
                   why_it_made_sense=str(d["why_it_made_sense"]),
                   good_practice=str(d["good_practice"]),
                   evidence=tuple(EvidenceNote.from_dict(e) for e in d["evidence"]),
                   knew=tuple(d["knew"]), rule_id=d["rule_id"])


@dataclass(frozen=True)
class Judgement:
    """The reviewer's overall judgement: were all reasonable steps taken, and why."""

    all_reasonable_steps: str   # yes | partly | no
    reasons: str
    by: str
    at: datetime


@dataclass(frozen=True)
class Learning:
    """One piece of learning, at the level it applies to."""

    learning_id: str
    level: str      # individual | team | organisational | system
    text: str


@dataclass(frozen=True)
class StatusChange:
    """One change of an action's status: to what, by whom, when and why."""

    status: str
    by: str
    at: datetime
    note: str = ""


@dataclass(frozen=True)
class ActionItem:
    """One action of the plan: owned by a role, linked to findings or factors, never a person."""

    action_id: str
    description: str
    owner_role: str
    due: date
    links: tuple[str, ...]                  # rule ids or factor codes
    history: tuple[StatusChange, ...]       # first entry: opened

    @property
    def status(self) -> str:
        """The current status (the last change)."""
        return self.history[-1].status


@dataclass(frozen=True)
class ChangeNote:
    """Why a finalised review was reopened as a new version."""

    version: int
    note: str
    by: str
    at: datetime


@dataclass(frozen=True)
class ReviewState:
    """Everything recorded in one version of an SFO review (see the module docstring)."""

    crn: str
    as_of: date
    rule_ids: tuple[str, ...]                 # rules with findings the review started from
    background: str = ""
    risk_profile: str = ""                    # the risk profile as it was at the time
    episodes: tuple[Episode, ...] = ()
    analysis: tuple[tuple[str, str], ...] = ()   # (heading, text), in HEADINGS order
    judgement: Judgement | None = None
    learning: tuple[Learning, ...] = ()
    actions: tuple[ActionItem, ...] = ()
    factors: tuple[Factor, ...] = ()
    context: tuple[ContextEntry, ...] = ()    # carried from the early look
    context_statement: str = ""               # how the working context was considered
    context_considered: Signature | None = None
    family_summary: str = ""
    version: int = 1
    change_notes: tuple[ChangeNote, ...] = ()
    finalised: Signature | None = None

    def episode(self, episode_id: str) -> Episode:
        """One episode by id."""
        for e in self.episodes:
            if e.episode_id == episode_id:
                return e
        raise ReviewInvalid(f"There is no episode {episode_id}.")

    def analysis_of(self, heading: str) -> str:
        """The analysis written under one heading ("" if none)."""
        return dict(self.analysis).get(heading, "")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types only (str, int, bool, None, lists, dicts)."""
        return {
            "schema": CONTENT_SCHEMA, "crn": self.crn, "as_of": self.as_of.isoformat(),
            "rule_ids": list(self.rule_ids), "background": self.background,
            "risk_profile": self.risk_profile,
            "episodes": [e.to_dict() for e in self.episodes],
            "analysis": [[h, t] for h, t in self.analysis],
            "judgement": None if self.judgement is None else {
                "all_reasonable_steps": self.judgement.all_reasonable_steps,
                "reasons": self.judgement.reasons, "by": self.judgement.by,
                "at": self.judgement.at.isoformat()},
            "learning": [{"learning_id": x.learning_id, "level": x.level, "text": x.text}
                         for x in self.learning],
            "actions": [{"action_id": a.action_id, "description": a.description,
                         "owner_role": a.owner_role, "due": a.due.isoformat(),
                         "links": list(a.links),
                         "history": [{"status": h.status, "by": h.by, "at": h.at.isoformat(),
                                      "note": h.note} for h in a.history]}
                        for a in self.actions],
            "factors": [f.to_dict() for f in self.factors],
            "context": [e.to_dict() for e in self.context],
            "context_statement": self.context_statement,
            "context_considered": _sig_dict(self.context_considered),
            "family_summary": self.family_summary, "version": self.version,
            "change_notes": [{"version": c.version, "note": c.note, "by": c.by,
                              "at": c.at.isoformat()} for c in self.change_notes],
            "finalised": _sig_dict(self.finalised),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReviewState:
        """Rebuild a state from :meth:`to_dict` (ReviewInvalid if it is not one)."""
        if data.get("schema") != CONTENT_SCHEMA:
            raise ReviewInvalid(f"This review was saved in layout {data.get('schema')!r}; "
                                f"this version of the toolkit reads layout {CONTENT_SCHEMA}.")
        try:
            j = data["judgement"]
            return cls(
                crn=str(data["crn"]), as_of=date.fromisoformat(data["as_of"]),
                rule_ids=tuple(data["rule_ids"]), background=str(data["background"]),
                risk_profile=str(data["risk_profile"]),
                episodes=tuple(Episode.from_dict(e) for e in data["episodes"]),
                analysis=tuple((str(h), str(t)) for h, t in data["analysis"]),
                judgement=None if j is None else Judgement(
                    all_reasonable_steps=str(j["all_reasonable_steps"]),
                    reasons=str(j["reasons"]), by=str(j["by"]),
                    at=datetime.fromisoformat(j["at"])),
                learning=tuple(Learning(str(x["learning_id"]), str(x["level"]), str(x["text"]))
                               for x in data["learning"]),
                actions=tuple(ActionItem(
                    action_id=str(a["action_id"]), description=str(a["description"]),
                    owner_role=str(a["owner_role"]), due=date.fromisoformat(a["due"]),
                    links=tuple(a["links"]),
                    history=tuple(StatusChange(str(h["status"]), str(h["by"]),
                                               datetime.fromisoformat(h["at"]), str(h["note"]))
                                  for h in a["history"])) for a in data["actions"]),
                factors=tuple(Factor.from_dict(f) for f in data["factors"]),
                context=tuple(ContextEntry.from_dict(e) for e in data["context"]),
                context_statement=str(data["context_statement"]),
                context_considered=_sig_from(data["context_considered"]),
                family_summary=str(data["family_summary"]), version=int(data["version"]),
                change_notes=tuple(ChangeNote(int(c["version"]), str(c["note"]), str(c["by"]),
                                              datetime.fromisoformat(c["at"]))
                                   for c in data["change_notes"]),
                finalised=_sig_from(data["finalised"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ReviewInvalid(f"The saved review is incomplete or damaged ({exc!r}).") from None


# -- starting ---------------------------------------------------------------------------------

def start(case: CaseFindings, *, early_look: el.EarlyLookState | None = None,
          context: Sequence[ContextEntry] = ()) -> ReviewState:
    """A new review of one case: episodes from its gap and good-practice findings, factors proposed.

    With an early look, its working-context entries are carried over (the
    manager's own entries included); without one, ``context`` (typically
    proposed from the case records) is used. Either way they propose, with
    the CTX-* findings, the contributory factors. The working context still
    has to be considered afresh by the reviewer.
    """
    if early_look is not None and early_look.crn != case.crn:
        raise ReviewInvalid(f"The early look is for {early_look.crn}, not {case.crn}.")
    context = early_look.context if early_look is not None else tuple(context)
    episodes: list[Episode] = []
    for f in sorted((f for f in case.findings if f.kind in ("gap", "good_practice")),
                    key=lambda f: (f.date or date.min, f.kind != "gap")):
        episodes.append(_episode_from(f, f"E{len(episodes) + 1}"))
    return ReviewState(crn=case.crn, as_of=case.as_of,
                       rule_ids=tuple(sorted(case.rule_ids())), episodes=tuple(episodes),
                       factors=propose_factors(context, case.findings), context=context)


def _episode_from(f: Finding, episode_id: str) -> Episode:
    rule = el.good_practice_rule(f) if f.kind == "good_practice" else f.rule_id
    dated = EvidenceNote(text=f.summary, grade="fact", records=tuple(f.evidence), dated=f.date)
    return Episode(
        episode_id=episode_id, kind="gap" if f.kind == "gap" else "good_practice",
        decision_date=f.date, expected=EXPECTATIONS.get(rule or "", ""),
        what_happened=f.summary, known_then=tuple(f.known),
        good_practice=f.summary if f.kind == "good_practice" else "",
        evidence=(dated,), rule_id=rule or f.rule_id)


# -- changing each part -----------------------------------------------------------------------

def set_background(state: ReviewState, *, background: str | None = None,
                   risk_profile: str | None = None) -> ReviewState:
    """Record the case background and/or the risk profile at the time."""
    _editable(state)
    return replace(state,
                   background=state.background if background is None else background.strip(),
                   risk_profile=state.risk_profile if risk_profile is None
                   else risk_profile.strip())


def add_episode(state: ReviewState, *, kind: str, what_happened: str, expected: str = "",
                decision_date: date | None = None, known_then: Sequence[str] = (),
                evidence: Sequence[EvidenceNote] = ()) -> ReviewState:
    """Add an episode the findings did not suggest."""
    _editable(state)
    ep = Episode(episode_id=_next_id("E", (e.episode_id for e in state.episodes)), kind=kind,
                 decision_date=decision_date, expected=expected.strip(),
                 what_happened=what_happened.strip(), known_then=tuple(known_then),
                 evidence=tuple(evidence))
    return replace(state, episodes=(*state.episodes, ep))


_EPISODE_FIELDS = ("kind", "decision_date", "expected", "what_happened", "known_then",
                   "why_it_made_sense", "good_practice", "evidence", "knew")


def update_episode(state: ReviewState, episode_id: str, **changes: Any) -> ReviewState:
    """Change fields of one episode (any of kind, decision_date, expected, what_happened,
    known_then, why_it_made_sense, good_practice, evidence, knew)."""
    _editable(state)
    unknown = sorted(set(changes) - set(_EPISODE_FIELDS))
    if unknown:
        raise ReviewInvalid(f"An episode has no {', '.join(unknown)}; it has "
                            f"{', '.join(_EPISODE_FIELDS)}.")
    for key in ("known_then", "evidence", "knew"):
        if key in changes:
            changes[key] = tuple(changes[key])
    new = replace(state.episode(episode_id), **changes)
    return replace(state, episodes=tuple(new if e.episode_id == episode_id else e
                                         for e in state.episodes))


def remove_episode(state: ReviewState, episode_id: str) -> ReviewState:
    """Remove an episode."""
    _editable(state)
    state.episode(episode_id)
    return replace(state, episodes=tuple(e for e in state.episodes
                                         if e.episode_id != episode_id))


def set_analysis(state: ReviewState, heading: str, text: str) -> ReviewState:
    """Write (or clear, with "") the analysis under one of the six headings."""
    _editable(state)
    if heading not in HEADINGS:
        raise ReviewInvalid(f"'{heading}' is not a heading; the headings are "
                            f"{', '.join(HEADINGS)}.")
    given = dict(state.analysis)
    given[heading] = text.strip()
    return replace(state, analysis=tuple((h, given[h]) for h in HEADINGS if given.get(h)))


def set_judgement(state: ReviewState, all_reasonable_steps: str, *, reasons: str, by: str,
                  at: datetime | None = None) -> ReviewState:
    """Record the reviewer's overall judgement (yes, partly or no) and the reasons for it."""
    _editable(state)
    if all_reasonable_steps not in JUDGEMENTS:
        raise ReviewInvalid(f"'{all_reasonable_steps}' is not an answer to 'were all "
                            "reasonable steps taken?'; answer yes, partly or no.")
    if not reasons.strip():
        raise ReviewInvalid("Give the reasons for the overall judgement.")
    return replace(state, judgement=Judgement(all_reasonable_steps, reasons.strip(), _who(by),
                                              at or _now()))


def add_learning(state: ReviewState, level: str, text: str) -> ReviewState:
    """Add learning at one level (individual, team, organisational or system)."""
    _editable(state)
    if level not in LEVELS:
        raise ReviewInvalid(f"'{level}' is not a level; levels are {', '.join(LEVELS)}.")
    if not text.strip():
        raise ReviewInvalid("Say what the learning is.")
    item = Learning(_next_id("L", (x.learning_id for x in state.learning)), level, text.strip())
    return replace(state, learning=(*state.learning, item))


def remove_learning(state: ReviewState, learning_id: str) -> ReviewState:
    """Remove a piece of learning."""
    _editable(state)
    if not any(x.learning_id == learning_id for x in state.learning):
        raise ReviewInvalid(f"There is no learning {learning_id}.")
    return replace(state, learning=tuple(x for x in state.learning
                                         if x.learning_id != learning_id))


def add_action(state: ReviewState, description: str, *, owner_role: str, due: date,
               links: Sequence[str], by: str, at: datetime | None = None) -> ReviewState:
    """Add an action: owned by a role, linked to rule ids or factor codes of this review."""
    _editable(state)
    if not description.strip():
        raise ReviewInvalid("Describe the action specifically: what will change, and how it "
                            "will be known.")
    role = owner_role.strip()
    if not role:
        raise ReviewInvalid("Say which role owns the action (for example 'Head of the "
                            "probation delivery unit'), not a person's name.")
    if el.looks_like_person(role.upper()):
        raise ReviewInvalid(f"'{role}' looks like a person (a staff code or an email "
                            "address). An action is owned by a role, such as 'Senior "
                            "probation officer' or 'Head of the probation delivery unit'.")
    chosen = tuple(dict.fromkeys(x.strip() for x in links if x.strip()))
    if not chosen:
        raise ReviewInvalid("Link the action to the finding rule ids or contributory-factor "
                            "codes it answers.")
    allowed = set(state.rule_ids) | set(FACTOR_TYPES)
    for link in chosen:
        if el.looks_like_person(link.upper()):
            raise ReviewInvalid(f"'{link}' looks like a person. Actions are linked to "
                                "findings and factors, never to a person.")
        if link not in allowed or not (_RULE_ID.match(link) or link in FACTOR_TYPES):
            raise ReviewInvalid(f"'{link}' is neither a rule with findings in this review "
                                f"({', '.join(state.rule_ids) or 'none'}) nor a factor code "
                                f"({', '.join(FACTOR_TYPES)}).")
    item = ActionItem(action_id=_next_id("A", (a.action_id for a in state.actions)),
                      description=description.strip(), owner_role=role, due=due, links=chosen,
                      history=(StatusChange("open", _who(by), at or _now()),))
    return replace(state, actions=(*state.actions, item))


def set_action_status(state: ReviewState, action_id: str, status: str, *, by: str,
                      note: str = "", at: datetime | None = None) -> ReviewState:
    """Move an action to a new status; the history keeps every change. Dropping needs a note."""
    _editable(state)
    if status not in ACTION_STATUSES:
        raise ReviewInvalid(f"'{status}' is not a status; statuses are "
                            f"{', '.join(ACTION_STATUSES)}.")
    if status == "dropped" and not note.strip():
        raise ReviewInvalid("Say why the action is dropped.")
    if not any(a.action_id == action_id for a in state.actions):
        raise ReviewInvalid(f"There is no action {action_id}.")
    change = StatusChange(status, _who(by), at or _now(), note.strip())
    return replace(state, actions=tuple(replace(a, history=(*a.history, change))
                                        if a.action_id == action_id else a
                                        for a in state.actions))


def add_factor(state: ReviewState, code: str, description: str, **fields: Any) -> ReviewState:
    """Add a contributory factor (fields as :class:`sfo.domain.factors.Factor`)."""
    _editable(state)
    if "evidence" in fields:
        fields["evidence"] = tuple(fields["evidence"])
    f = Factor(factor_id=_next_id("F", (x.factor_id for x in state.factors)), code=code,
               description=description.strip(), **fields)
    return replace(state, factors=(*state.factors, f))


def update_factor(state: ReviewState, factor_id: str, **changes: Any) -> ReviewState:
    """Change fields of one factor (restriction of personal circumstances cannot be lifted)."""
    _editable(state)
    old = next((f for f in state.factors if f.factor_id == factor_id), None)
    if old is None:
        raise ReviewInvalid(f"There is no factor {factor_id}.")
    if "evidence" in changes:
        changes["evidence"] = tuple(changes["evidence"])
    if "factor_id" in changes:
        raise ReviewInvalid("A factor's id cannot be changed.")
    new = replace(old, **changes)
    return replace(state, factors=tuple(new if f.factor_id == factor_id else f
                                        for f in state.factors))


def remove_factor(state: ReviewState, factor_id: str) -> ReviewState:
    """Remove a contributory factor."""
    _editable(state)
    if not any(f.factor_id == factor_id for f in state.factors):
        raise ReviewInvalid(f"There is no factor {factor_id}.")
    return replace(state, factors=tuple(f for f in state.factors if f.factor_id != factor_id))


def consider_context(state: ReviewState, statement: str, *, by: str,
                     at: datetime | None = None) -> ReviewState:
    """Confirm the working context was considered, saying how (always needed to finalise)."""
    _editable(state)
    if not statement.strip():
        raise ReviewInvalid("Say how the working context was considered (for example what "
                            "was looked at, and why no factor was found).")
    return replace(state, context_statement=statement.strip(),
                   context_considered=Signature(_who(by), at or _now()))


def set_family_summary(state: ReviewState, text: str) -> ReviewState:
    """Write the plain-English, redacted summary for the victim's family."""
    _editable(state)
    return replace(state, family_summary=text.strip())


# -- finalising -------------------------------------------------------------------------------

def working_context_considered(state: ReviewState) -> bool:
    """Whether the reviewer has said, and signed, how the working context was considered.

    Factors the toolkit proposed do not count on their own: someone has to have
    weighed the working context, and the statement says how they did.
    """
    return state.context_considered is not None and bool(state.context_statement.strip())


def completion_problems(state: ReviewState) -> list[str]:
    """What stops the review being finalised (the BLOCK items of the quality check)."""
    out = []
    if state.judgement is None:
        out.append("There is no overall judgement: say whether all reasonable steps were "
                   "taken (yes, partly or no) and why.")
    if not working_context_considered(state):
        out.append("The working context has not been considered: say how you considered it "
                   "(what you looked at, which contributory factors you found and, if none, "
                   "why).")
    return out


def finalise(state: ReviewState, *, by: str, at: datetime | None = None) -> ReviewState:
    """Finalise this version; refused (listing every problem) while anything blocks it."""
    _editable(state)
    problems = completion_problems(state)
    if problems:
        raise ReviewInvalid(
            f"The review cannot be finalised yet: {len(problems)} thing"
            f"{'s' if len(problems) != 1 else ''} to finish.\n"
            + "\n".join(f"  - {p}" for p in problems), problems)
    return replace(state, finalised=Signature(_who(by), at or _now()))


def reopen(state: ReviewState, note: str, *, by: str, at: datetime | None = None) -> ReviewState:
    """Start version n+1 of a finalised review; the note says what changes and why."""
    if state.finalised is None:
        raise ReviewInvalid(f"Version {state.version} is not finalised yet; change it "
                            "directly.")
    if not note.strip():
        raise ReviewInvalid("Say what will change in the new version, and why.")
    change = ChangeNote(state.version + 1, note.strip(), _who(by), at or _now())
    return replace(state, version=state.version + 1, finalised=None,
                   change_notes=(*state.change_notes, change))


# -- helpers ----------------------------------------------------------------------------------

def _editable(state: ReviewState) -> None:
    s = state.finalised
    if s is not None:
        raise ReviewInvalid(f"Version {state.version} of this review was finalised by {s.by} "
                            f"on {s.at.day} {s.at:%B %Y} and cannot be changed; reopen it as "
                            f"version {state.version + 1} with a note saying why.")


def _who(by: str) -> str:
    if not by.strip():
        raise ReviewInvalid("Say who is making the change.")
    return by.strip()


_now = editing.now
_next_id = editing.next_id


def _d(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _date_from(s: str | None) -> date | None:
    return None if s is None else date.fromisoformat(s)


def _sig_dict(s: Signature | None) -> dict[str, str] | None:
    return None if s is None else {"by": s.by, "at": s.at.isoformat()}


def _sig_from(d: Mapping[str, str] | None) -> Signature | None:
    return None if d is None else Signature(by=d["by"], at=datetime.fromisoformat(d["at"]))
