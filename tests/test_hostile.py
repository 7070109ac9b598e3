"""Hostile input: random replies to every driver action and random argument lists to the CLI.

Whatever comes back, the result is a typed value or an `OtpError` with a documented
exit code, never another exception; and the CLI never shows a traceback or the key.
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
from tests.cli_helpers import run

KEY = "HOSTILE-SENTINEL-KEY-0xdeadbeef"
BASE = "https://hostile.test/stubs"
URL_RE = re.compile(r"https://hostile\.test/stubs/.*")
EXIT_CODES = {int(c) for c in ExitCode}

words = st.sampled_from(
    [
        "ACCESS_BALANCE:",
        "ACCESS_NUMBER:",
        "STATUS_OK:",
        "STATUS_WAIT_CODE",
        "STATUS_WAIT_RETRY:",
        "STATUS_CANCEL",
        "ACCESS_CANCEL",
        "ACCESS_READY",
        "BAD_KEY",
        "NO_BALANCE",
        "ERROR_PROVIDER_3:",
        "NO_BALANCE_FOR_NEW_PRICE:",
        "REGET_NUMBER_OK:",
        '{"status":',
        '{"status":"401","message":"BAD_KEY"}',
        '{"verificationType": 2, "sms": ',
        "<html><body>",
        "\ufeff",
        "",
    ]
)
bodies = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.tuples(words, st.text(max_size=40)).map("".join),
    st.tuples(words, words, st.text(max_size=20)).map(lambda t: ":".join(t)),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10) | st.floats(),
        lambda inner: (
            st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=8,
    ).map(lambda d: json.dumps(d)[: 10 + len(json.dumps(d)) // 2]),
)
statuses = st.sampled_from([200, 200, 200, 400, 401, 402, 404, 500, 502, 503])

ACTIONS: list[tuple[str, Callable[[Any], Any]]] = [
    ("balance", lambda p: p.balance()),
    ("buy", lambda p: p.buy("tg", country="22")),
    ("status", lambda p: p.status("123")),
    ("cancel", lambda p: p.cancel("123")),
    ("finish", lambda p: p.finish("123")),
    ("another", lambda p: p.another("123")),
    ("reget", lambda p: p.reget("123")),
    ("services", lambda p: p.services(country="22")),
    ("countries", lambda p: p.countries()),
]
DRIVERS = [n for n, info in providers.PROVIDERS.items() if info.needs_key]


@pytest.mark.parametrize("driver", DRIVERS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, status=statuses, action=st.sampled_from(ACTIONS))
def test_any_reply_is_a_typed_result_or_error(
    driver: str, body: str, status: int, action: tuple[str, Callable[[Any], Any]]
) -> None:
    p = providers.create(driver, ProviderOptions(api_key=KEY, base_url=BASE, backoff=0))
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            rsps.add(
                responses.GET, URL_RE, body=body.encode("utf-8", "surrogatepass"), status=status
            )
            try:
                action[1](p)
            except OtpError as err:
                assert int(err.status) in EXIT_CODES
                assert KEY not in err.message and KEY not in (err.hint or "")
                assert len(err.message) < 600
    finally:
        p.close()


# Command-line tokens for fuzzing; tests/test_fuzz_hostile.py adds its hostile ones.
TOKENS = [
    "buy",
    "wait",
    "status",
    "cancel",
    "finish",
    "again",
    "balance",
    "prices",
    "services",
    "countries",
    "orders",
    "providers",
    "profile",
    "add",
    "list",
    "show",
    "use",
    "remove",
    "sandbox",
    "reset",
    "deliver",
    "scenarios",
    "--json",
    "-p",
    "--profile",
    "-c",
    "--country",
    "--timeout",
    "--interval",
    "--max-price",
    "--server",
    "--operator",
    "--keep",
    "--wait",
    "--pending",
    "--base-url",
    "--debug",
    "-q",
    "--help",
    "--reget",
    "--provider",
    "--remote",
    "0",
    "-1",
    "1e9",
    "nan",
    "tg",
    "wa",
    "22",
    "http://example.com",
    "x" * 70,
    "",
]
tokens = st.sampled_from(TOKENS)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(args=st.lists(st.one_of(tokens, st.text(max_size=12)), max_size=6))
def test_random_arguments_never_crash(args: list[str]) -> None:
    # A provider that cannot be reached: nothing leaves the machine.
    env = {
        "OTPCLI_PROVIDER": "otpx",
        "OTPCLI_API_KEY": KEY,
        "OTPCLI_BASE_URL": "http://127.0.0.1:9/stubs",
    }
    if "serve" in args:
        return
    # `wait` on an unreachable provider polls until its deadline: on a fake clock.
    real = clock_mod.CLOCK
    clock_mod.CLOCK = FakeClock()
    try:
        r = run(args, env=env)
    finally:
        clock_mod.CLOCK = real
    assert r.exit_code in EXIT_CODES, (args, r.exit_code, r.exception)
    assert r.exit_code != 1, (args, r.stderr)
    out = r.stdout + r.stderr
    assert "Traceback" not in out
    assert KEY not in out
