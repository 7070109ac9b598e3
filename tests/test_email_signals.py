"""An interrupted `otp email wait` cleans up like an activation: a refund now, or a
`cancel_pending` row that `otp cancel --pending` settles later."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses

from otpcli.domain import clock as clock_mod
from otpcli.domain.clock import FakeClock
from otpcli.services.session import open_journal
from tests.cli_helpers import run

BASE = "https://otpget.test/stubs"
EMAIL = f"{BASE}/email_handler.php"
BOUGHT = {
    "status": "200",
    "message": "Email activated successfully",
    "email_id": "7291834",
    "email": "temp.abc123@gmail.com",
    "service": "Instagram",
    "domain": "gmail.com",
    "price": 120.00,
    "balance": 4880.00,
}


class CtrlC(FakeClock):
    """Ctrl-C arrives during the first sleep between polls."""

    def sleep(self, seconds: float) -> None:
        raise KeyboardInterrupt


def action(name: str) -> list[object]:
    return [responses.matchers.query_param_matcher({"action": name}, strict_match=False)]


@pytest.fixture
def otpget(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    monkeypatch.setenv("OTPCLI_PROVIDER", "otpget")
    monkeypatch.setenv("OTPCLI_API_KEY", "k-email-123456")
    monkeypatch.setenv("OTPCLI_BASE_URL", BASE)
    monkeypatch.setattr(clock_mod, "CLOCK", CtrlC())
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(EMAIL, json=BOUGHT, match=action("buyEmail"))
        rsps.get(EMAIL, json={"status": "202", "message": "Waiting"}, match=action("getEmailCode"))
        yield rsps


def states() -> list[str]:
    journal = open_journal()
    try:
        return [o.state for o in journal.orders()]
    finally:
        journal.close()


def test_interrupted_email_wait_is_refunded(otpget: responses.RequestsMock) -> None:
    cancel = otpget.get(
        EMAIL,
        json={"status": "200", "message": "Cancelled and refunded", "refunded": 120.00},
        match=action("cancelEmail"),
    )
    r = run(["email", "buy", "ig", "--wait"])
    assert r.exit_code == 130
    assert r.stdout == ""
    assert cancel.call_count == 1
    assert states() == ["cancelled"]


def test_refund_refused_now_is_left_cancel_pending_and_settled_later(
    otpget: responses.RequestsMock,
) -> None:
    refused = otpget.get(EMAIL, status=503, body="busy", match=action("cancelEmail"))
    r = run(["email", "buy", "ig", "--wait", "--json"])
    assert r.exit_code == 130
    assert json.loads(r.stdout)["exit_code"] == 130
    assert "otp cancel --pending" in r.stderr
    assert states() == ["cancel_pending"]

    otpget.remove(refused)
    otpget.get(
        EMAIL,
        json={"status": "200", "message": "Cancelled and refunded", "refunded": 120.00},
        match=action("cancelEmail"),
    )
    r = run(["cancel", "--pending"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "1 of 1 pending orders cancelled\n"
    assert states() == ["cancelled"]
