"""The simulator's dialects and new actions over real HTTP on 127.0.0.1 (injected clock).

Each case names the public reply it imitates; the keys are those of
/work/research/dialects.md and `otpcli.providers.dialects`:
[usa] solovey1/unified-sms-activate (recorded hero-sms replies), [hero-py] PyPI herosms
0.1.1, [aio] PyPI aiosmsactivate 1.5.1, [sa-py] PyPI smsactivate 1.5, [py-saru] PyPI
smsactivateru 1.2.6, [sa-doc] sms-activate's API page, [grizzly] grizzlysms.com/docs,
[smshub] smshub.org/ru/info#getPrices as its clients type it.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from otpcli.domain.errors import ConfigError, ExitCode, Interrupted
from otpcli.sandbox import httpd as server_mod
from otpcli.sandbox.dialects import CLASSIC_COUNT_KEYS, RENDERINGS
from otpcli.sandbox.httpd import SandboxServer, start_background
from otpcli.sandbox.state import SandboxState, Timing
from tests.cli_helpers import run

NOW = 1_700_000_000.0
# Words only otp's own providers send; no client library of the three host families
# knows them (issue 16), so those dialects must never send them.
FOREIGN = {"STATUS_ALREADY_CHANGED", "NO_SMS_RECEIVED", "BAD_COUNTRY", "MAX_PRICE_EXCEEDED"}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


class Host:
    """One simulator in one dialect; `call` returns (HTTP status, body)."""

    def __init__(self, srv: SandboxServer, clock: Clock) -> None:
        self.url = srv.base_url + "/handler_api.php"
        self.clock = clock
        self.http = requests.Session()

    def call(self, action: str, key: str = "k", **params: Any) -> tuple[int, str]:
        reply = self.http.get(self.url, params={"action": action, "api_key": key, **params})
        return reply.status_code, reply.text

    def text(self, action: str, **params: Any) -> str:
        status, body = self.call(action, **params)
        assert status == 200, (status, body)
        return body

    def doc(self, action: str, **params: Any) -> Any:
        return json.loads(self.text(action, **params), parse_float=Decimal)

    def word(self, action: str, **params: Any) -> str:
        """The refusal's word: the plain body, or the title of a JSON error."""
        status, body = self.call(action, **params)
        return str(json.loads(body)["title"]) if status >= 400 else body

    def buy(self, service: str = "tg") -> str:
        reply = self.text("getNumber", service=service)
        assert reply.startswith("ACCESS_NUMBER:"), reply
        return reply.split(":")[1]

    def advance(self, seconds: float) -> None:
        self.clock.now += seconds


@pytest.fixture
def host(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Host]:
    """A simulator speaking `request.param` (a dialect name, or None for the default)."""
    clock = Clock()
    with start_background(tmp_path / "state", clock=clock, dialect=request.param) as srv:
        h = Host(srv, clock)
        yield h
        h.http.close()


def dialect(name: str | None) -> Any:
    return pytest.mark.parametrize("host", [name], indirect=True)


# --- hero-sms: JSON errors with HTTP statuses ----------------------------------------------


@dialect("herosms")
def test_herosms_recorded_error_bodies(host: Host) -> None:
    # [usa] tests/test_hero_sms.py, recorded: 401 BAD_KEY, 404 NOT_FOUND, 422 BAD_ACTION
    assert host.call("getBalance", key="bad") == (
        401,
        '{"title": "BAD_KEY", "details": "Unauthorized"}',
    )
    assert host.call("getStatus", id="1") == (
        404,
        '{"title": "NOT_FOUND", "details": "Activation Not Found"}',
    )
    assert host.call("getRentList") == (
        422,
        '{"title": "BAD_ACTION", "details": "Method Not Found"}',
    )


@dialect("herosms")
def test_herosms_money_and_stock_refusals(host: Host) -> None:
    # [usa] live-verified: NO_NUMBERS stays plain text with HTTP 200, V2 included
    assert host.call("getNumberV2", service="nonum") == (200, "NO_NUMBERS")
    # [usa] test_sms_activate_compatible #6: 402 {"title": "NO_BALANCE", ...}
    assert host.call("getNumberV2", service="nobal") == (
        402,
        '{"title": "NO_BALANCE", "details": "Not enough funds"}',
    )
    # [usa] error table: WRONG_COUNTRY, WRONG_MAX_PRICE (402 as [hero-py] reads money)
    assert host.call("getNumber", service="tg", country="999")[0] == 400
    assert host.word("getNumber", service="tg", country="999") == "WRONG_COUNTRY"
    status, body = host.call("getNumberV2", service="tg", maxPrice="1")
    assert status == 402 and json.loads(body)["title"] == "WRONG_MAX_PRICE"
    assert "12.50" in json.loads(body)["details"]
    assert host.text("getBalance") == "ACCESS_BALANCE:1000.00"


@dialect("herosms")
def test_herosms_number_v2_has_every_field_its_client_requires(host: Host) -> None:
    # [hero-py] models.Activation: activationId int, phoneNumber str, activationCost,
    # currency int (ISO 4217, [usa] #63: 840), countryCode int, countryPhoneCode int,
    # canGetAnotherSms bool, activationTime / activationEndTime, activationOperator
    doc = host.doc("getNumberV2", service="tg", country="22", operator="jio")
    assert isinstance(doc["activationId"], int) and doc["activationId"] > 2**32
    assert isinstance(doc["phoneNumber"], str) and doc["phoneNumber"].startswith("91")
    assert doc["activationCost"] == "12.50"
    assert doc["currency"] == 840
    assert doc["countryCode"] == 22 and doc["countryPhoneCode"] == 91
    assert doc["canGetAnotherSms"] is True
    assert doc["activationOperator"] == "jio"
    fmt = "%Y-%m-%d %H:%M:%S"
    start = time.mktime(time.strptime(doc["activationTime"], fmt))
    end = time.mktime(time.strptime(doc["activationEndTime"], fmt))
    assert start == NOW and end - start == 1200


@dialect("herosms")
def test_herosms_finish_and_cancel_activation_are_empty_204(host: Host) -> None:
    # [usa] hero_sms.py: cancelActivation / finishActivation answer HTTP 204
    oid = host.buy("never")
    assert host.call("cancelActivation", id=oid)[0] == 409  # early-cancel window
    assert host.word("cancelActivation", id=oid) == "EARLY_CANCEL_DENIED"
    host.advance(121)
    assert host.call("cancelActivation", id=oid) == (204, "")
    assert host.text("getStatus", id=oid) == "STATUS_CANCEL"
    # a closed activation: 409, hero-sms's word for it ([usa] README)
    assert host.word("setStatus", id=oid, status="8") == "ACTIVATION_NOT_ACTIVE"
    assert host.call("getStatusV2", id=oid)[0] == 409
    done = host.buy()
    assert host.call("finishActivation", id=done)[0] == 409  # no code yet
    host.advance(3)
    assert host.call("finishActivation", id=done) == (204, "")
    assert host.text("getStatus", id=done).startswith("STATUS_OK:")


@dialect("herosms")
def test_herosms_conflicts_are_409_with_its_titles(host: Host) -> None:
    oid = host.buy()
    assert host.call("setStatus", id=oid, status="6")[0] == 409  # finish before the code
    host.advance(121)
    # [usa] test #15: a cancel after the code is 409 OTP_RECEIVED
    assert host.call("setStatus", id=oid, status="8") == (
        409,
        '{"title": "OTP_RECEIVED", "details": "code already delivered"}',
    )
    # [usa] hero_sms.py: setStatus takes 3, 6 and 8 only
    assert host.call("setStatus", id=oid, status="1")[0] == 400
    assert host.word("setStatus", id=oid, status="-1") == "BAD_STATUS"


@dialect("herosms")
def test_herosms_active_list_and_status_v2(host: Host) -> None:
    # [hero-py] reads {"data": [...]}; an empty list is no error there ([usa] fixture)
    assert host.doc("getActiveActivations")["data"] == []
    oid = host.buy()
    doc = host.doc("getActiveActivations", start="0", limit="100")
    assert doc["data"] == doc["activeActivations"]
    (item,) = doc["data"]
    # [hero-py] ActiveActivation: activationStatus a string, countryCode / currency ints
    assert item["activationId"] == oid and item["serviceCode"] == "tg"
    assert item["activationStatus"] == "4" and item["smsCode"] is None
    assert item["countryCode"] == 22 and item["currency"] == 840
    # [aio] / [hero-py] getStatusV2: sms null while waiting, then dateTime, code, text
    assert host.doc("getStatusV2", id=oid) == {"verificationType": 0, "sms": None, "call": None}
    host.advance(3)
    sms = host.doc("getStatusV2", id=oid)["sms"]
    assert sms["code"].isdigit() and sms["code"] in sms["text"]
    assert time.mktime(time.strptime(sms["dateTime"], "%Y-%m-%d %H:%M:%S")) == NOW + 3
    assert host.doc("getActiveActivations")["data"][0]["smsCode"] == sms["code"]


# --- the classic plain-text dialects ---------------------------------------------------------


@pytest.mark.parametrize("host", ["smsactivate", "grizzlysms", "smshub"], indirect=True)
def test_classic_refusals_use_their_own_words(host: Host) -> None:
    # [sa-py], [aio], [py-saru], [grizzly]: BAD_STATUS for a refused status change
    oid = host.buy()
    assert host.text("setStatus", id=oid, status="6") == "BAD_STATUS"  # no code yet
    host.advance(121)
    assert host.text("setStatus", id=oid, status="8") == "BAD_STATUS"  # a code came
    assert host.text("setStatus", id=oid, status="6") == "ACCESS_ACTIVATION"
    assert host.text("setStatus", id=oid, status="8") == "BAD_STATUS"  # closed
    assert host.text("getNumber", service="tg", country="999") == "BAD_SERVICE"
    assert host.text("getStatus", id="1") == "NO_ACTIVATION"
    assert host.text("getRentList") == "BAD_ACTION"
    assert host.text("getBalance", key="bad") == "BAD_KEY"


@pytest.mark.parametrize("host", ["smsactivate", "grizzlysms"], indirect=True)
def test_max_price_is_wrong_max_price_with_the_price(host: Host) -> None:
    # [sa-doc] WRONG_MAX_PRICE:$min, [aio] splits on ':'
    assert host.text("getNumber", service="tg", maxPrice="1") == "WRONG_MAX_PRICE:12.50"


@dialect("smshub")
def test_smshub_shapes(host: Host) -> None:
    # [smshub] getPrices: {country: {service: {"<price>": count}}}; no max-price word
    doc = host.doc("getPrices", service="tg", country="22")
    assert list(doc) == ["22"] and list(doc["22"]["tg"]) == ["12.50"]
    assert isinstance(doc["22"]["tg"]["12.50"], int)
    assert host.text("getNumber", service="tg", max_price="1") == "NO_NUMBERS"
    # no V2 actions, no list of open orders, no -1 ([smshub] documents none)
    for action in ("getNumberV2", "getStatusV2", "getActiveActivations"):
        assert host.text(action, service="tg", id="1") == "BAD_ACTION"
    oid = host.buy()
    assert host.text("setStatus", id=oid, status="-1") == "BAD_STATUS"


@pytest.mark.parametrize("host", [None, "smsactivate", "grizzlysms"], indirect=True)
def test_minus_one_is_a_cancel(host: Host) -> None:
    # [grizzly] "-1 — cancel activation"; [py-saru] cancels with '-1'
    oid = host.buy("never")
    assert host.text("setStatus", id=oid, status="-1") == "EARLY_CANCEL_DENIED"
    host.advance(121)
    assert host.text("setStatus", id=oid, status="-1") == "ACCESS_CANCEL"
    assert host.text("getBalance") == "ACCESS_BALANCE:1000.00"


@pytest.mark.parametrize("host", [None, "smsactivate", "grizzlysms"], indirect=True)
def test_number_v2_fields_aiosmsactivate_requires(host: Host) -> None:
    # [aio] models.Number: countryCode a JSON string, canGetAnotherSms bool,
    # activationTime '%Y-%m-%d %H:%M:%S', activationOperator
    doc = host.doc("getNumberV2", service="tg", country="0")
    assert doc["countryCode"] == "0" and doc["canGetAnotherSms"] is True
    assert time.strptime(doc["activationTime"], "%Y-%m-%d %H:%M:%S")
    assert doc["activationOperator"] == "any"
    assert "countryPhoneCode" not in doc


@pytest.mark.parametrize(
    ("host", "currency"),
    [(None, "PLAY"), ("smsactivate", "PLAY"), ("grizzlysms", 643), ("herosms", 840)],
    indirect=["host"],
)
def test_currency_per_dialect(host: Host, currency: object) -> None:
    # a name where no client of the family reads the field ([aio], [sa-py]); ISO 4217
    # numbers where the clients take one ([hero-py] `currency: int`, [usa] 840)
    assert host.doc("getNumberV2", service="tg")["currency"] == currency


@dialect("grizzlysms")
def test_grizzly_has_no_status_v2(host: Host) -> None:
    assert host.text("getStatusV2", id=host.buy()) == "BAD_ACTION"  # [grizzly]: undocumented


@pytest.mark.parametrize("host", ["smsactivate", "grizzlysms", "smshub", "herosms"], indirect=True)
def test_dialects_never_send_words_their_clients_do_not_know(host: Host) -> None:
    replies = [host.word("getNumber", service="tg", country="999")]
    replies.append(host.word("getNumber", service="tg", maxPrice="1"))
    oid = host.buy()
    replies.append(host.word("setStatus", id=oid, status="6"))
    replies.append(host.word("setStatus", id=oid, status="3"))
    host.advance(121)
    replies.append(host.word("setStatus", id=oid, status="8"))
    host.text("setStatus", id=oid, status="6")
    replies += [host.word("setStatus", id=oid, status=s) for s in ("6", "8", "3")]
    assert not {r.split(":")[0] for r in replies} & FOREIGN, replies


# --- actions every dialect serves (default first: it must keep answering as before) ----------


@pytest.mark.parametrize("host", [None, "smsactivate"], indirect=True)
def test_active_activations_sms_activate_shape(host: Host) -> None:
    # [aio]: NO_ACTIVATIONS with none open; [sa-doc]-style {"status": "success",
    # "activeActivations": [...]} (example on sms.online)
    assert host.text("getActiveActivations") == "NO_ACTIVATIONS"
    oid = host.buy("wa")
    doc = host.doc("getActiveActivations")
    assert set(doc) == {"status", "activeActivations"} and doc["status"] == "success"
    (item,) = doc["activeActivations"]
    assert item["activationId"] == oid and item["serviceCode"] == "wa"
    assert item["countryCode"] == "22" and item["countryName"] == "India"
    assert item["activationCost"] == Decimal("18.00")
    host.advance(121)
    host.text("setStatus", id=oid, status="6")  # finished: no longer open
    assert host.text("getActiveActivations") == "NO_ACTIVATIONS"


@dialect(None)
def test_numbers_status_has_every_key_smsactivateru_needs(host: Host) -> None:
    # [py-saru] GetFreeSlots reads every one of these keys; [sa-doc] {"vk_0": 76, ...}
    doc = host.doc("getNumbersStatus", country="22")
    assert set(CLASSIC_COUNT_KEYS) <= set(doc)
    assert doc["tg_0"] > 0 and doc["vk_0"] == 0 and doc["nonum_0"] == 0
    assert host.doc("getNumbersStatus", country="0")["oi_0"] == 0  # sold out there
    assert host.text("getNumbersStatus", country="999") == "BAD_COUNTRY"


@dialect(None)
def test_top_countries_services_operators_cashback(host: Host) -> None:
    # [sa-doc] getTopCountriesByService {c: {"country", "count", "price", "retail_price"}},
    # freePriceMap with freePrice=true; keyed by country id as [aio] get_service reads it
    top = host.doc("getTopCountriesByService", service="tg", freePrice="true")
    assert top["22"]["country"] == 22 and top["22"]["price"] == Decimal("12.50")
    assert top["22"]["freePriceMap"] == {"12.50": top["22"]["count"]}
    assert "0" in host.doc("getTopCountriesByService", service="tg")
    assert "0" not in host.doc("getTopCountriesByService", service="oi")  # sold out
    assert host.text("getTopCountriesByService") == "BAD_SERVICE"
    # [usa] #49 getServicesList; [hero-py] reads getOperators' countryOperators
    services = host.doc("getServicesList")
    assert services["status"] == "success"
    assert {"code": "tg", "name": "Telegram"} in services["services"]
    assert host.doc("getOperators", country="22")["countryOperators"] == {
        "22": ["airtel", "jio", "vi"]
    }
    assert host.text("getOperators", country="999") == "OPERATORS_NOT_FOUND"  # [aio]
    assert host.text("getBalanceAndCashBack") == "ACCESS_BALANCE:1000.00"  # [sa-doc]
    # [aio] get_service reads getPricesExtended's cost, count and physicalCount
    leaf = host.doc("getPricesExtended", service="tg", country="22")["22"]["tg"]
    assert set(leaf) == {"cost", "count", "physicalCount"}


@dialect(None)
def test_default_keeps_its_own_words(host: Host) -> None:
    # otp's own providers' words stay in the default sandbox (OTPGet, SastaOTP documents)
    oid = host.buy()
    assert host.text("setStatus", id=oid, status="6") == "NO_SMS_RECEIVED"
    assert host.text("getNumber", service="tg", maxPrice="1") == "MAX_PRICE_EXCEEDED"
    assert host.text("getStatusV2", id="1") == "NO_ACTIVATION"


# --- choosing a dialect -------------------------------------------------------------------


def test_dialect_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTPCLI_SANDBOX_DIALECT", "herosms")
    with start_background(tmp_path / "s") as srv:
        reply = requests.get(srv.base_url + "/handler_api.php", params={"api_key": "bad"})
        assert reply.status_code == 401
    monkeypatch.setenv("OTPCLI_SANDBOX_DIALECT", "nosuch")
    with pytest.raises(ConfigError, match="OTPCLI_SANDBOX_DIALECT"):
        start_background(tmp_path / "s")


def test_every_provider_dialect_has_a_rendering() -> None:
    from otpcli.providers.dialects import DIALECTS

    assert set(RENDERINGS) == set(DIALECTS)


def test_serve_rejects_an_unknown_dialect() -> None:
    result = run(["sandbox", "serve", "--dialect", "nosuch"])
    assert result.exit_code == 3
    assert "nosuch" in result.stderr and "herosms" in result.stderr


def test_in_process_sandbox_speaks_the_chosen_dialect(monkeypatch: pytest.MonkeyPatch) -> None:
    # `otp --sandbox` reads hero-sms's JSON errors: a 402 is "no balance" (exit 6)
    monkeypatch.setenv("OTPCLI_SANDBOX_DIALECT", "herosms")
    result = run(["--sandbox", "buy", "nobal", "--json"])
    assert result.exit_code == 6, result.stdout + result.stderr
    assert json.loads(result.stdout)["error"] == "no_balance"


# --- time settings ---------------------------------------------------------------------


def test_time_settings_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTPCLI_SANDBOX_TIME_SCALE", "60")
    monkeypatch.setenv("OTPCLI_SANDBOX_SMS_DELAY", "600")
    monkeypatch.setenv("OTPCLI_SANDBOX_EARLY_CANCEL", "30")
    monkeypatch.setenv("OTPCLI_SANDBOX_LIFETIME", "1800")
    clock = Clock()
    state = SandboxState(tmp_path / "t", clock)
    try:
        # At 60x the cancel window (30 s) ends after 0.5 real s, the SMS (600 s) after
        # 10: a cancel can be tested long before any code could spoil it.
        oid = state.buy("tg").id
        clock.now += 0.4
        with pytest.raises(Exception, match="EARLY_CANCEL_DENIED"):
            state.set_status(oid, "8")
        clock.now += 0.2
        assert state.set_status(oid, "8") == "ACCESS_CANCEL"
        waiting = state.buy("tg").id
        clock.now += 9.9
        assert state.status(waiting).kind == "wait"
        clock.now += 0.2
        assert state.status(waiting).kind == "ok"
        never = state.buy("never").id
        clock.now += 29.9
        assert state.status(never).kind == "wait"
        clock.now += 0.2
        assert state.status(never).kind == "cancel"  # the 1800 s lifetime is over
    finally:
        state.close()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("OTPCLI_SANDBOX_EARLY_CANCEL", "-1"),
        ("OTPCLI_SANDBOX_EARLY_CANCEL", "soon"),
        ("OTPCLI_SANDBOX_LIFETIME", "0"),
        ("OTPCLI_SANDBOX_LIFETIME", "inf"),
    ],
)
def test_bad_time_settings_are_config_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        SandboxState(tmp_path / "x")


def test_timing_given_in_code_overrides_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTPCLI_SANDBOX_EARLY_CANCEL", "120")
    clock = Clock()
    timing = Timing(early_cancel=0.0, lifetime=60.0)
    with start_background(tmp_path / "s", clock=clock, timing=timing) as srv:
        host = Host(srv, clock)
        oid = host.buy("never")
        assert host.text("setStatus", id=oid, status="8") == "ACCESS_CANCEL"
        doc = host.doc("getNumberV2", service="tg")
        end = time.mktime(time.strptime(doc["activationEndTime"], "%Y-%m-%d %H:%M:%S"))
        assert end - NOW == 60


# --- the server stops on SIGTERM whenever it lands ------------------------------------------


def test_a_signal_while_handing_over_a_connection_stops_the_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_: object) -> None:
        raise Interrupted("interrupted by SIGTERM", signal_exit=ExitCode.TERMINATED)

    state = SandboxState(tmp_path / "sig")
    httpd = server_mod._Server("127.0.0.1", 0, state, server_mod.rendering())
    try:
        monkeypatch.setattr(httpd, "process_request", interrupted)
        with socket.create_connection(httpd.server_address[:2]), pytest.raises(Interrupted):
            httpd.handle_request()
    finally:
        httpd.server_close()
        state.close()


@pytest.mark.parametrize(
    "name",
    [
        "smsactivate",
        "herosms",
        "grizzlysms",
        "smshub",  # no getNumberV2: the driver falls back to getNumber once
    ],
)
def test_otp_itself_works_in_every_dialect(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTPCLI_SANDBOX_DIALECT", name)
    monkeypatch.setenv("OTPCLI_SANDBOX_SMS_DELAY", "0")
    result = run(["--sandbox", "buy", "tg", "--wait", "--json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["code"].isdigit()
    bought = run(["--sandbox", "buy", "never", "--json"])
    early = run(["--sandbox", "cancel", json.loads(bought.stdout)["id"]])
    assert early.exit_code == 8 and "EARLY_CANCEL_DENIED" in early.stderr
