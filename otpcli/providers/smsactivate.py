"""Driver for any sms-activate compatible host named by its base URL.

Contract: the family's protocol exactly as `base.ProtocolDriver` speaks it, with no
provider-specific adjustment; the user supplies the base URL (`--base-url`, profile).
"""

from __future__ import annotations

from otpcli.providers.base import ProtocolDriver


class SmsActivateDriver(ProtocolDriver):
    """Any host of the sms-activate protocol family, as documented."""


Driver = SmsActivateDriver
