"""The one place that builds concrete adapters for services, CLI and UI."""

from __future__ import annotations

from datetime import date

import pandas as pd

from sfo import standards
from sfo.domain.calendar import WorkingCalendar
from sfo.domain.records import CaseRecords


def calendar_for(records: CaseRecords, *extra: date | None) -> WorkingCalendar:
    """A working-day calendar covering every date in the records (plus a margin)."""
    years: list[int] = [d.year for d in extra if d is not None]
    for frame in records.tables.values():
        for col in frame.columns:
            if frame[col].dtype.kind == "M" and frame[col].notna().any():
                years.append(int(frame[col].min().year))
                years.append(int(frame[col].max().year))
    if not years:
        years = [pd.Timestamp.today().year]
    first = max(min(years) - 1, 1900)
    last = min(max(years) + 2, 2199)
    return WorkingCalendar(standards.bank_holidays(first, last))
