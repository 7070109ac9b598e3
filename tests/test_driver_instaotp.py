"""InstaOTP driver: server param, cancel/finish words, and what it does not offer."""

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
from otpcli.providers.instaotp import Driver, InstaOtpDriver

BASE = "https://instaotp.in/api/v1"
URL = f"{BASE}/handler_api.php"
KEY = "abc123def456"

SERVICES = """{
"1": [
{
"id": "vk",
"service": "Вконтакте/VKConnect",
"price": "3.12",
"qty": "1052",
"country": "22",
"provider": "1"
}
],
"2": [
{"id": "tg", "service": "Telegram", "price": "7.50", "qty": "0", "country": "22", "provider": "2"}
]
}"""


def sent(call: Any) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query))


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def insta() -> InstaOtpDriver:
    return Driver(ProviderOptions(api_key=KEY, base_url=BASE, backoff=0))


def test_identity(insta: InstaOtpDriver) -> None:
    assert Driver is InstaOtpDriver
    assert (insta.name, insta.title) == ("instaotp", "InstaOTP")
    assert insta.currency is None  # the document names none
    assert insta.capabilities == {
        Capability.SMS,
        Capability.CANCEL,
        Capability.FINISH,
        Capability.CATALOG,
    }


def test_balance(mock: responses.RequestsMock, insta: InstaOtpDriver) -> None:
    mock.get(URL, body="ACCESS_BALANCE:54.00")
    balance = insta.balance()
    assert balance.balance == Decimal("54.00") and balance.currency is None
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getBalance"}


def test_buy_as_in_the_document(mock: responses.RequestsMock, insta: InstaOtpDriver) -> None:
    mock.get(URL, body="ACCESS_NUMBER:12345:+1234567890")
    act = insta.buy("vk", country="22", server="1")
    assert (act.id, act.number, act.country) == ("12345", "+1234567890", "22")
    assert sent(mock.calls[0]) == {
        "api_key": KEY,
        "action": "getNumber",
        "service": "vk",
        "country": "22",
        "server": "1",
    }


def test_buy_defaults_to_server_1(mock: responses.RequestsMock, insta: InstaOtpDriver) -> None:
    mock.get(URL, body="ACCESS_NUMBER:12345:+1234567890")
    insta.buy("vk", country="22")
    assert sent(mock.calls[0])["server"] == "1"


def test_buy_sends_the_given_server(mock: responses.RequestsMock, insta: InstaOtpDriver) -> None:
    mock.get(URL, body="ACCESS_NUMBER:12345:+1234567890")
    insta.buy("vk", country="22", server="7")
    assert sent(mock.calls[0])["server"] == "7"


def test_buy_without_country_sends_nothing(
    mock: responses.RequestsMock, insta: InstaOtpDriver
) -> None:
    with pytest.raises(BadInput) as info:
        insta.buy("vk")
    assert "-c COUNTRY" in str(info.value.hint)
    assert len(mock.calls) == 0


@pytest.mark.parametrize("options", [{"max_price": Decimal("3")}, {"operator": "any"}])
def test_undocumented_buy_options_are_refused(
    mock: responses.RequestsMock, insta: InstaOtpDriver, options: dict[str, Any]
) -> None:
    with pytest.raises(Unsupported):
        insta.buy("vk", country="22", **options)
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    ("reply", "state", "code"),
    [
        ("STATUS_OK:54321", State.CODE_RECEIVED, "54321"),
        ("STATUS_WAIT_CODE", State.WAITING, None),
        ("ACCESS_RETRY_GET", State.WAITING, None),
        ("ACCESS_READY", State.WAITING, None),
        ("ACCESS_ACTIVATION", State.FINISHED, None),
        ("ACCESS_CANCEL", State.CANCELLED, None),
    ],
)
def test_status_uses_the_family_action(
    mock: responses.RequestsMock,
    insta: InstaOtpDriver,
    reply: str,
    state: State,
    code: str | None,
) -> None:
    mock.get(URL, body=reply)
    result = insta.status("12345")
    assert (result.state, result.code) == (state, code)
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getStatus", "id": "12345"}


@pytest.mark.parametrize(
    ("method", "word", "reply", "state"),
    [
        ("cancel", "cancel", "ACCESS_CANCEL", State.CANCELLED),
        ("finish", "finish", "ACCESS_ACTIVATION", State.FINISHED),
    ],
)
def test_set_status_words(
    mock: responses.RequestsMock,
    insta: InstaOtpDriver,
    method: str,
    word: str,
    reply: str,
    state: State,
) -> None:
    mock.get(URL, body=reply)
    result = getattr(insta, method)("12345")
    assert result.state is state
    assert sent(mock.calls[0]) == {
        "api_key": KEY,
        "action": "setStatus",
        "id": "12345",
        "status": word,
    }


@pytest.mark.parametrize(
    ("word", "cls"),
    [
        ("EARLY_CANCEL_DENIED", OrderStateError),
        ("ALREADY_CANCEL", OrderStateError),
        ("NO_ACTIVATION", NotFound),
        ("INVALID_STATUS", BadInput),
        ("BAD_STATUS", BadInput),
        ("ERROR_SQL", ProviderError),
    ],
)
def test_cancel_errors(
    mock: responses.RequestsMock, insta: InstaOtpDriver, word: str, cls: type[OtpError]
) -> None:
    mock.get(URL, body=word)
    with pytest.raises(cls) as info:
        insta.cancel("12345")
    assert info.value.provider_word == word


@pytest.mark.parametrize(
    ("word", "cls"),
    [
        ("NO_API_KEY", AuthError),
        ("BAD_KEY", AuthError),
        ("BAD_PARAMS", BadInput),
        ("BAD_ACTION", BadInput),
        ("BAD_SERVICE", BadInput),
        ("NO_NUMBERS", Unavailable),
    ],
)
def test_buy_errors(
    mock: responses.RequestsMock, insta: InstaOtpDriver, word: str, cls: type[OtpError]
) -> None:
    mock.get(URL, body=word)
    with pytest.raises(cls) as info:
        insta.buy("vk", country="22")
    assert info.value.provider_word == word


def test_error_sql_on_buy_is_purchase_unknown(
    mock: responses.RequestsMock, insta: InstaOtpDriver
) -> None:
    mock.get(URL, body="ERROR_SQL")
    with pytest.raises(PurchaseUnknown) as info:
        insta.buy("vk", country="22")
    assert info.value.provider_word == "ERROR_SQL"
    assert len(mock.calls) == 1


@pytest.mark.parametrize("method", ["another", "reget"])
def test_no_another_sms(mock: responses.RequestsMock, insta: InstaOtpDriver, method: str) -> None:
    with pytest.raises(Unsupported) as info:
        getattr(insta, method)("12345")
    assert "InstaOTP" in info.value.message
    assert len(mock.calls) == 0


def test_no_country_list(mock: responses.RequestsMock, insta: InstaOtpDriver) -> None:
    with pytest.raises(Unsupported):
        insta.countries()
    assert len(mock.calls) == 0


def test_services(mock: responses.RequestsMock, insta: InstaOtpDriver) -> None:
    mock.get(URL, body=SERVICES)
    entries = insta.services(country="22")
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getService", "country": "22"}
    assert [(e.service, e.name, e.country, e.server, e.price, e.stock) for e in entries] == [
        ("vk", "Вконтакте/VKConnect", "22", "1", Decimal("3.12"), 1052),
        ("tg", "Telegram", "22", "2", Decimal("7.50"), 0),
    ]
    assert all(e.currency is None for e in entries)


def test_services_filters(mock: responses.RequestsMock, insta: InstaOtpDriver) -> None:
    mock.get(URL, body=SERVICES)
    entries = insta.services(server="2", service="tg")
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getService", "server": "2"}
    assert [e.service for e in entries] == ["tg"]


def test_no_services(mock: responses.RequestsMock, insta: InstaOtpDriver) -> None:
    mock.get(URL, body="NO_SERVICES")
    with pytest.raises(Unavailable):
        insta.services()
