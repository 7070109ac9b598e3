"""PyPI `aiosmsactivate` 1.5.1 (asyncio, aiohttp, POST) against the `smsactivate` dialect.

Contract: `run(base_url, check)` drives the library's main flow through `check(name, fn)`:
balance, catalog (incl. `get_service`, which combines getServicesList, getPricesExtended
and getTopCountriesByService), buy with getNumberV2 (its pydantic `Number`, every field
required) and getNumber, `wait_sms_code` (getStatus polling), getStatusV2 (its
`ActivationData`), finish, cancel refused in the early-cancel window and accepted after
it, getActiveActivations (and `NO_ACTIVATIONS` when none is open), and its exceptions for
no numbers, no balance, a bad key and a refused status change. The URL is given to its
constructor (`base_url=`).
"""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from aiosmsactivate import SmsActivate  # type: ignore[import-not-found]
from aiosmsactivate.exceptions import SmsActivateException  # type: ignore[import-not-found]
from aiosmsactivate.models import SetActivationStatusResponse  # type: ignore[import-not-found]

Check = Callable[[str, Callable[[], object]], object]

# Each call here runs its own event loop; the library's cache says so on every new loop.
warnings.filterwarnings("ignore", message="alru_cache detected event loop change")


def refused(coro: Coroutine[Any, Any, object], word: str) -> None:
    try:
        asyncio.run(coro)
    except SmsActivateException as exc:
        assert exc.code == word, (exc.code, exc.message)
    else:
        raise AssertionError(f"expected {word}")


def call(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def balance(sa: Any) -> None:
    assert call(sa.get_balance()) == 1000.0
    assert call(sa.get_balance_and_cashback()) == 1000.0


def catalog(sa: Any) -> None:
    assert call(sa.get_countries())["22"]["eng"] == "India"
    assert call(sa.get_service_name("tg")) == "Telegram"
    assert call(sa.get_prices(service="tg", country=22))["22"]["tg"]["count"] > 0
    top = call(sa.get_available_countries("tg", freePrice=True))
    assert top["22"]["freePriceMap"], top
    assert call(sa.get_count_numbers(country="22", operator="any"))["tg_0"] > 0
    assert "jio" in call(sa.get_operators(country="22"))["countryOperators"]["22"]
    service = call(sa.get_service("tg", 22))
    assert service.name == "Telegram" and service.price == 12.5, service


def v2_flow(sa: Any) -> None:
    number = call(sa.purchase("tg", country=22))
    assert number.phone_number.isdigit() and number.activation_cost == 12.5, number
    assert number.country_code == "22" and number.operator == "any", number
    assert number.end_activation_time > number.activation_unix_time
    code = call(sa.wait_sms_code(number.activation_id, timeout=10, per_attempt=0.3))
    assert isinstance(code, str) and code.isdigit(), code
    status = call(sa.get_activation_status(number.activation_id))
    assert status.sms is not None and status.sms.code == code, status
    finished = call(sa.set_activation_status(number.activation_id, 6))
    assert finished is SetActivationStatusResponse.ACTIVATED


def v1_flow(sa: Any) -> None:
    reply = call(sa.get_number("tg", country=22))
    assert isinstance(reply, str) and reply.startswith("ACCESS_NUMBER:"), reply
    activation_id = reply.split(":")[1]
    code = call(sa.wait_sms_code(activation_id, timeout=10, per_attempt=0.3))
    assert isinstance(code, str) and code.isdigit(), code
    refused(sa.set_activation_status(activation_id, 8), "BAD_STATUS")  # a code came
    finished = call(sa.set_activation_status(activation_id, 6))
    assert finished is SetActivationStatusResponse.ACTIVATED


def cancel_flow(sa: Any) -> None:
    number = call(sa.purchase("never", country=22))
    refused(sa.set_activation_status(number.activation_id, 8), "EARLY_CANCEL_DENIED")
    active = call(sa.get_active_activations())["activeActivations"]
    assert [a["activationId"] for a in active] == [str(number.activation_id)], active
    time.sleep(1.6)  # past the early-cancel window (--early-cancel 1.5)
    cancelled = call(sa.set_activation_status(number.activation_id, 8))
    assert cancelled is SetActivationStatusResponse.CANCEL
    refused(sa.get_active_activations(), "NO_ACTIVATIONS")
    assert call(sa.get_balance()) == 975.0


def run(base_url: str, check: Check) -> None:
    url = base_url + "/handler_api.php"
    sa = SmsActivate("play", base_url=url)
    steps: list[tuple[str, Callable[[Any], None]]] = [
        ("get_balance, get_balance_and_cashback", balance),
        ("countries, services, prices, top countries, numbers status, operators", catalog),
        ("purchase (getNumberV2) -> wait_sms_code -> getStatusV2 -> finish", v2_flow),
        ("get_number (getNumber) -> wait_sms_code -> finish; cancel after code refused", v1_flow),
        ("early cancel refused, active list, cancel after the window, refund", cancel_flow),
    ]
    for name, step in steps:
        check(name, lambda step=step: step(sa))  # type: ignore[misc]

    def errors() -> None:
        refused(sa.purchase("nonum", country=22), "NO_NUMBERS")
        refused(sa.purchase("nobal", country=22), "NO_BALANCE")
        refused(sa.purchase("tg", country=22, maxPrice=1), "WRONG_MAX_PRICE")
        refused(SmsActivate("bad-key", base_url=url).get_balance(), "BAD_KEY")
        refused(sa.get_activation_status_v1("1"), "NO_ACTIVATION")

    check("errors: NO_NUMBERS, NO_BALANCE, WRONG_MAX_PRICE, BAD_KEY, NO_ACTIVATION", errors)
