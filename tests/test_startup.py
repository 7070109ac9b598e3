"""Start-up budget guards (DESIGN §5): heavy modules are imported only where used.

Timing is measured by bench/bench.py, never asserted here; these tests pin what is
imported, which is what makes start-up fast.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("requests", "urllib3", "rich", "rich.live", "sqlite3", "http.server", "platformdirs")


def loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_cli_loads_no_heavy_module() -> None:
    mods = loaded_after("import otpcli.cli.app")
    assert not mods & set(HEAVY), sorted(mods & set(HEAVY))


def test_version_fast_path_does_not_import_typer() -> None:
    mods = loaded_after(
        "import sys\nsys.argv = ['otp', '--version']\nfrom otpcli.__main__ import main\nmain()"
    )
    assert "typer" not in mods
    assert "otpcli.cli.app" not in mods


@pytest.mark.parametrize("command", ["balance", "buy", "wait", "profile", "sandbox"])
def test_running_one_command_imports_only_its_module(command: str) -> None:
    mods = loaded_after(
        "from otpcli.cli.app import OtpGroup, app\n"
        "import typer\n"
        "group = typer.main.get_command(app)\n"
        f"group.get_command(typer.Context(group), {command!r})"
    )
    others = {
        "otpcli.cli.activation",
        "otpcli.cli.catalog",
        "otpcli.cli.profile",
        "otpcli.cli.sandbox",
        "otpcli.cli.orders",
    }
    owner = {
        "balance": "otpcli.cli.catalog",
        "buy": "otpcli.cli.activation",
        "wait": "otpcli.cli.activation",
        "profile": "otpcli.cli.profile",
        "sandbox": "otpcli.cli.sandbox",
    }[command]
    assert owner in mods
    assert not (others - {owner}) & mods, sorted((others - {owner}) & mods)
    assert "requests" not in mods and "sqlite3" not in mods
