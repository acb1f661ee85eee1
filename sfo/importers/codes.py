"""The code lists open code columns are checked against (``sfo/standards/codes.toml``)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Which list each open code column of the contract is checked against.
COLUMN_LISTS: dict[tuple[str, str], str] = {
    ("contacts", "type_code"): "contact_types",
    ("contacts", "outcome_code"): "outcomes",
    ("contacts", "enforcement_code"): "enforcement_actions",
    ("registrations", "type_code"): "register_types",
}


@dataclass(frozen=True)
class CodeLists:
    """Known codes per list, and the contact types that default to national standard."""

    known: dict[str, frozenset[str]]
    national_standard_default: frozenset[str]

    def for_column(self, table: str, column: str) -> frozenset[str] | None:
        """The known codes for an open code column, or None if it has no list."""
        name = COLUMN_LISTS.get((table, column))
        return None if name is None else self.known[name]


@cache
def default_codes() -> CodeLists:
    """The code lists shipped with the toolkit."""
    text = resources.files("sfo.standards").joinpath("codes.toml").read_text(encoding="utf-8")
    return parse_codes(tomllib.loads(text))


def parse_codes(data: dict[str, object]) -> CodeLists:
    """Code lists from the parsed TOML: ``[<list>.<group>] CODE = "description"``."""
    known: dict[str, frozenset[str]] = {}
    for name in set(COLUMN_LISTS.values()):
        section = data.get(name, {})
        codes: set[str] = set()
        if isinstance(section, dict):
            for group in section.values():
                if isinstance(group, dict):
                    codes.update(str(code).upper() for code in group)
        known[name] = frozenset(codes)
    contact = data.get("contact_types", {})
    ns = contact.get("national_standard_default", []) if isinstance(contact, dict) else []
    return CodeLists(known, frozenset(str(code).upper() for code in ns))
