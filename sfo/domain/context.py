"""The working context of practitioners: what a fair reading of their work must weigh.

Whenever a practitioner's work is looked at (a dip sample after a concern, an
early look, a review), the conditions they worked under are set beside it:
workload measurement over the period, caseload, training for what their cases
need, supervision received, and experience in grade. Where a file was not
supplied the summary says so rather than implying that nothing was there.

The second half holds the working-context section of an early look or a
review: entries proposed from the bundle (:func:`prefill_working_context`) or
entered by the manager, each marked as mitigation or not, with personal
circumstances always restricted.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from sfo.domain.findings import CaseFindings
from sfo.domain.records import CaseRecords
from sfo.errors import InputError

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


# -- the working-context section of an early look or review ------------------------------------

CATEGORIES: dict[str, str] = {
    "workload": "Workload",
    "caseload": "Caseload",
    "supervision": "Supervision received",
    "training": "Training",
    "experience": "Experience and grade",
    "vacancies": "Team vacancies",
    "systems": "Systems",
    "partners": "Partner agencies",
    "personal": "Personal circumstances (restricted)",
}
SOURCES = ("bundle", "entered")
# Who may see restricted entries (personal circumstances): sfo.domain.casework.ROLES names.
RESTRICTED_ROLES: tuple[str, ...] = ("manager", "reviewer", "hr")
SPARK_MARKS = "▁▂▃▄▅▆▇█"
SPARK_AT_LINE = 6  # marks up to and including 110%: ▁▂▃▄▅▆
NO_MEASURE = "·"

_CTX_CATEGORY = {"CTX-WORKLOAD": "workload", "CTX-TRAINING": "training",
                 "CTX-EXPERIENCE": "experience", "CTX-SUPERVISION": "supervision",
                 "CTX-VACANCIES": "vacancies"}
_FILE_OF = {"workload": "workload", "caseload": "workload", "supervision": "supervision",
            "training": "training", "experience": "staff", "vacancies": "teams"}
_WHAT = {"workload": "workload measurement", "caseload": "caseload figures",
         "supervision": "supervision received", "training": "training records",
         "experience": "grade and time in grade", "vacancies": "team staffing"}


@dataclass(frozen=True)
class ContextEntry:
    """One fact about the conditions the work was done under, and whether it mitigates.

    Personal circumstances are always restricted, whatever is asked for: they
    are seen only by the roles in RESTRICTED_ROLES and never printed in a
    document shared beyond them.
    """

    entry_id: str
    category: str
    text: str
    is_mitigation: bool = False
    restricted: bool = False
    source: str = "entered"          # bundle (proposed from the records) | entered
    staff_code: str | None = None    # the practitioner it is about, when it is about one
    by: str = ""                     # who entered or last changed it ("" if untouched)

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise InputError(f"'{self.category}' is not a working-context category; "
                             f"categories are {', '.join(CATEGORIES)}.")
        if self.source not in SOURCES:
            raise InputError(f"'{self.source}' is not a source; expected bundle or entered.")
        if not self.text.strip():
            raise InputError("A working-context entry needs some text.")
        if self.category == "personal" and not self.restricted:
            object.__setattr__(self, "restricted", True)

    def visible_to(self, roles: Iterable[str]) -> bool:
        """Whether a user holding these roles may see the entry."""
        return not self.restricted or bool(set(roles) & set(RESTRICTED_ROLES))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {"entry_id": self.entry_id, "category": self.category, "text": self.text,
                "is_mitigation": self.is_mitigation, "restricted": self.restricted,
                "source": self.source, "staff_code": self.staff_code, "by": self.by}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ContextEntry:
        """Rebuild from :meth:`to_dict`."""
        return cls(entry_id=str(data["entry_id"]), category=str(data["category"]),
                   text=str(data["text"]), is_mitigation=bool(data["is_mitigation"]),
                   restricted=bool(data["restricted"]), source=str(data["source"]),
                   staff_code=data.get("staff_code"), by=str(data.get("by", "")))


def shareable(entries: Iterable[ContextEntry]) -> tuple[ContextEntry, ...]:
    """The entries that may be printed in a document shared beyond the restricted roles."""
    return tuple(e for e in entries if not e.restricted)


def sparkline(values: Sequence[float | None]) -> str:
    """One mark a week for capacity (%): ▁ to ▆ up to 110%, ▇ and █ over it; · not measured.

    Each mark covers 110/6 (about 18) percentage points, so the 110% line of
    workload policy falls exactly between ▆ and ▇; █ is anything over about 128%.
    The scale runs from 0 to about 147%, near the 0-150% a manager reads it as.
    """
    step = EXCESSIVE_CAPACITY / SPARK_AT_LINE
    marks = []
    for v in values:
        if v is None or v != v:
            marks.append(NO_MEASURE)
            continue
        level = min(max(math.ceil(v / step) - 1, 0), len(SPARK_MARKS) - 1)
        marks.append(SPARK_MARKS[level])
    return "".join(marks)


SPARK_LEGEND = ("one mark a week, from ▁ (low) to █; ▇ and █ are weeks over 110% of "
                "capacity, the level workload policy treats as excessive; · means not measured")


def weekly_capacity(records: CaseRecords, staff_code: str, *, start: date,
                    end: date) -> tuple[float | None, ...]:
    """Capacity (%) for each week from the first to the last measured in the period (gaps: None)."""
    if not records.has("workload"):
        return ()
    work = records.table("workload")
    w = work[(work["staff_code"] == staff_code) & (work["week_start"] >= pd.Timestamp(start))
             & (work["week_start"] <= pd.Timestamp(end))].sort_values("week_start")
    out: list[float | None] = []
    previous: pd.Timestamp | None = None
    for week, cap in zip(w["week_start"], w["capacity_pct"], strict=True):
        if previous is not None:
            missing = (week - previous).days // 7 - 1
            out.extend([None] * max(missing, 0))
        out.append(None if pd.isna(cap) else float(cap))
        previous = week
    return tuple(out)


def prefill_working_context(records: CaseRecords, case: CaseFindings, *, start: date,
                            end: date) -> tuple[ContextEntry, ...]:
    """Working-context entries proposed from the bundle for the practitioners who held the case.

    Figures come from :func:`practitioner_context` for each named practitioner
    over the part of ``start``..``end`` they held the case; the CTX-* findings
    are added as entries marked as mitigation (the manager can change that);
    files that were not supplied get an entry saying so. Systems, partner
    agencies and personal circumstances are never in a bundle: the manager adds them.
    """
    out: list[ContextEntry] = []

    def add(category: str, text: str, *, staff: str | None = None,
            mitigation: bool = False) -> None:
        out.append(ContextEntry(entry_id=f"C{len(out) + 1}", category=category, text=text,
                                is_mitigation=mitigation, source="bundle", staff_code=staff))

    held = _holders(records, case.crn, start, end)
    period = f"{_day(start)} to {_day(end)}"
    for category in ("experience", "workload", "caseload", "supervision", "training"):
        table = _FILE_OF[category]
        if not records.has("allocations"):
            add(category, f"Not supplied: allocations (allocations.csv) were not in the "
                          f"bundle, so who held the case is not known and their "
                          f"{_WHAT[category]} cannot be shown.")
        elif not records.has(table):
            add(category, f"Not supplied: {table}.csv was not in the bundle, so "
                          f"{_WHAT[category]} for {period} cannot be shown.")
    if records.has("allocations") and not held:
        add("experience", f"No named practitioner held the case from {period}.")
    for code, (lo, hi) in held.items():
        (pc,) = practitioner_context(records, [code], start=lo, end=hi)
        when = f"{_day(lo)} to {_day(hi)}"
        if records.has("staff"):
            add("experience", _experience(pc, hi), staff=code)
        if records.has("workload"):
            add("workload", _workload(pc, records, when, lo, hi), staff=code)
            add("caseload", _caseload(records, code, when, lo, hi), staff=code)
        if records.has("supervision"):
            add("supervision", _supervision(records, code, when, lo, hi), staff=code)
        if records.has("training"):
            add("training", f"{code} training recorded by {_day(hi)}: " + "; ".join(
                f"{FAMILY_NAMES[fam]}: {status}" for fam, status in pc.training) + ".",
                staff=code)
    if records.has("teams"):
        for line in _teams(records, case.crn, held, start, end):
            add("vacancies", line)
    else:
        add("vacancies", f"Not supplied: teams.csv was not in the bundle, so team staffing "
                         f"for {period} cannot be shown.")
    for f in case.findings:
        ctx = _CTX_CATEGORY.get(f.rule_id)
        if f.kind == "context" and ctx is not None:
            who = next((c for c in held if c in f.summary), None)
            add(ctx, f"{f.summary} ({f.rule_id})", staff=who, mitigation=True)
    return tuple(out)


def _day(d: date | pd.Timestamp) -> str:
    return f"{d.day} {d:%B %Y}"


def _holders(records: CaseRecords, crn: str, start: date,
             end: date) -> dict[str, tuple[date, date]]:
    """Named practitioners who held the case in the period, each with the part they held."""
    if not records.has("allocations"):
        return {}
    al = records.table("allocations")
    al = al[al["crn"] == crn]
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    al = al[(al["allocated_from"] <= hi) & (al["allocated_to"].isna()
                                            | (al["allocated_to"] >= lo))]
    out: dict[str, tuple[date, date]] = {}
    for code, a, b in sorted(zip(al["staff_code"].astype(str), al["allocated_from"],
                                 al["allocated_to"], strict=True), key=lambda r: r[1]):
        if code.endswith("U"):  # a team's unallocated code, not a person
            continue
        first = max(pd.Timestamp(a), lo).date()
        last = (hi if pd.isna(b) else min(pd.Timestamp(b), hi)).date()
        if code in out:
            first, last = min(first, out[code][0]), max(last, out[code][1])
        out[code] = (first, last)
    return out


def _experience(pc: PractitionerContext, when: date) -> str:
    if pc.grade is None:
        return f"{pc.staff_code}: grade not recorded."
    if pc.months_in_grade is None:
        return f"{pc.staff_code}: grade {pc.grade}; time in grade not recorded."
    return (f"{pc.staff_code}: grade {pc.grade}, {pc.months_in_grade} months in grade on "
            f"{_day(when)}.")


def _workload(pc: PractitionerContext, records: CaseRecords, when: str, lo: date,
              hi: date) -> str:
    if not pc.weeks_measured:
        return f"{pc.staff_code}: no workload measurement recorded from {when}."
    weeks = weekly_capacity(records, pc.staff_code, start=lo, end=hi)
    over = pc.weeks_over_110
    return (f"{pc.staff_code}, workload from {when}: average {pc.mean_capacity:.0f}% of "
            f"capacity, peak {pc.peak_capacity:.0f}%; {over} of {pc.weeks_measured} week"
            f"{'s' if pc.weeks_measured != 1 else ''} over 110%. Week by week: "
            f"{sparkline(weeks)} ({SPARK_LEGEND}).")


def _caseload(records: CaseRecords, code: str, when: str, lo: date, hi: date) -> str:
    work = records.table("workload")
    w = work[(work["staff_code"] == code) & (work["week_start"] >= pd.Timestamp(lo))
             & (work["week_start"] <= pd.Timestamp(hi))].sort_values("week_start")
    counts = w["caseload_count"].dropna()
    if counts.empty:
        return f"{code}: no caseload figures recorded from {when}."
    low, high, last = int(counts.min()), int(counts.max()), int(counts.iloc[-1])
    span = f"{low} cases" if low == high else f"between {low} and {high} cases"
    return f"{code}, caseload from {when}: {span} (latest {last})."


def _supervision(records: CaseRecords, code: str, when: str, lo: date, hi: date) -> str:
    sup = records.table("supervision")
    s = sup[(sup["staff_code"] == code) & (sup["kind"] == "formal")]
    before = s[s["supervision_date"] < pd.Timestamp(lo)]["supervision_date"]
    inside = sorted(s[(s["supervision_date"] >= pd.Timestamp(lo))
                      & (s["supervision_date"] <= pd.Timestamp(hi))]["supervision_date"])
    last_before = f"; the last before it was on {_day(before.max())}" if len(before) else ""
    if not inside:
        return f"{code}: no formal supervision recorded from {when}{last_before}."
    points = ([before.max()] if len(before) else []) + inside + [pd.Timestamp(hi)]
    longest = max((b - a).days for a, b in itertools.pairwise(points))
    dates = ", ".join(_day(d) for d in inside)
    return (f"{code}, formal supervision from {when}: {len(inside)} session"
            f"{'s' if len(inside) != 1 else ''} ({dates}); the longest gap, counting to "
            f"{_day(hi)}, was {longest} days.")


def _teams(records: CaseRecords, crn: str, held: Mapping[str, tuple[date, date]],
           start: date, end: date) -> list[str]:
    codes: set[str] = set()
    people = records.table("people")
    codes.update(str(t) for t in people[people["crn"] == crn]["team_code"].dropna())
    staff = records.table("staff")
    codes.update(str(t) for t in staff[staff["staff_code"].isin(list(held))]["team_code"]
                 .dropna())
    teams = records.table("teams")
    first_month = pd.Timestamp(start).to_period("M").to_timestamp()
    t = teams[(teams["month"] >= first_month) & (teams["month"] <= pd.Timestamp(end))]
    lines = []
    for code in sorted(codes):
        rows = t[t["team_code"] == code]
        rows = rows[rows["establishment_fte"] > 0]
        if rows.empty:
            lines.append(f"Team {code}: no staffing figures recorded from {_day(start)} to "
                         f"{_day(end)}.")
            continue
        pct = rows["in_post_fte"] / rows["establishment_fte"] * 100
        low = int(pct.to_numpy().argmin())
        in_post = float(rows["in_post_fte"].iloc[low])
        establishment = float(rows["establishment_fte"].iloc[low])
        month = pd.Timestamp(rows["month"].iloc[low])
        fte = f"{in_post:g} of {establishment:g} FTE"
        where = f"Team {code}, staff in post from {_day(start)} to {_day(end)}"
        if round(pct.min()) == round(pct.max()):
            lines.append(f"{where}: {pct.min():.0f}% of establishment ({fte}) in every month "
                         "recorded.")
        else:
            lines.append(f"{where}: between {pct.min():.0f}% and {pct.max():.0f}% of "
                         f"establishment; lowest {fte}, in {month:%B %Y}.")
    return lines
