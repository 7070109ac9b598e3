"""Global options go before or after the command name (DESIGN §3), fast path included.

`test_every_command_every_global_option` runs every command of the Typer tree with every
global option, before and after the command name, through the real entry point
(`otpcli.__main__.main`, so `balance`/`status` take the fast path). A spy on `merge` (which
every command calls first, cli/common.py's `setup`) records the options the command was
given and stops it there, so no command needs a provider; the test asserts the option
arrived with its value. `test_options_after_take_effect` checks the visible effects of
each option written after the command, end to end, both paths.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
import typer

from otpcli import __main__ as entry
from otpcli.cli import app as app_mod
from otpcli.cli import common, options, quick
from otpcli.cli.app import app
from otpcli.cli.options import GlobalOptions, Spec, hoist

# One runnable line per command (the test fails when a command has none).
SAMPLES: dict[str, list[str]] = {
    "buy": ["buy", "tg"],
    "wait": ["wait", "1"],
    "status": ["status", "1"],
    "finish": ["finish", "1"],
    "cancel": ["cancel", "1"],
    "again": ["again", "1"],
    "orders": ["orders"],
    "run": ["run", "tg", "--", "true"],
    "journal push": ["journal", "push"],
    "balance": ["balance"],
    "prices": ["prices", "tg"],
    "services": ["services"],
    "countries": ["countries"],
    "providers": ["providers"],
    "cheap servers": ["cheap", "servers"],
    "cheap buy": ["cheap", "buy", "1"],
    "rent countries": ["rent", "countries"],
    "rent prices": ["rent", "prices", "india"],
    "rent stock": ["rent", "stock", "india"],
    "rent buy": ["rent", "buy", "india", "--hours", "4"],
    "rent list": ["rent", "list"],
    "rent sms": ["rent", "sms", "1"],
    "rent renew": ["rent", "renew", "1", "--hours", "720"],
    "email services": ["email", "services"],
    "email buy": ["email", "buy", "x"],
    "email wait": ["email", "wait", "1"],
    "email cancel": ["email", "cancel", "1"],
    "email history": ["email", "history"],
    "profile add": ["profile", "add", "w", "--provider", "otpx"],
    "profile list": ["profile", "list"],
    "profile use": ["profile", "use", "w"],
    "profile remove": ["profile", "remove", "w"],
    "profile set": ["profile", "set", "w", "country", "22"],
    "profile show": ["profile", "show", "w"],
    "config path": ["config", "path"],
    "sandbox serve": ["sandbox", "serve"],
    "sandbox reset": ["sandbox", "reset"],
    "sandbox deliver": ["sandbox", "deliver", "1", "123456"],
    "sandbox fault": ["sandbox", "fault", "getBalance", "timeout"],
    "sandbox scenarios": ["sandbox", "scenarios"],
    "completion": ["completion", "bash"],
    "help": ["help", "exit-codes"],
    "version": ["version"],
}
URL = "https://host.example/stubs"
PROXY = "http://127.0.0.1:3128"
# Each global option as written, and the GlobalOptions field and value it must set.
GLOBALS: list[tuple[list[str], str, Any]] = [
    (["--json"], "json", True),
    (["-p", "work"], "profile", "work"),
    (["--profile=work"], "profile", "work"),
    (["--debug"], "debug", True),
    (["--sandbox"], "sandbox", True),
    (["-q"], "quiet", True),
    (["--quiet"], "quiet", True),
    (["--base-url", URL], "base_url", URL),
    (["--proxy", PROXY], "proxy", PROXY),
]
# A command's own option of the same spelling means something else: it stays the command's.
OWN = {("profile add", "--base-url")}


def _leaves() -> list[str]:
    root = typer.main.get_command(app)
    found: list[str] = []

    def walk(cmd: Any, path: list[str]) -> None:
        if hasattr(cmd, "list_commands"):
            for name in cmd.list_commands(None):
                walk(cmd.get_command(None, name), [*path, name])
        else:
            found.append(" ".join(path))

    walk(root, [])
    return found


def test_every_command_has_a_sample() -> None:
    assert sorted(_leaves()) == sorted(SAMPLES)


class _Stop(BaseException):
    """Raised by the spy once the command has its options: nothing else runs."""


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[GlobalOptions]]:
    got: list[GlobalOptions] = []
    real_merge, real_start = options.merge, options.start

    def merge(opts: GlobalOptions, **kw: Any) -> Any:
        real_merge(opts, **kw)
        got.append(opts)
        raise _Stop

    def start(opts: GlobalOptions) -> Any:
        got.append(opts)  # `completion` calls no merge: the root's options are its own
        return real_start(opts)

    for mod in (common, quick):
        monkeypatch.setattr(mod, "merge", merge)
    for mod in (app_mod, quick):
        monkeypatch.setattr(mod, "start", start)
    for var in ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)  # --proxy sets them; undone after the test
    yield got


def _main(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> int | None:
    monkeypatch.setattr(sys, "argv", ["otp", *argv])
    try:
        return entry.main()
    except _Stop:
        return None


@pytest.mark.parametrize("where", ["before", "after"])
@pytest.mark.parametrize("words,field,value", GLOBALS, ids=lambda x: str(x))
@pytest.mark.parametrize("command", sorted(SAMPLES))
def test_every_command_every_global_option(
    command: str,
    words: list[str],
    field: str,
    value: Any,
    where: str,
    seen: list[GlobalOptions],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sample = SAMPLES[command]
    # "After" is after the command's words but before a `--`: what follows `--` belongs
    # to the command otp runs (`otp run tg -- CMD ...`), never to otp.
    cut = sample.index("--") if "--" in sample else len(sample)
    argv = [*words, *sample] if where == "before" else [*sample[:cut], *words, *sample[cut:]]
    code = _main(monkeypatch, argv)
    _out, err = capsys.readouterr()
    assert "no such option" not in err.lower(), err
    if command not in ("completion", "version"):  # they end without a merge
        assert code is None, f"{argv} did not reach the command: exit {code}\n{err}"
    assert seen, f"{argv}: no command ran"
    got = getattr(seen[-1], field)
    if where == "after" and (command, words[0].split("=")[0]) in OWN:
        assert got in (None, False), f"{argv}: the command's own option was taken as global"
    else:
        assert got == value, f"{argv}: {field} is {got!r}, not {value!r}"


def test_hoist_keeps_values_separators_and_own_options() -> None:
    spec = {
        ("buy",): Spec(frozenset({"--wait"}), frozenset({"-c", "--country"})),
        ("profile",): Spec(group=True),
        ("profile", "add"): Spec(values=frozenset({"--base-url", "--provider"})),
        ("run",): Spec(),
    }
    look = spec.get
    assert hoist(["buy", "tg", "-q", "-c", "--json"], look) == ["-q", "buy", "tg", "-c", "--json"]
    assert hoist(["buy", "tg", "-pwork", "--debug"], look) == ["-pwork", "--debug", "buy", "tg"]
    assert hoist(["buy", "tg", "-p", "--odd"], look) == ["-p", "--odd", "buy", "tg"]
    assert hoist(["run", "tg", "--json", "--", "cmd", "--debug"], look) == [
        "--json",
        "run",
        "tg",
        "--",
        "cmd",
        "--debug",
    ]
    line = ["profile", "add", "w", "--base-url", "https://x", "--sandbox"]
    assert hoist(line, look) == ["--sandbox", "profile", "add", "w", "--base-url", "https://x"]
    assert hoist(["nope", "--debug"], look) == ["nope", "--debug"]
    assert hoist(["--json", "-p", "a", "buy", "x", "-p", "b"], look) == [
        "--json",
        "-p",
        "a",
        "-p",
        "b",
        "buy",
        "x",
    ]


KEY = "SENTINEL-KEY-globals-7f1e"


@pytest.fixture
def otpx(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    monkeypatch.setenv("OTPCLI_PROVIDER", "otpx")
    monkeypatch.setenv("OTPCLI_API_KEY", KEY)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_passthru("http://127.0.0.1")  # the sandbox
        for base in (URL, "https://otpx.in/api/stubs"):
            body = "ACCESS_BALANCE:11.00" if base == URL else "ACCESS_BALANCE:99.00"
            rsps.get(f"{base}/handler_api.php", body=body)
        yield rsps


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "typer"])
def test_options_after_take_effect(
    fast: bool,
    otpx: responses.RequestsMock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    def run(*argv: str) -> tuple[int, str, str]:
        if fast:
            assert quick.parse(list(argv)) is not None, f"{argv} should take the fast path"
        code = _main(monkeypatch, list(argv)) if fast else app_mod.main(list(argv))
        out, err = capsys.readouterr()
        assert code is not None
        return code, out, err

    for var in ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
    assert run("balance", "--base-url", URL)[1] == "11.00 INR\n"
    code, out, _ = run("balance", "--base-url", URL, "--json")
    assert json.loads(out)["balance"] == "11.00"
    code, out, err = run("balance", "--base-url", URL, "--debug")
    assert out == "11.00 INR\n" and "debug: otpcli.http" in err and KEY not in err
    code, out, _ = run("balance", "--sandbox")
    assert code == 0 and out.endswith("PLAY\n")
    code, _, err = run("balance", "-p", "nosuch")
    assert code == 3 and "nosuch" in err
    code, _, err = run("balance", "--proxy", "ftp://nope")
    assert code == 2 and "--proxy needs a URL" in err
    # `responses` answers below the proxy; the proxy is set for this process's requests.
    code, out, _ = run("balance", "--base-url", URL, "--proxy", PROXY, "-q")
    assert (code, out) == (0, "11.00 INR\n")
    assert os.environ.get("HTTPS_PROXY") == PROXY
