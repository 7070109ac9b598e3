"""An id that cannot be one is bad input before anything is sent (issue 12, item 4):
empty, longer than 64 characters, or holding whitespace or control characters."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses

from otpcli.cli.quick import parse
from tests.cli_helpers import OTPX_BASE as OTPX
from tests.cli_helpers import mocked_otpx, run

BAD_IDS = ["", "x" * 65, "12 34", "12\n34", "12\x1b[2J", "\t"]
COMMANDS = [
    ["wait"],
    ["status"],
    ["finish"],
    ["cancel"],
    ["again"],
    ["email", "wait"],
    ["email", "cancel"],
    ["rent", "sms"],
    ["rent", "renew", "--hours", "4"],
]


@pytest.fixture
def otpx(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    yield from mocked_otpx(monkeypatch, "k" * 32)


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_bad_id_is_refused_and_nothing_is_sent(
    otpx: responses.RequestsMock, command: list[str], bad: str
) -> None:
    r = run([*command, bad])
    assert r.exit_code == 2, (r.stdout, r.stderr)
    assert r.stderr.startswith("error: the id ") and "\x1b" not in r.stderr
    assert len(otpx.calls) == 0


def test_a_bad_id_among_several_waits_is_refused(otpx: responses.RequestsMock) -> None:
    r = run(["wait", "123", ""])
    assert r.exit_code == 2 and len(otpx.calls) == 0


def test_with_json_the_refusal_is_the_error_document(otpx: responses.RequestsMock) -> None:
    for args in (["email", "wait", "", "--json"], ["--json", "status", "a b"]):
        r = run(args)
        assert r.exit_code == 2
        assert json.loads(r.stdout)["error"] == "bad_input"


def test_the_fast_path_refuses_too(otpx: responses.RequestsMock) -> None:
    from otpcli.cli.failures import guarded

    runner = parse(["status", "x" * 100])
    assert runner is not None
    assert guarded(runner, runner.env) == 2
    assert len(otpx.calls) == 0


def test_a_plain_id_still_goes_through(otpx: responses.RequestsMock) -> None:
    otpx.get(f"{OTPX}/handler_api.php", body="STATUS_WAIT_CODE")
    r = run(["status", "ab-12_34.x"])
    assert r.exit_code == 0, r.stderr
    assert len(otpx.calls) == 1
