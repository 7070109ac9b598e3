"""SastaOTP driver: key in a header, JSON purchases, SMS text, reget, catalog and orders."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from otpcli.domain.errors import (
    AuthError,
    BadInput,
    NoBalance,
    NotFound,
    OrderStateError,
    OtpError,
    PurchaseUnknown,
    Unavailable,
    Unsupported,
)
from otpcli.domain.models import State
from otpcli.domain.provider import Capability, ProviderOptions
from otpcli.providers.sastaotp import Driver, SastaOtpDriver

BASE = "https://sastaotp.com/stubs"
URL = f"{BASE}/handler_api.php"
KEY = "SECRETKEY123"

NUMBER_JSON = """{
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
  "multi_sms": false,
  "can_get_another_sms": false,
  "expires_in": 1200,
  "note": null
}"""

REGET_JSON = """{
  "status": "OK",
  "new_order_id": 74685,
  "new_activation_id": "Lw4S1r37abcXYZ",
  "number": "918595529925",
  "price": 13.34,
  "currency": "INR",
  "expires_in": 1200
}"""

SERVICES_JSON = """{
  "status": "OK",
  "total": 120,
  "services": {
    "tg": {
      "code": "tg",
      "name": "Telegram",
      "logo": "https://...",
      "price": 18.50,
      "currency": "INR",
      "available": 8420,
      "multi_sms": false,
      "expires_in": 1200,
      "countries": [
        {"country_code": "91", "country_name": "India", "flag": "🇮🇳", "price": 18.50, "qty": 999},
        {"country_code": "7", "country_name": "Russia", "flag": "🇷🇺", "price": 25.10, "qty": 3}
      ]
    },
    "wa": {"code": "wa", "name": "WhatsApp", "price": 30, "currency": "INR", "available": 5,
           "multi_sms": true, "countries": []}
  }
}"""


def sent(call: Any) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query))


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def sasta() -> SastaOtpDriver:
    return Driver(ProviderOptions(api_key=KEY, base_url=BASE, backoff=0))


def assert_key_in_header_only(call: Any) -> None:
    assert call.request.headers["X-API-Key"] == KEY
    assert KEY not in call.request.url
    assert "api_key" not in sent(call)


def test_identity(sasta: SastaOtpDriver) -> None:
    assert Driver is SastaOtpDriver
    assert (sasta.name, sasta.currency, sasta.poll_interval) == ("sastaotp", "INR", 5.0)
    assert sasta.capabilities == {
        Capability.SMS,
        Capability.CANCEL,
        Capability.FINISH,
        Capability.ANOTHER_SMS,
        Capability.REGET,
        Capability.CATALOG,
        Capability.COUNTRIES,
        Capability.ORDERS,
    }


def test_balance_key_in_header(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    mock.get(URL, body="ACCESS_BALANCE:125.50")
    balance = sasta.balance()
    assert balance.balance == Decimal("125.50") and balance.currency == "INR"
    assert_key_in_header_only(mock.calls[0])
    assert sent(mock.calls[0]) == {"action": "getBalance"}


def test_buy_json(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    mock.get(URL, body=NUMBER_JSON, content_type="application/json")
    act = sasta.buy("tg", country="91", operator="91", max_price=Decimal("20.00"))
    assert act.id == "38496653"  # activation_id, not order_id
    assert act.number == "917991234567"
    assert (act.service, act.country) == ("tg", "91")
    assert act.price == Decimal("18.50") and str(act.price) == "18.50"
    assert act.currency == "INR"
    assert (act.expires_in, act.multi_sms) == (1200, False)
    assert sent(mock.calls[0]) == {
        "action": "getNumber",
        "service": "tg",
        "country": "91",
        "operator": "91",
        "maxPrice": "20.00",
        "format": "json",
    }
    assert_key_in_header_only(mock.calls[0])


def test_buy_plain_text(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    mock.get(URL, body="ACCESS_NUMBER:38496653:917991234567\n")
    act = sasta.buy("tg")
    assert (act.id, act.number, act.price, act.currency) == (
        "38496653",
        "917991234567",
        None,
        None,
    )
    assert sent(mock.calls[0]) == {"action": "getNumber", "service": "tg", "format": "json"}


@pytest.mark.parametrize(
    ("body", "cls", "word"),
    [
        ("NO_BALANCE", NoBalance, "NO_BALANCE"),
        ('{"status":"ERROR","message":"NO_BALANCE"}', NoBalance, "NO_BALANCE"),
        ('{"status":"NO_NUMBERS"}', Unavailable, "NO_NUMBERS"),
        ('{"error":"MAX_PRICE_EXCEEDED"}', NoBalance, "MAX_PRICE_EXCEEDED"),
        ("SERVICE_UNAVAILABLE", Unavailable, "SERVICE_UNAVAILABLE"),
        ("BAD_KEY", AuthError, "BAD_KEY"),
        ("KEY_INACTIVE", AuthError, "KEY_INACTIVE"),
        ("ACCOUNT_BANNED", AuthError, "ACCOUNT_BANNED"),
        ("MISSING_PARAMS", BadInput, "MISSING_PARAMS"),
        ("BAD_ACTION", BadInput, "BAD_ACTION"),
        ("PROVIDER_ERROR", PurchaseUnknown, "PROVIDER_ERROR"),
        ("SERVER_ERROR", PurchaseUnknown, "SERVER_ERROR"),
        ("ERROR_SQL", PurchaseUnknown, "ERROR_SQL"),
    ],
)
def test_buy_errors(
    mock: responses.RequestsMock,
    sasta: SastaOtpDriver,
    body: str,
    cls: type[OtpError],
    word: str,
) -> None:
    mock.get(URL, body=body)
    with pytest.raises(cls) as info:
        sasta.buy("tg")
    assert info.value.provider_word == word
    assert len(mock.calls) == 1


def test_buy_json_without_an_id_is_unknown(
    mock: responses.RequestsMock, sasta: SastaOtpDriver
) -> None:
    mock.get(URL, body='{"status": "OK", "order_id": 1234}')
    with pytest.raises(PurchaseUnknown):
        sasta.buy("tg")


def test_waiting_status_makes_one_call(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    mock.get(URL, body="STATUS_WAIT_CODE")
    result = sasta.status("38496653")
    assert result.state is State.WAITING
    assert len(mock.calls) == 1
    assert sent(mock.calls[0]) == {"action": "getStatus", "id": "38496653"}
    assert_key_in_header_only(mock.calls[0])


def test_code_fetches_the_full_text(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    mock.get(URL, body="STATUS_OK:123456")
    mock.get(
        URL,
        body='{ "verificationType": 2, "sms": { "code": "123456", '
        '"text": "Your Telegram code is 123456" } }',
    )
    result = sasta.status("38496653")
    assert (result.state, result.code) == (State.CODE_RECEIVED, "123456")
    assert result.text == "Your Telegram code is 123456"
    assert [sent(c)["action"] for c in mock.calls] == ["getStatus", "getStatusV2"]
    assert sent(mock.calls[1]) == {"action": "getStatusV2", "id": "38496653"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("<html>down</html>", 503),
        ("NO_ACTIVATION", 200),
        ('{"verificationType": 2, "sms": null}', 200),
        ("not json", 200),
    ],
)
def test_text_is_best_effort(
    mock: responses.RequestsMock, sasta: SastaOtpDriver, body: str, status: int
) -> None:
    mock.get(URL, body="STATUS_OK:123456")
    mock.get(URL, body=body, status=status)
    result = sasta.status("38496653")
    assert (result.state, result.code, result.text) == (State.CODE_RECEIVED, "123456", None)


def test_text_survives_a_dead_connection(
    mock: responses.RequestsMock, sasta: SastaOtpDriver
) -> None:
    mock.get(URL, body="STATUS_OK:123456")
    mock.get(URL, body=requests.exceptions.ConnectionError("reset"))
    assert sasta.status("1").code == "123456"


@pytest.mark.parametrize(
    ("method", "code", "reply", "state"),
    [
        ("cancel", "8", "ACCESS_CANCEL", State.CANCELLED),
        ("finish", "6", "ACCESS_ACTIVATION", State.FINISHED),
        ("another", "3", "ACCESS_RETRY_GET", State.WAITING),
    ],
)
def test_meaning_to_status(
    mock: responses.RequestsMock,
    sasta: SastaOtpDriver,
    method: str,
    code: str,
    reply: str,
    state: State,
) -> None:
    mock.get(URL, body=reply)
    result = getattr(sasta, method)("38496653")
    assert result.state is state
    assert sent(mock.calls[0]) == {"action": "setStatus", "id": "38496653", "status": code}
    assert_key_in_header_only(mock.calls[0])


@pytest.mark.parametrize(
    ("method", "word", "cls"),
    [
        ("cancel", "ALREADY_FINISHED", OrderStateError),
        ("cancel", "CANCEL_FAILED", OrderStateError),
        ("another", "RETRY_FAILED", OrderStateError),
        ("finish", "BAD_STATUS", BadInput),
        ("cancel", "NO_ACTIVATION", NotFound),
    ],
)
def test_set_status_errors(
    mock: responses.RequestsMock,
    sasta: SastaOtpDriver,
    method: str,
    word: str,
    cls: type[OtpError],
) -> None:
    mock.get(URL, body=word)
    with pytest.raises(cls) as info:
        getattr(sasta, method)("1")
    assert info.value.provider_word == word


def test_reget_json(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    mock.get(URL, body=REGET_JSON)
    result = sasta.reget("38496653")
    assert result.id == "38496653" and result.action == "reget"
    new = result.new_activation
    assert new is not None
    assert (new.id, new.number, new.price, new.currency, new.expires_in) == (
        "Lw4S1r37abcXYZ",
        "918595529925",
        Decimal("13.34"),
        "INR",
        1200,
    )
    assert sent(mock.calls[0]) == {"action": "regetNumber", "id": "38496653", "format": "json"}


def test_reget_plain(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    mock.get(URL, body="REGET_NUMBER_OK:Lw4S1r37abcXYZ:918595529925")
    new = sasta.reget("38496653").new_activation
    assert new is not None and (new.id, new.number) == ("Lw4S1r37abcXYZ", "918595529925")


def test_reget_is_a_purchase(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    mock.get(URL, body="oops", status=500)
    with pytest.raises(PurchaseUnknown):
        sasta.reget("38496653")
    assert len(mock.calls) == 1


def test_services(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    mock.get(URL, body=SERVICES_JSON)
    entries = sasta.services()
    assert sent(mock.calls[0]) == {"action": "getServicesList"}
    rows = [(e.service, e.name, e.country, e.country_name, e.price, e.stock) for e in entries]
    assert rows == [
        ("tg", "Telegram", "91", "India", Decimal("18.50"), 999),
        ("tg", "Telegram", "7", "Russia", Decimal("25.10"), 3),
        ("wa", "WhatsApp", None, None, Decimal("30"), 5),
    ]
    assert all(e.currency == "INR" for e in entries)
    assert entries[2].extra["multi_sms"] == "true"


def test_services_filters(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    mock.get(URL, body=SERVICES_JSON)
    entries = sasta.services(service="tg", country="7")
    assert sent(mock.calls[0]) == {"action": "getServicesList", "service": "tg"}
    assert [(e.service, e.country) for e in entries] == [("tg", "7")]


def test_services_refuse_a_server(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    with pytest.raises(Unsupported):
        sasta.services(server="1")
    assert len(mock.calls) == 0


@pytest.mark.parametrize("method", ["services", "countries"])
def test_catalog_calls_name_the_provider_when_refusing_a_server(
    mock: responses.RequestsMock, sasta: SastaOtpDriver, method: str
) -> None:
    with pytest.raises(Unsupported) as caught:
        getattr(sasta, method)(server="1")
    assert caught.value.message == "SastaOTP has no servers; nothing was sent"
    assert caught.value.hint == "drop --server"
    assert len(mock.calls) == 0


def test_countries(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    mock.get(
        URL, body='{"status":"OK","countries":[{"id":91,"eng":"India","code":"91"}],"total":180}'
    )
    assert [(c.id, c.name) for c in sasta.countries()] == [("91", "India")]
    assert sent(mock.calls[0]) == {"action": "getCountries"}


ORDER_ROW = '{"activation_id": "1", "price": 18.50, "status": "completed"}'


@pytest.mark.parametrize(
    "body",
    [
        f'{{"status": "OK", "orders": [{ORDER_ROW}]}}',
        f'{{"status": "OK", "data": [{ORDER_ROW}]}}',
        f"[{ORDER_ROW}]",
    ],
)
def test_orders_shapes(mock: responses.RequestsMock, sasta: SastaOtpDriver, body: str) -> None:
    mock.get(URL, body=body)
    assert sasta.orders() == [{"activation_id": "1", "price": "18.50", "status": "completed"}]
    assert sent(mock.calls[0]) == {"action": "getOrders", "limit": "20", "page": "1"}


def test_orders_params(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    mock.get(URL, body='{"orders": []}')
    assert sasta.orders(limit=10, page=2, status="cancelled") == []
    assert sent(mock.calls[0]) == {
        "action": "getOrders",
        "limit": "10",
        "page": "2",
        "status": "cancelled",
    }
    assert_key_in_header_only(mock.calls[0])


@pytest.mark.parametrize("kwargs", [{"limit": 0}, {"limit": 101}, {"page": 0}, {"status": "paid"}])
def test_orders_bad_input_sends_nothing(
    mock: responses.RequestsMock, sasta: SastaOtpDriver, kwargs: dict[str, Any]
) -> None:
    with pytest.raises(BadInput):
        sasta.orders(**kwargs)
    assert len(mock.calls) == 0


def test_orders_garbage(mock: responses.RequestsMock, sasta: SastaOtpDriver) -> None:
    mock.get(URL, body='{"status": "OK"}')
    with pytest.raises(OtpError) as info:
        sasta.orders()
    assert info.value.exit_code == 9


def test_key_not_in_url_on_connection_errors() -> None:
    d = Driver(ProviderOptions(api_key=KEY, base_url="http://127.0.0.1:9", backoff=0))
    with pytest.raises(OtpError) as info:
        d.balance()
    assert KEY not in info.value.message
