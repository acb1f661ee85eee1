"""Header mapping: renaming an export's column headers to the contract's names.

A mapping file is TOML, one section per table, each entry ``"source header" =
"contract column"``::

    [contacts]
    "Contact Date" = "contact_date"
    "Officer" = "staff_code"

Headers are matched ignoring surrounding spaces and letter case. A wrong
mapping file is refused as a whole with :class:`~sfo.errors.MappingInvalid`
naming the file and the entry.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sfo.domain.records import TABLES
from sfo.errors import MappingInvalid


@dataclass(frozen=True)
class HeaderMapping:
    """Per table, source header (case-folded) -> contract column; and where it came from."""

    tables: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    source: str = ""

    def for_table(self, table: str) -> dict[str, tuple[str, str]]:
        """Case-folded source header -> (source header as written, contract column)."""
        return self.tables.get(table, {})


def load_mapping(path: str | os.PathLike[str] | None) -> HeaderMapping:
    """Read and check a mapping file (None: no mapping)."""
    if path is None:
        return HeaderMapping()
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingInvalid(f"The mapping file {where} could not be read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingInvalid(f"The mapping file {where} is not valid TOML: {exc}") from None
    return parse_mapping(data, where)


def parse_mapping(data: dict[str, object], where: str) -> HeaderMapping:
    """Check a parsed mapping; ``where`` names the file in messages."""
    tables: dict[str, dict[str, tuple[str, str]]] = {}
    for table, entries in data.items():
        if table not in TABLES:
            raise MappingInvalid(
                f"The mapping file {where} has a section [{table}], which is not a table of "
                f"the bundle (expected one of: {', '.join(TABLES)})."
            )
        if not isinstance(entries, dict):
            raise MappingInvalid(
                f"The mapping file {where}: [{table}] must be a section of "
                f'"source header" = "column" entries.'
            )
        spec = TABLES[table]
        columns = [c.name for c in spec.columns]
        by_source: dict[str, tuple[str, str]] = {}
        by_target: dict[str, str] = {}
        for source, target in entries.items():
            entry = f'[{table}] "{source}" = {target!r}'
            if not isinstance(target, str):
                raise MappingInvalid(
                    f"The mapping file {where}, entry {entry}: the column name must be text "
                    f"in quotes."
                )
            target = target.strip()
            if target not in columns:
                raise MappingInvalid(
                    f"The mapping file {where}, entry {entry}: '{target}' is not a column of "
                    f"{spec.filename} (expected one of: {', '.join(columns)})."
                )
            if target in by_target:
                raise MappingInvalid(
                    f"The mapping file {where}, entry {entry}: '{by_target[target]}' is "
                    f"already mapped to '{target}'; two headers cannot become one column."
                )
            key = source.strip().casefold()
            if key in by_source:
                raise MappingInvalid(
                    f"The mapping file {where}, entry {entry}: the header '{source.strip()}' "
                    f"is mapped twice."
                )
            by_target[target] = source
            by_source[key] = (source.strip(), target)
        tables[table] = by_source
    return HeaderMapping(tables, where)


def canonical_names(header: list[str], table: str, mapping: HeaderMapping) -> list[str]:
    """The header with the mapping applied and contract columns spelt canonically.

    Raises :class:`MappingInvalid` when a mapping entry would create a column
    the file already has. Duplicate names are left for the caller to report.
    """
    spec = TABLES[table]
    canonical = {c.name.casefold(): c.name for c in spec.columns}
    entries = mapping.for_table(table)
    stripped = [h.strip() for h in header]
    names: list[str] = []
    for name in stripped:
        hit = entries.get(name.casefold())
        if hit is not None:
            names.append(hit[1])
        else:
            names.append(canonical.get(name.casefold(), name))
    mapped = {i for i, name in enumerate(stripped) if name.casefold() in entries}
    for i in mapped:
        source, target = entries[stripped[i].casefold()]
        for j, other in enumerate(names):
            if j not in mapped and other == target:
                raise MappingInvalid(
                    f"The mapping file {mapping.source}, entry [{table}] \"{source}\" = "
                    f"\"{target}\": {spec.filename} already has a column '{stripped[j]}', so "
                    f"'{stripped[i]}' cannot be renamed to it."
                )
    return names
