"""Build CaseRecords straight from Python rows, for rule tests that need no files.

Values are written as they would be in a bundle (ISO dates, Y/N); the builder
gives them the canonical dtypes the importer would. It does no validation:
importer tests cover that.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

from sfo.domain.records import TABLES, CaseRecords, empty_table

NS_CODES = {"COAI", "COHV", "COTI", "COAP", "COPT", "COVC", "CHVS", "C084", "C444"}


def build_records(tables: Mapping[str, Iterable[Mapping[str, object]]],
                  supplied: Iterable[str] | None = None) -> CaseRecords:
    """CaseRecords from rows per table; tables not given are 'not supplied'."""
    out: dict[str, pd.DataFrame] = {}
    for name, spec in TABLES.items():
        rows = list(tables.get(name, []))
        if name not in tables:
            out[name] = empty_table(name)
            continue
        frame = empty_table(name)
        raw = pd.DataFrame(rows)
        data: dict[str, object] = {"row": list(range(2, len(rows) + 2))}
        for col in spec.columns:
            values = raw[col.name] if col.name in raw else pd.Series([None] * len(rows))
            values = values.astype(object).where(values.notna(), None)
            if col.kind in ("date", "month"):
                data[col.name] = pd.to_datetime(values, format="ISO8601")
            elif col.kind == "bool":
                if col.name == "national_standard":
                    default = [r.get("type_code") in NS_CODES for r in rows]
                else:
                    default = [False] * len(rows)
                data[col.name] = [
                    d if v is None else str(v).upper() in ("Y", "TRUE", "1")
                    for v, d in zip(values, default, strict=True)
                ]
            elif col.kind == "number":
                data[col.name] = pd.to_numeric(values).astype("float64")
            else:
                data[col.name] = pd.Series(values, dtype="str")
        built = pd.DataFrame(data)
        ids = (built[spec.id_column] if spec.id_column
               else pd.Series([f"{name}:{r}" for r in data["row"]], dtype="str"))  # type: ignore[attr-defined]
        built.insert(1, "record_id", ids.astype("str"))
        out[name] = built.astype(frame.dtypes.to_dict())
    chosen = frozenset(supplied if supplied is not None else tables.keys())
    return CaseRecords(out, chosen, source="test")
