"""`sfo templates check` and `sfo templates list` as someone editing a template runs them."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import pytest

from sfo import cli
from sfo.documents import rendering


def shipped(name: str) -> Path:
    return rendering.TEMPLATES / name


def edited_copy(tmp_path: Path, name: str, changes: dict[str, str]) -> Path:
    """A copy of a shipped Word template with pieces of its body changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(shipped(name)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                text = data.decode("utf-8")
                for old, new in changes.items():
                    assert old in text, old
                    text = text.replace(old, new, 1)
                data = text.encode("utf-8")
            zout.writestr(item, data)
    path = tmp_path / f"my_{name}"
    path.write_bytes(out.getvalue())
    return path


def test_a_good_template_is_accepted_and_says_where_to_put_it(tmp_path: Path, capsys):
    mine = tmp_path / "our review.docx"
    shutil.copy(shipped("review.docx"), mine)
    code = cli.main(["templates", "check", str(mine), "--kind", "review"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0] == f"The template {mine} can be used."
    assert "SFO_TEMPLATE_DIR as review.docx" in out


def test_a_broken_template_exits_2_with_each_problem_on_a_line_of_its_own(tmp_path: Path,
                                                                          capsys):
    mine = edited_copy(tmp_path, "early_look.docx", {
        '{{ case.rosh or "Not recorded" }}': "{{ case.crnn }}",
        "{{ case.pdu }}": "{{ case.pdu }",
    })
    code = cli.main(["templates", "check", str(mine), "--kind", "early_look"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert lines[0] == (f"sfo: The template {mine} cannot be used as the early look template: "
                        "2 problems.")
    problems = [line for line in lines if line.startswith("  - ")]
    assert len(problems) == 2
    assert problems[0].startswith("  - In table 1, row 3, column 2, which begins "
                                  "'{{ case.pdu }'")
    assert "Type the closing }} at its end" in problems[0]
    assert problems[1].startswith("  - In table 1, row 8, column 2, which begins "
                                  "'{{ case.crnn }}': The field case.crnn is not one the "
                                  "toolkit fills. Did you mean case.crn?")
    assert "check the template again" in lines[-1]
    assert "Traceback" not in captured.err


def test_a_pdf_renamed_docx_is_turned_away_with_how_to_save_a_word_document(tmp_path: Path,
                                                                            capsys):
    mine = tmp_path / "family_summary.docx"
    mine.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    code = cli.main(["templates", "check", str(mine), "--kind", "family_summary"])
    err = capsys.readouterr().err
    assert code == 2
    assert ("  - This is not a Word document (.docx). Open it in Word and use File > Save As > "
            "Word Document (.docx).") in err


def test_a_missing_file_exits_2_naming_it(tmp_path: Path, capsys):
    code = cli.main(["templates", "check", str(tmp_path / "nope.docx"), "--kind", "review"])
    assert code == 2
    assert f"There is no file {tmp_path / 'nope.docx'}." in capsys.readouterr().err


def test_check_needs_to_be_told_which_kind_of_template_it_is(tmp_path: Path, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["templates", "check", str(shipped("review.docx"))])
    assert stopped.value.code == 2
    assert "--kind" in capsys.readouterr().err


def test_list_shows_every_kind_and_format_as_shipped_with_its_sha256(monkeypatch, capsys):
    monkeypatch.delenv("SFO_TEMPLATE_DIR", raising=False)
    assert cli.main(["templates", "list"]) == 0
    out = capsys.readouterr().out
    assert "SFO_TEMPLATE_DIR is not set" in out
    rows = [line.split() for line in out.splitlines() if line.strip().endswith((".docx", ".j2"))]
    assert [row[0] for row in rows] == ["early_look", "early_look", "review", "review",
                                        "family_summary", "family_summary"]
    for row in rows:
        path = Path(row[-1])
        assert "shipped" in row
        assert hashlib.sha256(path.read_bytes()).hexdigest()[:12] in row


def test_list_shows_a_local_template_from_the_template_folder(tmp_path: Path, monkeypatch,
                                                              capsys):
    local = tmp_path / "early_look.docx"
    mine = edited_copy(tmp_path, "early_look.docx", {"{{ case.pdu }}": "{{ case.team }}"})
    mine.replace(local)
    monkeypatch.setenv("SFO_TEMPLATE_DIR", str(tmp_path))
    assert cli.main(["templates", "list"]) == 0
    out = capsys.readouterr().out
    row = next(line.split() for line in out.splitlines() if line.strip().endswith(str(local)))
    assert row[:3] == ["early_look", "Word", "local"]
    assert row[3] == hashlib.sha256(local.read_bytes()).hexdigest()[:12]
    rows = out.splitlines()[2:]
    assert len(rows) == 6
    assert sum(" shipped " in r for r in rows) == 5 and sum(" local " in r for r in rows) == 1


def test_list_with_a_template_folder_that_is_not_there_exits_2(tmp_path: Path, monkeypatch,
                                                               capsys):
    monkeypatch.setenv("SFO_TEMPLATE_DIR", str(tmp_path / "missing"))
    assert cli.main(["templates", "list"]) == 2
    assert "which is not a folder" in capsys.readouterr().err


def test_install_puts_a_good_template_in_use_and_keeps_the_one_it_replaces(
        tmp_path: Path, capsys, monkeypatch):
    folder = tmp_path / "local"
    monkeypatch.setenv("SFO_TEMPLATE_DIR", str(folder))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = edited_copy(tmp_path / "a", "review.docx", {"Key episodes": "Key practice episodes"})
    assert cli.main(["templates", "install", str(first), "--kind", "review"]) == 0
    assert (folder / "review.docx").read_bytes() == first.read_bytes()
    assert rendering.template_path("review.docx") == folder / "review.docx"
    second = edited_copy(tmp_path / "b", "review.docx", {"Key episodes": "Episodes"})
    assert cli.main(["templates", "install", str(second), "--kind", "review"]) == 0
    out = capsys.readouterr().out
    assert "kept as" in out
    kept = [p for p in folder.iterdir() if p.name.endswith(".previous")]
    assert len(kept) == 1 and kept[0].read_bytes() == first.read_bytes()
    assert (folder / "review.docx").read_bytes() == second.read_bytes()


def test_install_refuses_a_broken_template_and_leaves_the_one_in_use(
        tmp_path: Path, capsys, monkeypatch):
    folder = tmp_path / "local"
    folder.mkdir()
    monkeypatch.setenv("SFO_TEMPLATE_DIR", str(folder))
    good = edited_copy(tmp_path, "review.docx", {"Key episodes": "Key practice episodes"})
    (folder / "review.docx").write_bytes(good.read_bytes())
    (tmp_path / "b").mkdir()
    broken = edited_copy(tmp_path / "b", "review.docx", {"{{ case.crn }}": "{{ case.crnn }}"})
    assert cli.main(["templates", "install", str(broken), "--kind", "review"]) == 2
    err = capsys.readouterr().err
    assert "not installed" in err and "case.crnn" in err and "Did you mean case.crn?" in err
    assert (folder / "review.docx").read_bytes() == good.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == ["review.docx"]


def test_install_without_a_local_folder_says_how_to_set_one(tmp_path: Path, capsys,
                                                            monkeypatch):
    monkeypatch.delenv("SFO_TEMPLATE_DIR", raising=False)
    code = cli.main(["templates", "install", str(shipped("review.docx")), "--kind", "review"])
    assert code == 2 and "SFO_TEMPLATE_DIR is not set" in capsys.readouterr().err
