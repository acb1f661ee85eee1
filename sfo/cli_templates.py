"""Sub-commands of `sfo` for document templates: `sfo templates check` and `sfo templates list`.

``check`` reads a template someone has edited (Word or web page) and lists
every problem with it in plain English, each naming the paragraph, table row
or line; ``list`` shows which template each document uses now (shipped, or a
local one from SFO_TEMPLATE_DIR). Neither changes anything. Errors are
SfoError subclasses: `sfo` prints the message and exits 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sfo import config
from sfo.errors import InputError, NotFound

KINDS = ("early_look", "review", "family_summary")


def add_commands(sub: Any) -> None:
    """Register this module's sub-commands on the `sfo` parser."""
    tp = sub.add_parser("templates", help="Document templates: check an edited one, list those "
                        "in use.",
                        description="The Word and web-page templates the early look, the SFO "
                                    "review and the family summary are made from (see "
                                    "docs/templates.md).")
    tsub = tp.add_subparsers(dest="templates_command", metavar="STEP")
    tp.set_defaults(run=lambda _args: (tp.print_help(), 0)[1])
    check = tsub.add_parser("check", help="Check an edited template before it is used.",
                            description="Check a template (.docx or .html.j2) for everything "
                                        "that would stop it working, and list each problem "
                                        "with where it is and how to fix it. Nothing is "
                                        "installed or changed.")
    check.add_argument("file", type=Path, metavar="FILE", help="the template: a .docx (Word) "
                       "or .html.j2 (web page) file")
    check.add_argument("--kind", required=True, choices=KINDS,
                       help="which document it is a template for")
    check.set_defaults(run=_check)
    inst = tsub.add_parser("install", help="Check a template and, if it can be used, "
                           "install it.",
                           description="Check a template as `check` does and, only if it has "
                                       "no problem, copy it into the folder named by "
                                       "SFO_TEMPLATE_DIR under the name the toolkit looks "
                                       "for. A local template it replaces is kept beside it.")
    inst.add_argument("file", type=Path, metavar="FILE", help="the template (.docx or "
                      ".html.j2)")
    inst.add_argument("--kind", required=True, choices=KINDS,
                      help="which document it is a template for")
    inst.set_defaults(run=_install)
    listing = tsub.add_parser("list", help="Show which template each document uses now.",
                              description="Each document's Word and web-page template: the "
                                          "shipped one, or a local one from the folder named "
                                          "by SFO_TEMPLATE_DIR, with the first 12 characters "
                                          "of its SHA-256.")
    listing.set_defaults(run=_list)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"There is no file {path}.") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder: give the template file itself.") from None
    except OSError as exc:
        raise InputError(f"{path} cannot be read: {exc.strerror or exc}.") from None


def _install(args: argparse.Namespace) -> int:
    from sfo.services import templates

    target, kept = templates.install(args.kind, _read(args.file), str(args.file))
    print(f"The template {args.file} was checked and installed as {target}; new documents "
          "use it from now on.")
    if kept is not None:
        print(f"The local template it replaces is kept as {kept}.")
    return 0


def _check(args: argparse.Namespace) -> int:
    from sfo.documents import validation

    path: Path = args.file
    data = _read(path)
    report = validation.check_template(args.kind, data, str(path))
    what = validation.KIND_NAMES[args.kind]
    if report.ok:
        installed = validation.TEMPLATE_FILES[args.kind][report.format]
        print(f"The template {path} can be used.")
        print(f"To use it, copy it into the folder named by SFO_TEMPLATE_DIR as {installed} "
              "(see docs/templates.md).")
        return 0
    count = len(report.problems)
    noun = "problem" if count == 1 else "problems"
    print(f"sfo: The template {path} cannot be used as the {what} template: {count} {noun}.",
          file=sys.stderr)
    for problem in report.problems:
        print(f"  - {problem}", file=sys.stderr)
    if not report.fully_checked:
        them, are = ("this", "it is") if count == 1 else ("these", "they are")
        print(f"Fix {them} and check the template again: the remaining checks (that a "
              f"document made from it shows everything it must) run once {are} fixed.",
              file=sys.stderr)
    return 2


def _list(_args: argparse.Namespace) -> int:
    from sfo.documents import validation

    folder = config.setting("SFO_TEMPLATE_DIR")
    if folder and not Path(folder).is_dir():
        raise InputError(f"SFO_TEMPLATE_DIR is set to {folder}, which is not a folder, so no "
                         "document can be made. Set it to the folder of your templates, or "
                         "unset it to use the shipped ones.")
    if folder:
        print(f"Templates in use (local ones from SFO_TEMPLATE_DIR, {folder}; the shipped "
              "one where it has none):")
    else:
        print("Templates in use (SFO_TEMPLATE_DIR is not set, so all are the shipped ones):")
    print(f"  {'document':16} {'format':10} {'source':8} {'SHA-256':12}  file")
    for t in validation.templates_in_use():
        source = "local" if t.local else "shipped"
        print(f"  {t.kind:16} {validation.FORMAT_NAMES[t.format]:10} {source:8} "
              f"{t.sha256[:12]}  {t.path}")
    return 0
