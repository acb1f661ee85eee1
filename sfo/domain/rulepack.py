"""The rule pack: thresholds and code lists the practice-standard rules read.

The pack is data (``sfo/standards/rules.toml`` by default) so that a region
can change a timescale without code. This module only holds it and answers
questions about it; reading the file is the standards loader's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sfo.errors import RulesInvalid

KINDS = ("gap", "context", "good_practice")
SEVERITIES = ("high", "medium", "low", "info")


@dataclass(frozen=True)
class RulePack:
    """Thresholds and code lists for every rule, with where they came from."""

    name: str
    version: str
    rules: Mapping[str, Mapping[str, Any]]
    codes: Mapping[str, Any]
    sources: tuple[str, ...] = ()
    origin: str = "default"
    disabled: frozenset[str] = field(default_factory=frozenset)

    def param(self, rule_id: str, key: str) -> Any:
        """One setting of one rule; a missing one is a RulesInvalid naming both."""
        try:
            return self.rules[rule_id][key]
        except KeyError:
            raise RulesInvalid(
                f"The rule pack {self.origin} has no setting '{key}' for rule {rule_id}."
            ) from None

    def codes_of(self, key: str) -> tuple[str, ...]:
        """A code list from the [codes] table."""
        try:
            value = self.codes[key]
        except KeyError:
            raise RulesInvalid(
                f"The rule pack {self.origin} has no code list '{key}' in [codes]."
            ) from None
        if isinstance(value, str):
            return (value,)
        return tuple(value)

    def kind(self, rule_id: str) -> str:
        """gap, context or good_practice."""
        return str(self.param(rule_id, "kind"))

    def severity(self, rule_id: str) -> str:
        """high, medium, low or info."""
        return str(self.param(rule_id, "severity"))

    def is_local(self, rule_id: str, key: str) -> bool:
        """Whether a threshold is a local default with no national source."""
        return key in self.rules.get(rule_id, {}).get("local", ())

    def enabled(self, rule_id: str) -> bool:
        """Whether a rule runs (all do unless the pack disables it)."""
        return rule_id in self.rules and rule_id not in self.disabled
