"""Presets for well-known sms-activate compatible hosts: a dialect and a default URL.

Contract: each class is the generic `ProtocolDriver` with one host family's
`Dialect` (its words, extensions, poll advice and rate cap; see `dialects`) and that
host's public base URL as the registry's default. A new host of a known family is a few
lines here and one `ProviderInfo` row; `--base-url` still points any preset elsewhere.
"""

from __future__ import annotations

from typing import ClassVar

from otpcli.domain.provider import Capability
from otpcli.providers import dialects
from otpcli.providers.base import ProtocolDriver
from otpcli.providers.dialects import Dialect


class HeroSmsDriver(ProtocolDriver):
    name = "herosms"
    title = "HeroSMS"
    dialect: ClassVar[Dialect] = dialects.get("herosms")
    currency = dialect.currency
    poll_interval = dialect.poll_interval


class GrizzlySmsDriver(ProtocolDriver):
    name = "grizzlysms"
    title = "GrizzlySMS"
    dialect: ClassVar[Dialect] = dialects.get("grizzlysms")
    currency = dialect.currency
    poll_interval = dialect.poll_interval


class SmsHubDriver(ProtocolDriver):
    name = "smshub"
    title = "SMSHub"
    dialect: ClassVar[Dialect] = dialects.get("smshub")
    # Its dialect has no list of open orders (getActiveActivations).
    capabilities = ProtocolDriver.capabilities - {Capability.ORDERS, Capability.BATCH_STATUS}
    currency = dialect.currency
    poll_interval = dialect.poll_interval
