"""Sub-commands of `sfo` (registered by :func:`add_commands`): `sfo import`.

Also the glue that lets `sfo findings` and `sfo timeline` read stored cases
(``--db``) instead of a bundle. The store's services load SQLAlchemy and
pyarrow's writers, so they are imported when a command runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sfo import config
from sfo.errors import InputError

if TYPE_CHECKING:
    from sfo.domain.records import CaseRecords
    from sfo.services.records import ImportReport

DB_HELP = ("database URL, e.g. sqlite:///var/sfo.db or postgresql://user@host/db "
           "(default: the SFO_DATABASE_URL setting, else SFO_DATA_DIR/sfo.db)")
# Reading each file, then storing each file: the steps of the progress bar.
_STEPS = 2 * 11


def add_commands(sub: Any) -> None:
    """Register this module's sub-commands on the `sfo` parser."""
    from sfo import cli

    p = sub.add_parser(
        "import", help="Import a bundle into the store (all or nothing).",
        description="Check a bundle, then store every record in the database in one "
                    "transaction: all of it or nothing. A newer export of the same people "
                    "updates what changed; importing the same export again changes nothing.")
    p.add_argument("bundle", type=cli._existing, help="bundle folder or .zip")
    p.add_argument("--mapping", type=cli._existing, help="header mapping file (TOML)")
    p.add_argument("--db", metavar="URL", default=None, help=DB_HELP)
    p.add_argument("--by", default=None, help="who imports (default: your user name)")
    p.add_argument("--progress", choices=["auto", "always", "never"], default=None,
                   help="progress bar on stderr (default: the SFO_PROGRESS setting)")
    p.set_defaults(run=_import)


def db_option(parser: argparse.ArgumentParser) -> None:
    """`--db [URL]` for commands that can read stored cases instead of a bundle."""
    parser.add_argument("--db", nargs="?", const="", default=None, metavar="URL",
                        help="read the cases stored in the database instead of a bundle; "
                             "with no URL: the SFO_DATABASE_URL setting, else "
                             "SFO_DATA_DIR/sfo.db")


def source_of(args: argparse.Namespace) -> Path | None:
    """The bundle to read, or None to read the store (--db); refuses neither and both."""
    if args.db is None:
        if args.bundle is None:
            raise InputError(f"sfo {args.command}: give a bundle (a folder or .zip) or --db to "
                             "read the cases stored in the database.")
        return Path(args.bundle)
    if args.bundle is not None:
        raise InputError(f"sfo {args.command}: give a bundle or --db, not both (--db reads "
                         "the cases stored in the database).")
    if getattr(args, "mapping", None) is not None:
        raise InputError(f"sfo {args.command}: --mapping applies to a bundle; stored cases "
                         "were mapped when they were imported.")
    return None


def stored_records(args: argparse.Namespace, crn: str | None) -> CaseRecords:
    """The stored cases of one person (or everyone), for --db; the reading is audited."""
    from sfo.services import records

    return records.load_stored(args.db or None, crns=[crn] if crn else None,
                               actor=_actor(args))


def _actor(args: argparse.Namespace) -> str:
    by = getattr(args, "by", None)
    if by:
        return str(by)
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _import(args: argparse.Namespace) -> int:
    from sfo import cli
    from sfo.services import records

    mode = args.progress or config.setting("SFO_PROGRESS")
    if mode not in ("auto", "always", "never"):
        raise InputError(f"SFO_PROGRESS is '{mode}'; expected auto, always or never.")
    bar = None if mode == "never" else cli._Bar(mode, total=_STEPS)
    try:
        report = records.import_bundle(args.bundle, mapping=args.mapping, url=args.db,
                                       actor=_actor(args), progress=bar)
    finally:
        if bar is not None:
            bar.close()
    _print_report(report, sys.stdout)
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _print_report(report: ImportReport, out: Any) -> None:
    from sfo.domain.records import TABLES

    s = report.summary
    when = s.imported_at.strftime("%Y-%m-%d %H:%M UTC")
    out.write(f"Imported {s.source} into {report.database} as import #{s.import_id} "
              f"(by {s.imported_by}, {when}; {s.people_covered:,} people).\n")
    out.write(f"  {'file':20} {'added':>9} {'changed':>9} {'removed':>9} {'unchanged':>10}\n")
    for t in s.tables:
        name = TABLES[t.table].filename
        if not t.supplied:
            out.write(f"  {name:20} not supplied: nothing in the store changed\n")
            continue
        out.write(f"  {name:20} {t.added:9,} {t.changed:9,} {t.removed:9,} {t.unchanged:10,}\n")
    shown = [(TABLES[t.table].filename, c) for t in s.tables for c in t.changed_records]
    if shown:
        out.write("Changed records (the first 50 of each file are kept with the import):\n")
        for name, c in shown[:20]:
            out.write(f"  {name} {c.record_id}: {', '.join(c.fields) or '(extra columns)'}\n")
        if len(shown) > 20:
            out.write(f"  ... and {len(shown) - 20} more.\n")
    if any(t.removed for t in s.tables):
        out.write("Removed records are those of the people in this bundle's people.csv that "
                  "its files no longer hold;\nstaff-level files (staff, workload, training, "
                  "supervision, teams) are never removed from.\n")
    if not s.changed:
        if s.same_as is not None:
            out.write(f"Nothing changed: this export was imported before (import "
                      f"#{s.same_as[0]} on {s.same_as[1].strftime('%Y-%m-%d')}).\n")
        else:
            out.write("Nothing changed: every record of this export is already stored as it "
                      "is.\n")
