"""How the simulator speaks each host family: the rendering side of the dialect tables.

Contract: pure data and one lookup, no I/O. `otpcli.providers.dialects` says what each host
family's replies mean and is read-only here; this module adds only what the simulator
needs to *answer* as that family does (sources in brackets are those of
`otpcli.providers.dialects`, plus [py-saru]: PyPI `smsactivateru` 1.2.6):

- `RENDERINGS[name]` for every name of `DIALECTS`, and `DEFAULT` for a sandbox started
  without a dialect (`otp --sandbox`, `otp sandbox serve` without `--dialect`,
  `OTPCLI_SANDBOX_DIALECT` unset). `DEFAULT` has the `smsactivate` row's shapes and
  actions but keeps every word the sandbox always sent: it stands in for otp's own
  providers too (OTPX, OTPGet, InstaOTP, SastaOTP), whose documents use them.
- which actions it serves beyond the family's base set, which `setStatus` values it takes
  (and which rule of `otpcli.sandbox.state` each one means);
- how a `Refusal(word, reason, detail)` of the simulator's rules is worded there: the word
  (a `{detail}` in it is replaced by the refusal's detail), and where errors are JSON
  (`Dialect.json_errors`) the HTTP status (`JSON_ERROR_STATUS`, 400 for a word it does not
  list, unless the row gives one; 200 means "a plain word even here", as hero-sms sends
  `NO_NUMBERS`) and the `details` text;
- the currency named in `getNumberV2` / `getActiveActivations`, the JSON type of
  `countryCode`, whether `countryPhoneCode` is sent, what an empty list of open orders is.

Words no client library of a family knows are never sent to it; each is mapped to the
family's nearest word:

| default sandbox word (reason) | smsactivate, grizzlysms | smshub      | herosms               |
|-------------------------------|-------------------------|-------------|-----------------------|
| STATUS_ALREADY_CHANGED closed | BAD_STATUS              | BAD_STATUS  | 409 ACTIVATION_NOT_... |
| STATUS_ALREADY_CHANGED (code) | BAD_STATUS              | BAD_STATUS  | 409 OTP_RECEIVED      |
| NO_SMS_RECEIVED               | BAD_STATUS              | BAD_STATUS  | 409 BAD_STATUS        |
| BAD_COUNTRY                   | BAD_SERVICE             | BAD_SERVICE | 400 WRONG_COUNTRY     |
| MAX_PRICE_EXCEEDED            | WRONG_MAX_PRICE:<price> | NO_NUMBERS  | 402 WRONG_MAX_PRICE   |
| NO_ACTIVATION                 | NO_ACTIVATION           | NO_ACTIVATION | 404 NOT_FOUND       |
| BAD_KEY / BAD_ACTION          | the same word           | the same word | 401 / 422           |
| NO_BALANCE / NO_NUMBERS       | the same word           | the same word | 402 / plain, 200    |

Why: `BAD_STATUS` is the word every classic client knows for a refused status change
([sa-py], [aio], [py-saru], [grizzly]); the classic tables have no country word a Python
client knows, and `BAD_SERVICE` ("incorrect service") is the nearest input error;
`WRONG_MAX_PRICE:<min>` is sms-activate's word with the current price ([sa-doc], [aio]);
smshub documents no price word ([smshub]), and no number at that price is `NO_NUMBERS`.
hero-sms answers with a status and a title ([usa], [hero-py]): 409 is its "conflict with
the activation's state", `OTP_RECEIVED` its word for a cancel after the code ([usa]),
`WRONG_COUNTRY` / `WRONG_MAX_PRICE` are in its error table ([usa]).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from otpcli.providers.dialects import CURRENCIES, DIALECTS, JSON_ERROR_STATUS, WORDS, Dialect
from otpcli.sandbox.catalog import CURRENCY


class Word(NamedTuple):
    """A refusal as one dialect words it."""

    word: str  # may hold `{detail}`
    status: int | None = None  # JSON-error hosts: None = JSON_ERROR_STATUS or 400
    details: str = ""  # JSON-error hosts: the `details` text ("" = a generic one)


class Rendering(NamedTuple):
    name: str  # "" for the default sandbox
    dialect: Dialect
    actions: frozenset[str]  # served beyond BASE_ACTIONS
    statuses: Mapping[str, str]  # setStatus value -> the state's rule ("1", "3", "6", "8")
    words: Mapping[tuple[str, str], Word]  # (word, reason) -> wording; reason "" = any
    currency: str | int  # `currency` in getNumberV2 / getActiveActivations
    int_country: bool  # `countryCode` as a JSON number (else a string)
    phone_code: bool  # send `countryPhoneCode` in getNumberV2
    none_open: str | None  # getActiveActivations with nothing open: a word, or None = []
    list_keys: tuple[str, ...]  # keys holding the list of open activations


# The family's actions every dialect serves: [sa-doc], [sa-py], [aio], [hero-py].
BASE_ACTIONS = frozenset(
    {
        "getBalance",
        "getBalanceAndCashBack",
        "getNumber",
        "getStatus",
        "getFullSms",
        "setStatus",
        "getPrices",
        "getCountries",
        "getNumbersStatus",
        "getTopCountriesByService",
        "getServicesList",
        "getOperators",
    }
)

# getNumbersStatus keys [py-saru] requires all of (its `ServiceStorage.names`); services
# the sandbox does not sell are listed with 0 numbers.
CLASSIC_COUNT_KEYS: tuple[str, ...] = (
    "vk_0",
    "ok_0",
    "wa_0",
    "vi_0",
    "tg_0",
    "wb_0",
    "go_0",
    "av_0",
    "av_1",
    "fb_0",
    "tw_0",
    "ot_0",
    "ot_1",
    "ub_0",
    "qw_0",
    "gt_0",
    "sn_0",
    "ig_0",
    "ss_0",
    "ym_0",
    "ym_1",
    "ma_0",
    "mm_0",
    "uk_0",
    "me_0",
    "mb_0",
    "we_0",
    "bd_0",
    "kp_0",
    "dt_0",
    "ya_0",
    "ya_1",
    "mt_0",
    "oi_0",
    "fd_0",
    "zz_0",
    "kt_0",
    "pm_0",
    "tn_0",
)

# setStatus: 1 ready, 3 another SMS, 6 finish, 8 cancel; -1 is the older cancel
# ([grizzly] "-1 — cancel activation", sms-activate's old setStatus doc; [py-saru] sends
# it). hero-sms takes 3, 6 and 8 only ([usa]); smshub's -1 has no source.
_CLASSIC_STATUSES = MappingProxyType({"1": "1", "3": "3", "6": "6", "8": "8", "-1": "8"})
_HERO_STATUSES = MappingProxyType({"3": "3", "6": "6", "8": "8"})
_HUB_STATUSES = MappingProxyType({"1": "1", "3": "3", "6": "6", "8": "8"})

_CLASSIC_WORDS: Mapping[tuple[str, str], Word] = MappingProxyType(
    {
        ("STATUS_ALREADY_CHANGED", ""): Word("BAD_STATUS"),
        ("NO_SMS_RECEIVED", ""): Word("BAD_STATUS"),
        ("BAD_COUNTRY", ""): Word("BAD_SERVICE"),
        ("MAX_PRICE_EXCEEDED", ""): Word("WRONG_MAX_PRICE:{detail}"),
    }
)
_HUB_WORDS = MappingProxyType({**_CLASSIC_WORDS, ("MAX_PRICE_EXCEEDED", ""): Word("NO_NUMBERS")})
_NOT_ACTIVE = Word("ACTIVATION_NOT_ACTIVE", 409, "Activation is not active")
_HERO_WORDS: Mapping[tuple[str, str], Word] = MappingProxyType(
    {
        # recorded by [usa]: 401, 404 and 422 with these exact bodies
        ("BAD_KEY", ""): Word("BAD_KEY", 401, "Unauthorized"),
        ("NO_ACTIVATION", ""): Word("NOT_FOUND", 404, "Activation Not Found"),
        ("BAD_ACTION", ""): Word("BAD_ACTION", 422, "Method Not Found"),
        # live-verified by [usa]: NO_NUMBERS stays plain text with HTTP 200
        ("NO_NUMBERS", ""): Word("NO_NUMBERS", 200),
        ("NO_BALANCE", ""): Word("NO_BALANCE", 402, "Not enough funds"),  # [usa] test
        ("STATUS_ALREADY_CHANGED", "closed"): _NOT_ACTIVE,
        ("STATUS_ALREADY_CHANGED", "code_arrived"): Word(
            "OTP_RECEIVED",
            409,
            "code already delivered",  # [usa] test
        ),
        ("STATUS_CANCEL", "closed"): _NOT_ACTIVE,  # getStatusV2 of a closed activation
        ("NO_SMS_RECEIVED", ""): Word("BAD_STATUS", 409, "No SMS has been received yet"),
        ("BAD_COUNTRY", ""): Word("WRONG_COUNTRY", 400, "Wrong country"),
        ("MAX_PRICE_EXCEEDED", ""): Word("WRONG_MAX_PRICE", 402, "The current price is {detail}"),
        ("EARLY_CANCEL_DENIED", ""): Word(
            "EARLY_CANCEL_DENIED", 409, "Activation cannot be cancelled yet"
        ),
    }
)


def _numeric(currency: str | None) -> str | int:
    """The ISO 4217 number of a dialect's currency ([hero-py] `Currency`), else PLAY."""
    for number, name in CURRENCIES.items():
        if name == currency:
            return int(number)
    return CURRENCY


_V2 = frozenset({"getNumberV2", "getStatusV2", "getActiveActivations"})

RENDERINGS: Mapping[str, Rendering] = MappingProxyType(
    {
        # A name is allowed for the currency: no sms-activate client models the field
        # ([aio] `Number` has none, [sa-py] returns the raw dict).
        "smsactivate": Rendering(
            "smsactivate",
            DIALECTS["smsactivate"],
            _V2 | {"getPricesExtended"},  # [aio] get_activation_status, get_service
            _CLASSIC_STATUSES,
            _CLASSIC_WORDS,
            CURRENCY,
            int_country=False,  # [aio] `Number.countryCode: str`
            phone_code=False,
            none_open="NO_ACTIVATIONS",  # [aio] "no active activations"
            list_keys=("activeActivations",),
        ),
        "herosms": Rendering(
            "herosms",
            DIALECTS["herosms"],
            _V2 | {"cancelActivation", "finishActivation"},  # [usa] HTTP 204, [hero-py]
            _HERO_STATUSES,
            _HERO_WORDS,
            _numeric(DIALECTS["herosms"].currency),  # [hero-py] `currency: int` (840)
            int_country=True,  # [hero-py] `countryCode: int`
            phone_code=True,  # [usa] live-shaped getNumberV2
            none_open=None,
            # [hero-py] reads `data`; sms-activate clients read `activeActivations`
            list_keys=("activeActivations", "data"),
        ),
        # getStatusV2 is not documented by grizzly: answered BAD_ACTION.
        "grizzlysms": Rendering(
            "grizzlysms",
            DIALECTS["grizzlysms"],
            frozenset({"getNumberV2", "getActiveActivations"}),
            _CLASSIC_STATUSES,
            _CLASSIC_WORDS,
            _numeric(DIALECTS["grizzlysms"].currency),  # numeric, like its clients' 840
            int_country=False,
            phone_code=False,
            none_open="NO_ACTIVATIONS",
            list_keys=("activeActivations",),
        ),
        "smshub": Rendering(
            "smshub",
            DIALECTS["smshub"],
            frozenset(),  # no V2 actions and no list of open orders ([smshub])
            _HUB_STATUSES,
            _HUB_WORDS,
            CURRENCY,
            int_country=False,
            phone_code=False,
            none_open="NO_ACTIVATIONS",
            list_keys=("activeActivations",),
        ),
    }
)

DEFAULT = RENDERINGS["smsactivate"]._replace(name="", words=MappingProxyType({}))


def get(name: str | None) -> Rendering:
    """The rendering called `name` (None or "": the default); KeyError names the known ones."""
    if not name:
        return DEFAULT
    try:
        return RENDERINGS[name]
    except KeyError:
        raise KeyError(f"unknown dialect {name!r}; known: {', '.join(RENDERINGS)}") from None


def word_for(rendering: Rendering, word: str, reason: str = "") -> Word:
    """How `rendering` words the sandbox refusal `word` (given for `reason`)."""
    words = rendering.words
    return words.get((word, reason)) or words.get((word, "")) or Word(word)


def json_error(rendering: Rendering, word: Word, detail: str) -> tuple[int, str, str] | None:
    """(HTTP status, title, details) where `rendering` sends this refusal as a JSON error;
    None where it is a plain word with HTTP 200."""
    if not rendering.dialect.json_errors or word.status == 200:
        return None
    title = word.word.format(detail=detail).split(":", 1)[0]
    status = word.status or JSON_ERROR_STATUS.get(title, 400)
    known = WORDS.get(title)
    details = word.details or (known.message if known else title)
    return status, title, details.format(detail=detail)
