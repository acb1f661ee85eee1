"""Sub-commands of `sfo` (registered by :func:`add_commands`)."""

from __future__ import annotations

from typing import Any


def add_commands(sub: Any) -> None:
    """Register this module's sub-commands on the `sfo` parser."""
