"""The one clean-up policy for an order whose wait ended without a code.

Used by every waiting command (single and many activations, cheap numbers, e-mail,
`otp cancel --pending`) and meant for the library: no Typer, no Rich, no printing.
It returns outcomes and reports progress through a callback.

Contract of `settle(provider, order_id, ...)`:
- The order is looked at (`provider.status`) before every cancel attempt and after
  every cancel attempt that did not succeed. A look that shows a code ends the clean-up
  with `CODE`: the code is delivered, never cancelled away (a code-carrying refusal
  from the driver, `OrderStateError.details["code"]`, counts as such a look too).
  Through a journaled provider each look is journaled, so the journal says
  `code_received`.
- A look that shows the order ended (cancelled, expired, finished) ends it with `ENDED`:
  nothing is owed (e.g. a cancel whose reply was lost went through after all).
- A cancel that succeeds ends it with `CANCELLED` (a cancel that answers with a code, as
  e-mail orders do, is `CODE`).
- With `wait_out_window`, an early-cancel refusal (`EARLY_CANCEL_DENIED`) is retried
  every `RETRY_EVERY` seconds while the `budget` lasts; the budget is the clean-up's
  whole time bound (each request is bounded by the transport's total deadline).
- Anything else leaves the order `PENDING`: `mark_cancel_pending` records the refund it
  is owed for `otp cancel --pending`, with the reason, before `settle` returns. A signal
  (`Interrupted`/`KeyboardInterrupt`) or any other exception raised out of `settle`
  records it the same way first.
Time comes from `otpcli.domain.clock`, so tests run the early-cancel window in milliseconds.

`bounded(provider, order_id, after_signal=...)` runs `settle` under the time bounds every
caller shares (the CLI's waits and the library's context managers): the policy's budget,
plus a hard limit (`hard_limit`, enforced with SIGALRM by `time_limit` in the main
thread) for a request that hangs; after a signal at most `SIGNAL_BUDGET` seconds and no
early-cancel retries. It never raises for a refusal or a cut: the order is then
`cancel_pending` and the returned `Settled` says so. A signal (`KeyboardInterrupt`,
`Interrupted`) during the clean-up is returned the same way (the CLI is exiting anyway),
or, with `raise_signals=True` (the library: its caller must see the Ctrl-C), raised
after the order is marked `cancel_pending`.
`time_limit` puts back the caller's SIGALRM handler and what was left of its ITIMER_REAL
timer (e.g. pytest-timeout's), less the time the clean-up took.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from otpcli.domain import clock as clock_mod
from otpcli.domain.errors import Interrupted, OrderStateError, OtpError, ProviderError
from otpcli.domain.models import State, StatusResult
from otpcli.domain.provider import Capability

# The early-cancel window of the providers that have one is 2 minutes from purchase:
# the default clean-up bound waits it out whatever the wait took.
DEFAULT_BUDGET = 120.0
# After a signal CI sends SIGKILL a few seconds after SIGTERM: the clean-up has this long.
SIGNAL_BUDGET = 5.0
RETRY_EVERY = 10.0
LAST_REQUEST = 5.0  # the hard limit's grace for the request in flight at the bound
EARLY_WORD = "EARLY_CANCEL_DENIED"


class CleanupTimeout(ProviderError):
    """The clean-up ran out of its time; what is left is recorded for later. Raised by
    a caller's hard time limit (the CLI's SIGALRM), never swallowed as a refusal."""


# Raised through the policy as they are, never taken for a refusal or a failed look.
_CUTS = (Interrupted, CleanupTimeout)


class Outcome(StrEnum):
    CODE = "code_received"  # a code arrived: deliver it
    CANCELLED = "cancelled"  # cancelled for a refund
    ENDED = "ended"  # the order ended another way; nothing is owed
    PENDING = "cancel_pending"  # not settled now; recorded for `otp cancel --pending`


@dataclass(frozen=True)
class Settled:
    """How the clean-up of one order ended. `status` carries the code for `CODE` (and
    the final look for `ENDED`); `error` says why an order is `PENDING`."""

    order_id: str
    outcome: Outcome
    message: str
    status: StatusResult | None = None
    result: Any = None
    error: OtpError | None = None


class Settleable(Protocol):
    """An SMS or e-mail driver, or its journaled wrapper."""

    def supports(self, capability: Capability) -> bool: ...

    def status(self, order_id: str) -> Any: ...  # .state, .code, .text

    def cancel(self, order_id: str) -> Any: ...  # .state, .message, maybe .code

    def mark_cancel_pending(self, order_id: str, why: str) -> None: ...


Note = Callable[[str, str], None]  # (order id, what is happening)


def _look(provider: Settleable, order_id: str) -> tuple[Any, OtpError | None]:
    """One look at the order; a failure is returned, not raised (a signal is raised)."""
    try:
        return provider.status(order_id), None
    except _CUTS:
        raise
    except OtpError as exc:
        return None, exc


def _as_status(order_id: str, look: Any) -> StatusResult:
    return StatusResult(
        id=order_id,
        state=look.state,
        code=getattr(look, "code", None),
        text=getattr(look, "text", None),
    )


def _concluded(order_id: str, look: Any) -> Settled | None:
    """What a look settles: a code, an ended order, or None while it waits."""
    if look is None:
        return None
    if look.state is State.CODE_RECEIVED:
        st = _as_status(order_id, look)
        return Settled(order_id, Outcome.CODE, f"the code for {order_id} arrived", status=st)
    if look.state.terminal:
        why = f"{order_id} is already {look.state.value}; nothing left to cancel"
        return Settled(order_id, Outcome.ENDED, why, status=_as_status(order_id, look))
    return None


def _code_in_refusal(provider: Settleable, order_id: str, exc: OtpError) -> Settled | None:
    """A driver's refusal that carries the code that made it (see `_code_instead`)."""
    code = exc.details.get("code") if isinstance(exc, OrderStateError) else None
    if not code:
        return None
    text = exc.details.get("text")
    st = StatusResult(order_id, State.CODE_RECEIVED, code=str(code), text=str(text or "") or None)
    record = getattr(provider, "record_status", None)  # journal it where there is one
    if record is not None:
        with contextlib.suppress(OtpError):
            record(st)
    return Settled(order_id, Outcome.CODE, f"the code for {order_id} arrived", status=st)


def _cancelled(order_id: str, result: Any) -> Settled:
    code = getattr(result, "code", None)
    if code:  # an e-mail order completes with its code instead of cancelling
        st = StatusResult(order_id, State.CODE_RECEIVED, code=code)
        return Settled(order_id, Outcome.CODE, result.message, status=st, result=result)
    return Settled(order_id, Outcome.CANCELLED, result.message, result=result)


def settle(
    provider: Settleable,
    order_id: str,
    *,
    wait_out_window: bool,
    budget: float = DEFAULT_BUDGET,
    on_note: Note | None = None,
    check_capability: bool = True,
) -> Settled:
    """Settle one order that got no code: see the module's contract."""
    reason = "clean-up cut short"
    try:
        settled = _settle(
            provider,
            order_id,
            wait_out_window=wait_out_window,
            budget=budget,
            on_note=on_note,
            check_capability=check_capability,
        )
    except BaseException as cut:
        reason = cut.message if isinstance(cut, OtpError) else "interrupted during clean-up"
        with contextlib.suppress(OtpError):
            provider.mark_cancel_pending(order_id, reason)
        raise
    if settled.outcome is Outcome.PENDING:
        provider.mark_cancel_pending(order_id, settled.message)
    return settled


def _settle(
    provider: Settleable,
    order_id: str,
    *,
    wait_out_window: bool,
    budget: float,
    on_note: Note | None,
    check_capability: bool,
) -> Settled:
    clk = clock_mod.current()
    give_up = clk.now() + budget
    while True:
        look, _ = _look(provider, order_id)
        done = _concluded(order_id, look)
        if done is not None:
            return done
        if check_capability and not provider.supports(Capability.CANCEL):
            why = OrderStateError(f"{order_id} cannot be cancelled through this provider")
            return Settled(order_id, Outcome.PENDING, why.message, error=why)
        try:
            return _cancelled(order_id, provider.cancel(order_id))
        except _CUTS:
            raise
        except OtpError as exc:
            refusal = exc
        look, _ = _look(provider, order_id)  # did it end, or did a code come, meanwhile?
        done = _concluded(order_id, look) or _code_in_refusal(provider, order_id, refusal)
        if done is not None:
            return done
        early = (refusal.provider_word or "").upper() == EARLY_WORD
        left = give_up - clk.now()
        if not (early and wait_out_window) or left <= 0:
            return Settled(order_id, Outcome.PENDING, refusal.message, error=refusal)
        if on_note:
            on_note(order_id, f"early cancel refused; retrying for up to {left:.0f} s")
        clk.sleep(min(RETRY_EVERY, left))


@contextlib.contextmanager
def time_limit(seconds: float = SIGNAL_BUDGET) -> Iterator[None]:
    """Raise `CleanupTimeout` after `seconds`, whatever is in flight. SIGALRM can only be
    handled in the main thread; elsewhere (and without setitimer) it runs unbounded.
    A timer the caller had armed is put back afterwards with what is left of it; when it
    is due first, it cuts the clean-up (as the caller's deadline would) and fires at once
    after it."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    armed = max(seconds, 0.001)

    def expire(_signum: int, _frame: Any) -> None:
        raise CleanupTimeout(f"clean-up took longer than {armed:g} s")

    started = time.monotonic()
    previous = signal.signal(signal.SIGALRM, expire)
    theirs, every = signal.setitimer(signal.ITIMER_REAL, armed)
    if 0 < theirs < armed:
        armed = theirs
        signal.setitimer(signal.ITIMER_REAL, armed)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if theirs > 0:
            # 0 would disarm it: a deadline that passed meanwhile fires right away.
            left = max(theirs - (time.monotonic() - started), 0.001)
            signal.setitimer(signal.ITIMER_REAL, left, every)


def hard_limit(budget: float, *, after_signal: bool) -> float:
    """Seconds after which a clean-up is cut, whatever is in flight."""
    return min(budget, SIGNAL_BUDGET) if after_signal else budget + LAST_REQUEST


def bounded(
    provider: Settleable,
    order_id: str,
    *,
    after_signal: bool,
    budget: float = DEFAULT_BUDGET,
    on_note: Note | None = None,
    check_capability: bool = True,
    raise_signals: bool = False,
) -> Settled:
    """`settle` one order under the shared time bounds (see the module's contract)."""
    limit = hard_limit(budget, after_signal=after_signal)
    try:
        with time_limit(limit):
            return settle(
                provider,
                order_id,
                wait_out_window=not after_signal,
                budget=0.0 if after_signal else budget,
                on_note=on_note,
                check_capability=check_capability,
            )
    except (KeyboardInterrupt, Interrupted) as intr:
        # The policy has marked it cancel_pending before letting the signal through.
        if raise_signals:
            raise
        why = "interrupted during clean-up"
        stop = Interrupted(why, signal_exit=Interrupted.exit_of(intr))
        return Settled(order_id, Outcome.PENDING, why, error=stop)
    except OtpError as cut:  # CleanupTimeout: cut at the hard limit
        return Settled(order_id, Outcome.PENDING, cut.message, error=cut)
