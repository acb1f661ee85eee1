"""The working context of practitioners: what a fair reading of their work must weigh.

Whenever a practitioner's work is looked at (a dip sample after a concern, an
early look, a review), the conditions they worked under are set beside it:
workload measurement over the period, caseload, training for what their cases
need, supervision received, and experience in grade. Where a file was not
supplied the summary says so rather than implying that nothing was there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from sfo.domain.records import CaseRecords

EXCESSIVE_CAPACITY = 110.0  # HMPPS workload policy: over 110% is excessive
COURSE_FAMILIES = ("DA", "SAFEGUARDING", "ROSH")
FAMILY_NAMES = {"DA": "domestic abuse", "SAFEGUARDING": "safeguarding",
                "ROSH": "risk of serious harm"}


@dataclass(frozen=True)
class PractitionerContext:
    """One practitioner's working conditions over a period, in plain figures."""

    staff_code: str
    grade: str | None
    months_in_grade: int | None
    weeks_measured: int
    mean_capacity: float | None
    peak_capacity: float | None
    weeks_over_110: int
    latest_caseload: int | None
    training: tuple[tuple[str, str], ...]      # (course family, status or "no record")
    last_formal_supervision: date | None
    not_supplied: tuple[str, ...]               # files this summary could not use

    def sentences(self) -> tuple[str, ...]:
        """The summary in plain English, one fact a sentence."""
        out: list[str] = []
        if "staff" not in self.not_supplied:
            if self.grade is None:
                out.append("Grade not recorded.")
            elif self.months_in_grade is None:
                out.append(f"Grade {self.grade}; time in grade not recorded.")
            else:
                out.append(f"Grade {self.grade}, {self.months_in_grade} months in grade.")
        if "workload" not in self.not_supplied:
            if not self.weeks_measured:
                out.append("No workload measurement recorded in the period.")
            else:
                out.append(
                    f"Workload over {self.weeks_measured} weeks: average "
                    f"{self.mean_capacity:.0f}% of capacity, peak {self.peak_capacity:.0f}%; "
                    f"{self.weeks_over_110} week{'s' if self.weeks_over_110 != 1 else ''} "
                    "over 110% (the level workload policy treats as excessive).")
                if self.latest_caseload is not None:
                    out.append(f"Latest caseload: {self.latest_caseload} cases.")
        if "training" not in self.not_supplied:
            parts = [f"{FAMILY_NAMES[fam]}: {status}" for fam, status in self.training]
            out.append("Training: " + "; ".join(parts) + ".")
        if "supervision" not in self.not_supplied:
            out.append("Last formal supervision: "
                       + (self.last_formal_supervision.strftime("%-d %B %Y")
                          if self.last_formal_supervision else "none recorded in the period")
                       + ".")
        if self.not_supplied:
            out.append("Not supplied, so not shown: " + ", ".join(
                f"{n}.csv" for n in self.not_supplied) + ".")
        return tuple(out)


def practitioner_context(records: CaseRecords, staff_codes: Sequence[str], *, start: date,
                         end: date) -> tuple[PractitionerContext, ...]:
    """Working context of each practitioner from ``start`` to ``end`` (inclusive)."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    missing = tuple(t for t in ("staff", "workload", "training", "supervision")
                    if not records.has(t))
    staff = records.table("staff").drop_duplicates("staff_code").set_index("staff_code")
    work = records.table("workload")
    work = work[(work["week_start"] >= lo) & (work["week_start"] <= hi)]
    training = records.table("training")
    training = training[training["status_date"].isna() | (training["status_date"] <= hi)]
    sup = records.table("supervision")
    sup = sup[(sup["kind"] == "formal") & (sup["supervision_date"] <= hi)]
    out = []
    for code in sorted(set(staff_codes)):
        grade = months = None
        if code in staff.index:
            g: Any = staff.at[code, "grade"]
            grade = None if pd.isna(g) else str(g)
            since: Any = staff.at[code, "in_role_since"]
            if not pd.isna(since):
                d = pd.Timestamp(since)
                months = max((hi.year - d.year) * 12 + hi.month - d.month
                             - (1 if hi.day < d.day else 0), 0)
        w = work[work["staff_code"] == code].sort_values("week_start")
        cap = w["capacity_pct"].dropna()
        caseload = w["caseload_count"].dropna()
        t = training[training["staff_code"] == code].sort_values("status_date")
        fams = []
        for fam in COURSE_FAMILIES:
            rows = t[t["course_code"].astype(str).str.upper().str.startswith(fam)]
            fams.append((fam, str(rows["status"].iloc[-1]).replace("_", " ")
                         if len(rows) else "no record"))
        s = sup[sup["staff_code"] == code]["supervision_date"]
        out.append(PractitionerContext(
            staff_code=code, grade=grade, months_in_grade=months,
            weeks_measured=len(cap),
            mean_capacity=float(cap.mean()) if len(cap) else None,
            peak_capacity=float(cap.max()) if len(cap) else None,
            weeks_over_110=int((cap > EXCESSIVE_CAPACITY).sum()),
            latest_caseload=int(caseload.iloc[-1]) if len(caseload) else None,
            training=tuple(fams),
            last_formal_supervision=s.max().date() if len(s) else None,
            not_supplied=missing))
    return tuple(out)
