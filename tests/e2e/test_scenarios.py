"""End-to-end: the sandbox's scenarios and every error path of buy / wait / status.

`nonum` (exit 7), `nobal` (6), a rejected key (4, and the key never printed nor stored),
`never` with `wait --timeout` (124, then cancelled for a refund; `--keep` keeps it),
`slow` (the code after several polls), an unknown id (5), an unknown service or country
or option (2), and the `--json` error document (one JSON document on stdout with
error / message / exit_code matching the process's exit code).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Otp, Result

SECRET = "bad-e2e-Zq81xK3y"  # a key starting with `bad` is rejected by the sandbox


def json_error(res: Result, error: str, word: str | None = None) -> dict[str, object]:
    """stdout is exactly one JSON document describing the error."""
    doc = json.loads(res.stdout)
    assert isinstance(doc, dict), res
    assert doc["error"] == error, res
    assert doc["exit_code"] == res.returncode, res
    assert isinstance(doc["message"], str) and doc["message"], res
    if word is not None:
        assert doc.get("provider_word") == word, res
    return doc


@pytest.mark.parametrize(
    ("service", "code", "error", "word"),
    [
        ("nonum", 7, "unavailable", "NO_NUMBERS"),
        ("nobal", 6, "no_balance", "NO_BALANCE"),
        # Unknown service: refused by the provider (BAD_SERVICE) or before sending anything.
        ("no-such-service", 2, "bad_input", None),
    ],
)
def test_buy_refused(otp: Otp, service: str, code: int, error: str, word: str | None) -> None:
    res = otp("--sandbox", "buy", service).expect(code)
    assert res.stdout == ""
    assert (word or service) in res.stderr and "error" in res.stderr
    assert len(res.stderr.strip().splitlines()) <= 3  # one or two lines (+ hint)
    res = otp("--sandbox", "buy", service, "--json").expect(code)
    json_error(res, error, word)
    # Refused: nothing was bought (no order id in the journal).
    assert otp.journal() == {}


def test_bad_country_and_unknown_option_are_bad_input(otp: Otp) -> None:
    res = otp("--sandbox", "buy", "tg", "-c", "999").expect(2)
    assert res.stdout == "" and "BAD_COUNTRY" in res.stderr
    res = otp("--sandbox", "buy", "tg", "--no-such-option").expect(2)
    assert res.stdout == ""
    assert "--no-such-option" in res.stderr


def test_rejected_key_exits_4_and_is_never_shown(otp: Otp) -> None:
    env = {"OTPCLI_API_KEY": SECRET}
    res = otp("--sandbox", "balance", env=env).expect(4)
    assert res.stdout == ""
    assert "BAD_KEY" in res.stderr
    results = [res]
    res = otp("--sandbox", "buy", "tg", "--json", env=env).expect(4)
    json_error(res, "auth", "BAD_KEY")
    results.append(res)
    # --debug logs every HTTP call: the key must still be redacted.
    res = otp("--debug", "buy", "tg", env={**env, "OTPCLI_PROVIDER": "sandbox"}).expect(4)
    assert "getNumber" in res.stderr  # the debug log is there
    results.append(res)
    for r in results:
        assert SECRET not in r.stdout + r.stderr, r
        assert "Zq81x" not in r.stdout + r.stderr, r
    # Nor in the journal or the sandbox state.
    for path in Path(otp.state_dir).rglob("*"):
        if path.is_file():
            assert b"Zq81x" not in path.read_bytes(), path


def test_never_times_out_then_is_cancelled_for_a_refund(otp: Otp) -> None:
    otp.env["OTPCLI_SANDBOX_TIME_SCALE"] = "100"  # window 1.2 s, life 12 s
    oid = otp.buy("never")
    start = time.monotonic()
    res = otp("--sandbox", "wait", oid, "--timeout", "1.5", "--interval", "1").expect(124)
    assert time.monotonic() - start >= 1.5
    assert res.stdout == ""
    assert f"cancelling {oid}" in res.stderr
    assert "refunded" in res.stderr
    assert otp.balance() == "1000.00 PLAY\n"
    assert otp.state(oid) == "cancelled"


def test_never_with_keep_stays_waiting(otp: Otp) -> None:
    otp.env["OTPCLI_SANDBOX_TIME_SCALE"] = "100"
    oid = otp.buy("never")
    res = otp("--sandbox", "wait", oid, "--timeout", "1", "--keep", "--json").expect(124)
    doc = json_error(res, "timeout")
    assert doc["exit_code"] == 124
    assert "--keep" in res.stderr or "kept" in res.stderr
    assert otp.state(oid) == "waiting"
    assert otp("--sandbox", "status", oid, "--json").expect(0).json()["state"] == "waiting"


def test_slow_sms_arrives_after_several_polls(otp: Otp) -> None:
    otp.env["OTPCLI_SANDBOX_TIME_SCALE"] = "30"  # 60 s of sandbox time: 2 s, 2-3 polls
    oid = otp.buy("slow")
    res = otp("--sandbox", "--debug", "wait", oid, "--interval", "1", "--timeout", "20").expect(0)
    assert re.fullmatch(r"\d{6}\n", res.stdout), res
    assert res.stderr.count("action=getStatus") >= 2, res
    assert "waiting (poll 1" in res.stderr
    assert otp.state(oid) == "code_received"


def test_unknown_id(otp: Otp) -> None:
    res = otp("--sandbox", "wait", "5999999999", "--timeout", "5").expect(5)
    assert res.stdout == ""
    assert "NO_ACTIVATION" in res.stderr
    res = otp("--sandbox", "status", "5999999999", "--json").expect(5)
    json_error(res, "not_found", "NO_ACTIVATION")
    res = otp("--sandbox", "cancel", "5999999999").expect(5)
    assert res.stdout == ""
