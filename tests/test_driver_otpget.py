"""OTPGet SMS driver: `type` for --server, numeric services, 6/8 and never 3."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses

from otpcli.domain.errors import (
    AuthError,
    BadInput,
    ExitCode,
    NoBalance,
    NotFound,
    OrderStateError,
    OtpError,
    ProviderError,
    PurchaseUnknown,
    Unavailable,
    Unsupported,
)
from otpcli.domain.models import State
from otpcli.domain.provider import Capability, ProviderOptions
from otpcli.providers.otpget import Driver, OtpGetDriver, parse_service_label

BASE = "https://www.otpget.com/stubs"
URL = f"{BASE}/handler_api.php"
KEY = "YOUR_API_KEY"

COUNTRIES = """{
  "1": [
    {"id": "33", "name": "Canada"},
    {"id": "61", "name": "Pakistan"},
    {"id": "12", "name": "USA"}
  ],
  "2": [{"id": "21", "name": "India"}],
  "3": [],
  "4": [{"id": "5", "name": "Philippines"}]
}"""

SERVICES = """{
  "101": "Telegram - 45 PKR",
  "102": "WhatsApp - 60 PKR",
  "103": "Instagram - 55 PKR"
}"""


def sent(call: Any) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query))


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def otpget() -> OtpGetDriver:
    return Driver(ProviderOptions(api_key=KEY, base_url=BASE, backoff=0))


def test_identity(otpget: OtpGetDriver) -> None:
    assert Driver is OtpGetDriver
    assert (otpget.name, otpget.currency) == ("otpget", "PKR")
    assert otpget.capabilities == {
        Capability.SMS,
        Capability.CANCEL,
        Capability.FINISH,
        Capability.CATALOG,
        Capability.COUNTRIES,
        Capability.CHEAP,
        Capability.RENT,
        Capability.EMAIL,
    }
    assert not otpget.supports(Capability.ANOTHER_SMS)


def test_balance_in_pkr(mock: responses.RequestsMock, otpget: OtpGetDriver) -> None:
    mock.get(URL, body="ACCESS_BALANCE:500.00")
    balance = otpget.balance()
    assert balance.balance == Decimal("500.00") and balance.currency == "PKR"
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getBalance"}


def test_buy_sends_type_1_by_default(mock: responses.RequestsMock, otpget: OtpGetDriver) -> None:
    mock.get(URL, body="ACCESS_NUMBER:abc123:9230012345")
    act = otpget.buy("101", country="61")
    assert (act.id, act.number, act.service, act.country) == ("abc123", "9230012345", "101", "61")
    assert sent(mock.calls[0]) == {
        "api_key": KEY,
        "action": "getNumber",
        "service": "101",
        "country": "61",
        "type": "1",
    }


def test_server_is_type(mock: responses.RequestsMock, otpget: OtpGetDriver) -> None:
    mock.get(URL, body="ACCESS_NUMBER:abc123:9230012345")
    otpget.buy("101", country="61", server="3")
    assert sent(mock.calls[0])["type"] == "3"


def test_buy_without_country_sends_nothing(
    mock: responses.RequestsMock, otpget: OtpGetDriver
) -> None:
    with pytest.raises(BadInput) as info:
        otpget.buy("101")
    assert info.value.hint == "pass -c COUNTRY (see `otp countries`)"
    assert len(mock.calls) == 0


def test_buy_with_a_service_code_sends_nothing(
    mock: responses.RequestsMock, otpget: OtpGetDriver
) -> None:
    with pytest.raises(BadInput) as info:
        otpget.buy("tg", country="61")
    assert "otp services" in str(info.value.hint)
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    ("options", "flag"),
    [({"max_price": Decimal("50")}, "--max-price"), ({"operator": "jazz"}, "--operator")],
)
def test_undocumented_buy_options_are_refused(
    mock: responses.RequestsMock, otpget: OtpGetDriver, options: dict[str, Any], flag: str
) -> None:
    with pytest.raises(Unsupported, match=flag):
        otpget.buy("101", country="61", **options)
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    ("reply", "state", "code"),
    [
        ("STATUS_WAIT_CODE", State.WAITING, None),
        ("STATUS_OK:847293", State.CODE_RECEIVED, "847293"),
        ("STATUS_CANCEL", State.CANCELLED, None),
    ],
)
def test_status(
    mock: responses.RequestsMock, otpget: OtpGetDriver, reply: str, state: State, code: str | None
) -> None:
    mock.get(URL, body=reply)
    result = otpget.status("abc123xyz")
    assert (result.id, result.state, result.code) == ("abc123xyz", state, code)
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getStatus", "id": "abc123xyz"}


def test_finish_is_6(mock: responses.RequestsMock, otpget: OtpGetDriver) -> None:
    mock.get(URL, body="ACCESS_FINISH")
    result = otpget.finish("abc123xyz")
    assert result.state is State.FINISHED and not result.refunded
    assert sent(mock.calls[0]) == {
        "api_key": KEY,
        "action": "setStatus",
        "id": "abc123xyz",
        "status": "6",
    }


def test_cancel_is_8_and_access_ready_means_refunded(
    mock: responses.RequestsMock, otpget: OtpGetDriver
) -> None:
    mock.get(URL, body="ACCESS_READY")
    result = otpget.cancel("abc123xyz")
    assert result.state is State.CANCELLED and result.refunded
    assert sent(mock.calls[0])["status"] == "8"


def test_another_sms_is_not_offered_and_3_never_sent(
    mock: responses.RequestsMock, otpget: OtpGetDriver
) -> None:
    with pytest.raises(Unsupported) as info:
        otpget.another("abc123xyz")
    assert "OTPGet" in info.value.message
    assert "otp buy" in str(info.value.hint)
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    ("method", "word", "cls"),
    [
        ("cancel", "EARLY_CANCEL_DENIED", OrderStateError),
        ("cancel", "STATUS_ALREADY_CHANGED", OrderStateError),
        ("finish", "NO_SMS_RECEIVED", OrderStateError),
        ("finish", "BAD_STATUS", BadInput),
        ("cancel", "NO_ACTIVATION", NotFound),
        ("cancel", "BAD_ID", NotFound),
    ],
)
def test_set_status_errors(
    mock: responses.RequestsMock,
    otpget: OtpGetDriver,
    method: str,
    word: str,
    cls: type[OtpError],
) -> None:
    mock.get(URL, body=word)
    with pytest.raises(cls) as info:
        getattr(otpget, method)("abc123xyz")
    assert info.value.provider_word == word


def test_early_cancel_hint(mock: responses.RequestsMock, otpget: OtpGetDriver) -> None:
    mock.get(URL, body="EARLY_CANCEL_DENIED")
    with pytest.raises(OrderStateError) as info:
        otpget.cancel("abc123xyz")
    assert info.value.exit_code == ExitCode.ORDER_STATE
    assert "2 minutes" in str(info.value.hint)


@pytest.mark.parametrize(
    ("body", "cls", "word"),
    [
        ("BAD_KEY", AuthError, "BAD_KEY"),
        ('{"status":"401","message":"BAD_KEY"}', AuthError, "BAD_KEY"),
        ("ACCOUNT_BLOCKED", AuthError, "ACCOUNT_BLOCKED"),
        ("BAD_SERVICE", BadInput, "BAD_SERVICE"),
        ("BAD_COUNTRY", BadInput, "BAD_COUNTRY"),
        ("BAD_TYPE", BadInput, "BAD_TYPE"),
        ("NO_BALANCE", NoBalance, "NO_BALANCE"),
        ("ERROR_PRICE_CHANGE", NoBalance, "ERROR_PRICE_CHANGE"),
        ("NO_BALANCE_FOR_NEW_PRICE:61.00", NoBalance, "NO_BALANCE_FOR_NEW_PRICE"),
        ("ERROR_PROVIDER_2:NO_NUMBERS", Unavailable, "ERROR_PROVIDER_2:NO_NUMBERS"),
        ("ERROR_PROVIDER_1:NO_BALANCE", NoBalance, "ERROR_PROVIDER_1:NO_BALANCE"),
    ],
)
def test_buy_errors(
    mock: responses.RequestsMock,
    otpget: OtpGetDriver,
    body: str,
    cls: type[OtpError],
    word: str,
) -> None:
    mock.get(URL, body=body)
    with pytest.raises(cls) as info:
        otpget.buy("101", country="61")
    assert info.value.provider_word == word
    assert len(mock.calls) == 1


def test_upstream_garbage_on_buy_is_purchase_unknown(
    mock: responses.RequestsMock, otpget: OtpGetDriver
) -> None:
    mock.get(URL, body="ERROR_PROVIDER_3:timeout talking to upstream")
    with pytest.raises(PurchaseUnknown) as info:
        otpget.buy("101", country="61")
    assert info.value.provider_word == "ERROR_PROVIDER_3"
    assert len(mock.calls) == 1


def test_upstream_garbage_on_read_is_provider_error(
    mock: responses.RequestsMock, otpget: OtpGetDriver
) -> None:
    mock.get(URL, body="ERROR_PROVIDER_3:timeout talking to upstream")
    with pytest.raises(ProviderError) as info:
        otpget.status("abc123")
    assert info.value.exit_code == ExitCode.PROVIDER


def test_json_error_on_balance(mock: responses.RequestsMock, otpget: OtpGetDriver) -> None:
    mock.get(URL, body='{"status":"401","message":"BAD_KEY"}', content_type="application/json")
    with pytest.raises(AuthError) as info:
        otpget.balance()
    assert info.value.provider_word == "BAD_KEY"
    assert "--provider otpget" in str(info.value.hint)


def test_countries_keyed_by_type(mock: responses.RequestsMock, otpget: OtpGetDriver) -> None:
    mock.get(URL, body=COUNTRIES, content_type="text/html")
    countries = otpget.countries()
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getCountries", "type": "1"}
    assert [(c.id, c.name, c.server) for c in countries] == [
        ("33", "Canada", "1"),
        ("61", "Pakistan", "1"),
        ("12", "USA", "1"),
        ("21", "India", "2"),
        ("5", "Philippines", "4"),
    ]


def test_countries_for_one_server(mock: responses.RequestsMock, otpget: OtpGetDriver) -> None:
    mock.get(URL, body=COUNTRIES)
    countries = otpget.countries(server="2")
    assert sent(mock.calls[0])["type"] == "2"
    assert [(c.id, c.server) for c in countries] == [("21", "2")]


def test_services(mock: responses.RequestsMock, otpget: OtpGetDriver) -> None:
    mock.get(URL, body=SERVICES)
    entries = otpget.services(country="61")
    assert sent(mock.calls[0]) == {
        "api_key": KEY,
        "action": "getServices",
        "country": "61",
        "type": "1",
    }
    assert [(e.service, e.name, e.price, e.currency, e.country, e.server) for e in entries] == [
        ("101", "Telegram", Decimal("45"), "PKR", "61", "1"),
        ("102", "WhatsApp", Decimal("60"), "PKR", "61", "1"),
        ("103", "Instagram", Decimal("55"), "PKR", "61", "1"),
    ]


def test_services_filter(mock: responses.RequestsMock, otpget: OtpGetDriver) -> None:
    mock.get(URL, body=SERVICES)
    assert [e.service for e in otpget.services(country="61", server="2", service="102")] == ["102"]
    assert sent(mock.calls[0])["type"] == "2"


def test_services_need_a_country(mock: responses.RequestsMock, otpget: OtpGetDriver) -> None:
    with pytest.raises(BadInput) as info:
        otpget.services()
    assert "-c COUNTRY" in str(info.value.hint)
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Telegram - 45 PKR", ("Telegram", Decimal("45"), "PKR")),
        ("WhatsApp - 60.50 PKR", ("WhatsApp", Decimal("60.50"), "PKR")),
        ("Google - Gmail - 30 PKR", ("Google - Gmail", Decimal("30"), "PKR")),
        ("Signal - 1,200 PKR", ("Signal", Decimal("1200"), "PKR")),
        ("Viber - 12", ("Viber", Decimal("12"), None)),
        ("Telegram", ("Telegram", None, None)),
        ("Tinder - soon", ("Tinder - soon", None, None)),
    ],
)
def test_service_labels(label: str, expected: tuple[str, Decimal | None, str | None]) -> None:
    assert parse_service_label(label) == expected


def test_services_without_price(mock: responses.RequestsMock, otpget: OtpGetDriver) -> None:
    mock.get(URL, body='{"104": "Telegram", "105": "Viber - 12"}')
    entries = otpget.services(country="61")
    assert [(e.name, e.price, e.currency) for e in entries] == [
        ("Telegram", None, None),
        ("Viber", Decimal("12"), "PKR"),
    ]
