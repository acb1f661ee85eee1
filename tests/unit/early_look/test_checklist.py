"""The early-look checklist is data: shipped in the package, replaceable by a local file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfo import config
from sfo.domain.checklist import Checklist, Question
from sfo.errors import ChecklistInvalid, InputError
from sfo.standards import load_checklist, load_rule_pack

GOOD = '''
[checklist]
name = "north-region"
version = "1"

[[question]]
id = "NR01"
area = "Risk assessment"
text = "Was the risk assessment done on time?"
rule_ids = ["RISK-INIT"]
action_today = false

[[question]]
id = "NR02"
area = "Action today"
text = "Is anyone else at risk today?"
rule_ids = []
action_today = true
'''


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "local-checklist.toml"
    path.write_text(text, encoding="utf-8")
    return path


def bad(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ChecklistInvalid) as err:
        load_checklist(path)
    assert str(path) in str(err.value), "the message should name the file"
    return str(err.value)


def test_the_shipped_checklist_has_a_name_a_version_and_fifteen_questions() -> None:
    c = load_checklist()
    assert (c.name, c.version) == ("default", "2026.11")
    assert c.ids == tuple(f"EL{n:02d}" for n in range(1, 16))


def test_every_shipped_question_maps_only_to_gap_rules_of_the_rule_pack() -> None:
    pack = load_rule_pack()
    for q in load_checklist().questions:
        assert q.text.endswith("?") and q.area
        assert all(pack.kind(r) == "gap" for r in q.rule_ids), q.id


def test_every_gap_rule_gives_evidence_to_some_shipped_question() -> None:
    pack = load_rule_pack()
    gap_rules = {r for r in pack.rules if pack.kind(r) == "gap"}
    used = {r for q in load_checklist().questions for r in q.rule_ids}
    assert used == gap_rules


def test_the_shipped_checklist_covers_the_areas_the_issue_names() -> None:
    c = load_checklist()
    by_rule = {r: q.id for q in c.questions for r in q.rule_ids}
    assert by_rule["DA-CHECKS"] == "EL07" and by_rule["HOME-VISIT"] == "EL08"
    assert by_rule["RECALL-TIMELY"] == "EL06"
    assert c.question("EL06").applies_when == "licence"
    assert c.question("EL09").area == "MAPPA" and c.question("EL09").manager_answers
    assert [q.id for q in c.questions if q.action_today] == ["EL13", "EL14", "EL15"]


def test_a_local_checklist_replaces_the_shipped_one_as_a_whole(tmp_path: Path) -> None:
    c = load_checklist(write(tmp_path, GOOD))
    assert (c.name, c.version, c.ids) == ("north-region", "1", ("NR01", "NR02"))
    assert c.question("NR01") == Question("NR01", "Risk assessment",
                                          "Was the risk assessment done on time?",
                                          ("RISK-INIT",), False)
    assert c.origin == str(tmp_path / "local-checklist.toml")


def test_a_checklist_error_is_an_input_error_so_the_cli_and_app_show_it_plainly() -> None:
    assert issubclass(ChecklistInvalid, InputError)


def test_an_unknown_rule_id_is_named_with_the_question_and_the_known_rules(tmp_path: Path
                                                                          ) -> None:
    msg = bad(tmp_path, GOOD.replace('["RISK-INIT"]', '["RISK-INT"]'))
    assert "question NR01" in msg and "unknown rule 'RISK-INT'" in msg
    assert "RISK-INIT" in msg  # the list of rules it could have meant


def test_a_duplicate_question_id_is_refused(tmp_path: Path) -> None:
    msg = bad(tmp_path, GOOD.replace('id = "NR02"', 'id = "NR01"'))
    assert "NR01 is used twice" in msg and "questions 1 and 2" in msg


def test_a_question_without_text_is_refused(tmp_path: Path) -> None:
    msg = bad(tmp_path, GOOD.replace('text = "Is anyone else at risk today?"\n', ""))
    assert "question NR02 has no text" in msg


def test_a_question_with_empty_text_is_refused(tmp_path: Path) -> None:
    msg = bad(tmp_path, GOOD.replace('"Is anyone else at risk today?"', '"  "'))
    assert "question NR02 has an empty text" in msg


def test_a_context_rule_cannot_be_a_question_s_evidence(tmp_path: Path) -> None:
    msg = bad(tmp_path, GOOD.replace('["RISK-INIT"]', '["CTX-WORKLOAD"]'))
    assert "CTX-WORKLOAD" in msg and "working context" in msg


def test_a_misspelt_key_is_refused_rather_than_ignored(tmp_path: Path) -> None:
    msg = bad(tmp_path, GOOD.replace("action_today = true", "action_todya = true"))
    assert "unknown key 'action_todya'" in msg


def test_a_wrong_type_is_named(tmp_path: Path) -> None:
    msg = bad(tmp_path, GOOD.replace("action_today = true", 'action_today = "yes"'))
    assert "action_today = 'yes' should be true or false" in msg


def test_an_unknown_applies_when_is_refused(tmp_path: Path) -> None:
    msg = bad(tmp_path, GOOD.replace("action_today = false",
                                     'action_today = false\napplies_when = "licences"'))
    assert "applies_when = 'licences' is not known" in msg


def test_a_checklist_without_a_version_is_refused(tmp_path: Path) -> None:
    msg = bad(tmp_path, GOOD.replace('version = "1"\n', ""))
    assert "[checklist] needs a version" in msg


def test_a_file_that_is_not_toml_says_so(tmp_path: Path) -> None:
    msg = bad(tmp_path, "[checklist\nname=")
    assert "is not valid TOML" in msg


def test_a_missing_file_says_it_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ChecklistInvalid, match="does not exist"):
        load_checklist(tmp_path / "nope.toml")


def test_a_checklist_refuses_two_questions_with_one_id() -> None:
    q = Question("X1", "Area", "Text?")
    with pytest.raises(ChecklistInvalid, match="X1 is used twice"):
        Checklist("n", "1", (q, q))


def test_the_checklist_setting_is_registered_with_an_empty_default(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SFO_CHECKLIST", raising=False)
    assert config.setting("SFO_CHECKLIST") == ""
