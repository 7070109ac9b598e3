"""Open the provider a command should talk to, from resolved settings.

This is where settings (flag > environment > profile > default) become a driver:
the key and base URL are handed to the driver in `ProviderOptions`, so drivers never
read configuration themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from otpcli import config, providers
from otpcli.core.provider import Provider, ProviderOptions

# Seconds of urllib3 backoff between read retries; tests set 0 to stay fast.
READ_BACKOFF = 0.5


def open_provider(
    *,
    profile: str | None = None,
    provider: str | None = None,
    base_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    warn: Callable[[str], None] | None = None,
) -> tuple[Provider, config.Settings]:
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
    )
    return providers.create(name, options), settings
