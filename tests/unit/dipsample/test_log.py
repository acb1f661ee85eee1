"""The selection log: hash-chained so any change shows, and every redraw reported."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json

import numpy as np
import pandas as pd
import pytest

from dipsample import log
from dipsample.errors import LogInvalid
from dipsample.frame import Frame
from dipsample.selection import Sampler
from dipsample.substitution import substitute

AT = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)


def caseload(n: int) -> pd.DataFrame:
    """A synthetic caseload (made up)."""
    rng = np.random.default_rng(5)
    return pd.DataFrame({"crn": [f"E{i:06d}" for i in range(n)],
                         "tier": rng.choice(["A", "B"], n)}).astype("str")


FRAME = Frame.from_dataframe(caseload(50))


def history() -> tuple[log.LogEntry, ...]:
    """Draw, substitute, then draw again with another seed."""
    first = Sampler(6, strata="tier", random_state=1).draw(FRAME, drawn_by="a.jones", drawn_at=AT)
    entries = log.append((), action="draw", actor="a.jones", at=AT, sample=first,
                         detail={"frame": "caseload.csv"})
    sub = substitute(first, first.selected["crn"].iloc[0], "TRANSFERRED", actor="a.jones", at=AT)
    entries = log.append(entries, action="substitute", actor="a.jones",
                         at=AT + dt.timedelta(days=1), sample=sub,
                         detail={"crn": sub.substitutions[0].crn})
    again = Sampler(6, strata="tier", random_state=2).draw(FRAME, drawn_by="b.smith")
    return log.append(entries, action="draw", actor="b.smith", at=AT + dt.timedelta(days=2),
                      sample=again)


def test_an_entry_records_who_when_seed_parameters_fingerprint_and_the_cases():
    sample = Sampler(6, strata="tier", random_state=1).draw(FRAME)
    (entry,) = log.append((), action="draw", actor="a.jones", at=AT, sample=sample)
    assert (entry.sequence, entry.action, entry.actor, entry.at) == (
        1, "draw", "a.jones", "2026-01-05T09:30:00+00:00")
    assert entry.seed == "0x00000000000000000000000000000001"
    assert entry.params["strata"] == "tier" and entry.params["random_state"] == entry.seed
    assert entry.fingerprint == FRAME.fingerprint and entry.n == 6
    crns = "\n".join(sorted(sample.selected["crn"]))
    assert entry.selected_digest == hashlib.sha256(crns.encode()).hexdigest()
    assert entry.previous_hash == "0" * 64


def test_the_entry_hash_is_sha256_of_the_canonical_json_of_every_other_field():
    entry = history()[1]
    content = {k: v for k, v in entry.as_dict().items() if k != "entry_hash"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry.entry_hash == hashlib.sha256(text.encode()).hexdigest()


def test_entries_are_chained_and_an_intact_log_verifies():
    entries = history()
    assert [e.sequence for e in entries] == [1, 2, 3]
    assert entries[1].previous_hash == entries[0].entry_hash
    assert entries[2].previous_hash == entries[1].entry_hash
    assert log.verify(entries) == []


def test_a_changed_entry_breaks_the_chain():
    entries = list(history())
    entries[1] = dataclasses.replace(entries[1], actor="someone else")
    assert log.verify(entries) == [
        "Entry 2 has been changed since it was written (its hash does not match its content)."]


def test_a_removed_entry_breaks_the_chain():
    entries = history()
    problems = log.verify([entries[0], entries[2]])
    assert any("Entry 2 has sequence number 3" in p for p in problems)
    assert any("Entry 2 does not follow entry 1" in p for p in problems)
    assert any("Entry 1 does not start the log" in p for p in log.verify(entries[1:]))


def test_reordered_entries_break_the_chain():
    a, b, c = history()
    assert log.verify([a, c, b])


def test_appending_to_a_broken_log_is_refused():
    entries = list(history())
    entries[0] = dataclasses.replace(entries[0], seed="0x" + "f" * 32)
    sample = Sampler(6, random_state=3).draw(FRAME)
    with pytest.raises(LogInvalid):
        log.append(entries, action="draw", actor="x", at=AT, sample=sample)


def test_a_draw_of_the_same_frame_with_another_seed_is_a_redraw_naming_both():
    (redraw,) = log.redraws(history())
    assert (redraw.sequence, redraw.actor, redraw.first_sequence, redraw.first_actor) == (
        3, "b.smith", 1, "a.jones")
    assert redraw.seed == "0x00000000000000000000000000000002"
    assert redraw.first_seed == "0x00000000000000000000000000000001"
    assert redraw.differs == ("seed",)
    text = str(redraw)
    assert text.startswith("Redraw: draw 3 (by b.smith at 2026-01-07T09:30:00+00:00")
    assert "than draw 1 (by a.jones" in text and "Both draws must be reported." in text


def test_other_parameters_on_the_same_frame_are_a_redraw_too():
    a = Sampler(6, random_state=1).draw(FRAME)
    b = Sampler(6, strata="tier", random_state=1).draw(FRAME)
    entries = log.append((), action="draw", actor="x", at=AT, sample=a)
    entries = log.append(entries, action="draw", actor="x", at=AT, sample=b)
    assert [r.differs for r in log.redraws(entries)] == [("parameters",)]


def test_repeating_a_draw_exactly_or_drawing_another_frame_is_not_a_redraw():
    sample = Sampler(6, random_state=1).draw(FRAME)
    other = Frame.from_dataframe(caseload(40))
    entries = log.append((), action="draw", actor="x", at=AT, sample=sample)
    entries = log.append(entries, action="draw", actor="y", at=AT, sample=sample)
    entries = log.append(entries, action="draw", actor="y", at=AT,
                         sample=Sampler(6, random_state=9).draw(other))
    assert log.redraws(entries) == []


def test_a_log_round_trips_through_json_lines():
    entries = history()
    text = log.to_jsonl(entries)
    assert text.count("\n") == 3 and text.endswith("\n")
    back = log.from_jsonl(text, source="sample.log.jsonl")
    assert back == entries
    assert log.verify(back) == []


def test_a_tampered_file_still_reads_but_does_not_verify():
    lines = log.to_jsonl(history()).splitlines()
    data = json.loads(lines[0])
    data["n"] = 7
    lines[0] = json.dumps(data)
    back = log.from_jsonl("\n".join(lines), source="sample.log.jsonl")
    assert log.verify(back)[0].startswith("Entry 1 has been changed")


def test_a_bad_line_is_refused_naming_the_line_and_field():
    lines = log.to_jsonl(history()).splitlines()
    data = json.loads(lines[1])
    data["seed"] = "1234"
    del data["actor"]
    lines[1] = json.dumps(data)
    lines.append("{not json")
    with pytest.raises(LogInvalid) as err:
        log.from_jsonl("\n".join(lines), source="sample.log.jsonl")
    assert [(i.row, i.column) for i in err.value.issues] == [(2, "actor"), (2, "seed"),
                                                              (4, None)]
    message = str(err.value)
    assert message.startswith("The selection log sample.log.jsonl could not be read: 3 problems")
    assert "sample.log.jsonl, line 2, field 'actor': missing" in message
    assert "sample.log.jsonl, line 2, field 'seed': '1234' is not a seed" in message
    assert "sample.log.jsonl, line 4: not JSON" in message


def test_blank_lines_are_skipped_and_an_empty_log_is_no_entries():
    assert log.from_jsonl("", source="x") == ()
    entries = history()
    assert log.from_jsonl("\n" + log.to_jsonl(entries) + "\n\n", source="x") == entries
