"""Every command's help carries an example, and `otp --help` groups commands in panels."""

from __future__ import annotations

from typing import Any

import typer

from otpcli.cli.app import COMMANDS, app
from tests.cli_helpers import run


def leaves() -> list[tuple[str, Any]]:
    root = typer.main.get_command(app)
    ctx = typer.Context(root, info_name="otp")
    found: list[tuple[str, Any]] = []

    def walk(cmd: Any, path: list[str]) -> None:
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), [*path, name])
        else:
            found.append((" ".join(path), cmd))

    walk(root, [])
    return found


def test_every_command_has_an_example() -> None:
    missing = [path for path, cmd in leaves() if "Example:" not in (cmd.help or "")]
    assert missing == []


def test_root_help_lists_every_command_in_a_panel() -> None:
    r = run(["--help"])
    assert r.exit_code == 0
    for name in COMMANDS:
        assert name in r.stdout
    for panel in {panel for _, _, panel in COMMANDS.values()}:
        assert panel in r.stdout
