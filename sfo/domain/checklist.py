"""The early-look checklist: the questions a manager answers, and the rules behind each.

The checklist is data (``sfo/standards/checklist.toml`` by default, or a local
file that replaces it). This module only holds it; reading and checking the
file is the standards loader's job.
"""

from __future__ import annotations

from dataclasses import dataclass

from sfo.errors import ChecklistInvalid

# Conditions a question can be limited to (``applies_when``). The early look
# works each one out from the records; see sfo.domain.early_look.case_conditions.
CONDITIONS: dict[str, str] = {
    "licence": "the case is a licence",
    "da_child": "the case involves domestic abuse or child safeguarding concerns",
}


@dataclass(frozen=True)
class Question:
    """One checklist question and the rules whose findings give it evidence."""

    id: str
    area: str
    text: str
    rule_ids: tuple[str, ...] = ()
    action_today: bool = False
    applies_when: str | None = None
    help: str = ""

    @property
    def manager_answers(self) -> bool:
        """Whether no rule gives evidence, so the manager answers from the record."""
        return not self.rule_ids


@dataclass(frozen=True)
class Checklist:
    """A named, versioned list of questions, in the order they are asked."""

    name: str
    version: str
    questions: tuple[Question, ...]
    title: str = ""
    origin: str = "default"

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for q in self.questions:
            if q.id in seen:
                raise ChecklistInvalid(f"{self.origin}: question id {q.id} is used twice.")
            seen.add(q.id)

    def question(self, question_id: str) -> Question:
        """The question with this id (ChecklistInvalid naming the known ids if none)."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise ChecklistInvalid(f"The checklist {self.name} {self.version} has no question "
                               f"{question_id}. Its questions: "
                               f"{', '.join(q.id for q in self.questions)}.")

    @property
    def ids(self) -> tuple[str, ...]:
        """Question ids in order."""
        return tuple(q.id for q in self.questions)
