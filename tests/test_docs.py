"""Every command and setting is documented."""

from __future__ import annotations

import argparse
from pathlib import Path

from sfo import cli, config

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_cli_command_is_documented():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    text = (DOCS / "cli.md").read_text("utf-8")
    for name in sub.choices:
        assert f"## sfo {name}" in text, f"sfo {name} is not in docs/cli.md"


def test_every_setting_is_documented():
    text = (DOCS / "settings.md").read_text("utf-8")
    for s in config.SETTINGS:
        assert f"`{s.env}`" in text, f"{s.env} is not in docs/settings.md"
