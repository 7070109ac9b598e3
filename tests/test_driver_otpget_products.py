"""OTPGet's cheap numbers, rentals and temporary e-mail drivers, against every example
reply and every error row of the documents (`responses`, exact parameters sent)."""

from __future__ import annotations

import json
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
    ProviderError,
    PurchaseUnknown,
    Unavailable,
    Unsupported,
)
from otpcli.domain.models import State
from otpcli.domain.provider import Capability, ProviderOptions
from otpcli.providers import create, create_email, create_rental
from otpcli.providers._jsonapi import DocumentedFailure
from otpcli.providers.otpget_cheap import OtpGetCheapDriver
from otpcli.providers.otpget_email import OtpGetEmailDriver
from otpcli.providers.otpget_rental import OtpGetRentalDriver

BASE = "https://www.otpget.com/stubs"
CHEAP = f"{BASE}/cheap_handler.php"
RENT = f"{BASE}/rental-handler.php"
EMAIL = f"{BASE}/email_handler.php"
KEY = "YOUR_API_KEY"
OPTIONS = ProviderOptions(api_key=KEY, base_url=BASE, backoff=0)


def sent(call: Any) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query))


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def cheap() -> OtpGetCheapDriver:
    return create("otpget", OPTIONS, product="cheap")  # type: ignore[no-any-return]


@pytest.fixture
def rent() -> OtpGetRentalDriver:
    return create_rental("otpget", OPTIONS)  # type: ignore[return-value]


@pytest.fixture
def email() -> OtpGetEmailDriver:
    return create_email("otpget", OPTIONS)  # type: ignore[return-value]


def test_registry_routes_products() -> None:
    assert isinstance(create("otpget", OPTIONS, product="cheap"), OtpGetCheapDriver)
    for name in ("otpx", "instaotp", "sastaotp"):
        with pytest.raises(Unsupported) as info:
            create_rental(name, OPTIONS)
        assert "nothing was sent" in info.value.message


# --- cheap numbers ------------------------------------------------------------------------

SERVERS = """{"1": [{"id": "1", "name": "Pakistan Server 1"},
{"id": "2", "name": "Pakistan Server 2"}], "2": [{"id": "3", "name": "India Server"}]}"""


def test_cheap_servers_example(mock: responses.RequestsMock, cheap: OtpGetCheapDriver) -> None:
    mock.get(CHEAP, body=SERVERS)
    servers = cheap.servers(server_type="1")
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getServers", "type": "1"}
    assert [(s.id, s.name, s.type) for s in servers] == [
        ("1", "Pakistan Server 1", "1"),
        ("2", "Pakistan Server 2", "1"),
    ]


def test_cheap_servers_without_type_asks_both(
    mock: responses.RequestsMock, cheap: OtpGetCheapDriver
) -> None:
    mock.get(CHEAP, body=SERVERS)
    servers = cheap.servers()
    assert [sent(c)["type"] for c in mock.calls] == ["1", "2"]
    assert [s.id for s in servers] == ["1", "2", "3"]  # merged without duplicates


def test_cheap_servers_of_a_padded_type_keep_only_that_type(
    mock: responses.RequestsMock, cheap: OtpGetCheapDriver
) -> None:
    mock.get(CHEAP, body=SERVERS)
    servers = cheap.servers(server_type=" 2 ")
    assert sent(mock.calls[0])["type"] == "2"
    assert [(s.id, s.type) for s in servers] == [("3", "2")]  # never Server 1's rows


def test_cheap_servers_with_none_of_the_type_is_empty(
    mock: responses.RequestsMock, cheap: OtpGetCheapDriver
) -> None:
    # The reply carries only type-1 servers: asking for type 2 finds none, rather than
    # falling back to servers of the other type.
    mock.get(CHEAP, body='{"1": [{"id": "1", "name": "Pakistan Server 1"}]}')
    assert cheap.servers(server_type="2") == []


def test_cheap_buy_example(mock: responses.RequestsMock, cheap: OtpGetCheapDriver) -> None:
    mock.get(CHEAP, body="ORDER_ID_12345,+923001234567,900\n")
    act = cheap.buy("1", server="1")
    assert sent(mock.calls[0]) == {
        "api_key": KEY,
        "action": "buyNumber",
        "server": "1",
        "type": "1",
    }
    assert (act.id, act.number, act.expires_in, act.price) == (
        "ORDER_ID_12345",
        "+923001234567",
        900,
        None,
    )


@pytest.mark.parametrize(
    ("body", "exc"),
    [
        ("NO_BALANCE", NoBalance),
        ("BAD_KEY", AuthError),
        ('{"status":"401","message":"BAD_KEY"}', AuthError),
        ("NO_NUMBERS", Unavailable),
        ("ORDER_ID_12345,+923001234567", PurchaseUnknown),  # truncated reply
        ("<html>502 Bad Gateway</html>", PurchaseUnknown),
    ],
)
def test_cheap_buy_errors(
    mock: responses.RequestsMock, cheap: OtpGetCheapDriver, body: str, exc: type[OtpError]
) -> None:
    mock.get(CHEAP, body=body)
    with pytest.raises(exc):
        cheap.buy("1", server="1")
    assert len(mock.calls) == 1  # never re-sent


def test_cheap_buy_read_timeout_is_unknown_and_not_resent(
    mock: responses.RequestsMock, cheap: OtpGetCheapDriver
) -> None:
    mock.get(CHEAP, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(PurchaseUnknown):
        cheap.buy("1", server="2")
    assert len(mock.calls) == 1


def test_cheap_bad_type_sends_nothing(
    mock: responses.RequestsMock, cheap: OtpGetCheapDriver
) -> None:
    with pytest.raises(BadInput):
        cheap.buy("1", server="7")
    assert not mock.calls


def test_cheap_status_examples(mock: responses.RequestsMock, cheap: OtpGetCheapDriver) -> None:
    mock.get(CHEAP, body="STATUS_WAIT_CODE")
    assert cheap.status("ORDER_ID").state is State.WAITING
    mock.replace(responses.GET, CHEAP, body="STATUS_OK:847293")
    st = cheap.status("ORDER_ID")
    assert (st.state, st.code) == (State.CODE_RECEIVED, "847293")
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getStatus", "id": "ORDER_ID"}
    assert cheap.poll_interval == 5.0


def test_cheap_finish_and_cancel(mock: responses.RequestsMock, cheap: OtpGetCheapDriver) -> None:
    mock.get(CHEAP, body="ACCESS_FINISH")
    assert cheap.finish("ORDER_ID").state is State.FINISHED
    assert sent(mock.calls[0])["status"] == "3"
    mock.replace(responses.GET, CHEAP, body="ACCESS_READY")
    result = cheap.cancel("ORDER_ID")
    assert (result.state, result.refunded) == (State.CANCELLED, True)
    assert sent(mock.calls[1])["status"] == "8"


@pytest.mark.parametrize(
    ("body", "exc"),
    [
        ("NO_SMS_RECEIVED", OrderStateError),
        ("EARLY_CANCEL_DENIED", OrderStateError),
        ("STATUS_ALREADY_CHANGED", OrderStateError),
        ("NO_ACTIVATION", NotFound),
        ("BAD_STATUS", BadInput),
    ],
)
def test_cheap_set_status_errors(
    mock: responses.RequestsMock, cheap: OtpGetCheapDriver, body: str, exc: type[OtpError]
) -> None:
    mock.get(CHEAP, body=body)
    with pytest.raises(exc):
        cheap.finish("ORDER_ID")


def test_cheap_has_no_another_sms(cheap: OtpGetCheapDriver) -> None:
    assert cheap.supports(Capability.CHEAP) and not cheap.supports(Capability.ANOTHER_SMS)
    with pytest.raises(Unsupported):
        cheap.another("X")


# --- rentals ------------------------------------------------------------------------------

COUNTRIES = """{"status":"200","countries":[
  {"id":"1","provider":"2","name":"Canada","country_code":"ca"},
  {"id":"2","provider":"2","name":"UNITED KINGDOM","country_code":"gb"},
  {"id":"6","provider":"2","name":"United States of America","country_code":"us"}
]}"""
PRICING = """{"status":"200","pricing":[
  {"id":"1","duration_hours":"720","duration_preset":"oneMonth","price":"840.00","country_name":"Canada"},
  {"id":"2","duration_hours":"4320","duration_preset":"sixMonths","price":"5040.00","country_name":"Canada"},
  {"id":"3","duration_hours":"8640","duration_preset":"twelveMonths","price":"10080.00","country_name":"Canada"}
]}"""
AVAILABLE = """{"status":"200","country_code":"ca","provider":"2","available":[
  {"area_code":"ca","area_title":"Canada","unit_price":200,"available":3338,"min_month":1}
]}"""
RENTED = """{"status":"200","message":"Number rented successfully",
  "phone":"3434337545","order_id":"2673093356180000583",
  "server":"Server 2","duration_hours":720,
  "price_paid":"840.00","new_balance":"4220.00",
  "expires":"2026-04-09 21:55:55"}"""
MY_RENTALS = """{"status":"200","total":5,"rentals":[{
  "id":"27",
  "server":"Server 2",
  "phone_number":"3434337545",
  "order_id":"2673093356180000583",
  "status":"active",
  "country_code":"ca",
  "country_name":"Canada",
  "duration_hours":"720",
  "price_paid":"840.00",
  "expiry_time":"2026-04-09 21:55:55"
}]}"""
# Verbatim from the document, including its missing comma after "code":"".
RENTAL_SMS = """{"status":"200","phone_number":"5812822291","order_id":"2673088748180000583","total":1,"messages":[{
  "from":"Server 2",
  "text":"<#> Your WhatsApp Business code 740-279",
  "code":""
  "timestamp":"2026-03-09T20:57:32Z"
}]}"""  # noqa: E501
RENEWED = """{"status":"200","message":"Renewed successfully",
  "rental_id":27,
  "phone_number":"3434337545",
  "duration_hours":720,
  "price_paid":"840.00",
  "new_balance":"3440.00","new_expiry":"2026-05-09 21:55:55"}"""


def test_rental_countries(mock: responses.RequestsMock, rent: OtpGetRentalDriver) -> None:
    mock.get(RENT, body=COUNTRIES)
    rows = rent.countries(server="2")
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getRentalCountries", "provider": "2"}
    assert next((c.code, c.name, c.server) for c in rows) == ("ca", "Canada", "2")
    rent.countries()
    assert "provider" not in sent(mock.calls[1])  # omitted: both servers


def test_rental_pricing_and_stock(mock: responses.RequestsMock, rent: OtpGetRentalDriver) -> None:
    mock.get(RENT, body=PRICING)
    prices = rent.prices("ca", server="2")
    assert sent(mock.calls[0]) == {
        "api_key": KEY,
        "action": "getRentalPricing",
        "country_code": "ca",
        "provider": "2",
    }
    assert [(p.duration_hours, p.price) for p in prices] == [
        (720, Decimal("840.00")),
        (4320, Decimal("5040.00")),
        (8640, Decimal("10080.00")),
    ]
    mock.replace(responses.GET, RENT, body=AVAILABLE)
    (stock,) = rent.stock("CA", server="2")
    assert sent(mock.calls[1])["action"] == "getAvailableRentals"
    assert sent(mock.calls[1])["country_code"] == "ca"
    assert (stock.area_title, stock.available, stock.unit_price, stock.min_months) == (
        "Canada",
        3338,
        Decimal("200"),
        1,
    )


def test_rent_number_example(mock: responses.RequestsMock, rent: OtpGetRentalDriver) -> None:
    mock.get(RENT, body=RENTED)
    r = rent.rent("ca", hours=720, server="2")
    assert sent(mock.calls[0]) == {
        "api_key": KEY,
        "action": "rentNumber",
        "country_code": "ca",
        "provider": "2",
        "duration_hours": "720",
    }
    assert r.order_id == "2673093356180000583"  # exact: no float, no int round trip
    assert (r.phone, r.price, r.balance, r.expires, r.server) == (
        "3434337545",
        Decimal("840.00"),
        Decimal("4220.00"),
        "2026-04-09 21:55:55",
        "2",
    )


@pytest.mark.parametrize(
    ("hours", "server"), [(1, "1"), (48, "1"), (12, "2"), (24, "2"), (168, "2"), (720, "3")]
)
def test_rent_durations_checked_before_sending(
    mock: responses.RequestsMock, rent: OtpGetRentalDriver, hours: int, server: str
) -> None:
    with pytest.raises(BadInput):
        rent.rent("ca", hours=hours, server=server)
    assert not mock.calls


def test_my_rentals_and_sms(mock: responses.RequestsMock, rent: OtpGetRentalDriver) -> None:
    mock.get(RENT, body=MY_RENTALS)
    (r,) = rent.rentals()
    assert (r.rental_id, r.order_id, r.status, r.duration_hours, r.expires) == (
        "27",
        "2673093356180000583",
        "active",
        720,
        "2026-04-09 21:55:55",
    )
    mock.replace(responses.GET, RENT, body=RENTAL_SMS)
    inbox = rent.messages("2673093356180000583")
    assert sent(mock.calls[1]) == {
        "api_key": KEY,
        "action": "getRentalSMS",
        "order_id": "2673093356180000583",
    }
    (m,) = inbox.messages
    assert (m.code, m.code_from_text, m.text) == (
        "740279",
        True,
        "<#> Your WhatsApp Business code 740-279",
    )
    assert (m.sender, m.timestamp) == ("Server 2", "2026-03-09T20:57:32Z")


def test_renew_example(mock: responses.RequestsMock, rent: OtpGetRentalDriver) -> None:
    mock.get(RENT, body=RENEWED)
    r = rent.renew("5", hours=720)
    assert sent(mock.calls[0]) == {
        "api_key": KEY,
        "action": "renewRental",
        "rental_id": "5",
        "duration_hours": "720",
    }
    assert (r.rental_id, r.price, r.balance, r.expires) == (
        "27",
        Decimal("840.00"),
        Decimal("3440.00"),
        "2026-05-09 21:55:55",
    )


RENTAL_ERRORS: list[tuple[str, str, type[OtpError], int]] = [
    ("401", "Invalid API key.", AuthError, 4),
    ("401", "API key is required.", AuthError, 4),
    ("403", "Account is blocked or inactive.", AuthError, 4),
    ("400", "Action parameter is required.", BadInput, 2),
    ("400", "Unknown action: foo", BadInput, 2),
    ("400", "country_code is required.", BadInput, 2),
    ("400", "provider is required.", BadInput, 2),
    ("400", "duration_hours is required.", BadInput, 2),
    ("400", "Server 2 only supports monthly durations (720, 4320, 8640).", BadInput, 2),
    ("404", "No pricing found for country_code=ca provider=1 duration_hours=12", Unavailable, 7),
    ("404", "Rental not found or does not belong to you.", NotFound, 5),
    ("404", "No pricing found for this duration.", Unavailable, 7),
    ("404", "Order not found or access denied.", NotFound, 5),
    ("402", "Insufficient balance.", NoBalance, 6),
    ("503", "Server 1 is currently unavailable.", Unavailable, 7),
    ("503", "Server 2 is currently disabled.", Unavailable, 7),
    ("502", "Server 2 error: upstream timeout", ProviderError, 9),
    ("502", "Provider returned an empty phone number.", ProviderError, 9),
    ("500", "Database error: deadlock", DocumentedFailure, 9),
]
# The 502 rows: the document does not say the balance was left alone, so a purchase
# answered that way may have been charged: PurchaseUnknown, not "nothing rented".
UNSETTLED_PURCHASE = {"502"}


@pytest.mark.parametrize(("status", "message", "exc", "exit_code"), RENTAL_ERRORS)
def test_rental_error_rows(
    mock: responses.RequestsMock,
    rent: OtpGetRentalDriver,
    status: str,
    message: str,
    exc: type[OtpError],
    exit_code: int,
) -> None:
    mock.get(RENT, body=json.dumps({"status": status, "message": message}))
    bought = PurchaseUnknown if status in UNSETTLED_PURCHASE else exc
    for call, expected in (
        (lambda: rent.rent("ca", hours=720, server="1"), bought),
        (lambda: rent.renew("27", hours=720), bought),
        (lambda: rent.messages("1"), exc),
    ):
        with pytest.raises(expected) as info:
            call()
        assert info.value.status == exit_code
        if expected is not PurchaseUnknown:
            assert not isinstance(info.value, PurchaseUnknown)


@pytest.mark.parametrize(
    "message", ["Server 1 error: upstream said no", "Provider returned an empty phone number."]
)
def test_rental_502_on_purchase_is_unknown_not_nothing_rented(
    mock: responses.RequestsMock, rent: OtpGetRentalDriver, message: str
) -> None:
    mock.get(RENT, body=json.dumps({"status": "502", "message": message}))
    with pytest.raises(PurchaseUnknown) as info:
        rent.rent("ca", hours=720, server="1")
    assert "nothing was rented" not in info.value.message
    assert "outcome is unknown" in info.value.message
    assert len(mock.calls) == 1  # never re-sent
    # The documented harmless 500 still says so, and is not "maybe bought".
    mock.replace(responses.GET, RENT, body='{"status":"500","message":"Database error: x"}')
    with pytest.raises(DocumentedFailure) as done:
        rent.rent("ca", hours=720, server="1")
    assert "not deducted" in done.value.message


def test_rental_unknown_5xx_on_purchase_is_unknown(
    mock: responses.RequestsMock, rent: OtpGetRentalDriver
) -> None:
    mock.get(RENT, body='{"status":"500","message":"Fatal error"}')
    with pytest.raises(PurchaseUnknown):
        rent.rent("ca", hours=720, server="1")
    mock.replace(responses.GET, RENT, body="garbage")
    with pytest.raises(PurchaseUnknown):
        rent.renew("27", hours=720)
    assert len(mock.calls) == 2


# --- e-mail -------------------------------------------------------------------------------

SERVICES = """{
  "status": "200",
  "count": 65,
  "services": [
    {"service_code": "ig", "service_name": "Instagram", "price": 120.00, "count": 48},
    {"service_code": "tg", "service_name": "Telegram", "price": 95.00, "count": 120},
    {"service_code": "fb", "service_name": "Facebook", "price": 110.00, "count": 60}
  ]
}"""
BOUGHT = """{
  "status": "200",
  "message": "Email activated successfully",
  "email_id": "7291834",
  "email": "temp.abc123@gmail.com",
  "service": "Instagram",
  "domain": "gmail.com",
  "price": 120.00,
  "balance": 4880.00
}"""
CODE = """{
  "status": "200",
  "email_id": "7291834",
  "messages": [
    {
      "email": "temp.abc123@gmail.com",
      "subject": "Verification Code",
      "body": "Your verification code is 847293",
      "code": "847293"
    }
  ]
}"""
CANCEL_WITH_CODE = """{
  "status": "200",
  "message": "Order completed - OTP was already received",
  "code": "847293",
  "email": "temp.abc@gmail.com"
}"""
CANCEL_REFUND = """{
  "status": "200",
  "message": "Cancelled and refunded",
  "refunded": 120.00,
  "balance": 5120.00
}"""
HISTORY = """{
  "status": "200",
  "total": 42,
  "page": 1,
  "history": [
    {
      "email_id": "7291834",
      "email_address": "temp.abc123@gmail.com",
      "service_id": "ig",
      "service_name": "Instagram",
      "domain": "gmail.com",
      "status": "active",
      "code": "",
      "price": 120.00,
      "created_at": "2026-03-09 14:22:00"
    }
  ]
}"""


def test_email_services(mock: responses.RequestsMock, email: OtpGetEmailDriver) -> None:
    mock.get(EMAIL, body=SERVICES)
    rows = email.services(domain="gmail.com")
    assert sent(mock.calls[0]) == {
        "api_key": KEY,
        "action": "getEmailServices",
        "domain": "gmail.com",
    }
    assert next((s.code, s.price, s.stock) for s in rows) == ("ig", Decimal("120.00"), 48)
    assert str(rows[0].price) == "120.00"  # exact, never through a float
    email.services()
    assert "domain" not in sent(mock.calls[1])


def test_email_buy(mock: responses.RequestsMock, email: OtpGetEmailDriver) -> None:
    mock.get(EMAIL, body=BOUGHT)
    order = email.buy("ig", domain="gmail.com")
    assert sent(mock.calls[0]) == {
        "api_key": KEY,
        "action": "buyEmail",
        "service_id": "ig",
        "domain": "gmail.com",
    }
    assert (order.id, order.email, order.price, order.balance) == (
        "7291834",
        "temp.abc123@gmail.com",
        Decimal("120.00"),
        Decimal("4880.00"),
    )


def test_email_code_states(mock: responses.RequestsMock, email: OtpGetEmailDriver) -> None:
    mock.get(EMAIL, body=CODE)
    st = email.status("7291834")
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getEmailCode", "email_id": "7291834"}
    assert (st.state, st.code, st.text) == (
        State.CODE_RECEIVED,
        "847293",
        "Your verification code is 847293",
    )
    mock.replace(responses.GET, EMAIL, body='{"status":"202","message":"Waiting for code..."}')
    assert email.status("7291834").state is State.WAITING
    mock.replace(responses.GET, EMAIL, body='{"status":"200","email_id":"1","messages":[]}')
    assert email.status("7291834").state is State.WAITING
    mock.replace(responses.GET, EMAIL, body='{"status":"300","message":"Cancelled by provider"}')
    assert email.status("7291834").state is State.CANCELLED


def test_email_code_from_body_when_field_empty(
    mock: responses.RequestsMock, email: OtpGetEmailDriver
) -> None:
    mock.get(EMAIL, body=CODE.replace('"code": "847293"', '"code": ""'))
    st = email.status("7291834")
    assert st.code == "847293" and st.messages[0].code_from_text


def test_email_cancel_both_outcomes(mock: responses.RequestsMock, email: OtpGetEmailDriver) -> None:
    mock.get(EMAIL, body=CANCEL_WITH_CODE)
    done = email.cancel("7291834")
    assert (done.state, done.code) == (State.FINISHED, "847293")
    mock.replace(responses.GET, EMAIL, body=CANCEL_REFUND)
    back = email.cancel("7291834")
    assert (back.state, back.refunded, back.balance) == (
        State.CANCELLED,
        Decimal("120.00"),
        Decimal("5120.00"),
    )
    assert sent(mock.calls[1]) == {"api_key": KEY, "action": "cancelEmail", "email_id": "7291834"}


def test_email_history(mock: responses.RequestsMock, email: OtpGetEmailDriver) -> None:
    mock.get(EMAIL, body=HISTORY)
    h = email.history(page=2)
    assert sent(mock.calls[0]) == {"api_key": KEY, "action": "getEmailHistory", "page": "2"}
    (row,) = h.entries
    assert (h.total, row.id, row.email, row.status, row.price) == (
        42,
        "7291834",
        "temp.abc123@gmail.com",
        "active",
        Decimal("120.00"),
    )


EMAIL_ERRORS: list[tuple[str, str, type[OtpError], int]] = [
    ("401", "BAD_KEY", AuthError, 4),
    ("403", "ACCOUNT_BLOCKED", AuthError, 4),
    ("400", "BAD_ACTION", BadInput, 2),
    ("400", "service_id is required", BadInput, 2),
    ("400", "email_id is required", BadInput, 2),
    ("402", "Insufficient balance. Need: 120.00 — Have: 80.50", NoBalance, 6),
    ("404", "Service not available for this domain", Unavailable, 7),
    ("404", "No stock available for this service", Unavailable, 7),
    ("404", "Email activation not found", NotFound, 5),
    # No e-mail 500 says the wallet was left alone: on buyEmail the outcome is unknown.
    ("500", "API connection error", PurchaseUnknown, 9),
    ("500", "No email available: out of addresses", PurchaseUnknown, 9),
    ("500", "Database error. Email cancelled.", PurchaseUnknown, 9),
    ("503", "Email service not configured", Unavailable, 7),
    ("503", "Email service is currently disabled", Unavailable, 7),
]


@pytest.mark.parametrize(("status", "message", "exc", "exit_code"), EMAIL_ERRORS)
def test_email_error_rows(
    mock: responses.RequestsMock,
    email: OtpGetEmailDriver,
    status: str,
    message: str,
    exc: type[OtpError],
    exit_code: int,
) -> None:
    mock.get(EMAIL, body=json.dumps({"status": status, "message": message}))
    with pytest.raises(exc) as info:
        email.buy("ig")
    assert info.value.status == exit_code
    assert len(mock.calls) == 1


def test_email_500_is_unknown_on_buy_and_a_plain_failure_on_reads(
    mock: responses.RequestsMock, email: OtpGetEmailDriver
) -> None:
    mock.get(EMAIL, body='{"status":"500","message":"Database error. Email cancelled."}')
    with pytest.raises(PurchaseUnknown) as info:
        email.buy("ig")
    assert "nothing" not in info.value.message
    assert "outcome is unknown" in info.value.message
    with pytest.raises(ProviderError) as read:
        email.status("7291834")
    assert not isinstance(read.value, PurchaseUnknown)
    assert read.value.status == 9
    assert len(mock.calls) == 2


def test_email_buy_unknown_outcome(mock: responses.RequestsMock, email: OtpGetEmailDriver) -> None:
    mock.get(EMAIL, body=requests.exceptions.ConnectionError("Connection reset by peer"))
    with pytest.raises(PurchaseUnknown):
        email.buy("ig")
    assert len(mock.calls) == 1


def test_key_never_in_errors(mock: responses.RequestsMock, email: OtpGetEmailDriver) -> None:
    mock.get(EMAIL, body=f"<html>error at ?api_key={KEY}</html>", status=500)
    with pytest.raises(ProviderError) as info:
        email.history()
    assert KEY not in str(info.value) and KEY not in (info.value.hint or "")


def test_a_rejected_key_points_at_the_otpget_profile(
    mock: responses.RequestsMock, rent: OtpGetRentalDriver, email: OtpGetEmailDriver
) -> None:
    mock.get(RENT, body='{"status":"401","message":"Invalid API key."}')
    mock.get(EMAIL, body='{"status":"401","message":"BAD_KEY"}')
    for call in (lambda: rent.messages("1"), lambda: email.status("1")):
        with pytest.raises(AuthError) as info:
            call()
        assert info.value.hint == (
            "check the key: `otp profile add NAME --provider otpget` or set OTPCLI_API_KEY"
        )
