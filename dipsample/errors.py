"""Errors the dip-sample package raises on purpose; anything else is a bug.

    DipSampleError            every error a user may see (CLI exit 2, st.error)
    ├── FrameInvalid          a sampling frame failed validation (carries Issues)
    ├── ResultsInvalid        a results file failed validation (carries Issues)
    ├── LogInvalid            a selection-log file that cannot be read (carries Issues)
    ├── PlanInvalid           sample-size or allocation parameters that cannot work
    └── SubstitutionRefused   a replacement that the method does not allow

Each error's ``str()`` is a complete, plain-English message fit to show a
user as it is. This package is pure: it never reads files, so the caller
passes the file name (``source``) for messages.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_LISTED = 100


class DipSampleError(Exception):
    """Base class: an error with a message meant for the user."""


class PlanInvalid(DipSampleError):
    """Sample-size or allocation parameters that cannot give a valid plan."""


class SubstitutionRefused(DipSampleError):
    """A substitution the method does not allow (or no reserve case is left)."""


@dataclass(frozen=True)
class Issue:
    """One precise thing wrong with a row (``row`` as a spreadsheet numbers it)."""

    row: int | None
    column: str | None
    message: str

    def where(self, source: str, row_word: str = "row", column_word: str = "column") -> str:
        """'caseload.csv, row 4, column 'crn'' for this issue."""
        text = source
        if self.row is not None:
            text += f", {row_word} {self.row}"
        if self.column:
            text += f", {column_word} '{self.column}'"
        return text


class _IssuesError(DipSampleError):
    what = "file"
    outcome = "was not used"
    row_word = "row"
    column_word = "column"

    def __init__(self, issues: list[Issue], *, source: str, total: int | None = None) -> None:
        self.issues = list(issues)[:MAX_LISTED]
        self.total = total if total is not None else len(issues)
        self.source = source
        noun = "problem" if self.total == 1 else "problems"
        lines = [f"The {self.what} {source} {self.outcome}: {self.total} {noun} found."]
        lines += [f"  - {i.where(source, self.row_word, self.column_word)}: {i.message}"
                  for i in self.issues]
        if self.total > len(self.issues):
            lines.append(f"  ... and {self.total - len(self.issues)} more of the same kinds.")
        super().__init__("\n".join(lines))


class FrameInvalid(_IssuesError):
    """A sampling frame failed validation; nothing was drawn from it."""

    what = "sampling frame"


class ResultsInvalid(_IssuesError):
    """A results file failed validation; nothing was evaluated."""

    what = "results file"


class LogInvalid(_IssuesError):
    """A selection-log file that cannot be read as one (an Issue's row is its line number)."""

    what = "selection log"
    outcome = "could not be read"
    row_word = "line"
    column_word = "field"
