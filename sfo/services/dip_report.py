"""The dip-sample report: gather what it says, then render it as Word and HTML."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from dipsample import evaluation, hashing
from sfo.documents import dip_report as render
from sfo.domain import context
from sfo.domain.records import CaseRecords
from sfo.errors import InputError
from sfo.services import analysis, dip

WORKLOAD_WEEKS = 12  # how far back the practitioners' working context looks
UNALLOCATED = "No practitioner recorded"


@dataclass(frozen=True)
class Practitioner:
    """A practitioner whose work was sampled: how many cases, and their working context."""

    staff_code: str
    cases: int
    context: tuple[str, ...]


NO_CONTEXT = ("No case-record bundle was given, so the working context of the practitioners "
              "whose work was sampled (workload, training, supervision) is not shown. It must "
              "be considered before any conclusion is drawn about an individual.")


def working_context(sample: pd.DataFrame, records: CaseRecords | None, reference_date: date,
                    *, source: str = "") -> tuple[tuple[Practitioner, ...], str]:
    """The practitioners whose cases were sampled, with their working context, and a note.

    ``records`` (a bundle, or the stored records) give each practitioner's
    workload, training, supervision and experience over the weeks before the
    reference date; without them the note says the context is not shown.
    """
    practitioners: tuple[Practitioner, ...] = ()
    note = NO_CONTEXT
    if "staff_code" not in sample.columns:
        return practitioners, note
    counts = sample["staff_code"].astype(str).str.strip().value_counts()
    blank = int(counts.get("", 0))
    counts = counts[counts.index != ""]
    if records is not None:
        found = context.practitioner_context(
            records, list(counts.index), start=reference_date - timedelta(weeks=WORKLOAD_WEEKS),
            end=reference_date)
        practitioners = tuple(Practitioner(c.staff_code, int(counts[c.staff_code]),
                                           c.sentences()) for c in found)
        note = (f"Working context over the {WORKLOAD_WEEKS} weeks to "
                f"{reference_date:%-d %B %Y}, from {source}.")
    else:
        practitioners = tuple(Practitioner(str(code), int(n), ()) for code, n in counts.items())
    if blank:
        practitioners += (Practitioner(UNALLOCATED, blank, (
            "No practitioner was recorded as holding these cases on the as-of date: an "
            "unallocated case is a matter for the team, not an individual.",)),)
    return practitioners, note


def model(record: Mapping[str, Any], sample: pd.DataFrame, ev: evaluation.Evaluation,
          population: Mapping[str, int], *, frame_name: str, practitioners: Sequence[Any],
          context_note: str, warnings: Sequence[str] = (), purpose: str = "",
          title: str = "Dip sample report", confidence: float = 0.95,
          today: date | None = None) -> render.ReportModel:
    """The report's content from a draw record, the final sample and its evaluation."""
    sampler = record["sampler"]
    return render.ReportModel(
        title=title,
        purpose=purpose,
        generated=(today or datetime.now(UTC).date()),
        frame_name=frame_name,
        frame_rows=int(record["frame"]["rows"]),
        frame_fingerprint=record["frame"]["fingerprint"],
        eligible_rows=int(record["eligible"]["rows"]),
        eligible_fingerprint=record["eligible"]["fingerprint"],
        reference_date=date.fromisoformat(record["eligible"]["reference_date"]),
        exclusions=tuple((e["reason"], int(e["count"])) for e in record["eligible"]["excluded"]),
        seed=hashing.parse_seed(record["seed"]),
        method=str(sampler.get("method", "random")),
        allocation_method=str(sampler.get("allocation", "proportional")),
        strata_columns=tuple(sampler.get("strata") or ()),
        sample_size=len(sample),
        drawn_by=str(record.get("drawn_by") or ""),
        drawn_at=str(record.get("drawn_at") or ""),
        allocation=tuple((str(r["stratum"]), int(r["population"]), int(r["sample"]))
                         for r in record["allocation"]),
        substitutions=tuple((s["crn"], s["reason"], s.get("replaced_by") or "",
                             s.get("note", "")) for s in record["substitutions"]),
        evaluation=ev,
        population_total=sum(population.values()),
        confidence=confidence,
        practitioners=tuple(practitioners),
        context_note=context_note,
        warnings=tuple(record.get("warnings", [])) + tuple(warnings),
    )


def build(results: Path, *, sample_path: Path, bundle: Path | None = None, purpose: str = "",
          title: str = "Dip sample report", confidence: float = 0.95,
          today: date | None = None) -> render.ReportModel:
    """Everything the report says, worked out (no formatting)."""
    outcome = dip.evaluate(results, sample_path=sample_path, confidence=confidence)
    record = outcome.record
    sample = outcome.sample
    ref = date.fromisoformat(record["eligible"]["reference_date"])
    if bundle is not None and "staff_code" not in sample.columns:
        raise InputError(f"{sample_path} has no staff_code column, so the working context "
                         "cannot be matched to practitioners.")
    records = analysis.load(bundle) if bundle is not None else None
    practitioners, note = working_context(
        sample, records, ref, source=f"the case-record bundle {bundle.name}" if bundle else "")
    return model(record, sample, outcome.evaluation, outcome.population,
                 frame_name=Path(record["frame"]["path"]).name, practitioners=practitioners,
                 context_note=note, warnings=outcome.warnings, purpose=purpose, title=title,
                 confidence=confidence, today=today)


def write(results: Path, *, sample_path: Path, out: Path, bundle: Path | None = None,
          purpose: str = "", title: str = "Dip sample report",
          confidence: float = 0.95) -> tuple[Path, Path]:
    """Write the report as Word (``out``) and HTML (beside it): `sfo dip report`."""
    if out.suffix.lower() != ".docx":
        raise InputError(f"--out {out}: the report is a Word file; name it REPORT.docx.")
    model = build(results, sample_path=sample_path, bundle=bundle, purpose=purpose,
                  title=title, confidence=confidence)
    out.parent.mkdir(parents=True, exist_ok=True)
    html = out.with_suffix(".html")
    render.write_docx(model, out)
    render.write_html(model, html)
    return out, html
