"""Settle what earlier runs left behind: `cancel_pending` rows and orphans.

What `otp cancel --pending` and the library's `Client.cancel_pending()` do, with no
Typer, no Rich and no printing (progress goes through callbacks).

Contract of `settle_pending(journal, open_order, ...)`:
- the `cancel_pending` rows are read first, then the orphans are settled by
  `otpcli.services.orphans.settle_orphans` (codes delivered, the rest refunded), then each
  `cancel_pending` row goes through the one clean-up policy (`cleanup.settle`): a code that
  arrived is delivered, an order that ended needs nothing, one still waiting is cancelled
  for a refund, waiting out the early-cancel window (within `budget`) only with `wait`.
  E-mail orders have no early-cancel window: one cancel settles them;
- `open_order(row)` opens the journaled provider the row was bought from (a context
  manager yielding it, or a `(provider, settings)` pair as the CLI's openers do);
- `keep(row)` (optional) picks the rows to settle, e.g. one provider's; a row that lives
  on a simulator inside another runner (`journal.reachable`) is never settled from here;
- a row that cannot be opened or cancelled stays `cancel_pending` and is reported in the
  result with its error; `Interrupted` is raised as it is (rows not reached stay for the
  next run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from otpcli.domain.errors import Interrupted, OrderStateError, OtpError
from otpcli.services import cleanup
from otpcli.services import journal as jr
from otpcli.services import orphans as orphans_mod
from otpcli.services.cleanup import Outcome, Settled


@dataclass
class PendingReport:
    """What one run settled: `rows` are the `cancel_pending` rows (each with its
    clean-up outcome), `orphans` the orphans. `failures` lists what is still owed."""

    rows: list[tuple[jr.Order, Settled]] = field(default_factory=list)
    orphans: list[orphans_mod.Settled] = field(default_factory=list)

    @property
    def failures(self) -> list[OtpError]:
        errors = [o.error for o in self.orphans if o.error is not None]
        for _row, settled in self.rows:
            if settled.outcome is Outcome.PENDING:
                errors.append(settled.error or OrderStateError(settled.message))
        return errors

    @property
    def codes(self) -> int:
        """How many rows turned out to have a code (paid for, delivered)."""
        return sum(1 for _r, s in self.rows if s.outcome is Outcome.CODE)


def _provider(opened: Any) -> Any:
    return opened[0] if isinstance(opened, tuple) else opened


def settle_row(
    row: jr.Order,
    open_order: orphans_mod.OpenOrder,
    *,
    wait: bool,
    budget: float,
    on_note: cleanup.Note | None = None,
) -> Settled:
    """Settle one `cancel_pending` row with the clean-up policy."""
    assert row.order_id is not None
    with open_order(row) as opened:
        if row.kind == jr.EMAIL:
            return cleanup.settle(
                _provider(opened), row.order_id, wait_out_window=False, check_capability=False
            )
        return cleanup.settle(
            _provider(opened),
            row.order_id,
            wait_out_window=wait,
            budget=budget if wait else 0.0,
            on_note=on_note,
        )


def settle_pending(
    journal: jr.Journal,
    open_order: orphans_mod.OpenOrder,
    *,
    wait: bool,
    budget: float = cleanup.DEFAULT_BUDGET,
    keep: Callable[[jr.Order], bool] | None = None,
    report: Callable[[str], None] = lambda _line: None,
    on_code: Callable[[orphans_mod.Settled], None] = lambda _s: None,
    on_note: cleanup.Note | None = None,
    on_orphan_note: cleanup.Note | None = None,
    on_row: Callable[[jr.Order, Settled], None] | None = None,
    all_runners: bool = False,
) -> PendingReport:
    """Settle every `cancel_pending` row and orphan (see the module's contract); with
    `all_runners`, also the orphans of other runners whose lease expired.
    `on_row` hears each row's outcome as soon as it is known; `on_note` the early-cancel
    retries of the rows (`on_orphan_note` those of the orphans)."""
    rows = [
        r
        for r in journal.orders(state=jr.CANCEL_PENDING)
        # A row on a simulator inside another runner cannot be reached from here.
        if r.order_id and jr.reachable(r) and (keep is None or keep(r))
    ]
    done = PendingReport()
    done.orphans = orphans_mod.settle_orphans(
        journal,
        open_order,
        wait=wait,
        budget=budget,
        report=report,
        on_code=on_code,
        on_note=on_orphan_note,
        keep=keep,
        all_runners=all_runners,
    )
    for row in rows:
        assert row.order_id is not None
        try:
            settled = settle_row(row, open_order, wait=wait, budget=budget, on_note=on_note)
        except Interrupted:
            raise  # the rows not reached stay cancel_pending for the next run
        except OtpError as exc:  # the provider could not even be opened
            settled = Settled(row.order_id, Outcome.PENDING, exc.message, error=exc)
        done.rows.append((row, settled))
        if on_row is not None:
            on_row(row, settled)
    return done
