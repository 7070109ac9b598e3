"""`otp cheap servers|buy`: cheap numbers (15-minute life) for quick verifications.

A cheap number is an activation on its own handler: `otp cheap buy` journals it with
kind `cheap`, and the ordinary `otp wait/status/finish/cancel ID` find it there and talk
to the right handler. `buy` prints `ID NUMBER` (with --wait: the code) on stdout; the
server table goes to stdout; everything else to stderr. A provider without cheap
numbers: exit 2, nothing sent.
"""

from __future__ import annotations

from typing import Annotated

import typer

from otpcli.cli.common import IntervalOpt, JsonOpt, ProfileOpt, TimeoutOpt, setup
from otpcli.cli.context import provider_for
from otpcli.cli.deadline import CLEANUP_DEFAULT, CleanupOpt
from otpcli.cli.render import Listing

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Cheap numbers (15-minute life)."
)

ServerTypeOpt = Annotated[
    str | None,
    typer.Option("--server-type", help="Server type: 1 (Server 1) or 2 (Server 2) (default: 1)."),
]


@app.command("servers")
def servers_cmd(
    ctx: typer.Context,
    server_type: ServerTypeOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """List the cheap-number servers (without --server-type: both types).

    Example: otp cheap servers --server-type 1
    """
    e = setup(ctx, json_=json_, profile=profile)
    # A provider without cheap numbers is refused (exit 2) when the driver is looked up.
    with provider_for(ctx, product="cheap") as (provider, _settings):
        servers = provider.servers(server_type=server_type)
    e.show(
        Listing(
            {"servers": [s.to_json() for s in servers]},
            ["server", "name", "type"],
            [[s.id, s.name, s.type] for s in servers],
            empty="no cheap-number servers listed",
        )
    )


@app.command("buy")
def buy_cmd(
    ctx: typer.Context,
    server: Annotated[str, typer.Argument(help="Server id from `otp cheap servers`.")],
    server_type: ServerTypeOpt = None,
    max_price: Annotated[
        str | None,
        typer.Option(
            "--max-price",
            help="The most you expect to pay: the bound a spending cap counts (cheap numbers"
            " have no price list, and the provider takes no price limit).",
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", "-w", help="Then wait for the code and print it.")
    ] = False,
    timeout: TimeoutOpt = None,
    interval: IntervalOpt = None,
    keep: Annotated[
        bool, typer.Option("--keep", help="Do not cancel when the wait ends without a code.")
    ] = False,
    cleanup_timeout: CleanupOpt = CLEANUP_DEFAULT,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Buy a cheap number; prints `ID NUMBER` (with --wait: the code).

    Example: read -r ID NUMBER < <(otp cheap buy 1) && otp wait "$ID"
    """
    from otpcli.cli.activation import _max_price, deliver

    e = setup(ctx, json_=json_, profile=profile)
    limit = _max_price(max_price)
    with provider_for(ctx, product="cheap") as (provider, _settings):
        act = provider.buy(server, server=server_type, max_price=limit)
        life = f"; it lives {act.expires_in // 60} min" if act.expires_in else ""
        e.info(f"bought cheap number {act.number} (id {act.id}){life}")
        deliver(
            e,
            provider,
            act,
            wait=wait,
            timeout=timeout,
            interval=interval,
            keep=keep,
            cleanup=cleanup_timeout,
            service=f"cheap server {act.service}",
            life_left=float(act.expires_in) if act.expires_in is not None else None,
        )
