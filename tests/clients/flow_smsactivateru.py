"""PyPI `smsactivateru` 1.2.6 (sync, requests) against the `smsactivate` dialect.

Contract: `run(base_url, check)` drives the library's main flow through `check(name, fn)`:
GetBalance, GetFreeSlots (getNumbersStatus, which must carry every service key it knows),
GetNumber, `wait_code` (getStatus every second, then setStatus 6), its `cancel()`
(setStatus -1) refused in the early-cancel window and accepted after it, and its
exceptions for no numbers, no balance, a bad key and a cancelled activation. The library
has no V2 actions and no list of open activations. Its URL is the `url` attribute of `Sms`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import smsactivateru  # type: ignore[import-not-found]
from smsactivateru import GetBalance, GetFreeSlots, GetNumber, GetStatus, Sms, SmsService

Check = Callable[[str, Callable[[], object]], object]


def wrapper(base_url: str, key: str = "play") -> Any:
    sms = Sms(key)
    sms.url = base_url + "/handler_api.php"
    return sms


def service(code: str) -> Any:
    """A service the library's table lacks (the sandbox's scenario codes)."""
    return SimpleNamespace(**{"__service_short_name": f"{code}_0"})


def raises(fn: Callable[[], object], word: str) -> None:
    try:
        fn()
    except Exception as exc:  # the library makes its exception classes at run time
        assert getattr(exc, "code", None) == word, repr(exc)
    else:
        raise AssertionError(f"expected {word}")


def run(base_url: str, check: Check) -> None:
    sms = wrapper(base_url)
    check("GetBalance", lambda: _equal(GetBalance().request(sms), 1000.0))

    def free_slots() -> None:
        slots = GetFreeSlots(country="22").request(sms)
        assert slots.Telegram.count > 0 and slots.VkCom.count == 0

    check("GetFreeSlots (getNumbersStatus)", free_slots)

    def buy_wait_finish() -> None:
        activation = GetNumber(service=SmsService().Telegram, country="22").request(sms)
        assert activation.phone_number.isdigit(), activation.phone_number
        code = activation.wait_code(timeout=15)
        assert code.isdigit(), code
        status = GetStatus(id=activation.id).request(sms)
        assert status == {"status": "STATUS_OK", "code": code}, status

    check("GetNumber -> wait_code (finishes with setStatus 6)", buy_wait_finish)

    def cancel_flow() -> None:
        activation = GetNumber(service=service("never")).request(sms)
        assert activation.cancel() == {"status": "EARLY_CANCEL_DENIED"}
        time.sleep(1.6)  # past the early-cancel window (--early-cancel 1.5)
        assert activation.cancel() == {"status": "ACCESS_CANCEL"}
        raises(lambda: GetStatus(id=activation.id).request(sms), "STATUS_CANCEL")
        assert GetBalance().request(sms) == 987.5

    check("cancel (-1) refused early, accepted after the window, refund", cancel_flow)

    def errors() -> None:
        raises(lambda: GetNumber(service=service("nonum")).request(sms), "NO_NUMBERS")
        raises(lambda: GetNumber(service=service("nobal")).request(sms), "NO_BALANCE")
        raises(lambda: GetBalance().request(wrapper(base_url, "bad-key")), "BAD_KEY")
        raises(lambda: GetStatus(id="1").request(sms), "NO_ACTIVATION")
        raises(lambda: smsactivateru.SetStatus(id="1", status="7").request(sms), "BAD_STATUS")

    check("errors: NO_NUMBERS, NO_BALANCE, BAD_KEY, NO_ACTIVATION, BAD_STATUS", errors)


def _equal(got: object, want: object) -> None:
    assert got == want, got
