"""The generic sms-activate driver, plus the money and secret rules every SMS driver keeps."""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from otpcli import providers
from otpcli.domain.errors import (
    ConfigError,
    ExitCode,
    NetworkError,
    NoBalance,
    OtpError,
    ProtocolError,
    PurchaseUnknown,
    Unavailable,
    Unsupported,
)
from otpcli.domain.models import State
from otpcli.domain.provider import Capability, ProviderOptions
from otpcli.providers.base import ProtocolDriver

BASE = "https://sms.example.test/stubs"
URL = f"{BASE}/handler_api.php"
KEY = "KEY-abc"


def sent(call: Any) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query))


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def driver() -> ProtocolDriver:
    return ProtocolDriver(ProviderOptions(api_key=KEY, base_url=BASE, backoff=0))


def test_registry_builds_the_generic_driver() -> None:
    d = providers.create("smsactivate", ProviderOptions(api_key=KEY, base_url=BASE))
    assert isinstance(d, ProtocolDriver)
    assert d.name == "smsactivate"
    assert d.currency is None
    assert d.poll_interval == 5.0
    assert d.capabilities == {
        Capability.SMS,
        Capability.CANCEL,
        Capability.FINISH,
        Capability.ANOTHER_SMS,
        Capability.CATALOG,
        Capability.COUNTRIES,
        Capability.ORDERS,  # getActiveActivations, where the host has it
        Capability.BATCH_STATUS,
    }
    assert d.supports(Capability.FINISH) and not d.supports(Capability.REGET)


def test_base_url_is_required() -> None:
    with pytest.raises(ConfigError) as info:
        ProtocolDriver(ProviderOptions(api_key=KEY, base_url=""))
    assert info.value.exit_code == ExitCode.CONFIG
    assert "--base-url" in str(info.value.hint)


def test_plain_http_is_refused_except_loopback() -> None:
    with pytest.raises(ConfigError):
        ProtocolDriver(ProviderOptions(api_key=KEY, base_url="http://sms.example.test"))
    ProtocolDriver(ProviderOptions(api_key=KEY, base_url="http://127.0.0.1:8080/stubs"))


def test_balance(mock: responses.RequestsMock, driver: ProtocolDriver) -> None:
    mock.get(URL, body="ACCESS_BALANCE:99.90\n", content_type="text/html")
    balance = driver.balance()
    assert balance.balance == Decimal("99.90") and balance.currency is None
    assert sent(mock.calls[0]) == {"action": "getBalance", "api_key": KEY}


def test_buy_sends_every_option_once(mock: responses.RequestsMock, driver: ProtocolDriver) -> None:
    mock.get(URL, body="ACCESS_NUMBER:123456789012:79990001122")
    act = driver.buy("tg", country="0", operator="mts", max_price=Decimal("12.50"))
    assert (act.id, act.number, act.service, act.country) == (
        "123456789012",
        "79990001122",
        "tg",
        "0",
    )
    assert act.price is None and act.currency is None  # the plain reply does not tell them
    assert sent(mock.calls[0]) == {
        "action": "getNumberV2",  # a host may answer V2 with the V1 form: read as such
        "api_key": KEY,
        "service": "tg",
        "country": "0",
        "operator": "mts",
        "maxPrice": "12.50",
    }


def test_buy_omits_options_not_given(mock: responses.RequestsMock, driver: ProtocolDriver) -> None:
    mock.get(URL, body="ACCESS_NUMBER:1:2")
    driver.buy("tg")
    assert sent(mock.calls[0]) == {"action": "getNumberV2", "api_key": KEY, "service": "tg"}


def test_buy_refuses_server_without_sending(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    with pytest.raises(Unsupported) as info:
        driver.buy("tg", server="2")
    assert info.value.exit_code == ExitCode.BAD_INPUT
    assert len(mock.calls) == 0


@pytest.mark.parametrize(
    ("reply", "state", "code"),
    [
        ("STATUS_WAIT_CODE", State.WAITING, None),
        ("STATUS_OK:12-34:56", State.CODE_RECEIVED, "12-34:56"),
        ("STATUS_CANCEL", State.CANCELLED, None),
        ("STATUS_WAIT_RETRY:4444", State.WAITING, None),
    ],
)
def test_status(
    mock: responses.RequestsMock,
    driver: ProtocolDriver,
    reply: str,
    state: State,
    code: str | None,
) -> None:
    mock.get(URL, body=reply)
    result = driver.status("55")
    assert (result.id, result.state, result.code) == ("55", state, code)
    assert sent(mock.calls[0]) == {"action": "getStatus", "api_key": KEY, "id": "55"}


@pytest.mark.parametrize(
    ("method", "code", "reply", "state"),
    [
        ("cancel", "8", "ACCESS_CANCEL", State.CANCELLED),
        ("finish", "6", "ACCESS_ACTIVATION", State.FINISHED),
        ("another", "3", "ACCESS_RETRY_GET", State.WAITING),
        ("another", "3", "ACCESS_READY", State.WAITING),
    ],
)
def test_meaning_to_status(
    mock: responses.RequestsMock,
    driver: ProtocolDriver,
    method: str,
    code: str,
    reply: str,
    state: State,
) -> None:
    mock.get(URL, body=reply)
    result = getattr(driver, method)("55")
    assert result.state is state and result.action == method
    assert sent(mock.calls[0]) == {
        "action": "setStatus",
        "api_key": KEY,
        "id": "55",
        "status": code,
    }


def test_cancel_refunds(mock: responses.RequestsMock, driver: ProtocolDriver) -> None:
    mock.get(URL, body="ACCESS_CANCEL")
    assert driver.cancel("1").refunded is True


def test_prices(mock: responses.RequestsMock, driver: ProtocolDriver) -> None:
    mock.get(
        URL, body='{"22": {"tg": {"cost": 12.5, "count": 140}, "wa": {"cost": 20, "count": 0}}}'
    )
    entries = driver.services(country="22", service="tg")
    assert sent(mock.calls[0]) == {
        "action": "getPrices",
        "api_key": KEY,
        "country": "22",
        "service": "tg",
    }
    assert [(e.service, e.country, e.price, e.stock) for e in entries] == [
        ("tg", "22", Decimal("12.5"), 140),
        ("wa", "22", Decimal("20"), 0),
    ]


def test_prices_carry_the_family_names(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(
        URL,
        body='{"22": {"tg": {"cost": 1, "count": 1}}, "0": {"wa": {"cost": 2, "count": 2}},'
        ' "99999": {"tg": {"cost": 3, "count": 3}}}',
    )
    entries = driver.services()
    assert [(e.service, e.name, e.country, e.country_name) for e in entries] == [
        ("tg", "Telegram", "22", "India"),
        ("wa", "WhatsApp", "0", "Russia"),
        ("tg", "Telegram", "99999", None),  # an id the table does not know stays unnamed
    ]


@pytest.mark.parametrize(
    "body",
    [
        '{"22": {"id": 22, "eng": "India"}, "0": {"id": 0, "eng": "Russia"}}',
        '[{"id": 22, "eng": "India"}, {"id": 0, "eng": "Russia"}]',
    ],
)
def test_countries(mock: responses.RequestsMock, driver: ProtocolDriver, body: str) -> None:
    mock.get(URL, body=body)
    assert [(c.id, c.name) for c in driver.countries()] == [("22", "India"), ("0", "Russia")]
    assert sent(mock.calls[0]) == {"action": "getCountries", "api_key": KEY}


@pytest.mark.parametrize("method", ["services", "countries"])
def test_catalog_calls_refuse_a_server_before_sending(
    mock: responses.RequestsMock, driver: ProtocolDriver, method: str
) -> None:
    with pytest.raises(Unsupported) as caught:
        getattr(driver, method)(server="2")
    assert caught.value.message == ("sms-activate compatible host has no servers; nothing was sent")
    assert caught.value.hint == "drop --server"
    assert len(mock.calls) == 0


def test_catalog_error_word(mock: responses.RequestsMock, driver: ProtocolDriver) -> None:
    mock.get(URL, body="BAD_KEY")
    with pytest.raises(OtpError) as info:
        driver.services()
    assert info.value.exit_code == ExitCode.AUTH


@pytest.mark.parametrize("method", ["reget"])
def test_unsupported_sends_nothing(
    mock: responses.RequestsMock, driver: ProtocolDriver, method: str
) -> None:
    with pytest.raises(Unsupported) as info:
        getattr(driver, method)("1") if method == "reget" else driver.orders()
    assert "sms-activate compatible host" in info.value.message
    assert "offers" in str(info.value.hint)
    assert len(mock.calls) == 0


def test_purchase_read_timeout_is_unknown(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(PurchaseUnknown) as info:
        driver.buy("tg")
    assert len(mock.calls) == 1
    assert "may have gone through" in info.value.message
    assert "otp orders" in info.value.message


def test_purchase_refused_connection_bought_nothing(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body=requests.exceptions.ConnectionError("Connection refused"))
    with pytest.raises(NetworkError) as info:
        driver.buy("tg")
    assert not isinstance(info.value, PurchaseUnknown)
    assert info.value.maybe_sent is False
    assert "nothing was bought" in info.value.message


@pytest.mark.parametrize(
    ("body", "status"),
    [("<html>oops</html>", 200), ("", 200), ("ERROR_SQL", 200), ("SERVER_ERROR", 500)],
)
def test_purchase_garbage_is_unknown(
    mock: responses.RequestsMock, driver: ProtocolDriver, body: str, status: int
) -> None:
    mock.get(URL, body=body, status=status)
    with pytest.raises(PurchaseUnknown) as info:
        driver.buy("tg")
    assert info.value.exit_code == ExitCode.PROVIDER
    assert len(mock.calls) == 1


@pytest.mark.parametrize(("body", "cls"), [("NO_BALANCE", NoBalance), ("NO_NUMBERS", Unavailable)])
def test_purchase_refusals_are_definite(
    mock: responses.RequestsMock, driver: ProtocolDriver, body: str, cls: type[OtpError]
) -> None:
    mock.get(URL, body=body)
    with pytest.raises(cls):
        driver.buy("tg")


def test_read_garbage_is_protocol_error(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body="<html>" + "x" * 1000)
    with pytest.raises(ProtocolError) as info:
        driver.status("1")
    assert "x" * 201 not in info.value.message


# -- rules every SMS driver keeps --------------------------------------------------

DRIVERS: dict[str, tuple[str, Callable[[Any], Any], str]] = {
    # name: (base URL, a valid purchase, the reply to a balance read)
    "smsactivate": (BASE, lambda d: d.buy("tg"), "ACCESS_BALANCE:1.00"),
    "otpx": (
        "https://otpx.in/api/stubs",
        lambda d: d.buy("wa", country="22"),
        "ACCESS_BALANCE:1.00",
    ),
    "otpget": (
        "https://www.otpget.com/stubs",
        lambda d: d.buy("101", country="61"),
        "ACCESS_BALANCE:1.00",
    ),
    "instaotp": (
        "https://instaotp.in/api/v1",
        lambda d: d.buy("vk", country="22"),
        "ACCESS_BALANCE:1.00",
    ),
    "sastaotp": ("https://sastaotp.com/stubs", lambda d: d.buy("tg"), "ACCESS_BALANCE:1.00"),
}


def _open(name: str, base: str, key: str = KEY) -> Any:
    return providers.create(name, ProviderOptions(api_key=key, base_url=base, backoff=0))


@pytest.mark.parametrize("name", DRIVERS)
def test_registry_name_and_supports(name: str) -> None:
    d = _open(name, DRIVERS[name][0])
    assert d.name == name
    assert all(d.supports(c) for c in d.capabilities)
    # ...and nothing beyond them: supports() answers from the declared set alone.
    assert {c for c in Capability if d.supports(c)} == d.capabilities
    assert Capability.SMS in d.capabilities


@pytest.mark.parametrize("name", DRIVERS)
def test_purchase_is_never_retried(mock: responses.RequestsMock, name: str) -> None:
    base, buy, _ = DRIVERS[name]
    mock.get(f"{base}/handler_api.php", body="Internal Server Error", status=500)
    with pytest.raises(PurchaseUnknown) as info:
        buy(_open(name, base))
    assert len(mock.calls) == 1
    assert info.value.exit_code == ExitCode.PROVIDER
    assert "may have gone through" in info.value.message
    assert "otp orders" in info.value.message and "dashboard" in info.value.message


@pytest.mark.parametrize("name", DRIVERS)
def test_reads_are_retried_on_5xx(mock: responses.RequestsMock, name: str) -> None:
    base, _, body = DRIVERS[name]
    url = f"{base}/handler_api.php"
    mock.get(url, body="busy", status=502)
    mock.get(url, body="busy", status=500)
    mock.get(url, body=body)
    assert _open(name, base).balance().balance == Decimal("1.00")
    assert len(mock.calls) == 3


@pytest.mark.parametrize("name", DRIVERS)
def test_reads_give_up_with_a_provider_error(mock: responses.RequestsMock, name: str) -> None:
    base, _, _ = DRIVERS[name]
    mock.get(f"{base}/handler_api.php", body="<html>down</html>", status=503)
    with pytest.raises(OtpError) as info:
        _open(name, base).balance()
    assert info.value.exit_code == ExitCode.PROVIDER
    assert len(mock.calls) == 4  # first try + read_retries (3)


def _assert_no_key(err: OtpError, key: str) -> None:
    shown = [err.message, str(err), repr(err), str(err.hint), str(err.to_json())]
    shown.append("".join(traceback.format_exception(err)))
    for text in shown:
        assert key not in text


@pytest.mark.parametrize("name", DRIVERS)
def test_key_never_in_errors_on_refused_connection(name: str) -> None:
    _, buy, _ = DRIVERS[name]
    key = "SECRETKEY123"
    d = _open(name, "http://127.0.0.1:9", key)
    calls: list[Callable[[], Any]] = [
        d.balance,
        lambda: buy(d),
        lambda: d.status("1"),
        lambda: d.cancel("1"),
    ]
    for call in calls:
        with pytest.raises(OtpError) as info:
            call()
        assert info.value.exit_code == ExitCode.PROVIDER
        _assert_no_key(info.value, key)


@pytest.mark.parametrize("name", DRIVERS)
def test_key_echoed_by_a_page_is_masked(mock: responses.RequestsMock, name: str) -> None:
    base, buy, _ = DRIVERS[name]
    key = "SECRETKEY123"
    mock.get(
        f"{base}/handler_api.php",
        body=f"<html>Not found: /handler_api.php?api_key={key}&action=x</html>",
        status=404,
    )
    d = _open(name, base, key)
    for call in (d.balance, lambda: buy(d)):
        with pytest.raises(OtpError) as info:
            call()
        _assert_no_key(info.value, key)
