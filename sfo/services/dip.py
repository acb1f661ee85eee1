"""Dip samples: plan, draw, substitute, second review, evaluate and report.

The verbs the CLI (``sfo dip ...``) and the app share. The sampling itself is
:mod:`dipsample` (pure); this module reads and writes the files around it.

A draw written to ``SAMPLE.csv`` leaves three files beside it:

- ``SAMPLE.reserve.csv``: the ordered reserve list of each stratum;
- ``SAMPLE.draw.json``: everything needed to reproduce and check the draw
  (frame file and fingerprints, exclusions and their counts, the sampler's
  parameters with the seed, the allocation, substitutions so far);
- ``SAMPLE.log.jsonl``: the append-only, hash-chained selection log (who,
  when, seed, parameters, fingerprint) that makes every redraw visible.

Nothing is trusted from ``SAMPLE.csv`` itself: a substitution re-draws the
sample from the frame with the recorded seed and checks it comes out as
recorded, so an edited sample or a changed frame is refused, never used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from dipsample import eligibility, evaluation, hashing, planning, selection, substitution
from dipsample import log as selection_log
from dipsample.frame import Frame
from sfo.documents import exports
from sfo.errors import InputError, NotFound
from sfo.importers import tabular

FORMAT_VERSION = 1


# ---------------------------------------------------------------- planning
def plan(*, method: str, population: int, prevalence: float | None = None,
         expected_rate: float | None = None, margin: float | None = None,
         confidence: float = 0.95) -> planning.DiscoveryPlan | planning.EstimationPlan:
    """A sample size: discovery (find at least one failing case) or estimation."""
    if method == "discovery":
        if prevalence is None:
            raise InputError("A discovery plan needs --prevalence: the smallest share of "
                             "failing cases worth finding (for example 5 for 5%).")
        return planning.discovery_size(population, prevalence, confidence)
    if method == "estimate":
        if margin is None:
            raise InputError("An estimation plan needs --margin: how close the estimate must "
                             "be (for example 5 for plus or minus 5 percentage points).")
        rate = 0.5 if expected_rate is None else expected_rate
        return planning.estimation_size(population, rate, margin, confidence)
    raise InputError(f"'{method}' is not a planning method; use discovery or estimate.")


def frame_from_bundle(bundle: Path, *, out: Path, as_of: date | None = None,
                      mapping: Path | None = None) -> int:
    """Write a caseload frame (one row per person) from a case-record bundle."""
    from sfo.domain import caseload
    from sfo.services import analysis

    records = analysis.load(bundle, mapping=mapping)
    frame = caseload.caseload_frame(records, as_of=as_of or date.today())
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    exports.write_frame(Path(out), frame)
    return len(frame)


# ---------------------------------------------------------------- files of a draw
@dataclass(frozen=True)
class DrawFiles:
    """Where a draw's files are, named after the sample file."""

    sample: Path

    @property
    def reserve(self) -> Path:
        return self.sample.with_name(self.sample.stem + ".reserve.csv")

    @property
    def record(self) -> Path:
        return self.sample.with_name(self.sample.stem + ".draw.json")

    @property
    def log(self) -> Path:
        return self.sample.with_name(self.sample.stem + ".log.jsonl")


@dataclass(frozen=True)
class DrawOutcome:
    """A draw (or substitution) as written: the sample, files and what to tell the user."""

    sample: selection.Sample
    eligibility: eligibility.Eligibility
    files: DrawFiles
    population: int
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _read_frame(path: Path) -> tuple[Frame, tuple[str, ...]]:
    table = tabular.read_text_table(path)
    return Frame.from_dataframe(table.frame, source=Path(path).name), table.warnings


def log_trouble(entries: Sequence[selection_log.LogEntry], head: str | None) -> str | None:
    """What is wrong with a selection log, in words (None when it is whole and ends at ``head``).

    Shared by the files of a draw and the draws kept in the store: a changed
    entry breaks the hash chain; entries cut off the end are caught by the
    draw record, which keeps the hash of the last entry (``head``).
    """
    broken = selection_log.verify(entries)
    if broken:
        return ("has been changed or damaged, so the history of this sample cannot be "
                "trusted:\n  - " + "\n  - ".join(broken))
    if head and (not entries or entries[-1].entry_hash != head):
        return "does not end where the draw record says it should: entries have been removed"
    return None


def _read_log(path: Path, head: str | None = None) -> tuple[selection_log.LogEntry, ...]:
    """The log, refused if changed, damaged, or cut short of the recorded last entry."""
    if not path.exists():
        if head:
            raise InputError(f"The selection log {path} is missing, but the draw record "
                             "beside it says one was written. Restore it from a backup.")
        return ()
    entries = selection_log.from_jsonl(path.read_text("utf-8"), source=path.name)
    trouble = log_trouble(entries, head)
    if trouble and "\n" in trouble:
        raise InputError(f"The selection log {path} {trouble}\nRestore it from a backup, or "
                         "draw into a new file.")
    if trouble:
        raise InputError(f"The selection log {path} {trouble}. Restore it from a backup.")
    return entries


def _write_log(path: Path, entries: Sequence[selection_log.LogEntry]) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(selection_log.to_jsonl(entries), "utf-8")
    tmp.replace(path)


def _write_sample_files(files: DrawFiles, sample: selection.Sample) -> None:
    exports.write_frame(files.sample, sample.selected.drop(columns=["row"], errors="ignore"))
    exports.write_frame(files.reserve, sample.reserve)


def draw_record(frame: Mapping[str, Any], elig: eligibility.Eligibility,
                rules: Sequence[str], sample: selection.Sample,
                substitutions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The draw record: everything needed to repeat and check a draw, as JSON-ready data.

    ``frame`` says where the frame is kept (a file's path, or the stored plan
    that holds its rows) with its number of rows and fingerprint.
    """
    return {
        "format": FORMAT_VERSION,
        "frame": dict(frame),
        "eligible": {"rows": len(elig.eligible), "fingerprint": elig.eligible.fingerprint,
                     "reference_date": elig.reference_date.isoformat(),
                     "exclusions": list(rules),
                     "excluded": [{"reason": r, "count": c} for r, c in elig.counts]},
        "sampler": _jsonable(sample.params),
        "seed": hashing.format_seed(sample.seed),
        "allocation": _jsonable(sample.allocation.as_table().to_dict("records")),
        "drawn_by": sample.drawn_by,
        "drawn_at": sample.drawn_at.isoformat() if sample.drawn_at else None,
        "substitutions": list(substitutions),
        "warnings": list(sample.warnings),
    }


def _record(frame_path: Path, frame: Frame, elig: eligibility.Eligibility,
            rules: Sequence[str], sample: selection.Sample,
            substitutions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return draw_record({"path": str(frame_path.resolve()), "rows": len(frame),
                        "fingerprint": frame.fingerprint}, elig, rules, sample, substitutions)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def draw_sample(frame: Frame, *, n: int, strata: Sequence[str] = (),
                allocation: str = "proportional", min_per_stratum: int = 0,
                max_per_stratum: int | None = None, take_all_below: int | None = None,
                rates: Mapping[str, float] | None = None, method: str = "random",
                per_practitioner_limit: int | None = None, one_per_team: bool = False,
                seed: int | None = None, exclude: Sequence[str] = (),
                reference_date: date, actor: str = "",
                at: datetime | None = None) -> tuple[eligibility.Eligibility, selection.Sample]:
    """Apply the exclusions to a frame and draw from the eligible cases (nothing written)."""
    rules = [eligibility.parse_rule(text) for text in exclude]
    elig = eligibility.apply_exclusions(frame, rules, reference_date=reference_date)
    sampler = selection.Sampler(
        n, strata=tuple(strata), allocation=allocation, min_per_stratum=min_per_stratum,
        max_per_stratum=max_per_stratum, take_all_below=take_all_below,
        rates=dict(rates) if rates is not None else None, method=method,
        per_practitioner_limit=per_practitioner_limit, one_per_team=one_per_team,
        random_state=seed)
    sample = sampler.draw(elig.eligible, drawn_by=actor, drawn_at=at or datetime.now(UTC))
    return elig, sample


def replay(frame: Frame, record: Mapping[str, Any]) -> tuple[
        selection.Sample, eligibility.Eligibility]:
    """A recorded draw made again from its frame: the same exclusions, parameters and seed,
    then its substitutions in order. The caller checks the frame is the one recorded."""
    texts = record["eligible"]["exclusions"]
    rules = [eligibility.parse_rule(t) for t in texts]
    ref = date.fromisoformat(record["eligible"]["reference_date"])
    elig = eligibility.apply_exclusions(frame, rules, reference_date=ref)
    params = dict(record["sampler"])
    params["random_state"] = hashing.parse_seed(record["seed"])
    params.pop("seed", None)
    sampler = selection.Sampler(**params)
    drawn_at = datetime.fromisoformat(record["drawn_at"]) if record["drawn_at"] else None
    sample = sampler.draw(elig.eligible, drawn_by=record["drawn_by"], drawn_at=drawn_at)
    for sub in record["substitutions"]:
        sample = substitution.substitute(
            sample, sub["crn"], sub["reason"], note=sub.get("note", ""),
            actor=sub.get("actor", ""),
            at=datetime.fromisoformat(sub["at"]) if sub.get("at") else None)
    return sample, elig


def substitution_entry(sample: selection.Sample, *, actor: str, at: datetime) -> dict[str, Any]:
    """How the draw record keeps the last substitution made on ``sample``."""
    done = sample.substitutions[-1]
    return {"crn": done.crn, "reason": done.reason, "note": done.note, "actor": actor,
            "at": at.isoformat(), "replaced_by": done.replaced_by}


def draw(frame_path: Path, *, n: int, out: Path, strata: Sequence[str] = (),
         allocation: str = "proportional", min_per_stratum: int = 0,
         max_per_stratum: int | None = None, take_all_below: int | None = None,
         rates: dict[str, float] | None = None, method: str = "random",
         per_practitioner_limit: int | None = None, one_per_team: bool = False,
         seed: int | None = None, exclude: Sequence[str] = (),
         reference_date: date | None = None, actor: str = "",
         now: datetime | None = None) -> DrawOutcome:
    """Draw a sample from a caseload frame and write it with its reserve, record and log."""
    files = DrawFiles(Path(out))
    if files.sample.suffix.lower() != ".csv":
        raise InputError(f"--out {out}: the sample is written as CSV; name it SAMPLE.csv.")
    files.sample.parent.mkdir(parents=True, exist_ok=True)
    head = _load_record(files).get("log_head") if files.record.exists() else None
    entries = _read_log(files.log, head)  # a damaged log is refused before anything is drawn
    frame, read_warnings = _read_frame(frame_path)
    at = now or datetime.now(UTC)
    elig, sample = draw_sample(
        frame, n=n, strata=strata, allocation=allocation, min_per_stratum=min_per_stratum,
        max_per_stratum=max_per_stratum, take_all_below=take_all_below, rates=rates,
        method=method, per_practitioner_limit=per_practitioner_limit,
        one_per_team=one_per_team, seed=seed, exclude=exclude,
        reference_date=reference_date or date.today(), actor=actor, at=at)
    entries = selection_log.append(entries, action="draw", actor=actor, at=at, sample=sample,
                                   detail={"frame": frame_path.name,
                                           "exclusions": list(exclude)})
    warnings = list(read_warnings) + list(sample.warnings)
    for redraw in selection_log.redraws(entries):
        warnings.append(str(redraw))
    _write_sample_files(files, sample)
    record = _record(frame_path, frame, elig, exclude, sample, [])
    record["log_head"] = entries[-1].entry_hash
    _write_log(files.log, entries)
    files.record.write_text(json.dumps(record, indent=2), "utf-8")
    return DrawOutcome(sample, elig, files, len(frame), tuple(warnings))


def _load_record(files: DrawFiles) -> dict[str, Any]:
    if not files.record.exists():
        raise NotFound(f"No draw record {files.record} beside {files.sample}: substitution "
                       "and evaluation need the files `sfo dip draw` wrote, kept together.")
    try:
        record = json.loads(files.record.read_text("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"The draw record {files.record} is damaged ({exc}).") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT_VERSION:
        raise InputError(f"The draw record {files.record} is not one this version can read.")
    return record


def redraw(files: DrawFiles, *, frame_path: Path | None = None) -> tuple[
        selection.Sample, eligibility.Eligibility, Frame, dict[str, Any]]:
    """Re-create a recorded draw from its frame, refusing if anything has changed."""
    record = _load_record(files)
    path = Path(frame_path or record["frame"]["path"])
    if not path.exists():
        raise NotFound(f"The frame {path} this sample was drawn from is not there; give its "
                       "new place with --frame.")
    frame, _ = _read_frame(path)
    if frame.fingerprint != record["frame"]["fingerprint"]:
        raise InputError(f"The frame {path} has changed since the sample was drawn (its "
                         "fingerprint differs), so the sample cannot be checked against it. "
                         "Use the frame as it was at the draw.")
    sample, elig = replay(frame, record)
    recorded = tabular.read_text_table(files.sample).frame
    if sorted(recorded["crn"].astype(str)) != sorted(sample.selected["crn"].astype(str)):
        raise InputError(f"{files.sample} does not hold the cases its draw record gives: it "
                         "has been edited since the draw. Re-create it with the recorded seed "
                         "rather than editing it by hand.")
    return sample, elig, frame, record


def substitute(sample_path: Path, *, crn: str, reason: str, note: str = "", actor: str = "",
               frame_path: Path | None = None, now: datetime | None = None) -> DrawOutcome:
    """Replace an ineligible case from its stratum's reserve, and log it."""
    files = DrawFiles(Path(sample_path))
    sample, elig, frame, record = redraw(files, frame_path=frame_path)
    entries = _read_log(files.log, record.get("log_head"))
    at = now or datetime.now(UTC)
    new = substitution.substitute(sample, crn, reason, note=note, actor=actor, at=at)
    done = new.substitutions[-1]
    subs = [*record["substitutions"], substitution_entry(new, actor=actor, at=at)]
    entries = selection_log.append(entries, action="substitute", actor=actor, at=at,
                                   sample=new, detail={"crn": crn, "reason": reason,
                                                       "replaced_by": done.replaced_by})
    _write_sample_files(files, new)
    record["substitutions"] = subs
    record["warnings"] = list(dict.fromkeys([*record.get("warnings", []), *new.warnings]))
    record["log_head"] = entries[-1].entry_hash
    _write_log(files.log, entries)
    files.record.write_text(json.dumps(record, indent=2), "utf-8")
    known = set(record.get("warnings", []))
    return DrawOutcome(new, elig, files, len(frame),
                       tuple(w for w in new.warnings if w not in known))


def second_review(sample_path: Path, *, size: int | None = None,
                  fraction: float | None = None, out: Path | None = None) -> tuple[str, ...]:
    """Choose the cases a second reviewer re-audits (reproducibly, from the draw's seed)."""
    files = DrawFiles(Path(sample_path))
    record = _load_record(files)
    crns = tabular.read_text_table(files.sample).frame["crn"].astype(str).tolist()
    chosen = evaluation.second_review_subset(crns, hashing.parse_seed(record["seed"]),
                                             size=size, fraction=fraction)
    if out is not None:
        exports.write_frame(Path(out), pd.DataFrame({"crn": list(chosen),
                                                     "order": range(1, len(chosen) + 1)}))
    return chosen


# ---------------------------------------------------------------- evaluation
def population_of(record: Mapping[str, Any]) -> dict[str, int]:
    """The eligible cases of each stratum, as the draw record gives them."""
    return {str(r["stratum"]): int(r["population"]) for r in record["allocation"]}


def evaluate_tables(results: pd.DataFrame, sample: pd.DataFrame, population: Mapping[str, int],
                    *, confidence: float = 0.95, interval: str = "exact",
                    source: str = "results.csv") -> evaluation.Evaluation:
    """Evaluate answers (crn, question_id, answer, reviewer) against the sample's strata."""
    evaluator = evaluation.Evaluator(confidence=confidence, interval=interval)
    return evaluator.evaluate(results, sample[["crn", "stratum"]], population, source=source)


@dataclass(frozen=True)
class EvaluationOutcome:
    """An evaluation with the sample and draw record it was made against."""

    evaluation: evaluation.Evaluation
    sample: pd.DataFrame
    record: dict[str, Any]
    population: dict[str, int]
    warnings: tuple[str, ...]


def evaluate(results_path: Path, *, sample_path: Path, confidence: float = 0.95,
             interval: str = "exact") -> EvaluationOutcome:
    """Evaluate the answers in a results file against the sample they belong to."""
    files = DrawFiles(Path(sample_path))
    record = _load_record(files)
    sample = tabular.read_text_table(files.sample).frame
    if "stratum" not in sample.columns or "crn" not in sample.columns:
        raise InputError(f"{files.sample} has no crn and stratum columns: is it a sample "
                         "written by `sfo dip draw`?")
    population = population_of(record)
    results = tabular.read_text_table(results_path)
    found = evaluate_tables(results.frame, sample, population, confidence=confidence,
                            interval=interval, source=Path(results_path).name)
    return EvaluationOutcome(found, sample, record, population,
                             tuple(results.warnings) + tuple(found.warnings))

