"""The waiting loop: poll an activation until a code arrives, a terminal state, or the deadline.

Contract:
- returns the `StatusResult` that carries the code;
- raises `OrderStateError` (exit 8) at once on cancelled/expired/finished;
- raises `WaitTimeout` (exit 124) at the deadline;
- transient failures (network, 5xx, garbage) are reported to `on_poll` and polling goes
  on until the deadline (the transport has already retried with backoff); errors that
  retrying cannot fix (bad key, no such order) are raised at once.
Time comes from `otpcli.domain.clock` so tests run in milliseconds.

`wait_for_codes` waits for many activations under one deadline, with the same meaning of
codes, terminal states and errors per activation. Where a provider offers
`Capability.BATCH_STATUS` it asks about all of that provider's pending ids in one request
per round; an id the answer leaves out (or says has ended) is looked at with `status()`
the same round before anything is concluded, and a batch the host refuses (`Unsupported`)
falls back to one `status()` per id for the rest of the wait.

Both waits first `claim` each activation where the provider is journaled: this process
now answers for it, so a wait killed without clean-up leaves an orphan the journal can name.

What happens to an activation a wait leaves without a code is not decided here: every
caller cleans up with `otpcli.services.cleanup.settle` (the one clean-up policy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from otpcli.domain import clock as clock_mod
from otpcli.domain.errors import (
    Interrupted,
    OrderStateError,
    OtpError,
    ProviderError,
    Refused,
    WaitTimeout,
)
from otpcli.domain.models import State, StatusResult
from otpcli.domain.provider import Capability, Provider

T = TypeVar("T")

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

DEFAULT_TIMEOUT = 600.0
MIN_INTERVAL = 1.0


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


def claim(provider: object, *activation_ids: str) -> None:
    """This process now waits on these orders and answers for them (any wait: SMS,
    cheap numbers, e-mail), so a wait killed without clean-up leaves an orphan."""
    # Only journaled wrappers have `claim`; a bare driver (tests, the sandbox) has none.
    take = getattr(provider, "claim", None)
    if take is not None:
        take(*activation_ids)


def wait_for_code(
    provider: Provider,
    activation_id: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 5.0,
    on_poll: Callable[[PollEvent], None] | None = None,
) -> StatusResult:
    claim(provider, activation_id)
    return poll_until(
        lambda: provider.status(activation_id),
        done=lambda st: st.state is State.CODE_RECEIVED,
        view=lambda st: st,
        timeout=timeout,
        interval=interval,
        on_poll=on_poll,
        ended=lambda st: OrderStateError(
            f"activation {activation_id} is {st.state.value}; no code will arrive",
            hint="buy a new number: `otp buy SERVICE`",
        ),
        late=lambda last: WaitTimeout(
            f"no code for activation {activation_id} after {timeout:g} s{last}",
            hint=f"wait longer with `otp wait {activation_id} --timeout SECONDS`",
        ),
    )


def poll_until(
    fetch: Callable[[], T],
    *,
    done: Callable[[T], bool],
    view: Callable[[T], StatusResult],
    timeout: float,
    interval: float,
    on_poll: Callable[[PollEvent], None] | None,
    ended: Callable[[StatusResult], OtpError],
    late: Callable[[str], OtpError],
) -> T:
    """The one polling loop of every wait (SMS, e-mail, rental messages): `fetch` every
    `interval` from the start of the previous poll until `done`; a provider failure is
    retried next interval (a refusal that will not change, e.g. a wrong URL's 404, is
    raised at once); an order that ended without it raises `ended(view)`, the deadline
    `late(" (last error: ...)")`. Each poll is reported to `on_poll`."""
    clk = clock_mod.current()
    start = clk.now()
    deadline = start + timeout
    poll = 0
    while True:
        poll += 1
        polled_at = clk.now()
        result: T | None = None
        error: OtpError | None = None
        try:
            result = fetch()
        except Refused as exc:
            if not exc.retryable:  # a wrong URL answers 404 forever: say so now
                raise
            error = exc
        except ProviderError as exc:  # network, 5xx, garbage: try again next interval
            error = exc
        now = clk.now()
        shown = view(result) if result is not None else None
        if on_poll:
            on_poll(PollEvent(poll, now - start, max(0.0, deadline - now), shown, error))
        if result is not None:
            if done(result):
                return result
            if shown is not None and shown.state.terminal:
                raise ended(shown)
        if now >= deadline:
            raise late(f" (last error: {error.message})" if error else "")
        clk.sleep(until_next_poll(polled_at, now, interval, deadline))


@dataclass(frozen=True)
class Outcome:
    """How one activation of a multi-wait ended: a status with a code, or an error."""

    provider: Provider
    activation_id: str
    status: StatusResult | None = None
    error: OtpError | None = None


Target = tuple[Provider, str]
Look = tuple[Target, StatusResult | None, OtpError | None]


def _poll(target: Target) -> tuple[StatusResult | None, OtpError | None]:
    try:
        return target[0].status(target[1]), None
    except OtpError as exc:
        return None, exc


class Batches:
    """Which providers of a multi-wait are asked about all their ids in one request.

    A provider with `Capability.BATCH_STATUS` is, while it has two or more ids pending.
    A batch that fails teaches nothing: its ids are looked at one by one that round.
    `Unsupported` (or any lasting error) turns batching off for that provider for the
    rest of the wait; transient failures do after `GIVE_UP` in a row."""

    GIVE_UP = 3

    def __init__(self) -> None:
        self._off: set[int] = set()
        self._failures: dict[int, int] = {}

    def wanted(self, provider: Provider, count: int) -> bool:
        return (
            count > 1
            and id(provider) not in self._off
            and provider.supports(Capability.BATCH_STATUS)
        )

    def ask(self, provider: Provider, ids: list[str]) -> dict[str, StatusResult] | None:
        """The host's answer for `ids`, or None when they must be looked at one by one."""
        key = id(provider)
        statuses = getattr(provider, "statuses", None)  # optional in the Provider protocol
        if statuses is None:
            self._off.add(key)
            return None
        try:
            answer: dict[str, StatusResult] = statuses(ids)
        except Interrupted:
            raise
        except ProviderError:  # network, 5xx, garbage: the batch may work next round
            self._failures[key] = self._failures.get(key, 0) + 1
            if self._failures[key] >= self.GIVE_UP:
                self._off.add(key)
            return None
        except OtpError:  # Unsupported, or a refusal: per-id looks from now on
            self._off.add(key)
            return None
        self._failures[key] = 0
        return answer


def look_round(
    pool: ThreadPoolExecutor, pending: Sequence[Target], batches: Batches
) -> Iterator[Look]:
    """One round of looks at the pending activations, yielded as they are known.

    One batched request per provider that offers it; from its answer only two things
    are concluded: still waiting, or a code. Every id it leaves out, or says has ended,
    is then looked at with `status()` (with the rest, concurrently) before anything is
    concluded, so a code that came just before an order left the host's list is never
    lost."""
    groups: dict[int, list[Target]] = {}
    for target in pending:
        groups.setdefault(id(target[0]), []).append(target)
    batched = [g for g in groups.values() if batches.wanted(g[0][0], len(g))]
    singles = [t for g in groups.values() if not any(g is b for b in batched) for t in g]
    answers = pool.map(lambda g: batches.ask(g[0][0], [t[1] for t in g]), batched)
    for group, answer in zip(batched, answers, strict=True):
        for target in group:
            status = None if answer is None else answer.get(target[1])
            if status is None or status.state.terminal:
                singles.append(target)
            else:
                yield target, status, None
    for target, (status, error) in zip(singles, pool.map(_poll, singles), strict=True):
        yield target, status, error


def _ended(target: Target, status: StatusResult | None, error: OtpError | None) -> Outcome | None:
    """The outcome a look settles, or None while the activation is still waiting."""
    provider, activation_id = target
    if status is not None and status.state is State.CODE_RECEIVED:
        return Outcome(provider, activation_id, status=status)
    if status is not None and status.state.terminal:
        why = f"activation {activation_id} is {status.state.value}; no code will arrive"
        return Outcome(provider, activation_id, error=OrderStateError(why))
    if error is not None and not isinstance(error, ProviderError):
        return Outcome(provider, activation_id, error=error)
    return None


def wait_for_codes(
    targets: Sequence[Target],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 5.0,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_round: Callable[[int, int, float], None] | None = None,
    workers: int = 16,
) -> list[Outcome]:
    """Wait for many activations at once, under one overall deadline.

    Each round looks at every pending activation (`look_round`: one batched request per
    provider that offers `Capability.BATCH_STATUS`, else concurrent `status()` calls on a
    small thread pool over each provider's shared connection pool), then sleeps until
    `interval` after the round began. An outcome is reported through `on_outcome` the
    moment its round sees it. Activations still waiting at the deadline end with a
    `WaitTimeout` error. Total time is about that of the slowest activation, not the sum.
    """
    by_provider: dict[int, tuple[Provider, list[str]]] = {}
    for provider, activation_id in targets:
        by_provider.setdefault(id(provider), (provider, []))[1].append(activation_id)
    for provider, ids in by_provider.values():
        claim(provider, *ids)
    clk = clock_mod.current()
    start = clk.now()
    deadline = start + timeout
    pending = list(targets)
    outcomes: list[Outcome] = []
    batches = Batches()
    rounds = 0

    def finish(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    with thread_pool(min(workers, len(targets))) as pool:
        while pending:
            rounds += 1
            polled_at = clk.now()
            still: list[Target] = []
            for target, status, error in look_round(pool, pending, batches):
                outcome = _ended(target, status, error)
                if outcome is None:
                    still.append(target)
                else:
                    finish(outcome)
            pending = still
            now = clk.now()
            if on_round:
                on_round(rounds, len(pending), max(0.0, deadline - now))
            if not pending:
                break
            if now >= deadline:
                for provider, activation_id in pending:
                    why = f"no code for activation {activation_id} after {timeout:g} s"
                    finish(Outcome(provider, activation_id, error=WaitTimeout(why)))
                break
            clk.sleep(until_next_poll(polled_at, now, interval, deadline))
    return outcomes
