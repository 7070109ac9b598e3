"""Open the provider for a command from the global options, and close it afterwards.

`product` picks the provider's product driver ("sms", "cheap"); `rental_for` and
`email_for` open the rental and e-mail products. A provider without the product raises
`Unsupported` (exit 2) before anything is sent. The key in use is added to the secrets
the output masks, whichever product is opened.

Typer is not imported here: the fast path (cli/quick.py) passes its `GlobalOptions`
where a command passes its Typer context.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from otpcli.cli.options import GlobalOptions, global_options

if TYPE_CHECKING:
    import typer

    from otpcli.services.config import Settings
    from otpcli.services.journaled import JournaledProvider
    from otpcli.services.products import JournaledEmail, JournaledRental

T = TypeVar("T")


def _options(source: typer.Context | GlobalOptions) -> GlobalOptions:
    return source if isinstance(source, GlobalOptions) else global_options(source)


@contextmanager
def _opened(
    ctx: typer.Context | GlobalOptions, opener: Callable[..., tuple[T, Settings]], **extra: Any
) -> Iterator[tuple[T, Settings]]:
    from otpcli.providers import SANDBOX

    opts = _options(ctx)
    opened, settings = opener(
        profile=opts.profile,
        provider=SANDBOX if opts.sandbox else None,
        base_url=opts.base_url,
        warn=opts.env.warn,
        max_spend=opts.max_spend,
        **extra,
    )
    if settings.api_key.value:
        opts.env.secrets.append(settings.api_key.value)
    try:
        yield opened, settings
    finally:
        opened.close()  # type: ignore[attr-defined]
        opened.journal.close()  # type: ignore[attr-defined]


@contextmanager
def provider_for(
    ctx: typer.Context | GlobalOptions, order_id: str | None = None, product: str = "sms"
) -> Iterator[tuple[JournaledProvider, Settings]]:
    from otpcli.services.session import open_provider

    with _opened(ctx, open_provider, order_id=order_id, product=product) as pair:
        yield pair


@contextmanager
def rental_for(
    ctx: typer.Context, order_id: str | None = None
) -> Iterator[tuple[JournaledRental, Settings]]:
    from otpcli.services.session import open_rental

    with _opened(ctx, open_rental, order_id=order_id) as pair:
        yield pair


@contextmanager
def email_for(
    ctx: typer.Context, order_id: str | None = None
) -> Iterator[tuple[JournaledEmail, Settings]]:
    from otpcli.services.session import open_email

    with _opened(ctx, open_email, order_id=order_id) as pair:
        yield pair
