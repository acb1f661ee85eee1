"""The dip-sample report: gather what it says, then render it as Word and HTML."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dipsample import hashing
from sfo.documents import dip_report as render
from sfo.domain import context
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


def build(results: Path, *, sample_path: Path, bundle: Path | None = None, purpose: str = "",
          title: str = "Dip sample report", confidence: float = 0.95,
          today: date | None = None) -> render.ReportModel:
    """Everything the report says, worked out (no formatting)."""
    outcome = dip.evaluate(results, sample_path=sample_path, confidence=confidence)
    record = outcome.record
    sample = outcome.sample
    ev = outcome.evaluation
    total = sum(outcome.population.values())
    ref = date.fromisoformat(record["eligible"]["reference_date"])
    practitioners: tuple[Practitioner, ...] = ()
    context_note = ("No case-record bundle was given, so the working context of the "
                    "practitioners whose work was sampled (workload, training, supervision) "
                    "is not shown. It must be considered before any conclusion is drawn "
                    "about an individual.")
    if "staff_code" in sample.columns:
        counts = sample["staff_code"].astype(str).str.strip().value_counts()
        blank = int(counts.get("", 0))
        counts = counts[counts.index != ""]
        if bundle is not None:
            records = analysis.load(bundle)
            found = context.practitioner_context(
                records, list(counts.index), start=ref - timedelta(weeks=WORKLOAD_WEEKS),
                end=ref)
            practitioners = tuple(Practitioner(c.staff_code, int(counts[c.staff_code]),
                                               c.sentences()) for c in found)
            context_note = (f"Working context over the {WORKLOAD_WEEKS} weeks to "
                            f"{ref:%-d %B %Y}, from the case-record bundle {bundle.name}.")
        else:
            practitioners = tuple(Practitioner(str(code), int(n), ())
                                  for code, n in counts.items())
        if blank:
            practitioners += (Practitioner(UNALLOCATED, blank, (
                "No practitioner was recorded as holding these cases on the as-of date: an "
                "unallocated case is a matter for the team, not an individual.",)),)
    elif bundle is not None:
        raise InputError(f"{sample_path} has no staff_code column, so the working context "
                         "cannot be matched to practitioners.")
    sampler = record["sampler"]
    return render.ReportModel(
        title=title,
        purpose=purpose,
        generated=(today or datetime.now(UTC).date()),
        frame_name=Path(record["frame"]["path"]).name,
        frame_rows=int(record["frame"]["rows"]),
        frame_fingerprint=record["frame"]["fingerprint"],
        eligible_rows=int(record["eligible"]["rows"]),
        eligible_fingerprint=record["eligible"]["fingerprint"],
        reference_date=ref,
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
        population_total=total,
        confidence=confidence,
        practitioners=practitioners,
        context_note=context_note,
        warnings=tuple(record.get("warnings", [])) + tuple(outcome.warnings),
    )


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
