"""Open the provider a command should talk to, from resolved settings and the journal.

This is where settings (flag > environment > profile > default) become a driver,
wrapped with the order journal. The key and base URL are handed to the driver in
`ProviderOptions`, so drivers never read configuration themselves. Given an order id
that the journal knows, the order's own provider, profile and base URL are used unless
the command line names others: a script never has to repeat them.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping

from otpcli import config, providers
from otpcli.core.errors import ConfigError
from otpcli.core.journal import Journal
from otpcli.core.orders import JournaledProvider
from otpcli.core.provider import ProviderOptions

# Seconds of urllib3 backoff between read retries; tests set 0 to stay fast.
READ_BACKOFF = 0.5
HTTP_TIMEOUT_VAR = "OTPCLI_HTTP_TIMEOUT"


def http_timeout(environ: Mapping[str, str] | None = None) -> float:
    """`OTPCLI_HTTP_TIMEOUT`: seconds to wait for a provider's reply (the read timeout),
    default `ProviderOptions.timeout` (30). Lets CI, and the fault tests, fail fast."""
    env = os.environ if environ is None else environ
    raw = env.get(HTTP_TIMEOUT_VAR, "").strip()
    if not raw:
        return ProviderOptions.timeout
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(
            f"{HTTP_TIMEOUT_VAR} must be a number of seconds > 0, not {raw!r}",
            hint=f"unset {HTTP_TIMEOUT_VAR} or fix it, e.g. {HTTP_TIMEOUT_VAR}=30",
        )
    return value


def open_journal(environ: Mapping[str, str] | None = None) -> Journal:
    return Journal(config.state_dir(environ))


def open_provider(
    *,
    profile: str | None = None,
    provider: str | None = None,
    base_url: str | None = None,
    order_id: str | None = None,
    environ: Mapping[str, str] | None = None,
    warn: Callable[[str], None] | None = None,
) -> tuple[JournaledProvider, config.Settings]:
    journal = open_journal(environ)
    settings = None
    if order_id and not (profile or provider or base_url):
        row = journal.find(order_id)
        if row is not None:
            try:
                settings = config.resolve_settings(
                    profile=row.profile,
                    provider=row.provider,
                    base_url=row.base_url,
                    environ=environ,
                    warn=warn,
                )
            except ConfigError:
                # The profile it was bought with is gone: fall back to the usual choice.
                settings = None
    if settings is None:
        settings = config.resolve_settings(
            profile=profile, provider=provider, base_url=base_url, environ=environ, warn=warn
        )
    name = settings.provider.value
    assert name is not None  # resolve_settings raises ConfigError otherwise
    options = ProviderOptions(
        api_key=settings.api_key.value,
        base_url=settings.base_url.value or "",
        state_dir=str(config.state_dir(environ)),
        backoff=READ_BACKOFF,
        timeout=http_timeout(environ),
    )
    driver = providers.create(name, options)
    wrapped = JournaledProvider(
        driver, journal, profile=settings.profile.value, base_url=settings.base_url.value
    )
    return wrapped, settings
