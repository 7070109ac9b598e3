"""The Typer-free fast path of `otp balance` and `otp status ID` (cli/quick.py).

`parse` must accept only the plain lines it can run exactly as Typer would, and every
line it accepts must give the same stdout, stderr and exit code both ways: each case
below runs through `quick` and through the Typer app against the same `responses`
provider, and the two results are compared, then checked against what the user sees.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
import responses
from responses import matchers

from otpcli.cli import quick
from otpcli.cli.app import main as typer_main
from otpcli.cli.failures import guarded
from tests.cli_helpers import mocked_otpx

OTPX = "https://otpx.test/api/stubs/handler_api.php"
KEY = "SENTINEL-KEY-quick-4b3a"


@pytest.fixture
def otpx(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    yield from mocked_otpx(monkeypatch, KEY)


def both_ways(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `argv` through the fast path and through Typer; assert they agree."""
    run = quick.parse(argv)
    assert run is not None, f"the fast path should take {argv}"
    fast = (guarded(run, run.env), *capsys.readouterr())
    slow = (typer_main(argv), *capsys.readouterr())
    assert fast == slow, f"{argv}: fast path {fast!r} != Typer {slow!r}"
    return fast


def action(name: str, **extra: str) -> list[object]:
    return [matchers.query_param_matcher({"action": name, **extra}, strict_match=False)]


@pytest.mark.parametrize(
    "argv",
    [
        ["balance"],
        ["--json", "balance"],
        ["balance", "--json"],
        ["-q", "balance"],
        ["--quiet", "--json", "balance", "--json"],
        ["--base-url", "https://otpx.test/api/stubs", "balance"],
        ["--base-url=https://otpx.test/api/stubs", "balance"],
        # Global options after the command name (cli/options.py's hoist), --debug too.
        ["balance", "-q"],
        ["balance", "--json", "--quiet"],
        ["balance", "--base-url", "https://otpx.test/api/stubs"],
    ],
)
def test_balance_lines_agree(
    argv: list[str],
    otpx: responses.RequestsMock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if any(a.startswith("--base-url") for a in argv):
        # Only the flag points at the mocked host: a path that ignored it would ask
        # wrong.test, which `responses` does not answer.
        monkeypatch.setenv("OTPCLI_BASE_URL", "https://wrong.test/api/stubs")
    otpx.get(OTPX, body="ACCESS_BALANCE:150.50", match=action("getBalance"))
    code, out, err = both_ways(argv, capsys)
    assert (code, err) == (0, "")
    if "--json" in argv:
        assert json.loads(out) == {"balance": "150.50", "currency": "INR"}
    else:
        assert out == "150.50 INR\n"


@pytest.mark.parametrize(
    ("body", "want_code", "want_out", "word"),
    [
        ("STATUS_WAIT_CODE", 0, "waiting\n", None),
        ("STATUS_OK:847 293", 0, "code_received 847293\n", None),
        ("STATUS_CANCEL", 0, "cancelled\n", None),
        ("NO_ACTIVATION", 5, "", "NO_ACTIVATION"),
        ("BAD_KEY", 4, "", "BAD_KEY"),
    ],
)
def test_status_lines_agree(
    body: str,
    want_code: int,
    want_out: str,
    word: str | None,
    otpx: responses.RequestsMock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    otpx.get(OTPX, body=body, match=action("getStatus", id="12345"))
    code, out, err = both_ways(["status", "12345"], capsys)
    assert (code, out) == (want_code, want_out)
    assert (word is None) == (err == "")
    if word:
        assert f"[{word}]" in err and "hint: " in err
    assert KEY not in out + err


def test_status_json_and_profile_after_the_id(
    otpx: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    otpx.get(OTPX, body="STATUS_OK:5521", match=action("getStatus", id="77"))
    code, out, err = both_ways(["status", "--json", "77"], capsys)
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "id": "77",
        "state": "code_received",
        "code": "5521",
        "text": None,
        "detail": None,
    }
    # A profile that does not exist is a configuration error (exit 3) either way.
    code, out, err = both_ways(["status", "77", "-p", "nosuch", "--json"], capsys)
    assert code == 3
    assert json.loads(out)["error"] == "config"
    assert "no profile named 'nosuch'" in err


def test_network_failure_agrees(
    otpx: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    otpx.get(OTPX, body=requests.ConnectionError("refused"))
    code, out, err = both_ways(["balance"], capsys)
    assert (code, out) == (9, "")
    assert err.startswith("error: ") and "Traceback" not in err


def test_a_bug_is_reported_the_same_way(
    otpx: responses.RequestsMock,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from otpcli.providers import _protocol

    def broken(*_a: object, **_k: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(_protocol, "parse_balance", broken)
    otpx.get(OTPX, body="ACCESS_BALANCE:1.00")
    code, out, err = both_ways(["balance"], capsys)
    assert (code, out) == (1, "")
    assert "internal error: RuntimeError: boom" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--help"],
        ["-h", "balance"],
        ["balance", "--help"],
        ["--version", "balance"],
        ["balance", "extra"],
        ["balance", "-p"],  # value missing
        ["balance", "-p", "-q"],  # value that looks like an option
        ["balance", "--profile="],
        ["balance", "-pwork"],
        ["balance", "-p=work"],
        ["balance", "--json=1"],
        ["balance", "--jso"],
        ["balance", "--"],
        ["status"],
        ["status", "1", "2"],
        ["status", "--", "-5"],
        ["status", "-5"],
        ["wait", "1"],
        ["buy", "tg"],
        ["Balance"],
        ["--json"],
        ["-p", "work"],
        ["--unknown", "balance"],
    ],
)
def test_lines_left_to_typer(argv: list[str]) -> None:
    assert quick.parse(argv) is None


def test_accepted_options_land_in_the_global_options(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[object, ...]] = []

    def fake_status(opts: object, activation_id: str) -> None:
        fields = {k: v for k, v in vars(opts).items() if k != "env"}  # the Env is the run's
        seen.append((fields, activation_id))

    monkeypatch.setitem(quick.COMMANDS, "status", (1, fake_status))
    # Typer's `status` imports the body from otpcli.cli.quick when it runs.
    monkeypatch.setattr(quick, "show_status", fake_status)
    line = "--sandbox -p first --base-url http://127.0.0.1:9/x status A1 --profile second --json"
    run = quick.parse(line.split())
    assert run is not None
    assert guarded(run, run.env) == 0
    opts, activation_id = seen[0]
    assert activation_id == "A1"
    assert opts == {
        "profile": "second",  # the command's own -p wins, as with Typer
        "base_url": "http://127.0.0.1:9/x",
        "sandbox": True,
        "json": True,
        "debug": False,
        "quiet": False,
        "proxy": None,
        "max_spend": None,
    }
    # The same line through Typer reaches the same body with the same options and id.
    assert typer_main(line.split()) == 0
    assert len(seen) == 2
    assert seen[1] == seen[0]


@pytest.mark.parametrize("argv", [["balance", "--debug"], ["--debug", "balance"]])
def test_debug_is_the_same_both_ways(
    argv: list[str], otpx: responses.RequestsMock, capsys: pytest.CaptureFixture[str]
) -> None:
    otpx.get(OTPX, body="ACCESS_BALANCE:150.50", match=action("getBalance"))
    code, out, err = both_ways(argv, capsys)
    assert (code, out) == (0, "150.50 INR\n")
    assert "debug: otpcli.http: GET" in err and KEY not in err
