"""Dialects of the sms-activate family: each row is a public reply and what otp makes of it.

The source of each reply is named next to it (keys as in `otpcli.providers.dialects`):
[usa] solovey1/unified-sms-activate's recorded hero-sms replies and live-shaped examples,
[hero-py] the `herosms` client's status map, [aio] `aiosmsactivate`'s error table,
[sa-py] the `smsactivate` client's table, [grizzly] grizzlysms's document, [smshub] the
smshub clients. A purchase refused for certain must be a refusal (journal `failed`),
never "outcome unknown"; only what could hide a charge stays unknown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from otpcli import providers
from otpcli.domain.errors import ExitCode, OtpError, PurchaseUnknown, Refused
from otpcli.domain.models import State
from otpcli.domain.provider import Capability, ProviderOptions
from otpcli.providers import dialects
from otpcli.providers.base import ProtocolDriver

BASE = "https://hosts.example.test/stubs"
URL = f"{BASE}/handler_api.php"
KEY = "KEY-dialects-1234"


def sent(call: Any) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query))


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as m:
        yield m


@pytest.fixture
def driver() -> ProtocolDriver:
    return ProtocolDriver(ProviderOptions(api_key=KEY, base_url=BASE, backoff=0))


def hero(title: str, details: str) -> str:
    return json.dumps({"title": title, "details": details})


# (reply body, HTTP status, exit code of a purchase, provider word, source)
PURCHASE_REFUSALS = [
    (hero("NO_BALANCE", "Not enough funds"), 402, 6, "NO_BALANCE", "[usa] #6"),
    (hero("NO_BALANCE", "Low balance"), 422, 6, "NO_BALANCE", "[usa] HERO-test2"),
    (hero("BAD_KEY", "Unauthorized"), 401, 4, "BAD_KEY", "[usa] recorded"),
    (hero("CHANNELS_LIMIT", "too many channels"), 403, 4, "CHANNELS_LIMIT", "[usa] #7"),
    (hero("BANNED", "banned"), 403, 4, "BANNED", "[usa] #7"),
    (hero("NO_NUMBERS", "No numbers"), 404, 7, "NO_NUMBERS", "[hero-py] 404+NO_NUMBERS"),
    ("NO_NUMBERS", 200, 7, "NO_NUMBERS", "[usa] hero-sms NO_NUMBERS is plain/200"),
    ("CHANNELS_LIMIT", 200, 4, "CHANNELS_LIMIT", "[aio] Account blocked"),
    ("ORDER_ALREADY_EXISTS", 200, 8, "ORDER_ALREADY_EXISTS", "[aio]"),
    ("NO_BALANCE_FORWARD", 200, 6, "NO_BALANCE_FORWARD", "[aio]"),
    ("WRONG_EXCEPTION_PHONE", 200, 2, "WRONG_EXCEPTION_PHONE", "[aio]"),
    ("SERVICE_UNAVAILABLE_REGION", 200, 7, "SERVICE_UNAVAILABLE_REGION", "[grizzly]"),
    ("WHATSAPP_NOT_AVAILABLE", 200, 7, "WHATSAPP_NOT_AVAILABLE", "[sa-py]"),
    ("NO_KEY", 200, 4, "NO_KEY", "[sa-py]"),
    ("BANNED:'2026-11-26 10-00-00'", 200, 4, "BANNED", "[sa-java] BANNED:date"),
    ("WRONG_MAX_PRICE:14.5", 200, 6, "WRONG_MAX_PRICE", "[aio] WRONG_MAX_PRICE:min"),
    ("API_KEY_NOT_VALID", 200, 4, "API_KEY_NOT_VALID", "[smshub]"),
    ("OPERATORS_NOT_FOUND", 200, 7, "OPERATORS_NOT_FOUND", "[aio]"),
    (
        "The service is prohibited for sale by administration",
        200,
        7,
        "The service is prohibited for sale by administration",
        "[grizzly] getNumber",
    ),
    (hero("UNKNOWN_TITLE", "whatever"), 400, 2, "UNKNOWN_TITLE", "[hero-py] 400 → request"),
]


@pytest.mark.parametrize(("body", "status", "exit_code", "word", "source"), PURCHASE_REFUSALS)
def test_purchase_refusal_is_a_refusal(
    mock: responses.RequestsMock,
    driver: ProtocolDriver,
    body: str,
    status: int,
    exit_code: int,
    word: str,
    source: str,
) -> None:
    mock.get(URL, body=body, status=status)
    with pytest.raises(OtpError) as info:
        driver.buy("tg")
    assert not isinstance(info.value, PurchaseUnknown), source
    assert info.value.exit_code == exit_code, source
    assert info.value.provider_word == word, source
    assert len(mock.calls) == 1  # a refusal is never re-sent


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("<html><h1>404 Not Found</h1></html>", 404),  # a wrong base URL
        ("", 404),
        ("", 429),  # rate-limited: the request was not carried out
        ("Too Many Requests", 429),
    ],
)
def test_http_4xx_pages_are_refusals_not_unknown(
    mock: responses.RequestsMock, driver: ProtocolDriver, body: str, status: int
) -> None:
    mock.get(URL, body=body, status=status)
    with pytest.raises(Refused) as info:
        driver.buy("tg")
    assert info.value.exit_code == ExitCode.PROVIDER
    assert not isinstance(info.value, PurchaseUnknown)


def test_a_404_page_points_at_the_base_url(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body="<html>Not Found</html>", status=404)
    with pytest.raises(Refused) as info:
        driver.buy("tg")
    assert "base URL" in str(info.value.hint)
    assert info.value.retryable is False


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("<html>502 Bad Gateway</html>", 502),  # the host may have charged before failing
        ("", 500),
        ("<html>oops</html>", 200),  # an unreadable 200
        ("ERROR_SQL", 200),  # the host's own failure mid-purchase
        ("SOMETHING_NEW", 200),  # a word otp does not know: the safe side
    ],
)
def test_replies_that_could_hide_a_charge_stay_unknown(
    mock: responses.RequestsMock, driver: ProtocolDriver, body: str, status: int
) -> None:
    mock.get(URL, body=body, status=status)
    with pytest.raises(PurchaseUnknown):
        driver.buy("tg")
    assert len(mock.calls) == 1


def test_an_unknown_word_is_named(mock: responses.RequestsMock, driver: ProtocolDriver) -> None:
    mock.get(URL, body="SOMETHING_NEW")
    with pytest.raises(PurchaseUnknown) as info:
        driver.buy("tg")
    assert "SOMETHING_NEW" in info.value.message
    assert info.value.provider_word == "SOMETHING_NEW"


def test_cut_connection_after_sending_stays_unknown(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body=requests.exceptions.ConnectionError("Connection reset by peer"))
    with pytest.raises(PurchaseUnknown):
        driver.buy("tg")


# -- the code, not the sentence ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        (
            "STATUS_OK:Dein OpenAI API Sicherheitscode lautet: 194130",
            "194130",
            "Dein OpenAI API Sicherheitscode lautet: 194130",
        ),
        ("STATUS_OK:Your WhatsApp code: 740-279", "740279", "Your WhatsApp code: 740-279"),
        ("STATUS_OK:7421", "7421", None),  # privatesms.vip's documented example
        ("STATUS_OK:G-123456", "G-123456", None),  # a bare code stays as the host gave it
        ("STATUS_OK:Welcome to the service, enjoy", None, "Welcome to the service, enjoy"),
    ],
)
def test_status_ok_gives_the_code(
    mock: responses.RequestsMock,
    driver: ProtocolDriver,
    body: str,
    code: str | None,
    text: str | None,
) -> None:
    mock.get(URL, body=body)
    st = driver.status("1")
    assert st.state is State.CODE_RECEIVED
    assert (st.code, st.text) == (code, text)


# -- statuses and actions -----------------------------------------------------------------


def test_hero_404_on_status_is_no_such_order(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body=hero("NOT_FOUND", "Activation Not Found"), status=404)  # [usa] recorded
    with pytest.raises(OtpError) as info:
        driver.status("1")
    assert info.value.exit_code == ExitCode.NOT_FOUND


def test_hero_409_early_cancel_keeps_its_word(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body=hero("EARLY_CANCEL_DENIED", "too early"), status=409)
    with pytest.raises(OtpError) as info:
        driver.cancel("1")
    # the word is what the clean-up waits out (core/cleanup.settle)
    assert info.value.exit_code == ExitCode.ORDER_STATE
    assert info.value.provider_word == "EARLY_CANCEL_DENIED"


def test_status_revoke_is_cancelled_and_refunded(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body="STATUS_REVOKE")  # [aio]
    st = driver.status("1")
    assert st.state is State.CANCELLED and "refunded" in str(st.detail)


@pytest.mark.parametrize(
    ("method", "state"), [("cancel", State.CANCELLED), ("finish", State.FINISHED)]
)
def test_empty_204_is_success(
    mock: responses.RequestsMock, driver: ProtocolDriver, method: str, state: State
) -> None:
    mock.get(URL, body="", status=204)  # [usa] hero-sms
    result = getattr(driver, method)("1")
    assert result.state is state
    assert len(mock.calls) == 1


def test_cancel_refused_because_a_code_came_shows_the_code(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(
        URL,
        body=hero("OTP_RECEIVED", "code already delivered"),  # [usa] #15
        status=409,
        match=[responses.matchers.query_param_matcher({"status": "8"}, strict_match=False)],
    )
    mock.get(URL, body="STATUS_OK:Your code is 5521")
    with pytest.raises(OtpError) as info:
        driver.cancel("77")
    assert info.value.exit_code == ExitCode.ORDER_STATE
    assert "5521" in info.value.message
    assert info.value.details["code"] == "5521"


# -- getNumberV2 --------------------------------------------------------------------------

V2 = {  # [usa] tests #63, "live-shaped V2 example"
    "activationId": 635468024,
    "phoneNumber": "79584000000",
    "countryCode": 6,
    "countryPhoneCode": 62,
    "activationCost": "12.5",
    "currency": 840,
    "activationTime": "2026-08-13 10:00:00",
    "activationEndTime": "2026-08-13 10:20:00",
    "canGetAnotherSms": True,
    "activationOperator": "beeline",
}


def test_number_v2_tells_price_currency_and_lifetime(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, json=V2)
    act = driver.buy("tg", country="6")
    assert sent(mock.calls[0])["action"] == "getNumberV2"
    assert (act.id, act.number, act.country) == ("635468024", "79584000000", "6")
    assert act.price == Decimal("12.5") and act.currency == "USD"
    assert act.expires_in == 1200 and act.multi_sms is True


@pytest.mark.parametrize(
    ("body", "status"),
    [("BAD_ACTION", 200), (hero("BAD_ACTION", "Method Not Found"), 422), ("NO_ACTION", 200)],
)
def test_number_v2_falls_back_to_v1_once(
    mock: responses.RequestsMock, driver: ProtocolDriver, body: str, status: int
) -> None:
    mock.get(URL, body=body, status=status, match=[_action("getNumberV2")])
    mock.get(URL, body="ACCESS_NUMBER:55:79990001122", match=[_action("getNumber")])
    act = driver.buy("tg")
    assert (act.id, act.number) == ("55", "79990001122")
    driver.buy("tg")  # the host has no V2: not asked again
    assert [sent(c)["action"] for c in mock.calls] == ["getNumberV2", "getNumber", "getNumber"]


def test_number_v2_refusal_is_not_retried_as_v1(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body="NO_BALANCE")
    with pytest.raises(OtpError) as info:
        driver.buy("tg")
    assert info.value.exit_code == ExitCode.NO_BALANCE
    assert len(mock.calls) == 1  # never a second purchase attempt


def _action(name: str) -> Any:
    return responses.matchers.query_param_matcher({"action": name}, strict_match=False)


# -- getActiveActivations -----------------------------------------------------------------

ACTIVE = {  # sms.online's documented example, [aio]/[sa-doc] shape
    "status": "success",
    "activeActivations": [
        {
            "activationId": "635468021",
            "countryCode": "0",
            "serviceCode": "vk",
            "phoneNumber": "79000000001",
            "activationCost": 12.50,
            "activationStatus": "4",
            "smsCode": ["CODE1234"],
            "smsText": '["Your sms code: CODE1234"]',
            "activationTime": "2022-06-01 16:59:16",
        },
        {
            "activationId": "635468022",
            "countryCode": "0",
            "serviceCode": "tg",
            "phoneNumber": "79000000002",
            "activationCost": "10.00",
            "activationStatus": "1",
            "smsCode": None,
            "smsText": None,
        },
    ],
}


def test_statuses_in_one_request(mock: responses.RequestsMock, driver: ProtocolDriver) -> None:
    mock.get(URL, json=ACTIVE)
    found = driver.statuses(["635468021", "635468022", "999"])
    assert len(mock.calls) == 1 and sent(mock.calls[0])["action"] == "getActiveActivations"
    assert found["635468021"].state is State.CODE_RECEIVED
    assert found["635468021"].code == "CODE1234"
    assert found["635468021"].text == "Your sms code: CODE1234"
    assert found["635468022"].state is State.WAITING
    assert "999" not in found  # not listed: the caller looks at it one by one


def test_hero_data_shape_and_no_activations(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, json={"data": ACTIVE["activeActivations"]})
    assert set(driver.statuses(["635468021"])) == {"635468021"}
    mock.replace(responses.GET, URL, json={"status": "error", "error": "NO_ACTIVATIONS"})
    assert driver.statuses(["635468021"]) == {}


def test_active_list_unsupported_after_bad_action(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body="BAD_ACTION")
    from otpcli.domain.errors import Unsupported

    with pytest.raises(Unsupported):
        driver.statuses(["1"])
    with pytest.raises(Unsupported):
        driver.orders()
    assert len(mock.calls) == 1  # the host said it has none: not asked again
    assert driver.recent_activations() == []


def test_orders_and_reconciliation_from_the_active_list(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, json=ACTIVE)
    rows = driver.orders()
    assert [(r["id"], r["state"], r["code"]) for r in rows] == [
        ("635468021", "code_received", "CODE1234"),
        ("635468022", "waiting", ""),
    ]
    recent = driver.recent_activations()
    assert [(a.id, a.service, a.price) for a in recent] == [
        ("635468021", "vk", Decimal("12.5")),
        ("635468022", "tg", Decimal("10.00")),
    ]


def test_smshub_price_list(mock: responses.RequestsMock, driver: ProtocolDriver) -> None:
    mock.get(URL, json={"0": {"tg": {"12.5": 0, "14": 3, "20": 7}}})  # [smshub]
    (entry,) = driver.services()
    assert (entry.country, entry.service, entry.price, entry.stock) == ("0", "tg", 14, 10)


# -- presets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("herosms", "https://hero-sms.com/stubs"),
        ("grizzlysms", "https://api.grizzlysms.com/stubs"),
        ("smshub", "https://smshub.org/stubs"),
    ],
)
def test_presets_know_their_host(name: str, url: str) -> None:
    info = providers.get_info(name)
    assert info.default_base_url == url
    d = providers.create(name, ProviderOptions(api_key=KEY, base_url=url))
    assert isinstance(d, ProtocolDriver)
    assert d.dialect is dialects.get(name)
    assert d.supports(Capability.SMS)


def test_every_dialect_row_names_a_source() -> None:
    for d in (*dialects.DIALECTS.values(), *dialects.DOCUMENTED.values()):
        assert d.sources and all(s.startswith("[") for s in d.sources)
    assert dialects.get("herosms").json_errors
    assert not dialects.get("smshub").number_v2


def test_named_providers_send_only_their_documented_actions(
    mock: responses.RequestsMock,
) -> None:
    d = providers.create("otpx", ProviderOptions(api_key=KEY, base_url=BASE))
    mock.get(URL, body="ACCESS_NUMBER:1:919876543210")
    d.buy("tg")
    assert sent(mock.calls[0])["action"] == "getNumber"  # OTPX's document has no V2


def test_hero_409_bad_status_is_an_order_state(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    # [hero-py] 409 = ConflictError: a finish before any code
    mock.get(URL, body=hero("BAD_STATUS", "no sms yet"), status=409)
    with pytest.raises(OtpError) as info:
        driver.finish("1")
    assert info.value.exit_code == ExitCode.ORDER_STATE
    assert info.value.provider_word == "BAD_STATUS"


def test_cancel_answered_with_the_code_shows_the_code(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body="STATUS_OK:4411", match=[_action("setStatus")])
    mock.get(URL, body="STATUS_OK:4411", match=[_action("getStatus")])
    with pytest.raises(OtpError) as info:
        driver.cancel("9")
    assert info.value.exit_code == ExitCode.ORDER_STATE
    assert info.value.details["code"] == "4411"
    assert [sent(c)["action"] for c in mock.calls] == ["setStatus", "getStatus"]


def test_status_finish_is_finished(mock: responses.RequestsMock, driver: ProtocolDriver) -> None:
    mock.get(URL, body="STATUS_FINISH")  # [aio], [sa-py]
    assert driver.status("1").state is State.FINISHED


def test_a_cancel_answered_finished_is_no_success(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body="ACCESS_ACTIVATION")  # finished: no refund came
    with pytest.raises(OtpError) as info:
        driver.cancel("1")
    assert info.value.exit_code == ExitCode.ORDER_STATE
    assert info.value.provider_word == "ACCESS_ACTIVATION"


@pytest.mark.parametrize(
    "doc",
    [V2, {"a": {"b": {"c": {"d": 1}}}}, {"22": "closed"}],
)
def test_a_price_list_that_is_none_is_no_empty_catalog(
    mock: responses.RequestsMock, driver: ProtocolDriver, doc: object
) -> None:
    mock.get(URL, json=doc)
    with pytest.raises(OtpError) as info:
        driver.services()
    assert info.value.exit_code == ExitCode.PROVIDER
    mock.replace(responses.GET, URL, json={})
    assert driver.services() == []  # an empty list is an empty catalog


def test_number_v2_answered_by_a_404_page_falls_back_once(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body="<html>Not Found</html>", status=404, match=[_action("getNumberV2")])
    mock.get(URL, body="ACCESS_NUMBER:56:79990001122", match=[_action("getNumber")])
    assert driver.buy("tg").id == "56"
    assert [sent(c)["action"] for c in mock.calls] == ["getNumberV2", "getNumber"]


def test_a_wrong_url_is_still_a_refusal_after_the_fallback(
    mock: responses.RequestsMock, driver: ProtocolDriver
) -> None:
    mock.get(URL, body="<html>Not Found</html>", status=404)
    with pytest.raises(Refused):
        driver.buy("tg")
    assert len(mock.calls) == 2  # V2, then V1 once: both refused, nothing bought
