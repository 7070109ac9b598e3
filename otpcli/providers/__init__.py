"""The provider registry: names, default base URLs and lazy driver construction.

This package is the only place that knows provider names. Each driver module exposes
a `Driver` class built from `ProviderOptions`; modules are imported only when used so
that `otp --help` stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from otpcli.domain.errors import ConfigError, Unsupported
from otpcli.domain.provider import (
    Capability,
    EmailProvider,
    Provider,
    ProviderOptions,
    RentalProvider,
)
from otpcli.providers import dialects

# The provider that `otp --sandbox` selects.
SANDBOX = "sandbox"
# Any host of the sms-activate protocol family, named by its base URL.
GENERIC = "smsactivate"

# Products beyond SMS activations: each is a driver module of its own (another handler,
# another reply format). "sms" is `ProviderInfo.module`.
SMS, CHEAP, RENT, EMAIL = "sms", "cheap", "rent", "email"
PRODUCT_TITLES = {
    SMS: "SMS activations",
    CHEAP: "cheap numbers (`otp cheap`)",
    RENT: "rentals (`otp rent`)",
    EMAIL: "temporary e-mail (`otp email`)",
}

_OTPGET_PRODUCTS = {
    CHEAP: "otpcli.providers.otpget_cheap",
    RENT: "otpcli.providers.otpget_rental",
    EMAIL: "otpcli.providers.otpget_email",
}
_SANDBOX_PRODUCTS = {
    CHEAP: "otpcli.sandbox.drivers:CheapDriver",
    RENT: "otpcli.sandbox.drivers:RentalDriver",
    EMAIL: "otpcli.sandbox.drivers:EmailDriver",
}


class ProviderInfo(NamedTuple):
    name: str
    title: str
    module: str
    default_base_url: str | None
    needs_key: bool = True
    # No default host: the user must name one (`--base-url`, OTPCLI_BASE_URL, profile).
    needs_base_url: bool = False
    # product -> "module[:attribute]" of its driver (attribute defaults to `Driver`).
    product_modules: Mapping[str, str] = MappingProxyType({})


PROVIDERS: dict[str, ProviderInfo] = {
    info.name: info
    for info in (
        ProviderInfo("otpx", "OTPX", "otpcli.providers.otpx", "https://otpx.in/api/stubs"),
        ProviderInfo(
            "otpget",
            "OTPGet",
            "otpcli.providers.otpget",
            "https://www.otpget.com/stubs",
            product_modules=_OTPGET_PRODUCTS,
        ),
        ProviderInfo(
            "instaotp", "InstaOTP", "otpcli.providers.instaotp", "https://instaotp.in/api/v1"
        ),
        ProviderInfo(
            "sastaotp",
            "SastaOTP",
            "otpcli.providers.sastaotp",
            "https://sastaotp.com/stubs",
        ),
        *(
            ProviderInfo(name, d.title, f"otpcli.providers.hosts:{cls}", d.base_url)
            for name, d, cls in (
                ("herosms", dialects.get("herosms"), "HeroSmsDriver"),
                ("grizzlysms", dialects.get("grizzlysms"), "GrizzlySmsDriver"),
                ("smshub", dialects.get("smshub"), "SmsHubDriver"),
            )
        ),
        ProviderInfo(
            GENERIC,
            "any sms-activate compatible host",
            "otpcli.providers.smsactivate",
            None,
            needs_base_url=True,
        ),
        ProviderInfo(
            SANDBOX,
            "built-in simulator (play money)",
            "otpcli.sandbox.drivers",
            None,
            needs_key=False,
            product_modules=_SANDBOX_PRODUCTS,
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
    module_name, _, attr = get_info(name).module.partition(":")
    cls: type[Provider] = getattr(importlib.import_module(module_name), attr or "Driver")
    return cls


def capabilities(name: str) -> frozenset[Capability]:
    """What provider `name` can do, read from its driver class without building it."""
    caps: frozenset[Capability] = vars_of(driver_class(name))["capabilities"]
    return caps


def vars_of(cls: type) -> dict[str, Any]:
    """A class's attributes, its bases' included (the protocol declares them read-only)."""
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        found.update(vars(klass))
    return found


def product_class(name: str, product: str) -> type:
    """The driver class of one product; `Unsupported` (nothing sent) when not offered."""
    info = get_info(name)
    if product == SMS:
        return driver_class(name)
    target = info.product_modules.get(product)
    if target is None:
        offered = ", ".join(PRODUCT_TITLES[p] for p in (SMS, *info.product_modules))
        raise Unsupported(
            f"{info.title} does not offer {PRODUCT_TITLES.get(product, product)}; nothing was sent",
            hint=f"{info.title} offers: {offered} (see `otp providers`)",
        )
    module_name, _, attr = target.partition(":")
    cls: type = getattr(importlib.import_module(module_name), attr or "Driver")
    return cls


def create(name: str, options: ProviderOptions, product: str = SMS) -> Provider:
    """The activation driver of provider `name`: SMS, or cheap numbers (`product="cheap"`,
    an activation driver on another handler)."""
    if product not in (SMS, CHEAP):
        raise ValueError(f"create() builds activation drivers, not {product!r}")
    driver: Provider = product_class(name, product)(options)
    return driver


def create_rental(name: str, options: ProviderOptions) -> RentalProvider:
    """The rental driver of provider `name`; `Unsupported` when it offers none."""
    driver: RentalProvider = product_class(name, RENT)(options)
    return driver


def create_email(name: str, options: ProviderOptions) -> EmailProvider:
    """The temporary e-mail driver of provider `name`; `Unsupported` when it offers none."""
    driver: EmailProvider = product_class(name, EMAIL)(options)
    return driver
