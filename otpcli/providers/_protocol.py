"""The shared sms-activate protocol: reply text in, typed result or typed error out.

Contract: pure functions, no I/O. Every parser takes the reply text (a BOM, a trailing
newline and surrounding whitespace are tolerated) and, where it matters, the HTTP status.
It returns a typed value (money as Decimal, ids and phone numbers as strings) or raises
an `OtpError` subclass whose exit code follows DESIGN §3, whose `provider_word` is the
provider's own word and whose `hint` names the next step. Error words are accepted in
every reply, plain (`NO_BALANCE`) or as JSON (`{"status":"401","message":"BAD_KEY"}`).
A reply that is neither a known success form nor a known error raises `ProtocolError`
(exit 9) quoting at most 200 characters of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from otpcli.core.errors import (
    AuthError,
    BadInput,
    NoBalance,
    NotFound,
    OrderStateError,
    OtpError,
    ProtocolError,
    ProviderError,
    Unavailable,
)
from otpcli.core.models import ActionResult, CatalogEntry, Country, State, StatusResult

QUOTE_MAX = 200

_WORD = re.compile(r"[A-Z][A-Z0-9_]*\Z")
_UPSTREAM = re.compile(r"ERROR_PROVIDER(?:_(\d+))?(?::(.*))?\Z", re.DOTALL)


class ErrorKind(NamedTuple):
    cls: type[OtpError]
    message: str
    hint: str


_KEY_HINT = "check the key: `otp profile add NAME --provider {provider}` or set OTPCLI_API_KEY"
_SUPPORT_HINT = "contact the provider's support; nothing otpcli can do will lift it"
_TOP_UP = "top up your wallet, then retry"
_RETRY_LATER = "retry in a few seconds; if it persists, contact the provider"
_CHECK_STATUS = "check the activation with `otp status ID`"

# One table for every error word of the sms-activate family: the four provider
# documents plus words the family uses that a document happens not to list.
ERRORS: dict[str, ErrorKind] = {
    # exit 4: the key or the account
    "BAD_KEY": ErrorKind(AuthError, "the provider rejected the API key", _KEY_HINT),
    "NO_API_KEY": ErrorKind(AuthError, "the provider received no API key", _KEY_HINT),
    "KEY_INACTIVE": ErrorKind(
        AuthError,
        "the API key has been disabled by the provider",
        "ask the provider's support to re-enable it, or create a new key and store it "
        "with `otp profile add NAME --provider {provider}`",
    ),
    "ACCOUNT_BAN": ErrorKind(AuthError, "the account is banned", _SUPPORT_HINT),
    "ACCOUNT_BANNED": ErrorKind(AuthError, "the account is banned", _SUPPORT_HINT),
    "ACCOUNT_BLOCKED": ErrorKind(AuthError, "the account is blocked", _SUPPORT_HINT),
    "BANNED": ErrorKind(AuthError, "the account is banned", _SUPPORT_HINT),
    # exit 2: the request itself
    "BAD_ACTION": ErrorKind(
        BadInput,
        "the provider does not know this request",
        "the provider may not offer it; check that the base URL is the provider's "
        "handler folder (`otp providers`)",
    ),
    "BAD_SERVICE": ErrorKind(
        BadInput, "unknown service", "see `otp services` for the codes this provider takes"
    ),
    "WRONG_SERVICE": ErrorKind(
        BadInput, "unknown service", "see `otp services` for the codes this provider takes"
    ),
    "BAD_COUNTRY": ErrorKind(
        BadInput, "unknown or missing country", "pass -c COUNTRY (see `otp countries`)"
    ),
    "BAD_TYPE": ErrorKind(
        BadInput, "unknown server (provider type)", "pass a valid --server (OTPGet: 1 to 5)"
    ),
    "BAD_PARAMS": ErrorKind(
        BadInput,
        "a required parameter is missing",
        "pass the service, -c COUNTRY and, where the provider has servers, --server",
    ),
    "MISSING_PARAMS": ErrorKind(
        BadInput,
        "a required parameter is missing",
        "pass the service, -c COUNTRY and, where the provider has servers, --server",
    ),
    "BAD_STATUS": ErrorKind(
        BadInput,
        "the provider rejected the requested status change",
        "the provider may not offer this action; see `otp providers`",
    ),
    "INVALID_STATUS": ErrorKind(
        BadInput,
        "the provider rejected the requested status change",
        "the provider may not offer this action; see `otp providers`",
    ),
    # exit 5: the order. BAD_ID is OTPGet's "order id parameter missing": the driver
    # always sends the id it was given, so at the provider this means that id is not a
    # usable order; DESIGN §3 lists BAD_ID under "no such order", so it is NotFound.
    "NO_ACTIVATION": ErrorKind(
        NotFound,
        "no such activation",
        "check the id (see `otp orders`): it must come from `otp buy` with the same key",
    ),
    "BAD_ID": ErrorKind(
        NotFound,
        "no such activation (missing or malformed id)",
        "check the id (see `otp orders`): it must come from `otp buy` with the same key",
    ),
    "WRONG_ACTIVATION_ID": ErrorKind(
        NotFound,
        "no such activation",
        "check the id (see `otp orders`): it must come from `otp buy` with the same key",
    ),
    # exit 6: money. ERROR_PRICE_CHANGE ("price increased above your balance, number
    # auto-cancelled, no charge") is a balance shortfall, so it sits with NO_BALANCE.
    "NO_BALANCE": ErrorKind(NoBalance, "not enough balance", _TOP_UP),
    "NO_BALANCE_FOR_NEW_PRICE": ErrorKind(
        NoBalance,
        "the price went up beyond your balance; the number was cancelled without charge",
        _TOP_UP,
    ),
    "ERROR_PRICE_CHANGE": ErrorKind(
        NoBalance,
        "the price went up beyond your balance; the number was cancelled without charge",
        _TOP_UP,
    ),
    "MAX_PRICE_EXCEEDED": ErrorKind(
        NoBalance,
        "the current price is above your --max-price",
        "raise --max-price or omit it (see `otp prices`)",
    ),
    "WRONG_MAX_PRICE": ErrorKind(
        NoBalance,
        "the current price is above your --max-price",
        "raise --max-price or omit it (see `otp prices`)",
    ),
    # exit 7: stock
    "NO_NUMBERS": ErrorKind(
        Unavailable,
        "no numbers available right now",
        "try another country (-c) or server, or retry in a few minutes",
    ),
    "SERVICE_UNAVAILABLE": ErrorKind(
        Unavailable,
        "the service is not available for that country right now",
        "see `otp services` for the countries that have it",
    ),
    "NO_SERVICES": ErrorKind(
        Unavailable, "no services available right now", "retry later or try another server"
    ),
    # exit 8: the order is in a state that forbids the action
    "EARLY_CANCEL_DENIED": ErrorKind(
        OrderStateError,
        "too early to cancel (the provider forbids it in the first minutes)",
        "wait until 2 minutes after the purchase, then retry `otp cancel ID`",
    ),
    "NO_SMS_RECEIVED": ErrorKind(
        OrderStateError,
        "no code has arrived yet, so the activation cannot be finished",
        "wait for the code with `otp wait ID`, or cancel it with `otp cancel ID`",
    ),
    "STATUS_ALREADY_CHANGED": ErrorKind(
        OrderStateError, "the activation's status was already changed", _CHECK_STATUS
    ),
    "ALREADY_CANCEL": ErrorKind(
        OrderStateError, "the activation is already cancelled", _CHECK_STATUS
    ),
    "ALREADY_FINISHED": ErrorKind(
        OrderStateError,
        "the activation is already finished (completed, cancelled or expired)",
        _CHECK_STATUS,
    ),
    "CANCEL_FAILED": ErrorKind(
        OrderStateError,
        "the provider could not record the cancel (the order may already be closed)",
        f"{_CHECK_STATUS} before retrying",
    ),
    "RETRY_FAILED": ErrorKind(
        OrderStateError,
        "the provider refused to send another SMS to this number",
        "cancel it with `otp cancel ID` and buy a new number",
    ),
    # exit 9: the provider's own failure
    "ERROR_SQL": ErrorKind(ProviderError, "the provider had a database error", _RETRY_LATER),
    "SERVER_ERROR": ErrorKind(ProviderError, "the provider had an internal error", _RETRY_LATER),
    "PROVIDER_ERROR": ErrorKind(
        ProviderError, "the provider's upstream supplier failed", _RETRY_LATER
    ),
}


def _quote(text: str) -> str:
    shown = text.strip()[:QUOTE_MAX]
    return repr(shown) if shown else "(empty)"


def clean(text: str) -> str:
    """Strip a BOM and surrounding whitespace (providers add both)."""
    return text.strip().lstrip("\ufeff").strip()


def _make(
    kind: ErrorKind, word: str, detail: str, provider: str | None, *, prefix: str = ""
) -> OtpError:
    message = kind.message
    if detail:
        message = f"{message} ({_quote(detail)})"
    hint = kind.hint.replace("{provider}", provider or "PROVIDER")
    return kind.cls(f"{prefix}{message}", hint=hint, provider_word=word)


def _unknown_word(word: str, detail: str, provider: str | None) -> OtpError | None:
    # InstaOTP: "Error responses typically begin with ERROR_ or BAD_". A word of that
    # shape we have never seen is still clearly an error of that family.
    suffix = f" ({_quote(detail)})" if detail else ""
    if word.startswith("BAD_"):
        return BadInput(
            f"the provider rejected the request: {word}{suffix}",
            hint="check the options you passed (`otp buy --help`)",
            provider_word=word,
        )
    if word.startswith("ERROR_"):
        return ProviderError(
            f"the provider reported an error: {word}{suffix}",
            hint=_RETRY_LATER,
            provider_word=word,
        )
    return None


def _upstream_error(m: re.Match[str], provider: str | None) -> OtpError:
    server = m.group(1) or "?"
    inner = clean(m.group(2) or "")
    outer = f"ERROR_PROVIDER_{m.group(1)}" if m.group(1) else "ERROR_PROVIDER"
    word, _, detail = inner.partition(":")
    kind = ERRORS.get(word)
    prefix = f"upstream server {server} answered: "
    if kind is None:
        return ProviderError(
            f"the provider's upstream server {server} failed: {_quote(inner)}",
            hint="retry later or try another --server",
            provider_word=f"{outer}:{word}" if _WORD.match(word) else outer,
        )
    err = _make(kind, f"{outer}:{word}", detail, provider, prefix=prefix)
    # The word is about the provider's own supplier (OTPGet: "Upstream provider returned
    # unexpected response"), not the user's key, wallet or choice. The family rule keeps
    # the known word's class (exit code); only the advice changes, since "top up your
    # wallet" or "check the key" would send the user after the wrong thing.
    if kind.cls is AuthError:
        err.hint = (
            "the provider's upstream server refused it; try another --server or contact support"
        )
    elif kind.cls is NoBalance:
        err.hint = (
            f"the provider's own supplier (server {server}) failed, not your wallet: "
            "retry later or try another --server"
        )
    elif kind.cls is Unavailable:
        err.hint = (
            f"the provider's own supplier (server {server}) has none right now: "
            "try another --server or retry later"
        )
    return err


def error_for_word(text: str, *, provider: str | None = None) -> OtpError | None:
    """The typed error for a plain-text error reply, or None when `text` is not one."""
    t = clean(text)
    m = _UPSTREAM.match(t)
    if m:
        return _upstream_error(m, provider)
    word, _, detail = t.partition(":")
    kind = ERRORS.get(word)
    if kind is not None:
        return _make(kind, word, detail, provider)
    if _WORD.match(word):
        return _unknown_word(word, detail, provider)
    return None


_SUCCESS_STATUS = {"ok", "success", "true", "200", "201", "202"}
_FAILURE_STATUS = {"error", "err", "fail", "failed", "false"}


def _http_class(number: int) -> tuple[type[OtpError], str]:
    if number == 400:
        return BadInput, "check the options you passed"
    if number in (401, 403):
        return AuthError, _KEY_HINT
    if number == 402:
        return NoBalance, _TOP_UP
    if number == 404:
        return NotFound, "check the id or code you passed"
    return ProviderError, _RETRY_LATER


_WORD_FIELDS = ("error_code", "code", "error", "message", "msg")


def json_error(doc: Any, *, provider: str | None = None) -> OtpError | None:
    """The typed error for a JSON error document, or None when `doc` is not one.

    Accepts `{"status": "401", "message": "BAD_KEY"}` (OTPGet), `{"status": "ERROR",
    "message": "NO_BALANCE"}`, `{"error": "NO_BALANCE"}` and `{"status": "NO_NUMBERS"}`:
    a known word decides first, then the status number.
    """
    if not isinstance(doc, dict):
        return None
    status = doc.get("status")
    status_text = str(status).strip() if status is not None else ""
    if status_text.lower() in _SUCCESS_STATUS:
        return None
    message = next(
        (doc[k] for k in ("message", "error", "msg", "error_code") if isinstance(doc.get(k), str)),
        None,
    )
    # Any field may carry the word: a code field next to a human message decides too.
    words = [doc[k] for k in _WORD_FIELDS if isinstance(doc.get(k), str)]
    for candidate in (*words, status_text):
        if candidate:
            err = error_for_word(candidate.strip(), provider=provider)
            if err is not None:
                return err
    number = int(status_text) if status_text.isdigit() else None
    text = message or status_text
    if number is not None and number >= 400:
        cls, hint = _http_class(number)
        word = message.strip() if message and _WORD.match(message.strip()) else status_text
        return cls(
            f"the provider answered {number}: {_quote(text)}",
            hint=hint.replace("{provider}", provider or "PROVIDER"),
            provider_word=word,
        )
    failed = status_text.lower() in _FAILURE_STATUS or status is False
    if failed or ("error" in doc and doc["error"] not in (None, "", False, 0)):
        return ProviderError(
            f"the provider reported an error: {_quote(text or json.dumps(doc, default=str))}",
            hint=_RETRY_LATER,
            provider_word=status_text or None,
        )
    return None


def _load(text: str) -> Any:
    # parse_float keeps money exact: 18.50 must not become 18.4999...
    return json.loads(text, parse_float=Decimal)


def check(text: str, *, provider: str | None = None) -> str:
    """Raise the typed error if the reply is an error (plain or JSON); else return it cleaned."""
    t = clean(text)
    err = error_for_word(t, provider=provider)
    if err is None and t[:1] in ("{", "["):
        try:
            err = json_error(_load(t), provider=provider)
        except ValueError:
            err = None
    if err is not None:
        raise err
    return t


def unexpected(text: str, http_status: int = 200, *, what: str = "reply") -> ProtocolError:
    """The exit-9 error for a reply we do not understand; quotes at most 200 characters."""
    t = clean(text)
    label = what if http_status < 400 else f"HTTP {http_status} {what}"
    err = ProtocolError.unexpected(t, what=label)
    if t.startswith("<"):
        err.hint = (
            "the provider sent a web page instead of an API reply: check the base URL "
            "(`otp providers`) or retry later"
        )
    elif http_status >= 500:
        err.hint = "the provider is failing; retry later"
    else:
        err.hint = "retry later; if it persists the provider may have changed its API"
    return err


def parse_json(
    text: str, http_status: int = 200, *, provider: str | None = None, what: str = "reply"
) -> Any:
    """Decode a JSON reply (floats as Decimal) after raising any error it carries."""
    t = check(text, provider=provider)
    try:
        return _load(t)
    except ValueError:
        raise unexpected(t, http_status, what=what) from None


def to_decimal(value: Any) -> Decimal | None:
    """Money from a JSON value or a string; None when absent or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    try:
        result = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def to_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError):
        return None


def to_text(value: Any) -> str:
    """A JSON scalar as the string otpcli keeps (ids, phones): 91 and "91" are the same."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def parse_balance(text: str, http_status: int = 200, *, provider: str | None = None) -> Decimal:
    """`ACCESS_BALANCE:150.50` (or a JSON `{"balance": ...}`) → Decimal."""
    t = check(text, provider=provider)
    value: Any = None
    if t.startswith("ACCESS_BALANCE:"):
        value = t.partition(":")[2]
    elif t.startswith("{"):
        try:
            doc = _load(t)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            value = doc.get("balance")
    amount = to_decimal(value)
    if amount is None:
        raise unexpected(t, http_status, what="balance reply")
    return amount


def parse_number(
    text: str, http_status: int = 200, *, provider: str | None = None, prefix: str = "ACCESS_NUMBER"
) -> tuple[str, str]:
    """`ACCESS_NUMBER:id:phone` → (id, phone), both strings (ids may be alphanumeric)."""
    t = check(text, provider=provider)
    parts = t.split(":", 2)
    if len(parts) == 3 and parts[0] == prefix:
        activation_id, phone = parts[1].strip(), parts[2].strip()
        if activation_id and phone and not any(c.isspace() for c in activation_id + phone):
            return activation_id, phone
    raise unexpected(t, http_status, what="purchase reply")


def parse_status(
    text: str, activation_id: str, http_status: int = 200, *, provider: str | None = None
) -> StatusResult:
    """A getStatus reply → StatusResult. `STATUS_OK:` is split once: codes may hold ':'."""
    t = check(text, provider=provider)
    word, sep, rest = t.partition(":")
    rest = rest.strip()
    if word == "STATUS_OK" and sep and rest:
        return StatusResult(activation_id, State.CODE_RECEIVED, code=rest)
    if word == "STATUS_WAIT_RETRY" and sep:
        detail = "waiting for another code"
        if rest:
            detail += f" (last code: {rest})"
        return StatusResult(activation_id, State.WAITING, detail=detail)
    if not sep:
        simple = {
            "STATUS_WAIT_CODE": (State.WAITING, None),
            "STATUS_WAIT_RESEND": (State.WAITING, "waiting for the SMS to be resent"),
            "STATUS_CANCEL": (State.CANCELLED, None),
            "ACCESS_RETRY_GET": (State.WAITING, "waiting for another code"),
            "ACCESS_READY": (State.WAITING, "the number is ready for the SMS"),
            "ACCESS_ACTIVATION": (State.FINISHED, None),
            "ACCESS_FINISH": (State.FINISHED, None),
            "ACCESS_CANCEL": (State.CANCELLED, None),
        }.get(word)
        if simple is not None:
            return StatusResult(activation_id, simple[0], detail=simple[1])
    raise unexpected(t, http_status, what="status reply")


class Outcome(NamedTuple):
    """What a setStatus reply word means for the activation."""

    state: State
    refunded: bool
    message: str


ACTION_REPLIES: dict[str, Outcome] = {
    "ACCESS_CANCEL": Outcome(State.CANCELLED, True, "cancelled; the price is refunded"),
    "ACCESS_ACTIVATION": Outcome(State.FINISHED, False, "finished"),
    "ACCESS_FINISH": Outcome(State.FINISHED, False, "finished"),
    "ACCESS_RETRY_GET": Outcome(State.WAITING, False, "waiting for another SMS"),
    "ACCESS_READY": Outcome(State.WAITING, False, "the number is ready for the SMS"),
}


def parse_action(
    text: str,
    activation_id: str,
    action: str,
    http_status: int = 200,
    *,
    provider: str | None = None,
    replies: Mapping[str, Outcome] | None = None,
) -> ActionResult:
    """A setStatus reply → ActionResult. `replies` overrides words a provider redefines."""
    t = check(text, provider=provider)
    outcome = (replies or {}).get(t) or ACTION_REPLIES.get(t)
    if outcome is None:
        raise unexpected(t, http_status, what=f"{action} reply")
    return ActionResult(
        activation_id, action, outcome.state, outcome.message, refunded=outcome.refunded
    )


def parse_prices(doc: Any, *, currency: str | None = None) -> list[CatalogEntry]:
    """getPrices JSON `{"22": {"tg": {"cost": 12.5, "count": 140}}}` → one entry per pair."""
    if not isinstance(doc, dict):
        raise unexpected(json.dumps(doc, default=str), what="price list")
    entries: list[CatalogEntry] = []
    for country, services in doc.items():
        if not isinstance(services, dict):
            continue
        for service, info in services.items():
            if not isinstance(info, dict):
                continue
            entries.append(
                CatalogEntry(
                    service=to_text(service),
                    country=to_text(country),
                    price=to_decimal(info.get("cost", info.get("price"))),
                    currency=currency,
                    stock=to_int(info.get("count", info.get("qty"))),
                )
            )
    return entries


def parse_countries(doc: Any) -> list[Country]:
    """getCountries JSON, keyed `{"22": {"id": 22, "eng": "India"}}` or a list of objects."""
    items: list[tuple[str, Any]]
    if isinstance(doc, dict):
        items = [(to_text(k), v) for k, v in doc.items()]
    elif isinstance(doc, list):
        items = [("", v) for v in doc]
    else:
        raise unexpected(json.dumps(doc, default=str), what="country list")
    countries: list[Country] = []
    for key, info in items:
        if not isinstance(info, dict):
            continue
        cid = to_text(info.get("id", key)) or key
        name = to_text(info.get("eng") or info.get("name") or info.get("rus")) or cid
        if cid:
            countries.append(Country(id=cid, name=name))
    return countries
