"""Price comparison across profiles (`otp prices S --all-profiles`) and `buy --cheapest`."""

from __future__ import annotations

import json

import pytest
import responses

from tests.cli_helpers import run


@pytest.fixture
def profiles() -> None:
    for args, key in (
        (["profile", "add", "cheap", "--provider", "sandbox", "--country", "6"], None),
        (["profile", "add", "dear", "--provider", "sandbox", "--country", "12"], None),
        (["profile", "add", "nocat", "--provider", "otpx", "--api-key-stdin"], "k-0123456789\n"),
    ):
        r = run(args, input=key)
        assert r.exit_code == 0, r.stderr


def test_prices_all_profiles_sorted_and_skips_providers_without_prices(profiles: None) -> None:
    with responses.RequestsMock(
        assert_all_requests_are_fired=False, passthru_prefixes=("http://127.0.0.1",)
    ) as rsps:
        r = run(["prices", "tg", "--all-profiles", "--json"])
        assert r.exit_code == 0, r.stderr
        assert not [c for c in rsps.calls if "otpx" in (c.request.url or "")]
    doc = json.loads(r.stdout)
    offers = [(o["profile"], o["country"], o["price"]) for o in doc["offers"]]
    assert offers == [("cheap", "6", "10.00"), ("dear", "12", "40.00")]
    assert doc["errors"] == {}


def test_buy_cheapest_buys_from_the_cheapest_profile(profiles: None) -> None:
    r = run(["buy", "telegram", "--cheapest", "--json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["service"] == "tg"
    assert "profile cheap" in r.stderr, r.stderr
    r = run(["orders", "--json"])
    (order,) = json.loads(r.stdout)["orders"]
    assert order["profile"] == "cheap"
    assert order["country"] == "6"


def test_all_profiles_without_any_priced_provider_is_bad_input() -> None:
    r = run(
        ["profile", "add", "x", "--provider", "otpx", "--api-key-stdin"], input="k-0123456789\n"
    )
    assert r.exit_code == 0
    r = run(["prices", "tg", "--all-profiles"])
    assert r.exit_code == 2
    assert r.stdout == ""
