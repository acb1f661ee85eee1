"""Working days in England and Wales, vectorised over numpy date arrays."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import numpy.typing as npt

DateArray = npt.NDArray[np.datetime64]

NAT = np.datetime64("NaT", "D")


def as_days(values: object) -> DateArray:
    """Any date-like array or Series as ``datetime64[D]`` (NaT kept)."""
    arr = np.asarray(values)
    if arr.dtype.kind != "M":
        arr = arr.astype("datetime64[D]")
    return arr.astype("datetime64[D]")


class WorkingCalendar:
    """Monday to Friday less a list of bank holidays.

    ``add(d, n)`` is the Nth working day after ``d`` (``d`` itself not counted),
    which is what "within N working days of D" means throughout the rules.
    """

    def __init__(self, holidays: Iterable[date]) -> None:
        self.holidays = np.array(sorted(set(holidays)), dtype="datetime64[D]")
        self._cal = np.busdaycalendar(weekmask="1111100", holidays=self.holidays)

    def add(self, dates: object, n: int | npt.ArrayLike) -> DateArray:
        """The Nth working day after each date (negative N: before). NaT stays NaT."""
        d = as_days(dates)
        steps = np.broadcast_to(np.asarray(n, dtype="int64"), d.shape)
        out = np.full(d.shape, NAT)
        ok = ~np.isnat(d)
        if not ok.any():
            return out
        fwd = ok & (steps >= 0)
        back = ok & (steps < 0)
        # A non-working day first rolls to the working day "behind" the
        # direction of travel, so that it is not itself counted as a step.
        if fwd.any():
            out[fwd] = np.busday_offset(d[fwd], steps[fwd], roll="backward",
                                        busdaycal=self._cal)
        if back.any():
            out[back] = np.busday_offset(d[back], steps[back], roll="forward",
                                         busdaycal=self._cal)
        return out

    def count_between(self, first: object, last: object) -> npt.NDArray[np.int64]:
        """Working days from ``first`` to ``last`` inclusive (0 where either is NaT)."""
        a = as_days(first)
        b = as_days(last)
        out = np.zeros(np.broadcast(a, b).shape, dtype="int64")
        a, b = np.broadcast_arrays(a, b)
        ok = ~(np.isnat(a) | np.isnat(b)) & (b >= a)
        if ok.any():
            out[ok] = np.busday_count(a[ok], b[ok] + np.timedelta64(1, "D"),
                                      busdaycal=self._cal)
        return out

    def is_working_day(self, dates: object) -> npt.NDArray[np.bool_]:
        """Whether each date is a working day (False for NaT)."""
        d = as_days(dates)
        out = np.zeros(d.shape, dtype=bool)
        ok = ~np.isnat(d)
        out[ok] = np.is_busday(d[ok], busdaycal=self._cal)
        return out

    def add_one(self, day: date, n: int) -> date:
        """Scalar form of :meth:`add` for messages and tests."""
        result = self.add(np.array([day], dtype="datetime64[D]"), n)[0]
        return date.fromisoformat(str(result))
