"""Imports flow one way: ui/cli -> services -> domain; adapters -> domain."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STDLIB = set(sys.stdlib_module_names)
# sklearn is computation on data held in memory (sfo.domain.themes groups learning text),
# not I/O, so the pure layers may use it like pandas.
DATA_LIBS = {"pandas", "numpy", "scipy", "sklearn"}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_the_layers_exist():
    for folder in ["sfo/domain", "sfo/importers", "sfo/standards", "sfo/services", "dipsample"]:
        assert (ROOT / folder / "__init__.py").exists(), folder


@pytest.mark.parametrize("path", modules("sfo/domain"), ids=lambda p: p.name)
def test_domain_is_pure(path: Path):
    for name in imports_of(path):
        top = name.split(".")[0]
        allowed = (top in STDLIB and top not in {"os", "sqlite3", "subprocess", "socket"}) or (
            top in DATA_LIBS) or name.startswith(("sfo.domain", "sfo.errors"))
        assert allowed, f"{path.relative_to(ROOT)} imports {name}"


@pytest.mark.parametrize("path", modules("dipsample"), ids=lambda p: p.name)
def test_dipsample_is_pure(path: Path):
    for name in imports_of(path):
        top = name.split(".")[0]
        assert (top in STDLIB and top != "os") or top in DATA_LIBS or top == "dipsample", (
            f"{path.relative_to(ROOT)} imports {name}")


@pytest.mark.parametrize(
    "path",
    modules("sfo/importers") + modules("sfo/standards") + modules("sfo/store")
    + modules("sfo/documents"),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_adapters_do_not_reach_up(path: Path):
    for name in imports_of(path):
        assert not name.startswith(("sfo.services", "sfo.cli", "ui", "streamlit")), (
            f"{path.relative_to(ROOT)} imports {name}")


@pytest.mark.parametrize("path", modules("sfo/services"), ids=lambda p: p.name)
def test_services_do_not_import_entrypoints(path: Path):
    for name in imports_of(path):
        assert not name.startswith(("sfo.cli", "ui", "streamlit")), (
            f"{path.relative_to(ROOT)} imports {name}")


def test_the_checker_sees_a_forbidden_import(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text("import sqlite3\nfrom sfo.services import analysis\n")
    assert imports_of(bad) == {"sqlite3", "sfo.services"}


def test_every_source_folder_is_a_package_so_it_is_installed():
    for folder in ["sfo", "dipsample", "fixtures"]:
        for path in (ROOT / folder).rglob("*.py"):
            assert (path.parent / "__init__.py").exists(), (
                f"{path.parent.relative_to(ROOT)} has no __init__.py; a wheel would leave it out")
