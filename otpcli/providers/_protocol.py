"""The shared sms-activate protocol: reply text in, typed result or typed error out.

Contract: pure functions, no I/O. Every parser takes the reply text (a BOM, a trailing
newline and surrounding whitespace are tolerated) and, where it matters, the HTTP status.
It returns a typed value (money as Decimal, ids and phone numbers as strings) or raises
an `OtpError` subclass whose exit code follows DESIGN §3, whose `provider_word` is the
provider's own word and whose `hint` names the next step. Error words are accepted in
every reply, plain (`NO_BALANCE`) or as JSON (`{"status":"401","message":"BAD_KEY"}`).
A reply that is neither a known success form nor a known error raises `ProtocolError`
(exit 9) quoting at most 200 characters of it. So does a reply nested too deeply to
decode, and an id, a phone number or a code that is not `printable` text: a terminal
would act on its control characters, and a purchase must never "succeed" with one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from otpcli.domain.errors import (
    AuthError,
    BadInput,
    NoBalance,
    NotFound,
    OrderStateError,
    OtpError,
    ProtocolError,
    ProviderError,
    Refused,
    Unavailable,
)
from otpcli.domain.models import (
    ActionResult,
    Activation,
    CatalogEntry,
    Country,
    State,
    StatusResult,
)
from otpcli.providers import dialects
from otpcli.providers.dialects import ErrorKind

QUOTE_MAX = 200

# A provider word: upper-case, at most 64 characters (a longer "word" is garbage whose
# quote must stay short, not a word to repeat in full).
WORD = re.compile(r"[A-Z][A-Z0-9_]{0,63}\Z")
_UPSTREAM = re.compile(r"ERROR_PROVIDER(?:_(\d+))?(?::(.*))?\Z", re.DOTALL)


# One table for every error word of the sms-activate family, with the public source of
# each row: see `dialects`. Replies are read with all of them (hosts borrow words).
ERRORS = dialects.WORDS
KEY_HINT = dialects.KEY_HINT
_TOP_UP = dialects.TOP_UP
_RETRY_LATER = dialects.RETRY_LATER


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
            provider_word=f"{outer}:{word}" if WORD.match(word) else outer,
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
    if WORD.match(word):
        return _unknown_word(word, detail, provider)
    sentence = dialects.SENTENCES.get(t.rstrip(".!").lower())
    if sentence is not None:
        return _make(sentence, t, "", provider)
    return None


_SUCCESS_STATUS = {"ok", "success", "true", "200", "201", "202"}
_FAILURE_STATUS = {"error", "err", "fail", "failed", "false"}


def _http_class(number: int) -> tuple[type[OtpError], str]:
    """The error an HTTP status means when the body names no word we know.

    After [hero-py]'s `_STATUS_MAP`: 400/422 the request, 401/403 the key, 402 money,
    404 no such order, 409 the order's state; 429 and other 4xx refuse without doing
    anything (`Refused`); 5xx is the provider failing."""
    if number in (400, 422):
        return BadInput, "check the options you passed"
    if number in (401, 403):
        return AuthError, KEY_HINT
    if number == 402:
        return NoBalance, _TOP_UP
    if number == 404:
        return NotFound, "check the id or code you passed"
    if number == 409:
        return OrderStateError, dialects.CHECK_STATUS
    if 400 <= number < 500:
        return Refused, _RETRY_LATER
    return ProviderError, _RETRY_LATER


_WORD_FIELDS = ("title", "error_code", "code", "error", "message", "msg")
_DETAIL_FIELDS = ("details", "detail", "description", "message", "msg")


def _detail_of(doc: dict[str, Any], used: str) -> str:
    for key in _DETAIL_FIELDS:
        value = doc.get(key)
        if isinstance(value, str) and value.strip() and value.strip() != used:
            return value.strip()
    return ""


def _word_error(doc: dict[str, Any], status_text: str, provider: str | None) -> OtpError | None:
    """A known word in any field decides: a code field next to a human message too."""
    words = [doc[k] for k in _WORD_FIELDS if isinstance(doc.get(k), str)]
    for candidate in (*words, status_text):
        if not candidate:
            continue
        err = error_for_word(candidate.strip(), provider=provider)
        if err is not None:
            detail = _detail_of(doc, candidate.strip())
            if detail and detail not in err.message:
                err.message = f"{err.message} ({_quote(detail)})"
                err.args = (err.message,)
            return err
    return None


def json_error(doc: Any, *, provider: str | None = None, http_status: int = 200) -> OtpError | None:
    """The typed error for a JSON error document, or None when `doc` is not one.

    Accepts `{"status": "401", "message": "BAD_KEY"}` (OTPGet), `{"status": "ERROR",
    "message": "NO_BALANCE"}`, `{"error": "NO_BALANCE"}`, `{"status": "NO_NUMBERS"}` and
    hero-sms's `{"title": "NO_BALANCE", "details": "..."}` (sent with an HTTP 4xx): a
    known word decides first, then the status number (the body's, else the HTTP one).
    """
    if not isinstance(doc, dict):
        return None
    status = doc.get("status")
    status_text = str(status).strip() if status is not None else ""
    if status_text.lower() in _SUCCESS_STATUS:
        return None
    err = _word_error(doc, status_text, provider)
    if err is not None:
        return err
    message = next(
        (
            doc[k]
            for k in ("message", "error", "msg", "error_code", "title", "details")
            if isinstance(doc.get(k), str)
        ),
        None,
    )
    number = int(status_text) if status_text.isdigit() else None
    if number is None and http_status >= 400:
        number = http_status
    text = message or status_text
    if number is not None and number >= 400:
        cls, hint = _http_class(number)
        named = next((doc[k] for k in ("title", "error", "message") if _is_word(doc.get(k))), None)
        return cls(
            f"the provider answered {number}: {_quote(text or json.dumps(doc, default=str))}",
            hint=hint.replace("{provider}", provider or "PROVIDER"),
            provider_word=named or status_text or None,
        )
    failed = status_text.lower() in _FAILURE_STATUS or status is False
    if failed or ("error" in doc and doc["error"] not in (None, "", False, 0)):
        return ProviderError(
            f"the provider reported an error: {_quote(text or json.dumps(doc, default=str))}",
            hint=_RETRY_LATER,
            provider_word=status_text or None,
        )
    return None


def _is_word(value: Any) -> bool:
    return isinstance(value, str) and bool(WORD.match(value.strip()))


def load(text: str) -> Any:
    """The JSON document; ValueError (as for any garbage) when it cannot be decoded."""
    try:
        # parse_float keeps money exact: 18.50 must not become 18.4999...
        return json.loads(text, parse_float=Decimal)
    except RecursionError:
        # `[[[[...]]]]` thousands deep: garbage like any other, not a crash.
        raise ValueError("JSON nested too deeply") from None


def printable(value: str) -> bool:
    """True for an id, phone number or code a terminal shows as it is: not empty, no
    control or escape characters, no whitespace."""
    return bool(value) and value.isprintable() and " " not in value


def check(text: str, *, provider: str | None = None, http_status: int = 200) -> str:
    """Raise the typed error if the reply is an error (plain or JSON); else return it cleaned."""
    t = clean(text)
    err = error_for_word(t, provider=provider)
    if err is None and t[:1] in ("{", "["):
        try:
            err = json_error(load(t), provider=provider, http_status=http_status)
        except (ValueError, RecursionError):
            err = None
    if err is None and http_status >= 400 and not t.startswith(("ACCESS_", "STATUS_")):
        # An error status whose body names nothing we know: the status decides. A
        # success word under an error status is still read (it may carry a bought number).
        err = unexpected(t, http_status)
    if err is not None:
        raise _conflict(err, http_status)
    return t


def _conflict(err: OtpError, http_status: int) -> OtpError:
    """HTTP 409 says the order's state forbids the request ([hero-py] ConflictError):
    a word that alone would read as bad input (hero-sms's 409 BAD_STATUS on a finish
    before the code) is then an order-state refusal, exit 8."""
    if http_status != 409 or type(err) is not BadInput:
        return err
    return OrderStateError(err.message, hint=dialects.CHECK_STATUS, provider_word=err.provider_word)


def unexpected(text: str, http_status: int = 200, *, what: str = "reply") -> OtpError:
    """The error for a reply no parser understood; quotes at most 200 characters.

    With an HTTP 4xx status the host refused the request without doing it, so the
    status decides (`_http_class`); an error page for a wrong URL is `Refused` with a
    pointer to the base URL. With 200 or 5xx the reply is unreadable: `ProtocolError`,
    which a purchase turns into "outcome unknown"."""
    t = clean(text)
    if 400 <= http_status < 500:
        return _refusal(t, http_status, what)
    label = what if http_status < 400 else f"HTTP {http_status} {what}"
    err = ProtocolError.unexpected(t, what=label)
    word = t.partition(":")[0]
    if WORD.match(word):
        err.provider_word = word
        err.message = f"the provider answered {word}, a word otp does not know ({_quote(t)})"
        err.args = (err.message,)
        err.hint = "otp treats it as a failure; retry later, and report the word if it persists"
    elif t.startswith("<"):
        err.hint = (
            "the provider sent a web page instead of an API reply: check the base URL "
            "(`otp providers`) or retry later"
        )
    elif http_status >= 500:
        err.hint = "the provider is failing; retry later"
    else:
        err.hint = "retry later; if it persists the provider may have changed its API"
    return err


_URL_HINT = (
    "check the base URL: it is the folder that holds handler_api.php "
    "(`otp profile show`, `otp providers`)"
)


def _refusal(t: str, http_status: int, what: str) -> OtpError:
    word = t.partition(":")[0]
    page = not t or t.startswith("<") or not WORD.match(word)
    if http_status == 404 and page:
        refused = Refused(
            f"the provider answered HTTP 404 instead of a {what}: no API at that address "
            f"({_quote(t)}); nothing was done",
            hint=_URL_HINT,
        )
        refused.http_status = 404
        return refused
    cls, hint = _http_class(http_status)
    retryable = http_status == 429
    if retryable:
        hint = "the provider is rate-limiting: wait a minute, or poll less often (--interval)"
    err = cls(
        f"the provider refused the {what} with HTTP {http_status} ({_quote(t)})",
        hint=hint.replace("{provider}", "PROVIDER"),
        provider_word=None if page else word,
    )
    if isinstance(err, Refused):
        err.retryable = retryable
    return err


def parse_json(
    text: str, http_status: int = 200, *, provider: str | None = None, what: str = "reply"
) -> Any:
    """Decode a JSON reply (floats as Decimal) after raising any error it carries."""
    t = check(text, provider=provider, http_status=http_status)
    try:
        return load(t)
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
    t = check(text, provider=provider, http_status=http_status)
    value: Any = None
    if t.startswith("ACCESS_BALANCE:"):
        value = t.partition(":")[2]
    elif t.startswith("{"):
        try:
            doc = load(t)
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
    t = check(text, provider=provider, http_status=http_status)
    parts = t.split(":", 2)
    if len(parts) == 3 and parts[0] == prefix:
        activation_id, phone = parts[1].strip(), parts[2].strip()
        if printable(activation_id) and printable(phone):
            return activation_id, phone
    raise unexpected(t, http_status, what="purchase reply")


def parse_status(
    text: str, activation_id: str, http_status: int = 200, *, provider: str | None = None
) -> StatusResult:
    """A getStatus reply → StatusResult. `STATUS_OK:` is split once: codes may hold ':'."""
    t = check(text, provider=provider, http_status=http_status)
    word, sep, rest = t.partition(":")
    rest = rest.strip()
    if word == "STATUS_OK" and sep and rest:
        return code_status(activation_id, rest)
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
            # [aio]: "The number has been blocked, and your funds have been refunded."
            "STATUS_REVOKE": (State.CANCELLED, "the number was blocked; the price is refunded"),
            # [aio], [sa-py]: the word of a closed (paid and completed) order.
            "STATUS_FINISH": (State.FINISHED, None),
        }.get(word)
        if simple is not None:
            return StatusResult(activation_id, simple[0], detail=simple[1])
    raise unexpected(t, http_status, what="status reply")


# What a provider may put after STATUS_OK: the bare code (`7421`, `G-7421`, `AB12CD`).
# Anything longer or with spaces is the message itself, whose code is extracted.
_BARE_CODE = re.compile(r"(?=[^\s]*\d)[A-Za-z0-9:-]{3,16}\Z")


def code_status(activation_id: str, received: str, text: str | None = None) -> StatusResult:
    """The `code_received` result for what a host sent as "the code".

    Hosts put either the code or the whole SMS there (`STATUS_OK:Dein OpenAI API
    Sicherheitscode lautet: 194130`). A bare code is kept as given; a message gives the
    code `extract_code` finds in it, with the message as `text`. When no code can be
    found with confidence, `code` is None and `text` holds the message: the caller shows
    the text and says no code was found (exit 10), never a guess."""
    received = received.strip()
    if _BARE_CODE.match(received):
        return StatusResult(activation_id, State.CODE_RECEIVED, code=received, text=text)
    from otpcli.domain.codes import extract_code

    full = text or received
    code = extract_code(received) or (extract_code(text) if text else None)
    return StatusResult(activation_id, State.CODE_RECEIVED, code=checked_code(code), text=full)


def checked_code(code: str | None) -> str | None:
    """`code` itself when it is printable (or None); else the reply is garbage."""
    if code is not None and not printable(code):
        raise ProtocolError.unexpected(code, what="code")
    return code


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


# What an empty 204 means, per meaning of the request.
_NO_CONTENT: dict[str, Outcome] = {
    "cancel": ACTION_REPLIES["ACCESS_CANCEL"],
    "finish": ACTION_REPLIES["ACCESS_ACTIVATION"],
    "another": ACTION_REPLIES["ACCESS_RETRY_GET"],
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
    """A setStatus reply → ActionResult. `replies` overrides words a provider redefines.

    An empty HTTP 204 is success: hero-sms answers its cancel and finish that way [usa]."""
    t = check(text, provider=provider, http_status=http_status)
    if t.startswith("STATUS_OK:") and t[10:].strip() and action != "finish":
        # Some hosts answer a cancel that came too late with the code itself: a refusal
        # whose code the driver reads back (`dialects.CODE_ARRIVED`), never a success.
        raise OrderStateError(
            f"the {action} was refused: a code has arrived ({_quote(t)})",
            hint=dialects.CHECK_STATUS,
            provider_word="STATUS_OK",
        )
    outcome = (replies or {}).get(t) or ACTION_REPLIES.get(t)
    if outcome is None and http_status == 204 and not t:
        outcome = _NO_CONTENT.get(action)
    if outcome is None:
        raise unexpected(t, http_status, what=f"{action} reply")
    wanted = _NO_CONTENT.get(action)
    if wanted is not None and outcome.state is not wanted.state:
        # A cancel answered "finished" got no refund: never a success of the cancel.
        raise OrderStateError(
            f"asked to {action} it, the provider answered {t}: the activation is "
            f"{outcome.state.value}",
            hint=dialects.CHECK_STATUS,
            provider_word=t,
        )
    return ActionResult(
        activation_id, action, outcome.state, outcome.message, refunded=outcome.refunded
    )


def _offer(info: Any) -> tuple[Decimal | None, int | None] | None:
    """(price, stock) of one price-list cell, in each published shape, or None.

    `{"cost": 12.5, "count": 140}` (sms-activate, hero-sms [usa]; `price`/`qty` at
    some hosts) or smshub's `{"12.5": 140, "14": 3}`, price → numbers at that price
    [smshub]: the cheapest price that has numbers, and the numbers at every price."""
    if not isinstance(info, dict):
        return None
    if any(k in info for k in ("cost", "price", "count", "qty")):
        return (
            to_decimal(info.get("cost", info.get("price"))),
            to_int(info.get("count", info.get("qty"))),
        )
    tiers = [(to_decimal(k), to_int(v)) for k, v in info.items()]
    if not tiers or any(p is None or n is None for p, n in tiers):
        return None
    stocked = [p for p, n in tiers if n] or [p for p, _ in tiers]
    return min(p for p in stocked if p is not None), sum(n or 0 for _, n in tiers)


def parse_prices(doc: Any, *, currency: str | None = None) -> list[CatalogEntry]:
    """getPrices JSON `{"22": {"tg": {"cost": 12.5, "count": 140}}}` (or smshub's
    `{"22": {"tg": {"12.5": 140}}}`) → one entry per (country, service) pair."""
    if not isinstance(doc, dict):
        raise unexpected(json.dumps(doc, default=str), what="price list")
    entries: list[CatalogEntry] = []
    unread = 0
    for country, services in doc.items():
        if not isinstance(services, dict):
            unread += 1
            continue
        for service, info in services.items():
            offer = _offer(info)
            if offer is None:
                unread += 1
                continue
            entries.append(
                CatalogEntry(
                    service=to_text(service),
                    country=to_text(country),
                    price=offer[0],
                    currency=currency,
                    stock=offer[1],
                )
            )
    if unread and not entries:
        # Something that is no price list at all: never shown as an empty catalog.
        raise unexpected(json.dumps(doc, default=str)[:QUOTE_MAX], what="price list")
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


def currency_of(value: Any) -> str | None:
    """A reply's currency: ISO 4217 numeric codes (hero-sms's `840` [usa]) as letters."""
    text = to_text(value)
    if not text:
        return None
    return dialects.CURRENCIES.get(text, text if text.isalpha() else None)


def _lifetime(doc: Mapping[str, Any]) -> int | None:
    """Seconds between `activationTime` and `activationEndTime` (same clock, no zone)."""
    from datetime import datetime

    try:
        start = datetime.fromisoformat(to_text(doc.get("activationTime")))
        end = datetime.fromisoformat(to_text(doc.get("activationEndTime")))
    except ValueError:
        return None
    seconds = int((end - start).total_seconds())
    return seconds if seconds > 0 else None


def parse_number_v2(
    text: str,
    http_status: int = 200,
    *,
    service: str,
    country: str | None,
    provider: str | None = None,
) -> Activation:
    """A getNumberV2 reply → Activation with price, currency and lifetime.

    `{"activationId": 635468024, "phoneNumber": "79584...", "activationCost": "12.5",
    "currency": 840, "countryCode": 6, "activationTime": ..., "activationEndTime": ...,
    "canGetAnotherSms": true}` ([usa]'s live-shaped example). A host that answers the V1
    form `ACCESS_NUMBER:id:phone` instead is read as such."""
    t = check(text, provider=provider, http_status=http_status)
    if t.startswith("ACCESS_NUMBER"):
        activation_id, phone = parse_number(t, http_status, provider=provider)
        return Activation(activation_id, phone, service, country)
    doc = parse_json(t, http_status, provider=provider, what="purchase reply")
    if not isinstance(doc, dict):
        raise unexpected(t, http_status, what="purchase reply")
    activation_id = to_text(doc.get("activationId"))
    phone = to_text(doc.get("phoneNumber"))
    if not (printable(activation_id) and printable(phone)):
        raise unexpected(t, http_status, what="purchase reply")
    price = to_decimal(doc.get("activationCost"))
    again = doc.get("canGetAnotherSms")
    return Activation(
        activation_id,
        phone,
        service,
        to_text(doc.get("countryCode")) or country,
        price=price,
        currency=currency_of(doc.get("currency")) if price is not None else None,
        expires_in=_lifetime(doc),
        multi_sms=None if again is None else to_text(again).lower() in ("1", "true"),
    )


def active_rows(text: str, http_status: int = 200, *, provider: str | None = None) -> list[Any]:
    """getActiveActivations → its rows: `{"status": "success", "activeActivations":
    [...]}` (sms-activate), `{"data": [...]}` (what the herosms client reads), or a bare
    list; `NO_ACTIVATIONS` (none open, [aio]) is an empty list."""
    try:
        doc = parse_json(text, http_status, provider=provider, what="activation list")
    except NotFound as exc:
        if (exc.provider_word or "") == "NO_ACTIVATIONS":
            return []
        raise
    rows = doc
    if isinstance(doc, dict):
        rows = doc.get("activeActivations", doc.get("data"))
    if not isinstance(rows, list):
        raise unexpected(clean(text), http_status, what="activation list")
    # A row whose id is not printable is no order otp could have bought: skipped.
    return [r for r in rows if isinstance(r, dict) and printable(to_text(r.get("activationId")))]


def _sms_text(value: Any) -> str | None:
    # smsText may be a list, or a list encoded as a JSON string: '["Your code: 1234"]'.
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            return value.strip() or None
    if isinstance(value, list):
        value = " / ".join(to_text(v) for v in value if to_text(v))
    return to_text(value) or None


# activationStatus values of a listed activation that close it ([sa-doc] setStatus).
_ACTIVE_CLOSED = {"6": State.FINISHED, "8": State.CANCELLED}


def active_status(row: Mapping[str, Any]) -> StatusResult:
    """One getActiveActivations row → the activation's status (its code if it has one)."""
    activation_id = to_text(row.get("activationId"))
    closed = _ACTIVE_CLOSED.get(to_text(row.get("activationStatus")))
    if closed is not None:
        return StatusResult(activation_id, closed)
    code = row.get("smsCode")
    if isinstance(code, list):
        code = next((c for c in reversed(code) if to_text(c)), None)
    text = _sms_text(row.get("smsText"))
    if to_text(code) or text:
        return code_status(activation_id, to_text(code) or (text or ""), text=text)
    return StatusResult(activation_id, State.WAITING)


def active_activation(row: Mapping[str, Any]) -> Activation:
    """One getActiveActivations row → the Activation it was bought as."""
    price = to_decimal(row.get("activationCost"))
    return Activation(
        to_text(row.get("activationId")),
        to_text(row.get("phoneNumber")),
        to_text(row.get("serviceCode")),
        to_text(row.get("countryCode")) or None,
        price=price,
        currency=currency_of(row.get("currency")) if price is not None else None,
    )
