"""The sms-activate protocol parser: every example reply and error word of the four documents."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from otpcli.domain.errors import (
    AuthError,
    BadInput,
    ExitCode,
    NoBalance,
    NotFound,
    OrderStateError,
    OtpError,
    ProtocolError,
    ProviderError,
    Unavailable,
)
from otpcli.domain.models import State
from otpcli.providers import _protocol as proto

# -- success replies from the documents ---------------------------------------------

BALANCES = [
    ("ACCESS_BALANCE:150.50", "150.50"),  # OTPX
    ("ACCESS_BALANCE:500.00", "500.00"),  # OTPGet
    ("ACCESS_BALANCE:54.00", "54.00"),  # InstaOTP
    ("ACCESS_BALANCE:125.50", "125.50"),  # SastaOTP
    ('{ "status": "OK", "balance": 125.50, "currency": "INR" }', "125.50"),  # SastaOTP JSON
    ("\ufeffACCESS_BALANCE:10\r\n", "10"),
]


@pytest.mark.parametrize(("reply", "amount"), BALANCES)
def test_balance(reply: str, amount: str) -> None:
    value = proto.parse_balance(reply)
    assert isinstance(value, Decimal)
    assert value == Decimal(amount)
    assert str(value) == amount  # exact, never through float


NUMBERS = [
    ("ACCESS_NUMBER:12345:919876543210", "12345", "919876543210"),  # OTPX
    ("ACCESS_NUMBER:abc123:9230012345", "abc123", "9230012345"),  # OTPGet, alphanumeric id
    ("ACCESS_NUMBER:12345:+1234567890", "12345", "+1234567890"),  # InstaOTP
    ("ACCESS_NUMBER:38496653:917991234567", "38496653", "917991234567"),  # SastaOTP
    ("ACCESS_NUMBER:00042:917991234567\n", "00042", "917991234567"),  # leading zeros kept
]


@pytest.mark.parametrize(("reply", "aid", "phone"), NUMBERS)
def test_number(reply: str, aid: str, phone: str) -> None:
    assert proto.parse_number(reply) == (aid, phone)


def test_reget_plain_form() -> None:
    reply = "REGET_NUMBER_OK:Lw4S1r37abcXYZ:918595529925"
    assert proto.parse_number(reply, prefix="REGET_NUMBER_OK") == ("Lw4S1r37abcXYZ", "918595529925")


STATUSES = [
    ("STATUS_OK:123456", State.CODE_RECEIVED, "123456"),  # OTPX
    ("STATUS_OK:847293", State.CODE_RECEIVED, "847293"),  # OTPGet
    ("STATUS_OK:54321", State.CODE_RECEIVED, "54321"),  # InstaOTP
    ("STATUS_OK:12-34:56", State.CODE_RECEIVED, "12-34:56"),  # split once
    ("STATUS_OK:740-279", State.CODE_RECEIVED, "740-279"),
    ("\ufeffSTATUS_OK:0042\r\n", State.CODE_RECEIVED, "0042"),  # BOM + CRLF, zeros kept
    ("STATUS_WAIT_CODE", State.WAITING, None),
    ("STATUS_WAIT_CODE\n", State.WAITING, None),
    ("STATUS_WAIT_RESEND", State.WAITING, None),
    ("STATUS_WAIT_RETRY:111222", State.WAITING, None),
    ("STATUS_CANCEL", State.CANCELLED, None),
    ("ACCESS_RETRY_GET", State.WAITING, None),  # InstaOTP status table
    ("ACCESS_READY", State.WAITING, None),
    ("ACCESS_ACTIVATION", State.FINISHED, None),
    ("ACCESS_CANCEL", State.CANCELLED, None),
]


@pytest.mark.parametrize(("reply", "state", "code"), STATUSES)
def test_status(reply: str, state: State, code: str | None) -> None:
    result = proto.parse_status(reply, "77")
    assert result.id == "77"
    assert result.state is state
    assert result.code == code


def test_wait_retry_mentions_the_old_code() -> None:
    result = proto.parse_status("STATUS_WAIT_RETRY:111222", "1")
    assert result.detail is not None and "111222" in result.detail
    assert result.code is None


ACTIONS = [
    ("ACCESS_CANCEL", "cancel", State.CANCELLED, True),  # OTPX, InstaOTP, SastaOTP
    ("ACCESS_ACTIVATION", "finish", State.FINISHED, False),  # InstaOTP, SastaOTP
    ("ACCESS_FINISH", "finish", State.FINISHED, False),  # OTPGet
    ("ACCESS_RETRY_GET", "another", State.WAITING, False),  # SastaOTP
    ("ACCESS_READY", "another", State.WAITING, False),  # SastaOTP status 1
    ("ACCESS_CANCEL\n", "cancel", State.CANCELLED, True),
]


@pytest.mark.parametrize(("reply", "action", "state", "refunded"), ACTIONS)
def test_action(reply: str, action: str, state: State, refunded: bool) -> None:
    result = proto.parse_action(reply, "9", action)
    assert (result.id, result.action, result.state, result.refunded) == (
        "9",
        action,
        state,
        refunded,
    )


def test_action_replies_override() -> None:
    # OTPGet answers a successful cancel with ACCESS_READY ("Balance refunded").
    override = {"ACCESS_READY": proto.Outcome(State.CANCELLED, True, "refunded")}
    result = proto.parse_action("ACCESS_READY", "9", "cancel", replies=override)
    assert result.state is State.CANCELLED and result.refunded


def test_prices_and_countries() -> None:
    prices = proto.parse_json('{"22": {"tg": {"cost": 12.5, "count": 140}}}')
    [entry] = proto.parse_prices(prices, currency="INR")
    assert (entry.service, entry.country, entry.price, entry.stock, entry.currency) == (
        "tg",
        "22",
        Decimal("12.5"),
        140,
        "INR",
    )
    keyed = proto.parse_countries(proto.parse_json('{"22": {"id": 22, "eng": "India"}}'))
    listed = proto.parse_countries(proto.parse_json('[{"id": 22, "eng": "India"}]'))
    assert [(c.id, c.name) for c in keyed] == [("22", "India")] == [(c.id, c.name) for c in listed]


# -- error words from the documents (and the family's) ------------------------------

ERROR_WORDS: list[tuple[str, type[OtpError], ExitCode, str]] = [
    # OTPX
    ("BAD_KEY", AuthError, ExitCode.AUTH, "BAD_KEY"),
    ("BAD_ACTION", BadInput, ExitCode.BAD_INPUT, "BAD_ACTION"),
    ("BAD_SERVICE", BadInput, ExitCode.BAD_INPUT, "BAD_SERVICE"),
    ("BAD_COUNTRY", BadInput, ExitCode.BAD_INPUT, "BAD_COUNTRY"),
    ("NO_BALANCE", NoBalance, ExitCode.NO_BALANCE, "NO_BALANCE"),
    ("NO_NUMBERS", Unavailable, ExitCode.UNAVAILABLE, "NO_NUMBERS"),
    ("NO_ACTIVATION", NotFound, ExitCode.NOT_FOUND, "NO_ACTIVATION"),
    ("ACCOUNT_BAN", AuthError, ExitCode.AUTH, "ACCOUNT_BAN"),
    # InstaOTP
    ("NO_API_KEY", AuthError, ExitCode.AUTH, "NO_API_KEY"),
    ("BAD_PARAMS", BadInput, ExitCode.BAD_INPUT, "BAD_PARAMS"),
    ("BAD_STATUS", BadInput, ExitCode.BAD_INPUT, "BAD_STATUS"),
    ("INVALID_STATUS", BadInput, ExitCode.BAD_INPUT, "INVALID_STATUS"),
    ("NO_SERVICES", Unavailable, ExitCode.UNAVAILABLE, "NO_SERVICES"),
    ("ALREADY_CANCEL", OrderStateError, ExitCode.ORDER_STATE, "ALREADY_CANCEL"),
    ("EARLY_CANCEL_DENIED", OrderStateError, ExitCode.ORDER_STATE, "EARLY_CANCEL_DENIED"),
    ("ERROR_SQL", ProviderError, ExitCode.PROVIDER, "ERROR_SQL"),
    # SastaOTP
    ("KEY_INACTIVE", AuthError, ExitCode.AUTH, "KEY_INACTIVE"),
    ("ACCOUNT_BANNED", AuthError, ExitCode.AUTH, "ACCOUNT_BANNED"),
    ("MAX_PRICE_EXCEEDED", NoBalance, ExitCode.NO_BALANCE, "MAX_PRICE_EXCEEDED"),
    ("SERVICE_UNAVAILABLE", Unavailable, ExitCode.UNAVAILABLE, "SERVICE_UNAVAILABLE"),
    ("ALREADY_FINISHED", OrderStateError, ExitCode.ORDER_STATE, "ALREADY_FINISHED"),
    ("MISSING_PARAMS", BadInput, ExitCode.BAD_INPUT, "MISSING_PARAMS"),
    ("PROVIDER_ERROR", ProviderError, ExitCode.PROVIDER, "PROVIDER_ERROR"),
    ("CANCEL_FAILED", OrderStateError, ExitCode.ORDER_STATE, "CANCEL_FAILED"),
    ("RETRY_FAILED", OrderStateError, ExitCode.ORDER_STATE, "RETRY_FAILED"),
    ("SERVER_ERROR", ProviderError, ExitCode.PROVIDER, "SERVER_ERROR"),
    # OTPGet
    ("ACCOUNT_BLOCKED", AuthError, ExitCode.AUTH, "ACCOUNT_BLOCKED"),
    ("BAD_TYPE", BadInput, ExitCode.BAD_INPUT, "BAD_TYPE"),
    ("BAD_ID", NotFound, ExitCode.NOT_FOUND, "BAD_ID"),
    ("STATUS_ALREADY_CHANGED", OrderStateError, ExitCode.ORDER_STATE, "STATUS_ALREADY_CHANGED"),
    ("NO_SMS_RECEIVED", OrderStateError, ExitCode.ORDER_STATE, "NO_SMS_RECEIVED"),
    ("ERROR_PRICE_CHANGE", NoBalance, ExitCode.NO_BALANCE, "ERROR_PRICE_CHANGE"),
    ("NO_BALANCE_FOR_NEW_PRICE:X", NoBalance, ExitCode.NO_BALANCE, "NO_BALANCE_FOR_NEW_PRICE"),
    ("NO_BALANCE_FOR_NEW_PRICE:61.50", NoBalance, ExitCode.NO_BALANCE, "NO_BALANCE_FOR_NEW_PRICE"),
    ("NO_BALANCE_FOR_NEW_PRICE", NoBalance, ExitCode.NO_BALANCE, "NO_BALANCE_FOR_NEW_PRICE"),
    # the family's words that no document lists
    ("WRONG_SERVICE", BadInput, ExitCode.BAD_INPUT, "WRONG_SERVICE"),
    ("BANNED:2026-01-01 10-00-00", AuthError, ExitCode.AUTH, "BANNED"),
    ("WRONG_ACTIVATION_ID", NotFound, ExitCode.NOT_FOUND, "WRONG_ACTIVATION_ID"),
    ("WRONG_MAX_PRICE:20", NoBalance, ExitCode.NO_BALANCE, "WRONG_MAX_PRICE"),
    # unknown words of the documented ERROR_/BAD_ shapes
    ("BAD_OPERATOR", BadInput, ExitCode.BAD_INPUT, "BAD_OPERATOR"),
    ("ERROR_SOMETHING_NEW", ProviderError, ExitCode.PROVIDER, "ERROR_SOMETHING_NEW"),
]

PARSERS: dict[str, Callable[[str], Any]] = {
    "balance": proto.parse_balance,
    "number": proto.parse_number,
    "status": lambda t: proto.parse_status(t, "1"),
    "action": lambda t: proto.parse_action(t, "1", "cancel"),
    "json": proto.parse_json,
}


def _assert_error(
    err: OtpError, cls: type[OtpError], exit_code: ExitCode, word: str | None
) -> None:
    assert type(err) is cls
    assert err.exit_code == exit_code
    assert err.provider_word == word
    assert err.hint and "\n" not in err.hint
    assert err.message and "\n" not in err.message


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize(("reply", "cls", "exit_code", "word"), ERROR_WORDS)
def test_error_word_in_every_reply(
    parser: str, reply: str, cls: type[OtpError], exit_code: ExitCode, word: str
) -> None:
    with pytest.raises(OtpError) as info:
        PARSERS[parser](reply)
    _assert_error(info.value, cls, exit_code, word)


@pytest.mark.parametrize(("reply", "cls", "exit_code", "word"), ERROR_WORDS)
def test_error_word_with_bom_and_newline(
    reply: str, cls: type[OtpError], exit_code: ExitCode, word: str
) -> None:
    with pytest.raises(OtpError) as info:
        proto.parse_status(f"\ufeff{reply}\r\n", "1")
    _assert_error(info.value, cls, exit_code, word)


def test_hints_say_what_to_do_next() -> None:
    with pytest.raises(NoBalance) as info:
        proto.parse_balance("NO_BALANCE")
    assert info.value.hint == "top up your wallet, then retry"
    with pytest.raises(AuthError) as auth:
        proto.parse_balance("BAD_KEY", provider="otpx")
    assert "otp profile add NAME --provider otpx" in str(auth.value.hint)
    assert "OTPCLI_API_KEY" in str(auth.value.hint)


def test_new_price_detail_is_quoted() -> None:
    with pytest.raises(NoBalance) as info:
        proto.parse_number("NO_BALANCE_FOR_NEW_PRICE:61.50")
    assert "61.50" in info.value.message


UPSTREAM = [
    (
        "ERROR_PROVIDER_1:NO_NUMBERS",
        Unavailable,
        ExitCode.UNAVAILABLE,
        "ERROR_PROVIDER_1:NO_NUMBERS",
    ),
    ("ERROR_PROVIDER_2:NO_BALANCE", NoBalance, ExitCode.NO_BALANCE, "ERROR_PROVIDER_2:NO_BALANCE"),
    ("ERROR_PROVIDER_3:BAD_SERVICE", BadInput, ExitCode.BAD_INPUT, "ERROR_PROVIDER_3:BAD_SERVICE"),
    ("ERROR_PROVIDER_4:BAD_KEY", AuthError, ExitCode.AUTH, "ERROR_PROVIDER_4:BAD_KEY"),
    ("ERROR_PROVIDER_5:WHATEVER", ProviderError, ExitCode.PROVIDER, "ERROR_PROVIDER_5:WHATEVER"),
    ("ERROR_PROVIDER_5:upstream said no", ProviderError, ExitCode.PROVIDER, "ERROR_PROVIDER_5"),
    ("ERROR_PROVIDER_2", ProviderError, ExitCode.PROVIDER, "ERROR_PROVIDER_2"),
    ("ERROR_PROVIDER_1:<html>x</html>", ProviderError, ExitCode.PROVIDER, "ERROR_PROVIDER_1"),
]


@pytest.mark.parametrize(("reply", "cls", "exit_code", "word"), UPSTREAM)
def test_otpget_upstream_errors(
    reply: str, cls: type[OtpError], exit_code: ExitCode, word: str
) -> None:
    with pytest.raises(OtpError) as info:
        proto.parse_number(reply)
    _assert_error(info.value, cls, exit_code, word)


@pytest.mark.parametrize(
    ("reply", "cls"),
    [
        ("ERROR_PROVIDER_2:NO_BALANCE", NoBalance),
        ("ERROR_PROVIDER_2:NO_NUMBERS", Unavailable),
        ("ERROR_PROVIDER_2:SERVICE_UNAVAILABLE", Unavailable),
    ],
)
def test_upstream_money_and_stock_errors_blame_the_supplier(
    reply: str, cls: type[OtpError]
) -> None:
    with pytest.raises(cls) as info:
        proto.parse_number(reply, provider="otpget")
    hint = info.value.hint or ""
    assert "supplier (server 2)" in hint and "--server" in hint
    assert "top up" not in hint and "wallet, then" not in hint
    # The user's own shortfall still says to top up.
    with pytest.raises(NoBalance) as own:
        proto.parse_number("NO_BALANCE")
    assert "top up" in (own.value.hint or "")


def test_upstream_raw_text_is_quoted_and_capped() -> None:
    with pytest.raises(ProviderError) as info:
        proto.parse_number("ERROR_PROVIDER_1:" + "z" * 1000)
    assert "z" * 200 in info.value.message
    assert "z" * 201 not in info.value.message


JSON_ERRORS = [
    ('{"status":"401","message":"BAD_KEY"}', AuthError, "BAD_KEY"),
    ('{"status":"403","message":"ACCOUNT_BLOCKED"}', AuthError, "ACCOUNT_BLOCKED"),
    ('{"status":"400","message":"BAD_ACTION"}', BadInput, "BAD_ACTION"),
    ('{"status":"402","message":"NO_BALANCE"}', NoBalance, "NO_BALANCE"),
    ('{"status":"500","message":"NO_NUMBERS"}', Unavailable, "NO_NUMBERS"),  # word wins
    ('{"status":"401","message":"Invalid API key."}', AuthError, "401"),
    ('{"status":"403","message":"Account is blocked or inactive."}', AuthError, "403"),
    ('{"status":"400","message":"Unknown action: foo"}', BadInput, "400"),
    (
        '{"status":"402","message":"Insufficient balance. Need: 120.00 — Have: 80.50"}',
        NoBalance,
        "402",
    ),
    ('{"status":"404","message":"Order not found or access denied."}', NotFound, "404"),
    ('{"status":"500","message":"Database error: x"}', ProviderError, "500"),
    ('{"status":"502","message":"Server 2 error: upstream"}', ProviderError, "502"),
    ('{"status":"503","message":"Server 1 is currently unavailable"}', ProviderError, "503"),
    ('{"status": 401, "message": "BAD_KEY"}', AuthError, "BAD_KEY"),
    ('{"status":"ERROR","message":"NO_BALANCE"}', NoBalance, "NO_BALANCE"),
    ('{"status":"error","error":"NO_NUMBERS"}', Unavailable, "NO_NUMBERS"),
    ('{"error":"MAX_PRICE_EXCEEDED"}', NoBalance, "MAX_PRICE_EXCEEDED"),
    ('{"status":"NO_NUMBERS"}', Unavailable, "NO_NUMBERS"),
    (
        '{"status":"ERROR","message":"ERROR_PROVIDER_2:NO_NUMBERS"}',
        Unavailable,
        "ERROR_PROVIDER_2:NO_NUMBERS",
    ),
    ('{"status":"ERROR","message":"something odd"}', ProviderError, "ERROR"),
]


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize(("reply", "cls", "word"), JSON_ERRORS)
def test_json_error_form_everywhere(
    parser: str, reply: str, cls: type[OtpError], word: str
) -> None:
    with pytest.raises(OtpError) as info:
        PARSERS[parser](reply)
    _assert_error(info.value, cls, cls.exit_code, word)


def test_json_success_is_not_an_error() -> None:
    assert proto.json_error({"status": "OK", "balance": 1}) is None
    assert proto.json_error({"status": "200", "message": "Number rented successfully"}) is None
    assert proto.json_error({"verificationType": 2, "sms": None}) is None
    assert proto.json_error({"101": "Telegram - 45 PKR"}) is None
    assert proto.json_error([{"id": 1}]) is None


# -- replies we do not understand --------------------------------------------------

GARBAGE = [
    ("", 200),
    ("   \n", 200),
    ("\ufeff", 200),
    ("<html><body><h1>502 Bad Gateway</h1></body></html>", 502),
    ("<!DOCTYPE html><html><head><title>Login</title></head></html>", 200),
    ("Internal Server Error", 500),
    ("hello world", 200),
    ("ACCESS_NUMBER:onlyid", 200),
    ("ACCESS_NUMBER::919876543210", 200),
    ("STATUS_OK:", 200),
    ("ACCESS_BALANCE:lots", 200),
    ("SOMETHING_ELSE", 200),
    ("{not json", 200),
    ("null", 200),
]


@pytest.mark.parametrize("parser", ["balance", "number", "status", "action"])
@pytest.mark.parametrize(("reply", "http_status"), GARBAGE)
def test_unknown_reply_is_a_protocol_error(parser: str, reply: str, http_status: int) -> None:
    fn: Callable[[str, int], Any] = {
        "balance": proto.parse_balance,
        "number": proto.parse_number,
        "status": lambda t, s: proto.parse_status(t, "1", s),
        "action": lambda t, s: proto.parse_action(t, "1", "cancel", s),
    }[parser]
    with pytest.raises(ProtocolError) as info:
        fn(reply, http_status)
    assert info.value.exit_code == ExitCode.PROVIDER
    assert info.value.hint
    if http_status >= 500:
        assert str(http_status) in info.value.message


def test_quote_is_at_most_200_characters() -> None:
    page = "<html>" + "A" * 5000 + "</html>"
    with pytest.raises(ProtocolError) as info:
        proto.parse_status(page, "1", 503)
    assert "A" * 194 in info.value.message
    assert "A" * 195 not in info.value.message  # 6 of the 200 are "<html>"
    assert "web page" in str(info.value.hint)


def test_empty_reply_says_empty() -> None:
    with pytest.raises(ProtocolError, match="empty"):
        proto.parse_balance("")


def test_error_word_wins_over_http_status() -> None:
    with pytest.raises(NoBalance):
        proto.parse_number("NO_BALANCE", 500)
    # a success body is still a success, whatever the status line said
    assert proto.parse_balance("ACCESS_BALANCE:1.00", 500) == Decimal("1.00")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_any_text_gives_a_result_or_a_typed_error(text: str) -> None:
    for parse in PARSERS.values():
        try:
            parse(text)
        except OtpError as err:
            assert err.exit_code != ExitCode.INTERNAL
            # never more than 200 characters of the reply are quoted
            assert len(err.message) < 400


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40))
def test_status_ok_keeps_any_code(code: str) -> None:
    """Whatever follows STATUS_OK is kept: as the code when it is a bare code, else as
    the text (with the code found in it, if any), never dropped."""
    code = code.strip().lstrip("\ufeff").strip()
    assume(code)
    st = proto.parse_status(f"STATUS_OK:{code}", "1")
    assert st.state is State.CODE_RECEIVED
    assert code in (st.code, st.text)


def test_json_error_word_in_a_code_field_beside_a_human_message() -> None:
    doc = '{"status":"ERROR","error_code":"MAX_PRICE_EXCEEDED","message":"Price too high"}'
    with pytest.raises(NoBalance) as info:
        proto.check(doc)
    assert info.value.status == 6
    assert info.value.provider_word == "MAX_PRICE_EXCEEDED"
