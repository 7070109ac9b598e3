"""Account and catalog commands: providers, balance, services, countries, prices.

Thin adapters: resolve the provider through the services, call one driver method, render.
Listing tables go to stdout (DESIGN §3); where a provider publishes no catalog the
driver raises `Unsupported` (exit 2) with a sentence saying so.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from otpcli.cli.common import (
    CountryOpt,
    JsonOpt,
    ProfileOpt,
    ServerOpt,
    global_options,
    not_with_sandbox,
    setup,
)
from otpcli.cli.context import provider_for
from otpcli.cli.render import Env, Listing
from otpcli.domain.errors import BadInput
from otpcli.domain.models import CatalogEntry

SearchOpt = Annotated[
    str | None,
    typer.Option("--search", "-s", help="Keep rows whose code or name contains this text."),
]


def _matches(needle: str | None, *hay: str | None) -> bool:
    if not needle:
        return True
    low = needle.lower()
    return any(h and low in h.lower() for h in hay)


def providers_cmd(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List supported providers, their default base URLs and capabilities.

    Example: otp providers --json
    """
    from otpcli import providers

    e = setup(ctx, json_=json_)
    rows: list[dict[str, Any]] = []
    for info in providers.PROVIDERS.values():
        caps = sorted(c.value for c in providers.capabilities(info.name))
        rows.append(
            {
                "name": info.name,
                "title": info.title,
                "default_base_url": info.default_base_url,
                "needs_key": info.needs_key,
                "capabilities": caps,
            }
        )
    e.show(
        Listing(
            rows,
            ["name", "provider", "default base URL", "capabilities"],
            [
                [
                    r["name"],
                    r["title"],
                    r["default_base_url"]
                    or ("started on demand" if r["name"] == providers.SANDBOX else "(required)"),
                    ", ".join(r["capabilities"]),
                ]
                for r in rows
            ],
        )
    )


def balance_cmd(ctx: typer.Context, json_: JsonOpt = False, profile: ProfileOpt = None) -> None:
    """Show the wallet balance, e.g. `150.50 INR`.

    Example: otp balance --json
    """
    from otpcli.cli.quick import show_balance

    setup(ctx, json_=json_, profile=profile)
    show_balance(global_options(ctx))


def _price(entry: CatalogEntry) -> str:
    if entry.price is None:
        return ""
    return f"{entry.price} {entry.currency}" if entry.currency else str(entry.price)


def _catalog(
    ctx: typer.Context,
    *,
    service: str | None,
    country: str | None,
    server: str | None,
) -> tuple[list[CatalogEntry], str | None]:
    """The catalog rows, and the service code the user's service name resolved to."""
    from otpcli.services.names import resolve_target

    with provider_for(ctx) as (provider, settings):
        target = resolve_target(provider, settings, service, country=country, server=server)
        rows = provider.services(
            country=target.country, server=target.server, service=target.service
        )
    return rows, target.service


def services_cmd(
    ctx: typer.Context,
    country: CountryOpt = None,
    server: ServerOpt = None,
    search: SearchOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """List the services the provider sells (where it publishes a catalog).

    Example: otp services --search tele
    """
    e = setup(ctx, json_=json_, profile=profile)
    rows, _ = _catalog(ctx, service=None, country=country, server=server)
    rows = [r for r in rows if _matches(search, r.service, r.name)]
    seen: dict[str, CatalogEntry] = {}
    for r in rows:
        seen.setdefault(r.service, r)
    e.show(
        Listing(
            [r.to_json() for r in rows],
            ["code", "name"],
            [[r.service, r.name] for r in seen.values()],
            empty="no services match",
        )
    )


def countries_cmd(
    ctx: typer.Context,
    server: ServerOpt = None,
    search: SearchOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """List the countries the provider sells numbers from.

    Example: otp countries --search ind
    """
    e = setup(ctx, json_=json_, profile=profile)
    with provider_for(ctx) as (provider, settings):
        rows = provider.countries(server=server or settings.server.value)
    rows = [r for r in rows if _matches(search, r.id, r.name)]
    e.show(
        Listing(
            [r.to_json() for r in rows],
            ["id", "name", "server"],
            [[r.id, r.name, r.server] for r in rows],
            empty="no countries match",
        )
    )


def prices_cmd(
    ctx: typer.Context,
    service: Annotated[str | None, typer.Argument(help="Service code, e.g. tg.")] = None,
    country: CountryOpt = None,
    server: ServerOpt = None,
    search: SearchOpt = None,
    all_profiles: Annotated[
        bool,
        typer.Option("--all-profiles", help="Ask every configured profile and compare."),
    ] = False,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Show prices and stock, cheapest first.

    Example: otp prices tg -c india --all-profiles
    """
    e = setup(ctx, json_=json_, profile=profile)
    if all_profiles:
        if service is None:
            raise BadInput(
                "--all-profiles compares one service: `otp prices SERVICE --all-profiles`"
            )
        not_with_sandbox(ctx, "--all-profiles", f"otp --sandbox prices {service}")
        _compare(e, service, country=country, server=server)
        return
    rows, code = _catalog(ctx, service=service, country=country, server=server)
    rows = [
        r
        for r in rows
        if (code is None or r.service == code) and _matches(search, r.service, r.name)
    ]
    rows.sort(key=lambda r: (r.price is None, r.price or 0, r.service))
    e.show(
        Listing(
            [r.to_json() for r in rows],
            ["service", "name", "country", "server", "price", "stock"],
            [
                [r.service, r.name, r.country_name or r.country, r.server, _price(r), r.stock]
                for r in rows
            ],
            empty="no prices match",
        )
    )


def _compare(e: Env, service: str, *, country: str | None, server: str | None) -> None:
    from otpcli.services.compare import compare

    result = compare(service, country=country, server=server)
    for name, err in result.errors.items():
        e.warn(f"profile {name}: {err.message}")
    e.show(
        Listing(
            {
                "offers": [
                    {"profile": o.profile, "provider": o.provider, **o.entry.to_json()}
                    for o in result.offers
                ],
                "errors": {name: err.to_json() for name, err in result.errors.items()},
            },
            ["profile", "provider", "service", "country", "server", "price", "stock"],
            [
                [
                    o.profile,
                    o.provider,
                    o.entry.service,
                    o.entry.country_name or o.entry.country,
                    o.entry.server,
                    _price(o.entry),
                    o.entry.stock,
                ]
                for o in result.offers
            ],
            empty="no profile offers this service",
        )
    )


# Registered lazily by name in otpcli.cli.app (only the command run is imported).
app = typer.Typer(add_completion=False)
app.command("providers")(providers_cmd)
app.command("balance")(balance_cmd)
app.command("services")(services_cmd)
app.command("countries")(countries_cmd)
app.command("prices")(prices_cmd)
