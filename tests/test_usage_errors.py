"""Usage errors speak otp's one voice (issue 12, item 2): `error:`/`hint:` lines on
stderr and exit 2, the closest commands suggested (difflib), the JSON error document
with --json before or after the command name, keys masked and controls escaped."""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import run

KEY = "sk_live_9f8e7d6c5b4a39281706"


@pytest.mark.parametrize(
    ("args", "name", "suggested"),
    [
        (["buyy"], "buyy", "'buy'"),
        (["blance"], "blance", "'balance'"),
        (["profle", "list"], "profle", "'profile'"),
        (["stock"], "stock", "'rent stock'"),
        (["rent", "stok"], "stok", "'stock'"),
        (["profile", "ad"], "ad", "'add'"),
    ],
)
def test_typos_get_the_closest_command(args: list[str], name: str, suggested: str) -> None:
    r = run(args)
    assert r.exit_code == 2
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0] == f"error: no such command '{name}'", r.stderr
    assert lines[1].startswith(f"hint: did you mean {suggested}"), r.stderr
    assert len(lines) == 2 and "╭" not in r.stderr and "Usage:" not in r.stderr


@pytest.mark.parametrize(
    ("args", "first"),
    [
        (["buy", "tg", "--jsn"], "error: no such option: --jsn"),
        (["status"], "error: missing argument"),
        (["balance", "extra"], "error: got unexpected extra argument"),
        (["buy", "tg", "--count", "x"], "error: invalid value for '--count'"),
    ],
)
def test_click_usage_errors_have_the_one_look(args: list[str], first: str) -> None:
    r = run(args)
    assert r.exit_code == 2 and r.stdout == ""
    error, hint = r.stderr.splitlines()
    assert error.startswith(first), r.stderr
    assert hint.startswith("hint: ") and f"otp {args[0]} -h" in hint, r.stderr


def test_an_unknown_option_suggests_the_close_ones() -> None:
    r = run(["buy", "tg", "--jsn"])
    assert "did you mean --json" in r.stderr


@pytest.mark.parametrize(
    "args", [["--json", "buyy"], ["buyy", "--json"], ["buy", "--jsn", "--json"]]
)
def test_json_anywhere_gives_the_error_document(args: list[str]) -> None:
    r = run(args)
    assert r.exit_code == 2
    doc = json.loads(r.stdout)  # exactly one document
    assert doc["error"] == "bad_input" and doc["exit_code"] == 2
    assert doc["message"] and doc["hint"]
    assert r.stderr.startswith("error: ")


def test_the_echoed_argument_is_masked_and_escaped() -> None:
    env = {"OTPCLI_PROVIDER": "otpx", "OTPCLI_API_KEY": KEY}
    r = run([f"{KEY}\x1b[2J"], env=env)
    assert r.exit_code == 2
    assert KEY[:9] not in r.stderr and "\x1b" not in r.stderr
    r = run(["--json", f"x\x1b]0;t\x07{KEY}"], env=env)
    assert KEY[:9] not in r.stdout + r.stderr and "\x1b" not in r.stdout + r.stderr
    assert json.loads(r.stdout)["error"] == "bad_input"


def test_no_arguments_still_shows_the_help() -> None:
    r = run([])
    assert "Usage" in r.stdout + r.stderr and "error:" not in r.stderr


@pytest.mark.parametrize("args", [["--version"], ["-V"], ["version"]])
def test_version_three_ways(args: list[str]) -> None:
    from otpcli import __version__

    r = run(args)
    assert r.exit_code == 0 and r.stdout == f"otp {__version__}\n"


@pytest.mark.parametrize("argv", [["-V"], ["version"]])
def test_version_on_the_fast_path(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess
    import sys

    from otpcli import __version__

    code = "import sys; from otpcli.__main__ import main; sys.exit(main())"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *argv], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout == f"otp {__version__}\n"
    assert "typer" not in done.stderr  # answered before Typer is imported


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["buy", "tg", "--cheapest"], "--cheapest"),
        (["prices", "tg", "--all-profiles"], "--all-profiles"),
    ],
)
def test_sandbox_refuses_a_comparison_of_real_profiles(
    args: list[str], option: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from otpcli.services import compare

    def never(*_a: object, **_k: object) -> None:
        raise AssertionError("real profiles were asked")

    monkeypatch.setattr(compare, "compare", never)
    for argv in (["--sandbox", *args], [*args, "--sandbox"]):
        r = run(argv)
        assert r.exit_code == 2, r.stderr
        assert r.stdout == ""
        assert r.stderr.startswith(f"error: {option} compares your configured profiles")
        assert "hint: drop " in r.stderr and "otp --sandbox" in r.stderr
