"""Deadlines counted in working days from the charge (England and Wales bank holidays skipped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sfo.domain.calendar import WorkingCalendar
from sfo.errors import InputError


@dataclass(frozen=True)
class Deadline:
    """One deadline: what is due, by when, and how many working days are left."""

    label: str
    due: date
    working_days_remaining: int   # after today, up to and including the due date; < 0 overdue
    overdue: bool

    def describe(self) -> str:
        """The deadline as a manager reads it."""
        day = f"{self.due.day} {self.due:%B %Y}"
        n = self.working_days_remaining
        if self.overdue:
            return f"{self.label}: was due on {day}, {-n} working day{_s(-n)} ago."
        if n == 0:
            return f"{self.label}: due today, {day}."
        return f"{self.label}: due on {day}, {n} working day{_s(n)} from today."


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def deadlines(charge_date: date, today: date, cal: WorkingCalendar, *, early_look_days: int,
              notification_days: int) -> tuple[Deadline, ...]:
    """The early-look and notification deadlines: the Nth working day after the charge date."""
    out = []
    for label, n in (("Early look", early_look_days), ("SFO notification", notification_days)):
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise InputError(f"The {label.lower()} deadline must be a whole number of working "
                             f"days, 1 or more; it is {n!r}.")
        out.append(_deadline(label, cal.add_one(charge_date, n), today, cal))
    return tuple(out)


def _deadline(label: str, due: date, today: date, cal: WorkingCalendar) -> Deadline:
    if due >= today:
        left = int(cal.count_between(today + timedelta(days=1), due)) if due > today else 0
        return Deadline(label, due, left, overdue=False)
    late = int(cal.count_between(due + timedelta(days=1), today))
    # Overdue from the day after the due date even when that is a weekend: at least 1 late.
    return Deadline(label, due, -max(late, 1), overdue=True)
