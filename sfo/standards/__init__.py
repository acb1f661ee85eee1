"""Shipped data: the default rule pack, code lists, early-look checklist and bank holidays.

A region replaces the rule pack with its own file (``--rules FILE`` or the
``SFO_RULES`` setting); values it leaves out keep their defaults. A local
checklist (the ``SFO_CHECKLIST`` setting) replaces the shipped one as a whole:
a checklist is one coherent set of questions with its own name and version,
so questions are not merged.
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from sfo.domain.checklist import CONDITIONS, Checklist, Question
from sfo.domain.rulepack import KINDS, SEVERITIES, RulePack
from sfo.errors import ChecklistInvalid, RulesInvalid

DEFAULT_RULES = "rules.toml"
DEFAULT_CHECKLIST = "checklist.toml"


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


def load_checklist(path: str | Path | None = None) -> Checklist:
    """The shipped early-look checklist, or a local file that replaces it."""
    if path is None:
        origin = DEFAULT_CHECKLIST
        text = resources.files("sfo.standards").joinpath(DEFAULT_CHECKLIST).read_text("utf-8")
    else:
        p = Path(path)
        origin = str(p)
        try:
            text = p.read_text("utf-8")
        except FileNotFoundError:
            raise ChecklistInvalid(f"The checklist file {p} does not exist.") from None
        except IsADirectoryError:
            raise ChecklistInvalid(f"The checklist file {p} is a folder, not a file.") from None
        except UnicodeDecodeError:
            raise ChecklistInvalid(f"The checklist file {p} is not UTF-8 text.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ChecklistInvalid(f"The checklist file {origin} is not valid TOML: {exc}.") from None
    return _checklist(data, origin)


_QUESTION_KEYS = {"id": str, "area": str, "text": str, "rule_ids": list, "action_today": bool,
                  "applies_when": str, "help": str}
_REQUIRED_KEYS = ("id", "area", "text", "rule_ids", "action_today")


def _checklist(data: dict[str, Any], origin: str) -> Checklist:
    unknown = set(data) - {"checklist", "question"}
    if unknown:
        raise ChecklistInvalid(f"{origin}: unknown table(s) {', '.join(sorted(unknown))}; "
                               "expected [checklist] and [[question]].")
    head = data.get("checklist")
    if not isinstance(head, dict):
        raise ChecklistInvalid(f"{origin}: there is no [checklist] table giving its name and "
                               "version.")
    for key in ("name", "version"):
        if not isinstance(head.get(key), str) or not head[key].strip():
            raise ChecklistInvalid(f"{origin}: [checklist] needs a {key} (text).")
    extra = set(head) - {"name", "version", "title"}
    if extra:
        raise ChecklistInvalid(f"{origin}: [checklist] has unknown key(s) "
                               f"{', '.join(sorted(extra))}; expected name, version, title.")
    rows = data.get("question")
    if not isinstance(rows, list) or not rows:
        raise ChecklistInvalid(f"{origin}: there are no [[question]] tables.")
    kinds = _rule_kinds()
    seen: dict[str, int] = {}
    questions = []
    for n, row in enumerate(rows, start=1):
        where = f"{origin}: question {n}"
        if not isinstance(row, dict):
            raise ChecklistInvalid(f"{where} is not a table; write each as [[question]].")
        qid = row.get("id")
        if isinstance(qid, str) and qid.strip():
            where = f"{origin}: question {qid}"
        for key, value in row.items():
            want = _QUESTION_KEYS.get(key)
            if want is None:
                raise ChecklistInvalid(f"{where} has an unknown key '{key}'. Keys: "
                                       f"{', '.join(_QUESTION_KEYS)}.")
            if not isinstance(value, want):
                raise ChecklistInvalid(f"{where}: {key} = {value!r} should be "
                                       f"{_WANT[want]}.")
        for key in _REQUIRED_KEYS:
            if key not in row:
                raise ChecklistInvalid(f"{where} has no {key}.")
        for key in ("id", "area", "text"):
            if not row[key].strip():
                raise ChecklistInvalid(f"{where} has an empty {key}.")
        qid = str(row["id"]).strip()
        if not all(c.isalnum() or c in "-_" for c in qid):
            raise ChecklistInvalid(f"{where}: the id may hold only letters, digits, '-' and "
                                   "'_'.")
        if qid in seen:
            raise ChecklistInvalid(f"{origin}: question id {qid} is used twice (questions "
                                   f"{seen[qid]} and {n}).")
        seen[qid] = n
        rule_ids = row["rule_ids"]
        for rule_id in rule_ids:
            if not isinstance(rule_id, str):
                raise ChecklistInvalid(f"{where}: rule_ids should list rule ids as text.")
            if kinds.get(rule_id) != "gap":
                raise ChecklistInvalid(f"{where} lists {_not_a_gap_rule(rule_id, kinds)}")
        if len(set(rule_ids)) != len(rule_ids):
            raise ChecklistInvalid(f"{where} lists a rule twice.")
        applies = row.get("applies_when")
        if applies is not None and applies not in CONDITIONS:
            raise ChecklistInvalid(f"{where}: applies_when = {applies!r} is not known; "
                                   f"expected one of {', '.join(CONDITIONS)}.")
        questions.append(Question(
            id=qid, area=row["area"].strip(), text=row["text"].strip(),
            rule_ids=tuple(rule_ids), action_today=row["action_today"],
            applies_when=applies, help=row.get("help", "").strip()))
    return Checklist(name=head["name"].strip(), version=head["version"].strip(),
                     title=str(head.get("title", "")).strip(), questions=tuple(questions),
                     origin=origin)


_WANT = {str: "text", list: "a list", bool: "true or false"}


def _rule_kinds() -> dict[str, str]:
    """Rule id -> kind for every rule of the shipped pack."""
    return {r: str(s.get("kind")) for r, s in load_rule_pack().rules.items()}


def _not_a_gap_rule(rule_id: str, kinds: dict[str, str]) -> str:
    gaps = ", ".join(sorted(r for r, k in kinds.items() if k == "gap"))
    kind = kinds.get(rule_id)
    if kind == "context":
        why = (f"rule {rule_id}, which describes working context, not a gap: its findings go "
               "to the working-context section, not to a question")
    elif kind is not None:
        why = (f"rule {rule_id}, which records {kind.replace('_', ' ')}, not a gap: good "
               "practice is shown with the question of the rule it belongs to")
    else:
        why = f"an unknown rule '{rule_id}'"
    return f"{why}. Gap rules: {gaps}."


def bank_holidays(first_year: int, last_year: int) -> list[date]:
    """England and Wales bank holidays (Wales shares England's list) for a span of years."""
    import holidays

    cal = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    return sorted(cal.keys())
