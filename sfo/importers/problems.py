"""Collecting problems and warnings while a bundle is checked.

Checks are vectorised: each finds the failing rows with a mask and hands
them over here, and only the rows that will be shown get a message built.
The log keeps the first ``limit`` problems and counts the rest.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sfo.errors import Problem

PROBLEM_LIMIT = 100


class ProblemLog:
    """The problems found so far (the first ``limit`` kept, all counted) and the warnings."""

    def __init__(self, limit: int = PROBLEM_LIMIT) -> None:
        self.limit = limit
        self.problems: list[Problem] = []
        self.total = 0
        self.warnings: list[str] = []

    def __bool__(self) -> bool:
        return self.total > 0

    @property
    def room(self) -> int:
        """How many more problems will be kept (the rest are only counted)."""
        return max(self.limit - len(self.problems), 0)

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        """Record one problem."""
        self.total += 1
        if len(self.problems) < self.limit:
            self.problems.append(Problem(file, row, column, message))

    def add_rows(self, file: str, column: str | None, failing: np.ndarray,
                 rows: np.ndarray, message: Callable[[int], str]) -> None:
        """Record a problem for each failing row position; messages only for those kept.

        ``failing`` holds positions into the table, ``rows`` the spreadsheet
        row of every position, ``message(position)`` says what is wrong.
        """
        count = int(failing.size)
        if count == 0:
            return
        for pos in failing[: self.room].tolist():
            self.problems.append(Problem(file, int(rows[pos]), column, message(pos)))
        self.total += count

    def add_mask(self, file: str, column: str | None, mask: np.ndarray,
                 rows: np.ndarray, message: Callable[[int], str]) -> None:
        """Like :meth:`add_rows`, with a boolean mask over the table's positions."""
        if mask.any():
            self.add_rows(file, column, np.flatnonzero(mask), rows, message)

    def warn(self, message: str) -> None:
        """Record a warning (the import still succeeds)."""
        self.warnings.append(message)
