"""Administration: the audit log browsed and checked, and the rules, checklist, settings and
templates in use. The verbs behind the app's Audit log and Rules and settings pages.

Reading the audit log needs ``audit.view``, and each look at it is itself
written to the log (``view-audit``), in the same transaction as the reading.
Filters run in the database, a page of entries at a time, newest first, so a
long log is never loaded whole. Checking the log (:func:`verify`) reads it in
parts, each in a short transaction of its own, so a check of a long log never
keeps other people waiting for the database.

The rule pack, checklist, settings and templates need ``settings.view``. The
settings overview never shows the password of a database URL.

Dates given to the filters are days in the UK (Europe/London); the log keeps
times in UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import sqlalchemy as sa

from sfo import bootstrap, config, standards
from sfo.documents import exports, validation
from sfo.domain import access
from sfo.domain.access import Actor
from sfo.domain.themes import ThemesReport
from sfo.errors import InputError
from sfo.services import analysis, templates
from sfo.services import audit as audit_service
from sfo.store import audit as store_audit
from sfo.store import engine as store_engine

__all__ = [
    "CHECK_AUDIT",
    "PAGE_SIZE",
    "THEMES_TABLES",
    "UK",
    "AuditFilters",
    "AuditPage",
    "ChecklistOverview",
    "RuleOverview",
    "RulePackOverview",
    "SettingRow",
    "SettingsOverview",
    "TemplateRow",
    "audit_log",
    "check_template",
    "checklist",
    "install_template",
    "rule_pack",
    "settings_overview",
    "template_folder",
    "templates_in_use",
    "themes_csv",
    "uk_time",
    "verify",
]

Progress = Callable[[str], None]
UK = ZoneInfo("Europe/London")
PAGE_SIZE = 50
CHECK_AUDIT = "check-audit"
VERIFY_PART = 20_000        # entries read per transaction while checking the log


# -- the audit log ------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditFilters:
    """What to look for in the audit log; None (or empty) for no filter."""

    crn: str | None = None
    user: str | None = None          # part of who acted, or an account's user name
    start: date | None = None        # first UK day included
    end: date | None = None          # last UK day included
    action: str | None = None

    def describe(self) -> str:
        """The filters in words, for the audit entry and the page."""
        said = []
        if self.crn:
            said.append(f"CRN {self.crn}")
        if self.user:
            said.append(f"user '{self.user}'")
        if self.start:
            said.append(f"from {self.start.isoformat()}")
        if self.end:
            said.append(f"to {self.end.isoformat()}")
        if self.action:
            said.append(f"action {self.action}")
        return ", ".join(said) or "no filters"


@dataclass(frozen=True)
class AuditPage:
    """One page of audit entries matching the filters, newest first."""

    entries: tuple[store_audit.Entry, ...]
    total: int                      # entries matching the filters (on every page)
    page: int                       # 1 for the newest
    page_size: int
    filters: AuditFilters
    actions: tuple[str, ...]        # every kind of action in the log, for choosing one
    upto: int                       # the newest entry the pages run from (0: empty log)

    @property
    def pages(self) -> int:
        """How many pages the matching entries fill (at least 1)."""
        return max(1, -(-self.total // self.page_size))

    def frame(self) -> pd.DataFrame:
        """The entries as a table for people: UK time, who, what, about which case."""
        return pd.DataFrame(
            [{"No.": e.seq, "When (UK time)": uk_time(e.at), "Who": e.actor,
              "Action": e.action, "About": f"{e.object_type} {e.object_id}".strip(),
              "CRN": e.crn or "", "What happened": e.summary} for e in self.entries],
            columns=["No.", "When (UK time)", "Who", "Action", "About", "CRN",
                     "What happened"])


def uk_time(at: datetime) -> str:
    """A stored time (UTC) as the UK clock showed it, to the second."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=ZoneInfo("UTC"))
    return aware.astimezone(UK).strftime("%Y-%m-%d %H:%M:%S")


def _uk_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UK).astimezone(ZoneInfo("UTC"))


def audit_log(*, actor: Actor | str, crn: str | None = None, user: str | None = None,
              start: date | None = None, end: date | None = None, action: str | None = None,
              page: int = 1, page_size: int = PAGE_SIZE, upto: int | None = None,
              url: str | None = None) -> AuditPage:
    """One page of the audit log, newest first, filtered in the database; the look is audited.

    ``user`` matches part of who acted (any case), and also the display name of
    the account with that user name. ``start`` and ``end`` are UK days, both
    included. Pages count back from entry ``upto`` (None: the newest now; give
    the first page's ``upto`` for the next pages, so that entries written
    meanwhile, this look's own among them, do not shift them). The look is
    recorded after the reading, so it is not in the page it returns.
    """
    access.require(actor, "audit.view")
    filters = AuditFilters(crn=(crn or "").strip().upper() or None,
                           user=(user or "").strip() or None, start=start, end=end,
                           action=(action or "").strip() or None)
    if start is not None and end is not None and start > end:
        raise InputError(f"The dates are the wrong way round: from {start.isoformat()} is "
                         f"after to {end.isoformat()}.")
    if page_size < 1:
        raise InputError("A page holds at least one entry.")
    with bootstrap.engine_for(url) as engine, bootstrap.unit_of_work(engine) as uow:
        names = [filters.user] if filters.user else []
        if filters.user:
            names += [u.display_name for u in uow.users.list_all()
                      if u.username == filters.user.lower() and u.display_name]
        since = _uk_midnight(start) if start else None
        until = _uk_midnight(end + timedelta(days=1)) if end else None
        if upto is None:
            upto = store_audit.ends(uow.connection)[0]
        query: dict[str, Any] = {"crn": filters.crn, "actors": names,
                                 "action": filters.action, "since": since, "until": until,
                                 "upto": upto}
        page = max(page, 1)
        found, total = store_audit.search(uow.connection, **query, limit=page_size,
                                          offset=(page - 1) * page_size)
        pages = max(1, -(-total // page_size))
        if page > pages:     # the log matched fewer than before: show the last page
            page = pages
            found, total = store_audit.search(uow.connection, **query, limit=page_size,
                                              offset=(page - 1) * page_size)
        kinds = tuple(store_audit.actions(uow.connection))
        audit_service.record(
            uow, actor=actor, action=audit_service.VIEW_AUDIT, object_type="audit_log",
            object_id=filters.crn or "*", crn=filters.crn,
            summary=f"looked at the audit log ({filters.describe()}): page {page} of {pages}, "
                    f"{len(found)} of {total} entries")
        uow.commit()
    return AuditPage(tuple(found), total, page, page_size, filters, kinds, upto)


def verify(*, actor: Actor | str, url: str | None = None, progress: Progress | None = None,
           part: int = VERIFY_PART) -> audit_service.Verification:
    """Check every entry of the audit log, in parts; the check and its result are audited.

    The log is checked as it stood when the check began: entries written while
    it runs are checked next time. ``progress`` hears how far it has got.
    """
    access.require(actor, "audit.view")
    if part < 1:
        raise InputError("Check at least one entry at a time.")
    with bootstrap.engine_for(url) as engine:
        with bootstrap.unit_of_work(engine) as uow:
            highest, top = store_audit.ends(uow.connection)
        upto = top[0] if top is not None else highest
        seen = {"n": 0}

        def chain() -> Iterator[store_audit.Entry]:
            after = 0
            while True:
                with bootstrap.unit_of_work(engine) as uow:
                    found = store_audit.entries_after(uow.connection, after, upto=upto,
                                                      limit=part)
                yield from found
                seen["n"] += len(found)
                if progress is not None:
                    progress(f"Checked {seen['n']:,} of {upto:,} entries")
                if len(found) < part:
                    return
                after = found[-1].seq

        problems = store_audit.check_chain(chain(), top)
        if top is not None and highest > top[0]:
            problems.append(f"entries {top[0] + 1} to {highest} come after entry {top[0]}, "
                            "which is recorded as the latest: the record of the latest entry "
                            "was changed")
        said = ("intact" if not problems else
                f"NOT intact, {len(problems)} problem{'s' if len(problems) != 1 else ''}")
        try:
            with bootstrap.unit_of_work(engine) as uow:
                audit_service.record(uow, actor=actor, action=CHECK_AUDIT,
                                     object_type="audit_log", object_id="*", crn=None,
                                     summary=f"checked the audit log: {said} "
                                             f"({seen['n']:,} entries)")
                uow.commit()
        except sa.exc.IntegrityError:
            if not problems:
                raise
            # A damaged record of the latest entry points the next entry at a number already
            # used: the result still stands, and says so.
            problems.append("this check could not be written to the log either, because the "
                            "record of the latest entry is wrong; nothing can be added to the "
                            "log until the database is restored")
    return audit_service.Verification(entries=seen["n"], problems=problems)


# -- the rules and checklist in use -------------------------------------------------------------

@dataclass(frozen=True)
class RuleOverview:
    """One rule of the pack: what it is, whether it runs, and its main thresholds."""

    rule_id: str
    kind: str
    severity: str
    enabled: bool
    thresholds: tuple[str, ...]     # "name = value", "(local default)" when no national source


@dataclass(frozen=True)
class RulePackOverview:
    """The rule pack in use, where it comes from and each rule's thresholds."""

    name: str
    version: str
    origin: str                     # "shipped", or the local file laid over it
    setting: str                    # SFO_RULES as set ("" when not)
    sources: tuple[str, ...]
    rules: tuple[RuleOverview, ...]

    @property
    def shipped(self) -> bool:
        """Whether the shipped pack is used as it is."""
        return self.origin == "shipped"

    def frame(self) -> pd.DataFrame:
        """One row per rule for a table."""
        return pd.DataFrame(
            [{"Rule": r.rule_id, "Kind": r.kind.replace("_", " "), "Severity": r.severity,
              "Runs": "yes" if r.enabled else "no (switched off)",
              "Main thresholds": "; ".join(r.thresholds) or "none"} for r in self.rules],
            columns=["Rule", "Kind", "Severity", "Runs", "Main thresholds"])


def _threshold(key: str, value: Any, local: bool) -> str | None:
    note = " (local default)" if local else ""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return f"{key} = {value:g}{note}"
    if isinstance(value, dict) and value and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()):
        return f"{key}: " + ", ".join(f"{k} {v:g}" for k, v in value.items()) + note
    return None   # code lists are not thresholds; they are in the pack's file


def rule_pack(*, actor: Actor | str) -> RulePackOverview:
    """The rule pack the findings use now (SFO_RULES over the shipped one) and its thresholds."""
    access.require(actor, "settings.view")
    pack = analysis.rule_pack()
    rules = []
    for rule_id, values in pack.rules.items():
        shown = [_threshold(k, v, pack.is_local(rule_id, k)) for k, v in values.items()
                 if k not in ("kind", "severity", "local", "enabled")]
        rules.append(RuleOverview(rule_id, pack.kind(rule_id), pack.severity(rule_id),
                                  pack.enabled(rule_id), tuple(t for t in shown if t)))
    origin = "shipped" if pack.origin == "default" else pack.origin
    return RulePackOverview(pack.name, pack.version, origin, config.setting("SFO_RULES"),
                            pack.sources, tuple(rules))


@dataclass(frozen=True)
class ChecklistOverview:
    """The early-look checklist in use and where it comes from."""

    name: str
    version: str
    title: str
    origin: str                     # "shipped", or the local file that replaces it
    setting: str                    # SFO_CHECKLIST as set ("" when not)
    questions: tuple[tuple[str, str, str, tuple[str, ...]], ...]   # id, area, text, rule ids

    @property
    def shipped(self) -> bool:
        """Whether the shipped checklist is used."""
        return self.origin == "shipped"

    def frame(self) -> pd.DataFrame:
        """One row per question for a table."""
        return pd.DataFrame(
            [{"Question": q, "Area": area, "Asks": text,
              "Rules giving evidence": ", ".join(rules) or "none (the manager answers)"}
             for q, area, text, rules in self.questions],
            columns=["Question", "Area", "Asks", "Rules giving evidence"])


def checklist(*, actor: Actor | str) -> ChecklistOverview:
    """The early-look checklist in use (SFO_CHECKLIST, else the shipped one)."""
    access.require(actor, "settings.view")
    chosen = config.setting("SFO_CHECKLIST")
    found = standards.load_checklist(chosen or None)
    return ChecklistOverview(
        found.name, found.version, found.title,
        "shipped" if found.origin == standards.DEFAULT_CHECKLIST else found.origin, chosen,
        tuple((q.id, q.area, q.text, q.rule_ids) for q in found.questions))


# -- settings -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class SettingRow:
    """One setting: its default, the value in use now, whether it was set, and its help."""

    env: str
    default: str
    value: str
    changed: bool
    help: str


@dataclass(frozen=True)
class SettingsOverview:
    """Every setting, and the database in use (its password never shown)."""

    rows: tuple[SettingRow, ...]
    database: str

    def frame(self) -> pd.DataFrame:
        """One row per setting for a table."""
        return pd.DataFrame(
            [{"Setting": r.env, "In use": r.value if r.value else "(empty)",
              "Default": r.default if r.default else "(empty)",
              "Changed": "yes" if r.changed else "", "What it is for": r.help}
             for r in self.rows],
            columns=["Setting", "In use", "Default", "Changed", "What it is for"])


def settings_overview(*, actor: Actor | str) -> SettingsOverview:
    """Each setting with its default, the value in use and its help; passwords hidden."""
    access.require(actor, "settings.view")
    rows = []
    for s in config.SETTINGS:
        value = s.get()
        shown = store_engine.describe(value) if s.env == "SFO_DATABASE_URL" and value else value
        rows.append(SettingRow(s.env, s.default, shown, value != s.default, s.help))
    return SettingsOverview(tuple(rows), store_engine.describe(bootstrap.database_url()))


# -- templates ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class TemplateRow:
    """The template used now for one kind of document and format."""

    kind: str
    label: str                      # "Early look (Word)"
    format: str
    source: str                     # shipped | local
    sha256: str
    path: str


_KIND_LABELS = {"early_look": "Early look", "review": "SFO review",
                "family_summary": "Family summary"}
_FORMAT_LABELS = {"docx": "Word", "html": "web page"}


def templates_in_use(*, actor: Actor | str) -> list[TemplateRow]:
    """Each kind and format with the template in use: shipped or local, and its SHA-256."""
    access.require(actor, "settings.view")
    return [TemplateRow(t.kind, f"{_KIND_LABELS.get(t.kind, t.kind)} "
                                f"({_FORMAT_LABELS.get(t.format, t.format)})",
                        t.format, "local" if t.local else "shipped", t.sha256, str(t.path))
            for t in templates.in_use()]


def template_folder() -> tuple[str, bool]:
    """SFO_TEMPLATE_DIR as set ("" when local templates cannot be installed), and whether
    it is a folder now (documents cannot be made while it names one that is not there)."""
    folder = config.setting("SFO_TEMPLATE_DIR")
    return folder, bool(folder) and Path(folder).is_dir()


def check_template(kind: str, data: bytes, filename: str, *,
                   actor: Actor | str) -> validation.TemplateReport:
    """Every problem with an uploaded template, in words a Word user understands."""
    access.require(actor, "settings.view")
    if kind not in _KIND_LABELS:
        raise InputError(f"'{kind}' is not a kind of template; the kinds are "
                         f"{', '.join(_KIND_LABELS)}.")
    return templates.check(kind, data, filename)


def install_template(kind: str, data: bytes, filename: str, *, actor: Actor | str,
                     url: str | None = None) -> tuple[validation.TemplateReport, Path | None]:
    """Check an uploaded template; install it into SFO_TEMPLATE_DIR only if it has no problem.

    Returns (report, installed path or None). A template with problems is not
    installed and the report lists each one; an installed one is audited.
    """
    report = check_template(kind, data, filename, actor=actor)
    if not report.ok:
        return report, None
    path, kept = templates.install(kind, data, filename)
    with bootstrap.engine_for(url) as engine, bootstrap.unit_of_work(engine) as uow:
        audit_service.record(
            uow, actor=actor, action="install", object_type="template", object_id=path.name,
            crn=None, summary=f"installed {filename} as the {_KIND_LABELS[kind]} template "
                              f"({path})" + (f"; the one it replaced is kept as {kept.name}"
                                             if kept else ""))
        uow.commit()
    return report, path


# -- downloads ----------------------------------------------------------------------------------

THEMES_TABLES: dict[str, str] = {"factors": "Contributory factors",
                                 "trend": "Factors by quarter",
                                 "findings": "Gaps in practice by rule",
                                 "learning": "Learning by theme"}


def themes_csv(report: ThemesReport, table: str) -> bytes:
    """One table of a themes report as CSV for a spreadsheet, formulas neutralised.

    ``table`` is one of :data:`THEMES_TABLES`. The report holds no names or CRNs
    (learning is traced by review number), so the download is not a look at a case.
    """
    frames: dict[str, Callable[[], pd.DataFrame]] = {
        "factors": lambda: report.factor_frame().rename(columns={
            "code": "Code", "title": "Factor", "level": "Level", "reviews": "Reviews naming it",
            "hindered": "Hindered", "helped": "Helped", "systemic": "Systemic"}),
        "trend": lambda: report.trend_frame().rename(columns={
            "quarter": "Quarter", "code": "Code", "title": "Factor",
            "reviews": "Reviews naming it", "quarter_reviews": "Reviews in the quarter"}),
        "findings": lambda: report.finding_frame().rename(columns={
            "rule_id": "Rule", "reviews": "Reviews with a gap under it"}),
        "learning": lambda: report.theme_frame().rename(columns={
            "theme": "Theme", "theme_reviews": "Reviews in the theme", "review_id": "Review",
            "learning_id": "Learning id", "level": "Level", "text": "Learning"}),
    }
    if table not in frames:
        raise InputError(f"'{table}' is not a table of the themes; the tables are "
                         f"{', '.join(frames)}.")
    return exports.csv_bytes(frames[table]())
