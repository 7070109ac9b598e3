"""`otp orders`: the local journal of every purchase, and the provider's own list.

The journal is local (state dir); `--remote` asks the provider where it can list orders.
Listing tables go to stdout; the spend summary and hints go to stderr.

Scale: the table shows at most `--limit` rows (default 50): the active orders first, then
the most recent others, newest first; `--all` shows every row. `--json` lists every row
(oldest first) unless `--limit` is given, written to stdout as it is read from the journal
(one JSON document, never every row in memory). Totals come from SQL, not from the rows
shown. An orphan (an order whose otp process died, services/journal.py) is marked in the
state column and as `"orphan": true` in JSON; `otp cancel --pending` settles it.

Spending cap: when one is set (`--max-spend`, `OTPCLI_MAX_SPEND`, the profile's
`max_spend`), the summary says the cap, what its window counts and what is left (stderr),
and `--json` carries it as `"spend_cap"` (null without a cap). Its currency is the
profile's provider's; a cap whose settings cannot be resolved is simply not shown.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from otpcli.cli.common import JsonOpt, ProfileOpt, global_options, setup
from otpcli.cli.context import provider_for

if TYPE_CHECKING:
    from otpcli.cli.render import Env
    from otpcli.services.journal import Journal, Order
    from otpcli.services.spending import Cap

DEFAULT_LIMIT = 50
REMOTE_LIMIT = 20
# Copied from the table: never wrapped mid-value.
_NO_WRAP = ("id", "number")


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
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit",
            min=1,
            help=f"Rows to show (default {DEFAULT_LIMIT}; --json: every row; "
            f"--remote: rows per page, default {REMOTE_LIMIT}).",
        ),
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Show every row of the journal.")] = False,
    page: Annotated[int, typer.Option("--page", help="With --remote: page number.")] = 1,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """List your purchases (the local journal): active first, then the newest, with a
    spend summary.

    Example: otp orders --active
    """
    e = setup(ctx, json_=json_, profile=profile)
    if remote:
        _remote(ctx, e, limit=limit or REMOTE_LIMIT, page=page)
        return
    from otpcli.services.session import open_journal, quiet_leftovers

    quiet_leftovers()  # the listing says it itself
    cap = _cap(ctx)
    journal = open_journal()
    try:
        if e.json:
            _json(e, journal, active=active, limit=None if all_ else limit, cap=cap)
        else:
            _table(e, journal, active=active, limit=None if all_ else limit or DEFAULT_LIMIT)
            if cap is not None:
                _cap_line(e, journal, cap)
    finally:
        journal.close()


def _cap(ctx: typer.Context) -> Cap | None:
    """The spending cap in effect for this profile, in its provider's currency."""
    from otpcli import providers
    from otpcli.domain.errors import ConfigError
    from otpcli.services import config, spending

    opts = global_options(ctx)
    try:
        settings = config.resolve_settings(
            profile=opts.profile,
            provider=providers.SANDBOX if opts.sandbox else None,
            base_url=opts.base_url,
            max_spend=opts.max_spend,
            require_key=False,
        )
    except ConfigError:
        return None  # the journal is still worth listing
    cap = spending.from_setting(*settings.max_spend)
    if cap is None:
        return None
    name = settings.provider.value
    # Drivers declare their currency as a class attribute (the protocol's property).
    currency = getattr(providers.driver_class(name), "currency", None) if name else None
    return cap.for_currency(currency if isinstance(currency, str) else None)


def _cap_doc(journal: Journal, cap: Cap) -> dict[str, Any]:
    from otpcli.services import spending

    spent = journal.spent_in(cap.currency, cap.since(time.time()))
    return {
        **cap.to_json(),
        "spent": str(spent.amount),
        "left": str(spending.left(cap, spent)),
        "frees_at": spending.frees_at(cap, spent),
    }


def _cap_line(e: Env, journal: Journal, cap: Cap) -> None:
    doc = _cap_doc(journal, cap)
    cur = f" {cap.currency}" if cap.currency else ""
    per = f"/{cap.period}" if cap.period else " (all time)"
    line = (
        f"spending cap {cap.amount}{cur}{per} (from {cap.source}): {doc['spent']}{cur}"
        f" spent {cap.window}, {doc['left']}{cur} left"
    )
    if doc["frees_at"] is not None:
        line += f"; the oldest counted purchase leaves the window at {_utc(doc['frees_at'])}"
    e.info(line)


def _utc(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t))


def _flagged(journal: Journal, rows: Iterator[Order]) -> Iterator[tuple[Order, bool]]:
    from otpcli.services.journal import is_orphan
    from otpcli.services.owner import Liveness

    alive = Liveness()
    for r in rows:
        yield r, is_orphan(r, alive)


def _json(
    e: Env, journal: Journal, *, active: bool, limit: int | None, cap: Cap | None = None
) -> None:
    """One JSON document, written row by row as the cursor yields them."""
    from otpcli.domain.masking import json_safe

    rows = journal.iter_orders(active=active or None, limit=limit, newest_first=False)
    e.write_raw('{"orders": [')
    for i, (r, orphan) in enumerate(_flagged(journal, rows)):
        doc = json.dumps({**r.to_json(), "orphan": orphan}, ensure_ascii=False, default=str)
        e.write_raw(("," if i else "") + "\n" + json_safe(doc))
    spent = journal.spent(active=active or None)
    summary = json.dumps({c or "unknown": str(v) for c, v in spent.items()})
    capped = json.dumps(None if cap is None else _cap_doc(journal, cap))
    e.write_raw('\n], "spent": ' + summary + ', "spend_cap": ' + capped + "}\n", flush=True)


def _shown(journal: Journal, *, active: bool, limit: int | None) -> Iterator[Order]:
    """The rows of the table: active ones first, then the newest of the rest."""
    if limit is None:
        yield from journal.iter_orders(active=active or None)
        return
    n = 0
    for r in journal.iter_orders(active=True, limit=limit):
        n += 1
        yield r
    if not active and n < limit:
        yield from journal.iter_orders(active=False, limit=limit - n)


def _table(e: Any, journal: Journal, *, active: bool, limit: int | None) -> None:
    now = time.time()
    rows = list(_flagged(journal, _shown(journal, active=active, limit=limit)))
    # Rentals and cheap numbers expire: a "left" column shows how long they still live
    # (only when some row has one, so a journal of plain activations keeps its width).
    expiring = any(r.expires_at and r.kind != "activation" for r, _ in rows)
    columns = ["id", "provider", "service", "number", "state", "code", "price", "age"]
    table: list[list[Any]] = []
    for r, orphan in rows:
        line: list[Any] = [
            r.order_id or f"(row {r.row})",
            r.provider,
            r.service,
            r.number,
            f"{r.state} (orphan)" if orphan else r.state,
            r.code,
            "" if r.price is None else f"{r.price} {r.currency or ''}".strip(),
            _age(now - r.created_at),
        ]
        if expiring:
            exp = r.expires_at if r.kind != "activation" else None
            line.append(_left(exp - now) if exp else "")
        table.append(line)
    e.table([*columns, "left"] if expiring else columns, table, no_wrap=_NO_WRAP)
    total = journal.count(active=active or None)
    if not rows:
        e.info("no orders yet" if not active else "no active orders")
    elif len(rows) < total:
        e.info(
            f"{len(rows)} of {total} orders shown (active first, then newest): "
            "--all or --limit N for more"
        )
    _summary(e, journal, active=active, total=total)


def _summary(e: Any, journal: Journal, *, active: bool, total: int) -> None:
    from otpcli.services.journal import UNKNOWN

    spent: dict[str, Decimal] = journal.spent(active=active or None)
    if spent:
        sums = ", ".join(f"{v} {cur}".strip() for cur, v in sorted(spent.items()))
        e.info(f"spent: {sums} on {total} order(s)")
    line = journal.leftovers().line()
    if line:
        e.info(line)
    unknown = journal.count(state=UNKNOWN)
    if unknown:
        e.info(
            f"{unknown} purchase(s) have an unknown outcome: check them on the "
            "provider's dashboard (or `otp orders --remote`) before buying again"
        )


def _remote(ctx: typer.Context, e: Any, *, limit: int, page: int) -> None:
    from otpcli.domain.errors import Unsupported
    from otpcli.domain.provider import Capability

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
