"""Driver for InstaOTP (https://instaotp.in/api/v1/handler_api.php).

Contract: getBalance (the document names no currency, so None), getService (catalog
keyed by server), getNumber(service, country, server), getStatus, and setStatus with
the words `cancel` → ACCESS_CANCEL and `finish` → ACCESS_ACTIVATION. "Another SMS" is
not documented and no country list is published: both raise `Unsupported` without
sending anything. The key is the `api_key` query parameter, the only way documented.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from otpcli.domain.errors import BadInput
from otpcli.domain.models import CatalogEntry
from otpcli.domain.provider import Capability
from otpcli.providers import _protocol as proto
from otpcli.providers import dialects
from otpcli.providers.base import ProtocolDriver
from otpcli.providers.dialects import Dialect

# getNumber requires a server and the document's examples all use "1"; buying
# without --server therefore means server 1 rather than a request the provider rejects.
DEFAULT_SERVER = "1"


def parse_services(doc: Any, *, currency: str | None = None) -> list[CatalogEntry]:
    """getService JSON `{"1": [{"id", "service", "price", "qty", "country", "provider"}]}`."""
    if not isinstance(doc, dict):
        raise proto.unexpected(str(doc), what="service list")
    entries: list[CatalogEntry] = []
    for server_key, rows in doc.items():
        if isinstance(rows, dict):
            rows = list(rows.values())
        if not isinstance(rows, list):
            continue
        for row in rows:
            if not isinstance(row, dict) or not proto.to_text(row.get("id")):
                continue
            entries.append(
                CatalogEntry(
                    service=proto.to_text(row.get("id")),
                    name=proto.to_text(row.get("service")) or None,
                    country=proto.to_text(row.get("country")) or None,
                    server=proto.to_text(row.get("provider")) or proto.to_text(server_key),
                    price=proto.to_decimal(row.get("price")),
                    currency=currency,
                    stock=proto.to_int(row.get("qty")),
                )
            )
    return entries


class InstaOtpDriver(ProtocolDriver):
    name = "instaotp"
    title = "InstaOTP"
    dialect: ClassVar[Dialect] = dialects.get("instaotp")
    currency = None
    capabilities = frozenset(
        {Capability.SMS, Capability.CANCEL, Capability.FINISH, Capability.CATALOG}
    )
    # The error table says INVALID_STATUS = "Status must be either 'cancel' or 'finish'",
    # while a separate BAD_STATUS row says "Invalid status value" without naming the
    # values. We send the two words the only explicit sentence names; both error words
    # map to BadInput (exit 2) either way, so a provider that wanted numbers still
    # yields a clear "this action is rejected" instead of a wrong state change.
    status_codes: ClassVar = {"cancel": "cancel", "finish": "finish"}
    buy_options: ClassVar = frozenset({"country", "server"})

    def _buy_params(
        self,
        service: str,
        *,
        country: str | None,
        operator: str | None,
        server: str | None,
        max_price: Decimal | None,
    ) -> tuple[str, dict[str, str | None]]:
        if not country:
            raise BadInput(
                "InstaOTP needs a country to buy a number; nothing was sent",
                hint="pass -c COUNTRY (e.g. -c 22 for India)",
            )
        return "getNumber", {
            "service": service,
            "country": country,
            "server": server or DEFAULT_SERVER,
        }

    # getStatus is not documented as an action, but the document's reply table
    # (STATUS_WAIT_CODE, STATUS_OK:...) is the protocol family's, whose poll is
    # action=getStatus&id=ID: the inherited status() sends exactly that.

    def services(
        self,
        *,
        country: str | None = None,
        server: str | None = None,
        service: str | None = None,
    ) -> list[CatalogEntry]:
        self._require(Capability.CATALOG, "a service catalog")
        reply = self._call("getService", {"country": country, "server": server})
        doc = proto.parse_json(reply.text, reply.status, provider=self.name, what="service list")
        entries = parse_services(doc, currency=self.currency)
        if service:
            # The action has no service filter; filter here so `--search`-less
            # `otp prices tg` still works.
            entries = [e for e in entries if e.service == service]
        return entries


Driver = InstaOtpDriver
