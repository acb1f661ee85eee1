"""Small helpers shared by the records users edit (early looks, reviews)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime


def now() -> datetime:
    """The time of a change, in UTC."""
    return datetime.now(UTC)


def next_id(prefix: str, existing: Iterable[str]) -> str:
    """The next id of the form PREFIXn after those already used (A1, A2, ...)."""
    used = [int(x[len(prefix):]) for x in existing
            if x.startswith(prefix) and x[len(prefix):].isdigit()]
    return f"{prefix}{max(used, default=0) + 1}"
