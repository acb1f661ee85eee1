"""The `sfo` command: a thin layer over the services.

Exit status: 0 success; 2 bad input (a precise message, never a traceback);
1 an unexpected internal error (a short message; SFO_DEBUG=1 shows the
traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from dipsample import hashing
from dipsample.errors import DipSampleError
from sfo import __version__, cli_records, cli_review, cli_store, cli_templates, config
from sfo.documents import exports
from sfo.errors import InputError, SfoError
from sfo.services import analysis, dip


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
    f.add_argument("bundle", type=_existing, nargs="?", default=None,
                   help="bundle folder or .zip (not with --db)")
    cli_records.db_option(f)
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
    t.add_argument("bundle", type=_existing, nargs="?", default=None,
                   help="bundle folder or .zip (not with --db)")
    cli_records.db_option(t)
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

    u = sub.add_parser("ui", help="Open the app in your web browser.",
                       description="Start the app (a local web server) for early looks, "
                                   "reviews and dip samples. With --demo, first make a demo "
                                   "database of made-up cases and print an account for each "
                                   "role.")
    u.add_argument("--demo", action="store_true", help="make (or refresh) the demo database "
                   "in SFO_DATA_DIR first, and print the demo accounts")
    u.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    u.add_argument("--address", default="127.0.0.1", help="address to serve on (default "
                   "127.0.0.1: this computer only)")
    u.add_argument("--no-serve", action="store_true", help=argparse.SUPPRESS)
    u.set_defaults(run=_ui)
    s = sub.add_parser("settings", help="List the settings and their current values.")
    s.set_defaults(run=_settings)
    _add_dip(sub)
    _add_early_look(sub)
    cli_store.add_commands(sub)
    cli_records.add_commands(sub)
    cli_templates.add_commands(sub)
    cli_review.add_commands(sub)
    return parser


def _add_early_look(sub: Any) -> None:
    el = sub.add_parser("early-look", help="Early looks after an SFO charge.",
                        description="The manager's early look: checklist answers proposed "
                                    "from the evidence, the working context, just-culture "
                                    "records, next steps and the Early Look document.")
    esub = el.add_subparsers(dest="early_look_command", metavar="STEP")
    el.set_defaults(run=lambda args: (el.print_help(), 0)[1])
    d = esub.add_parser("draft", help="A draft Early Look document from the evidence alone.",
                        description="Propose every checklist answer and the working context "
                                    "from a bundle and write a DRAFT Early Look document "
                                    "(Word, with an HTML copy beside it) for the manager to "
                                    "confirm. Nothing is decided for them.")
    d.add_argument("bundle", type=_existing, help="bundle folder or .zip")
    d.add_argument("--crn", required=True, help="the person (e.g. X320741)")
    d.add_argument("--out", type=Path, required=True, help="FILE.docx to write")
    d.add_argument("--as-of", type=_date, help="judge practice up to this date (default: "
                   "the first CNOC contact, else today)")
    d.add_argument("--rules", type=_existing, help="local rule pack laid over the default")
    d.add_argument("--mapping", type=_existing, help="header mapping file (TOML)")
    d.add_argument("--checklist", type=_existing, help="local checklist (TOML)")
    d.add_argument("--audience", choices=["restricted", "shared"], default="restricted",
                   help="restricted: manager, reviewer and HR (default); shared: restricted "
                   "entries (personal circumstances) left out")
    d.set_defaults(run=_early_look_draft)

    st = esub.add_parser("start", help="Start a stored early look on an imported case.",
                         description="Start an early look on a case imported with `sfo "
                                     "import`, with answers proposed from the evidence, and "
                                     "save it as a draft. The app is where it is completed.")
    st.add_argument("--crn", required=True)
    st.add_argument("--as-of", type=_date)
    st.add_argument("--db", help="database URL (default SFO_DATABASE_URL)")
    st.add_argument("--by", default=None, help="who starts it (default: your user name)")
    st.set_defaults(run=_early_look_start)

    sh = esub.add_parser("show", help="Where a stored early look stands.",
                         description="Status, version and what is still to do before it "
                                     "can be signed off.")
    sh.add_argument("id", type=int)
    sh.add_argument("--db")
    sh.add_argument("--by", default=None)
    sh.set_defaults(run=_early_look_show)

    an = esub.add_parser("answer", help="Confirm or change a checklist answer.",
                         description="Confirm the proposed answer to a question, or change "
                                     "it (a change needs --reason).")
    an.add_argument("id", type=int)
    an.add_argument("--question", required=True, help="e.g. EL01")
    an.add_argument("--answer", required=True,
                    choices=["met", "not_met", "partly", "not_supplied", "not_applicable"])
    an.add_argument("--reason", default="", help="why, when changing the proposed answer")
    an.add_argument("--db")
    an.add_argument("--by", default=None)
    an.set_defaults(run=_early_look_answer)

    cc = esub.add_parser("consider-context", help="Confirm the working context was "
                         "considered.", description="Record that the working context "
                         "(workload, training, supervision, experience, vacancies, systems, "
                         "partners, personal circumstances) was considered.")
    cc.add_argument("id", type=int)
    cc.add_argument("--db")
    cc.add_argument("--by", default=None)
    cc.set_defaults(run=_early_look_consider)

    rc = esub.add_parser("recommend", help="Record what should happen next, and why.",
                         description="Choose one or more: full_sfo_review, hr_advice, "
                                     "dip_sample (drafts a dip-sample plan of the "
                                     "practitioner's other cases), no_further_action.")
    rc.add_argument("id", type=int)
    rc.add_argument("--choice", action="append", required=True,
                    choices=["full_sfo_review", "hr_advice", "dip_sample", "no_further_action"])
    rc.add_argument("--rationale", required=True)
    rc.add_argument("--db")
    rc.add_argument("--by", default=None)
    rc.set_defaults(run=_early_look_recommend)

    fi = esub.add_parser("finalise", help="Sign off and finalise (refused while incomplete).",
                         description="Sign the early look off. Refused, with what is still to "
                                     "do, while anything is incomplete; afterwards it cannot "
                                     "change and its documents are kept with fingerprints.")
    fi.add_argument("id", type=int)
    fi.add_argument("--db")
    fi.add_argument("--by", default=None)
    fi.set_defaults(run=_early_look_finalise)

    ex = esub.add_parser("export", help="Write a stored early look's document.",
                         description="A final early look: the document as it was finalised. "
                                     "A draft: the document as it stands, marked DRAFT.")
    ex.add_argument("id", type=int)
    ex.add_argument("--out", type=Path, required=True, help="FILE.docx or FILE.html")
    ex.add_argument("--audience", choices=["restricted", "shared"], default="restricted")
    ex.add_argument("--db")
    ex.add_argument("--by", default=None)
    ex.set_defaults(run=_early_look_export)


def _early_look_draft(args: argparse.Namespace) -> int:
    from sfo.domain import early_look as domain
    from sfo.services import early_look

    docx, html, prepared = early_look.write_draft(
        args.bundle, crn=args.crn, out=args.out, as_of=args.as_of, rules=args.rules,
        mapping=args.mapping, checklist=args.checklist, audience=args.audience)
    state = prepared.state
    counts: dict[str, int] = {}
    for q in state.questions:
        label = domain.ANSWERS[state.current(q.id)]
        counts[label] = counts.get(label, 0) + 1
    print(f"Wrote a DRAFT early look for {state.crn} (as of {state.as_of}) to {docx} and "
          f"{html}.")
    print("Proposed answers: " + ", ".join(f"{n} {label.lower()}" for label, n in
                                           sorted(counts.items())) + ".")
    print(f"Working context: {len(state.context)} entries proposed from the bundle.")
    print("It is a draft from the evidence alone: the manager must confirm or change each "
          "answer, consider the working context and record next steps.")
    return 0


def _early_look_start(args: argparse.Namespace) -> int:
    from sfo.services import early_look

    opened = early_look.start_stored(crn=args.crn, actor=_actor(args), url=args.db,
                                     as_of=args.as_of)
    print(f"Started early look {opened.id} for {args.crn} (as of {opened.state.as_of}), "
          f"version {opened.version}, saved as a draft.")
    return 0


def _early_look_show(args: argparse.Namespace) -> int:
    from sfo.domain import early_look as domain
    from sfo.services import early_look

    opened = early_look.open_stored(args.id, actor=_actor(args), url=args.db)
    s = opened.state
    print(f"Early look {opened.id} for {s.crn} as of {s.as_of}: {opened.status}, version "
          f"{opened.version}.")
    if opened.status == "final":
        print(f"Fingerprint: {opened.fingerprint}")
        return 0
    problems = domain.completion_problems(s)
    print("Ready to sign off." if not problems else f"{len(problems)} things to finish:")
    for p in problems:
        for i, line in enumerate(textwrap.wrap(p, width=86)):
            print(("  - " if i == 0 else "    ") + line)
    return 0


def _early_look_answer(args: argparse.Namespace) -> int:
    from sfo.domain import early_look as domain
    from sfo.services import early_look

    who = _actor(args)
    saved = early_look.change_stored(
        args.id, lambda st: domain.confirm(st, args.question, args.answer, by=who,
                                           reason=args.reason),
        actor=who, url=args.db, note=f"answered {args.question}: {args.answer}")
    print(f"{args.question}: {domain.ANSWERS[args.answer]} (version {saved.version}).")
    return 0


def _early_look_consider(args: argparse.Namespace) -> int:
    from sfo.domain import early_look as domain
    from sfo.services import early_look

    who = _actor(args)
    saved = early_look.change_stored(args.id, lambda st: domain.consider_context(st, by=who),
                                     actor=who, url=args.db,
                                     note="confirmed the working context was considered")
    print(f"Working context confirmed as considered by {who} (version {saved.version}).")
    return 0


def _early_look_recommend(args: argparse.Namespace) -> int:
    from sfo.services import early_look

    saved, plan = early_look.recommend_stored(args.id, args.choice, rationale=args.rationale,
                                              actor=_actor(args), url=args.db)
    print(f"Recommendation recorded (version {saved.version}).")
    if plan is not None:
        print(f"Drafted dip-sample plan {plan.id}: {plan.plan['n']} of the "
              f"{plan.plan['frame_rows']} other cases held by {plan.plan['staff_code']}.")
    return 0


def _early_look_finalise(args: argparse.Namespace) -> int:
    from sfo.services import early_look

    opened = early_look.open_stored(args.id, actor=_actor(args), url=args.db)
    final = early_look.finalise_stored(args.id, expected_version=opened.version,
                                       actor=_actor(args), url=args.db)
    print(f"Early look {args.id} is final. Fingerprint: {final.fingerprint}")
    print("Its restricted and shared documents are kept; export them with "
          f"`sfo early-look export {args.id} --out FILE.docx [--audience shared]`.")
    return 0


def _early_look_export(args: argparse.Namespace) -> int:
    from sfo.services import early_look

    fmt = args.out.suffix.lower().lstrip(".")
    if fmt not in ("docx", "html"):
        raise InputError(f"--out {args.out}: name it FILE.docx or FILE.html.")
    data, label = early_look.export_stored(args.id, audience=args.audience, fmt=fmt,
                                           actor=_actor(args), url=args.db)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"Wrote {label} to {args.out}.")
    return 0


def _share(text: str) -> float:
    """A share given as a percentage (5 or 5%) or a fraction (0.05)."""
    t = text.strip().rstrip("%")
    try:
        value = float(t)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{text}' is not a number: give a percentage such as 5 or a fraction such "
            "as 0.05") from None
    if text.strip().endswith("%") or value > 1:
        value /= 100
    return value


def _seed(text: str) -> int:
    try:
        return hashing.parse_seed(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _whole(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"'{text}' is below 0")
    return value


def _add_dip(sub: Any) -> None:
    dip = sub.add_parser("dip", help="Dip samples: plan, draw, substitute, evaluate, report.",
                         description="Plan a dip sample, draw it reproducibly from a caseload "
                                     "frame, replace ineligible cases, evaluate the audit "
                                     "results with honest uncertainty and write the report.")
    dsub = dip.add_subparsers(dest="dip_command", metavar="STEP")
    dip.set_defaults(run=lambda args: (dip.print_help(), 0)[1])

    p = dsub.add_parser("plan", help="How many cases to sample.",
                        description="Discovery: how many cases to check to find at least one "
                                    "failing case if the failure rate is at least the "
                                    "prevalence. Estimate: how many to estimate a rate within "
                                    "a margin.")
    p.add_argument("--method", choices=["discovery", "estimate"], default="discovery")
    p.add_argument("--population", type=_whole, required=True,
                   help="eligible cases in the frame (N)")
    p.add_argument("--prevalence", type=_share,
                   help="discovery: the failure rate worth finding, e.g. 5 (per cent)")
    p.add_argument("--expected-rate", type=_share,
                   help="estimate: the rate you expect (default 50, the safest)")
    p.add_argument("--margin", type=_share,
                   help="estimate: plus or minus this many percentage points, e.g. 5")
    p.add_argument("--confidence", type=_share, default=0.95, help="default 95")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(run=_dip_plan)

    fr = dsub.add_parser("frame", help="Build a caseload frame from a case-record bundle.",
                         description="Write caseload.csv (one row per person: current "
                                     "practitioner and team, PDU, RoSH level, sentence type, "
                                     "start date) from a bundle, ready for sfo dip draw.")
    fr.add_argument("bundle", type=_existing)
    fr.add_argument("--as-of", type=_date, help="who held each case on this date "
                    "(default today)")
    fr.add_argument("--mapping", type=_existing, help="header mapping file (TOML)")
    fr.add_argument("--out", type=Path, required=True, help="caseload.csv to write")
    fr.set_defaults(run=_dip_frame)

    d = dsub.add_parser("draw", help="Draw a sample from a caseload frame.",
                        description="Draw a reproducible random, systematic or stratified "
                                    "sample; write it with its reserve list, draw record "
                                    "and selection log.")
    d.add_argument("frame", type=_existing, help="caseload.csv (one row per case, crn unique)")
    d.add_argument("--n", type=_whole, required=True, help="sample size")
    d.add_argument("--strata", default="",
                   help="column(s) to stratify by, comma-separated (e.g. team_code,tier)")
    d.add_argument("--allocation", choices=["proportional", "equal", "neyman"],
                   default="proportional")
    d.add_argument("--rates", help="neyman: expected failure rate per stratum, as "
                   "'stratum label=rate;...'")
    d.add_argument("--min-per-stratum", type=_whole, default=0)
    d.add_argument("--max-per-stratum", type=_whole)
    d.add_argument("--take-all-below", type=_whole,
                   help="take every case of strata of this size or smaller")
    d.add_argument("--method", choices=["random", "systematic"], default="random")
    d.add_argument("--per-practitioner", type=_whole,
                   help="at most this many cases of any one practitioner (staff_code)")
    d.add_argument("--one-per-team", action="store_true",
                   help="at least one case from every team (team_code)")
    d.add_argument("--seed", type=_seed,
                   help="reuse a seed (decimal or 0x...); default: a new 128-bit seed")
    d.add_argument("--exclude", action="append", default=[], metavar="RULE",
                   help="exclusion rule, repeatable: 'start_date within 8w', "
                   "'last_audited_date within 12m', 'sentence_type not-in licence,"
                   "community_order', 'staff_code != N07A726', 'COLUMN empty'")
    d.add_argument("--as-of", type=_date, help="reference date for 'within' rules "
                   "(default today)")
    d.add_argument("--by", default=None, help="who draws (default: your user name)")
    d.add_argument("--out", type=Path, required=True, help="SAMPLE.csv to write")
    d.set_defaults(run=_dip_draw)

    s = dsub.add_parser("substitute", help="Replace an ineligible sampled case.",
                        description="Replace an ineligible case with the next reserve case "
                                    "of its stratum. 'Unable to assess' is never replaced: "
                                    "record it as a result; it counts as a failure.")
    s.add_argument("sample", type=_existing, help="SAMPLE.csv written by sfo dip draw")
    s.add_argument("--crn", required=True)
    s.add_argument("--reason", required=True, type=str.upper,
                   help="TRANSFERRED, TERMINATED, WRONG-TYPE, DUPLICATE or "
                   "OTHER-INELIGIBLE (with --note)")
    s.add_argument("--note", default="")
    s.add_argument("--frame", type=_existing, help="the frame, if it has moved since the draw")
    s.add_argument("--by", default=None, help="who substitutes (default: your user name)")
    s.set_defaults(run=_dip_substitute)

    r = dsub.add_parser("second-review", help="Choose cases for a second reviewer.",
                        description="Choose a reproducible subset of the sample for a second, "
                                    "independent review (for the agreement figures).")
    r.add_argument("sample", type=_existing)
    g = r.add_mutually_exclusive_group(required=True)
    g.add_argument("--size", type=_whole)
    g.add_argument("--fraction", type=_share, help="e.g. 10 (per cent)")
    r.add_argument("--out", type=Path, help="CSV of the chosen cases")
    r.set_defaults(run=_dip_second_review)

    e = dsub.add_parser("evaluate", help="Evaluate audit results.",
                        description="Per question: the failure rate with exact and Wilson "
                                    "intervals, a one-sided upper limit, per-stratum and "
                                    "stratified estimates, and reviewer agreement.")
    e.add_argument("results", type=_existing,
                   help="results.csv: crn, question_id, answer, reviewer, comment")
    e.add_argument("--sample", type=_existing, required=True)
    e.add_argument("--confidence", type=_share, default=0.95)
    e.add_argument("--interval", choices=["exact", "wilson"], default="exact")
    e.add_argument("--format", choices=["table", "json"], default="table")
    e.set_defaults(run=_dip_evaluate)

    w = dsub.add_parser("report", help="Write the dip-sample report (Word and HTML).",
                        description="Purpose, frame and exclusions, method, sample against "
                                    "population, results with intervals and a chart, "
                                    "agreement, limitations and the practitioners' working "
                                    "context.")
    w.add_argument("results", type=_existing)
    w.add_argument("--sample", type=_existing, required=True)
    w.add_argument("--out", type=Path, required=True, help="REPORT.docx (an .html is "
                   "written beside it)")
    w.add_argument("--bundle", type=_existing,
                   help="a case-record bundle with workload.csv, training.csv, staff.csv: "
                   "adds the practitioners' working context")
    w.add_argument("--purpose", default="", help="why the sample was drawn, in a sentence")
    w.add_argument("--title", default="Dip sample report")
    w.add_argument("--confidence", type=_share, default=0.95)
    w.set_defaults(run=_dip_report)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `sfo` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        return int(args.run(args))
    except (SfoError, DipSampleError) as exc:
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
    bundle = cli_records.source_of(args)
    bar = _progress(args)
    try:
        if bundle is None:
            pack = analysis.rule_pack(args.rules)  # a bad rules file is reported first
            report = analysis.findings_for(cli_records.stored_records(args, args.crn),
                                           crn=args.crn, as_of=args.as_of, pack=pack,
                                           progress=bar)
        else:
            report = analysis.findings(bundle, crn=args.crn, as_of=args.as_of,
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
    bundle = cli_records.source_of(args)
    if bundle is None:
        records = cli_records.stored_records(args, args.crn)
        frame = analysis.timeline_for(records, crn=args.crn, as_of=args.as_of)
    else:
        frame, records = analysis.timeline(bundle, crn=args.crn, as_of=args.as_of,
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
    print(f"\nNext: {prog} findings {out} --crn {first}\n      {prog} timeline {out} --crn {first}"
          f"\n      {prog} early-look draft {out} --crn {first} --out {out}/early-look.docx"
          f"\n      {prog} dip frame {out} --out {out}/caseload.csv")
    return 0


def _ui(args: argparse.Namespace) -> int:
    import importlib.util

    if args.demo:
        from sfo.services import demo

        data_dir = Path(config.setting("SFO_DATA_DIR"))
        print(f"Making the demo database in {data_dir} (made-up people only)...", flush=True)
        ready = demo.prepare(data_dir)
        print(f"Ready: {ready.database}, with {ready.people} generated people and the "
              f"scenario cases {', '.join(ready.scenario_crns)}.")
        print("Demo accounts (new passwords each time; for this demo database only):")
        for a in ready.accounts:
            print(f"  {a.username:9} password {a.password}   ({', '.join(a.roles)})")
    spec = importlib.util.find_spec("ui")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("The app (the ui package) is not installed: reinstall the project "
                         "with `make setup`.")
    app = Path(next(iter(spec.submodule_search_locations))) / "streamlit_app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(app),
               "--server.port", str(args.port), "--server.address", args.address,
               "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--client.toolbarMode", "minimal"]
    print(f"Open http://{args.address}:{args.port} in your browser. Stop with Ctrl+C.",
          flush=True)
    if args.no_serve:
        return 0
    # Become the server (rather than start it as a child) so that stopping this process,
    # by Ctrl+C or a signal, stops the server too.
    os.execv(sys.executable, command)
    return 0  # pragma: no cover - execv does not return


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


# -- dip samples ---------------------------------------------------------------
def _actor(args: argparse.Namespace) -> str:
    if args.by:
        return str(args.by)
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _dip_plan(args: argparse.Namespace) -> int:
    result = dip.plan(method=args.method, population=args.population,
                      prevalence=args.prevalence, expected_rate=args.expected_rate,
                      margin=args.margin, confidence=args.confidence)
    if args.format == "json":
        json.dump(result.as_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(f"Sample size: {result.n}")
        for line in textwrap.wrap(result.statement(), width=88):
            print(f"  {line}")
    return 0


def _rates(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    rates: dict[str, float] = {}
    for part in text.split(";"):
        label, sep, value = part.rpartition("=")
        if not sep or not label.strip():
            raise InputError(f"--rates: '{part}' is not 'stratum label=rate'.")
        try:
            rates[label.strip()] = _share(value)
        except argparse.ArgumentTypeError as exc:
            raise InputError(f"--rates: {exc}") from None
    return rates


def _dip_frame(args: argparse.Namespace) -> int:
    n = dip.frame_from_bundle(args.bundle, out=args.out, as_of=args.as_of,
                              mapping=args.mapping)
    print(f"Wrote {args.out}: {n:,} cases, one row per person in {args.bundle}.")
    return 0


def _dip_draw(args: argparse.Namespace) -> int:
    strata = [c.strip().lower() for c in args.strata.split(",") if c.strip()]
    outcome = dip.draw(
        args.frame, n=args.n, out=args.out, strata=strata, allocation=args.allocation,
        min_per_stratum=args.min_per_stratum, max_per_stratum=args.max_per_stratum,
        take_all_below=args.take_all_below, rates=_rates(args.rates), method=args.method,
        per_practitioner_limit=args.per_practitioner, one_per_team=args.one_per_team,
        seed=args.seed, exclude=args.exclude, reference_date=args.as_of, actor=_actor(args))
    elig, sample = outcome.eligibility, outcome.sample
    print(f"Frame {args.frame}: {outcome.population:,} cases.")
    for reason, count in elig.counts:
        print(f"  excluded {count:6,}  {reason}")
    print(f"Eligible: {len(elig.eligible):,} cases (fingerprint {elig.eligible.fingerprint[:16]}).")
    table = sample.allocation.as_table()
    print(f"Drew {len(sample.selected):,} cases with seed {hashing.format_seed(sample.seed)}.")
    if len(table) > 1:
        print("  stratum                                   population   sample")
        for row in table.to_dict("records"):
            print(f"  {str(row['stratum'])[:40]:40} {int(row['population']):11,} "
                  f"{int(row['sample']):8,}")
    files = outcome.files
    print(f"Wrote {files.sample}, {files.reserve.name}, {files.record.name} and "
          f"{files.log.name}.")
    print("Keep the four files together: they let anyone check how the cases were chosen.")
    for w in outcome.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _dip_substitute(args: argparse.Namespace) -> int:
    outcome = dip.substitute(args.sample, crn=args.crn, reason=args.reason, note=args.note,
                             actor=_actor(args), frame_path=args.frame)
    done = outcome.sample.substitutions[-1]
    print(f"Replaced {done.crn} ({done.reason}) with {done.replaced_by}, the next reserve "
          f"case of stratum {done.stratum}. {outcome.files.sample} and the log are updated.")
    for w in outcome.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _dip_second_review(args: argparse.Namespace) -> int:
    chosen = dip.second_review(args.sample, size=args.size, fraction=args.fraction,
                               out=args.out)
    print(f"{len(chosen)} cases for a second, independent review:")
    for crn in chosen:
        print(f"  {crn}")
    if args.out:
        print(f"Wrote {args.out}.")
    return 0


def _dip_evaluate(args: argparse.Namespace) -> int:
    outcome = dip.evaluate(args.results, sample_path=args.sample, confidence=args.confidence,
                           interval=args.interval)
    ev = outcome.evaluation
    if args.format == "json":
        json.dump(ev.as_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        total = sum(outcome.population.values())
        conf = f"{100 * args.confidence:g}%"
        for q in ev.questions:
            print(f"{q.question_id}: {q.failing} of {q.assessed} failing ({_pct(q.proportion)})"
                  f"; exact {conf} interval {_pct(q.exact[0])} to {_pct(q.exact[1])}, "
                  f"Wilson {_pct(q.wilson[0])} to {_pct(q.wilson[1])}")
            for line in textwrap.wrap(q.statement(total), width=88):
                print(f"  {line}")
        for a in ev.agreement:
            label = a.question_id or "all questions"
            if a.pairs:
                kappa = "not defined" if a.kappa != a.kappa else f"{a.kappa:.2f}"
                print(f"Agreement, {label}: {a.pairs} pairs, {_pct(a.percent_agreement)} "
                      f"agree, kappa {kappa}")
    for w in outcome.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _dip_report(args: argparse.Namespace) -> int:
    from sfo.services import dip_report

    written = dip_report.write(args.results, sample_path=args.sample, out=args.out,
                               bundle=args.bundle, purpose=args.purpose, title=args.title,
                               confidence=args.confidence)
    print("Wrote " + " and ".join(str(p) for p in written) + ".")
    return 0


def _write_csv(out: TextIO, rows: list[dict[str, Any]], cols: list[str]) -> None:
    exports.write_rows(out, rows, cols)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
