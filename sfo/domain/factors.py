"""Contributory factors: the conditions of the work that helped or hindered practice.

An SFO review names the factors behind what happened at every level, not
only the individual's. Each kind of factor is fixed data (:data:`FACTOR_TYPES`)
placed in two frameworks reviewers already use: the SEIPS work system (person,
tasks, tools and technology, organisation, internal and external environment)
and the London Protocol's categories of contributory factor. A
:class:`Factor` is one factor found in a case, with graded evidence, whether
it was known at the time, whether it helped or hindered, and whether it is
specific to this case or systemic.

:func:`propose_factors` suggests factors from the working context of an early
look and the CTX-* findings; the reviewer confirms, changes or removes them.
Personal circumstances are always restricted, whatever is asked for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sfo.domain.context import ContextEntry
from sfo.domain.findings import Finding
from sfo.errors import ReviewInvalid

__all__ = [
    "EFFECTS",
    "FACTOR_TYPES",
    "GRADES",
    "KNOWN",
    "LEVELS",
    "LONDON_PROTOCOL",
    "PARTNER_VARIANTS",
    "SCOPES",
    "SEIPS",
    "EvidenceNote",
    "Factor",
    "FactorType",
    "factor_type",
    "propose_factors",
]

SEIPS: dict[str, str] = {
    "person": "Person",
    "tasks": "Tasks",
    "tools_technology": "Tools and technology",
    "organisation": "Organisation",
    "internal_environment": "Internal environment",
    "external_environment": "External environment",
}
LONDON_PROTOCOL: dict[str, str] = {
    "case": "Patient (case) factors",
    "individual_staff": "Individual staff factors",
    "task_technology": "Task and technology factors",
    "team": "Team factors",
    "work_environment": "Work environment factors",
    "organisational_management": "Organisational and management factors",
    "institutional_context": "Institutional context factors",
}
LEVELS: dict[str, str] = {"individual": "Individual", "team": "Team",
                          "organisational": "Organisational", "system": "System"}
GRADES: dict[str, str] = {
    "fact": "Fact: shown by the case record or another document",
    "inference": "Inference: the reviewer's reading of the facts",
    "hearsay": "Hearsay: an account given to the reviewer, not yet checked",
}
KNOWN: dict[str, str] = {"yes": "Known at the time", "no": "Not known at the time",
                         "only_afterwards": "Known only afterwards"}
EFFECTS: dict[str, str] = {"helped": "Helped", "hindered": "Hindered"}
SCOPES: dict[str, str] = {"specific": "Specific to this case", "systemic": "Systemic"}
PARTNER_VARIANTS: dict[str, str] = {"requested": "requested", "late": "shared late",
                                    "not_shared": "not shared"}


@dataclass(frozen=True)
class FactorType:
    """One kind of contributory factor and where it sits in SEIPS and the London Protocol."""

    code: str
    title: str
    seips: str
    london: str
    level: str
    restricted: bool = False
    variants: tuple[str, ...] = ()


# The placings are defaults a reviewer can argue with in the text, not findings.
# Training sits with the organisation because access to courses is decided there;
# experience against complexity is a team matter because allocation is.
FACTOR_TYPES: dict[str, FactorType] = {t.code: t for t in (
    FactorType("workload", "Workload", "organisation", "work_environment", "organisational"),
    FactorType("staffing_vacancies", "Staffing and vacancies", "organisation",
               "work_environment", "organisational"),
    FactorType("supervision", "Supervision and management support", "organisation", "team",
               "team"),
    FactorType("training", "Training: access and completion", "organisation",
               "organisational_management", "organisational"),
    FactorType("experience_vs_complexity", "Experience and grade against the case's "
               "complexity", "person", "work_environment", "team"),
    FactorType("systems_it", "Case-management and IT systems", "tools_technology",
               "task_technology", "organisational"),
    FactorType("policy_workability", "Whether policy and guidance were workable", "tasks",
               "organisational_management", "organisational"),
    FactorType("partner_information", "Information from partner agencies",
               "external_environment", "institutional_context", "system",
               variants=tuple(PARTNER_VARIANTS)),
    FactorType("task_design", "How the task is designed", "tasks", "task_technology",
               "organisational"),
    FactorType("personal_circumstances", "Personal circumstances (restricted)", "person",
               "individual_staff", "individual", restricted=True),
)}
for _t in FACTOR_TYPES.values():  # a typo in the table above fails at import, not in a report
    assert _t.seips in SEIPS and _t.london in LONDON_PROTOCOL and _t.level in LEVELS, _t


def factor_type(code: str) -> FactorType:
    """The kind of factor a code names (ReviewInvalid listing the codes if it names none)."""
    try:
        return FACTOR_TYPES[code]
    except KeyError:
        raise ReviewInvalid(f"'{code}' is not a contributory factor; the factors are "
                            f"{', '.join(FACTOR_TYPES)}.") from None


@dataclass(frozen=True)
class EvidenceNote:
    """One piece of evidence: what it says, how firm it is, its records, and its date."""

    text: str
    grade: str = "fact"                  # fact | inference | hearsay
    records: tuple[str, ...] = ()        # record ids to look at
    dated: date | None = None            # when the information existed, if known

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ReviewInvalid("A piece of evidence needs some text.")
        if self.grade not in GRADES:
            raise ReviewInvalid(f"'{self.grade}' is not an evidence grade; grade evidence "
                                f"{', '.join(GRADES)}.")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {"text": self.text, "grade": self.grade, "records": list(self.records),
                "dated": self.dated.isoformat() if self.dated else None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EvidenceNote:
        """Rebuild from :meth:`to_dict`."""
        dated = data.get("dated")
        return cls(text=str(data["text"]), grade=str(data["grade"]),
                   records=tuple(str(r) for r in data["records"]),
                   dated=None if dated is None else date.fromisoformat(dated))


@dataclass(frozen=True)
class Factor:
    """One contributory factor found in a case (see the module docstring).

    ``known_at_the_time`` and ``scope`` are None until the reviewer says;
    the quality check prompts for them. A personal-circumstances factor is
    always restricted.
    """

    factor_id: str
    code: str
    description: str
    evidence: tuple[EvidenceNote, ...] = ()
    known_at_the_time: str | None = None   # yes | no | only_afterwards
    effect: str = "hindered"               # helped | hindered
    scope: str | None = None               # specific | systemic
    restricted: bool = False
    variant: str | None = None             # partner information: requested | late | not_shared
    source: str = "entered"                # proposed | entered

    def __post_init__(self) -> None:
        kind = factor_type(self.code)
        if not self.description.strip():
            raise ReviewInvalid(f"Describe the {kind.title.lower()} factor.")
        if self.known_at_the_time is not None and self.known_at_the_time not in KNOWN:
            raise ReviewInvalid(f"'{self.known_at_the_time}' is not an answer to 'known at "
                                f"the time?'; answer {', '.join(KNOWN)}.")
        if self.effect not in EFFECTS:
            raise ReviewInvalid(f"'{self.effect}' is not an effect; say helped or hindered.")
        if self.scope is not None and self.scope not in SCOPES:
            raise ReviewInvalid(f"'{self.scope}' is not a scope; say specific or systemic.")
        if self.variant is not None and self.variant not in kind.variants:
            allowed = ", ".join(kind.variants) or "none"
            raise ReviewInvalid(f"'{self.variant}' does not apply to {kind.title.lower()} "
                                f"(allowed: {allowed}).")
        if self.source not in ("proposed", "entered"):
            raise ReviewInvalid(f"'{self.source}' is not a source; expected proposed or "
                                "entered.")
        if kind.restricted and not self.restricted:
            object.__setattr__(self, "restricted", True)

    @property
    def kind(self) -> FactorType:
        """The kind of factor, with its SEIPS component, London Protocol category and level."""
        return FACTOR_TYPES[self.code]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {"factor_id": self.factor_id, "code": self.code,
                "description": self.description,
                "evidence": [e.to_dict() for e in self.evidence],
                "known_at_the_time": self.known_at_the_time, "effect": self.effect,
                "scope": self.scope, "restricted": self.restricted, "variant": self.variant,
                "source": self.source}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Factor:
        """Rebuild from :meth:`to_dict`."""
        return cls(factor_id=str(data["factor_id"]), code=str(data["code"]),
                   description=str(data["description"]),
                   evidence=tuple(EvidenceNote.from_dict(e) for e in data["evidence"]),
                   known_at_the_time=data["known_at_the_time"], effect=str(data["effect"]),
                   scope=data["scope"], restricted=bool(data["restricted"]),
                   variant=data["variant"], source=str(data["source"]))


# -- proposing factors --------------------------------------------------------------------------

_FROM_FINDING = {"CTX-WORKLOAD": "workload", "CTX-TRAINING": "training",
                 "CTX-EXPERIENCE": "experience_vs_complexity",
                 "CTX-SUPERVISION": "supervision", "CTX-VACANCIES": "staffing_vacancies"}
_FROM_CATEGORY = {"workload": "workload", "caseload": "workload",
                  "supervision": "supervision", "training": "training",
                  "experience": "experience_vs_complexity", "vacancies": "staffing_vacancies",
                  "systems": "systems_it", "partners": "partner_information",
                  "personal": "personal_circumstances"}
# Entries in these categories are never in a bundle: someone chose to record them.
_ALWAYS_PROPOSED = ("systems", "partners", "personal")


def propose_factors(entries: Iterable[ContextEntry],
                    findings: Iterable[Finding]) -> tuple[Factor, ...]:
    """Factors suggested by working-context entries and CTX-* findings, one per kind.

    A CTX-* finding (workload over 110%, training not completed or not
    available, inexperience for the case, a supervision gap, team vacancies)
    proposes its factor with the finding as graded fact. A working-context
    entry proposes one when it is marked as mitigation or records systems,
    partner agencies or personal circumstances; entries from the bundle are
    fact, entries someone typed are hearsay until the reviewer checks them.
    Nothing is proposed as known at the time or systemic: the reviewer says.
    """
    gathered: dict[str, list[EvidenceNote]] = {}
    restricted: set[str] = set()
    for f in findings:
        code = _FROM_FINDING.get(f.rule_id)
        if f.kind == "context" and code is not None:
            gathered.setdefault(code, []).append(EvidenceNote(
                text=f"{f.summary} ({f.rule_id})", grade="fact", records=tuple(f.evidence),
                dated=f.date))
    for e in entries:
        code = _FROM_CATEGORY.get(e.category)
        if code is None or not (e.is_mitigation or e.category in _ALWAYS_PROPOSED):
            continue
        if e.source == "bundle" and "(CTX-" in e.text and code in gathered:
            continue  # the same CTX finding, already taken from the findings
        note = EvidenceNote(text=e.text, grade="fact" if e.source == "bundle" else "hearsay")
        if note not in gathered.setdefault(code, []):
            gathered[code].append(note)
        if e.restricted:
            restricted.add(code)
    out: list[Factor] = []
    for code in FACTOR_TYPES:  # taxonomy order, so the same inputs give the same list
        if code not in gathered:
            continue
        out.append(Factor(factor_id=f"F{len(out) + 1}", code=code,
                          description=FACTOR_TYPES[code].title,
                          evidence=tuple(gathered[code]), restricted=code in restricted,
                          source="proposed"))
    return tuple(out)
