"""What the sms-activate family's replies mean, host family by host family, as data.

Contract: pure data and two lookups, no I/O. `WORDS` maps every error word the family
is known to send to its `ErrorKind` (class, therefore exit code; message; hint). A
`Dialect` describes one host family: its public base URL, the error words it documents,
how it sends errors (a plain word with HTTP 200, or an HTTP 4xx status with a JSON body
`{"title": WORD, "details": TEXT}`), which extensions it offers (`getNumberV2`,
`getStatusV2`, `getActiveActivations`), the shape of its price list, its cancel status
values, its poll advice and the request rate one process may send it. The parser
(`_protocol`) reads every reply leniently with the union of all the words, because real
hosts answer with words of their neighbours; the driver uses its dialect to pick
actions and pace; the simulator uses it to answer as that host does.

Every row names its public source, in a comment next to it:
- [sa-doc]   sms-activate's API page (sms-activate.org/en/api2; the family's origin).
- [sa-java]  sms-activate's own Java client, github sms-activate/SMSActivateApi
             (ru/sms_activate/error/..., SMSActivateValidator.java).
- [sa-py]    PyPI `smsactivate` 1.5 (author SMS-Activate), smsactivate/api.py `__ERRORS`.
- [aio]      PyPI `aiosmsactivate` 1.5.1, aiosmsactivate/exceptions.py `api_errors`.
- [hero-py]  PyPI `herosms` 0.1.1, herosms/exceptions.py `_STATUS_MAP` and _http.py:
             errors are HTTP statuses (400/422 request, 401 key, 402 money, 403
             forbidden, 404 not found or `NO_NUMBERS`, 409 conflict, 5xx server) with a
             JSON body `{"title": WORD, "details": TEXT}`; base URL hero-sms.com/stubs.
- [usa]      github solovey1/unified-sms-activate (checked against live hero-sms and its
             OpenAPI document): providers/hero_sms.py, sms_activate_compatible.py and
             tests/test_hero_sms.py's recorded replies: 401 `{"title": "BAD_KEY",
             "details": "Unauthorized"}`, 404 `{"title": "NOT_FOUND", "details":
             "Activation Not Found"}`, 422 `{"title": "BAD_ACTION", "details": "Method
             Not Found"}`; `NO_NUMBERS` as plain text with HTTP 200; cancelActivation /
             finishActivation answer an empty 204; getNumberV2's `currency` is ISO 4217
             numeric (840).
- [grizzly]  grizzlysms.com/docs: sms-activate words with HTTP 200, base
             api.grizzlysms.com/stubs, `SERVICE_UNAVAILABLE_REGION`, and one refusal as
             a sentence ("The service is prohibited for sale by administration").
- [smshub]   smshub.org/en/info#getPrices as typed by its clients (SMSHubAPI): words
             `API_KEY_NOT_VALID`, `NO_ACTION`, `BAD_CURRENCY`; prices `{c: {s: {price: n}}}`.
- [otpx], [otpget], [instaotp], [sastaotp]: the provider documents in shared/providers.
No host documents a poll interval or a request limit; 5 s is what every client above
uses ([usa], [hero-py], [aio]), and the rate cap is ours, to stay far below abuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from otpcli.domain.errors import (
    AuthError,
    BadInput,
    NoBalance,
    NotFound,
    OrderStateError,
    OtpError,
    ProviderError,
    Unavailable,
)


class ErrorKind(NamedTuple):
    cls: type[OtpError]
    message: str
    hint: str


KEY_HINT = "check the key: `otp profile add NAME --provider {provider}` or set OTPCLI_API_KEY"
SUPPORT_HINT = "contact the provider's support; nothing otpcli can do will lift it"
TOP_UP = "top up your wallet, then retry"
RETRY_LATER = "retry in a few seconds; if it persists, contact the provider"
CHECK_STATUS = "check the activation with `otp status ID`"
_CHECK_ID = "check the id (see `otp orders`): it must come from `otp buy` with the same key"
_SERVICES = "see `otp services` for the codes this provider takes"
_OTHER_COUNTRY = "try another country (-c) or server, or retry in a few minutes"
_PARAMS = "pass the service, -c COUNTRY and, where the provider has servers, --server"
_STATUS_CHANGE = "the provider may not offer this action; see `otp providers`"
_MAX_PRICE = "raise --max-price or omit it (see `otp prices`)"
_SEE_CODE = "see the code with `otp status ID`, then `otp finish ID`"
_PRICE_UP = "the price went up beyond your balance; the number was cancelled without charge"


def _kind(cls: type[OtpError], message: str, hint: str) -> ErrorKind:
    return ErrorKind(cls, message, hint)


# The words every host of the family shares, from the four provider documents and the
# family's origin. Exit codes follow DESIGN §3.
COMMON: Mapping[str, ErrorKind] = MappingProxyType(
    {
        # exit 4: the key or the account
        "BAD_KEY": _kind(AuthError, "the provider rejected the API key", KEY_HINT),  # all
        "NO_API_KEY": _kind(AuthError, "the provider received no API key", KEY_HINT),  # [otpget]
        "KEY_INACTIVE": _kind(  # [sastaotp]
            AuthError,
            "the API key has been disabled by the provider",
            "ask the provider's support to re-enable it, or create a new key and store it "
            "with `otp profile add NAME --provider {provider}`",
        ),
        "ACCOUNT_BAN": _kind(AuthError, "the account is banned", SUPPORT_HINT),  # [instaotp]
        "ACCOUNT_BANNED": _kind(AuthError, "the account is banned", SUPPORT_HINT),  # [otpx]
        "ACCOUNT_BLOCKED": _kind(AuthError, "the account is blocked", SUPPORT_HINT),  # [otpget]
        "BANNED": _kind(AuthError, "the account is banned", SUPPORT_HINT),  # [sa-py] BANNED:'date'
        # exit 2: the request itself
        "BAD_ACTION": _kind(  # all
            BadInput,
            "the provider does not know this request",
            "the provider may not offer it; check that the base URL is the provider's "
            "handler folder (`otp providers`)",
        ),
        "BAD_SERVICE": _kind(BadInput, "unknown service", _SERVICES),  # all
        "WRONG_SERVICE": _kind(BadInput, "unknown service", _SERVICES),  # [sastaotp]
        "BAD_COUNTRY": _kind(  # [otpget], [instaotp]
            BadInput, "unknown or missing country", "pass -c COUNTRY (see `otp countries`)"
        ),
        "BAD_TYPE": _kind(  # [otpget]
            BadInput, "unknown server (provider type)", "pass a valid --server (OTPGet: 1 to 5)"
        ),
        "BAD_PARAMS": _kind(BadInput, "a required parameter is missing", _PARAMS),  # [instaotp]
        "MISSING_PARAMS": _kind(BadInput, "a required parameter is missing", _PARAMS),
        "BAD_STATUS": _kind(  # all
            BadInput, "the provider rejected the requested status change", _STATUS_CHANGE
        ),
        "INVALID_STATUS": _kind(  # [sastaotp], [aio]
            BadInput, "the provider rejected the requested status change", _STATUS_CHANGE
        ),
        # exit 5: the order. BAD_ID is OTPGet's "order id parameter missing": the driver
        # always sends the id it was given, so at the provider that id is no usable order.
        "NO_ACTIVATION": _kind(NotFound, "no such activation", _CHECK_ID),  # all
        "BAD_ID": _kind(NotFound, "no such activation (missing or malformed id)", _CHECK_ID),
        "WRONG_ACTIVATION_ID": _kind(NotFound, "no such activation", _CHECK_ID),  # [aio]
        # exit 6: money. ERROR_PRICE_CHANGE ("price increased above your balance, number
        # auto-cancelled, no charge") is a balance shortfall, so it sits with NO_BALANCE.
        "NO_BALANCE": _kind(NoBalance, "not enough balance", TOP_UP),  # all
        "NO_BALANCE_FOR_NEW_PRICE": _kind(NoBalance, _PRICE_UP, TOP_UP),  # [otpget]
        "ERROR_PRICE_CHANGE": _kind(NoBalance, _PRICE_UP, TOP_UP),  # [otpget]
        "MAX_PRICE_EXCEEDED": _kind(  # [sastaotp]
            NoBalance, "the current price is above your --max-price", _MAX_PRICE
        ),
        "WRONG_MAX_PRICE": _kind(  # [sa-doc] WRONG_MAX_PRICE:min, [aio]
            NoBalance, "the current price is above your --max-price", _MAX_PRICE
        ),
        # exit 7: stock
        "NO_NUMBERS": _kind(Unavailable, "no numbers available right now", _OTHER_COUNTRY),
        "SERVICE_UNAVAILABLE": _kind(  # [sastaotp]
            Unavailable,
            "the service is not available for that country right now",
            "see `otp services` for the countries that have it",
        ),
        "NO_SERVICES": _kind(  # [otpget]
            Unavailable, "no services available right now", "retry later or try another server"
        ),
        # exit 8: the order is in a state that forbids the action
        "EARLY_CANCEL_DENIED": _kind(  # [otpget], [aio], [hero-py] 409
            OrderStateError,
            "too early to cancel (the provider forbids it in the first minutes)",
            "wait until 2 minutes after the purchase, then retry `otp cancel ID`",
        ),
        "NO_SMS_RECEIVED": _kind(  # [otpget]
            OrderStateError,
            "no code has arrived yet, so the activation cannot be finished",
            "wait for the code with `otp wait ID`, or cancel it with `otp cancel ID`",
        ),
        "STATUS_ALREADY_CHANGED": _kind(  # [sastaotp]
            OrderStateError, "the activation's status was already changed", CHECK_STATUS
        ),
        "ALREADY_CANCEL": _kind(  # [otpget], [aio]
            OrderStateError, "the activation is already cancelled", CHECK_STATUS
        ),
        "ALREADY_FINISHED": _kind(  # [otpget]
            OrderStateError,
            "the activation is already finished (completed, cancelled or expired)",
            CHECK_STATUS,
        ),
        "CANCEL_FAILED": _kind(  # [instaotp]
            OrderStateError,
            "the provider could not record the cancel (the order may already be closed)",
            f"{CHECK_STATUS} before retrying",
        ),
        "RETRY_FAILED": _kind(  # [sastaotp]
            OrderStateError,
            "the provider refused to send another SMS to this number",
            "cancel it with `otp cancel ID` and buy a new number",
        ),
        # exit 9: the provider's own failure
        "ERROR_SQL": _kind(ProviderError, "the provider had a database error", RETRY_LATER),
        "SERVER_ERROR": _kind(ProviderError, "the provider had an internal error", RETRY_LATER),
        "PROVIDER_ERROR": _kind(
            ProviderError, "the provider's upstream supplier failed", RETRY_LATER
        ),
    }
)

_OPERATOR = "drop --operator or pick one the provider lists"
_LIMIT_HINT = "finish or cancel some of your open activations (`otp orders --active`), then retry"

# Words of the sms-activate origin and its successors that the provider documents above
# do not list. Each is a definite answer: none of them comes with a bought number.
SMSACTIVATE_WORDS: Mapping[str, ErrorKind] = MappingProxyType(
    {
        "NO_KEY": _kind(AuthError, "the provider received no API key", KEY_HINT),  # [sa-py]
        "ACCOUNT_INACTIVE": _kind(  # [aio] "Account is inactive"
            AuthError, "the account is inactive", SUPPORT_HINT
        ),
        "INVALID_SIGNATURE": _kind(AuthError, "the provider rejected the key", KEY_HINT),  # [aio]
        "WRONG_SECURITY": _kind(  # [aio], [sa-py]
            BadInput, "the provider refused the request for this activation", CHECK_STATUS
        ),
        # [aio] "Account blocked"; [usa] 403 `{"title": "CHANNELS_LIMIT", ...}`
        "CHANNELS_LIMIT": _kind(
            AuthError, "the account is blocked from buying: too many open activations", _LIMIT_HINT
        ),
        "ORDER_ALREADY_EXISTS": _kind(  # [aio] "Order already exist"
            OrderStateError, "such an order already exists on this account", _LIMIT_HINT
        ),
        "NO_BALANCE_FORWARD": _kind(  # [aio] "not enough money to buy redirects"
            NoBalance, "not enough balance to buy call forwarding", TOP_UP
        ),
        "WRONG_EXCEPTION_PHONE": _kind(  # [aio] "Incorrect exception prefixes"
            BadInput,
            "the provider rejected the excluded number prefixes",
            "check the prefixes you asked to exclude",
        ),
        "WRONG_ADDITIONAL_SERVICE": _kind(  # [aio], [sa-py]
            BadInput, "the provider rejected the additional service", _SERVICES
        ),
        "REPEAT_ADDITIONAL_SERVICE": _kind(  # [aio], [sa-py]
            OrderStateError, "that additional service was already bought", CHECK_STATUS
        ),
        "WRONG_DATE": _kind(BadInput, "the provider rejected the date", _PARAMS),  # [aio]
        "BAD_DATA": _kind(NotFound, "no such activation (malformed id)", _CHECK_ID),  # [aio]
        "INVALID_ACTIVATION_ID": _kind(NotFound, "no such activation", _CHECK_ID),  # [aio]
        "NO_ID_RENT": _kind(NotFound, "no such rental (no id)", _CHECK_ID),  # [aio]
        "INVALID_PHONE": _kind(NotFound, "no such rental", _CHECK_ID),  # [aio], [sa-py]
        "SERVICE_UNAVAILABLE_REGION": _kind(  # [sa-doc], [hero-api]
            Unavailable,
            "the service is not available in your region",
            "try another country (-c) or another host",
        ),
        "WHATSAPP_NOT_AVAILABLE": _kind(  # [sa-py] "No WhatsApp numbers available"
            Unavailable, "no WhatsApp numbers available right now", _OTHER_COUNTRY
        ),
        "OUT_OF_STOCK": _kind(Unavailable, "out of numbers for this country", _OTHER_COUNTRY),
        "OPERATORS_NOT_FOUND": _kind(  # [aio], [sa-py]
            Unavailable, "no operator has numbers for this choice", _OTHER_COUNTRY
        ),
        "NO_YULA_MAIL": _kind(  # [aio], [sa-py]
            Unavailable, "this service is sold to verified wholesale accounts only", SUPPORT_HINT
        ),
        "SIM_OFFLINE": _kind(  # [aio]
            Unavailable, "the SIM card behind this number is offline", _OTHER_COUNTRY
        ),
        "NO_ACTIVATIONS": _kind(  # [aio] getActiveActivations with none open
            NotFound, "the provider lists no open activations", _CHECK_ID
        ),
        "RENEW_ACTIVATION_NOT_AVAILABLE": _kind(  # [aio]
            OrderStateError,
            "the number cannot be used for another activation",
            "buy a new number with `otp buy`",
        ),
        "NEW_ACTIVATION_IMPOSSIBLE": _kind(  # [aio]
            OrderStateError,
            "the number cannot be used for another activation",
            "buy a new number with `otp buy`",
        ),
        "PARSE_COUNT_EXCEED": _kind(  # [aio]
            OrderStateError, "the provider's limit of attempts was reached", CHECK_STATUS
        ),
        "NO_CALL": _kind(OrderStateError, "the call did not come", CHECK_STATUS),  # [aio]
        "NOT_INCOMING": _kind(  # [sa-py]
            BadInput, "this activation is not verified by a call", CHECK_STATUS
        ),
        "CANT_CANCEL": _kind(  # [aio], [sa-py]
            OrderStateError, "the provider no longer allows cancelling this order", CHECK_STATUS
        ),
        "ALREADY_FINISH": _kind(  # [aio], [sa-py]
            OrderStateError, "the order is already finished", CHECK_STATUS
        ),
        "INCORECT_STATUS": _kind(  # [aio], [sa-py] (sic)
            BadInput, "the provider rejected the requested status change", _STATUS_CHANGE
        ),
        "NOT_AVAILABLE": _kind(  # [sa-java] "Country does not support multi-service"
            Unavailable, "not available for this country", _OTHER_COUNTRY
        ),
        "WRONG_OPERATOR": _kind(BadInput, "unknown operator", _OPERATOR),  # [sa-java]
        "BAD_OPERATOR": _kind(BadInput, "unknown operator", _OPERATOR),  # [sa-java]
        "WRONG_COUNTRY_ID": _kind(  # [sa-java]
            BadInput, "unknown country", "pass -c COUNTRY (see `otp countries`)"
        ),
        "WRONG_COUNTRY": _kind(  # [usa] table
            BadInput, "unknown country", "pass -c COUNTRY (see `otp countries`)"
        ),
        "SQL_ERROR": _kind(ProviderError, "the provider had a database error", RETRY_LATER),
        "NO_CONNECTION": _kind(  # [sa-py]
            ProviderError, "the provider lost the connection to its servers", RETRY_LATER
        ),
    }
)

# hero-sms's JSON titles beyond the family's words.
HEROSMS_WORDS: Mapping[str, ErrorKind] = MappingProxyType(
    {
        "NOT_FOUND": _kind(NotFound, "no such activation", _CHECK_ID),  # [usa] recorded 404
        "ACTIVATION_NOT_ACTIVE": _kind(  # [usa] README: getAllSms on a closed activation
            OrderStateError, "the activation is no longer active", CHECK_STATUS
        ),
        "FREE_CANCELLATION_EXPIRED": _kind(  # [usa] table
            OrderStateError,
            "the free cancellation period is over; the activation cannot be refunded",
            CHECK_STATUS,
        ),
        "OTP_RECEIVED": _kind(  # [usa] 409 on a cancel after the code came
            OrderStateError, "a code has arrived, so the activation cannot be cancelled", _SEE_CODE
        ),
        "NEW_OTP_RECEIVED": _kind(  # [usa] table
            OrderStateError, "a code has arrived, so the activation cannot be cancelled", _SEE_CODE
        ),
        "SERVICE_NOT_AVAILABLE": _kind(  # [usa] table
            Unavailable, "the service is not available right now", _OTHER_COUNTRY
        ),
        "UNPROCESSABLE_ENTITY": _kind(  # [usa] table
            BadInput, "the provider rejected a parameter", "check the options you passed"
        ),
    }
)

# smshub's words beyond the family's ([smshub]).
SMSHUB_WORDS: Mapping[str, ErrorKind] = MappingProxyType(
    {
        "API_KEY_NOT_VALID": _kind(AuthError, "the provider rejected the API key", KEY_HINT),
        "NO_ACTION": _kind(
            BadInput,
            "the provider does not know this request",
            "check that the base URL is the provider's handler folder (`otp providers`)",
        ),
        "BAD_CURRENCY": _kind(BadInput, "the provider rejected the currency", _PARAMS),
        "CURRENCY_CHANGE_UNAVAILABLE": _kind(
            BadInput, "the provider cannot change the currency", _PARAMS
        ),
    }
)

# Refusals some hosts send as a sentence, not a word ([grizzly] getNumber).
SENTENCES: Mapping[str, ErrorKind] = MappingProxyType(
    {
        "the service is prohibited for sale by administration": _kind(
            Unavailable,
            "the provider does not sell this service",
            "choose another service (`otp services`)",
        ),
    }
)

# Words in a cancel's refusal that mean "too late: a code came": the driver then reads
# the activation so the code is shown, not lost ([usa] OTP_RECEIVED, NEW_OTP_RECEIVED).
CODE_ARRIVED = frozenset({"OTP_RECEIVED", "NEW_OTP_RECEIVED", "STATUS_OK"})

# ISO 4217 numeric codes hero-sms-style hosts put in `currency` ([usa], [hero-py] enums).
CURRENCIES: Mapping[str, str] = MappingProxyType(
    {"643": "RUB", "840": "USD", "978": "EUR", "156": "CNY", "356": "INR"}
)


class Dialect(NamedTuple):
    """One host family's way of speaking the protocol."""

    name: str
    title: str
    base_url: str | None  # the folder holding handler_api.php; None: the user names it
    words: Mapping[str, ErrorKind]  # the words this family documents beyond COMMON
    json_errors: bool  # errors come as HTTP 4xx + {"title": WORD, "details": TEXT}
    number_v2: bool  # getNumberV2: a JSON purchase reply with price, currency, expiry
    status_v2: bool  # getStatusV2: JSON with the SMS's code and text apart
    active_list: bool  # getActiveActivations: the provider's list of open orders
    price_shape: str  # "cost_count" {c: {s: {cost, count}}} | "price_count" {c: {s: {p: n}}}
    cancel_status: str  # the setStatus value of a cancel: "8" (family) or "-1"
    currency: str | None
    poll_interval: float  # seconds between polls of one order the host advises
    max_rate: float  # requests per second one process sends this host, all waits together
    sources: tuple[str, ...]


# HTTP status of each word where errors come as JSON ([hero-py] `_STATUS_MAP`, [usa]'s
# recorded 401/404/422); a word not listed gets 400. NO_NUMBERS stays a plain word with
# HTTP 200 even there ([usa], live-verified).
JSON_ERROR_STATUS: Mapping[str, int] = MappingProxyType(
    {
        "BAD_KEY": 401,
        "NO_KEY": 401,
        "BANNED": 403,
        "ACCOUNT_INACTIVE": 403,
        "NO_BALANCE": 402,
        "WRONG_MAX_PRICE": 402,
        "MAX_PRICE_EXCEEDED": 402,
        "NO_ACTIVATION": 404,
        "NOT_FOUND": 404,
        "WRONG_ACTIVATION_ID": 404,
        "EARLY_CANCEL_DENIED": 409,
        "STATUS_ALREADY_CHANGED": 409,
        "NO_SMS_RECEIVED": 409,
        "ORDER_ALREADY_EXISTS": 409,
        "OTP_RECEIVED": 409,
        "CHANNELS_LIMIT": 403,
        "BAD_ACTION": 422,
        "ERROR_SQL": 500,
    }
)

_FAMILY = (SMSACTIVATE_WORDS,)

DIALECTS: Mapping[str, Dialect] = MappingProxyType(
    {
        d.name: d
        for d in (
            Dialect(
                name="smsactivate",
                title="any sms-activate compatible host",
                base_url=None,
                words=SMSACTIVATE_WORDS,
                json_errors=False,
                number_v2=True,  # tried once; BAD_ACTION falls back to getNumber
                status_v2=False,
                active_list=True,  # tried; BAD_ACTION means the host has none
                price_shape="cost_count",
                cancel_status="8",
                currency=None,
                poll_interval=5.0,
                max_rate=10.0,
                sources=("[sa-doc]", "[sa-py]", "[aio]"),
            ),
            Dialect(
                name="herosms",
                title="HeroSMS",
                base_url="https://hero-sms.com/stubs",  # [hero-py] DEFAULT_BASE_URL
                words=HEROSMS_WORDS,
                json_errors=True,
                number_v2=True,
                status_v2=True,
                active_list=True,
                price_shape="cost_count",
                cancel_status="8",
                currency="USD",
                poll_interval=5.0,
                max_rate=10.0,
                sources=("[hero-py]", "[hero-api]"),
            ),
            Dialect(
                name="grizzlysms",
                title="GrizzlySMS",
                base_url="https://api.grizzlysms.com/stubs",  # [grizzly]
                words=SMSACTIVATE_WORDS,
                json_errors=False,
                number_v2=True,
                status_v2=False,
                active_list=True,
                price_shape="cost_count",
                cancel_status="8",
                currency="RUB",
                poll_interval=5.0,
                max_rate=10.0,
                sources=("[grizzly]",),
            ),
            Dialect(
                name="smshub",
                title="SMSHub",
                base_url="https://smshub.org/stubs",  # [smshub]
                words=SMSHUB_WORDS,
                json_errors=False,
                number_v2=False,
                status_v2=False,
                active_list=False,
                price_shape="price_count",
                cancel_status="8",
                currency="RUB",
                poll_interval=5.0,
                max_rate=10.0,
                sources=("[smshub]",),
            ),
        )
    }
)

DEFAULT = DIALECTS["smsactivate"]


def _documented(name: str, title: str, base_url: str, source: str) -> Dialect:
    """A provider whose own document is the whole truth: the family's words with HTTP
    200, V1 actions only (its document names no extension), 5 s polls."""
    return Dialect(
        name=name,
        title=title,
        base_url=base_url,
        words=MappingProxyType({}),
        json_errors=False,
        number_v2=False,
        status_v2=False,
        active_list=False,
        price_shape="cost_count",
        cancel_status="8",
        currency=None,
        poll_interval=5.0,
        max_rate=10.0,
        sources=(source,),
    )


# The four named providers, from their documents in shared/providers.
DOCUMENTED: Mapping[str, Dialect] = MappingProxyType(
    {
        d.name: d
        for d in (
            _documented("otpx", "OTPX", "https://otpx.in/api/stubs", "[otpx]"),
            _documented("otpget", "OTPGet", "https://www.otpget.com/stubs", "[otpget]"),
            _documented("instaotp", "InstaOTP", "https://instaotp.in/api/v1", "[instaotp]"),
            _documented("sastaotp", "SastaOTP", "https://sastaotp.com/stubs", "[sastaotp]"),
        )
    }
)


def _union() -> dict[str, ErrorKind]:
    words = dict(COMMON)
    for table in (*_FAMILY, HEROSMS_WORDS, SMSHUB_WORDS):
        for word, kind in table.items():
            words.setdefault(word, kind)
    return words


# Every word any host of the family is known to send: replies are read with all of
# them, since a host answers with its neighbours' words as well as its own.
WORDS: Mapping[str, ErrorKind] = MappingProxyType(_union())


def get(name: str) -> Dialect:
    """The dialect called `name`; KeyError names the known ones."""
    try:
        return DIALECTS[name] if name in DIALECTS else DOCUMENTED[name]
    except KeyError:
        raise KeyError(f"unknown dialect {name!r}; known: {', '.join(DIALECTS)}") from None
