"""`otp cheap`, `otp rent`, `otp email` through the real CLI, OTPGet behind `responses`.

stdout, stderr and exit codes are asserted apart; the journal is checked while the
purchase request is in flight (row written before), and after.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from otpcli.domain.clock import FakeClock
from otpcli.services.session import open_journal
from tests.cli_helpers import run

BASE = "https://otpget.test/stubs"
CHEAP = f"{BASE}/cheap_handler.php"
RENT = f"{BASE}/rental-handler.php"
EMAIL = f"{BASE}/email_handler.php"
SMS = f"{BASE}/handler_api.php"
KEY = "SENTINEL-KEY-1a2b3c4d"


def sent(call: Any) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query))


def action(name: str) -> list[object]:
    return [responses.matchers.query_param_matcher({"action": name}, strict_match=False)]


@pytest.fixture
def otpget(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    monkeypatch.setenv("OTPCLI_PROVIDER", "otpget")
    monkeypatch.setenv("OTPCLI_API_KEY", KEY)
    monkeypatch.setenv("OTPCLI_BASE_URL", BASE)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def rows() -> list[Any]:
    journal = open_journal()
    try:
        return journal.orders()
    finally:
        journal.close()


def journal_seen_during(reply: str, seen: list[list[Any]]) -> Any:
    def callback(request: Any) -> tuple[int, dict[str, str], str]:
        seen.append(rows())
        return 200, {}, reply

    return callback


def no_key(*texts: str) -> None:
    for t in texts:
        assert KEY not in t


# --- cheap --------------------------------------------------------------------------------


def test_cheap_buy_journal_first_then_wait_status_finish_on_cheap_handler(
    otpget: responses.RequestsMock, clock: FakeClock
) -> None:
    during: list[list[Any]] = []
    otpget.add_callback(
        responses.GET,
        CHEAP,
        callback=journal_seen_during("ORDER_ID_12345,+923001234567,900", during),
        match=action("buyNumber"),
    )
    r = run(["cheap", "buy", "2", "--server-type", "1"])
    assert (r.exit_code, r.stdout) == (0, "ORDER_ID_12345 +923001234567\n"), r.stderr
    assert "15 min" in r.stderr
    (before,) = during[0]
    assert (before.kind, before.state, before.order_id) == ("cheap", "pending", None)
    (after,) = rows()
    assert (after.kind, after.state, after.order_id) == ("cheap", "waiting", "ORDER_ID_12345")
    assert after.expires_at is not None

    otpget.get(CHEAP, body="STATUS_WAIT_CODE", match=action("getStatus"))
    otpget.get(CHEAP, body="STATUS_OK:847293", match=action("getStatus"))
    r = run(["wait", "ORDER_ID_12345"])
    assert (r.exit_code, r.stdout) == (0, "847293\n"), r.stderr
    # the cheap document's 5 s (the host cap may add sub-second gaps)
    assert [round(s) for s in clock.sleeps if s >= 1] == [5]
    assert "lives 15 more min" in r.stderr

    otpget.get(CHEAP, body="STATUS_OK:847293", match=action("getStatus"))
    assert run(["status", "ORDER_ID_12345"]).stdout == "code_received 847293\n"
    otpget.get(CHEAP, body="ACCESS_FINISH", match=action("setStatus"))
    r = run(["finish", "ORDER_ID_12345"])
    assert (r.exit_code, r.stdout) == (0, "finished\n")
    assert all(c.request.url.startswith(CHEAP) for c in otpget.calls)
    assert sent(otpget.calls[-1])["status"] == "3"
    no_key(r.stdout, r.stderr)


def test_cheap_wait_timeout_capped_by_life_and_cancelled(
    otpget: responses.RequestsMock, clock: FakeClock
) -> None:
    otpget.get(CHEAP, body="ORDER_ID_1,+923001234567,20", match=action("buyNumber"))
    assert run(["cheap", "buy", "1"]).exit_code == 0
    otpget.get(CHEAP, body="STATUS_WAIT_CODE", match=action("getStatus"))
    cancel = otpget.get(CHEAP, body="ACCESS_READY", match=action("setStatus"))
    r = run(["wait", "ORDER_ID_1"])
    assert r.exit_code == 124
    assert sum(clock.sleeps) <= 20.5  # the number's 20 s of life, not 600 s
    assert cancel.call_count == 1 and sent(otpget.calls[-1])["status"] == "8"
    assert rows()[0].state == "cancelled"


def test_cheap_servers_table(otpget: responses.RequestsMock) -> None:
    otpget.get(CHEAP, body='{"2": [{"id": "3", "name": "India Server"}]}')
    r = run(["cheap", "servers", "--server-type", "2"])
    assert r.exit_code == 0 and "India Server" in r.stdout
    r = run(["cheap", "servers", "--server-type", "2", "--json"])
    assert json.loads(r.stdout) == {"servers": [{"id": "3", "name": "India Server", "type": "2"}]}


def test_products_unsupported_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTPCLI_PROVIDER", "otpx")
    monkeypatch.setenv("OTPCLI_API_KEY", KEY)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for args in (["rent", "countries"], ["email", "services"], ["cheap", "servers"]):
            r = run(args)
            assert r.exit_code == 2, args
            assert "nothing was sent" in r.stderr
        r = run(["--json", "rent", "buy", "ca", "--hours", "720"])
        assert json.loads(r.stdout)["error"] == "bad_input"
        assert not rsps.calls
    assert rows() == []


# --- rentals ------------------------------------------------------------------------------

RENTED = (
    '{"status":"200","message":"Number rented successfully","phone":"3434337545",'
    '"order_id":"2673093356180000583","server":"Server 2","duration_hours":720,'
    '"price_paid":"840.00","new_balance":"4220.00","expires":"2026-04-09 21:55:55"}'
)
MY_RENTALS = (
    '{"status":"200","total":1,"rentals":[{"id":"27","server":"Server 2",'
    '"phone_number":"3434337545","order_id":"2673093356180000583","status":"active",'
    '"country_code":"ca","country_name":"Canada","duration_hours":"720",'
    '"price_paid":"840.00","expiry_time":"2999-04-09 21:55:55"}]}'
)


@pytest.mark.parametrize(("hours", "server"), [("48", "1"), ("12", "2"), ("720", "5")])
def test_rent_bad_duration_sends_nothing(
    otpget: responses.RequestsMock, hours: str, server: str
) -> None:
    r = run(["rent", "buy", "ca", "--hours", hours, "--server", server])
    assert r.exit_code == 2 and r.stdout == ""
    assert "nothing was sent" in r.stderr
    assert not otpget.calls and rows() == []


def test_rent_buy_journal_first_and_orders_show_expiry(otpget: responses.RequestsMock) -> None:
    during: list[list[Any]] = []
    otpget.add_callback(
        responses.GET,
        RENT,
        callback=journal_seen_during(RENTED, during),
        match=action("rentNumber"),
    )
    r = run(["rent", "buy", "ca", "--hours", "720", "--server", "2"])
    assert (r.exit_code, r.stdout) == (0, "2673093356180000583 3434337545\n"), r.stderr
    assert sent(otpget.calls[0])["duration_hours"] == "720"
    assert sent(otpget.calls[0])["provider"] == "2"
    assert during[0][0].kind == "rental" and during[0][0].state == "pending"
    r = run(["orders", "--json"])
    (row,) = json.loads(r.stdout)["orders"]
    assert (row["kind"], row["id"], row["state"], row["price"]) == (
        "rental",
        "2673093356180000583",
        "active",
        "840.00",
    )
    assert row["expires_at"] - row["created_at"] == pytest.approx(720 * 3600, abs=5)
    r = run(["orders"])
    assert "left" in r.stdout and "30d" in r.stdout


def test_rent_unknown_outcome_names_the_rental_listed_but_never_adopts_it(
    otpget: responses.RequestsMock,
) -> None:
    otpget.get(RENT, body=requests.exceptions.ReadTimeout("slow"), match=action("rentNumber"))
    otpget.get(RENT, body=MY_RENTALS, match=action("getMyRentals"))
    r = run(["rent", "buy", "ca", "--hours", "720", "--server", "2"])
    assert (r.exit_code, r.stdout) == (9, ""), r.stderr
    assert "order 2673093356180000583 (3434337545)" in r.stderr
    (row,) = rows()
    assert (row.state, row.order_id) == ("unknown", None)
    assert "2673093356180000583" in (row.note or "")


def test_rent_unknown_outcome_stays_unknown(otpget: responses.RequestsMock) -> None:
    otpget.get(RENT, body=requests.exceptions.ReadTimeout("slow"), match=action("rentNumber"))
    otpget.get(RENT, body='{"status":"200","total":0,"rentals":[]}', match=action("getMyRentals"))
    r = run(["rent", "buy", "ca", "--hours", "720", "--server", "2"])
    assert r.exit_code == 9 and r.stdout == ""
    assert rows()[0].state == "unknown"
    buys = [c for c in otpget.calls if sent(c)["action"] == "rentNumber"]
    assert len(buys) == 1  # never re-sent


@pytest.mark.parametrize(
    ("status", "message", "code", "state"),
    [
        ("402", "Insufficient balance.", 6, "failed"),
        ("404", "No pricing found for country_code=ca provider=2 duration_hours=720", 7, "failed"),
        ("500", "Database error: deadlock", 9, "failed"),
        ("503", "Server 2 is currently disabled.", 7, "failed"),
        ("401", "Invalid API key.", 4, "failed"),
    ],
)
def test_rent_buy_errors(
    otpget: responses.RequestsMock, status: str, message: str, code: int, state: str
) -> None:
    otpget.get(RENT, json={"status": status, "message": message}, match=action("rentNumber"))
    otpget.get(RENT, body='{"status":"200","total":0,"rentals":[]}', match=action("getMyRentals"))
    r = run(["--json", "rent", "buy", "ca", "--hours", "720", "--server", "2"])
    assert r.exit_code == code
    assert json.loads(r.stdout)["exit_code"] == code
    assert rows()[0].state == state


def test_rent_list_sms_and_wait_for_newer(otpget: responses.RequestsMock, clock: FakeClock) -> None:
    otpget.get(RENT, body=MY_RENTALS, match=action("getMyRentals"))
    r = run(["rent", "list"])
    assert r.exit_code == 0 and "active" in r.stdout and "left" in r.stdout
    (listed,) = json.loads(run(["rent", "list", "--json"]).stdout)["rentals"]
    assert listed["phone"] == "3434337545" and listed["seconds_left"] > 0
    assert (listed["rental_id"], listed["order_id"]) == ("27", "2673093356180000583")

    first = {"from": "Server 2", "text": "<#> Your WhatsApp Business code 740-279", "code": ""}
    first["timestamp"] = "2026-03-09T20:57:32Z"
    second = {"from": "Server 2", "text": "Your code is 5521", "code": "", "timestamp": "z"}
    one = {"status": "200", "phone_number": "5812822291", "order_id": "9", "messages": [first]}
    two = {**one, "messages": [first, second]}
    otpget.get(RENT, json=one, match=action("getRentalSMS"))
    r = run(["rent", "sms", "9"])
    assert r.exit_code == 0 and "740279" in r.stdout and "740-279" in r.stdout
    # Not bought through otp: "new" means newer than what is there when the wait starts.
    otpget.get(RENT, json=one, match=action("getRentalSMS"))
    otpget.get(RENT, json=one, match=action("getRentalSMS"))
    otpget.get(RENT, json=two, match=action("getRentalSMS"))
    r = run(["rent", "sms", "9", "--wait", "--interval", "2"])
    assert (r.exit_code, r.stdout) == (0, "5521\n"), r.stderr


def test_rent_renew_by_order_id(otpget: responses.RequestsMock) -> None:
    otpget.get(RENT, body=MY_RENTALS, match=action("getMyRentals"))
    otpget.get(
        RENT,
        json={
            "status": "200",
            "message": "Renewed successfully",
            "rental_id": 27,
            "phone_number": "3434337545",
            "duration_hours": 720,
            "price_paid": "840.00",
            "new_balance": "3440.00",
            "new_expiry": "2026-05-09 21:55:55",
        },
        match=action("renewRental"),
    )
    r = run(["rent", "renew", "2673093356180000583", "--hours", "720"])
    assert (r.exit_code, r.stdout) == (0, "2026-05-09 21:55:55\n"), r.stderr
    renew = [c for c in otpget.calls if sent(c)["action"] == "renewRental"]
    assert sent(renew[0])["rental_id"] == "27"
    (row,) = rows()
    assert (row.kind, row.state, str(row.price)) == ("renewal", "finished", "840.00")
    r = run(["rent", "renew", "27", "--hours", "24"])  # Server 2: monthly only
    assert r.exit_code == 2
    assert len([c for c in otpget.calls if sent(c)["action"] == "renewRental"]) == 1


# --- e-mail -------------------------------------------------------------------------------

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


def test_email_buy_wait(otpget: responses.RequestsMock, clock: FakeClock) -> None:
    during: list[list[Any]] = []
    otpget.add_callback(
        responses.GET,
        EMAIL,
        callback=journal_seen_during(json.dumps(BOUGHT), during),
        match=action("buyEmail"),
    )
    otpget.get(EMAIL, json={"status": "202", "message": "Waiting for code..."})
    otpget.get(
        EMAIL,
        json={
            "status": "200",
            "email_id": "7291834",
            "messages": [{"subject": "Code", "body": "Your code is 847293", "code": "847293"}],
        },
    )
    r = run(["email", "buy", "ig", "--domain", "gmail.com", "--wait"])
    assert (r.exit_code, r.stdout) == (0, "847293\n"), r.stderr
    assert sent(otpget.calls[0]) == {
        "api_key": KEY,
        "action": "buyEmail",
        "service_id": "ig",
        "domain": "gmail.com",
    }
    assert during[0][0].kind == "email" and during[0][0].state == "pending"
    (row,) = rows()
    assert (row.order_id, row.number, row.state, row.code) == (
        "7291834",
        "temp.abc123@gmail.com",
        "code_received",
        "847293",
    )


def test_email_wait_timeout_cancels_for_refund(
    otpget: responses.RequestsMock, clock: FakeClock
) -> None:
    otpget.get(
        EMAIL,
        json={"status": "202", "message": "Waiting for code..."},
        match=action("getEmailCode"),
    )
    cancel = otpget.get(
        EMAIL,
        json={"status": "200", "message": "Cancelled and refunded", "refunded": 120.00},
        match=action("cancelEmail"),
    )
    r = run(["email", "wait", "7291834", "--timeout", "30"])
    assert r.exit_code == 124 and r.stdout == ""
    assert cancel.call_count == 1 and "refunded" in r.stderr
    r = run(["email", "wait", "7291834", "--timeout", "10", "--keep"])
    assert r.exit_code == 124 and cancel.call_count == 1


def test_email_wait_timeout_but_cancel_returns_the_code(
    otpget: responses.RequestsMock, clock: FakeClock
) -> None:
    otpget.get(EMAIL, json={"status": "202"}, match=action("getEmailCode"))
    otpget.get(
        EMAIL,
        json={"status": "200", "message": "Order completed - OTP was already received",
              "code": "847293", "email": "temp.abc@gmail.com"},
        match=action("cancelEmail"),
    )  # fmt: skip
    r = run(["email", "wait", "7291834", "--timeout", "5"])
    assert (r.exit_code, r.stdout) == (0, "847293\n")


def test_email_wait_cancelled_is_exit_8(otpget: responses.RequestsMock, clock: FakeClock) -> None:
    otpget.get(EMAIL, json={"status": "300", "message": "Cancelled"})
    r = run(["email", "wait", "7291834"])
    assert r.exit_code == 8


def test_email_cancel_shows_code_and_history(otpget: responses.RequestsMock) -> None:
    otpget.get(
        EMAIL,
        json={"status": "200", "message": "Order completed - OTP was already received",
              "code": "847293", "email": "temp.abc@gmail.com"},
        match=action("cancelEmail"),
    )  # fmt: skip
    r = run(["email", "cancel", "7291834"])
    assert (r.exit_code, r.stdout) == (0, "847293\n")
    otpget.get(
        EMAIL,
        body='{"status": "200", "total": 1, "page": 3, "history": ['
        '{"email_id": "1", "email_address": "a@gmail.com", "service_id": "ig",'
        ' "status": "cancelled", "code": "", "price": 120.00}]}',
        match=action("getEmailHistory"),
    )  # fmt: skip
    r = run(["email", "history", "--page", "3", "--json"])
    doc = json.loads(r.stdout)
    assert doc["entries"][0]["price"] == "120.00" and sent(otpget.calls[-1])["page"] == "3"


def test_email_no_stock_and_domain(otpget: responses.RequestsMock) -> None:
    otpget.get(EMAIL, json={"status": "404", "message": "No stock available for this service"})
    assert run(["email", "buy", "ig"]).exit_code == 7
    assert rows()[0].state == "failed"
    r = run(["email", "buy", "ig"])
    assert (r.exit_code, r.stdout) == (7, "")
    assert "no e-mail addresses left" in r.stderr, r.stderr
    # The service exists but this domain does not carry it: nothing available (7), not
    # bad input, and the hint points at another domain.
    not_here = {"status": "404", "message": "Service not available for this domain"}
    otpget.replace(responses.GET, EMAIL, json=not_here)
    r = run(["email", "buy", "ig", "--domain", "yahoo.com"])
    assert (r.exit_code, r.stdout) == (7, ""), r.stderr
    assert "not offered on that domain" in r.stderr, r.stderr
    assert "otp email services --domain" in r.stderr, r.stderr
    assert sent(otpget.calls[-1])["domain"] == "yahoo.com"
    assert len(rows()) == 3
    assert [row.state for row in rows()] == ["failed"] * 3
    r = run(["email", "buy", "ig", "--domain", "yahoo.com", "--json"])
    doc = json.loads(r.stdout)
    assert (r.exit_code, doc["exit_code"], doc["error"]) == (7, 7, "unavailable")


def test_activation_command_on_email_id_is_refused(
    otpget: responses.RequestsMock, clock: FakeClock
) -> None:
    otpget.get(EMAIL, json=BOUGHT, match=action("buyEmail"))
    assert run(["email", "buy", "ig"]).exit_code == 0
    r = run(["wait", "7291834"])
    assert r.exit_code == 2 and "otp email wait 7291834" in r.stderr
    assert len(otpget.calls) == 1
