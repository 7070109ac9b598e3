"""Open the provider for a command from the global options, and close it afterwards."""

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


@contextmanager
def provider_for(
    ctx: typer.Context, order_id: str | None = None
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
    )
    try:
        yield provider, settings
    finally:
        provider.close()
        provider.journal.close()
