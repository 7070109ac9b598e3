"""OTPX driver: the exact requests it sends and what it makes of the documented replies."""

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
    OtpError,
    PurchaseUnknown,
    Unavailable,
    Unsupported,
)
from otpcli.domain.models import State
from otpcli.domain.provider import Capability, ProviderOptions
from otpcli.providers.otpx import Driver, OtpxDriver

BASE = "https://otpx.in/api/stubs"
URL = f"{BASE}/handler_api.php"
KEY = "YOUR_API_KEY"


def sent(call: Any) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query))


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def otpx() -> OtpxDriver:
    return Driver(ProviderOptions(api_key=KEY, base_url=BASE, backoff=0))


def test_identity(otpx: OtpxDriver) -> None:
    assert Driver is OtpxDriver
    assert (otpx.name, otpx.title, otpx.currency) == ("otpx", "OTPX", "INR")
    assert otpx.capabilities == {Capability.SMS, Capability.CANCEL, Capability.ANOTHER_SMS}


def test_balance(mock: responses.RequestsMock, otpx: OtpxDriver) -> None:
    mock.get(URL, body="ACCESS_BALANCE:150.50")
    balance = otpx.balance()
    assert balance.balance == Decimal("150.50") and balance.currency == "INR"
    assert str(balance) == "150.50 INR"
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getBalance"}


def test_buy_as_in_the_document(mock: responses.RequestsMock, otpx: OtpxDriver) -> None:
    mock.get(URL, body="ACCESS_NUMBER:12345:919876543210")
    act = otpx.buy("wa", country="22")
    assert act.id == "12345" and isinstance(act.id, str)
    assert act.number == "919876543210"
    assert (act.service, act.country) == ("wa", "22")
    # the document's own example request
    assert sent(mock.calls[0]) == {
        "api_key": KEY,
        "action": "getNumber",
        "service": "wa",
        "country": "22",
        "operator": "any",
    }


def test_buy_with_an_operator(mock: responses.RequestsMock, otpx: OtpxDriver) -> None:
    mock.get(URL, body="ACCESS_NUMBER:1:919876543210")
    otpx.buy("wa", country="22", operator="jio")
    assert sent(mock.calls[0])["operator"] == "jio"


@pytest.mark.parametrize(
    ("options", "flag"),
    [({"max_price": Decimal("5")}, "--max-price"), ({"server": "1"}, "--server")],
)
def test_undocumented_buy_options_are_refused(
    mock: responses.RequestsMock, otpx: OtpxDriver, options: dict[str, Any], flag: str
) -> None:
    with pytest.raises(Unsupported) as info:
        otpx.buy("wa", country="22", **options)
    assert flag in info.value.message and "OTPX" in info.value.message
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    ("reply", "state", "code"),
    [
        ("STATUS_OK:123456", State.CODE_RECEIVED, "123456"),
        ("STATUS_WAIT_CODE", State.WAITING, None),
        ("STATUS_CANCEL", State.CANCELLED, None),
    ],
)
def test_status(
    mock: responses.RequestsMock, otpx: OtpxDriver, reply: str, state: State, code: str | None
) -> None:
    mock.get(URL, body=reply)
    result = otpx.status("12345")
    assert (result.state, result.code) == (state, code)
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getStatus", "id": "12345"}


def test_cancel_is_status_8(mock: responses.RequestsMock, otpx: OtpxDriver) -> None:
    mock.get(URL, body="ACCESS_CANCEL")
    result = otpx.cancel("12345")
    assert result.state is State.CANCELLED and result.refunded
    assert sent(mock.calls[0]) == {
        "api_key": KEY,
        "action": "setStatus",
        "id": "12345",
        "status": "8",
    }


def test_another_sms_is_status_3(mock: responses.RequestsMock, otpx: OtpxDriver) -> None:
    mock.get(URL, body="ACCESS_RETRY_GET")
    result = otpx.another("12345")
    assert result.state is State.WAITING and result.action == "another"
    assert sent(mock.calls[0])["status"] == "3"


def test_finish_is_not_offered(mock: responses.RequestsMock, otpx: OtpxDriver) -> None:
    with pytest.raises(Unsupported) as info:
        otpx.finish("12345")
    err = info.value
    assert err.exit_code == ExitCode.BAD_INPUT
    assert "OTPX" in err.message and "finish" in err.message
    assert "cancel" in str(err.hint) and "another SMS" in str(err.hint)
    assert len(mock.calls) == 0


@pytest.mark.parametrize("method", ["services", "countries", "reget", "orders"])
def test_no_catalog_reget_or_orders(
    mock: responses.RequestsMock, otpx: OtpxDriver, method: str
) -> None:
    with pytest.raises(Unsupported):
        getattr(otpx, method)("1") if method == "reget" else getattr(otpx, method)()
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    ("word", "cls", "call"),
    [
        ("BAD_KEY", AuthError, "balance"),
        ("ACCOUNT_BAN", AuthError, "balance"),
        ("BAD_ACTION", BadInput, "balance"),
        ("BAD_SERVICE", BadInput, "buy"),
        ("BAD_COUNTRY", BadInput, "buy"),
        ("NO_BALANCE", NoBalance, "buy"),
        ("NO_NUMBERS", Unavailable, "buy"),
        ("NO_ACTIVATION", NotFound, "status"),
        ("NO_ACTIVATION", NotFound, "cancel"),
    ],
)
def test_error_table(
    mock: responses.RequestsMock, otpx: OtpxDriver, word: str, cls: type[OtpError], call: str
) -> None:
    mock.get(URL, body=word + "\n")
    with pytest.raises(cls) as info:
        if call == "buy":
            otpx.buy("wa", country="22")
        elif call == "balance":
            otpx.balance()
        else:
            getattr(otpx, call)("12345")
    assert info.value.provider_word == word
    assert info.value.hint
    assert len(mock.calls) == 1


def test_bad_key_hint_names_the_provider(mock: responses.RequestsMock, otpx: OtpxDriver) -> None:
    mock.get(URL, body="BAD_KEY")
    with pytest.raises(AuthError) as info:
        otpx.balance()
    assert "--provider otpx" in str(info.value.hint)


def test_purchase_500_is_sent_once(mock: responses.RequestsMock, otpx: OtpxDriver) -> None:
    mock.get(URL, body="oops", status=500)
    with pytest.raises(PurchaseUnknown):
        otpx.buy("wa", country="22")
    assert len(mock.calls) == 1


def test_status_retried_on_500(mock: responses.RequestsMock, otpx: OtpxDriver) -> None:
    mock.get(URL, body="", status=500)
    mock.get(URL, body="STATUS_OK:123456")
    assert otpx.status("12345").code == "123456"
    assert len(mock.calls) == 2
