"""`otp orders`: the local journal of every purchase, and the provider's own list.

The journal is local (state dir); `--remote` asks the provider where it can list orders.
Listing tables go to stdout; the spend summary goes to stderr.
"""

from __future__ import annotations

import time
from collections import defaultdict
from decimal import Decimal
from typing import Annotated, Any

import typer

from otpcli.cli.common import JsonOpt, ProfileOpt, setup
from otpcli.cli.context import provider_for

# What a row cost: purchases the provider refused, or refunded, cost nothing.
_FREE_STATES = {"failed", "cancelled"}


def _age(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"


def _left(seconds: float) -> str:
    return "expired" if seconds <= 0 else _age(seconds)


def orders_cmd(
    ctx: typer.Context,
    active: Annotated[
        bool, typer.Option("--active", help="Only orders still waiting, unknown or pending.")
    ] = False,
    remote: Annotated[
        bool, typer.Option("--remote", help="Ask the provider for its own order list.")
    ] = False,
    limit: Annotated[int, typer.Option("--limit", help="With --remote: rows per page.")] = 20,
    page: Annotated[int, typer.Option("--page", help="With --remote: page number.")] = 1,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """List your purchases (the local journal), newest last, with a spend summary.

    Example: otp orders --active
    """
    e = setup(ctx, json_=json_, profile=profile)
    if remote:
        _remote(ctx, e, limit=limit, page=page)
        return
    from otpcli.core.session import open_journal

    journal = open_journal()
    try:
        rows = journal.orders(active=active)
    finally:
        journal.close()
    spent: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        if r.price is not None and r.state not in _FREE_STATES:
            spent[r.currency or ""] += r.price
    if e.json:
        e.json_doc(
            {
                "orders": [r.to_json() for r in rows],
                "spent": {cur or "unknown": str(v) for cur, v in spent.items()},
            }
        )
        return
    now = time.time()
    # Rentals and cheap numbers expire: a "left" column shows how long they still live
    # (only when some row has one, so a journal of plain activations keeps its width).
    expiring = any(r.expires_at and r.kind != "activation" for r in rows)
    columns = ["id", "provider", "service", "number", "state", "code", "price", "age"]
    table: list[list[Any]] = []
    for r in rows:
        line: list[Any] = [
            r.order_id or f"(row {r.row})",
            r.provider,
            r.service,
            r.number,
            r.state,
            r.code,
            "" if r.price is None else f"{r.price} {r.currency or ''}".strip(),
            _age(now - r.created_at),
        ]
        if expiring:
            exp = r.expires_at if r.kind != "activation" else None
            line.append(_left(exp - now) if exp else "")
        table.append(line)
    e.table([*columns, "left"] if expiring else columns, table)
    if not rows:
        e.info("no orders yet" if not active else "no active orders")
    if spent:
        total = ", ".join(f"{v} {cur}".strip() for cur, v in sorted(spent.items()))
        e.info(f"spent: {total} on {len(rows)} order(s) listed")
    pending = [r for r in rows if r.state == "cancel_pending"]
    if pending:
        e.info(f"{len(pending)} order(s) await a refund: run `otp cancel --pending --wait`")
    unknown = [r for r in rows if r.state == "unknown"]
    if unknown:
        e.info(
            f"{len(unknown)} purchase(s) have an unknown outcome: check them on the "
            "provider's dashboard (or `otp orders --remote`) before buying again"
        )


def _remote(ctx: typer.Context, e: Any, *, limit: int, page: int) -> None:
    from otpcli.core.errors import Unsupported
    from otpcli.core.provider import Capability

    with provider_for(ctx) as (provider, _settings):
        if not provider.supports(Capability.ORDERS):
            raise Unsupported(
                f"{provider.title} does not list orders; nothing was sent",
                hint="`otp orders` shows the local journal of your purchases",
            )
        rows: list[dict[str, str]] = provider.orders(limit=limit, page=page)
    if e.json:
        e.json_doc({"orders": rows})
        return
    columns: list[str] = []
    for r in rows:
        columns.extend(k for k in r if k not in columns)
    e.table(columns, [[r.get(c, "") for c in columns] for r in rows])
    if not rows:
        e.info("the provider lists no orders on this page")


# Registered lazily by name in otpcli.cli.app (only the command run is imported).
app = typer.Typer(add_completion=False)
app.command("orders")(orders_cmd)
