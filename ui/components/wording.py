"""Times, dates and recorded text as the pages show them (England and Wales time)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

try:
    LOCAL = ZoneInfo("Europe/London")   # the toolkit is for England and Wales
except ZoneInfoNotFoundError:  # pragma: no cover - a system without time zone data
    LOCAL = ZoneInfo("UTC")


def clock(when: datetime | None = None) -> str:
    """A time as people in England and Wales read it: 14:05."""
    moment_ = when or datetime.now(UTC)
    if moment_.tzinfo is None:
        moment_ = moment_.replace(tzinfo=UTC)   # the store keeps UTC
    return f"{moment_.astimezone(LOCAL):%H:%M}"


def day(d: date | datetime) -> str:
    """A date in words: 5 April 2024 (a time in UTC is shown on its day in England)."""
    if isinstance(d, datetime):
        d = (d if d.tzinfo else d.replace(tzinfo=UTC)).astimezone(LOCAL)
    return f"{d.day} {d:%B %Y}"


def moment(when: datetime | None) -> str:
    """A time and date: 14:05 on 5 April 2024."""
    return "an unknown time" if when is None else f"{clock(when)} on {day(when)}"


def moment_from_iso(text: str) -> str:
    """An ISO time (as a conflict reports it) in words; the text itself if it is not one."""
    try:
        return moment(datetime.fromisoformat(text))
    except ValueError:
        return text


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+-!|$~<>:"})


def md(text: object) -> str:
    """Typed or recorded text made safe to put in markdown: shown as written, never as markup."""
    return str(text).translate(_MARKDOWN).replace("\n", "  \n")
