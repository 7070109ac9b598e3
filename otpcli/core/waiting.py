"""The waiting loop: poll an activation until a code arrives, a terminal state, or the deadline.

Contract:
- returns the `StatusResult` that carries the code;
- raises `OrderStateError` (exit 8) at once on cancelled/expired/finished;
- raises `WaitTimeout` (exit 124) at the deadline;
- transient failures (network, 5xx, garbage) are reported to `on_poll` and polling goes
  on until the deadline (the transport has already retried with backoff); errors that
  retrying cannot fix (bad key, no such order) are raised at once.
Time comes from `otpcli.core.clock` so tests run in milliseconds.

`settle_unused` cancels an activation that got no code, for a refund, waiting out a
provider's early-cancel window when asked to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from otpcli.core import clock as clock_mod
from otpcli.core.errors import (
    OrderStateError,
    OtpError,
    ProviderError,
    Refused,
    WaitTimeout,
)
from otpcli.core.models import ActionResult, State, StatusResult
from otpcli.core.provider import Capability, Provider

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

DEFAULT_TIMEOUT = 600.0
MIN_INTERVAL = 1.0
# The early-cancel window of the providers that have one is 2 minutes from purchase.
EARLY_CANCEL_WINDOW = 120.0
EARLY_CANCEL_RETRY = 10.0


@contextmanager
def thread_pool(workers: int) -> Iterator[ThreadPoolExecutor]:
    """A thread pool for concurrent polls and cancels. When the block ends with an
    exception (a signal, the clean-up deadline) it does not wait for the requests still
    in flight, as `with ThreadPoolExecutor()` would (up to the HTTP timeout): the
    caller's clean-up, which records what is left in the journal, must run now."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=max(1, workers))
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


@dataclass(frozen=True)
class PollEvent:
    poll: int
    elapsed: float
    remaining: float
    status: StatusResult | None
    error: OtpError | None = None


class Paced(Protocol):
    """Anything polled: an SMS, rental or e-mail driver (or its journaled wrapper)."""

    poll_interval: float


def effective_interval(requested: float | None, provider: Paced) -> float:
    """Seconds between polls: the user's, else the provider's advice; never under 1 s."""
    return max(MIN_INTERVAL, requested if requested is not None else provider.poll_interval)


def until_next_poll(polled_at: float, now: float, interval: float, deadline: float) -> float:
    """Seconds to sleep so that polls start `interval` apart (never closer: the provider's
    advice is respected) however long the last poll took, and never past the deadline."""
    return max(0.0, min(polled_at + interval, deadline) - now)


def wait_for_code(
    provider: Provider,
    activation_id: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 5.0,
    on_poll: Callable[[PollEvent], None] | None = None,
) -> StatusResult:
    clk = clock_mod.current()
    start = clk.now()
    deadline = start + timeout
    poll = 0
    while True:
        poll += 1
        polled_at = clk.now()
        status: StatusResult | None = None
        error: OtpError | None = None
        try:
            status = provider.status(activation_id)
        except Refused as exc:
            if not exc.retryable:  # a wrong URL answers 404 forever: say so now
                raise
            error = exc
        except ProviderError as exc:  # network, 5xx, garbage: try again next interval
            error = exc
        now = clk.now()
        if on_poll:
            on_poll(PollEvent(poll, now - start, max(0.0, deadline - now), status, error))
        if status is not None:
            if status.state is State.CODE_RECEIVED:
                return status
            if status.state.terminal:
                raise OrderStateError(
                    f"activation {activation_id} is {status.state.value}; no code will arrive",
                    hint="buy a new number: `otp buy SERVICE`",
                )
        if now >= deadline:
            last = f" (last error: {error.message})" if error else ""
            raise WaitTimeout(
                f"no code for activation {activation_id} after {timeout:g} s{last}",
                hint=f"wait longer with `otp wait {activation_id} --timeout SECONDS`",
            )
        clk.sleep(until_next_poll(polled_at, now, interval, deadline))


def settle_unused(
    provider: Provider,
    activation_id: str,
    *,
    wait_out_window: bool,
    window: float = EARLY_CANCEL_WINDOW,
    on_retry: Callable[[float], None] | None = None,
) -> ActionResult:
    """Cancel an activation that got no code, for a refund.

    With `wait_out_window`, an early-cancel refusal is retried every few seconds for up
    to `window` seconds (the provider's 2-minute rule); otherwise the refusal is raised.
    """
    if not provider.supports(Capability.CANCEL):
        raise OrderStateError(f"{provider.title} cannot cancel activation {activation_id}")
    clk = clock_mod.current()
    give_up = clk.now() + window
    while True:
        try:
            return provider.cancel(activation_id)
        except OrderStateError as exc:
            early = (exc.provider_word or "").upper() == "EARLY_CANCEL_DENIED"
            remaining = give_up - clk.now()
            if not (early and wait_out_window) or remaining <= 0:
                raise
            if on_retry:
                on_retry(remaining)
            clk.sleep(min(EARLY_CANCEL_RETRY, remaining))


@dataclass(frozen=True)
class Outcome:
    """How one activation of a multi-wait ended: a status with a code, or an error."""

    provider: Provider
    activation_id: str
    status: StatusResult | None = None
    error: OtpError | None = None


def wait_for_codes(
    targets: Sequence[tuple[Provider, str]],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 5.0,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_round: Callable[[int, int, float], None] | None = None,
    workers: int = 16,
) -> list[Outcome]:
    """Wait for many activations at once, under one overall deadline.

    Each round polls every pending activation concurrently (a small thread pool over
    each provider's shared connection pool), then sleeps `interval`. An outcome is
    reported through `on_outcome` the moment its poll sees it. Activations still
    waiting at the deadline end with a `WaitTimeout` error. Total time is about that
    of the slowest activation, not the sum.
    """
    clk = clock_mod.current()
    start = clk.now()
    deadline = start + timeout
    pending = list(targets)
    outcomes: list[Outcome] = []
    rounds = 0

    def poll(target: tuple[Provider, str]) -> tuple[StatusResult | None, OtpError | None]:
        try:
            return target[0].status(target[1]), None
        except OtpError as exc:
            return None, exc

    def finish(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    with thread_pool(min(workers, len(targets))) as pool:
        while pending:
            rounds += 1
            polled_at = clk.now()
            still: list[tuple[Provider, str]] = []
            for target, (status, error) in zip(pending, pool.map(poll, pending), strict=True):
                provider, activation_id = target
                if status is not None and status.state is State.CODE_RECEIVED:
                    finish(Outcome(provider, activation_id, status=status))
                elif status is not None and status.state.terminal:
                    finish(
                        Outcome(
                            provider,
                            activation_id,
                            error=OrderStateError(
                                f"activation {activation_id} is {status.state.value}; "
                                "no code will arrive"
                            ),
                        )
                    )
                elif error is not None and not isinstance(error, ProviderError):
                    finish(Outcome(provider, activation_id, error=error))
                else:
                    still.append(target)
            pending = still
            now = clk.now()
            if on_round:
                on_round(rounds, len(pending), max(0.0, deadline - now))
            if not pending:
                break
            if now >= deadline:
                for provider, activation_id in pending:
                    finish(
                        Outcome(
                            provider,
                            activation_id,
                            error=WaitTimeout(
                                f"no code for activation {activation_id} after {timeout:g} s"
                            ),
                        )
                    )
                break
            clk.sleep(until_next_poll(polled_at, now, interval, deadline))
    return outcomes
