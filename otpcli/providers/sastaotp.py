"""Driver for SastaOTP (https://sastaotp.com/stubs/handler_api.php).

Contract: the key travels in the `X-API-Key` header, never in the URL. getBalance (INR);
getNumber&format=json (the documented JSON, or the plain `ACCESS_NUMBER:` form);
getStatus for polling plus one best-effort getStatusV2 when a code arrives, for the full
SMS text; setStatus 8 (cancel → ACCESS_CANCEL), 6 (finish → ACCESS_ACTIVATION) and
3 (another SMS → ACCESS_RETRY_GET); regetNumber (a *paid* new activation on the same
number, sent once like any purchase); getServicesList, getCountries and getOrders.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from otpcli.domain.errors import BadInput, OtpError
from otpcli.domain.models import (
    ActionResult,
    Activation,
    CatalogEntry,
    Country,
    State,
    StatusResult,
)
from otpcli.domain.provider import Capability
from otpcli.http import Reply
from otpcli.providers import _protocol as proto
from otpcli.providers import dialects
from otpcli.providers.base import ProtocolDriver
from otpcli.providers.dialects import Dialect

CURRENCY = "INR"
ORDER_STATUSES = ("pending", "completed", "cancelled", "expired")
MAX_ORDERS_PAGE = 100


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def parse_activation(
    text: str, http_status: int, *, service: str, country: str | None, prefix: str
) -> Activation:
    """getNumber / regetNumber reply, JSON (`format=json`) or plain `PREFIX:ID:PHONE`."""
    t = proto.check(text, provider="sastaotp")
    if not t.startswith("{"):
        activation_id, phone = proto.parse_number(t, http_status, prefix=prefix)
        return Activation(activation_id, phone, service, country)
    doc = proto.parse_json(t, http_status, provider="sastaotp", what="purchase reply")
    # activation_id (new_activation_id for reget) is what getStatus/setStatus take;
    # order_id is only the dashboard's row number.
    activation_id = proto.to_text(
        doc.get("new_activation_id") or doc.get("activation_id") or doc.get("id")
    )
    number = proto.to_text(doc.get("number") or doc.get("phone_number"))
    if not (proto.printable(activation_id) and proto.printable(number)):
        raise proto.unexpected(t, http_status, what="purchase reply")
    price = proto.to_decimal(doc.get("price"))
    currency = proto.to_text(doc.get("currency")) or CURRENCY
    return Activation(
        id=activation_id,
        number=number,
        service=proto.to_text(doc.get("service_code")) or service,
        country=proto.to_text(doc.get("country_code")) or country,
        price=price,
        currency=currency if price is not None else None,
        expires_in=proto.to_int(doc.get("expires_in")),
        multi_sms=_flag(doc.get("multi_sms")),
    )


def sms_text(doc: Any) -> str | None:
    """The SMS text of a getStatusV2 reply: `{"sms": {"code": ..., "text": ...}}`."""
    if not isinstance(doc, dict):
        return None
    sms = doc.get("sms")
    if isinstance(sms, list) and sms:
        sms = sms[-1]
    if isinstance(sms, dict):
        text = proto.to_text(sms.get("text"))
        return text or None
    return None


def parse_services(doc: Any, *, service: str | None = None) -> list[CatalogEntry]:
    """getServicesList JSON → one entry per service × country (or per service)."""
    services = doc.get("services") if isinstance(doc, dict) else None
    if isinstance(services, list):
        services = {proto.to_text(s.get("code")): s for s in services if isinstance(s, dict)}
    if not isinstance(services, dict):
        raise proto.unexpected(str(doc), what="service list")
    entries: list[CatalogEntry] = []
    for key, info in services.items():
        if not isinstance(info, dict):
            continue
        code = proto.to_text(info.get("code")) or proto.to_text(key)
        if service and code != service:
            continue
        name = proto.to_text(info.get("name")) or None
        currency = proto.to_text(info.get("currency")) or CURRENCY
        extra = {
            k: proto.to_text(info[k])
            for k in ("multi_sms", "expires_in")
            if info.get(k) is not None
        }
        rows = [c for c in info.get("countries") or [] if isinstance(c, dict)]
        if not rows:
            entries.append(
                CatalogEntry(
                    service=code,
                    name=name,
                    price=proto.to_decimal(info.get("price")),
                    currency=currency,
                    stock=proto.to_int(info.get("available")),
                    extra=extra,
                )
            )
        for row in rows:
            entries.append(
                CatalogEntry(
                    service=code,
                    name=name,
                    country=proto.to_text(row.get("country_code")) or None,
                    country_name=proto.to_text(row.get("country_name")) or None,
                    price=proto.to_decimal(row.get("price", info.get("price"))),
                    currency=currency,
                    stock=proto.to_int(row.get("qty")),
                    extra=extra,
                )
            )
    return entries


def parse_countries(doc: Any) -> list[Country]:
    """getCountries JSON `{"status": "OK", "countries": [{"id": 91, "eng": "India", ...}]}`."""
    rows = doc.get("countries") if isinstance(doc, dict) else doc
    if not isinstance(rows, list):
        raise proto.unexpected(str(doc), what="country list")
    countries: list[Country] = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        # getNumber's country takes the `code` form (getServicesList's country_code);
        # fall back to `id` where a row has no code.
        cid = proto.to_text(row.get("code")) or proto.to_text(row.get("id"))
        if cid:
            name = proto.to_text(row.get("eng") or row.get("name")) or cid
            countries.append(Country(cid, name))
    return countries


def parse_orders(doc: Any) -> list[dict[str, str]]:
    """getOrders JSON. The document shows no reply, so accept the shapes its siblings use:
    an object with the list under "orders" (like "countries"/"services") or "data", or a
    bare list. Values become strings: the rows are shown, not computed with."""
    rows: Any = doc
    if isinstance(doc, dict):
        rows = next((doc[k] for k in ("orders", "data") if isinstance(doc.get(k), list)), None)
    if not isinstance(rows, list):
        raise proto.unexpected(str(doc), what="order list")
    return [
        {proto.to_text(k): proto.to_text(v) for k, v in row.items()}
        for row in rows
        if isinstance(row, dict)
    ]


class SastaOtpDriver(ProtocolDriver):
    name = "sastaotp"
    title = "SastaOTP"
    dialect: ClassVar[Dialect] = dialects.get("sastaotp")
    currency = CURRENCY
    # Its getCountries ids are dialling codes (91 = India); services use family codes.
    country_scheme = "dial"
    capabilities = frozenset(
        {
            Capability.SMS,
            Capability.CANCEL,
            Capability.FINISH,
            Capability.ANOTHER_SMS,
            Capability.REGET,
            Capability.CATALOG,
            Capability.COUNTRIES,
            Capability.ORDERS,
        }
    )
    # The document accepts the key as a header; a header never lands in access logs,
    # proxies or requests' own error messages the way a query string does.
    key_header: ClassVar = "X-API-Key"
    # The family's poll interval, setStatus values and buy options all fit its document
    # ("poll every 5 seconds"; cancel is "-1 or 8", and 8 is the one every host takes).

    def _buy_params(
        self,
        service: str,
        *,
        country: str | None,
        operator: str | None,
        server: str | None,
        max_price: Decimal | None,
    ) -> tuple[str, dict[str, str | None]]:
        action, params = super()._buy_params(
            service, country=country, operator=operator, server=server, max_price=max_price
        )
        params["format"] = "json"
        return action, params

    def _parse_activation(self, reply: Reply, *, service: str, country: str | None) -> Activation:
        return parse_activation(
            reply.text, reply.status, service=service, country=country, prefix="ACCESS_NUMBER"
        )

    def status(self, activation_id: str) -> StatusResult:
        result = super().status(activation_id)
        if result.state is not State.CODE_RECEIVED:
            return result
        # Best effort: the code is already in hand, so a failing extra call must not
        # turn a success into an error; it only costs the full text.
        try:
            reply = self._call("getStatusV2", {"id": activation_id})
            text = sms_text(proto.parse_json(reply.text, reply.status, provider=self.name))
        except OtpError:
            text = None
        if text is None:
            return result
        # The full text may hold the code the short reply did not show.
        return proto.code_status(activation_id, result.code or text, text=text)

    def reget(self, activation_id: str) -> ActionResult:
        self._require(Capability.REGET, "a new activation on the same number")
        reply = self._purchase("regetNumber", {"id": activation_id, "format": "json"})
        new = self._settle_purchase(
            lambda: parse_activation(
                reply.text, reply.status, service="", country=None, prefix="REGET_NUMBER_OK"
            )
        )
        return ActionResult(
            activation_id,
            "reget",
            # regetNumber works on a completed order, which stays completed.
            State.FINISHED,
            f"new activation {new.id} on {new.number}",
            new_activation=new,
        )

    def services(
        self,
        *,
        country: str | None = None,
        server: str | None = None,
        service: str | None = None,
    ) -> list[CatalogEntry]:
        self._require(Capability.CATALOG, "a service catalog")
        self._refuse_server(server)
        reply = self._call("getServicesList", {"service": service})
        doc = proto.parse_json(reply.text, reply.status, provider=self.name, what="service list")
        entries = parse_services(doc, service=service)
        if country:
            # getServicesList has no country filter; the rows carry country_code.
            entries = [e for e in entries if e.country == country]
        return entries

    def countries(self, *, server: str | None = None) -> list[Country]:
        self._require(Capability.COUNTRIES, "a country list")
        self._refuse_server(server)
        reply = self._call("getCountries")
        doc = proto.parse_json(reply.text, reply.status, provider=self.name, what="country list")
        return parse_countries(doc)

    def orders(
        self, limit: int = 20, page: int = 1, status: str | None = None
    ) -> list[dict[str, str]]:
        self._require(Capability.ORDERS, "an order list")
        if not 1 <= limit <= MAX_ORDERS_PAGE:
            raise BadInput(
                f"limit must be between 1 and {MAX_ORDERS_PAGE}, not {limit}",
                hint="SastaOTP pages at most 100 orders; use --page for more",
            )
        if page < 1:
            raise BadInput(f"page must be 1 or more, not {page}")
        if status is not None and status not in ORDER_STATUSES:
            raise BadInput(
                f"unknown order status {status!r}", hint=f"use one of: {', '.join(ORDER_STATUSES)}"
            )
        reply = self._call("getOrders", {"limit": str(limit), "page": str(page), "status": status})
        doc = proto.parse_json(reply.text, reply.status, provider=self.name, what="order list")
        return parse_orders(doc)

    def recent_activations(self, limit: int = 10) -> list[Activation]:
        # getOrders' rows are undocumented: read the field names its getNumber reply
        # uses (activation_id, number/phone_number, service_code, country_code, price),
        # and skip rows that say they are over.
        found: list[Activation] = []
        for row in self.orders(limit=limit):
            status = row.get("status", "").lower()
            if status in ("completed", "cancelled", "canceled", "expired"):
                continue
            activation_id = row.get("activation_id") or row.get("id", "")
            number = row.get("number") or row.get("phone_number") or row.get("phone", "")
            if not activation_id or not number:
                continue
            price = proto.to_decimal(row.get("price"))
            found.append(
                Activation(
                    activation_id,
                    number,
                    row.get("service_code") or row.get("service", ""),
                    row.get("country_code") or None,
                    price=price,
                    currency=CURRENCY if price is not None else None,
                )
            )
        return found


Driver = SastaOtpDriver
