"""Themes across stored SFO reviews: `sfo reviews themes` and the app's themes page.

Reads every stored review (its own content and the person's probation
delivery unit, never the case records), keeps one digest per review
(:func:`sfo.domain.themes.digest`) and lets :func:`sfo.domain.themes.themes`
count and group them. A reopened review counts once, as its current version.
"""

from __future__ import annotations

import textwrap
from datetime import date

from sfo.domain import themes as domain
from sfo.domain.access import Actor
from sfo.domain.review import JUDGEMENTS
from sfo.services import reviews


def across_reviews(*, url: str | None = None, pdu: str | None = None,
                   start: date | None = None, end: date | None = None,
                   final_only: bool = False, actor: Actor | str = "sfo") -> domain.ThemesReport:
    """The themes report over stored reviews, filtered by PDU and period."""
    digests = [domain.digest(review_id, state, region=unit)
               for review_id, status, state, unit in reviews.every_review(url=url, actor=actor)
               if status == "final" or not final_only]
    return domain.themes(digests, region=pdu or None, start=start, end=end)


def as_text(report: domain.ThemesReport) -> str:
    """The report as plain text for a terminal."""
    where = f" in {report.region}" if report.region else ""
    period = ""
    if report.start or report.end:
        period = (f" from {report.start.isoformat() if report.start else 'the first'} to "
                  f"{report.end.isoformat() if report.end else 'the last'}")
    lines = [f"Themes across {report.reviews} SFO review{'s' if report.reviews != 1 else ''}"
             f"{where}{period}."]
    if not report.reviews:
        lines.append("There are no stored reviews to look across yet.")
        return "\n".join(lines)
    if report.reviews < domain.SMALL_COUNT:
        lines.append(f"With fewer than {domain.SMALL_COUNT} reviews, read every count as an "
                     "example, not a trend.")
    lines += ["", "Contributory factors (reviews naming each; hindered / helped / systemic):"]
    named = [f for f in report.factors if f.reviews]
    for f in named:
        lines.append(f"  {f.reviews:>4}  {f.title} ({f.level.lower()}): {f.hindered} / "
                     f"{f.helped} / {f.systemic}")
    if not named:
        lines.append("  none recorded")
    unnamed = [f.title for f in report.factors if not f.reviews]
    if unnamed:
        lines += textwrap.wrap("Named in no review: " + "; ".join(unnamed) + ".", width=88,
                               initial_indent="  ", subsequent_indent="    ")
    lines.append(f"  {report.restricted_summary}")
    labels = {**JUDGEMENTS, domain.NOT_JUDGED: "No judgement yet"}
    lines += ["", "Overall judgements (were all reasonable steps taken?):"]
    lines += [f"  {n:>4}  {labels.get(k, k)}" for k, n in report.judgements if n]
    lines += ["", "Gaps in practice (reviews with a key episode for each rule):"]
    for g in report.findings:
        lines.append(f"  {g.reviews:>4}  {g.rule_id}")
    if not report.findings:
        lines.append("  none recorded")
    lines += ["", "Reviews by quarter:"]
    lines += [f"  {q}: {n}" for q, n in report.quarters]
    lines += ["", "Learning, grouped by the words it shares (a reading aid, not a finding):"]
    for t in report.themes:
        lines.append(f"  {t.label}: {len(t.items)} item{'s' if len(t.items) != 1 else ''} "
                     f"from {t.reviews} review{'s' if t.reviews != 1 else ''}")
        for item in t.items[:3]:
            lines += textwrap.wrap(f"- {item.text}", width=88, initial_indent="      ",
                                   subsequent_indent="        ")
        if len(t.items) > 3:
            lines.append(f"      ... and {len(t.items) - 3} more")
    if not report.themes:
        lines.append("  none recorded")
    return "\n".join(lines)
