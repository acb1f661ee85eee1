"""The selection log: an append-only, hash-chained record of every draw and substitution.

Pure data (the caller reads and writes the file). Each entry records who did
what and when, the seed (as 0x-hex), the sampler's parameters, the
fingerprint of the eligible frame, the sample size and ``selected_digest``,
the SHA-256 of the selected CRNs sorted and joined by newlines. Each entry's
``entry_hash`` is the SHA-256 of the canonical JSON (keys sorted, no spaces,
UTF-8) of all its other fields, ``previous_hash`` included, so changing,
removing, inserting or reordering an entry breaks the chain from there on
(the first entry's ``previous_hash`` is 64 zeros). Cutting entries off the
END leaves a valid shorter chain, so keep the last hash elsewhere too (the
draw record or report) if that matters.

A second draw from the same eligible frame (same fingerprint) with a
different seed or parameters is a REDRAW, and :func:`redraws` lists every one
(who, when, both seeds), so drawing until a sample looks convenient is
visible to anyone reading the log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

from dipsample.errors import Issue, LogInvalid
from dipsample.selection import Sample

GENESIS = "0" * 64
ACTIONS = ("draw", "substitute")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SEED = re.compile(r"0x[0-9a-f]{32}")


@dataclass(frozen=True)
class LogEntry:
    """One entry of the selection log (see the module docstring for the hash)."""

    sequence: int
    action: str
    actor: str
    at: str
    seed: str
    params: Mapping[str, Any]
    fingerprint: str
    n: int
    selected_digest: str
    detail: Mapping[str, Any] | None
    previous_hash: str
    entry_hash: str

    def content(self) -> dict[str, Any]:
        """Every field but ``entry_hash``: what the hash covers."""
        out = self.as_dict()
        del out["entry_hash"]
        return out

    def as_dict(self) -> dict[str, Any]:
        """The entry as JSON-ready data."""
        out = asdict(self)
        out["params"] = dict(self.params)
        out["detail"] = dict(self.detail) if self.detail is not None else None
        return out

    def computed_hash(self) -> str:
        """The hash this entry's content should have."""
        return hashlib.sha256(canonical_json(self.content())).hexdigest()


_FIELDS = tuple(f.name for f in fields(LogEntry))


@dataclass(frozen=True)
class Redraw:
    """A draw from an already-drawn frame with a different seed or parameters."""

    fingerprint: str
    sequence: int
    actor: str
    at: str
    seed: str
    first_sequence: int
    first_actor: str
    first_at: str
    first_seed: str
    differs: tuple[str, ...]  # "seed", "parameters"

    def __str__(self) -> str:
        """The redraw in plain English, for a report or the command line."""
        what = " and ".join(f"a different {d}" for d in self.differs)
        return (f"Redraw: draw {self.sequence} (by {self.actor or 'unnamed'} at {self.at}, seed "
                f"{self.seed}) drew again from the same eligible frame (fingerprint "
                f"{self.fingerprint[:12]}...) with {what} than draw {self.first_sequence} (by "
                f"{self.first_actor or 'unnamed'} at {self.first_at}, seed {self.first_seed}). "
                "Both draws must be reported.")


def canonical_json(value: Any) -> bytes:
    """JSON with keys sorted and no spaces, as UTF-8: the bytes entry hashes are taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def append(entries: Sequence[LogEntry], *, action: str, actor: str,
           at: dt.datetime | str | None, sample: Sample,
           detail: Mapping[str, Any] | None = None) -> tuple[LogEntry, ...]:
    """The log with one more entry, chained to the last; refused if the log is already broken."""
    if action not in ACTIONS:
        raise ValueError(f"a log action is one of {', '.join(ACTIONS)}, not {action!r}")
    problems = verify(entries)
    if problems:
        raise LogInvalid([Issue(None, None, p) for p in problems], source="selection log")
    fields_ = sample.log_entry()
    when = at if at is not None else dt.datetime.now(dt.UTC)
    content = {
        "sequence": len(entries) + 1,
        "action": action,
        "actor": actor,
        "at": when.isoformat() if isinstance(when, dt.datetime) else str(when),
        "seed": fields_["seed"],
        "params": fields_["params"],
        "fingerprint": fields_["fingerprint"],
        "n": fields_["n"],
        "selected_digest": fields_["selected_digest"],
        "detail": json.loads(canonical_json(dict(detail))) if detail is not None else None,
        "previous_hash": entries[-1].entry_hash if entries else GENESIS,
    }
    # Through JSON and back, so the entry holds exactly what a reader of the file gets.
    content = json.loads(canonical_json(content))
    entry = LogEntry(**content, entry_hash=hashlib.sha256(canonical_json(content)).hexdigest())
    return (*entries, entry)


def verify(entries: Sequence[LogEntry]) -> list[str]:
    """Problems with the chain, in plain English (empty if every entry is as written)."""
    problems = []
    previous = GENESIS
    for i, entry in enumerate(entries, start=1):
        if entry.sequence != i:
            problems.append(f"Entry {i} has sequence number {entry.sequence}, not {i}: an entry "
                            "has been removed, inserted or moved.")
        if entry.previous_hash != previous:
            if i == 1:
                problems.append("Entry 1 does not start the log (it follows another entry): "
                                "earlier entries have been removed.")
            else:
                problems.append(f"Entry {i} does not follow entry {i - 1} (its previous_hash "
                                "differs): an entry has been removed, inserted or moved.")
        if entry.computed_hash() != entry.entry_hash:
            problems.append(f"Entry {i} has been changed since it was written (its hash does "
                            "not match its content).")
        previous = entry.entry_hash
    return problems


def redraws(entries: Sequence[LogEntry]) -> list[Redraw]:
    """Every draw of an already-drawn eligible frame with a different seed or parameters."""
    found = []
    earlier: dict[str, list[LogEntry]] = {}
    for entry in entries:
        if entry.action != "draw":
            continue
        before = earlier.setdefault(entry.fingerprint, [])
        if before:
            first = before[0]
            new_seed = any(e.seed != entry.seed for e in before)
            new_settings = any(_settings(e) != _settings(entry) for e in before)
            differs = tuple(d for d, hit in (("seed", new_seed), ("parameters", new_settings))
                            if hit)
            if differs:
                found.append(Redraw(fingerprint=entry.fingerprint, sequence=entry.sequence,
                                    actor=entry.actor, at=entry.at, seed=entry.seed,
                                    first_sequence=first.sequence, first_actor=first.actor,
                                    first_at=first.at, first_seed=first.seed, differs=differs))
        before.append(entry)
    return found


def _settings(entry: LogEntry) -> dict[str, Any]:
    """The parameters without the seed (the seed is compared on its own)."""
    return {k: v for k, v in entry.params.items() if k != "random_state"}


def to_jsonl(entries: Sequence[LogEntry]) -> str:
    """The log as JSON Lines: one canonical JSON object per entry, each ending in a newline."""
    return "".join(canonical_json(e.as_dict()).decode("utf-8") + "\n" for e in entries)


def from_jsonl(text: str, *, source: str) -> tuple[LogEntry, ...]:
    """Read a log written by :func:`to_jsonl`; a bad line is a LogInvalid naming it.

    Reading does not check the chain: call :func:`verify` to know whether it
    has been changed (a changed log is still readable, so it can be shown).
    """
    issues: list[Issue] = []
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            issues.append(Issue(number, None, f"not JSON ({exc.msg} at character {exc.pos + 1})"))
            continue
        if not isinstance(data, dict):
            issues.append(Issue(number, None, "not a JSON object (each line holds one entry)"))
            continue
        found = _check_line(number, data)
        if found:
            issues += found
            continue
        entries.append(LogEntry(**{name: data[name] for name in _FIELDS}))
    if issues:
        raise LogInvalid(issues, source=source)
    return tuple(entries)


def _check_line(number: int, data: dict[str, Any]) -> list[Issue]:
    """Problems with one entry's fields."""
    issues = [Issue(number, name, "missing") for name in _FIELDS if name not in data]
    issues += [Issue(number, name, "not a field of a log entry") for name in data
               if name not in _FIELDS]

    def bad(name: str, ok: bool, expected: str) -> None:
        if name in data and not ok:
            issues.append(Issue(number, name, f"{data[name]!r} is not {expected}"))

    def whole(v: Any) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and v >= 0

    def hex64(v: Any) -> bool:
        return isinstance(v, str) and _HEX64.fullmatch(v) is not None

    bad("sequence", whole(data.get("sequence")), "a whole number")
    bad("action", data.get("action") in ACTIONS, "draw or substitute")
    bad("actor", isinstance(data.get("actor"), str), "text")
    bad("at", isinstance(data.get("at"), str) and _is_time(data["at"]), "an ISO date and time")
    bad("seed", isinstance(data.get("seed"), str) and _SEED.fullmatch(data["seed"]) is not None,
        "a seed written 0x and 32 hexadecimal digits")
    bad("params", isinstance(data.get("params"), dict), "a JSON object")
    bad("fingerprint", hex64(data.get("fingerprint")), "a SHA-256 in hexadecimal")
    bad("n", whole(data.get("n")), "a whole number")
    bad("selected_digest", hex64(data.get("selected_digest")), "a SHA-256 in hexadecimal")
    bad("detail", data.get("detail") is None or isinstance(data.get("detail"), dict),
        "a JSON object or null")
    bad("previous_hash", hex64(data.get("previous_hash")), "a SHA-256 in hexadecimal")
    bad("entry_hash", hex64(data.get("entry_hash")), "a SHA-256 in hexadecimal")
    return issues


def _is_time(text: str) -> bool:
    """Whether text is an ISO 8601 date and time."""
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
