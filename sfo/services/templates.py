"""Document templates: check an edited one, install it, and say which are in use.

The verbs behind `sfo templates` and the app's administration page. A
template is checked (:func:`sfo.documents.validation.check_template`) every
time it is uploaded or installed; one with any problem is refused, listing
each in words a Word user understands, and nothing is written. An installed
template goes into the folder named by SFO_TEMPLATE_DIR under its shipped
name; the local template it replaces is kept beside it with the time in its
name, so nothing is lost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sfo import config
from sfo.documents import validation
from sfo.errors import InputError, TemplateInvalid

check = validation.check_template
in_use = validation.templates_in_use


def install(kind: str, data: bytes, filename: str) -> tuple[Path, Path | None]:
    """Check a template and, if it can be used, install it; returns (path, previous kept)."""
    folder_setting = config.setting("SFO_TEMPLATE_DIR")
    if not folder_setting:
        raise InputError("SFO_TEMPLATE_DIR is not set, so there is nowhere to put a local "
                         "template. Set it to a folder (for example var/templates) and try "
                         "again; the shipped templates are never changed.")
    report = validation.check_template(kind, data, filename)
    if not report.ok:
        problems = "\n".join(f"  - {p}" for p in report.problems)
        raise TemplateInvalid(filename, f"{len(report.problems)} problem"
                              f"{'s' if len(report.problems) != 1 else ''} found, so it was "
                              f"not installed:\n{problems}")
    folder = Path(folder_setting)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / validation.TEMPLATE_FILES[kind][report.format]
    kept = None
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = target.with_name(f"{target.name}.{stamp}.previous")
        target.replace(kept)
    part = target.with_name(target.name + ".part")
    part.write_bytes(data)
    part.replace(target)
    return target, kept
