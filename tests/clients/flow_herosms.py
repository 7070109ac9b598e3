"""PyPI `herosms` 0.1.1 (asyncio, httpx, pydantic) against the `herosms` dialect.

Contract: `run(base_url, check)` drives the library's main flow through `check(name, fn)`:
get_balance, the catalog (countries, services, operators, prices, top countries), buy
with getNumberV2 (its pydantic `Activation`: `currency` and `countryCode` integers),
`wait_for_sms` (getStatusV2), finish by setStatus 6 and by finishActivation (HTTP 204),
cancel refused in the early-cancel window (HTTP 409) and accepted after it, by setStatus 8
and by cancelActivation (204), list_active (`{"data": [...]}`), and its typed exceptions
for no balance (402), a bad key (401), an unknown id (404) and a cancel after the code
(409). The URL is given to its constructor (`base_url=`).

hero-sms answers `NO_NUMBERS` as plain text with HTTP 200 (recorded by [usa]); this
library raises only on HTTP errors, so in model mode its pydantic parser rejects the word
(a `ValidationError`), and `response_format="raw"` gives the word itself. Its model mode
for getServicesList iterates the values of a dict, which hero-sms's
`{"status": "success", "services": [...]}` does not fit, so services are read as JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

import pydantic
from herosms import HeroSMSClient  # type: ignore[import-not-found]
from herosms import exceptions as errors  # type: ignore[import-not-found]

Check = Callable[[str, Callable[[], object]], object]


def client(base_url: str, key: str = "play") -> Any:
    return HeroSMSClient(
        key, base_url=base_url + "/handler_api.php", retry_attempts=1, poll_interval=0.2
    )


def go(base_url: str, work: Callable[[Any], Coroutine[Any, Any, Any]], key: str = "play") -> Any:
    """Run `work(client)` in a fresh event loop with a client of `key`."""

    async def inner() -> Any:
        async with client(base_url, key) as c:
            return await work(c)

    return asyncio.run(inner())


async def balance(c: Any) -> None:
    got = await c.get_balance()
    assert got.amount == 1000.0, got


async def catalog(c: Any) -> None:
    countries = await c.get_countries()
    assert any(x.id == 22 and x.name == "India" for x in countries), countries
    services = await c.get_services(response_format="json")
    assert {"code": "tg", "name": "Telegram"} in services["services"], services
    assert "jio" in (await c.get_operators(country=22))["22"]
    prices = await c.get_prices(service="tg", country=22)
    assert prices["22"]["tg"].cost == 12.5 and prices["22"]["tg"].count > 0, prices
    assert (await c.get_top_countries(service="tg"))["22"]["count"] > 0


async def buy_wait_finish(c: Any) -> None:
    act = await c.activations.create(service="tg", country=22)
    info = act.info
    assert info.currency == 840 and info.country_code == 22, info
    assert info.country_phone_code == 91 and info.activation_end_time is not None, info
    status = await act.wait_for_sms(timeout=10)
    assert status.code and status.code.isdigit() and status.sms.date_time, status
    assert (await c.get_status_v1(act.id)) == f"STATUS_OK:{status.code}"
    await act.complete()


async def finish_204(c: Any) -> None:
    act = await c.activations.create(service="tg", country=22)
    await act.wait_for_sms(timeout=10)
    await c.activations.finish(act.id)  # finishActivation: an empty 204
    assert (await c.get_status_v1(act.id)).startswith("STATUS_OK:")
    await conflict(act.cancel(), "ACTIVATION_NOT_ACTIVE")  # the activation is closed


async def cancel_flow(c: Any) -> None:
    first = await c.activations.create(service="never", country=22)
    second = await c.activations.create(service="never", country=22)
    await conflict(first.cancel(), "EARLY_CANCEL_DENIED")
    active = await c.activations.list_active()
    assert {a.activation_id for a in active} == {first.id, second.id}, active
    assert all(a.currency == 840 and a.service_code == "never" for a in active)
    await asyncio.sleep(1.6)  # past the early-cancel window (--early-cancel 1.5)
    await first.cancel()  # setStatus 8
    await c.activations.cancel(second.id)  # cancelActivation: an empty 204
    assert await c.activations.list_active() == []
    assert (await c.get_status_v1(second.id)) == "STATUS_CANCEL"
    assert (await c.get_balance()).amount == 975.0


async def code_then_cancel(c: Any) -> None:
    act = await c.activations.create(service="tg", country=22)
    await act.wait_for_sms(timeout=10)
    await conflict(act.cancel(), "OTP_RECEIVED")


async def no_numbers(c: Any) -> None:
    raw = await c.activations.create(service="nonum", country=22, response_format="raw")
    assert raw == "NO_NUMBERS", raw
    # The plain word reaches its model parser, as with the real host.
    with contextlib.suppress(pydantic.ValidationError):
        await c.activations.create(service="nonum", country=22)
    assert (await c.get_balance()).amount == 962.5  # nothing charged


async def no_balance(c: Any) -> None:
    await raises(
        c.activations.create(service="nobal", country=22), errors.InsufficientFundsError, 402
    )


async def unknown_id(c: Any) -> None:
    await raises(c.get_status_v1(1), errors.ActivationNotFoundError, 404)


async def bad_key(c: Any) -> None:
    await raises(c.get_balance(), errors.AuthenticationError, 401)


async def conflict(call: Coroutine[Any, Any, Any], title: str) -> None:
    await raises(call, errors.ConflictError, 409, title)


async def raises(
    call: Coroutine[Any, Any, Any], kind: type, status: int, title: str | None = None
) -> None:
    try:
        await call
    except kind as exc:
        assert getattr(exc, "status_code", None) == status, repr(exc)
        assert title is None or getattr(exc, "title", None) == title, repr(exc)
    else:
        raise AssertionError(f"expected {kind.__name__} {title or status}")


def run(base_url: str, check: Check) -> None:
    steps: list[tuple[str, Callable[[Any], Coroutine[Any, Any, Any]]]] = [
        ("get_balance", balance),
        ("countries, services (json), operators, prices, top countries", catalog),
        ("create (getNumberV2) -> wait_for_sms (getStatusV2) -> complete", buy_wait_finish),
        ("finishActivation (204); a later cancel is a 409", finish_204),
        ("early cancel 409, list_active, cancel (setStatus 8, cancelActivation)", cancel_flow),
        ("cancel after the code: 409 OTP_RECEIVED", code_then_cancel),
        ("no numbers: plain NO_NUMBERS with HTTP 200", no_numbers),
        ("no balance: InsufficientFundsError (402)", no_balance),
        ("unknown id: ActivationNotFoundError (404)", unknown_id),
    ]
    for name, step in steps:
        check(name, lambda step=step: go(base_url, step))  # type: ignore[misc]
    check("bad key: AuthenticationError (401)", lambda: go(base_url, bad_key, "bad-key"))
