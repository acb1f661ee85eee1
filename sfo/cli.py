"""The `sfo` command: a thin layer over the services.

Exit status: 0 success; 2 bad input (a precise message, never a traceback);
1 an unexpected internal error (a short message; SFO_DEBUG=1 shows the
traceback).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from sfo import __version__, config
from sfo.errors import InputError, SfoError
from sfo.services import analysis

# Characters that make a spreadsheet treat a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a date in the form YYYY-MM-DD") from None


def _existing(text: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text} does not exist")
    return path


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to check that every command is documented)."""
    parser = argparse.ArgumentParser(
        prog="sfo",
        description="SFO early looks and reviews, case-record timelines and dip sampling "
                    "for probation services in England and Wales.",
    )
    parser.add_argument("--version", action="version", version=f"sfo {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    f = sub.add_parser("findings", help="Check a bundle against the practice standards.",
                       description="Reconstruct each case from a bundle and list the gaps, "
                                   "working context and good practice the rules find.")
    f.add_argument("bundle", type=_existing, help="bundle folder or .zip")
    f.add_argument("--crn", help="only this person (e.g. X320741)")
    f.add_argument("--as-of", type=_date, help="judge practice up to this date (YYYY-MM-DD); "
                   "default: the person's first CNOC contact, else today")
    f.add_argument("--rules", type=_existing, help="local rule pack laid over the default")
    f.add_argument("--mapping", type=_existing, help="header mapping file (TOML)")
    f.add_argument("--format", choices=["table", "json", "csv"], default="table")
    f.add_argument("--kind", choices=["gap", "context", "good_practice"], action="append",
                   help="only findings of this kind (repeatable)")
    f.add_argument("--progress", choices=["auto", "always", "never"], default=None,
                   help="progress bar on stderr (default: the SFO_PROGRESS setting)")
    f.set_defaults(run=_findings)

    t = sub.add_parser("timeline", help="Show one person's chronology.",
                       description="One ordered, de-duplicated chronology across contacts, "
                                   "assessments, registrations, allocations, sentences and "
                                   "the practitioner's working context.")
    t.add_argument("bundle", type=_existing, help="bundle folder or .zip")
    t.add_argument("--crn", required=True, help="the person (e.g. X320741)")
    t.add_argument("--as-of", type=_date, help="only what was recorded on or before this date")
    t.add_argument("--mapping", type=_existing, help="header mapping file (TOML)")
    t.add_argument("--format", choices=["table", "json", "csv"], default="table")
    t.set_defaults(run=_timeline)

    d = sub.add_parser("demo", help="Generate a synthetic demo bundle and show its findings.",
                       description="Write a synthetic (made-up) bundle with a fixed seed and "
                                   "summarise what the rules find in it.")
    d.add_argument("--people", type=int, default=60, help="number of made-up people")
    d.add_argument("--seed", type=int, default=42)
    d.add_argument("--out", type=Path, default=None,
                   help="where to write it (default: SFO_DATA_DIR/demo)")
    d.set_defaults(run=_demo)

    s = sub.add_parser("settings", help="List the settings and their current values.")
    s.set_defaults(run=_settings)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sfo` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        return int(args.run(args))
    except SfoError as exc:
        print(f"sfo: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`sfo ... | head`): not an error. Stop writing quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("sfo: interrupted; nothing was written.", file=sys.stderr)
        return 130
    except Exception as exc:  # pragma: no cover - the last line of defence
        if config.setting("SFO_DEBUG") == "1":
            raise
        print(f"sfo: internal error ({type(exc).__name__}: {exc}). This is a bug: please "
              "report it with the command you ran. Set SFO_DEBUG=1 to see the details.",
              file=sys.stderr)
        return 1


# -- progress ----------------------------------------------------------------
class _Bar:
    """A progress bar on stderr over import files and rules."""

    def __init__(self, mode: str, total: int) -> None:
        from tqdm import tqdm

        show = mode == "always" or (mode == "auto" and sys.stderr.isatty())
        self._bar = tqdm(total=total, file=sys.stderr, disable=not show, unit="step",
                         leave=False, dynamic_ncols=True)

    def __call__(self, label: str) -> None:
        self._bar.set_description_str(label[:40])
        self._bar.update(1)

    def close(self) -> None:
        self._bar.close()


def _progress(args: argparse.Namespace) -> Callable[[str], None] | None:
    mode = args.progress or config.setting("SFO_PROGRESS")
    if mode == "never":
        return None
    if mode not in ("auto", "always"):
        raise InputError(f"SFO_PROGRESS is '{mode}'; expected auto, always or never.")
    return _Bar(mode, total=11 + 19)


# -- commands ----------------------------------------------------------------
def _findings(args: argparse.Namespace) -> int:
    bar = _progress(args)
    try:
        report = analysis.findings(args.bundle, crn=args.crn, as_of=args.as_of,
                                   rules=args.rules, mapping=args.mapping, progress=bar)
    finally:
        if isinstance(bar, _Bar):
            bar.close()
    kinds = set(args.kind or [])
    doc = report.as_dict()
    if kinds:
        for case in doc["cases"]:  # type: ignore[attr-defined]
            case["findings"] = [f for f in case["findings"] if f["kind"] in kinds]
    out = sys.stdout
    if args.format == "json":
        json.dump(doc, out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif args.format == "csv":
        rows = [
            {"crn": c["crn"], "as_of": c["as_of"], **{k: v for k, v in f.items()
                                                      if k not in ("evidence", "known")},
             "evidence": ";".join(f["evidence"]), "known": " | ".join(f["known"])}
            for c in doc["cases"] for f in c["findings"]  # type: ignore[attr-defined]
        ]
        _write_csv(out, rows, ["crn", "as_of", "event_id", "date", "rule_id", "kind",
                               "severity", "summary", "evidence", "known", "local_default"])
    else:
        _findings_table(doc, out)
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


KIND_LABEL = {"gap": "GAP", "context": "CONTEXT", "good_practice": "GOOD"}


def _findings_table(doc: dict[str, object], out: TextIO) -> None:
    write = out.write
    cases = doc["cases"]
    for case in cases:  # type: ignore[attr-defined]
        findings = case["findings"]
        gaps = sum(1 for f in findings if f["kind"] == "gap")
        ctx = sum(1 for f in findings if f["kind"] == "context")
        good = sum(1 for f in findings if f["kind"] == "good_practice")
        write(f"{case['crn']}  as of {case['as_of']} ({case['as_of_source']}): "
              f"{gaps} gap{'s' if gaps != 1 else ''}, {ctx} working-context, "
              f"{good} good practice\n")
        for f in findings:
            head = f"  {f['date'] or '':10}  {KIND_LABEL[f['kind']]:11} {f['rule_id']:17} "
            body = textwrap.wrap(f["summary"], width=max(40, 100 - len(head)))
            write(head + (body[0] if body else "") + "\n")
            for line in body[1:]:
                write(" " * len(head) + line + "\n")
            write(" " * len(head) + "evidence: " + ", ".join(f["evidence"]) + "\n")
        for n in case["not_checked"]:
            head = f"  {'':10}  {'NOT CHECKED':11} {n['rule_id']:17} "
            body = textwrap.wrap(n["reason"], width=max(40, 100 - len(head)))
            write(head + body[0] + "\n")
            for line in body[1:]:
                write(" " * len(head) + line + "\n")
        write("\n")
    if not cases:
        write("No people in the bundle.\n")
    write("Gaps are against the rule pack's expectations; context records the working "
          "conditions\nthat must be weighed with them. Nothing here is a judgement on an "
          "individual.\n")


def _timeline(args: argparse.Namespace) -> int:
    frame, records = analysis.timeline(args.bundle, crn=args.crn, as_of=args.as_of,
                                       mapping=args.mapping)
    out = sys.stdout
    cols = ["date", "time", "category", "record_id", "code", "title", "detail", "staff_code"]
    rows: list[dict[str, Any]] = [
        {str(c): ("" if v is None or (not isinstance(v, str) and pd.isna(v)) else
             v.strftime("%Y-%m-%d") if c == "date" else str(v)) for c, v in r.items()}
        for r in frame[cols].to_dict("records")
    ]
    if args.format == "json":
        json.dump({"crn": args.crn, "as_of": args.as_of.isoformat() if args.as_of else None,
                   "entries": rows, "warnings": list(records.warnings)}, out, indent=2,
                  ensure_ascii=False)
        out.write("\n")
    elif args.format == "csv":
        _write_csv(out, rows, cols)
    else:
        out.write(f"Chronology for {args.crn}"
                  f"{' up to ' + args.as_of.isoformat() if args.as_of else ''}: "
                  f"{len(rows)} entries\n")
        for r in rows:
            head = f"{r['date']:10} {r['time'] or '':5} {r['category'][:15]:15} "
            out.write(f"{head}{r['title']}  [{r['record_id']}]\n")
            detail = r["detail"].replace("\n", " / ")
            for line in textwrap.wrap(detail, width=100 - len(head)):
                out.write(" " * len(head) + line + "\n")
        if not rows:
            out.write("No entries.\n")
    for w in records.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _demo(args: argparse.Namespace) -> int:
    try:
        from fixtures.generate import generate_bundle
    except ImportError as exc:
        raise InputError(f"The demo generator (fixtures/generate.py) is not available ({exc}): "
                         "reinstall the project with `make setup`.") from None
    out = args.out or Path(config.setting("SFO_DATA_DIR")) / "demo"
    counts = generate_bundle(out, people=args.people, seed=args.seed)
    print(f"Wrote a synthetic bundle to {out} ({counts.get('people', 0)} made-up people, "
          f"{counts.get('contacts', 0)} contacts).")
    report = analysis.findings(out, progress=None)
    per_rule: dict[tuple[str, str], int] = {}
    people: dict[str, set[str]] = {}
    for case in report.cases:
        for f in case.findings:
            per_rule[f.kind, f.rule_id] = per_rule.get((f.kind, f.rule_id), 0) + 1
            people.setdefault(f.rule_id, set()).add(case.crn)
    print(f"Checked {len(report.cases)} cases.")
    for kind, title in (("gap", "Gaps"), ("context", "Working context"),
                        ("good_practice", "Good practice")):
        print(f"{title}:")
        for (k, rule_id), n in sorted(per_rule.items()):
            if k == kind:
                print(f"  {rule_id:18} {n:5} findings in {len(people[rule_id]):4} cases")
    first = report.cases[0].crn if report.cases else "CRN"
    prog = _program()
    print(f"\nNext: {prog} findings {out} --crn {first}\n      {prog} timeline {out} --crn {first}")
    return 0


def _program() -> str:
    """How the user called us, for hints they can paste."""
    called = Path(sys.argv[0])
    if called.name != "sfo":
        return "sfo"
    try:
        return str(called.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return "sfo"


def _settings(args: argparse.Namespace) -> int:
    for s in config.SETTINGS:
        print(f"{s.env}={s.get()!r}\n    {s.help} (default {s.default!r})")
    return 0


def _write_csv(out: TextIO, rows: list[dict[str, Any]], cols: list[str]) -> None:
    writer = csv.DictWriter(out, fieldnames=cols, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _safe_cell(v) for k, v in row.items()})


def _safe_cell(value: object) -> object:
    """Neutralise text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
