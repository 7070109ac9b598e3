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
from typing import TYPE_CHECKING, Annotated

import typer

from otpcli.domain.errors import BadInput, ExitCode, Interrupted, OtpError
from otpcli.services.cleanup import (
    DEFAULT_BUDGET,
    LAST_REQUEST,
    SIGNAL_BUDGET,
    CleanupTimeout,
    Outcome,
    Settleable,
    Settled,
    bounded,
    hard_limit,
    time_limit,
)

if TYPE_CHECKING:
    from otpcli.cli.render import Env

__all__ = ["CleanupTimeout", "hard_limit", "time_limit"]

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

    settled = bounded(
        provider,
        order_id,
        after_signal=after_signal,
        budget=budget,
        on_note=NoteLine(e),
        check_capability=check_capability,
    )
    if settled.outcome is Outcome.CODE:
        e.info(f"the code for {order_id} arrived during clean-up; it is yours (no refund)")
    return settled


def after_signal(
    e: Env,
    provider: Settleable,
    order_id: str,
    intr: BaseException,
    *,
    keep: bool,
    what: str,
    resume: str,
    budget: float,
    check_capability: bool = True,
) -> tuple[Settled, ExitCode]:
    """A wait interrupted by Ctrl-C or SIGTERM: with --keep, the order is left as it is
    (raised at once, saying how to resume); else it is settled at once under the short
    after-signal bound. The settled outcome and the exit code the signal stands for."""
    code = Interrupted.exit_of(intr)
    if keep:
        raise Interrupted(
            f"interrupted; {what} {order_id} is kept (--keep)",
            signal_exit=code,
            hint=f"resume with `{resume}`",
        ) from None
    e.info(f"interrupted; cancelling {order_id} for a refund (Ctrl-C again to skip) ...")
    settled = clean_up(
        e, provider, order_id, after_signal=True, budget=budget, check_capability=check_capability
    )
    return settled, code


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
