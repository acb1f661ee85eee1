"""Who may be sampled: declarative exclusion rules and the flow from caseload to eligible frame.

Each rule says which cases to EXCLUDE, in a form a manager can read back:

    start_date within 8w                       started in the last 8 weeks (d, w or m)
    last_audited_date within 12m               audited in the last 12 months
    sentence_type not-in community_order,licence   keep only these sentence types
    sentence_type in licence                   exclude licences
    staff_code != N07A726                      keep one practitioner's caseload
    staff_code = N07A726                       exclude one practitioner's caseload
    tier empty                                 exclude cases with no tier

Values are matched exactly as written (after trimming). A blank date never
excludes under a "within" rule (the rule cannot know when a blank happened),
while a blank value is "not in" any list. The rules run in order and each
excluded case is counted under the FIRST rule that excludes it, giving the
CONSORT-style flow a report shows: population, each exclusion, eligible.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dipsample.errors import PlanInvalid
from dipsample.frame import Frame

ACCEPTED_FORMS = (
    "COLUMN within N(d|w|m)   e.g. 'start_date within 8w' (days, weeks or months)",
    "COLUMN in A,B            e.g. 'sentence_type in licence'",
    "COLUMN not-in A,B        e.g. 'sentence_type not-in community_order,licence'",
    "COLUMN = VALUE           e.g. 'staff_code = N07A726'",
    "COLUMN != VALUE          e.g. 'staff_code != N07A726'",
    "COLUMN empty             e.g. 'tier empty'",
)
UNITS = {"d": "days", "w": "weeks", "m": "months"}
_UNIT_WORDS = {"d": "d", "day": "d", "days": "d", "w": "w", "week": "w", "weeks": "w",
               "m": "m", "month": "m", "months": "m"}
_COLUMN = r"(?P<column>[^\s=!,]+)"
_WITHIN = re.compile(_COLUMN + r"\s+within\s+(?P<amount>[0-9]+)\s*(?P<unit>[a-z]+)", re.I)
_LIST = re.compile(_COLUMN + r"\s+(?P<op>not-in|not\s+in|in)\s+(?P<values>.+)", re.I)
_EQUALS = re.compile(_COLUMN + r"\s*(?P<op>!=|=)\s*(?P<value>.+)", re.I)
_EMPTY = re.compile(_COLUMN + r"\s+(?:is\s+)?(?:empty|blank)", re.I)


@dataclass(frozen=True)
class Within:
    """Exclude cases whose date is less than ``amount`` units before the reference date."""

    column: str
    amount: int
    unit: str  # "d", "w" or "m"

    @property
    def text(self) -> str:
        """The rule as written on the command line."""
        return f"{self.column} within {self.amount}{self.unit}"

    @property
    def reason(self) -> str:
        """Why a case was excluded, in plain English."""
        return f"{self.column} within the last {self.amount} {_unit_name(self.amount, self.unit)}"

    def cutoff(self, reference_date: dt.date) -> dt.date:
        """The latest date that is NOT excluded: the reference date less the span."""
        if self.unit == "d":
            return reference_date - dt.timedelta(days=self.amount)
        if self.unit == "w":
            return reference_date - dt.timedelta(weeks=self.amount)
        months = reference_date.year * 12 + reference_date.month - 1 - self.amount
        year, month = divmod(months, 12)
        last = calendar.monthrange(year, month + 1)[1]
        return dt.date(year, month + 1, min(reference_date.day, last))

    def explain(self, reference_date: dt.date) -> str:
        """The rule with its dates filled in, for a report."""
        return (f"{self.reason}: {self.column} after {self.cutoff(reference_date).isoformat()} "
                f"(reference date {reference_date.isoformat()}); a blank {self.column} "
                "does not exclude")

    def excludes(self, frame: Frame, reference_date: dt.date) -> np.ndarray:
        """True for each case (CRN order) this rule excludes."""
        days = frame.dates(self.column)
        cutoff = np.datetime64(self.cutoff(reference_date), "D")
        # NaT compares false, so a blank date is never excluded.
        return days > cutoff


@dataclass(frozen=True)
class ValueIn:
    """Exclude cases whose value is one of ``values`` (``op`` is "in" or "=")."""

    column: str
    values: tuple[str, ...]
    op: str = "in"

    @property
    def text(self) -> str:
        """The rule as written on the command line."""
        if self.op == "=":
            return f"{self.column} = {self.values[0]}"
        return f"{self.column} in {','.join(self.values)}"

    @property
    def reason(self) -> str:
        """Why a case was excluded, in plain English."""
        return f"{self.column} is {_either(self.values)}"

    def explain(self, reference_date: dt.date) -> str:
        """The rule for a report."""
        return self.reason

    def excludes(self, frame: Frame, reference_date: dt.date) -> np.ndarray:
        """True for each case (CRN order) this rule excludes."""
        codes, distinct = frame.encoded(self.column)
        return np.isin(distinct, list(self.values))[codes]


@dataclass(frozen=True)
class ValueNotIn:
    """Exclude cases whose value is not one of ``values`` (``op`` "not-in" or "!="); keep these."""

    column: str
    values: tuple[str, ...]
    op: str = "not-in"

    @property
    def text(self) -> str:
        """The rule as written on the command line."""
        if self.op == "!=":
            return f"{self.column} != {self.values[0]}"
        return f"{self.column} not-in {','.join(self.values)}"

    @property
    def reason(self) -> str:
        """Why a case was excluded, in plain English."""
        return f"{self.column} is not {_either(self.values)}"

    def explain(self, reference_date: dt.date) -> str:
        """The rule for a report."""
        return f"{self.reason} (a blank {self.column} is not in the list either)"

    def excludes(self, frame: Frame, reference_date: dt.date) -> np.ndarray:
        """True for each case (CRN order) this rule excludes."""
        codes, distinct = frame.encoded(self.column)
        return ~np.isin(distinct, list(self.values))[codes]


@dataclass(frozen=True)
class Empty:
    """Exclude cases where the column is blank."""

    column: str

    @property
    def text(self) -> str:
        """The rule as written on the command line."""
        return f"{self.column} empty"

    @property
    def reason(self) -> str:
        """Why a case was excluded, in plain English."""
        return f"{self.column} is blank"

    def explain(self, reference_date: dt.date) -> str:
        """The rule for a report."""
        return self.reason

    def excludes(self, frame: Frame, reference_date: dt.date) -> np.ndarray:
        """True for each case (CRN order) this rule excludes."""
        codes, distinct = frame.encoded(self.column)
        return (distinct == "")[codes]


Rule = Within | ValueIn | ValueNotIn | Empty


@dataclass(frozen=True, eq=False)
class Eligibility:
    """The result of applying exclusion rules: the eligible frame and who was excluded, and why.

    ``excluded`` (crn, reason, row) is a copy: treat it as read-only.
    ``counts`` gives, in rule order, how many cases each rule excluded that no
    earlier rule had (so the counts add up to the number excluded).
    """

    eligible: Frame
    excluded: pd.DataFrame
    counts: tuple[tuple[str, int], ...]
    population: int
    reference_date: dt.date
    rules: tuple[Rule, ...]
    warnings: tuple[str, ...]

    def as_table(self) -> pd.DataFrame:
        """The flow from population to eligible, one line per step (step, cases)."""
        steps = [("population", self.population)]
        steps += [(f"excluded: {reason}", -count) for reason, count in self.counts]
        steps.append(("eligible", len(self.eligible)))
        return pd.DataFrame(steps, columns=["step", "cases"])


def parse_rule(text: str, *, columns: Iterable[str] | None = None) -> Rule:
    """A rule from its command-line form; with ``columns``, also check the column exists."""
    t = " ".join(str(text).split())
    rule = _parse(t)
    if rule is None:
        raise PlanInvalid(f"'{text}' is not an exclusion rule. " + _forms())
    if columns is not None:
        _check_column(rule, list(columns))
    return rule


def apply_exclusions(frame: Frame, rules: Sequence[Rule | str], *,
                     reference_date: dt.date) -> Eligibility:
    """Apply the rules in order; each excluded case is counted under the first rule that hits it."""
    if not isinstance(reference_date, dt.date) or isinstance(reference_date, dt.datetime):
        raise PlanInvalid(f"the reference date must be a date, not {reference_date!r}")
    parsed = tuple(parse_rule(r) if isinstance(r, str) else r for r in rules)
    for rule in parsed:
        _check_column(rule, list(frame.columns))
    n = len(frame)
    first = np.full(n, -1, dtype=np.int64)
    counts = []
    warnings = []
    for i, rule in enumerate(parsed):
        hit = rule.excludes(frame, reference_date) & (first < 0)
        first[hit] = i
        counts.append((rule.reason, int(hit.sum())))
        warnings += _unmatched(rule, frame)
    out = np.flatnonzero(first >= 0)
    reasons = np.array([r.reason for r in parsed] or [""], dtype=object)
    excluded = pd.DataFrame({
        "crn": frame.crn_text(out),
        "reason": pd.Series(reasons[first[out]], dtype="str"),
        "row": pd.Series(frame.rows[out], dtype=np.int64),
    })
    eligible = frame.subset(first < 0)
    if n and not len(eligible):
        warnings.append(f"Every one of the {n} cases was excluded, so there is nothing to "
                        "sample: check the rules and the reference date.")
    return Eligibility(eligible=eligible, excluded=excluded, counts=tuple(counts), population=n,
                       reference_date=reference_date, rules=parsed, warnings=tuple(warnings))


def _parse(t: str) -> Rule | None:
    """The rule written in ``t`` (spaces already collapsed), or None if it fits no form."""
    m = _WITHIN.fullmatch(t)
    if m:
        unit = _UNIT_WORDS.get(m["unit"].lower())
        amount = int(m["amount"])
        if unit is None or amount < 1:
            return None
        return Within(_name(m["column"]), amount, unit)
    m = _EMPTY.fullmatch(t)
    if m:
        return Empty(_name(m["column"]))
    m = _LIST.fullmatch(t)
    if m:
        values = tuple(v.strip() for v in m["values"].split(","))
        if not all(values):
            return None
        if m["op"].lower() == "in":
            return ValueIn(_name(m["column"]), values, "in")
        return ValueNotIn(_name(m["column"]), values, "not-in")
    m = _EQUALS.fullmatch(t)
    if m:
        value = m["value"].strip()
        if m["op"] == "=":
            return ValueIn(_name(m["column"]), (value,), "=")
        return ValueNotIn(_name(m["column"]), (value,), "!=")
    return None


def _name(column: str) -> str:
    """A column name as frames hold them: trimmed and lower-cased."""
    return column.strip().lower()


def _forms() -> str:
    """The accepted forms, for messages."""
    return "Use one of:\n" + "\n".join(f"  {f}" for f in ACCEPTED_FORMS)


def _check_column(rule: Rule, columns: list[str]) -> None:
    """PlanInvalid unless the rule's column is one of the frame's."""
    if rule.column not in columns:
        known = ", ".join(f"'{c}'" for c in columns)
        raise PlanInvalid(f"The rule '{rule.text}' names the column '{rule.column}', which the "
                          f"frame does not have (its columns: {known}). " + _forms())


def _unmatched(rule: Rule, frame: Frame) -> list[str]:
    """Warnings for listed values that no case has (a likely typing or case mistake)."""
    if not isinstance(rule, ValueIn | ValueNotIn):
        return []
    _, distinct = frame.encoded(rule.column)
    present = set(distinct.tolist())
    missing = [v for v in rule.values if v not in present]
    if not missing:
        return []
    shown = [v for v in distinct.tolist() if v][:10]
    more = ", ..." if len(distinct) > len(shown) + 1 else ""
    return [f"The rule '{rule.text}': no case has {rule.column} "
            f"{_either(tuple(missing))} (values are matched exactly as written; the column "
            f"holds {', '.join(shown) or 'only blanks'}{more})."]


def _either(values: tuple[str, ...]) -> str:
    """'a', 'a or b', 'a, b or c'."""
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} or {values[-1]}"


def _unit_name(amount: int, unit: str) -> str:
    """'8 weeks', '1 month'."""
    name = UNITS[unit]
    return name[:-1] if amount == 1 else name
