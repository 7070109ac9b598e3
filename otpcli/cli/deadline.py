"""Time bounds of the waiting commands: the clean-up after a wait, and sane numbers.

- `CleanupOpt` (`--cleanup-timeout S`, default 120) bounds the clean-up after a wait
  that ended without a code (cancelling for a refund, waiting out an early-cancel
  window): the policy of `otpcli.services.cleanup` stops retrying after S seconds and a hard
  limit cuts it at S + `LAST_REQUEST` seconds (the request in flight). After a signal the
  clean-up has at most `SIGNAL_BUDGET` (5) seconds: CI sends SIGKILL a few seconds after
  SIGTERM, and a hung provider must not turn a clean exit into a killed process that
  never wrote its journal note. What is not settled in time is `cancel_pending`.
- `clean_up()` runs the one clean-up policy for one order under those bounds and reports its
  progress on stderr; it never raises for a refusal, a cut or a second Ctrl-C (the order
  is then `cancel_pending` and the outcome says so).
- `timed_out()` words a wait's timeout after a clean-up that delivered no code (single
  SMS and e-mail waits share it).
- `finite_seconds` / `positive_number` refuse NaN, infinities, negatives and absurdly
  large numbers with exit 2 before anything is sent.
"""

from __future__ import annotations

import math
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from otpcli.domain.errors import BadInput, Interrupted, OtpError
from otpcli.services.cleanup import (
    DEFAULT_BUDGET,
    SIGNAL_BUDGET,
    CleanupTimeout,
    Outcome,
    Settleable,
    Settled,
    settle,
)

if TYPE_CHECKING:
    from otpcli.cli.render import Env

__all__ = ["CleanupTimeout", "time_limit"]

CLEANUP_SECONDS = SIGNAL_BUDGET
LAST_REQUEST = 5.0  # the hard limit's grace for the request in flight at the bound
MAX_SECONDS = 7 * 24 * 3600.0  # a week: anything longer is a typo, not a wait


def finite_seconds(value: float | None, option: str = "--timeout") -> float | None:
    """`value` if it is a finite number of seconds in [0, a week]; else BadInput (2)."""
    if value is None:
        return None
    if not math.isfinite(value) or value < 0 or value > MAX_SECONDS:
        raise BadInput(
            f"{option} must be a number of seconds from 0 to {MAX_SECONDS:g}, not {value!r}"
        )
    return value


def _cleanup_cb(value: float) -> float:
    checked = finite_seconds(value, "--cleanup-timeout")
    assert checked is not None
    return checked


CleanupOpt = Annotated[
    float,
    typer.Option(
        "--cleanup-timeout",
        help="After a wait without a code, seconds to spend cancelling it for a refund "
        "(waiting out a provider's early-cancel window), plus at most "
        f"{LAST_REQUEST:g} s for the last request; after a signal at most "
        f"{SIGNAL_BUDGET:g} s. What is not settled is left for `otp cancel --pending`.",
        callback=_cleanup_cb,
        show_default=True,
    ),
]
CLEANUP_DEFAULT = DEFAULT_BUDGET


@contextmanager
def time_limit(seconds: float = CLEANUP_SECONDS) -> Iterator[None]:
    # SIGALRM can only be handled in the main thread; elsewhere run without a limit.
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    def expire(_signum: int, _frame: Any) -> None:
        raise CleanupTimeout(f"clean-up took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def hard_limit(budget: float, *, after_signal: bool) -> float:
    """Seconds after which a clean-up is cut, whatever is in flight."""
    return min(budget, SIGNAL_BUDGET) if after_signal else budget + LAST_REQUEST


def clean_up(
    e: Env,
    provider: Settleable,
    order_id: str,
    *,
    after_signal: bool,
    budget: float = DEFAULT_BUDGET,
    check_capability: bool = True,
) -> Settled:
    """Settle one order with the one clean-up policy under the CLI's bounds (see module doc)."""
    from otpcli.cli.render import NoteLine  # early-cancel retries: one line, not one each

    limit = hard_limit(budget, after_signal=after_signal)
    try:
        with time_limit(limit):
            settled = settle(
                provider,
                order_id,
                wait_out_window=not after_signal,
                budget=0.0 if after_signal else budget,
                on_note=NoteLine(e),
                check_capability=check_capability,
            )
    except (KeyboardInterrupt, Interrupted) as intr:
        # The policy has marked it cancel_pending before letting the signal through.
        why = "interrupted during clean-up"
        stop = Interrupted(why, signal_exit=Interrupted.exit_of(intr))
        return Settled(order_id, Outcome.PENDING, why, error=stop)
    except OtpError as cut:  # CleanupTimeout: cut at the hard limit
        return Settled(order_id, Outcome.PENDING, cut.message, error=cut)
    if settled.outcome is Outcome.CODE:
        e.info(f"the code for {order_id} arrived during clean-up; it is yours (no refund)")
    return settled


def timed_out(exc: OtpError, settled: Settled, *, rebuy: str) -> OtpError:
    """The timeout of a wait whose clean-up did not deliver a code, saying what the
    clean-up did: left `cancel_pending` (and how to settle it), or its own outcome."""
    if settled.outcome is Outcome.PENDING:
        exc.hint = (
            f"could not cancel ({settled.message}); it is marked cancel_pending: "
            "`otp cancel --pending --wait` settles it"
        )
        return exc
    exc.message += f"; {settled.message}"
    exc.args = (exc.message,)
    exc.hint = rebuy
    return exc
