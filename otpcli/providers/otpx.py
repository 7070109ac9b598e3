"""Driver for OTPX (https://otpx.in/api/stubs/handler_api.php).

Contract: the generic sms-activate flow with OTPX's subset, per its document:
getBalance (INR: "₹2 per OTP"), getNumber(service, country, operator), getStatus and
setStatus 8 (cancel → ACCESS_CANCEL) / 3 (request another SMS). OTPX offers no
"finish" and publishes no catalog over the API (reference data is only in its web
docs), so those raise `Unsupported` without sending anything. The key is the `api_key`
query parameter, the only way the document names.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from otpcli.domain.provider import Capability
from otpcli.providers import dialects
from otpcli.providers.base import ProtocolDriver
from otpcli.providers.dialects import Dialect


class OtpxDriver(ProtocolDriver):
    name = "otpx"
    title = "OTPX"
    dialect: ClassVar[Dialect] = dialects.get("otpx")
    currency = "INR"
    capabilities = frozenset({Capability.SMS, Capability.CANCEL, Capability.ANOTHER_SMS})
    status_codes: ClassVar = {"cancel": "8", "another": "3"}
    # No maxPrice in the document: refusing it beats a cap the server silently ignores.
    buy_options: ClassVar = frozenset({"country", "operator"})

    def _buy_params(
        self,
        service: str,
        *,
        country: str | None,
        operator: str | None,
        server: str | None,
        max_price: Decimal | None,
    ) -> tuple[str, dict[str, str | None]]:
        # Every example in the document sends operator=any; keep that as the default.
        return "getNumber", {"service": service, "country": country, "operator": operator or "any"}


Driver = OtpxDriver
