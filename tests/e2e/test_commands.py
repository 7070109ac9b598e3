"""End-to-end: every spine command of `otp` against the on-demand sandbox.

The installed `otp` runs as a subprocess; `--sandbox` (and `OTPCLI_PROVIDER=sandbox`)
starts the simulator inside that process on a loopback port, and state is shared on disk
between processes. Checked: exact stdout, stderr and exit codes of providers, balance,
services, countries, prices, buy, wait, status, finish, cancel, again, orders and
sandbox deliver / reset, and the journal rows they leave.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal

import pytest

from tests.e2e.conftest import Otp

STATES = {"waiting", "code_received", "finished", "cancelled", "expired"}
BUY_LINE = re.compile(r"^(\d+) (\d+)\n$")
CODE_LINE = re.compile(r"^\d{4,8}\n$")
PROVIDERS = {"otpx", "otpget", "instaotp", "sastaotp", "smsactivate", "sandbox"}


def test_providers_lists_every_provider(otp: Otp) -> None:
    res = otp("providers").expect(0)
    for name in PROVIDERS:
        assert re.search(rf"^\s*{name}\s", res.stdout, re.M), res
    assert "error" not in res.stderr
    doc = otp("providers", "--json").expect(0).json()
    by_name = {p["name"]: p for p in doc}
    assert set(by_name) >= PROVIDERS
    assert {"sms", "cancel", "another_sms", "finish"} <= set(by_name["sandbox"]["capabilities"])
    assert "another_sms" not in by_name["otpget"]["capabilities"]


def test_balance_with_the_flag_and_with_the_environment(otp: Otp) -> None:
    res = otp("--sandbox", "balance").expect(0)
    assert res.stdout == "1000.00 PLAY\n"
    assert "error" not in res.stderr
    # OTPCLI_PROVIDER alone is enough: no config file, no key (DESIGN §3).
    res = otp("balance", "--json", env={"OTPCLI_PROVIDER": "sandbox"}).expect(0)
    doc = res.json()
    assert (doc["balance"], doc["currency"]) == ("1000.00", "PLAY")
    assert not (otp.tmp / "config").exists()  # nothing was written for it


def test_services_and_countries(otp: Otp) -> None:
    res = otp("--sandbox", "services").expect(0)
    for code in ("tg", "wa", "never", "multi"):
        assert re.search(rf"^\s*{code}\s*\|", res.stdout, re.M), res
    res = otp("--sandbox", "countries", "--json").expect(0)
    countries = {c["id"]: c["name"] for c in res.json()}
    assert countries["22"] == "India" and countries["12"] == "USA"
    assert len(countries) == 6


def test_prices_sorted_cheapest_first(otp: Otp) -> None:
    res = otp("--sandbox", "prices", "tg").expect(0)
    shown = [Decimal(p) for p in re.findall(r"(\d+\.\d+) PLAY", res.stdout)]
    assert len(shown) == 6, res
    assert shown == sorted(shown)
    assert (shown[0], shown[-1]) == (Decimal("10.00"), Decimal("40.00"))

    rows = otp("--sandbox", "prices", "tg", "--json").expect(0).json()
    assert [r["service"] for r in rows] == ["tg"] * 6
    prices = [Decimal(r["price"]) for r in rows]
    assert prices == sorted(prices)
    assert {r["currency"] for r in rows} == {"PLAY"}
    india = next(r for r in rows if r["country"] == "22")
    assert Decimal(india["price"]) == Decimal("12.50")


def test_buy_wait_status_finish(otp: Otp) -> None:
    res = otp("--sandbox", "buy", "tg").expect(0)
    m = BUY_LINE.match(res.stdout)
    assert m, f"buy must print exactly `ID NUMBER`\n{res}"
    oid, number = m.groups()
    assert int(oid) > 2**32
    assert f"otp wait {oid}" in res.stderr
    assert otp.journal()[oid]["state"] == "waiting"  # written at purchase

    res = otp("--sandbox", "wait", oid, "--interval", "1", "--timeout", "20").expect(0)
    assert CODE_LINE.match(res.stdout), f"wait must print the code alone\n{res}"
    code = res.stdout.strip()
    assert oid in res.stderr and "waiting for the code" in res.stderr  # progress: stderr

    assert otp("--sandbox", "status", oid).expect(0).stdout == f"code_received {code}\n"
    doc = otp("--sandbox", "status", oid, "--json").expect(0).json()
    assert (doc["id"], doc["state"], doc["code"]) == (oid, "code_received", code)
    assert doc["state"] in STATES

    res = otp("--sandbox", "finish", oid).expect(0)
    assert res.stdout == "finished\n"
    row = otp.journal()[oid]
    assert (row["state"], row["code"], row["number"]) == ("finished", code, number)
    assert row["provider"] == "sandbox"

    # Finished with a code: no refund.
    res = otp("--sandbox", "cancel", oid).expect(8)
    assert res.stdout == ""
    assert "error" in res.stderr
    assert otp.state(oid) == "finished"


def test_buy_wait_status_with_provider_from_the_environment(otp: Otp) -> None:
    env = {"OTPCLI_PROVIDER": "sandbox"}
    oid = otp("buy", "ig", env=env).expect(0).stdout.split()[0]
    res = otp("wait", oid, "--interval", "1", env=env).expect(0)
    assert re.fullmatch(r"\d{6}\n", res.stdout), res  # Instagram codes have 6 digits
    doc = otp("status", oid, "--json", env=env).expect(0).json()
    assert (doc["state"], doc["code"]) == ("code_received", res.stdout.strip())


def test_buy_json_and_wait_json(otp: Otp) -> None:
    doc = otp("--sandbox", "buy", "wa", "-c", "22", "--json").expect(0).json()
    assert {"id", "number", "service", "country", "price", "currency"} <= set(doc)
    assert int(doc["id"]) > 2**32
    assert doc["number"].isdigit()
    assert (doc["service"], doc["country"]) == ("wa", "22")
    assert doc["price"] is None or Decimal(doc["price"]) == Decimal("18.00")
    assert doc["currency"] in (None, "PLAY")
    # The sandbox always knows what it charged: WhatsApp in country 22 is 18.00 PLAY.
    assert (doc["price"], doc["currency"]) == ("18.00", "PLAY")

    res = otp("--sandbox", "wait", doc["id"], "--json", "--interval", "1").expect(0)
    got = res.json()  # exactly one document, or json.loads fails
    assert {"id", "code", "text"} <= set(got)
    assert got["id"] == doc["id"]
    assert re.fullmatch(r"\d{6}", got["code"])


def test_cancel_refunds_after_the_window(otp: Otp) -> None:
    otp.env["OTPCLI_SANDBOX_TIME_SCALE"] = "100"  # window 1.2 s, life 12 s
    oid = otp.buy("never")
    # The window opened at purchase, before buy returned: 1.4 s from here is past it.
    t0 = time.monotonic()
    time.sleep(max(0.0, 1.4 - (time.monotonic() - t0)))
    res = otp("--sandbox", "cancel", oid).expect(0)
    assert res.stdout.count("\n") == 1 and "refunded" in res.stdout, res
    assert otp.balance() == "1000.00 PLAY\n"
    assert otp.state(oid) == "cancelled"
    # A cancelled order cannot be cancelled again.
    res = otp("--sandbox", "cancel", oid, "--json").expect(8)
    assert res.json()["exit_code"] == 8


def test_cancel_in_the_early_window_is_denied(otp: Otp) -> None:
    otp.env["OTPCLI_SANDBOX_TIME_SCALE"] = "10"  # the 2-minute window lasts 12 s
    oid = otp.buy("never")
    res = otp("--sandbox", "cancel", oid).expect(8)
    assert res.stdout == ""
    assert "EARLY_CANCEL_DENIED" in res.stderr
    res = otp("--sandbox", "cancel", oid, "--json").expect(8)
    doc = res.json()
    assert (doc["error"], doc["exit_code"]) == ("order_state", 8)
    assert doc["provider_word"] == "EARLY_CANCEL_DENIED"
    assert isinstance(doc["message"], str) and doc["message"]
    assert otp.state(oid) == "waiting"


def test_again_brings_a_second_code(otp: Otp) -> None:
    oid = otp.buy("multi")
    first = otp("--sandbox", "wait", oid, "--interval", "1").expect(0).stdout
    assert CODE_LINE.match(first)
    res = otp("--sandbox", "again", oid).expect(0)
    assert res.stdout.count("\n") == 1, res
    assert f"otp wait {oid}" in res.stderr
    second = otp("--sandbox", "wait", oid, "--json", "--interval", "1").expect(0).json()
    assert re.fullmatch(r"\d{6}", second["code"])
    assert second["code"] != first.strip()
    assert otp.journal()[oid]["code"] == second["code"]


def test_orders_lists_rows_and_states(otp: Otp) -> None:
    code = otp("--sandbox", "buy", "tg", "--wait").expect(0).stdout.strip()
    open_ = otp.buy("never")
    otp("--sandbox", "buy", "nonum").expect(7)

    rows = otp("orders", "--json").expect(0).json()["orders"]
    assert [r["service"] for r in rows] == ["tg", "never", "nonum"]
    assert [r["state"] for r in rows] == ["code_received", "waiting", "failed"]
    assert rows[0]["code"] == code and int(rows[0]["id"]) > 2**32
    assert rows[1]["id"] == open_
    assert rows[2]["id"] is None  # refused: nothing was bought
    assert all(r["provider"] == "sandbox" for r in rows)

    res = otp("orders").expect(0)
    assert res.stdout.count("sandbox") == 3  # the table goes to stdout, one line per row

    active = otp("orders", "--active", "--json").expect(0).json()["orders"]
    assert [r["id"] for r in active] == [rows[0]["id"], open_]


def test_orders_table_piped_keeps_whole_ids(otp: Otp) -> None:
    # A script reading `otp orders | grep ...` needs whole ids and states, not an
    # 80-column rendering that cuts them to "5000000…" (stdout is a pipe, not a terminal).
    otp("--sandbox", "buy", "tg", "--wait").expect(0)
    (oid,) = otp.journal()
    res = otp("orders").expect(0)
    assert oid in res.stdout, res
    assert "code_received" in res.stdout, res


def test_sandbox_deliver_then_wait(otp: Otp) -> None:
    # Ordinary SMS would take a day of sandbox time: only `sandbox deliver` brings one.
    otp.env["OTPCLI_SANDBOX_SMS_DELAY"] = "86400"
    oid = otp.buy("tg")
    assert otp("sandbox", "deliver", oid, "424242").expect(0).stdout == "424242\n"
    res = otp("--sandbox", "wait", oid, "--interval", "1").expect(0)
    assert res.stdout == "424242\n"

    other = otp.buy("wa")
    doc = otp("sandbox", "deliver", other, "--json").expect(0).json()
    assert doc["id"] == other and doc["code"].isdigit()
    assert otp("wait", other, "--json").expect(0).json()["code"] == doc["code"]

    assert otp("sandbox", "deliver", "5999999999").expect(5).stdout == ""


def test_sandbox_reset(otp: Otp) -> None:
    oid = otp.buy("tg")
    res = otp("sandbox", "reset").expect(0)
    assert res.stdout == ""
    assert "1000.00 PLAY" in res.stderr
    assert otp.balance() == "1000.00 PLAY\n"
    otp("--sandbox", "status", oid).expect(5)
    assert otp("sandbox", "reset", "--json").expect(0).json() == {"reset": True}


@pytest.mark.parametrize("color", ["FORCE_COLOR", "NO_COLOR"])
def test_buy_wait_in_one_go_whatever_the_colour_settings(otp: Otp, color: str) -> None:
    # CI sets FORCE_COLOR; stdout must still carry the bare code (DESIGN §3).
    res = otp("--sandbox", "buy", "tg", "--wait", "--interval", "1", env={color: "1"}).expect(0)
    assert re.fullmatch(r"\d{5}\n", res.stdout), res  # Telegram: 5 digits, alone
    assert "bought tg number" in res.stderr
    assert "\x1b" not in res.stderr  # stderr is not a terminal: no escapes
