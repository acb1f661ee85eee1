"""Whole-region findings: import + timeline + every rule, against pyarrow's parse.

Each size runs in a fresh child process so that its peak memory is its own.
Both the baseline and the pipeline are timed as the best of two runs.
Figures:
- pipeline / parse: import, timeline and all rules for every person, over the
  time pyarrow takes only to parse the same CSV files (target at most 3x);
- growth: pipeline time at twice the people over the base size (target at
  most 2.2x);
- peak memory of the child (target under 2.5 GB);
- per-case latency (p50, p95 over 200 people) and one case with 5,000
  contacts, each over the time pyarrow takes to parse that case's files.
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def bundle_for(people: int, seed: int = 42) -> Path:
    """A generated region, cached under bench/out."""
    from fixtures.generate import generate_bundle

    path = OUT / f"region-{people}-seed{seed}"
    if not (path / "contacts.csv").exists():
        print(f"  generating a synthetic region of {people:,} people ...", flush=True)
        generate_bundle(path, people=people, seed=seed)
    return path


def parse_only(path: Path) -> float:
    """Seconds for pyarrow to parse every CSV file of a bundle (all columns as text)."""
    import pyarrow as pa
    from pyarrow import csv

    start = time.perf_counter()
    for f in sorted(path.glob("*.csv")):
        header = f.open("r", encoding="utf-8-sig").readline().strip().split(",")
        # Notes may hold line breaks inside quotes, so any correct reader needs
        # newlines_in_values; the floor uses it too.
        csv.read_csv(f, parse_options=csv.ParseOptions(newlines_in_values=True),
                     convert_options=csv.ConvertOptions(
                         column_types={h.strip('"'): pa.string() for h in header}))
    return time.perf_counter() - start


def pipeline(path: Path) -> tuple[float, object]:
    """Seconds to import, build every timeline and run every rule for everyone."""
    from sfo import bootstrap, standards
    from sfo.domain import timeline
    from sfo.domain.rules import engine
    from sfo.importers import load_bundle

    start = time.perf_counter()
    records = load_bundle(path)
    timeline.timeline_index(records)  # the whole region's ordered, de-duplicated chronology
    pack = standards.load_rule_pack()
    cal = bootstrap.calendar_for(records, date(2026, 1, 1))
    engine.run_rules(records, pack, cal, today=date(2026, 1, 1))
    return time.perf_counter() - start, records


def case_latency(records: object, path: Path) -> dict[str, float]:
    """Per-case latency (rules + timeline for one person) and the 5,000-contact case."""
    import numpy as np
    import pandas as pd

    from sfo import bootstrap, standards
    from sfo.domain import timeline
    from sfo.domain.records import CaseRecords
    from sfo.domain.rules import engine

    assert isinstance(records, CaseRecords)
    pack = standards.load_rule_pack()
    rng = np.random.default_rng(7)
    crns = sorted(rng.choice(records.crns, size=min(200, len(records.crns)),
                             replace=False).tolist())
    sample = records.for_people(crns)
    cal = bootstrap.calendar_for(records, date(2026, 1, 1))

    def one(rec: CaseRecords) -> float:
        t0 = time.perf_counter()
        timeline.build_timeline(rec)
        engine.run_rules(rec, pack, cal, today=date(2026, 1, 1))
        return time.perf_counter() - t0

    one(sample.for_people([crns[0]]))  # warm caches and imports
    times = [one(sample.for_people([c])) for c in crns]

    # One case with 5,000 contacts: the busiest sampled person's contacts repeated.
    busiest = sample.table("contacts")["crn"].value_counts().index[0]
    big = sample.for_people([busiest])
    c = big.table("contacts")
    reps = int(np.ceil(5000 / max(len(c), 1)))
    many = pd.concat([c] * reps, ignore_index=True).iloc[:5000].copy()
    many["contact_id"] = [f"B{i:07d}" for i in range(len(many))]
    many["record_id"] = many["contact_id"]
    tables = dict(big.tables)
    tables["contacts"] = many
    big5k = CaseRecords(tables, big.supplied, big.source)
    big_time = one(big5k)

    with tempfile.TemporaryDirectory() as tmp:
        floor_one = _parse_case(sample.for_people([crns[0]]), Path(tmp) / "one")
        floor_big = _parse_case(big5k, Path(tmp) / "big")
    return {"p50": float(np.percentile(times, 50)), "p95": float(np.percentile(times, 95)),
            "big": big_time, "floor_one": floor_one, "floor_big": floor_big,
            "n": float(len(times))}


def _parse_case(records: object, folder: Path) -> float:
    """Write one case's tables as CSV and time pyarrow parsing them (best of 5)."""
    from sfo.domain.records import CaseRecords

    assert isinstance(records, CaseRecords)
    folder.mkdir(parents=True)
    for name, frame in records.tables.items():
        if records.has(name):
            frame.drop(columns=["row", "record_id"]).to_csv(folder / f"{name}.csv",
                                                            index=False)
    return min(parse_only(folder) for _ in range(5))


def child(people: int, latency: bool) -> None:
    """Measure one size and print the figures as JSON (run in a fresh process)."""
    path = bundle_for(people)
    # Both figures are the best of two runs, so neither side pays for a cold start.
    parse = min(parse_only(path) for _ in range(2))
    first, records = pipeline(path)
    del records  # the second run must not count the first run's records in peak memory
    gc.collect()
    second, records = pipeline(path)
    ours = min(first, second)
    out = {"people": people, "parse": parse, "pipeline": ours,
           "contacts": len(records.table("contacts"))}  # type: ignore[attr-defined]
    if latency:
        out.update(case_latency(records, path))
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(out), flush=True)


def _run_child(people: int, latency: bool) -> dict[str, float]:
    cmd = [sys.executable, "-m", "bench.region", str(people), "1" if latency else "0"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{proc.stdout}\n{proc.stderr}")
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])  # type: ignore[no-any-return]
        print(line)
    raise SystemExit(f"benchmark child printed no result:\n{proc.stdout}\n{proc.stderr}")


def report(people: int) -> None:
    """Print the region figures."""
    print(f"Region benchmark: {people:,} and {2 * people:,} people")
    base = _run_child(people, latency=True)
    double = _run_child(2 * people, latency=False)
    r1 = base["pipeline"] / base["parse"]
    r2 = double["pipeline"] / double["parse"]
    growth = double["pipeline"] / base["pipeline"]
    print(f"  {people:,} people, {int(base['contacts']):,} contacts: pyarrow parse "
          f"{base['parse']:.2f} s, import+timeline+rules {base['pipeline']:.2f} s")
    print(f"    ratio pipeline/parse            {r1:5.2f}x   (target <= 3.0x)")
    print(f"    peak memory                     {base['peak_mb']:7.0f} MB (target < 2,500 MB)")
    print(f"  {2 * people:,} people, {int(double['contacts']):,} contacts: pyarrow parse "
          f"{double['parse']:.2f} s, import+timeline+rules {double['pipeline']:.2f} s")
    print(f"    ratio pipeline/parse            {r2:5.2f}x")
    print(f"    peak memory                     {double['peak_mb']:7.0f} MB")
    print(f"    growth (2x people) time ratio   {growth:5.2f}x   (target <= 2.2x)")
    print(f"  per-case latency over {int(base['n'])} people (timeline + all rules):")
    print(f"    p50 {base['p50'] * 1000:7.1f} ms = {base['p50'] / base['floor_one']:6.1f}x "
          f"the parse of that case's files ({base['floor_one'] * 1000:.1f} ms)")
    print(f"    p95 {base['p95'] * 1000:7.1f} ms = {base['p95'] / base['floor_one']:6.1f}x")
    print(f"    one case with 5,000 contacts: {base['big'] * 1000:7.1f} ms = "
          f"{base['big'] / base['floor_big']:6.1f}x the parse of its files "
          f"({base['floor_big'] * 1000:.1f} ms)")


if __name__ == "__main__":
    child(int(sys.argv[1]), sys.argv[2] == "1")
