"""The provider registry: names, default base URLs and lazy driver construction.

This package is the only place that knows provider names. Each driver module exposes
a `Driver` class built from `ProviderOptions`; modules are imported only when used so
that `otp --help` stays fast.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from otpcli.core.errors import ConfigError
from otpcli.core.provider import Provider, ProviderOptions

# The provider that `otp --sandbox` selects.
SANDBOX = "sandbox"


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    title: str
    module: str
    default_base_url: str | None
    products: str
    needs_key: bool = True


PROVIDERS: dict[str, ProviderInfo] = {
    info.name: info
    for info in (
        ProviderInfo("otpx", "OTPX", "otpcli.providers.otpx", "https://otpx.in/api/stubs", "SMS"),
        ProviderInfo(
            "otpget",
            "OTPGet",
            "otpcli.providers.otpget",
            "https://www.otpget.com/stubs",
            "SMS",
        ),
        ProviderInfo(
            "instaotp", "InstaOTP", "otpcli.providers.instaotp", "https://instaotp.in/api/v1", "SMS"
        ),
        ProviderInfo(
            "sastaotp",
            "SastaOTP",
            "otpcli.providers.sastaotp",
            "https://sastaotp.com/stubs",
            "SMS, multi-SMS, orders",
        ),
        ProviderInfo(
            "smsactivate",
            "any sms-activate compatible host",
            "otpcli.providers.smsactivate",
            None,
            "SMS",
        ),
        ProviderInfo(
            SANDBOX,
            "built-in simulator (play money)",
            "otpcli.providers.sandbox",
            None,
            "SMS, with play money",
            needs_key=False,
        ),
    )
}


def get_info(name: str) -> ProviderInfo:
    try:
        return PROVIDERS[name]
    except KeyError:
        known = ", ".join(PROVIDERS)
        raise ConfigError(
            f"unknown provider {name!r}", hint=f"choose one of: {known} (see `otp providers`)"
        ) from None


def driver_class(name: str) -> type[Provider]:
    module = importlib.import_module(get_info(name).module)
    cls: type[Provider] = module.Driver
    return cls


def create(name: str, options: ProviderOptions) -> Provider:
    return driver_class(name)(options)  # type: ignore[call-arg]
