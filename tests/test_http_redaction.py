"""Secrets are masked before any text is cut: a key straddling a cut must not leak its
prefix into the --debug log or into an error's message."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import quote, quote_plus

import pytest
import responses

from otpcli.domain.errors import OtpError
from otpcli.domain.provider import ProviderOptions
from otpcli.http import Transport
from otpcli.providers.base import ProtocolDriver

BASE = "https://sms.example.test/stubs"
URL = f"{BASE}/handler_api.php"
KEY = "SENTINEL-9c1f4e27b3a5d60c"
ODD_KEY = "SENTINEL-9c1f/+=&?#%~x"


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def key_prefixes(text: str, key: str) -> list[str]:
    """Every prefix (4 characters or longer) of any form of the key found in `text`."""
    found = []
    for form in {key, quote(key, safe=""), quote_plus(key)}:
        found += [form[:n] for n in range(4, len(form) + 1) if form[:n] in text]
    return found


@pytest.mark.parametrize("key", [KEY, ODD_KEY])
@pytest.mark.parametrize("start", [190, 196, 198])
def test_debug_log_never_holds_a_cut_key(
    mock: responses.RequestsMock, caplog: pytest.LogCaptureFixture, key: str, start: int
) -> None:
    # The key begins a few characters before the 200-character cut of the log line.
    body = "x" * start + key + " tail"
    mock.get(URL, body=body)
    transport = Transport(BASE, secrets=[key], read_retries=0)
    with caplog.at_level(logging.DEBUG, logger="otpcli.http"):
        reply = transport.get("handler_api.php", {"action": "getBalance", "api_key": key})
    assert reply.text == body  # the transport itself returns the raw text
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "otpcli.http")
    assert "-> HTTP 200 " in logged
    assert key_prefixes(logged, key) == []


@pytest.mark.parametrize("start", [190, 196, 198])
def test_error_quoting_a_reply_never_holds_a_cut_key(
    mock: responses.RequestsMock, start: int
) -> None:
    # An unreadable reply is quoted (at most 200 characters) in the error message.
    mock.get(URL, body="x" * start + KEY + " tail")
    driver = ProtocolDriver(ProviderOptions(api_key=KEY, base_url=BASE, backoff=0))
    with pytest.raises(OtpError) as info:
        driver.balance()
    shown = f"{info.value.message} {info.value.hint or ''}"
    assert "xxxx" in shown
    assert key_prefixes(shown, KEY) == []
