"""Settle orphans: orders whose otp process died before it could clean up.

An orphan is a journal row in `pending`, `waiting` or `code_received` whose owning
process is gone for certain (SIGKILL, OOM, a lost CI runner, a reboot; see
`core/journal.py` and `core/owner.py`). Nobody else would ever cancel it, so its money
would stay with the provider, or its code would never be seen.

Contract of `settle_orphans` (no Typer, no Rich: it reports through callbacks):
- a `code_received` orphan: the code from the journal is delivered (`on_code`); nothing
  is sent;
- a `pending` orphan without an order id (killed while the purchase was out) is marked
  `unknown`, with the hint the CLI already gives for those: check the provider's list;
- any other orphan is looked at once (`status`, which the journal records). A code that
  arrived is delivered; an order that ended (cancelled, expired, finished) is left as it
  is; one still waiting is cancelled for a refund, waiting out the provider's early-cancel
  window only when `wait` is set. A cancel still refused turns the row `cancel_pending`
  (the next `otp cancel --pending --wait` settles it);
- each settled orphan is released (no owner), so it is handled once; one that could not
  be looked at (network, provider down) keeps its dead owner and stays an orphan;
- errors are collected per order (`Settled.error`) and never raised, except `Interrupted`
  (the rows not reached stay orphans for the next run).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from otpcli.core import journal as jr
from otpcli.core.errors import Interrupted, OrderStateError, OtpError
from otpcli.core.models import State

# Opens the provider an orphan was bought from; yields the journaled provider (or a
# `(provider, settings)` pair, as the CLI's `provider_for` does).
OpenOrder = Callable[[jr.Order], AbstractContextManager[Any]]


@dataclass
class Settled:
    order_id: str | None
    state: str
    message: str
    code: str | None = None
    text: str | None = None
    error: OtpError | None = None

    def to_json(self) -> dict[str, Any]:
        if self.error is not None:
            return {
                "id": self.order_id,
                "orphan": True,
                "error": self.error.code,
                "message": self.error.message,
            }
        doc: dict[str, Any] = {
            "id": self.order_id,
            "orphan": True,
            "state": self.state,
            "message": self.message,
        }
        if self.code is not None:
            doc.update(code=self.code, text=self.text)
        return doc


def settle_orphans(
    journal: jr.Journal,
    open_order: OpenOrder,
    *,
    wait: bool,
    report: Callable[[str], None] = lambda _line: None,
    on_code: Callable[[Settled], None] = lambda _s: None,
    on_retry: Callable[[str, float], None] | None = None,
) -> list[Settled]:
    """Settle every orphan in `journal` (see the module contract), newest first."""
    done: list[Settled] = []
    for row in journal.orphans():
        try:
            settled = _settle_one(journal, row, open_order, wait=wait, on_retry=on_retry)
        except Interrupted:
            raise
        except OtpError as err:
            settled = Settled(row.order_id, row.state, err.message, error=err)
            report(f"{row.order_id}: {err.message}")
        else:
            journal.disown(row.row)
            report(settled.message)
            if settled.code is not None:
                on_code(settled)
        done.append(settled)
    return done


def _settle_one(
    journal: jr.Journal,
    row: jr.Order,
    open_order: OpenOrder,
    *,
    wait: bool,
    on_retry: Callable[[str, float], None] | None,
) -> Settled:
    oid = row.order_id
    if row.state == "code_received" and row.code:
        return Settled(
            oid,
            row.state,
            f"{oid}: its process died; the code is {row.code}",
            code=row.code,
            text=row.text,
        )
    if oid is None:
        why = "its otp process died while the purchase was out; the outcome is unknown"
        journal.unknown(row.row, why)
        return Settled(None, jr.UNKNOWN, f"(row {row.row}): {why}")
    with open_order(row) as opened:
        provider = opened[0] if isinstance(opened, tuple) else opened
        status = provider.status(oid)
        if status.state is State.CODE_RECEIVED:
            return Settled(
                oid,
                status.state.value,
                f"{oid}: its process died; the code is {status.code}",
                code=status.code,
                text=status.text,
            )
        if status.state is not State.WAITING:
            return Settled(oid, status.state.value, f"{oid} is already {status.state.value}")
        return _cancel(provider, oid, wait=wait, on_retry=on_retry)


def _cancel(
    provider: Any, oid: str, *, wait: bool, on_retry: Callable[[str, float], None] | None
) -> Settled:
    from otpcli.core.waiting import settle_unused

    def retry(left: float) -> None:
        if on_retry is not None:
            on_retry(oid, left)

    try:
        result = settle_unused(provider, oid, wait_out_window=wait, on_retry=retry)
    except OrderStateError as err:
        after = provider.status(oid)  # a code may have come during the cancel
        if after.state is State.CODE_RECEIVED:
            return Settled(
                oid,
                after.state.value,
                f"{oid}: its process died; the code is {after.code}",
                code=after.code,
                text=after.text,
            )
        if after.state is not State.WAITING:
            return Settled(oid, after.state.value, f"{oid} is already {after.state.value}")
        provider.mark_cancel_pending(oid, f"orphan: {err.message}")
        raise err.with_message(
            f"{oid} (its process died) could not be cancelled yet: {err.message}; "
            "it is marked cancel_pending",
            hint="`otp cancel --pending --wait` waits out the early-cancel window",
        ) from err
    return Settled(oid, result.state.value, f"{oid} (its process died): {result.message}")
