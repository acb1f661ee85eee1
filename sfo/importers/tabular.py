"""Reading a single CSV file (a sampling frame, dip-sample results) as text columns.

Bundles have their own contract (:mod:`sfo.importers.bundle`); the files here
are one table each, whose columns are checked by :mod:`dipsample`. This
module only reads: the same encoding rules as bundles (UTF-8, with or without
a byte-order mark, or Windows-1252 when that is certain), every value as
text, headers trimmed and lower-cased, and each record's spreadsheet row
kept in a ``row`` column for messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sfo.errors import FileInvalid, NotFound
from sfo.importers.csvfile import FileSource, read_csv
from sfo.importers.problems import ProblemLog

TEXT = pd.StringDtype("pyarrow", na_value=float("nan"))


@dataclass(frozen=True)
class TextTable:
    """One CSV file read as text: its rows (plus ``row``) and warnings met on reading."""

    frame: pd.DataFrame
    source: str
    warnings: tuple[str, ...]


def read_text_table(path: str | os.PathLike[str]) -> TextTable:
    """Read one CSV file as text columns; raise FileInvalid naming what is wrong."""
    file = Path(path)
    if not file.is_file():
        raise NotFound(f"The file {file} does not exist (or is a folder).")
    log = ProblemLog()
    raw = read_csv(FileSource(file.name, path=file), log)
    if raw is None or log:
        raise FileInvalid(log.problems, total=log.total, source=str(file))
    names = [h.strip().lower() for h in raw.header]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            log.add(file.name, 1, name, f"the header has '{name}' twice (columns "
                    f"{seen[name] + 1} and {i + 1}); each column needs its own name")
        seen.setdefault(name, i)
    if log:
        raise FileInvalid(log.problems, total=log.total, source=str(file))
    data = {"row": pd.Series(raw.rows, dtype="int64")}
    for name, column in zip(names, raw.table.columns, strict=True):
        data[name] = pd.Series(TEXT.__from_arrow__(column), copy=False)  # type: ignore[attr-defined]
    frame = pd.DataFrame(data, copy=False)
    # Blank cells read as empty text; the sampling package treats "" as missing.
    return TextTable(frame, str(file), tuple(log.warnings))
