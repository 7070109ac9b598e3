"""`otp rent countries|prices|stock|buy|list|sms|renew`: long-term rental numbers.

`--server 1|2` is the provider's server where the document asks for one (default 1).
Durations (`--hours`) are checked before any money moves: 12, 24, 168, 720, 4320 or
8640, and Server 2 only 720, 4320, 8640 (exit 2, nothing sent). `buy` prints
`ORDER_ID PHONE`; `list` and `sms` print tables on stdout (`list` with time left);
`sms --wait` waits for a message newer than the last one shown for that rental and
prints its code alone (its text when it has none); `renew` prints the new expiry.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from otpcli.cli.common import IntervalOpt, JsonOpt, ProfileOpt, TimeoutOpt, id_argument, setup
from otpcli.cli.context import rental_for
from otpcli.cli.render import Listing, WaitView, state_word, when
from otpcli.domain.errors import OtpError
from otpcli.services.names import resolve_rental_country

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Rental numbers (hours to a year)."
)

ServerOpt = Annotated[
    str | None, typer.Option("--server", help="Rental server: 1 or 2 (default: 1).")
]
CountryArg = Annotated[str, typer.Argument(help="Country code or name, e.g. ca, us, canada.")]
HoursOpt = Annotated[
    int,
    typer.Option(
        "--hours",
        help="Duration: 12, 24, 168 (week), 720 (month), 4320 (6 months), 8640 (year).",
    ),
]


def _money(value: object, currency: str | None) -> str:
    return "" if value is None else f"{value} {currency or ''}".strip()


@app.command("countries")
def countries_cmd(
    ctx: typer.Context, server: ServerOpt = None, json_: JsonOpt = False, profile: ProfileOpt = None
) -> None:
    """Countries with rentals (without --server: both servers).

    Example: otp rent countries --server 2
    """
    e = setup(ctx, json_=json_, profile=profile)
    with rental_for(ctx) as (provider, _settings):
        rows = provider.countries(server=server)
    e.show(
        Listing(
            {"countries": [c.to_json() for c in rows]},
            ["code", "name", "server"],
            [[c.code, c.name, c.server] for c in rows],
        )
    )


@app.command("prices")
def prices_cmd(
    ctx: typer.Context,
    country: CountryArg,
    server: ServerOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Price per duration for a country.

    Example: otp rent prices ca --server 2
    """
    e = setup(ctx, json_=json_, profile=profile)
    with rental_for(ctx) as (provider, _settings):
        country = resolve_rental_country(provider, country, server=server)
        rows = provider.prices(country, server=server)
    e.show(
        Listing(
            {"pricing": [p.to_json() for p in rows]},
            ["hours", "duration", "price"],
            [[p.duration_hours, p.preset, _money(p.price, p.currency)] for p in rows],
            empty="no rental prices for that country on this server",
        )
    )


@app.command("stock")
def stock_cmd(
    ctx: typer.Context,
    country: CountryArg,
    server: ServerOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Numbers in stock for a country (Server 2 also tells the minimum months).

    Example: otp rent stock ca --server 2
    """
    e = setup(ctx, json_=json_, profile=profile)
    with rental_for(ctx) as (provider, _settings):
        asked = country
        country = resolve_rental_country(provider, country, server=server)
        rows = provider.stock(country, server=server)
        if not rows:
            e.info(_elsewhere(provider, asked, server))
    e.show(
        Listing(
            {"available": [s.to_json() for s in rows]},
            ["area", "name", "available", "unit price", "min months"],
            [[s.area_code, s.area_title, s.available, s.unit_price, s.min_months] for s in rows],
        )
    )


def _elsewhere(provider: Any, country: str, server: str | None) -> str:
    """What to say when `server` has nothing for `country`: whether the other server
    has stock (one more request, only on this empty path), and the command to see it."""
    here = server or "1"
    other = "2" if here == "1" else "1"
    try:
        code = resolve_rental_country(provider, country, server=other)
        count = sum(int(s.available or 0) for s in provider.stock(code, server=other))
    except (OtpError, ValueError, TypeError):
        # The other server not answering must not hide the (true) empty answer.
        return f"no numbers in stock for {country} on Server {here}"
    if count:
        return (
            f"no numbers in stock for {country} on Server {here}; Server {other} has "
            f"{count}: otp rent stock {country} --server {other}"
        )
    return f"no numbers in stock for {country} on Server {here} or Server {other}"


@app.command("buy")
def buy_cmd(
    ctx: typer.Context,
    country: CountryArg,
    hours: HoursOpt,
    server: ServerOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Rent a number; prints `ORDER_ID PHONE`.

    Example: otp rent buy ca --hours 720 --server 2
    """
    e = setup(ctx, json_=json_, profile=profile)
    with rental_for(ctx) as (provider, _settings):
        # A duration the server does not sell is refused before any journal row or request.
        provider.check_duration(hours, server=server)  # before any request
        country = resolve_rental_country(provider, country, server=server)
        rental = provider.rent(country, hours=hours, server=server)
    cost = f" for {_money(rental.price, rental.currency)}" if rental.price is not None else ""
    until = f", until {when(rental.expires)}" if rental.expires else ""
    e.info(f"rented {rental.phone} (order {rental.order_id}){cost}{until}")
    e.info(f"next: otp rent sms {rental.order_id} --wait")
    e.result(rental.to_json(), f"{rental.order_id} {rental.phone}")


@app.command("list")
def list_cmd(ctx: typer.Context, json_: JsonOpt = False, profile: ProfileOpt = None) -> None:
    """Your rentals with their time left (`id` renews, `order` reads SMS).

    Example: otp rent list --json
    """
    from otpcli.services.products import provider_time, time_left

    e = setup(ctx, json_=json_, profile=profile)
    with rental_for(ctx) as (provider, _settings):
        rows = provider.rentals()
    now = time.time()
    lefts = []
    for r in rows:
        expiry = provider_time(r.expires)
        lefts.append(None if expiry is None else expiry - now)
    e.show(
        Listing(
            {
                "rentals": [
                    {**r.to_json(), "seconds_left": None if s is None else int(s)}
                    for r, s in zip(rows, lefts, strict=True)
                ]
            },
            # The same headers and state words as `otp orders` (number, state).
            ["id", "order", "number", "server", "country", "state", "expires", "left"],
            [
                [r.rental_id, r.order_id, r.phone, r.server, r.country, state_word(r.status),
                 when(r.expires), time_left(s)]
                for r, s in zip(rows, lefts, strict=True)
            ],
            empty="no rentals yet: `otp rent buy COUNTRY --hours H`",
        )
    )  # fmt: skip


@app.command("sms")
def sms_cmd(
    ctx: typer.Context,
    order_id: Annotated[str, id_argument("Rental order id (from `otp rent buy`).")],
    wait: Annotated[
        bool, typer.Option("--wait", "-w", help="Wait for a new message; print its code.")
    ] = False,
    timeout: TimeoutOpt = None,
    interval: IntervalOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """The SMS on a rented number (with --wait: the next one's code).

    Example: CODE=$(otp rent sms "$ORDER" --wait)
    """
    from otpcli.cli.options import poll_interval
    from otpcli.services.products import wait_rental_message
    from otpcli.services.waiting import DEFAULT_TIMEOUT

    e = setup(ctx, json_=json_, profile=profile)
    with rental_for(ctx, order_id) as (provider, _settings):
        if not wait:
            inbox = provider.messages(order_id)
            provider.mark_seen(order_id, inbox.messages)
            e.show(
                Listing(
                    inbox.to_json(),
                    ["time", "from", "code", "text"],
                    [[m.timestamp, m.sender, m.code, m.text] for m in inbox.messages],
                    empty=f"no SMS yet on {inbox.phone or order_id}",
                )
            )
            return
        seen = provider.seen(order_id)
        if seen is None:
            # Not bought through otp: "new" means newer than what is there now.
            seen = {m.key for m in provider.messages(order_id).messages}
        limit = DEFAULT_TIMEOUT if timeout is None else timeout
        step = poll_interval(e, interval, [provider])
        known = provider.rental_row(order_id)
        view = WaitView(
            e, order_id, number=known.number if known else None, timeout=limit, label="rental"
        )
        with view:
            message = wait_rental_message(
                provider, order_id, seen=seen, timeout=limit, interval=step, on_poll=view.update
            )
        provider.mark_seen(order_id, [message])
    if not message.code:
        e.warn("the message carries no code otp could find; printing its text")
    e.result(
        {"id": order_id, "code": message.code, "text": message.text, **message.to_json()},
        message.code or message.text,
    )


@app.command("renew")
def renew_cmd(
    ctx: typer.Context,
    rental: Annotated[str, id_argument("Rental id (`otp rent list`) or order id.")],
    hours: HoursOpt,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Extend a rental from its current expiry; prints the new expiry.

    Example: otp rent renew 27 --hours 720
    """
    e = setup(ctx, json_=json_, profile=profile)
    with rental_for(ctx) as (provider, _settings):
        renewal = provider.renew(rental, hours=hours)
    cost = f" for {_money(renewal.price, renewal.currency)}" if renewal.price is not None else ""
    until = f", until {when(renewal.expires)}" if renewal.expires else ""
    e.info(f"rental {renewal.rental_id} renewed by {hours} h{cost}{until}")
    # stdout keeps the provider's own expiry text: scripts read it (the zone is on stderr).
    e.result(renewal.to_json(), renewal.expires or renewal.message)
