"""Price comparison across every configured profile whose provider publishes prices.

Profiles are asked in parallel; a profile that fails (no key, network, no such service)
is reported next to the rows instead of failing the whole comparison. Prices in
different currencies are never compared with each other: `cheapest()` refuses rather
than pick a "cheaper" number in another currency.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from otpcli.domain.errors import BadInput, OtpError, Unavailable
from otpcli.domain.models import CatalogEntry
from otpcli.domain.provider import Capability
from otpcli.services import config
from otpcli.services.names import resolve_target


@dataclass(frozen=True)
class Offer:
    profile: str
    provider: str
    entry: CatalogEntry


@dataclass(frozen=True)
class Comparison:
    offers: list[Offer]
    errors: dict[str, OtpError]


def compare(
    service: str,
    *,
    country: str | None = None,
    server: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Comparison:
    from otpcli import providers
    from otpcli.services.session import open_provider

    data = config.ConfigStore(config.config_path(environ)).load()
    names: list[str] = []
    errors: dict[str, OtpError] = {}
    for name, prof in sorted(data.profiles.items()):
        try:  # a hand-edited profile may name a provider otpcli does not know
            capabilities = providers.capabilities(prof.provider)
        except OtpError as err:
            errors[name] = err
            continue
        if Capability.CATALOG in capabilities:
            names.append(name)
    if not names:
        raise BadInput(
            "no configured profile has a provider that publishes prices",
            hint="add one: `otp profile add NAME --provider sastaotp` (see `otp providers`)",
        )

    def ask(name: str) -> tuple[str, list[Offer] | OtpError]:
        try:
            provider, settings = open_provider(profile=name, environ=environ)
        except OtpError as err:
            return name, err
        try:
            target = resolve_target(provider, settings, service, country=country, server=server)
            rows = provider.services(
                country=target.country, server=target.server, service=target.service
            )
            offers = [Offer(name, provider.name, r) for r in rows if r.service == target.service]
            return name, offers
        except OtpError as err:
            return name, err
        finally:
            provider.close()
            provider.journal.close()

    offers: list[Offer] = []
    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        for name, result in pool.map(ask, names):
            if isinstance(result, OtpError):
                errors[name] = result
            else:
                offers.extend(result)
    offers.sort(key=lambda o: (o.entry.price is None, o.entry.price or 0, o.profile))
    return Comparison(offers, errors)


def cheapest(comparison: Comparison) -> Offer:
    """The cheapest offer with stock; refuses to compare across currencies."""
    usable = [
        o
        for o in comparison.offers
        if o.entry.price is not None and (o.entry.stock is None or o.entry.stock > 0)
    ]
    if not usable:
        raise Unavailable(
            "no profile offers this service with stock",
            hint="see `otp prices SERVICE --all-profiles`",
        )
    currencies = {o.entry.currency for o in usable}
    if len(currencies) > 1:
        shown = ", ".join(sorted(c or "unknown" for c in currencies))
        raise BadInput(
            f"the offers are in different currencies ({shown}); otp will not guess a rate",
            hint="compare with `otp prices SERVICE --all-profiles`, "
            "then `otp buy SERVICE -p PROFILE`",
        )
    return usable[0]
