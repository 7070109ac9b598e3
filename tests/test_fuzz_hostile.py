"""Fuzzing at the edges (issue 11): 1,000 generated command lines through the real app
and 500+ generated provider replies through every driver and product parser.

Command lines: typer.testing.CliRunner, isolated config and state (conftest), a
`responses`-mocked provider answering every request with generated garbage, a fake
clock for waits. Never exit 1, never a traceback, never the key or an 8-character
fragment of it in any case, never a raw escape character.

Replies: random text, bytes, control characters, JSON nested thousands deep or cut
short, huge bodies, under random HTTP statuses, to every action of every driver (SMS,
cheap, rental, e-mail). The answer is a typed result or an `OtpError` with a documented
exit code, and a purchase never "succeeds" with an id or number that is not printable.
Budget: about 20 s together (hypothesis settings below).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otpcli import providers
from otpcli.domain import clock as clock_mod
from otpcli.domain.clock import FakeClock
from otpcli.domain.errors import ExitCode, OtpError
from otpcli.domain.provider import ProviderOptions
from otpcli.providers._protocol import printable
from tests.cli_helpers import run
from tests.test_hostile import TOKENS

KEY = "FuZzKeY-9f8E7d6C5b4A3"
BASE = "https://fuzz.test/stubs"
URL_RE = re.compile(r"https://fuzz\.test/.*")
EXIT_CODES = {int(c) for c in ExitCode} - {int(ExitCode.INTERNAL)}
FRAGMENTS = {KEY.lower()[i : i + 8] for i in range(len(KEY) - 7)}

# --- replies -----------------------------------------------------------------------------

controls = st.text(alphabet=st.sampled_from("\x1b\x07\x00\r\x9b\u202e\x7f[]0;m"), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12) | controls,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=10,
)
keys = st.sampled_from(
    [
        "activationId",
        "phoneNumber",
        "id",
        "number",
        "order_id",
        "phone_number",
        "email_id",
        "email",
        "status",
        "messages",
        "code",
        "text",
        "balance",
        "activation_id",
        "sms",
    ]
)


def _nested(depth: int, opener: str) -> str:
    closer = {"[": "]", '{"a":': "}"}[opener]
    return opener * depth + "1" + closer * depth


replies = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.tuples(
        st.sampled_from(["ACCESS_NUMBER:", "STATUS_OK:", "ACCESS_BALANCE:", "ORDER_", ""]),
        controls,
        st.sampled_from([":", ",", ""]),
        controls,
    ).map("".join),
    st.builds(
        _nested, st.integers(min_value=1, max_value=200_000), st.sampled_from(["[", '{"a":'])
    ),
    st.dictionaries(keys, json_values, max_size=6).map(json.dumps),
    st.dictionaries(keys, json_values, max_size=6).map(lambda d: json.dumps(d)[:-3]),
    st.integers(min_value=10_000, max_value=300_000).map(lambda n: "A" * n),
    st.sampled_from([KEY, KEY.lower(), f"BAD_KEY {KEY[:12]}", f"ERROR {KEY.upper()}"]),
)
statuses = st.sampled_from([200, 200, 200, 201, 202, 204, 301, 400, 401, 403, 404, 409, 429, 500])

Action = tuple[str, str, Callable[[Any], Any]]
SMS_ACTIONS: list[Action] = [
    ("sms", "balance", lambda p: p.balance()),
    ("sms", "buy", lambda p: p.buy("tg", country="22")),
    ("sms", "status", lambda p: p.status("123")),
    ("sms", "cancel", lambda p: p.cancel("123")),
    ("sms", "finish", lambda p: p.finish("123")),
    ("sms", "services", lambda p: p.services(country="22")),
    ("sms", "countries", lambda p: p.countries()),
]
PRODUCT_ACTIONS: list[Action] = [
    ("cheap", "buy", lambda p: p.buy("7", country=None)),
    ("cheap", "status", lambda p: p.status("ORDER_1")),
    ("rent", "buy", lambda p: p.rent("us", hours=4)),
    ("rent", "status", lambda p: p.messages("77")),
    ("rent", "list", lambda p: p.rentals()),
    ("email", "buy", lambda p: p.buy("ig")),
    ("email", "status", lambda p: p.status("55")),
    ("email", "history", lambda p: p.history()),
]
DRIVERS = [n for n, info in providers.PROVIDERS.items() if info.needs_key]
TARGETS = [(d, a) for d in DRIVERS for a in SMS_ACTIONS] + [("otpget", a) for a in PRODUCT_ACTIONS]


def _check_result(kind: str, action: str, result: Any) -> None:
    """A successful purchase or status carries only printable ids, numbers and codes."""
    if action == "buy":
        ident = getattr(result, "id", None) or getattr(result, "order_id", None)
        number = (
            getattr(result, "number", None)
            or getattr(result, "phone", None)
            or getattr(result, "email", None)
        )
        assert printable(str(ident)) and printable(str(number)), (kind, result)
    code = getattr(result, "code", None)
    if code is not None and action == "status":
        assert printable(code), (kind, result)


@settings(
    max_examples=520,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(target=st.sampled_from(TARGETS), body=replies, status=statuses)
def test_any_reply_to_any_driver_is_typed(
    target: tuple[str, Action], body: str, status: int
) -> None:
    driver, (product, action, call) = target
    real = clock_mod.CLOCK
    clock_mod.CLOCK = FakeClock()  # the host's request pacing sleeps in fake time
    p = providers.product_class(driver, product)(
        ProviderOptions(api_key=KEY, base_url=BASE, backoff=0, read_retries=0)
    )
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            rsps.add(
                responses.GET, URL_RE, body=body.encode("utf-8", "surrogatepass"), status=status
            )
            try:
                result = call(p)
            except OtpError as err:
                assert int(err.status) in EXIT_CODES, err
                text = f"{err.message} {err.hint or ''} {err.provider_word or ''}".lower()
                assert not any(f in text for f in FRAGMENTS), text
                assert len(err.message) < 800
            else:
                _check_result(product, action, result)
    finally:
        p.close()
        clock_mod.CLOCK = real


# --- command lines -----------------------------------------------------------------------

words = st.sampled_from(
    [
        *TOKENS,
        "fault",
        "rent",
        "email",
        "cheap",
        "config",
        "--jsonl",
        "-n",
        "--proxy",
        "--sandbox",
        "--count",
        "--all",
        "--api-key-stdin",
        "--search",
        "--limit",
        "getNumber",
        "500",
        "garbage",
        "NaN",
        "inf",
        "1e999999",
        "9" * 30,
        "123",
        "http://[::1",
        "http://[::1]:99999",
        "https://fuzz.test/stubs",
        "socks5://u:p@[::1",
        "\udcff\udcfe",
        "12\udc80",
        "\x1b[2J",
        "\x1b]0;x\x07",
        "\u202e",
        "Код",
        "🎉",
        KEY,
        KEY.lower(),
        KEY.upper(),
        KEY[:12],
        f"--{KEY}",
        f"x{KEY[3:15]}y",
    ]
)


@settings(
    max_examples=1000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    args=st.lists(st.one_of(words, words, st.text(max_size=10)), max_size=7),
    body=st.sampled_from(["ACCESS_BALANCE:1.00", "ACCESS_NUMBER:9\x1b:91", "[" * 50_000, "x"]),
)
def test_any_command_line_never_crashes(
    monkeypatch: pytest.MonkeyPatch, args: list[str], body: str
) -> None:
    if "serve" in args or "completion" in args:
        return
    env = {"OTPCLI_PROVIDER": "otpx", "OTPCLI_API_KEY": KEY, "OTPCLI_BASE_URL": BASE}
    real = clock_mod.CLOCK
    clock_mod.CLOCK = FakeClock()  # waits end on the fake clock, at once
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            rsps.add(responses.GET, URL_RE, body=body)
            r = run(args, env=env, input="")
    finally:
        clock_mod.CLOCK = real
    out = r.stdout + r.stderr
    assert r.exit_code != 1 and r.exit_code in {*EXIT_CODES, 0}, (args, r.exit_code, out)
    assert "Traceback" not in out, (args, out)
    assert not any(f in out.lower() for f in FRAGMENTS), (args, out)
    assert "\x1b" not in out and "\x07" not in out, (args, out)
