"""Errors the toolkit raises on purpose; anything else is a bug.

    SfoError                      every error a user may see (CLI exit 2, st.error)
    ├── InputError                something the user supplied is wrong
    │   ├── BundleInvalid         a bundle failed validation (carries Problems)
    │   ├── FileInvalid           a single CSV file could not be read (carries Problems)
    │   ├── MappingInvalid        a header-mapping file is wrong
    │   ├── RulesInvalid          a rules file is wrong
    │   ├── ChecklistInvalid      a checklist file is wrong
    │   ├── EarlyLookInvalid      an early-look change or sign-off is refused (says why)
    │   ├── ReviewInvalid         an SFO-review change or finalising is refused (says why)
    │   └── TemplateInvalid       a document template cannot be used (file and reason)
    ├── NotFound                  a person, case or file asked for does not exist
    ├── PermissionDenied          the signed-in user's role may not do or see this
    ├── SignInFailed              a sign-in was refused (wrong details, locked, inactive)
    ├── ConflictError             a save based on a version someone else has changed
    └── StoreError                the database cannot be used as it is
        ├── StoreUnavailable      it cannot be reached or opened
        ├── StoreBusy             it is locked by another process for too long
        └── SchemaMismatch        it is not at the revision this version expects

Each error's ``str()`` is a complete, plain-English message fit to show a
user as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class SfoError(Exception):
    """Base class: an error with a message meant for the user."""


class InputError(SfoError):
    """Something the user supplied (a file, an option) is wrong."""


class NotFound(SfoError):
    """A person, case or file that was asked for does not exist."""


class PermissionDenied(SfoError):
    """The signed-in user's role may not do or see what was asked (the services check too)."""


class SignInFailed(SfoError):
    """A sign-in was refused: wrong user name or password, a locked or inactive account."""


class ConflictError(SfoError):
    """Someone else saved the same record since it was opened; nothing was overwritten.

    ``changes`` maps each field they changed to (value you started from,
    their value); ``by`` and ``at`` say who saved it and when.
    """

    def __init__(self, what: str, *, by: str, at: str,
                 changes: dict[str, tuple[object, object]]) -> None:
        self.what = what
        self.by = by
        self.at = at
        self.changes = dict(changes)
        fields = ", ".join(sorted(self.changes)) or "nothing visible"
        super().__init__(f"{what} was changed by {by} at {at} after you opened it "
                         f"(they changed: {fields}). Your change was not saved: look at "
                         "theirs, then make yours again.")

    def in_words(self, field: str, parts: Callable[[Mapping[str, Any] | None], dict[str, str]],
                 *, labels: Mapping[str, str] | None = None,
                 gone: str = "(removed)") -> ConflictError:
        """The same conflict with ``field`` (a whole saved content) told part by part.

        ``parts`` describes a content (or None) as {part: words}; only the parts
        that differ are kept, as (yours, theirs), "(nothing)" for a part you did
        not have and ``gone`` for one they removed. The other fields are renamed
        by ``labels``. A conflict whose ``field`` holds no content is returned as
        it is.
        """
        start, theirs = self.changes.get(field, (None, None))
        if not isinstance(start, Mapping) and not isinstance(theirs, Mapping):
            return self
        before = parts(start if isinstance(start, Mapping) else None)
        after = parts(theirs if isinstance(theirs, Mapping) else None)
        readable: dict[str, tuple[object, object]] = {
            k: (before.get(k, "(nothing)"), after.get(k, gone))
            for k in [*before, *(k for k in after if k not in before)]
            if before.get(k) != after.get(k)}
        readable.update({(labels or {}).get(k, k): v for k, v in self.changes.items()
                         if k != field})
        return ConflictError(self.what, by=self.by, at=self.at, changes=readable)


class StoreError(SfoError):
    """The database cannot be used as it is."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or opened."""


class StoreBusy(StoreError):
    """The database stayed locked by another process for longer than the busy timeout."""


class SchemaMismatch(StoreError):
    """The database is not at the schema revision this version of the toolkit expects."""


class RulesInvalid(InputError):
    """A rules file could not be read or has a wrong value."""


class ChecklistInvalid(InputError):
    """A checklist file could not be read or has a wrong question."""


class EarlyLookInvalid(InputError):
    """An early-look change or sign-off that the rules of the early look refuse.

    ``problems`` lists every reason in plain English (one for most changes,
    all outstanding ones when a sign-off is refused).
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems) if problems else [message]
        super().__init__(message)


class ReviewInvalid(InputError):
    """An SFO-review change or finalising that the rules of the review refuse.

    ``problems`` lists every reason in plain English (one for most changes,
    all outstanding ones when finalising is refused).
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = list(problems) if problems else [message]
        super().__init__(message)


class TemplateInvalid(InputError):
    """A document template that cannot be used: unreadable, mistyped, or refused by the sandbox.

    ``template`` names the file and ``reason`` is the template engine's message.
    """

    def __init__(self, template: str, reason: str) -> None:
        self.template = template
        self.reason = reason
        super().__init__(f"The template {template} cannot be used: {reason}")


class MappingInvalid(InputError):
    """A header-mapping file could not be read or is inconsistent."""


@dataclass(frozen=True)
class Problem:
    """One precise thing wrong with an input file."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class _ProblemsError(InputError):
    """An input file or bundle that failed validation, listing its problems."""

    def __init__(self, problems: list[Problem], *, total: int | None = None,
                 source: str = "") -> None:
        self.problems = list(problems)
        self.total = total if total is not None else len(self.problems)
        self.source = source
        super().__init__(self._render())

    def _headline(self, found: str) -> str:
        raise NotImplementedError

    def _render(self) -> str:
        noun = "problem" if self.total == 1 else "problems"
        lines = [self._headline(f"{self.total} {noun} found")]
        lines += [f"  - {p}" for p in self.problems]
        if self.total > len(self.problems):
            lines.append(f"  ... and {self.total - len(self.problems)} more of the same kinds.")
        return "\n".join(lines)


class BundleInvalid(_ProblemsError):
    """A bundle failed validation; nothing from it was used."""

    def _headline(self, found: str) -> str:
        head = f"The bundle {self.source} " if self.source else "The bundle "
        return f"{head}was not imported: {found}. Nothing was imported."


class FileInvalid(_ProblemsError):
    """A single CSV file (a frame, results) could not be read; nothing from it was used."""

    def _headline(self, found: str) -> str:
        return f"The file {self.source} could not be read: {found}."
