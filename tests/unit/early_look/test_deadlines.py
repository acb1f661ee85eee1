"""Deadlines are counted in working days from the charge, skipping bank holidays.

Worked by hand for a charge on Wednesday 27 March 2024, the day before Easter
(Good Friday 29 March and Easter Monday 1 April are bank holidays):

    working day 1  Thu 28 March
                   Fri 29 March   Good Friday (skipped)
                   Sat 30, Sun 31 weekend (skipped)
                   Mon 1 April    Easter Monday (skipped)
    working day 2  Tue 2 April
    working day 3  Wed 3 April
    working day 4  Thu 4 April
    working day 5  Fri 5 April    -> early look due (5 working days)
    working day 6  Mon 8 April ... working day 10 Fri 12 April -> notification due (10)

A calendar that forgot Easter would give Wed 3 April and Wed 10 April.
"""

from __future__ import annotations

from datetime import date

import pytest

from sfo.domain.calendar import WorkingCalendar
from sfo.domain.early_look import Deadline, deadlines
from sfo.errors import InputError
from sfo.standards import bank_holidays

CHARGE = date(2024, 3, 27)


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(bank_holidays(2023, 2025))


def due(cal: WorkingCalendar, today: date) -> tuple[Deadline, ...]:
    return deadlines(CHARGE, today, cal, early_look_days=5, notification_days=10)


def test_deadlines_across_easter_skip_the_bank_holidays(cal: WorkingCalendar) -> None:
    early, notify = due(cal, CHARGE)
    assert early == Deadline("Early look", date(2024, 4, 5), 5, overdue=False)
    assert notify == Deadline("SFO notification", date(2024, 4, 12), 10, overdue=False)


def test_days_remaining_count_only_working_days_after_today(cal: WorkingCalendar) -> None:
    # Thursday 28 March: 2, 3, 4 and 5 April are left (29 March and 1 April are holidays).
    early, _ = due(cal, date(2024, 3, 28))
    assert early.working_days_remaining == 4
    assert early.describe() == "Early look: due on 5 April 2024, 4 working days from today."


def test_on_the_due_date_nothing_remains_and_it_is_not_overdue(cal: WorkingCalendar) -> None:
    early, _ = due(cal, date(2024, 4, 5))
    assert (early.working_days_remaining, early.overdue) == (0, False)
    assert early.describe() == "Early look: due today, 5 April 2024."


def test_after_the_due_date_it_is_overdue_by_working_days(cal: WorkingCalendar) -> None:
    early, notify = due(cal, date(2024, 4, 9))  # Tuesday: Mon 8 and Tue 9 are late
    assert (early.working_days_remaining, early.overdue) == (-2, True)
    assert early.describe() == "Early look: was due on 5 April 2024, 2 working days ago."
    assert (notify.working_days_remaining, notify.overdue) == (3, False)


def test_the_weekend_after_a_friday_deadline_is_already_overdue(cal: WorkingCalendar) -> None:
    early, _ = due(cal, date(2024, 4, 6))
    assert early.overdue and early.working_days_remaining == -1


def test_a_deadline_must_be_a_whole_number_of_working_days(cal: WorkingCalendar) -> None:
    with pytest.raises(InputError, match="whole number of working days"):
        deadlines(CHARGE, CHARGE, cal, early_look_days=0, notification_days=10)
