"""setStatus after a lost or garbled reply: look at the order before sending again.

A blind retry would turn a cancel that happened into STATUS_ALREADY_CHANGED (exit 8);
these pin the recovery with the generic driver and `responses`.
"""

from __future__ import annotations

import pytest
import responses
from responses import matchers

from otpcli.domain.errors import ProviderError
from otpcli.domain.models import State
from otpcli.domain.provider import ProviderOptions
from otpcli.providers.base import ProtocolDriver

URL = "https://host.test/stubs/handler_api.php"


def driver() -> ProtocolDriver:
    return ProtocolDriver(
        ProviderOptions(api_key="k-123456", base_url="https://host.test/stubs", backoff=0)
    )


def on(action: str) -> list[object]:
    return [matchers.query_param_matcher({"action": action}, strict_match=False)]


def test_cancel_whose_reply_was_lost_is_confirmed_by_status() -> None:
    with responses.RequestsMock() as rsps:
        first = rsps.get(URL, status=502, body="<html>bad gateway</html>", match=on("setStatus"))
        rsps.get(URL, body="STATUS_CANCEL", match=on("getStatus"))
        result = driver().cancel("77")
    assert result.state is State.CANCELLED and result.refunded
    assert first.call_count == 1  # never sent twice


def test_cancel_not_done_is_sent_once_more() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(URL, status=500, body="oops", match=on("setStatus"))
        rsps.get(URL, body="STATUS_WAIT_CODE", match=on("getStatus"))
        rsps.get(URL, body="ACCESS_CANCEL", match=on("setStatus"))
        result = driver().cancel("77")
        assert len([c for c in rsps.calls if "setStatus" in (c.request.url or "")]) == 2
    assert result.state is State.CANCELLED


def test_finish_already_changed_after_a_lost_reply_is_success() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(URL, status=500, body="oops", match=on("setStatus"))
        rsps.get(URL, body="STATUS_OK:1234", match=on("getStatus"))
        rsps.get(URL, body="STATUS_ALREADY_CHANGED", match=on("setStatus"))
        result = driver().finish("77")
    assert result.state is State.FINISHED


def test_unreadable_status_keeps_the_failure_with_a_next_step() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(URL, status=500, body="oops", match=on("setStatus"))
        rsps.get(URL, status=500, body="oops", match=on("getStatus"))
        with pytest.raises(ProviderError) as info:
            driver().cancel("77")
    assert info.value.status == 9
    assert "otp status 77" in (info.value.hint or "")


def test_a_definite_refusal_is_not_second_guessed() -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(URL, body="EARLY_CANCEL_DENIED", match=on("setStatus"))
        with pytest.raises(Exception) as info:
            driver().cancel("77")
        assert len(rsps.calls) == 1
    assert getattr(info.value, "status", None) == 8
