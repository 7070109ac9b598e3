"""Command tests: buy, wait, status, cancel, finish, again, balance through the real CLI.

The provider is OTPX/SastaOTP/OTPGet behind `responses` with the documents' own replies;
stdout, stderr and the exit code are asserted separately. Time is a fake clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses
from responses import matchers

from otpcli.domain import clock as clock_mod
from otpcli.domain.clock import FakeClock
from tests.cli_helpers import mocked_otpx, run

OTPX = "https://otpx.test/api/stubs/handler_api.php"
SASTA = "https://sasta.test/stubs/handler_api.php"
OTPGET = "https://otpget.test/stubs/handler_api.php"
KEY = "SENTINEL-KEY-9f8e7d6c"


@pytest.fixture
def otpx(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    yield from mocked_otpx(monkeypatch, KEY)


def action(name: str, **extra: str) -> list[object]:
    return [matchers.query_param_matcher({"action": name, **extra}, strict_match=False)]


def no_key_anywhere(*texts: str) -> None:
    for t in texts:
        assert KEY not in t


def test_balance_plain_and_json(otpx: responses.RequestsMock) -> None:
    otpx.get(OTPX, body="ACCESS_BALANCE:150.50", match=action("getBalance"))
    r = run(["balance"])
    assert (r.exit_code, r.stdout, r.stderr) == (0, "150.50 INR\n", "")
    r = run(["balance", "--json"])
    assert r.exit_code == 0
    assert json.loads(r.stdout) == {"balance": "150.50", "currency": "INR"}


def test_buy_prints_id_and_number_only(otpx: responses.RequestsMock) -> None:
    otpx.get(
        OTPX,
        body="ACCESS_NUMBER:12345:919876543210",
        match=action("getNumber", service="wa", country="22"),
    )
    r = run(["buy", "wa", "-c", "22"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "12345 919876543210\n"
    assert "otp wait 12345" in r.stderr
    no_key_anywhere(r.stdout, r.stderr)


def test_buy_json_fields(otpx: responses.RequestsMock) -> None:
    otpx.get(OTPX, body="ACCESS_NUMBER:12345:919876543210", match=action("getNumber"))
    r = run(["--json", "buy", "wa", "-c", "22"])
    doc = json.loads(r.stdout)
    assert r.exit_code == 0
    assert {"id", "number", "service", "country", "price", "currency"} <= doc.keys()
    assert doc["id"] == "12345" and doc["number"] == "919876543210"
    assert doc["price"] is None


def test_wait_captures_exactly_the_code(otpx: responses.RequestsMock, clock: FakeClock) -> None:
    otpx.get(OTPX, body="STATUS_WAIT_CODE", match=action("getStatus", id="12345"))
    otpx.get(OTPX, body="STATUS_WAIT_CODE", match=action("getStatus", id="12345"))
    otpx.get(OTPX, body="STATUS_OK:123456", match=action("getStatus", id="12345"))
    r = run(["wait", "12345", "--interval", "2"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "123456\n"
    assert clock.sleeps == [2, 2]
    assert "waiting" in r.stderr


def test_wait_json(otpx: responses.RequestsMock, clock: FakeClock) -> None:
    otpx.get(OTPX, body="STATUS_OK:12-34:56", match=action("getStatus"))
    r = run(["wait", "12345", "--json"])
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert doc["id"] == "12345" and doc["code"] == "12-34:56" and "text" in doc


def test_wait_timeout_cancels_for_refund(otpx: responses.RequestsMock, clock: FakeClock) -> None:
    otpx.get(OTPX, body="STATUS_WAIT_CODE", match=action("getStatus"))
    cancel = otpx.get(OTPX, body="ACCESS_CANCEL", match=action("setStatus", id="7", status="8"))
    r = run(["wait", "7", "--timeout", "30", "--interval", "5"])
    assert r.exit_code == 124
    assert r.stdout == ""
    assert cancel.call_count == 1
    assert "error:" in r.stderr and "7" in r.stderr


def test_wait_timeout_keep_sends_no_cancel(otpx: responses.RequestsMock, clock: FakeClock) -> None:
    otpx.get(OTPX, body="STATUS_WAIT_CODE", match=action("getStatus"))
    cancel = otpx.get(OTPX, body="ACCESS_CANCEL", match=action("setStatus"))
    r = run(["wait", "7", "--timeout", "10", "--keep"])
    assert r.exit_code == 124
    assert cancel.call_count == 0
    assert "--keep" in r.stderr


def test_wait_timeout_json_error(otpx: responses.RequestsMock, clock: FakeClock) -> None:
    otpx.get(OTPX, body="STATUS_WAIT_CODE", match=action("getStatus"))
    otpx.get(OTPX, body="ACCESS_CANCEL", match=action("setStatus"))
    r = run(["wait", "7", "--timeout", "3", "--json"])
    assert r.exit_code == 124
    doc = json.loads(r.stdout)
    assert doc["error"] == "timeout" and doc["exit_code"] == 124


def test_wait_cancelled_activation_exits_8(otpx: responses.RequestsMock, clock: FakeClock) -> None:
    otpx.get(OTPX, body="STATUS_CANCEL", match=action("getStatus"))
    r = run(["wait", "7"])
    assert r.exit_code == 8
    assert r.stdout == ""
    assert "cancelled" in r.stderr


def test_status_cancel_again(otpx: responses.RequestsMock) -> None:
    otpx.get(OTPX, body="STATUS_OK:4242", match=action("getStatus"))
    r = run(["status", "7"])
    assert (r.exit_code, r.stdout) == (0, "code_received 4242\n")
    r = run(["status", "7", "--json"])
    doc = json.loads(r.stdout)
    assert doc["id"] == "7" and doc["state"] == "code_received" and doc["code"] == "4242"

    otpx.get(OTPX, body="ACCESS_CANCEL", match=action("setStatus", id="7", status="8"))
    r = run(["cancel", "7"])
    assert r.exit_code == 0 and r.stdout.strip()

    otpx.get(OTPX, body="ACCESS_RETRY_GET", match=action("setStatus", id="8", status="3"))
    r = run(["again", "8"])
    assert r.exit_code == 0, r.stderr
    assert "otp wait 8" in r.stderr


def test_finish_not_offered_by_otpx_sends_nothing(otpx: responses.RequestsMock) -> None:
    r = run(["finish", "7"])
    assert r.exit_code == 2
    assert r.stdout == ""
    assert len(otpx.calls) == 0
    assert "OTPX" in r.stderr


def test_catalog_not_offered_by_otpx(otpx: responses.RequestsMock) -> None:
    for cmd in (["services"], ["countries"], ["prices", "tg"]):
        r = run(cmd)
        assert r.exit_code == 2, cmd
        assert len(otpx.calls) == 0


@pytest.mark.parametrize(
    ("body", "code", "error"),
    [
        ("BAD_KEY", 4, "auth"),
        ("ACCOUNT_BAN", 4, "auth"),
        ("BAD_SERVICE", 2, "bad_input"),
        ("BAD_COUNTRY", 2, "bad_input"),
        ("BAD_ACTION", 2, "bad_input"),
        ("NO_BALANCE", 6, "no_balance"),
        ("NO_NUMBERS", 7, "unavailable"),
        ("<html><body>502 Bad Gateway</body></html>", 9, "provider"),
    ],
)
def test_buy_error_words(otpx: responses.RequestsMock, body: str, code: int, error: str) -> None:
    otpx.get(OTPX, body=body, match=action("getNumber"))
    r = run(["buy", "wa", "-c", "22"])
    assert r.exit_code == code
    assert r.stdout == ""
    assert "error:" in r.stderr
    r = run(["buy", "wa", "-c", "22", "--json"])
    doc = json.loads(r.stdout)
    assert doc["error"] == error and doc["exit_code"] == code


def test_no_activation_exits_5(otpx: responses.RequestsMock) -> None:
    otpx.get(OTPX, body="NO_ACTIVATION", match=action("getStatus"))
    r = run(["status", "404"])
    assert r.exit_code == 5
    assert r.stdout == ""


def test_purchase_never_retried_on_5xx(otpx: responses.RequestsMock) -> None:
    buy = otpx.get(OTPX, body="oops", status=502, match=action("getNumber"))
    r = run(["buy", "wa", "-c", "22"])
    assert r.exit_code == 9
    assert buy.call_count == 1
    assert "otp orders" in r.stderr or "dashboard" in r.stderr


def test_connection_refused_never_shows_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTPCLI_PROVIDER", "otpx")
    monkeypatch.setenv("OTPCLI_API_KEY", KEY)
    monkeypatch.setenv("OTPCLI_BASE_URL", "http://127.0.0.1:9/api/stubs")
    for args in (["balance"], ["buy", "wa"], ["status", "1"], ["--debug", "balance"]):
        r = run(args)
        assert r.exit_code == 9, (args, r.stderr)
        no_key_anywhere(r.stdout, r.stderr)


def test_missing_config_exits_3_with_fix() -> None:
    r = run(["balance"])
    assert r.exit_code == 3
    assert "otp profile add" in r.stderr
    assert r.stdout == ""


def test_unknown_option_exits_2() -> None:
    r = run(["buy", "--no-such-option"])
    assert r.exit_code == 2


def test_sastaotp_buy_json_price_and_wait(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    monkeypatch.setenv("OTPCLI_PROVIDER", "sastaotp")
    monkeypatch.setenv("OTPCLI_API_KEY", KEY)
    monkeypatch.setenv("OTPCLI_BASE_URL", "https://sasta.test/stubs")
    buy_reply = {
        "status": "OK",
        "order_id": 1234,
        "activation_id": "38496653",
        "number": "917991234567",
        "phone_number": "917991234567",
        "service": "Telegram",
        "service_code": "tg",
        "country": "India",
        "country_code": "91",
        "price": 18.50,
        "multi_sms": False,
        "can_get_another_sms": False,
        "expires_in": 1200,
        "note": None,
    }
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(SASTA, json=buy_reply, match=action("getNumber"))
        rsps.get(SASTA, body="STATUS_WAIT_CODE", match=action("getStatus"))
        rsps.get(SASTA, body="STATUS_OK:123456", match=action("getStatus"))
        rsps.get(
            SASTA,
            json={"verificationType": 2, "sms": {"code": "123456", "text": "Telegram code 123456"}},
            match=action("getStatusV2"),
        )
        r = run(["buy", "tg", "--json", "--wait", "--interval", "1"])
        assert r.exit_code == 0, r.stderr
        doc = json.loads(r.stdout)
        assert doc["id"] == "38496653"
        assert doc["price"] == "18.5" or doc["price"] == "18.50"
        assert doc["currency"] == "INR"
        assert doc["code"] == "123456"
        assert doc["text"] == "Telegram code 123456"
        for call in rsps.calls:
            assert KEY not in (call.request.url or "")
        no_key_anywhere(r.stdout, r.stderr)


def test_otpget_finish_and_early_cancel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTPCLI_PROVIDER", "otpget")
    monkeypatch.setenv("OTPCLI_API_KEY", KEY)
    monkeypatch.setenv("OTPCLI_BASE_URL", "https://otpget.test/stubs")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(OTPGET, body="ACCESS_FINISH", match=action("setStatus", id="abc123", status="6"))
        r = run(["finish", "abc123"])
        assert r.exit_code == 0, r.stderr
        rsps.get(OTPGET, body="EARLY_CANCEL_DENIED", match=action("setStatus", status="8"))
        r = run(["cancel", "abc123"])
        assert r.exit_code == 8
        assert "EARLY_CANCEL_DENIED" in r.stderr
        r = run(["again", "abc123"])
        assert r.exit_code == 2
        assert len([c for c in rsps.calls if "status=3" in (c.request.url or "")]) == 0


def test_usage_error_with_json_is_one_json_document() -> None:
    for args in (["buy", "--json"], ["--json", "buy"], ["buy", "tg", "--count", "0", "--json"]):
        r = run(args)
        assert r.exit_code == 2, args
        doc = json.loads(r.stdout)
        assert doc["error"] == "bad_input" and doc["exit_code"] == 2
        assert r.stderr.startswith("error: ") and "\nhint: " in r.stderr


def _journal_states() -> list[str]:
    from otpcli.services.session import open_journal

    journal = open_journal()
    try:
        return [o.state for o in journal.orders()]
    finally:
        journal.close()


def _bought(otpx: responses.RequestsMock) -> str:
    otpx.get(OTPX, body="ACCESS_NUMBER:55:919000000055", match=action("getNumber"))
    r = run(["buy", "wa", "-c", "22"])
    assert r.exit_code == 0, r.stderr
    return "55"


def test_timeout_whose_cancel_fails_is_left_cancel_pending(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    activation = _bought(otpx)
    otpx.get(OTPX, body="STATUS_WAIT_CODE", match=action("getStatus"))
    otpx.get(OTPX, body="oops", status=500, match=action("setStatus"))
    r = run(["wait", activation, "--timeout", "10"])
    assert r.exit_code == 124
    assert "otp cancel --pending" in r.stderr
    assert _journal_states() == ["cancel_pending"]


class InterruptOnRetry(FakeClock):
    """Ctrl-C while the early-cancel window is being waited out (10 s retry sleeps)."""

    def sleep(self, seconds: float) -> None:
        if seconds == 10:
            raise KeyboardInterrupt
        super().sleep(seconds)


def test_ctrl_c_while_waiting_out_the_window_keeps_the_refund_owed(
    otpx: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(clock_mod, "CLOCK", InterruptOnRetry())
    activation = _bought(otpx)
    otpx.get(OTPX, body="STATUS_WAIT_CODE", match=action("getStatus"))
    otpx.get(OTPX, body="EARLY_CANCEL_DENIED", match=action("setStatus"))
    r = run(["wait", activation, "--timeout", "6", "--interval", "5"])
    assert r.exit_code == 130
    assert "otp cancel --pending" in r.stderr
    assert _journal_states() == ["cancel_pending"]
