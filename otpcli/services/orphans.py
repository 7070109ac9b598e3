"""Settle orphans: orders whose otp process died before it could clean up.

An orphan is a journal row in `pending`, `waiting` or `code_received` whose owning
process is gone for certain (SIGKILL, OOM, a lost CI runner, a reboot; see
`services/journal.py` and `services/owner.py`). Nobody else would ever cancel it, so its money
would stay with the provider, or its code would never be seen.

Contract of `settle_orphans` (no Typer, no Rich: it reports through callbacks):
- a `code_received` orphan: the code from the journal is delivered (`on_code`); nothing
  is sent;
- a `pending` orphan without an order id (killed while the purchase was out) is marked
  `unknown`, with the hint the CLI already gives for those: check the provider's list;
- any other orphan goes through the one clean-up policy (`services.cleanup.settle`): looked
  at before and after each cancel, a code that arrived is delivered; an order that ended
  (cancelled, expired, finished) is left as it is; one still waiting is cancelled for a
  refund, waiting out the provider's early-cancel window (within `budget`) only when
  `wait` is set. A cancel still refused turns the row `cancel_pending` (the next
  `otp cancel --pending --wait` settles it);
- an orphan is first taken over (`Journal.take`, a compare-and-set on its owner): one
  that another process took meanwhile (two runners settling at once) is skipped, so it
  is settled once;
- each settled orphan is released (no owner), so it is handled once; one that could not
  be settled (network, provider down, an interruption, any error) gets its dead owner
  back and stays an orphan: a failed settle never leaves a row without an owner;
- with `all_runners`, the orphans of other runners sharing the journal count too: rows
  whose owner's lease expired (`Journal.orphans(all_runners=True)`), except the rows
  that live on a simulator inside another runner (no base URL): they cannot be reached
  from here and are never taken (`journal.reachable`);
- errors are collected per order (`Settled.error`) and never raised, except `Interrupted`
  (the rows not reached stay orphans for the next run).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from otpcli.domain.errors import Interrupted, OrderStateError, OtpError
from otpcli.domain.models import State
from otpcli.services import cleanup
from otpcli.services import journal as jr
from otpcli.services.cleanup import settle

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
    budget: float = cleanup.DEFAULT_BUDGET,
    report: Callable[[str], None] = lambda _line: None,
    on_code: Callable[[Settled], None] = lambda _s: None,
    on_note: cleanup.Note | None = None,
    keep: Callable[[jr.Order], bool] | None = None,
    all_runners: bool = False,
) -> list[Settled]:
    """Settle every orphan in `journal` (see the module contract), newest first;
    with `keep`, only the orphans it picks (e.g. one provider's)."""
    done: list[Settled] = []
    for row in journal.orphans(all_runners=all_runners):
        if keep is not None and not keep(row):
            continue
        if not journal.take(row):
            continue  # another process settles it
        try:
            settled = _settle_one(
                journal, row, open_order, wait=wait, budget=budget, on_note=on_note
            )
        except Interrupted:
            journal.give_back(row)
            raise
        except OtpError as err:
            journal.give_back(row)
            settled = Settled(row.order_id, row.state, err.message, error=err)
            report(f"{row.order_id}: {err.message}")
        except BaseException:
            # Anything unforeseen (a bug, the journal's server gone): the row must not
            # be left to this process (its close() would leave it without an owner).
            journal.give_back(row)
            raise
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
    budget: float,
    on_note: cleanup.Note | None,
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
        email = row.kind == jr.EMAIL
        done = settle(
            provider,
            oid,
            # An e-mail order has no early-cancel window, and no CANCEL capability to
            # ask for: one cancel settles it (as for its cancel_pending rows).
            wait_out_window=wait and not email,
            budget=budget if wait and not email else 0.0,
            on_note=on_note,
            check_capability=not email,
        )
    return _as_orphan(oid, done)


def _as_orphan(oid: str, done: cleanup.Settled) -> Settled:
    """The clean-up policy's outcome, told as what became of an orphan."""
    status = done.status
    if done.outcome is cleanup.Outcome.CODE and status is not None:
        shown = status.code or status.text
        return Settled(
            oid,
            State.CODE_RECEIVED.value,
            f"{oid}: its process died; the code is {shown}",
            code=shown,
            text=status.text,
        )
    if done.outcome is cleanup.Outcome.PENDING:
        err = done.error or OrderStateError(done.message)
        raise err.with_message(
            f"{oid} (its process died) could not be cancelled yet: {err.message}; "
            "it is marked cancel_pending",
            hint="`otp cancel --pending --wait` waits out the early-cancel window",
        )
    if done.outcome is cleanup.Outcome.ENDED:
        state = status.state.value if status is not None else "ended"
        return Settled(oid, state, f"{oid} is already {state}")
    state = done.result.state.value if done.result is not None else "cancelled"
    return Settled(oid, state, f"{oid} (its process died): {done.message}")
