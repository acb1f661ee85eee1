"""Sub-commands of `sfo` for SFO reviews: `sfo review ...` and `sfo reviews themes`.

`sfo review draft` works on a bundle and keeps nothing. The other steps work
on reviews kept in the database (`--db URL`, default the SFO_DATABASE_URL
setting, else SFO_DATA_DIR/sfo.db); each change is one versioned save, so a
change made from an out-of-date copy is refused rather than overwriting
someone else's. The app is where most of a review is written; these commands
cover what a reviewer or an administrator needs from a terminal.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any

from sfo.errors import InputError

DB_HELP = ("database URL, e.g. sqlite:///var/sfo.db or postgresql://user@host/db "
           "(default: the SFO_DATABASE_URL setting, else SFO_DATA_DIR/sfo.db)")
PARTS = {"background": "the case background", "risk-profile": "the risk profile at the time",
         "family-summary": "the summary for the victim's family",
         "assessment": "the analysis of assessment", "planning": "the analysis of planning",
         "implementation-and-delivery": "the analysis of implementation and delivery",
         "reviewing": "the analysis of reviewing",
         "risk-management": "the analysis of risk management",
         "management-oversight": "the analysis of management oversight"}


def add_commands(sub: Any) -> None:
    """Register `sfo review` and `sfo reviews` on the `sfo` parser."""
    from sfo import cli

    rv = sub.add_parser("review", help="SFO reviews: draft, write, finalise, family summary.",
                        description="The independent reviewer's SFO review: the chronology, "
                                    "key episodes judged on what was known then, analysis, "
                                    "the overall judgement, contributory factors, learning, "
                                    "actions and the summary for the victim's family.")
    rsub = rv.add_subparsers(dest="review_command", metavar="STEP")
    rv.set_defaults(run=lambda args: (rv.print_help(), 0)[1])

    d = rsub.add_parser("draft", help="A draft review from the evidence alone (no database).",
                        description="Reconstruct the chronology, suggest the key episodes and "
                                    "contributory factors from a bundle, and write a DRAFT "
                                    "review (Word, with an HTML copy beside it). Nothing is "
                                    "judged for the reviewer.")
    d.add_argument("bundle", type=cli._existing, help="bundle folder or .zip")
    d.add_argument("--crn", required=True, help="the person (e.g. X320741)")
    d.add_argument("--out", type=Path, required=True, help="FILE.docx to write")
    d.add_argument("--as-of", type=cli._date, help="judge practice up to this date (default: "
                   "the first CNOC contact, else today)")
    d.add_argument("--rules", type=cli._existing, help="local rule pack laid over the default")
    d.add_argument("--mapping", type=cli._existing, help="header mapping file (TOML)")
    d.add_argument("--audience", choices=["restricted", "shared"], default="restricted",
                   help="restricted: manager, reviewer and HR (default); shared: restricted "
                   "entries and factors left out")
    d.add_argument("--family-out", type=Path, help="also write the family summary draft to "
                   "this FILE.docx (and .html)")
    d.add_argument("--pdf", action="store_true", help="also write a PDF (needs LibreOffice)")
    d.set_defaults(run=_draft)

    st = _stored(rsub, "start", "Start a stored review of an imported case.",
                 "Start a review of a case imported with `sfo import`. The early look given "
                 "(else the person's newest, a final one first) gives its date and working "
                 "context; episodes and factors are suggested from the findings.", with_id=False)
    st.add_argument("--crn", required=True)
    st.add_argument("--early-look", type=int, help="the early look to start from")
    st.add_argument("--as-of", type=cli._date)
    st.set_defaults(run=_start)

    ls = _stored(rsub, "list", "The stored reviews of one person.",
                 "Each review of a person: id, status, version, judgement.", with_id=False)
    ls.add_argument("--crn", required=True)
    ls.set_defaults(run=_list)

    sh = _stored(rsub, "show", "Where a stored review stands.",
                 "Status, version, what each section holds, what blocks finalising and the "
                 "quality check's prompts.")
    sh.set_defaults(run=_show)

    se = _stored(rsub, "set", "Write one section of a review.",
                 "Write (or replace) the text of one section: "
                 + "; ".join(f"{k} ({v})" for k, v in PARTS.items()) + ".")
    se.add_argument("--part", required=True, choices=list(PARTS))
    text = se.add_mutually_exclusive_group(required=True)
    text.add_argument("--text")
    text.add_argument("--file", type=cli._existing, help="read the text from a UTF-8 file")
    se.set_defaults(run=_set)

    ju = _stored(rsub, "judge", "Record the overall judgement.",
                 "Were all reasonable steps taken to manage the risk of serious harm? Yes, "
                 "partly or no, with the reasons. The toolkit never answers this for you.")
    ju.add_argument("--answer", required=True, choices=["yes", "partly", "no"])
    ju.add_argument("--reasons", required=True)
    ju.set_defaults(run=_judge)

    cc = _stored(rsub, "consider-context", "Say how the working context was considered.",
                 "Record how the working context (workload, staffing, supervision, training, "
                 "experience, systems, partner information) was considered, and why no "
                 "further factor was found where none was.")
    cc.add_argument("--statement", required=True)
    cc.set_defaults(run=_consider)

    le = _stored(rsub, "learning", "Add learning at one level.",
                 "Add learning at individual, team, organisational or system level.")
    le.add_argument("--level", required=True,
                    choices=["individual", "team", "organisational", "system"])
    le.add_argument("--text", required=True)
    le.set_defaults(run=_learning)

    ac = _stored(rsub, "action", "Add an action to the plan.",
                 "An action is specific, owned by a role (never a person), dated and linked "
                 "to the findings (rule ids) or factors (codes) it answers.")
    ac.add_argument("--description", required=True)
    ac.add_argument("--owner-role", required=True, help="e.g. 'Head of the probation "
                    "delivery unit'")
    ac.add_argument("--due", required=True, type=cli._date)
    ac.add_argument("--link", action="append", required=True,
                    help="a rule id or factor code (repeat for more)")
    ac.set_defaults(run=_action)

    qu = _stored(rsub, "quality", "The quality check before finalising.",
                 "What the Inspectorate and a family would notice: standards not covered, "
                 "hindsight, blame wording (with a neutral alternative), acronyms and "
                 "readability in the family summary. Only BLOCK items stop finalising.")
    qu.set_defaults(run=_quality)

    fi = _stored(rsub, "finalise", "Finalise this version (refused while anything blocks it).",
                 "Finalise the review's current version. Refused, with what blocks it, "
                 "without an overall judgement or while the working context is unconsidered. "
                 "The documents are kept as issued, with their fingerprints.")
    fi.set_defaults(run=_finalise)

    ro = _stored(rsub, "reopen", "Reopen a final review as its next version.",
                 "A final review cannot change. Reopening starts the next version; the note "
                 "says what will change and why, and every note is kept.")
    ro.add_argument("--note", required=True)
    ro.set_defaults(run=_reopen)

    ex = _stored(rsub, "export", "Write a stored review's document.",
                 "A final version: the document as it was issued. A draft: the document as it "
                 "stands, marked DRAFT. PDF needs LibreOffice.")
    ex.add_argument("--out", type=Path, required=True, help="FILE.docx, FILE.html or FILE.pdf")
    ex.add_argument("--audience", choices=["restricted", "shared"], default="restricted",
                    help="restricted: manager, reviewer and HR (default); shared: without "
                    "restricted entries and factors")
    ex.add_argument("--version", type=int, help="an earlier final version")
    ex.set_defaults(run=_export)

    fs = _stored(rsub, "family-summary", "Write the summary for the victim's family.",
                 "The plain-English summary: no staff names or codes, no restricted entries, "
                 "no sensitive contacts or other people's information.")
    fs.add_argument("--out", type=Path, required=True, help="FILE.docx, FILE.html or FILE.pdf")
    fs.add_argument("--version", type=int, help="an earlier final version")
    fs.set_defaults(run=_family)

    rs = sub.add_parser("reviews", help="Across stored reviews: themes.",
                        description="Look across every stored SFO review.")
    rssub = rs.add_subparsers(dest="reviews_command", metavar="STEP")
    rs.set_defaults(run=lambda args: (rs.print_help(), 0)[1])
    th = rssub.add_parser("themes", help="Factors, findings, trends and learning themes.",
                          description="Count contributory factors and findings across "
                                      "reviews, show them by quarter, and group the learning "
                                      "into themes (TF-IDF and clustering: a reading aid, not "
                                      "a finding).")
    th.add_argument("--pdu", help="only reviews of people in this probation delivery unit")
    th.add_argument("--from", dest="start", type=cli._date, help="first date (YYYY-MM-DD)")
    th.add_argument("--to", dest="end", type=cli._date, help="last date (YYYY-MM-DD)")
    th.add_argument("--final-only", action="store_true", help="only finalised reviews")
    th.add_argument("--format", choices=["table", "json"], default="table")
    th.add_argument("--db", metavar="URL", default=None, help=DB_HELP)
    th.set_defaults(run=_themes)


def _stored(rsub: Any, name: str, help_: str, description: str, *,
            with_id: bool = True) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = rsub.add_parser(name, help=help_, description=description)
    if with_id:
        p.add_argument("id", type=int, help="the review's number")
    p.add_argument("--db", metavar="URL", default=None, help=DB_HELP)
    p.add_argument("--by", default=None, help="who does it (default: your user name)")
    return p


def _actor(args: argparse.Namespace) -> str:
    from sfo import cli

    return cli._actor(args)


def _wrap(text: str, indent: str = "    ") -> str:
    return "\n".join(textwrap.wrap(text, width=88, initial_indent=indent,
                                   subsequent_indent=indent)) or indent


def _draft(args: argparse.Namespace) -> int:
    from sfo.services import reviews

    written, p = reviews.write_draft(
        args.bundle, crn=args.crn, out=args.out, as_of=args.as_of, rules=args.rules,
        mapping=args.mapping, audience=args.audience, make_pdf=args.pdf,
        family_out=args.family_out)
    s = p.state
    gaps = sum(1 for e in s.episodes if e.kind == "gap")
    print(f"Wrote a DRAFT SFO review of {s.crn} (as of {s.as_of}):")
    for path in written:
        print(f"  {path}")
    print(f"Suggested {len(s.episodes)} key episodes ({gaps} gaps, {len(s.episodes) - gaps} "
          f"good practice) and {len(s.factors)} contributory factors from the working "
          "context.")
    print("It is a draft from the evidence alone: the reviewer writes the analysis, the "
          "judgement, the learning and the family summary.")
    return 0


def _start(args: argparse.Namespace) -> int:
    from sfo.services import reviews

    opened = reviews.start_stored(crn=args.crn, actor=_actor(args), url=args.db,
                                  as_of=args.as_of, early_look_id=args.early_look)
    s = opened.state
    print(f"Started review {opened.id} of {s.crn} (as of {s.as_of}), saved as a draft: "
          f"{len(s.episodes)} key episodes and {len(s.factors)} contributory factors "
          "suggested.")
    print(f"Next: `sfo review show {opened.id}`.")
    return 0


def _list(args: argparse.Namespace) -> int:
    from sfo.domain import review as domain
    from sfo.services import reviews

    found = reviews.list_stored(crn=args.crn, actor=_actor(args), url=args.db)
    if not found:
        print(f"No reviews of {args.crn} yet. Start one with `sfo review start --crn "
              f"{args.crn}`.")
        return 0
    for o in found:
        j = o.state.judgement
        judged = domain.JUDGEMENTS[j.all_reasonable_steps] if j else "no judgement yet"
        print(f"{o.id:>5}  {o.status:<5}  version {o.state.version}  as of {o.state.as_of}  "
              f"{judged}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from sfo.domain import quality
    from sfo.domain import review as domain
    from sfo.services import reviews

    o = reviews.open_stored(args.id, actor=_actor(args), url=args.db)
    s = o.state
    print(f"Review {o.id} of {s.crn} as of {s.as_of}: {o.status}, version {s.version} "
          f"(last saved by {o.updated_by}).")
    if o.fingerprint:
        print(f"Fingerprint: {o.fingerprint}")
    written = sum(1 for h in domain.HEADINGS if s.analysis_of(h))
    j = s.judgement
    print(f"  Background: {'written' if s.background else 'not written'}; risk profile: "
          f"{'written' if s.risk_profile else 'not written'}.")
    print(f"  Key episodes: {len(s.episodes)}; analysis: {written} of {len(domain.HEADINGS)} "
          "headings written.")
    print(f"  Overall judgement: {domain.JUDGEMENTS[j.all_reasonable_steps] if j else 'none'}.")
    print(f"  Contributory factors: {len(s.factors)}; learning: {len(s.learning)}; actions: "
          f"{len(s.actions)}.")
    print(f"  Family summary: {'written' if s.family_summary else 'not written'}.")
    if o.status == "final":
        return 0
    items = quality.check(s)
    blocks = [i for i in items if i.severity == "block"]
    print("Ready to finalise." if not blocks else
          f"{len(blocks)} thing{'s' if len(blocks) != 1 else ''} block finalising:")
    for i in blocks:
        print(_wrap(f"- {i.message} {i.suggestion}".strip(), "  "))
    prompts = len(items) - len(blocks)
    if prompts:
        print(f"The quality check has {prompts} prompt{'s' if prompts != 1 else ''}: "
              f"`sfo review quality {o.id}`.")
    return 0


def _change(args: argparse.Namespace, change: Any, note: str) -> Any:
    from sfo.services import reviews

    return reviews.change_stored(args.id, change, actor=_actor(args), url=args.db, note=note)


def _set(args: argparse.Namespace) -> int:
    from sfo.domain import review as domain

    text = args.text if args.text is not None else _read_text(args.file)
    part = args.part
    if part == "background":
        def change(s: Any) -> Any:
            return domain.set_background(s, background=text)
    elif part == "risk-profile":
        def change(s: Any) -> Any:
            return domain.set_background(s, risk_profile=text)
    elif part == "family-summary":
        def change(s: Any) -> Any:
            return domain.set_family_summary(s, text)
    else:
        heading = part.replace("-", "_")

        def change(s: Any) -> Any:
            return domain.set_analysis(s, heading, text)
    _change(args, change, f"wrote {PARTS[part]}")
    print(f"Saved {PARTS[part]} ({len(text.split())} words).")
    return 0


def _read_text(path: Path) -> str:
    try:
        return path.read_text("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text. Save it as UTF-8 (in Word: Save As, "
                         "Plain Text, Unicode (UTF-8)) and try again.") from None


def _judge(args: argparse.Namespace) -> int:
    from sfo.domain import review as domain

    who = _actor(args)
    _change(args, lambda s: domain.set_judgement(s, args.answer, reasons=args.reasons, by=who),
            f"recorded the overall judgement: {args.answer}")
    print(f"Overall judgement recorded: {domain.JUDGEMENTS[args.answer]}.")
    return 0


def _consider(args: argparse.Namespace) -> int:
    from sfo.domain import review as domain

    who = _actor(args)
    _change(args, lambda s: domain.consider_context(s, args.statement, by=who),
            "recorded how the working context was considered")
    print(f"Recorded how the working context was considered (by {who}).")
    return 0


def _learning(args: argparse.Namespace) -> int:
    from sfo.domain import review as domain

    saved = _change(args, lambda s: domain.add_learning(s, args.level, args.text),
                    f"added {args.level} learning")
    item = saved.state.learning[-1]
    print(f"Added {item.learning_id} ({args.level} learning).")
    return 0


def _action(args: argparse.Namespace) -> int:
    from sfo.domain import review as domain

    who = _actor(args)
    saved = _change(args, lambda s: domain.add_action(
        s, args.description, owner_role=args.owner_role, due=args.due, links=args.link,
        by=who), "added an action")
    item = saved.state.actions[-1]
    print(f"Added action {item.action_id}, owned by {item.owner_role}, due {item.due}.")
    return 0


def _quality(args: argparse.Namespace) -> int:
    from sfo.services import reviews

    items = reviews.quality(args.id, actor=_actor(args), url=args.db)
    if not items:
        print("The quality check found nothing to raise.")
        return 0
    for i in items:
        print(f"{i.severity.upper():<6} {i.where}: {i.message}")
        if i.suggestion:
            print(_wrap(i.suggestion, "       "))
    return 0


def _finalise(args: argparse.Namespace) -> int:
    from sfo.services import reviews

    who = _actor(args)
    opened = reviews.open_stored(args.id, actor=who, url=args.db)
    final = reviews.finalise_stored(args.id, expected_version=opened.version, actor=who,
                                    url=args.db)
    print(f"Review {args.id} version {final.state.version} is final. Fingerprint: "
          f"{final.fingerprint}")
    print("Its restricted and shared review and the family summary are kept as issued; "
          f"write them with `sfo review export {args.id} --out FILE.docx` and "
          f"`sfo review family-summary {args.id} --out FILE.docx`.")
    return 0


def _reopen(args: argparse.Namespace) -> int:
    from sfo.services import reviews

    opened = reviews.reopen_stored(args.id, note=args.note, actor=_actor(args), url=args.db)
    print(f"Review {args.id} is reopened as version {opened.state.version} (a draft). "
          f"Version {opened.state.version - 1} stays as it was issued.")
    return 0


def _fmt(out: Path) -> str:
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("docx", "html", "pdf"):
        raise InputError(f"--out {out}: name it FILE.docx, FILE.html or FILE.pdf.")
    return fmt


def _write(args: argparse.Namespace, audience: str) -> int:
    from sfo.services import reviews

    got = reviews.export_stored(args.id, audience=audience, fmt=_fmt(args.out),
                                actor=_actor(args), url=args.db, version=args.version)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(got.data)
    print(f"Wrote {got.label} to {args.out}.")
    return 0


def _export(args: argparse.Namespace) -> int:
    return _write(args, args.audience)


def _family(args: argparse.Namespace) -> int:
    return _write(args, "family")


def _themes(args: argparse.Namespace) -> int:
    from sfo.services import themes

    report = themes.across_reviews(url=args.db, pdu=args.pdu, start=args.start, end=args.end,
                                   final_only=args.final_only)
    if args.format == "json":
        json.dump(report.as_dict(), sys.stdout, indent=2, default=_json_default)
        print()
        return 0
    print(themes.as_text(report))
    return 0


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
