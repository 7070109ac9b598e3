"""Driver for OTPGet's SMS API (https://www.otpget.com/stubs/handler_api.php).

Contract: getBalance (PKR), getCountries&type, getServices&country&type (JSON
`{"101": "Telegram - 45 PKR"}`), getNumber&service&country&type, getStatus and
setStatus 6 (finish → ACCESS_FINISH) / 8 (cancel → ACCESS_READY = cancelled and
refunded, refused with EARLY_CANCEL_DENIED in the first 2 minutes). OTPGet's status 3
also means *finish*, so "another SMS" is `Unsupported` and 3 is never sent. The CLI's
`server` is OTPGet's `type`. Only the SMS handler lives here: cheap numbers, rentals and
e-mail are other scripts with other formats.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, ClassVar

from otpcli.domain.errors import BadInput
from otpcli.domain.models import CatalogEntry, Country, State
from otpcli.domain.provider import Capability
from otpcli.providers import _protocol as proto
from otpcli.providers import dialects
from otpcli.providers.base import ProtocolDriver
from otpcli.providers.dialects import Dialect

# `type` (1-5) is required by getServices/getNumber and every example uses 1, so a
# command without --server means type 1 instead of a BAD_TYPE round trip.
DEFAULT_TYPE = "1"

_COUNTRY_HINT = "pass -c COUNTRY (see `otp countries`)"
_PRICED = re.compile(
    r"(?P<name>.+?)\s+-\s+(?P<price>\d[\d,]*(?:\.\d+)?)\s*(?P<currency>[A-Za-z]{3})?\s*\Z"
)

_CANCEL_REPLIES = {
    # OTPGet answers a successful cancel (status 8) with ACCESS_READY: "Balance refunded".
    "ACCESS_READY": proto.Outcome(State.CANCELLED, True, "cancelled; the price is refunded"),
}


def parse_service_label(label: str) -> tuple[str, Decimal | None, str | None]:
    """`"Telegram - 45 PKR"` → ("Telegram", Decimal("45"), "PKR"); no price: (label, None, None)."""
    text = label.strip()
    m = _PRICED.match(text)
    if not m:
        return text, None, None
    currency = m.group("currency")
    return (
        m.group("name").strip(),
        proto.to_decimal(m.group("price")),
        (currency.upper() if currency else None),
    )


def parse_services(
    doc: Any, *, country: str | None, server: str | None, currency: str | None
) -> list[CatalogEntry]:
    if not isinstance(doc, dict):
        raise proto.unexpected(str(doc), what="service list")
    entries: list[CatalogEntry] = []
    for key, value in doc.items():
        stock: int | None = None
        if isinstance(value, dict):
            # Not in the document, but tolerate an object form of the same row.
            label = proto.to_text(value.get("name") or value.get("service"))
            name, price, cur = parse_service_label(label)
            price = proto.to_decimal(value.get("price")) if "price" in value else price
            stock = proto.to_int(value.get("count", value.get("qty")))
        else:
            name, price, cur = parse_service_label(proto.to_text(value))
        entries.append(
            CatalogEntry(
                service=proto.to_text(key),
                name=name or None,
                country=country,
                server=server,
                price=price,
                currency=(cur or currency) if price is not None else None,
                stock=stock,
            )
        )
    return entries


def parse_countries(doc: Any) -> list[Country]:
    """getCountries JSON keyed by type: `{"1": [{"id": "33", "name": "Canada"}], ...}`."""
    if isinstance(doc, list):
        doc = {"": doc}
    if not isinstance(doc, dict):
        raise proto.unexpected(str(doc), what="country list")
    countries: list[Country] = []
    for server, rows in doc.items():
        if not isinstance(rows, list):
            continue
        for row in rows:
            if not isinstance(row, dict):
                continue
            cid = proto.to_text(row.get("id"))
            if cid:
                name = proto.to_text(row.get("name")) or cid
                countries.append(Country(cid, name, server=proto.to_text(server) or None))
    return countries


class OtpGetDriver(ProtocolDriver):
    name = "otpget"
    title = "OTPGet"
    dialect: ClassVar[Dialect] = dialects.get("otpget")
    currency = "PKR"
    # OTPGet numbers countries and services with its own database ids.
    country_scheme = None
    service_scheme = None
    # The `type` a purchase uses when no --server is given (see _buy_params).
    default_server = DEFAULT_TYPE
    capabilities = frozenset(
        {
            Capability.SMS,
            Capability.CANCEL,
            Capability.FINISH,
            Capability.CATALOG,
            Capability.COUNTRIES,
            # Other products, other drivers (`providers.create(..., product=...)`);
            # listed here so `otp providers` and capability questions see them.
            Capability.CHEAP,
            Capability.RENT,
            Capability.EMAIL,
        }
    )
    # 6 rather than 3 for finish: both finish at OTPGet, but 3 means "another SMS"
    # everywhere else, so it is never sent here.
    status_codes: ClassVar = {"cancel": "8", "finish": "6"}
    buy_options: ClassVar = frozenset({"country", "server"})

    def _action_replies(self, meaning: str) -> dict[str, proto.Outcome] | None:
        return _CANCEL_REPLIES if meaning == "cancel" else None

    def _buy_params(
        self,
        service: str,
        *,
        country: str | None,
        operator: str | None,
        server: str | None,
        max_price: Decimal | None,
    ) -> tuple[str, dict[str, str | None]]:
        if not service.strip().isdigit():
            raise BadInput(
                f"OTPGet takes numeric service ids, not {service!r}; nothing was sent",
                hint="find the id with `otp services -c COUNTRY` (e.g. 101 for Telegram)",
            )
        if not country:
            raise BadInput(
                "OTPGet needs a country to buy a number; nothing was sent", hint=_COUNTRY_HINT
            )
        return "getNumber", {
            "service": service.strip(),
            "country": country,
            "type": server or DEFAULT_TYPE,
        }

    def services(
        self,
        *,
        country: str | None = None,
        server: str | None = None,
        service: str | None = None,
    ) -> list[CatalogEntry]:
        self._require(Capability.CATALOG, "a service catalog")
        if not country:
            raise BadInput(
                "OTPGet lists services per country; nothing was sent", hint=_COUNTRY_HINT
            )
        type_ = server or DEFAULT_TYPE
        reply = self._call("getServices", {"country": country, "type": type_})
        doc = proto.parse_json(reply.text, reply.status, provider=self.name, what="service list")
        entries = parse_services(doc, country=country, server=type_, currency=self.currency)
        if service:
            wanted = service.strip().lower()
            entries = [
                e for e in entries if e.service == wanted or (e.name or "").lower() == wanted
            ]
        return entries

    def countries(self, *, server: str | None = None) -> list[Country]:
        self._require(Capability.COUNTRIES, "a country list")
        reply = self._call("getCountries", {"type": server or DEFAULT_TYPE})
        doc = proto.parse_json(reply.text, reply.status, provider=self.name, what="country list")
        countries = parse_countries(doc)
        # The document's example answers type=1 with every type's list. Without
        # --server, show them all (each row names its server); with one, keep its rows.
        if server and any(c.server == server for c in countries):
            countries = [c for c in countries if c.server == server]
        return countries


Driver = OtpGetDriver
