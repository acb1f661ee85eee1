"""Replacing an ineligible sampled case from its stratum's reserve list, on the record.

A case found on audit to be outside what the sample should cover (it was
transferred out, its order or licence had ended, it is the wrong type, it
duplicates another) is replaced by the next unused case on the reserve list
of the SAME stratum, so the stratum keeps its share and the draw stays
reproducible: the reserve order was fixed by the seed at the draw. The
replacement takes the removed case's ``selection_order``, so the numbering
auditors work from stays 1..n and each stratum's cases stay together; the
``substitutions`` record says who replaced whom, why, by whom and when.

"Unable to assess" is never a reason to replace a case: records that cannot
be assessed are themselves a finding, so the case stays in the sample and
counts as not meeting the standard. With a practitioner limit in the draw's
parameters, a reserve case whose practitioner is already at the limit is
passed over (it stays on the reserve list).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from dipsample.errors import SubstitutionRefused
from dipsample.frame import CRN, Frame
from dipsample.selection import Sample

UNABLE_TO_ASSESS = "UNABLE-TO-ASSESS"


@dataclass(frozen=True)
class Reason:
    """A reason code: what it means, whether the case is replaced, whether a note is needed."""

    code: str
    meaning: str
    replaced: bool
    needs_note: bool = False


REASONS: Mapping[str, Reason] = MappingProxyType({r.code: r for r in (
    Reason("TRANSFERRED", "the case was transferred out before the audit", True),
    Reason("TERMINATED", "the order or licence ended before the audit period", True),
    Reason("WRONG-TYPE", "the case is not of a type the audit covers", True),
    Reason("DUPLICATE", "the case is a duplicate of another case", True),
    Reason("OTHER-INELIGIBLE", "ineligible for another reason, given in the note", True,
           needs_note=True),
    Reason(UNABLE_TO_ASSESS, "the records could not be assessed: not replaced, it counts as "
                             "not meeting the standard", False),
)})


@dataclass(frozen=True)
class Substitution:
    """One replacement: ``crn`` left the sample and ``replaced_by`` took its place."""

    crn: str
    replaced_by: str
    reason: str
    note: str
    actor: str
    at: dt.datetime
    stratum: str
    selection_order: int
    reserve_order: int

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready record."""
        return {"crn": self.crn, "replaced_by": self.replaced_by, "reason": self.reason,
                "note": self.note, "actor": self.actor, "at": self.at.isoformat(),
                "stratum": self.stratum, "selection_order": self.selection_order,
                "reserve_order": self.reserve_order}


def substitute(sample: Sample, crn: str, reason: str, *, note: str = "", actor: str = "",
               at: dt.datetime | None = None) -> Sample:
    """A new sample with ``crn`` replaced by the next reserve case of its stratum."""
    code = str(reason).strip().upper()
    known = REASONS.get(code)
    if known is None:
        codes = ", ".join(r for r in REASONS if r != UNABLE_TO_ASSESS)
        raise SubstitutionRefused(f"'{reason}' is not a substitution reason; use one of {codes} "
                                  "(OTHER-INELIGIBLE with a note).")
    target = str(crn).strip()
    if not known.replaced:
        raise SubstitutionRefused(
            f"{target} is not replaced: 'unable to assess' is not a reason to substitute. "
            "Records that cannot be assessed are themselves a finding, so the case stays in the "
            "sample and counts as a failure (not meeting the standard) in the results.")
    if known.needs_note and not note.strip():
        raise SubstitutionRefused(f"{code} needs a note saying why {target} is ineligible.")
    selected = sample.selected
    hit = np.flatnonzero((selected[CRN] == target).to_numpy(dtype=bool))
    if not len(hit):
        raise SubstitutionRefused(_not_selected(sample, target))
    row = int(hit[0])
    stratum = str(selected["stratum"].iloc[row])
    order = int(selected["selection_order"].iloc[row])
    frame = sample.frame
    reserve = sample.reserve
    in_stratum = np.flatnonzero((reserve["stratum"] == stratum).to_numpy(dtype=bool))
    if not len(in_stratum):
        raise SubstitutionRefused(
            f"Stratum '{stratum}' has no more cases on its reserve list, so {target} cannot be "
            "replaced: the sample will be one case short in that stratum, and this must be "
            "reported with the results.")
    use = _first_allowed(sample, frame, reserve, in_stratum, row)
    if use is None:
        raise SubstitutionRefused(
            f"Every case left on the reserve list of stratum '{stratum}' belongs to a "
            "practitioner who already has the most cases the draw allows "
            f"({sample.params.get('per_practitioner_limit')}), so {target} cannot be replaced: "
            "the sample will be one case short in that stratum, and this must be reported "
            "with the results.")
    replacement = str(reserve[CRN].iloc[use])
    record = Substitution(crn=target, replaced_by=replacement, reason=code, note=note.strip(),
                          actor=actor, at=at if at is not None else dt.datetime.now(dt.UTC),
                          stratum=stratum, selection_order=order,
                          reserve_order=int(reserve["reserve_order"].iloc[use]))
    crns = selected[CRN].tolist()
    crns[row] = replacement
    new_selected = _selected(frame, crns, selected)
    keep = np.ones(len(reserve), dtype=bool)
    keep[use] = False
    new_reserve = reserve[keep].reset_index(drop=True)
    warnings = list(sample.warnings)
    team = str(sample.params.get("team_column") or "")
    if sample.params.get("one_per_team") and team in selected.columns:
        lost = str(selected[team].iloc[row])
        if lost and lost not in set(new_selected[team].tolist()):
            warnings.append(f"Replacing {target} leaves team '{lost}' with no case in the "
                            "sample (the replacement comes from the same stratum, not the "
                            "same team).")
    return dataclasses.replace(sample, selected=new_selected, reserve=new_reserve,
                               substitutions=(*sample.substitutions, record),
                               warnings=tuple(warnings))


def _not_selected(sample: Sample, crn: str) -> str:
    """Why a CRN cannot be substituted: replaced already, not selected, or not in the frame."""
    for s in reversed(sample.substitutions):
        if s.crn == crn:
            return (f"{crn} is no longer in the sample: it was replaced by {s.replaced_by} "
                    f"({s.reason}).")
    if sample.frame.position_of(crn) is None:
        return (f"{crn} is not in the frame this sample was drawn from (after exclusions), so "
                "it cannot be substituted.")
    return (f"{crn} was not selected (it is on a reserve list), so there is nothing to "
            "substitute; give the CRN of a selected case.")


def _first_allowed(sample: Sample, frame: Frame, reserve: pd.DataFrame, candidates: np.ndarray,
                   leaving: int) -> int | None:
    """The first reserve row (of ``candidates``, in reserve order) the draw's limits allow."""
    limit = sample.params.get("per_practitioner_limit")
    column = str(sample.params.get("practitioner_column") or "").strip().lower()
    if limit is None or column not in frame.columns:
        return int(candidates[0])
    selected = sample.selected
    counts = selected[column].drop(index=leaving).value_counts().to_dict()
    codes, values = frame.encoded(column)
    positions = _positions(frame, reserve[CRN].iloc[candidates].tolist())
    for candidate, pos in zip(candidates.tolist(), positions.tolist(), strict=True):
        practitioner = str(values[codes[pos]])
        if practitioner == "" or counts.get(practitioner, 0) < int(limit):
            return int(candidate)
    return None


def _positions(frame: Frame, crns: list[str]) -> np.ndarray:
    """Frame positions (CRN order) of CRNs known to be in the frame."""
    needles = np.array([c.encode("ascii") for c in crns], dtype=frame.crn_bytes.dtype)
    return np.searchsorted(frame.crn_bytes, needles)


def _selected(frame: Frame, crns: list[str], old: pd.DataFrame) -> pd.DataFrame:
    """The selected table rebuilt from the frame for these CRNs, in the old table's order."""
    table = frame.take(_positions(frame, crns))
    table["stratum"] = old["stratum"].reset_index(drop=True)
    table["selection_order"] = old["selection_order"].reset_index(drop=True)
    return table
