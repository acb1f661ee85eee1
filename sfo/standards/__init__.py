"""Shipped data: the default rule pack and code lists, and the bank-holiday calendar.

A region replaces the rule pack with its own file (``--rules FILE`` or the
``SFO_RULES`` setting); values it leaves out keep their defaults.
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from sfo.domain.rulepack import KINDS, SEVERITIES, RulePack
from sfo.errors import RulesInvalid

DEFAULT_RULES = "rules.toml"


def _default_text() -> str:
    return resources.files("sfo.standards").joinpath(DEFAULT_RULES).read_text("utf-8")


def load_rule_pack(path: str | Path | None = None) -> RulePack:
    """The default rule pack, with a local file's values laid over it."""
    base = tomllib.loads(_default_text())
    origin = "default"
    if path is not None:
        p = Path(path)
        origin = str(p)
        try:
            local = tomllib.loads(p.read_text("utf-8"))
        except FileNotFoundError:
            raise RulesInvalid(f"The rules file {p} does not exist.") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise RulesInvalid(f"The rules file {p} is not valid TOML: {exc}.") from None
        base = _overlay(base, local, origin)
    disabled = frozenset(r for r, s in base["rules"].items() if s.get("enabled") is False)
    pack = RulePack(
        name=str(base["pack"].get("name", "default")),
        version=str(base["pack"].get("version", "")),
        rules=base["rules"], codes=base["codes"],
        sources=tuple(base["pack"].get("sources", ())), origin=origin, disabled=disabled,
    )
    for rule_id, settings in pack.rules.items():
        if settings.get("kind") not in KINDS:
            raise RulesInvalid(f"{origin}: rule {rule_id} has kind {settings.get('kind')!r}; "
                               f"expected one of {', '.join(KINDS)}.")
        if settings.get("severity") not in SEVERITIES:
            raise RulesInvalid(f"{origin}: rule {rule_id} has severity "
                               f"{settings.get('severity')!r}; expected one of "
                               f"{', '.join(SEVERITIES)}.")
    return pack


def _overlay(base: dict[str, Any], local: dict[str, Any], origin: str) -> dict[str, Any]:
    unknown_tables = set(local) - {"pack", "codes", "rules"}
    if unknown_tables:
        raise RulesInvalid(f"{origin}: unknown table(s) {', '.join(sorted(unknown_tables))}; "
                           "expected [pack], [codes] and [rules.RULE-ID].")
    out = {k: dict(v) for k, v in base.items()}
    out["rules"] = {k: dict(v) for k, v in base["rules"].items()}
    out["pack"].update(local.get("pack", {}))
    for key, value in local.get("codes", {}).items():
        if key not in base["codes"]:
            raise RulesInvalid(f"{origin}: [codes] has an unknown list '{key}'.")
        _same_type(base["codes"][key], value, f"{origin}: [codes] {key}")
        out["codes"][key] = value
    for rule_id, settings in local.get("rules", {}).items():
        if rule_id not in base["rules"]:
            raise RulesInvalid(f"{origin}: unknown rule '{rule_id}'. Known rules: "
                               f"{', '.join(sorted(base['rules']))}.")
        for key, value in settings.items():
            if key == "enabled":
                if not isinstance(value, bool):
                    raise RulesInvalid(f"{origin}: [rules.{rule_id}] enabled must be true or "
                                       "false.")
            elif key not in base["rules"][rule_id]:
                raise RulesInvalid(f"{origin}: rule {rule_id} has no setting '{key}'. Its "
                                   f"settings: {', '.join(sorted(base['rules'][rule_id]))}.")
            else:
                _same_type(base["rules"][rule_id][key], value, f"{origin}: [rules.{rule_id}] "
                           f"{key}")
            out["rules"][rule_id][key] = value
    return out


def _same_type(default: Any, value: Any, where: str) -> None:
    if isinstance(default, bool) or isinstance(value, bool):
        ok = isinstance(default, bool) and isinstance(value, bool)
    elif isinstance(default, int | float):
        ok = isinstance(value, int | float) and value >= 0
    else:
        ok = type(default) is type(value)
    if not ok:
        raise RulesInvalid(f"{where} = {value!r} has the wrong type: expected "
                           f"{_describe(default)} like the default {default!r}.")


def _describe(v: Any) -> str:
    if isinstance(v, bool):
        return "true or false"
    if isinstance(v, int | float):
        return "a number of zero or more"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a table"
    return "text"


def bank_holidays(first_year: int, last_year: int) -> list[date]:
    """England and Wales bank holidays (Wales shares England's list) for a span of years."""
    import holidays

    cal = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return sorted(cal.keys())
