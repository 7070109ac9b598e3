"""Every action of OTPGet's cheap, rental and e-mail documents, end to end: the real CLI
(`--sandbox`) against the simulator over real HTTP, play money in one wallet."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from otpcli.sandbox.httpd import start_background
from tests.cli_helpers import run


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    # Arrivals at once; 30 sandbox seconds between rental SMS last 30 ms.
    monkeypatch.setenv("OTPCLI_SANDBOX_TIME_SCALE", "1000")
    monkeypatch.setenv("OTPCLI_SANDBOX_SMS_DELAY", "0")


def sb(*args: str) -> Any:
    return run(["--sandbox", *args])


def balance() -> Decimal:
    r = sb("balance", "--json")
    return Decimal(json.loads(r.stdout)["balance"])


def test_cheap_every_action() -> None:
    r = sb("cheap", "servers")
    assert r.exit_code == 0 and "Pakistan Server 1" in r.stdout and "India Server" in r.stdout
    start = balance()
    r = sb("cheap", "buy", "3", "--server-type", "2", "--json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["expires_in"] == 900 and doc["number"].startswith("+91")
    cid = doc["id"]
    assert balance() == start - Decimal("11.00")
    r = sb("wait", cid)
    assert r.exit_code == 0 and r.stdout.strip().isdigit()
    assert sb("status", cid).stdout.startswith("code_received")
    r = sb("cancel", cid)  # a code arrived: no refund
    assert r.exit_code == 8
    assert sb("finish", cid).stdout == "finished\n"
    # A fresh one cannot be cancelled in its first 2 minutes (DESIGN §1).
    other = sb("cheap", "buy", "1").stdout.split()[0]
    assert sb("cancel", other).exit_code == 8
    assert sb("cheap", "buy", "3", "--server-type", "1").exit_code == 2  # not a type-1 server
    r = sb("orders", "--json")
    kinds = {o["kind"] for o in json.loads(r.stdout)["orders"]}
    assert kinds == {"cheap"}


def test_rent_every_action() -> None:
    r = sb("rent", "countries", "--json")
    codes = {(c["code"], c["server"]) for c in json.loads(r.stdout)["countries"]}
    assert ("ca", "2") in codes and ("us", "1") in codes
    r = sb("rent", "prices", "ca", "--server", "2", "--json")
    hours = [p["duration_hours"] for p in json.loads(r.stdout)["pricing"]]
    assert hours == [720, 4320, 8640]
    r = sb("rent", "stock", "ca", "--server", "2", "--json")
    (stock,) = json.loads(r.stdout)["available"]
    assert stock["min_months"] == 1 and stock["available"] > 0

    assert sb("rent", "buy", "ca", "--hours", "24", "--server", "2").exit_code == 2
    assert sb("rent", "buy", "us", "--hours", "4320", "--server", "1").exit_code == 7
    start = balance()
    r = sb("rent", "buy", "ca", "--hours", "720", "--server", "2")
    assert r.exit_code == 0, r.stderr
    order_id, phone = r.stdout.split()
    assert len(order_id) == 19 and balance() == start - Decimal("84.00")

    r = sb("rent", "list", "--json")
    (rental,) = json.loads(r.stdout)["rentals"]
    assert (rental["order_id"], rental["phone"], rental["status"]) == (order_id, phone, "active")
    assert rental["seconds_left"] > 0

    r = sb("rent", "sms", order_id, "--json")
    first = json.loads(r.stdout)["messages"][0]
    assert first["code_from_text"] and first["code"] and "-" in first["text"]
    r = sb("rent", "sms", order_id, "--wait", "--timeout", "10")
    assert r.exit_code == 0, r.stderr
    newer = r.stdout.strip()
    assert newer.isdigit() and newer != first["code"]

    r = sb("rent", "renew", rental["rental_id"], "--hours", "720")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() > rental["expires"]
    assert sb("rent", "renew", "999999", "--hours", "720").exit_code == 5
    assert sb("rent", "sms", "123", "--json").exit_code == 5

    r = sb("orders", "--json")
    kinds = [(o["kind"], o["state"]) for o in json.loads(r.stdout)["orders"]]
    assert ("rental", "active") in kinds and ("renewal", "finished") in kinds


def test_email_every_action() -> None:
    r = sb("email", "services", "--json")
    codes = {s["code"] for s in json.loads(r.stdout)["services"]}
    assert {"ig", "tg", "fb"} <= codes
    r = sb("email", "services", "--domain", "hihinail.com", "--json")
    assert "tg" not in {s["code"] for s in json.loads(r.stdout)["services"]}

    start = balance()
    r = sb("email", "buy", "fb", "--wait")  # no code field: read from the body
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip().isdigit()
    assert balance() == start - Decimal("11.00")

    eid = sb("email", "buy", "ig").stdout.split()[0]
    code = sb("email", "wait", eid).stdout.strip()
    assert code.isdigit()
    r = sb("email", "cancel", eid)
    assert (r.exit_code, r.stdout.strip()) == (0, code)  # already received: the code

    before = balance()
    r = sb("email", "buy", "never", "--wait", "--timeout", "1")
    assert r.exit_code == 124 and "refunded" in r.stderr
    assert balance() == before  # cancelled for a refund

    assert sb("email", "buy", "nostock").exit_code == 7
    assert sb("email", "buy", "tg", "--domain", "hihinail.com").exit_code == 7
    assert sb("email", "wait", "42").exit_code == 5

    r = sb("email", "history", "--json")
    statuses = [h["status"] for h in json.loads(r.stdout)["entries"]]
    assert statuses[0] == "cancelled" and "received" in statuses


def test_json_formats_over_raw_http(tmp_path: Path) -> None:
    with start_background(tmp_path / "s") as server:
        base = server.base_url

        def get(script: str, **params: str) -> requests.Response:
            return requests.get(f"{base}/{script}", params={"api_key": "k", **params}, timeout=5)

        r = get("rental-handler.php", action="rentNumber", country_code="ca", provider="2",
                duration_hours="12")  # fmt: skip
        assert r.json() == {
            "status": "400",
            "message": "Server 2 only supports monthly durations (720, 4320, 8640).",
        }
        assert get("rental-handler.php").json()["message"] == "Action parameter is required."
        assert requests.get(f"{base}/rental-handler.php", timeout=5).json()["status"] == "401"
        r = get("email_handler.php", action="buyEmail", service_id="ig")
        assert '"price": 12.00' in r.text and r.json()["status"] == "200"
        assert get("email_handler.php", action="buyEmail").json()["status"] == "400"
        assert get("cheap_handler.php", action="getStatus").text == "BAD_ID"
        body = get("cheap_handler.php", action="buyNumber", server="1", type="1").text
        _order_id, number, left = body.split(",")
        assert number.startswith("+92") and left == "900"


def test_cancel_after_arrival_returns_the_code_even_without_a_code_field(
    tmp_path: Path,
) -> None:
    # Facebook's message carries its code only in the body; cancelEmail still names it.
    with start_background(tmp_path / "s") as server:

        def email(**params: str) -> Any:
            url = f"{server.base_url}/email_handler.php"
            return requests.get(url, params={"api_key": "k", **params}, timeout=5).json()

        eid = email(action="buyEmail", service_id="fb")["email_id"]
        message = email(action="getEmailCode", email_id=eid)["messages"][0]
        assert message["code"] == ""
        code = message["body"].removeprefix("FB-").split()[0]
        assert code.isdigit() and len(code) == 6
        r = email(action="cancelEmail", email_id=eid)
        assert (r["message"], r["code"]) == ("Order completed - OTP was already received", code)
