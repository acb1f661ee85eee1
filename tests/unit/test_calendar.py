"""WorkingCalendar: Monday to Friday less England and Wales bank holidays."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sfo.domain.calendar import WorkingCalendar
from sfo.standards import bank_holidays


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    return WorkingCalendar(bank_holidays(2022, 2025))


def days(*iso: str) -> np.ndarray:
    return np.array(iso, dtype="datetime64[D]")


def test_bank_holidays_include_easter_christmas_and_new_year_2024() -> None:
    hols = set(bank_holidays(2023, 2024))
    for d in ("2023-12-25", "2023-12-26", "2024-01-01", "2024-03-29", "2024-04-01",
              "2024-05-06", "2024-05-27", "2024-08-26", "2024-12-25", "2024-12-26"):
        assert date.fromisoformat(d) in hols


def test_bank_holidays_include_the_2023_coronation_holiday() -> None:
    assert date(2023, 5, 8) in set(bank_holidays(2023, 2023))


def test_bank_holidays_do_not_include_scottish_only_days() -> None:
    hols = set(bank_holidays(2024, 2024))
    assert date(2024, 1, 2) not in hols      # 2 January: Scotland only
    assert date(2024, 11, 30) not in hols    # St Andrew's Day (a Saturday anyway)
    assert date(2024, 8, 5) not in hols      # Scottish summer bank holiday


def test_three_working_days_after_friday_22_march_2024_is_wednesday_27_march(cal) -> None:
    assert cal.add_one(date(2024, 3, 22), 3) == date(2024, 3, 27)


def test_one_working_day_after_thursday_before_easter_2024_is_tuesday_2_april(cal) -> None:
    assert cal.add_one(date(2024, 3, 28), 1) == date(2024, 4, 2)


def test_five_working_days_after_22_march_2024_skip_good_friday_and_easter_monday(cal) -> None:
    assert cal.add_one(date(2024, 3, 22), 5) == date(2024, 4, 2)


def test_one_working_day_after_friday_22_december_2023_skips_christmas(cal) -> None:
    assert cal.add_one(date(2023, 12, 22), 1) == date(2023, 12, 27)


def test_one_working_day_after_friday_29_december_2023_skips_new_year(cal) -> None:
    assert cal.add_one(date(2023, 12, 29), 1) == date(2024, 1, 2)


def test_a_saturday_start_is_not_itself_counted(cal) -> None:
    # Sat 23 March 2024: the first working day after it is Mon 25 March.
    assert cal.add_one(date(2024, 3, 23), 1) == date(2024, 3, 25)
    assert cal.add_one(date(2024, 3, 23), 3) == date(2024, 3, 27)


def test_a_bank_holiday_start_is_not_itself_counted(cal) -> None:
    # Good Friday: the first working day after it is Tue 2 April.
    assert cal.add_one(date(2024, 3, 29), 1) == date(2024, 4, 2)


def test_zero_working_days_after_a_working_day_is_that_day(cal) -> None:
    assert cal.add_one(date(2024, 3, 27), 0) == date(2024, 3, 27)


def test_one_working_day_before_tuesday_after_easter_is_maundy_thursday(cal) -> None:
    assert cal.add_one(date(2024, 4, 2), -1) == date(2024, 3, 28)


def test_one_working_day_before_easter_monday_is_maundy_thursday(cal) -> None:
    assert cal.add_one(date(2024, 4, 1), -1) == date(2024, 3, 28)


def test_one_working_day_before_a_sunday_is_the_friday(cal) -> None:
    assert cal.add_one(date(2024, 3, 24), -1) == date(2024, 3, 22)


def test_ten_working_days_before_friday_12_april_2024_is_wednesday_27_march(cal) -> None:
    assert cal.add_one(date(2024, 4, 12), -10) == date(2024, 3, 27)


def test_negative_then_positive_offsets_round_trip_on_working_days(cal) -> None:
    for start in ("2024-03-27", "2024-04-02", "2023-12-27"):
        d = date.fromisoformat(start)
        assert cal.add_one(cal.add_one(d, -4), 4) == d


def test_add_is_vectorised_over_dates_and_offsets(cal) -> None:
    out = cal.add(days("2024-03-22", "2024-03-28", "2024-04-02"), np.array([3, 1, -1]))
    assert out.tolist() == days("2024-03-27", "2024-04-02", "2024-03-28").tolist()


def test_nat_stays_nat_and_does_not_disturb_its_neighbours(cal) -> None:
    out = cal.add(days("NaT", "2024-03-22", "NaT"), 3)
    assert np.isnat(out[0]) and np.isnat(out[2])
    assert out[1] == np.datetime64("2024-03-27")


def test_all_nat_input_gives_all_nat(cal) -> None:
    out = cal.add(days("NaT", "NaT"), 5)
    assert np.isnat(out).all()
    assert len(out) == 2


def test_add_accepts_a_pandas_series_with_missing_values(cal) -> None:
    s = pd.Series(pd.to_datetime(["2024-03-22", None]))
    out = cal.add(s, 5)
    assert out[0] == np.datetime64("2024-04-02")
    assert np.isnat(out[1])


def test_count_between_is_inclusive_and_skips_easter(cal) -> None:
    # Fri 22, Mon 25, Tue 26, Wed 27, Thu 28 March and Tue 2 April.
    assert cal.count_between(days("2024-03-22"), days("2024-04-02")).tolist() == [6]


def test_count_between_a_single_working_day_is_one(cal) -> None:
    assert cal.count_between(days("2024-03-27"), days("2024-03-27")).tolist() == [1]


def test_count_between_over_a_weekend_and_bank_holidays_only_is_zero(cal) -> None:
    assert cal.count_between(days("2024-03-29"), days("2024-04-01")).tolist() == [0]


def test_count_between_christmas_2023_and_new_year(cal) -> None:
    # 27, 28, 29 December 2023 and 2 January 2024.
    assert cal.count_between(days("2023-12-23"), days("2024-01-02")).tolist() == [4]


def test_count_between_is_zero_for_nat_or_a_reversed_range(cal) -> None:
    out = cal.count_between(days("NaT", "2024-04-02", "2024-03-22"),
                            days("2024-04-02", "NaT", "2024-03-21"))
    assert out.tolist() == [0, 0, 0]


def test_is_working_day_knows_weekends_holidays_and_nat(cal) -> None:
    out = cal.is_working_day(days("2024-03-28", "2024-03-29", "2024-03-30", "2024-04-01",
                                  "2024-04-02", "NaT"))
    assert out.tolist() == [True, False, False, False, True, False]
