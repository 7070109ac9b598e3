"""The simulator over real HTTP on 127.0.0.1, with an injected clock (no sleeping)."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from otpcli.domain.errors import BadInput, ConfigError, NotFound, OrderStateError
from otpcli.sandbox import SCENARIOS
from otpcli.sandbox.catalog import COUNTRIES, SERVICES, price
from otpcli.sandbox.httpd import SandboxServer, start_background
from otpcli.sandbox.state import SandboxState


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Api:
    def __init__(self, server: SandboxServer, key: str | None = "test-key") -> None:
        self.url = server.base_url + "/handler_api.php"
        self.key = key
        self.http = requests.Session()

    def __call__(self, action: str | None, **params: str) -> str:
        if action is not None:
            params["action"] = action
        if self.key is not None:
            params["api_key"] = self.key
        reply = self.http.get(self.url, params=params, timeout=5)
        assert reply.status_code == 200
        return reply.text

    def buy(self, service: str = "tg", **params: str) -> tuple[str, str]:
        reply = self("getNumber", service=service, **params)
        assert reply.startswith("ACCESS_NUMBER:"), reply
        _, order_id, phone = reply.split(":")
        return order_id, phone

    def balance(self) -> Decimal:
        reply = self("getBalance")
        assert reply.startswith("ACCESS_BALANCE:"), reply
        return Decimal(reply.split(":", 1)[1])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "sandbox-state"


@pytest.fixture
def server(state_dir: Path, clock: FakeClock) -> Iterator[SandboxServer]:
    with start_background(state_dir, clock=clock) as srv:
        yield srv


@pytest.fixture
def api(server: SandboxServer) -> Iterator[Api]:
    client = Api(server)
    yield client
    client.http.close()


START = Decimal("1000.00")
TG_INDIA = price(SERVICES["tg"], COUNTRIES["22"])


# --- balance, purchase ------------------------------------------------------------------


def test_balance_is_play_money_with_two_decimals(api: Api) -> None:
    assert api("getBalance") == "ACCESS_BALANCE:1000.00"


def test_replies_are_plain_text_utf8(api: Api) -> None:
    reply = api.http.get(api.url, params={"action": "getBalance"}, timeout=5)
    assert reply.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_purchase_debits_the_price_and_ids_outgrow_32_bits(api: Api) -> None:
    order_id, phone = api.buy("tg")
    assert order_id.isdigit() and int(order_id) > 2**32
    assert re.fullmatch(r"91[6-9]\d{9}", phone), phone  # default country: India
    assert api.balance() == START - TG_INDIA
    second, _ = api.buy("tg")
    assert int(second) == int(order_id) + 1


@pytest.mark.parametrize(
    ("country", "pattern"),
    [
        ("22", r"91[6-9]\d{9}"),
        ("12", r"1[2-9]\d{2}[2-9]\d{6}"),
        ("6", r"628\d{9}"),
        ("16", r"447\d{9}"),
        ("0", r"79\d{9}"),
        ("73", r"55[1-9]{2}9\d{8}"),
    ],
)
def test_phones_look_like_the_country(api: Api, country: str, pattern: str) -> None:
    _, phone = api.buy("wa", country=country, operator="any")
    assert re.fullmatch(pattern, phone), phone


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"service": "zz"}, "BAD_SERVICE"),
        ({}, "BAD_SERVICE"),
        ({"service": "tg", "country": "999"}, "BAD_COUNTRY"),
        ({"service": "tg", "country": "india"}, "BAD_COUNTRY"),
        ({"service": "nonum"}, "NO_NUMBERS"),
        ({"service": "oi", "country": "0"}, "NO_NUMBERS"),  # a real service, sold out
        ({"service": "nobal"}, "NO_BALANCE"),
        ({"service": "tg", "maxPrice": "1"}, "MAX_PRICE_EXCEEDED"),
        ({"service": "tg", "maxPrice": "cheap"}, "BAD_ACTION"),
    ],
)
def test_purchase_errors_cost_nothing(api: Api, params: dict[str, str], word: str) -> None:
    assert api("getNumber", **params) == word
    assert api.balance() == START


def test_max_price_equal_to_the_price_buys(api: Api) -> None:
    api.buy("tg", maxPrice=str(TG_INDIA))


def test_no_balance_once_the_wallet_is_empty(api: Api) -> None:
    uk_google = price(SERVICES["go"], COUNTRIES["16"])
    bought = 0
    while api.balance() >= uk_google:
        api.buy("go", country="16")
        bought += 1
    assert bought == int(START // uk_google)
    assert api("getNumber", service="go", country="16") == "NO_BALANCE"


# --- status and the SMS -----------------------------------------------------------------


def test_sms_arrives_after_three_seconds(api: Api, clock: FakeClock) -> None:
    order_id, _ = api.buy("tg")
    assert api("getStatus", id=order_id) == "STATUS_WAIT_CODE"
    clock.advance(2.9)
    assert api("getStatus", id=order_id) == "STATUS_WAIT_CODE"
    clock.advance(0.1)
    reply = api("getStatus", id=order_id)
    code = reply.removeprefix("STATUS_OK:")
    assert re.fullmatch(r"[1-9]\d{4}", code), reply
    text = api("getFullSms", id=order_id)
    assert text == f"FULL_SMS:Your Telegram code is {code}. Do not give this code to anyone, " + (
        "even if they say they are from Telegram!"
    )


def test_whatsapp_shows_the_code_with_a_dash_but_reports_digits(api: Api, clock: FakeClock) -> None:
    order_id, _ = api.buy("wa")
    clock.advance(3)
    code = api("getStatus", id=order_id).removeprefix("STATUS_OK:")
    assert re.fullmatch(r"\d{6}", code)
    assert f"<#> Your WhatsApp code: {code[:3]}-{code[3:]}" in api("getFullSms", id=order_id)


def test_unknown_and_missing_ids(api: Api) -> None:
    assert api("getStatus", id="4999999999") == "NO_ACTIVATION"
    assert api("getStatus", id="nonsense") == "NO_ACTIVATION"
    assert api("setStatus", id="4999999999", status="8") == "NO_ACTIVATION"
    assert api("getFullSms", id="4999999999") == "NO_ACTIVATION"
    assert api("getStatus") == "BAD_ACTION"
    assert api("setStatus", status="8") == "BAD_ACTION"


# --- setStatus ----------------------------------------------------------------------------


def test_early_cancel_window_then_refund(api: Api, clock: FakeClock) -> None:
    order_id, _ = api.buy("never")
    assert api.balance() == START - Decimal("5.00")
    clock.advance(119)
    assert api("setStatus", id=order_id, status="8") == "EARLY_CANCEL_DENIED"
    clock.advance(1)
    assert api("setStatus", id=order_id, status="8") == "ACCESS_CANCEL"
    assert api.balance() == START
    assert api("getStatus", id=order_id) == "STATUS_CANCEL"
    for status in ("8", "6", "3", "1"):
        assert api("setStatus", id=order_id, status=status) == "STATUS_ALREADY_CHANGED"
    assert api.balance() == START  # refunded once only


def test_cancel_after_a_code_is_refused(api: Api, clock: FakeClock) -> None:
    order_id, _ = api.buy("tg")
    clock.advance(200)
    assert api("getStatus", id=order_id).startswith("STATUS_OK:")
    assert api("setStatus", id=order_id, status="8") == "STATUS_ALREADY_CHANGED"
    assert api.balance() == START - TG_INDIA
    assert api("setStatus", id=order_id, status="6") == "ACCESS_ACTIVATION"  # still open


def test_finish_needs_a_code(api: Api, clock: FakeClock) -> None:
    order_id, _ = api.buy("tg")
    assert api("setStatus", id=order_id, status="6") == "NO_SMS_RECEIVED"
    clock.advance(3)
    code = api("getStatus", id=order_id).removeprefix("STATUS_OK:")
    assert api("setStatus", id=order_id, status="6") == "ACCESS_ACTIVATION"
    assert api("getStatus", id=order_id) == f"STATUS_OK:{code}"
    assert api("setStatus", id=order_id, status="6") == "STATUS_ALREADY_CHANGED"
    assert api.balance() == START - TG_INDIA


def test_ready_and_bad_status_values(api: Api) -> None:
    order_id, _ = api.buy("tg")
    assert api("setStatus", id=order_id, status="1") == "ACCESS_READY"
    assert api("setStatus", id=order_id, status="7") == "BAD_STATUS"
    assert api("setStatus", id=order_id, status="cancel") == "BAD_STATUS"
    assert api("setStatus", id=order_id) == "BAD_STATUS"


@pytest.mark.parametrize("service", ["multi", "ig"])
def test_another_sms_brings_a_new_code(api: Api, clock: FakeClock, service: str) -> None:
    order_id, _ = api.buy(service)
    assert api("setStatus", id=order_id, status="3") == "NO_SMS_RECEIVED"
    clock.advance(3)
    first = api("getStatus", id=order_id).removeprefix("STATUS_OK:")
    assert api("setStatus", id=order_id, status="3") == "ACCESS_RETRY_GET"
    assert api("getStatus", id=order_id) == f"STATUS_WAIT_RETRY:{first}"
    assert api("setStatus", id=order_id, status="3") == "ACCESS_RETRY_GET"  # no second one
    clock.advance(3)
    second = api("getStatus", id=order_id).removeprefix("STATUS_OK:")
    assert second.isdigit() and second != first
    assert second in api("getFullSms", id=order_id)
    clock.advance(60)
    assert api("getStatus", id=order_id) == f"STATUS_OK:{second}"


# --- expiry and scenarios -----------------------------------------------------------------


def test_expiry_without_a_code_refunds(api: Api, clock: FakeClock) -> None:
    order_id, _ = api.buy("never")
    clock.advance(1199)
    assert api("getStatus", id=order_id) == "STATUS_WAIT_CODE"
    clock.advance(1)
    assert api.balance() == START  # settled lazily, even by a balance read
    assert api("getStatus", id=order_id) == "STATUS_CANCEL"
    assert api("setStatus", id=order_id, status="8") == "STATUS_ALREADY_CHANGED"


def test_expiry_with_a_code_keeps_the_money(api: Api, clock: FakeClock) -> None:
    order_id, _ = api.buy("tg")
    clock.advance(1200)
    assert api("getStatus", id=order_id) == "STATUS_CANCEL"
    assert api.balance() == START - TG_INDIA


def test_slow_sms_takes_a_minute(api: Api, clock: FakeClock) -> None:
    order_id, _ = api.buy("slow")
    clock.advance(59.9)
    assert api("getStatus", id=order_id) == "STATUS_WAIT_CODE"
    clock.advance(0.1)
    assert api("getStatus", id=order_id).startswith("STATUS_OK:")


def test_scenario_table_names_real_services() -> None:
    codes = [s.service for s in SCENARIOS]
    assert codes[:5] == ["nonum", "nobal", "never", "slow", "multi"]
    assert all(code in SERVICES for code in codes[:5])


@pytest.mark.parametrize("key", ["bad", "bad-key", "BAD_KEY_123"])
@pytest.mark.parametrize(
    "params",
    [
        {"action": "getBalance"},
        {"action": "getNumber", "service": "tg"},
        {"action": "getStatus", "id": "5000000001"},
        {"action": "setStatus", "id": "5000000001", "status": "8"},
        {"action": "getPrices"},
        {"action": "getCountries"},
        {"action": "nonsense"},
    ],
)
def test_bad_key_is_refused_for_every_action(
    server: SandboxServer, key: str, params: dict[str, str]
) -> None:
    api = Api(server, key=key)
    rest = dict(params)
    action = rest.pop("action")
    assert api(action, **rest) == "BAD_KEY"


def test_any_other_key_or_none_is_accepted(server: SandboxServer) -> None:
    assert Api(server, key=None)("getBalance") == "ACCESS_BALANCE:1000.00"
    assert Api(server, key="abad")("getBalance") == "ACCESS_BALANCE:1000.00"


def test_unknown_or_missing_action(api: Api) -> None:
    assert api("getRentList") == "BAD_ACTION"  # not an action of the simulator
    assert api(None) == "BAD_ACTION"


# --- catalog ------------------------------------------------------------------------------


def test_prices_for_one_cell(api: Api) -> None:
    reply = api.http.get(
        api.url, params={"action": "getPrices", "service": "tg", "country": "22"}, timeout=5
    )
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.text == f'{{"22": {{"tg": {{"cost": {TG_INDIA}, "count": ' + (
        f"{json.loads(reply.text)['22']['tg']['count']}}}}}}}"
    )
    doc = json.loads(reply.text, parse_float=Decimal)
    assert list(doc) == ["22"]
    assert list(doc["22"]) == ["tg"]
    assert doc["22"]["tg"]["cost"] == TG_INDIA
    assert isinstance(doc["22"]["tg"]["count"], int) and doc["22"]["tg"]["count"] > 0


def test_prices_filters(api: Api) -> None:
    everything = json.loads(api("getPrices"))
    assert set(everything) == set(COUNTRIES)
    assert set(everything["12"]) == set(SERVICES)
    by_service = json.loads(api("getPrices", service="wa"))
    assert set(by_service) == set(COUNTRIES)
    assert all(list(cell) == ["wa"] for cell in by_service.values())
    assert set(json.loads(api("getPrices", country="16"))) == {"16"}
    assert everything["0"]["oi"]["count"] == 0
    assert everything["22"]["nonum"]["count"] == 0
    assert api("getPrices", service="zz") == "BAD_SERVICE"
    assert api("getPrices", country="999") == "BAD_COUNTRY"


def test_countries(api: Api) -> None:
    doc = json.loads(api("getCountries"))
    assert doc["22"] == {"id": 22, "eng": "India"}
    assert doc["12"]["eng"] == "USA"
    assert len(doc) >= 6


# --- HTTP details -------------------------------------------------------------------------


def test_post_form_is_accepted(api: Api) -> None:
    reply = api.http.post(api.url, data={"action": "getNumber", "service": "ds"}, timeout=5)
    assert reply.text.startswith("ACCESS_NUMBER:")


def test_other_paths_are_404(server: SandboxServer) -> None:
    reply = requests.get(server.base_url + "/other.php?action=getBalance", timeout=5)
    assert reply.status_code == 404


def test_base_url_is_loopback_stubs(server: SandboxServer) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/stubs", server.base_url)


def test_server_is_silent_and_never_repeats_the_key(
    server: SandboxServer, capfd: pytest.CaptureFixture[str]
) -> None:
    api = Api(server, key="s3cret-key-value")
    replies = [api("getBalance"), api("getNumber", service="tg"), api("whatever")]
    requests.get(server.base_url + "/nope?api_key=s3cret-key-value", timeout=5)
    requests.post(api.url, data="x" * 100_000, timeout=5)
    assert not any("s3cret" in r for r in replies)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_stop_hangs_up_kept_alive_connections(state_dir: Path, clock: FakeClock) -> None:
    srv = start_background(state_dir, clock=clock)
    api = Api(srv)
    api("getBalance")  # leaves a kept-alive connection open
    started = time.monotonic()
    srv.stop()
    srv.stop()  # idempotent
    assert time.monotonic() - started < 2
    with pytest.raises(requests.ConnectionError):
        api("getBalance")


# --- shared state ---------------------------------------------------------------------------


def test_two_servers_on_one_state_dir_share_orders(
    server: SandboxServer, state_dir: Path, clock: FakeClock
) -> None:
    with start_background(state_dir, clock=clock) as other:
        a, b = Api(server), Api(other)
        order_id, _ = a.buy("tg")
        assert b("getStatus", id=order_id) == "STATUS_WAIT_CODE"
        clock.advance(120)
        code = b("getStatus", id=order_id).removeprefix("STATUS_OK:")
        assert a("getStatus", id=order_id) == f"STATUS_OK:{code}"
        never_id, _ = b.buy("never")
        clock.advance(120)
        assert a("setStatus", id=never_id, status="8") == "ACCESS_CANCEL"
        assert b("getStatus", id=never_id) == "STATUS_CANCEL"
        assert a.balance() == b.balance() == START - TG_INDIA


def test_concurrent_purchases_keep_the_books(server: SandboxServer) -> None:
    services = ["tg", "wa", "ig", "fb", "go"]
    countries = ["22", "12", "16"]
    bought: list[Decimal] = []
    errors: list[str] = []
    lock = threading.Lock()

    def buy(n: int) -> None:
        service, country = services[n % len(services)], countries[n % len(countries)]
        try:
            Api(server).buy(service, country=country)
        except AssertionError as exc:
            errors.append(str(exc))
            return
        with lock:
            bought.append(price(SERVICES[service], COUNTRIES[country]))

    threads = [threading.Thread(target=buy, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(bought) == 20
    assert Api(server).balance() == START - sum(bought)


# --- SandboxState directly -----------------------------------------------------------------


def test_deliver_makes_the_code_arrive_now(server: SandboxServer, api: Api) -> None:
    order_id, _ = api.buy("never")
    assert server.state.deliver(order_id, "424242") == "424242"
    assert api("getStatus", id=order_id) == "STATUS_OK:424242"
    random_code = server.state.deliver(order_id)
    assert random_code.isdigit() and random_code != "424242"
    assert api("getStatus", id=order_id) == f"STATUS_OK:{random_code}"


def test_deliver_replaces_the_sms_on_its_way(
    server: SandboxServer, api: Api, clock: FakeClock
) -> None:
    order_id, _ = api.buy("tg")
    server.state.deliver(order_id, "11111")
    clock.advance(10)
    assert api("getStatus", id=order_id) == "STATUS_OK:11111"


def test_deliver_errors(server: SandboxServer, api: Api, clock: FakeClock) -> None:
    with pytest.raises(NotFound):
        server.state.deliver("4999999999")
    order_id, _ = api.buy("tg")
    with pytest.raises(BadInput):
        server.state.deliver(order_id, "12:34")
    clock.advance(3)
    api("setStatus", id=order_id, status="6")
    with pytest.raises(OrderStateError):
        server.state.deliver(order_id)


def test_reset_refills_the_wallet_and_forgets_orders(server: SandboxServer, api: Api) -> None:
    order_id, _ = api.buy("tg")
    server.state.reset()
    assert api.balance() == START
    assert api("getStatus", id=order_id) == "NO_ACTIVATION"
    new_id, _ = api.buy("tg")
    assert int(new_id) > int(order_id)  # an old id never names a new order


def test_time_scale_from_the_environment(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTPCLI_SANDBOX_TIME_SCALE", "60")
    state = SandboxState(tmp_path / "scaled", clock)
    order = state.buy("never")
    clock.advance(1.9)
    with pytest.raises(Exception, match="EARLY_CANCEL_DENIED"):
        state.set_status(order.id, "8")
    clock.advance(0.1)
    assert state.set_status(order.id, "8") == "ACCESS_CANCEL"
    order = state.buy("tg")
    clock.advance(0.05)
    assert state.status(order.id).kind == "ok"
    clock.advance(20)
    assert state.status(order.id).kind == "cancel"
    state.close()


def test_sms_delay_from_the_environment(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTPCLI_SANDBOX_SMS_DELAY", "0")
    state = SandboxState(tmp_path / "instant", clock)
    assert state.status(state.buy("tg").id).kind == "ok"
    state.close()


@pytest.mark.parametrize("value", ["0", "-1", "fast", "inf", "nan"])
def test_bad_time_scale_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("OTPCLI_SANDBOX_TIME_SCALE", value)
    with pytest.raises(ConfigError, match="OTPCLI_SANDBOX_TIME_SCALE"):
        SandboxState(tmp_path / "x")


def test_time_scale_with_the_real_clock_over_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTPCLI_SANDBOX_TIME_SCALE", "1000")  # 3 s SMS delay: 3 ms
    with start_background(tmp_path / "fast") as srv:
        api = Api(srv)
        order_id, _ = api.buy("tg")
        deadline = time.monotonic() + 2
        while (reply := api("getStatus", id=order_id)) == "STATUS_WAIT_CODE":
            assert time.monotonic() < deadline, "the SMS never came"
            time.sleep(0.005)
        assert reply.startswith("STATUS_OK:")
        never_id, _ = api.buy("never")
        time.sleep(0.13)  # the 120 s early-cancel window, scaled (denial: fake-clock tests)
        assert api("setStatus", id=never_id, status="8") == "ACCESS_CANCEL"


def test_an_unreadable_state_file_is_a_config_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "sandbox.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError, match=r"sandbox\.sqlite3"):
        SandboxState(broken)
