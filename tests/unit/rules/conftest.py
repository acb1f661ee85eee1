"""Helpers for the practice-standard rule tests.

``base_case()`` is a plain, well-managed, low-risk community order that
produces no gap or context findings up to ``BASE_AS_OF``. Each test changes
the rows it needs and runs the rules with ``run(tables, as_of)``.

Reference dates (worked out by hand; England and Wales bank holidays, Easter
2024: Good Friday Fri 29 March, Easter Monday Mon 1 April):

start = Fri 2024-03-22 (sentence_date)
wd(start, 1)  = Mon 2024-03-25      wd(start, 3)  = Wed 2024-03-27
wd(start, 4)  = Thu 2024-03-28      wd(start, 5)  = Tue 2024-04-02
wd(start, 6)  = Wed 2024-04-03      wd(start, 10) = Tue 2024-04-09
wd(start, 15) = Tue 2024-04-16      wd(start, 20) = Tue 2024-04-23
start - 84 days = Fri 2023-12-29    start - 30 days = Wed 2024-02-21
start + 84 days = Fri 2024-06-14
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
import os
import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from sfo.domain.findings import CaseFindings, Finding
from sfo.domain.rulepack import RulePack
from sfo.domain.rules.engine import RULE_IDS
from sfo.services import analysis
from sfo.standards import load_rule_pack
from tests.case_builder import build_records

CRN = "X100001"
STAFF = "N01P001"      # a PO with many years in grade
TEAM = "N01T01"
START = "2024-03-22"   # Friday before Easter 2024
BASE_AS_OF = date(2024, 4, 30)
TODAY = date(2025, 6, 30)

DEFAULT_PACK = load_rule_pack()

NS_TYPES = ("COAI", "COHV", "COTI", "COAP", "COPT", "COVC", "CHVS", "C084", "C444")

Rows = list[dict[str, Any]]
Tables = dict[str, Rows]


def d(text: str) -> date:
    """An ISO date string as a date."""
    return date.fromisoformat(text)


def contact(cid: str, when: str, type_code: str, outcome: str | None = None,
            event_id: str | None = "E1", **extra: Any) -> dict[str, Any]:
    """One contact row for the base person.

    ``national_standard`` is always written out (Y for the NS appointment types): the
    case builder reads a missing value in a partly filled column as N under pandas 3.
    """
    row: dict[str, Any] = {"contact_id": cid, "crn": CRN, "contact_date": when,
                           "type_code": type_code, "outcome_code": outcome,
                           "national_standard": "Y" if type_code in NS_TYPES else "N"}
    if event_id is not None:
        row["event_id"] = event_id
    row.update(extra)
    return row


def base_case() -> Tables:
    """Row dicts for a plain, well-managed, low-risk community order (start 22 March 2024)."""
    return copy.deepcopy({
        "people": [{"crn": CRN, "name": "Test Person", "team_code": TEAM}],
        "events": [{"crn": CRN, "event_id": "E1", "sentence_type": "community_order",
                    "sentence_date": START, "index_offence": "Theft from a shop",
                    "requirements": "rar;unpaid_work"}],
        "contacts": [contact("C1", "2024-03-25", "COAI", "ATTC"),
                     contact("C2", "2024-04-19", "COAP", "ATTC")],
        "assessments": [
            {"assessment_id": "A1", "crn": CRN, "assessment_type": "OASYS_LAYER3",
             "initiated_date": "2024-03-10", "completed_date": "2024-03-20",
             "status": "COMPLETE", "rosh_overall": "LOW", "rosh_public": "LOW",
             "rosh_known_adult": "LOW", "rosh_children": "LOW", "rosh_staff": "LOW"},
        ],
        "registrations": [],
        "allocations": [{"crn": CRN, "staff_code": STAFF, "allocated_from": START}],
        "staff": [{"staff_code": STAFF, "grade": "PO", "team_code": TEAM,
                   "in_role_since": "2015-01-05"}],
        "workload": [{"staff_code": STAFF, "week_start": w, "capacity_pct": 95,
                      "caseload_count": 40}
                     for w in ("2024-03-25", "2024-04-01", "2024-04-08", "2024-04-15")],
        "training": [{"staff_code": STAFF, "course_code": c, "status": "completed",
                      "status_date": "2020-06-01"} for c in ("DA-CORE", "SAFEGUARDING-1",
                                                             "ROSH-2")],
        "supervision": [{"staff_code": STAFF, "supervision_date": s, "kind": "formal"}
                        for s in ("2024-03-15", "2024-04-12")],
        "teams": [{"team_code": TEAM, "month": m, "establishment_fte": 10, "in_post_fte": 10}
                  for m in ("2024-03-01", "2024-04-01", "2024-05-01", "2024-06-01")],
    })


def assessment(aid: str, completed: str | None, rosh: str = "LOW", *,
               status: str = "COMPLETE", atype: str = "OASYS_LAYER3",
               **groups: str) -> dict[str, Any]:
    """One risk assessment row; group levels default to the overall level."""
    row: dict[str, Any] = {
        "assessment_id": aid, "crn": CRN, "assessment_type": atype,
        "initiated_date": completed or "2024-01-01", "completed_date": completed,
        "status": status, "rosh_overall": rosh,
        "rosh_public": rosh, "rosh_known_adult": rosh, "rosh_children": rosh,
        "rosh_staff": rosh,
    }
    row.update(groups)
    return row


def registration(rid: str, type_code: str, registered: str, *,
                 deregistered: str | None = None, next_review: str | None = None,
                 level: str | None = None) -> dict[str, Any]:
    """One registration row for the base person."""
    return {"registration_id": rid, "crn": CRN, "type_code": type_code,
            "registered_date": registered, "deregistered_date": deregistered,
            "next_review_date": next_review, "level": level}


def weekly(first: str, last: str, type_code: str = "COAP", prefix: str = "W",
           step: int = 7) -> Rows:
    """Attended NS appointments every ``step`` days from ``first`` to ``last``."""
    out: Rows = []
    day = d(first)
    i = 0
    while day <= d(last):
        out.append(contact(f"{prefix}{i}", day.isoformat(), type_code, "ATTC"))
        day = date.fromordinal(day.toordinal() + step)
        i += 1
    return out


def report(tables: Tables, as_of: date | None = BASE_AS_OF, *, pack: Any = None,
           supplied: Iterable[str] | None = None, solo: bool = False) -> CaseFindings:
    """The one person's findings (and not-checked list); ``solo`` never batches."""
    pk = pack or DEFAULT_PACK
    key = _key(tables, as_of, supplied if not solo else ())
    cached = _CACHE.get((id(pk), key))
    if cached is not None:
        return cached
    if _RECORDING:
        if not key.startswith("unbatched:"):
            _SCENARIOS.append((pk, as_of, key, copy.deepcopy(tables)))
        raise _Recorded
    return _direct(tables, as_of, pk, supplied)


def _direct(tables: Tables, as_of: date | None, pack: RulePack,
            supplied: Iterable[str] | None = None) -> CaseFindings:
    records = build_records(tables, supplied=supplied)
    rep = analysis.findings_for(records, as_of=as_of, pack=pack, today=TODAY)
    assert len(rep.cases) == 1
    return rep.cases[0]


# -- batching -------------------------------------------------------------------------------
# One engine run costs ~0.1-0.2 s of fixed pandas overhead, so the rule tests would take
# about a minute one by one. The engine is vectorised over people, so at collection time
# every test is called in "recording" mode: calls already answered return their result, the
# first new one records its scenario and stops the test. Scenarios sharing a pack and as-of
# are then run together, one person each, with every id made unique per scenario and mapped
# back afterwards; this repeats until no test asks for anything new. A scenario that was
# not recorded (a test taking fixtures, `solo=True`, `supplied=`, or one whose batch
# failed) runs directly. SFO_TEST_NO_BATCH=1 turns batching off.

class _Recorded(Exception):
    pass


_RECORDING = False
_SCENARIOS: list[tuple[RulePack, date | None, str, Tables]] = []
_CACHE: dict[tuple[int, str], CaseFindings] = {}
_ONLY: dict[tuple[tuple[str, ...], int], RulePack] = {}
_ROW_IDS = ("allocations", "workload", "training", "supervision", "teams")
_ID_COLUMNS = {"contacts": "contact_id", "assessments": "assessment_id",
               "registrations": "registration_id"}
_CODE_COLUMNS = ("staff_code", "team_code", "event_id", "supervisor_code")


def _key(tables: Tables, as_of: date | None, supplied: Iterable[str] | None) -> str:
    if supplied is not None:
        return "unbatched:" + repr(id(object()))
    return json.dumps([sorted(tables.items()), str(as_of)], sort_keys=True, default=str)


def record(functions: Iterable[Any]) -> None:
    """Call each test function in recording mode, then run the recorded scenarios in batches."""
    global _RECORDING
    if os.environ.get("SFO_TEST_NO_BATCH"):
        return
    for _ in range(8):
        _RECORDING = True
        try:
            for fn in functions:
                with contextlib.suppress(Exception):
                    fn()
        finally:
            _RECORDING = False
        if not _SCENARIOS:
            return
        groups: dict[tuple[int, str], list[tuple[RulePack, date | None, str, Tables]]] = {}
        seen: set[tuple[int, str]] = set()
        for pk, as_of, key, tables in _SCENARIOS:
            if (id(pk), key) in seen:
                continue
            seen.add((id(pk), key))
            charged = any(r.get("type_code") == "CNOC" for r in tables.get("contacts", []))
            gkey = str(as_of) if as_of is None or charged else "given"
            groups.setdefault((id(pk), gkey), []).append((pk, as_of, key, tables))
        _SCENARIOS.clear()
        for group in groups.values():
            _run_batch(group)


def _run_batch(group: list[tuple[RulePack, date | None, str, Tables]]) -> None:
    if len(group) == 1:
        pk, as_of, key, tables = group[0]
        with contextlib.suppress(Exception):  # a crash is reproduced when the test runs
            _CACHE[(id(pk), key)] = _direct(tables, as_of, pk)
        return
    merged: Tables = {}
    offsets: list[dict[str, int]] = []
    for n, (_, _, _, tables) in enumerate(group):
        tag = f"Q{n:04d}~"
        off: dict[str, int] = {}
        for name, rows in tables.items():
            out = merged.setdefault(name, [])
            off[name] = len(out)
            for row in rows:
                r = dict(row)
                if "crn" in r:
                    r["crn"] = f"{tag}{r['crn']}"
                for col in (*_CODE_COLUMNS, _ID_COLUMNS.get(name, "")):
                    if r.get(col) is not None and col:
                        r[col] = f"{tag}{r[col]}"
                out.append(r)
        offsets.append(off)
        as_of_n = group[n][1]
        if as_of_n is not None and len({g[1] for g in group}) > 1:
            # Each person's as-of is the date of their first charge (CNOC) contact.
            who = f"{tag}{tables['people'][0]['crn']}"
            merged.setdefault("contacts", []).append(contact(
                f"{tag}ASOF", as_of_n.isoformat(), "CNOC", event_id=None) | {"crn": who})
    if any(set(g[3]) != set(merged) for g in group):
        by_tables: dict[frozenset[str], list[tuple[RulePack, date | None, str, Tables]]] = {}
        for g in group:
            by_tables.setdefault(frozenset(g[3]), []).append(g)
        for part in by_tables.values():  # "not supplied" must stay not supplied
            _run_batch(part)
        return
    pk = group[0][0]
    as_of = group[0][1] if len({g[1] for g in group}) == 1 else None
    try:
        rep = analysis.findings_for(build_records(merged), as_of=as_of, pack=pk, today=TODAY)
    except Exception:
        half = len(group) // 2
        _run_batch(group[:half])
        _run_batch(group[half:])
        return
    cases = {c.crn: c for c in rep.cases}
    for n, (_, _, key, tables) in enumerate(group):
        tag = f"Q{n:04d}~"
        crn = tables["people"][0]["crn"]
        case = cases[f"{tag}{crn}"]
        if group[n][1] is not None:
            assert case.as_of == group[n][1], (case.as_of, group[n][1])
            case = dataclasses.replace(case, as_of_source="given")
        _CACHE[(id(pk), key)] = _unmerge(case, tag, crn, offsets[n])


def _unmerge(case: CaseFindings, tag: str, crn: str, off: dict[str, int]) -> CaseFindings:
    def text(s: str) -> str:
        return s.replace(tag, "")

    def ev_id(s: str) -> str:
        m = re.fullmatch(r"(\w+):(\d+)", s)
        if m and m.group(1) in _ROW_IDS:
            return f"{m.group(1)}:{int(m.group(2)) - off.get(m.group(1), 0)}"
        return text(s)

    found = tuple(dataclasses.replace(
        f, crn=crn, summary=text(f.summary), evidence=tuple(ev_id(e) for e in f.evidence),
        known=tuple(text(k) for k in f.known),
        event_id=None if f.event_id is None else text(f.event_id)) for f in case.findings)
    nc = tuple(dataclasses.replace(x, reason=text(x.reason)) for x in case.not_checked)
    return dataclasses.replace(case, crn=crn, findings=found, not_checked=nc)


def run(tables: Tables, as_of: date | None = BASE_AS_OF, *, pack: Any = None,
        supplied: Iterable[str] | None = None, solo: bool = False) -> list[Finding]:
    """All findings for the one person in ``tables``."""
    return list(report(tables, as_of, pack=pack, supplied=supplied, solo=solo).findings)


def of(findings: Iterable[Finding], rule_id: str) -> list[Finding]:
    """The findings of one rule."""
    return [f for f in findings if f.rule_id == rule_id]


def only(*rule_ids: str, pack: RulePack | None = None) -> RulePack:
    """The pack with every rule but these (and GOOD-PRACTICE) switched off: keeps tests fast.

    Rules do not read each other's results, so a rule's findings are the same
    whether or not the others run (test_engine.py checks this on a full case).
    """
    base = pack or DEFAULT_PACK
    cache_key = (tuple(sorted(rule_ids)), id(base))
    if cache_key not in _ONLY:
        keep = {*rule_ids, "GOOD-PRACTICE"}
        _ONLY[cache_key] = dataclasses.replace(
            base, disabled=frozenset(set(RULE_IDS) - keep) | base.disabled)
    return _ONLY[cache_key]


def findings(tables: Tables, rule_id: str, as_of: date | None = BASE_AS_OF, *,
             pack: RulePack | None = None, solo: bool = False) -> list[Finding]:
    """Every finding (gaps and good practice) with only ``rule_id`` enabled."""
    return run(tables, as_of, pack=only(rule_id, pack=pack), solo=solo)


def gaps(tables: Tables, rule_id: str, as_of: date | None = BASE_AS_OF, *,
         pack: RulePack | None = None, solo: bool = False) -> list[Finding]:
    """Run one rule and keep its findings, checking kind and severity on the way."""
    pk = pack or DEFAULT_PACK
    found = of(findings(tables, rule_id, as_of, pack=pk, solo=solo), rule_id)
    for f in found:
        assert f.kind == pk.kind(rule_id)
        assert f.severity == pk.severity(rule_id)
    return found


def good(findings: Iterable[Finding], *needles: str) -> list[Finding]:
    """GOOD-PRACTICE findings whose evidence holds every needle."""
    return [f for f in findings if f.rule_id == "GOOD-PRACTICE"
            and all(n in f.evidence for n in needles)]


def one(found: list[Finding]) -> Finding:
    """The single finding in a list (fails with the list otherwise)."""
    assert len(found) == 1, [(f.rule_id, f.date, f.summary, f.evidence) for f in found]
    return found[0]


def write_pack(tmp_path: Path, text: str) -> Any:
    """Load a local rule pack written to a temporary file."""
    path = tmp_path / "local-rules.toml"
    path.write_text(text, encoding="utf-8")
    return load_rule_pack(path)


def pytest_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    """Record and batch-run the scenarios of plain (fixture-free) rule tests."""
    here = Path(__file__).parent
    fns = [item.function for item in items
           if Path(str(item.fspath)).parent == here and not item.fixturenames]
    record(fns)
