"""Sub-commands of `sfo` for the store: `sfo db`, `sfo audit`, `sfo backup`.

Each takes ``--db URL`` (default: the SFO_DATABASE_URL setting, else the
SQLite file sfo.db in SFO_DATA_DIR). Every command but ``sfo db upgrade``
checks the schema revision first and refuses a database that is empty, behind
or newer than this version. Errors are SfoError subclasses: `sfo` prints the
message and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sfo import bootstrap

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# The services below load the store (SQLAlchemy, SQLModel, Alembic: most of a
# second), so each command imports them when it runs rather than every `sfo`
# invocation paying for them.

DB_HELP = ("database URL, e.g. sqlite:///var/sfo.db or postgresql://user@host/db "
           "(default: the SFO_DATABASE_URL setting, else SFO_DATA_DIR/sfo.db)")


def add_commands(sub: Any) -> None:
    """Register this module's sub-commands on the `sfo` parser."""
    db = sub.add_parser("db", help="The database: create or upgrade its schema, show its "
                        "revision.",
                        description="Create the database's schema or upgrade it to this "
                                    "version of the toolkit, and show which revision it is at.")
    dsub = db.add_subparsers(dest="db_command", metavar="STEP")
    db.set_defaults(run=_help(db))
    up = dsub.add_parser("upgrade", help="Create the schema, or upgrade it to this version.",
                         description="Create the schema in an empty database, or bring it up "
                                     "to this version's newest revision, in one transaction "
                                     "(all or nothing).")
    _db_option(up)
    up.set_defaults(run=_db_upgrade)
    cur = dsub.add_parser("current", help="Show the schema revision and whether it is the "
                          "newest.")
    _db_option(cur)
    cur.set_defaults(run=_db_current)

    au = sub.add_parser("audit", help="The audit log: check it, show a case's trail.",
                        description="Every view and change of a case is written to an "
                                    "append-only, hash-chained audit log.")
    asub = au.add_subparsers(dest="audit_command", metavar="STEP")
    au.set_defaults(run=_help(au))
    ver = asub.add_parser("verify", help="Check that no entry was edited, inserted or removed.")
    _db_option(ver)
    ver.set_defaults(run=_audit_verify)
    show = asub.add_parser("show", help="Who looked at or changed a case, when, and what.",
                           description="The audit trail of one person, oldest first. Looking "
                                       "at it is itself recorded.")
    show.add_argument("--crn", required=True, help="the person (e.g. X320741)")
    show.add_argument("--format", choices=["table", "json"], default="table")
    _db_option(show)
    show.set_defaults(run=_audit_show)

    bk = sub.add_parser("backup", help="Back up the database and check that the copy restores.",
                        description="SQLite: copy the database while it is in use (SQLite's "
                                    "online backup) and check the copy. PostgreSQL: print "
                                    "the pg_dump and pg_restore commands to use.")
    bk.add_argument("--out", type=Path, required=True, help="the backup file to write (must "
                    "not exist)")
    _db_option(bk)
    bk.set_defaults(run=_backup)


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL", default=None, help=DB_HELP)


def _help(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def run(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 0
    return run


def _who() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def _url(args: argparse.Namespace) -> str:
    return str(args.db) if args.db else bootstrap.database_url()


@contextmanager
def _opened(args: argparse.Namespace, *, check: bool = True) -> Iterator[Engine]:
    """The engine for --db, schema checked first (unless ``check`` is False)."""
    from sfo.services import database

    engine = bootstrap.engine(_url(args))
    try:
        if check:
            database.check(engine=engine)
        yield engine
    finally:
        engine.dispose()


def _printable(text: str) -> str:
    """Text safe to print on a terminal (an entry could carry control characters)."""
    return "".join(c if c.isprintable() else " " for c in text)


# -- sfo db ------------------------------------------------------------------
def _db_upgrade(args: argparse.Namespace) -> int:
    from sfo.services import database

    with _opened(args, check=False) as engine:
        done = database.upgrade(engine=engine, uow=bootstrap.unit_of_work(engine),
                                actor=_who())
    if done.before is None:
        print(f"Created the schema in {done.where} at revision {done.after} (the newest).")
    elif done.changed:
        print(f"Upgraded {done.where} from revision {done.before} to {done.after} "
              "(the newest).")
    else:
        print(f"{done.where} is already at revision {done.after} (the newest): nothing to do.")
    return 0


def _db_current(args: argparse.Namespace) -> int:
    from sfo.services import database

    with _opened(args, check=False) as engine:
        state = database.status(engine=engine)
    print(f"Database: {state.where}")
    if state.current is None:
        print("Revision: none")
    elif state.at_head:
        print(f"Revision: {state.current} (the newest this version knows: up to date)")
    elif state.known:
        print(f"Revision: {state.current} (older than this version's {state.head})")
    else:
        print(f"Revision: {state.current} (unknown to this version, whose newest is "
              f"{state.head})")
    problem = state.problem()
    if problem:
        print(f"sfo: {problem}", file=sys.stderr)
        return 2
    return 0


# -- sfo audit ---------------------------------------------------------------
def _audit_verify(args: argparse.Namespace) -> int:
    from sfo.services import audit as audit_service

    with _opened(args) as engine:
        result = audit_service.check(uow=bootstrap.unit_of_work(engine))
    if result.intact:
        noun = "entry" if result.entries == 1 else "entries"
        print(f"The audit log is intact: {result.entries:,} {noun}.")
        return 0
    noun = "problem" if len(result.problems) == 1 else "problems"
    print(f"sfo: The audit log is NOT intact ({result.entries:,} entries left, "
          f"{len(result.problems)} {noun}):", file=sys.stderr)
    for p in result.problems:
        print(f"  - {p}", file=sys.stderr)
    print("Keep the database as it is (do not repair it) and report this: the log shows "
          "where it was changed.", file=sys.stderr)
    return 2


def _audit_show(args: argparse.Namespace) -> int:
    from sfo.services import audit as audit_service

    with _opened(args) as engine:
        entries = audit_service.for_case(args.crn, uow=bootstrap.unit_of_work(engine),
                                         actor=_who())
    rows = [{"seq": e.seq, "at": e.at.isoformat(timespec="seconds"), "actor": e.actor,
             "action": e.action, "object_type": e.object_type, "object_id": e.object_id,
             "summary": e.summary} for e in entries]
    if args.format == "json":
        json.dump({"crn": args.crn, "entries": rows}, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    print(f"Audit trail of {_printable(args.crn)}: {len(rows)} "
          f"entr{'y' if len(rows) == 1 else 'ies'} (times in UTC), oldest first")
    for e in entries:
        when = e.at.strftime("%Y-%m-%d %H:%M:%S")
        what = _printable(f"{e.object_type} {e.object_id}")
        print(f"  {when}  {_printable(e.actor)[:16]:16} {_printable(e.action)[:14]:14} "
              f"{what[:28]:28} {_printable(e.summary)}")
    return 0


# -- sfo backup --------------------------------------------------------------
def _backup(args: argparse.Namespace) -> int:
    from sfo.services import database

    url = _url(args)
    # A database behind this version passes this check (back up before upgrading).
    with _opened(args, check=False) as engine:
        database.check_for_backup(engine=engine)
        if not database.is_sqlite(engine):
            cmds = database.pg_commands(url, str(args.out))
            print("sfo: sfo backup copies SQLite databases only. Back up PostgreSQL with its "
                  "own tools:", file=sys.stderr)
            print(f"  {cmds.dump}", file=sys.stderr)
            print("To check the dump restores, restore it into a new, empty database, then "
                  "run `sfo audit verify --db` on that one:", file=sys.stderr)
            print(f"  {cmds.createdb}", file=sys.stderr)
            print(f"  {cmds.restore}", file=sys.stderr)
            if cmds.has_password:
                print("The password is shown as ***: give it with PGPASSWORD or ~/.pgpass, "
                      "not on the command line.", file=sys.stderr)
            return 2
        report = database.backup(engine=engine, uow=bootstrap.unit_of_work(engine),
                                 out=args.out, actor=_who())
    total = sum(report.counts.values())
    print(f"Backed up {report.source} to {report.path} ({report.size / 1e6:,.1f} MB) with "
          "SQLite's online backup.")
    print("Checked the copy, opened read-only:")
    print(f"  integrity check: {report.integrity}")
    print(f"  schema revision: {report.revision}, as in the original")
    print(f"  rows: the same as the original in all {len(report.counts)} tables "
          f"({total:,} rows)")
    if report.audit_entries is None:
        print("  audit log: not checked (the database is at an older schema revision): run "
              "`sfo audit verify` after `sfo db upgrade`")
    else:
        print(f"  audit log: intact, {report.audit_entries:,} entries")
    print("To restore it, see docs/store.md (How to restore).")
    return 0
