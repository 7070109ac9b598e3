"""Price comparison across profiles (`otp prices S --all-profiles`) and `buy --cheapest`."""

from __future__ import annotations

import json
import socket

import pytest
import responses

from tests.cli_helpers import run
from tests.conftest import NetworkBlocked, NetworkGuard

# Never the real host: an OTPX profile without a base URL would point at it.
OTPX_BASE = "https://otpx.test/api/stubs"


@pytest.fixture
def profiles() -> None:
    for args, key in (
        (["profile", "add", "cheap", "--provider", "sandbox", "--country", "6"], None),
        (["profile", "add", "dear", "--provider", "sandbox", "--country", "12"], None),
        (
            [
                *("profile", "add", "nocat", "--provider", "otpx", "--api-key-stdin"),
                *("--base-url", OTPX_BASE),
            ],
            "k-0123456789\n",
        ),
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
    with responses.RequestsMock(
        assert_all_requests_are_fired=False, passthru_prefixes=("http://127.0.0.1",)
    ) as rsps:
        r = run(["buy", "telegram", "--cheapest", "--json"])
        assert r.exit_code == 0, r.stderr
        assert not [c for c in rsps.calls if "otpx" in (c.request.url or "")]
    doc = json.loads(r.stdout)
    assert doc["service"] == "tg"
    assert "profile cheap" in r.stderr, r.stderr
    r = run(["orders", "--json"])
    (order,) = json.loads(r.stdout)["orders"]
    assert order["profile"] == "cheap"
    assert order["country"] == "6"


def test_all_profiles_without_any_priced_provider_is_bad_input() -> None:
    r = run(
        ["profile", "add", "x", "--provider", "otpx", "--api-key-stdin", "--base-url", OTPX_BASE],
        input="k-0123456789\n",
    )
    assert r.exit_code == 0
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        r = run(["prices", "tg", "--all-profiles"])
        assert not rsps.calls
    assert r.exit_code == 2
    assert r.stdout == ""


def test_the_network_guard_stops_an_unmocked_request(no_network: NetworkGuard) -> None:
    """The conftest guard these tests rely on: a request that `responses` does not
    intercept fails instead of reaching the real host, and the attempt is recorded."""
    import requests

    with pytest.raises(requests.ConnectionError, match="test tried to reach the network"):
        requests.get(f"{OTPX_BASE}/handler_api.php", timeout=1)
    assert no_network.attempts == ["DNS lookup of 'otpx.test'"]
    no_network.attempts.clear()  # expected here; any other test would fail at teardown
    with socket.socket() as sock, pytest.raises(NetworkBlocked):
        sock.connect(("192.0.2.1", 443))
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("192.0.2.1", 443), timeout=1)
    assert no_network.attempts == ["connect to ('192.0.2.1', 443)"] * 2
    no_network.attempts.clear()
    # Loopback stays open: the in-process sandbox and `otp sandbox serve` live there.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        socket.create_connection(server.getsockname(), timeout=1).close()
    assert no_network.attempts == []
