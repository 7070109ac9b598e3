"""Start-up budget guards (DESIGN §5): heavy modules are imported only where used.

Timing is measured by bench/bench.py, never asserted here; these tests pin what is
imported, which is what makes start-up fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from otpcli.cli.app import COMMANDS

HEAVY = ("requests", "urllib3", "rich", "rich.live", "sqlite3", "http.server", "platformdirs")


def loaded_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    probe = f"{code}\nimport sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
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


# Every command module, derived from the registry so a new module is covered at once.
COMMAND_MODULES = frozenset(module for module, _sub, _panel in COMMANDS.values())


def test_the_registry_names_every_command_module() -> None:
    assert set(COMMAND_MODULES).issuperset(
        {
            "otpcli.cli.activation",
            "otpcli.cli.catalog",
            "otpcli.cli.profile",
            "otpcli.cli.sandbox",
            "otpcli.cli.orders",
            "otpcli.cli.cheap",
            "otpcli.cli.rent",
            "otpcli.cli.email",
            "otpcli.cli.configcmd",
            "otpcli.cli.completion",
        }
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_running_one_command_imports_only_its_module(command: str) -> None:
    mods = loaded_after(
        "from otpcli.cli.app import OtpGroup, app\n"
        "import typer\n"
        "group = typer.main.get_command(app)\n"
        f"group.get_command(typer.Context(group), {command!r})"
    )
    others = set(COMMAND_MODULES)
    owner = {
        "balance": "otpcli.cli.catalog",
        "buy": "otpcli.cli.activation",
        "wait": "otpcli.cli.activation",
        "profile": "otpcli.cli.profile",
        "sandbox": "otpcli.cli.sandbox",
    }.get(command, COMMANDS[command][0])
    assert owner == COMMANDS[command][0]
    assert owner in mods
    assert not (others - {owner}) & mods, sorted((others - {owner}) & mods)
    assert "requests" not in mods and "sqlite3" not in mods


class _Provider(BaseHTTPRequestHandler):
    """A provider on 127.0.0.1 that answers every request with one sms-activate reply."""

    def do_GET(self) -> None:
        body = b"STATUS_OK:4242" if "getStatus" in self.path else b"ACCESS_BALANCE:12.50"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def provider_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/stubs"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("argv", "printed"),
    [(["balance"], "12.50"), (["--json", "status", "7"], '"code": "4242"')],
)
def test_balance_and_status_start_without_typer_or_dataclasses(
    argv: list[str], printed: str, provider_url: str
) -> None:
    """The fast path (cli/quick.py): no Typer, no Rich, and no dataclass code generation
    (dataclasses and the `inspect` it imports), which together cost most of a start."""
    env = dict(os.environ, OTPCLI_PROVIDER="smsactivate", OTPCLI_API_KEY="k" * 8)
    env["OTPCLI_BASE_URL"] = provider_url
    code = f"import sys\nsys.argv = ['otp', *{argv!r}]\nfrom otpcli.__main__ import main\n"
    code += "assert main() == 0"
    mods = loaded_after(code, env)
    assert not {"typer", "rich", "dataclasses", "inspect"} & mods
    assert "otpcli.cli.quick" in mods and "requests" in mods
    out = subprocess.run(
        [sys.executable, "-m", "otpcli", *argv], env=env, capture_output=True, text=True, timeout=60
    )
    assert (out.returncode, out.stderr) == (0, "")
    assert printed in out.stdout
