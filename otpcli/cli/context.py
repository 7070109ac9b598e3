"""Open the provider for a command from the global options, and close it afterwards.

`product` picks the provider's product driver ("sms", "cheap"); `rental_for` and
`email_for` open the rental and e-mail products. A provider without the product raises
`Unsupported` (exit 2) before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from otpcli.cli.common import global_options
from otpcli.render import env

if TYPE_CHECKING:
    from otpcli.config import Settings
    from otpcli.core.orders import JournaledProvider
    from otpcli.core.products import JournaledEmail, JournaledRental


@contextmanager
def provider_for(
    ctx: typer.Context, order_id: str | None = None, product: str = "sms"
) -> Iterator[tuple[JournaledProvider, Settings]]:
    from otpcli.core.session import open_provider
    from otpcli.providers import SANDBOX

    opts = global_options(ctx)
    provider, settings = open_provider(
        profile=opts.profile,
        provider=SANDBOX if opts.sandbox else None,
        base_url=opts.base_url,
        order_id=order_id,
        warn=env().warn,
        product=product,
    )
    if settings.api_key.value:
        env().secrets.append(settings.api_key.value)
    try:
        yield provider, settings
    finally:
        provider.close()
        provider.journal.close()


@contextmanager
def rental_for(
    ctx: typer.Context, order_id: str | None = None
) -> Iterator[tuple[JournaledRental, Settings]]:
    from otpcli.core.session import open_rental
    from otpcli.providers import SANDBOX

    opts = global_options(ctx)
    rental, settings = open_rental(
        profile=opts.profile,
        provider=SANDBOX if opts.sandbox else None,
        base_url=opts.base_url,
        order_id=order_id,
        warn=env().warn,
    )
    try:
        yield rental, settings
    finally:
        rental.close()
        rental.journal.close()


@contextmanager
def email_for(
    ctx: typer.Context, order_id: str | None = None
) -> Iterator[tuple[JournaledEmail, Settings]]:
    from otpcli.core.session import open_email
    from otpcli.providers import SANDBOX

    opts = global_options(ctx)
    email, settings = open_email(
        profile=opts.profile,
        provider=SANDBOX if opts.sandbox else None,
        base_url=opts.base_url,
        order_id=order_id,
        warn=env().warn,
    )
    try:
        yield email, settings
    finally:
        email.close()
        email.journal.close()
