"""Driver for OTPGet's rental numbers (`{base_url}/rental-handler.php`, JSON replies).

Contract (implements `domain.provider.RentalProvider`):
- `countries(server)` → getRentalCountries[&provider]; `prices(country, server)` →
  getRentalPricing; `stock(country, server)` → getAvailableRentals; `rentals()` →
  getMyRentals; `messages(order_id)` → getRentalSMS (an empty `code` is filled in from
  the text by `domain.codes.extract_code`, the full text kept); these are reads.
- `rent(country, hours=, server=)` → rentNumber&country_code&provider&duration_hours and
  `renew(rental_id, hours=)` → renewRental&rental_id&duration_hours are purchases: sent
  once, `PurchaseUnknown` when the outcome cannot be known. `check_duration` refuses a
  duration the document does not list (12, 24, 168, 720, 4320, 8640; Server 2 only 720,
  4320, 8640) with `BadInput` before anything is sent; `rent`/`renew` call it too.
- `server` is the document's `provider` (1 = Server 1, 2 = Server 2); where the document
  requires it and none is given, 1 is sent (as for OTPGet's SMS `type`).
- Money is Decimal in PKR; ids are strings exactly as sent (`2673093356180000583`).
Error statuses map as in `RULES` (each row says why); see `_jsonapi` for the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from otpcli.domain.codes import extract_code
from otpcli.domain.errors import (
    AuthError,
    BadInput,
    NoBalance,
    NotFound,
    OtpError,
    ProviderError,
    Unavailable,
)
from otpcli.domain.product_models import (
    Rental,
    RentalCountry,
    RentalInbox,
    RentalMessage,
    RentalPrice,
    RentalRenewal,
    RentalStock,
)
from otpcli.domain.provider import Capability
from otpcli.providers import _protocol as proto
from otpcli.providers._jsonapi import KEY_HINT, JsonDriver, Rule, items, text_or_none

SCRIPT = "rental-handler.php"
DEFAULT_SERVER = "1"
SERVERS = ("1", "2")
DURATIONS = (12, 24, 168, 720, 4320, 8640)
MONTHLY = (720, 4320, 8640)  # the only durations Server 2 takes

_PRICES_HINT = "see what is sold: `otp rent prices COUNTRY --server N`"
_LIST_HINT = "see your rentals and their ids: `otp rent list`"

RULES: tuple[Rule, ...] = (
    Rule("401", "", AuthError, "the provider rejected the API key", KEY_HINT),
    Rule(
        "403",
        "",
        AuthError,
        "the account is blocked or inactive",
        "contact OTPGet's support; nothing otpcli can do will lift it",
    ),
    Rule(
        "400",
        "server 2 only",
        BadInput,
        "Server 2 rents by the month only (720, 4320 or 8640 hours)",
        "pass --hours 720, 4320 or 8640, or use --server 1",
    ),
    Rule("400", "", BadInput, "the provider refused the request", "check the options you passed"),
    # "No pricing found for country_code=… provider=… duration_hours=…": durations and
    # servers are checked before sending, so this means the provider does not sell that
    # combination now: "nothing available" (7), like NO_NUMBERS, rather than bad input.
    Rule("404", "no pricing", Unavailable, "no rental is sold for that choice", _PRICES_HINT),
    # Not in the document's table but the obvious sibling: out of stock is exit 7.
    Rule(
        "404",
        "no stock",
        Unavailable,
        "no rental numbers in stock",
        "check `otp rent stock COUNTRY`",
    ),
    Rule("404", "rental not found", NotFound, "no such rental", _LIST_HINT),
    Rule("404", "order not found", NotFound, "no such rental order", _LIST_HINT),
    Rule("404", "", NotFound, "not found", _LIST_HINT),
    Rule("402", "", NoBalance, "not enough balance", "top up your wallet, then retry"),
    # "Server 1/2 is currently unavailable/disabled": disabled by the admin, so nothing
    # can be rented there now (7); the other server may still have numbers.
    Rule(
        "503",
        "",
        Unavailable,
        "that rental server is unavailable",
        "try the other --server, or retry later",
    ),
    # 502 "Server 1/2 error: …" (the upstream returned an error) and "Provider returned
    # an empty phone number." (the upstream answered success, so it may have rented and
    # charged): the document does not say the balance was left alone, so for rentNumber
    # and renewRental the outcome is unknown (PurchaseUnknown), never "nothing rented".
    Rule(
        "502",
        "",
        ProviderError,
        "the rental server's upstream failed",
        "retry in a few seconds, or try the other --server",
    ),
    # 500 "Database error: …" is the one failure the document calls harmless: "DB
    # transaction failed — balance was not deducted".
    Rule(
        "500",
        "database error",
        ProviderError,
        "the provider had a database error; the balance was not deducted",
        "retry in a few seconds",
        settled=True,
    ),
)


def check_duration(hours: int, *, server: str | None) -> None:
    if hours not in DURATIONS:
        listed = ", ".join(map(str, DURATIONS))
        raise BadInput(
            f"a rental lasts {listed} hours, not {hours}; nothing was sent",
            hint="12 = 12 hours, 24 = 1 day, 168 = 1 week, 720 = 1 month, "
            "4320 = 6 months, 8640 = 12 months",
        )
    if server is not None and server not in SERVERS:
        raise BadInput(
            f"the rental server is 1 or 2, not {server!r}; nothing was sent",
            hint="pass --server 1 or --server 2",
        )
    if server == "2" and hours not in MONTHLY:
        raise BadInput(
            f"Server 2 rents by the month only, not {hours} hours; nothing was sent",
            hint="pass --hours 720, 4320 or 8640, or use --server 1",
        )


def _server_of(value: Any) -> str | None:
    """`"Server 2"` or `"2"` → "2"."""
    text = proto.to_text(value)
    digits = text.rsplit(" ", 1)[-1]
    return digits if digits.isdigit() else (text or None)


def parse_rental(row: Mapping[str, Any], *, currency: str | None) -> Rental:
    return Rental(
        order_id=proto.to_text(row.get("order_id")),
        phone=proto.to_text(row.get("phone_number", row.get("phone"))),
        server=_server_of(row.get("server", row.get("provider"))),
        country=text_or_none(row.get("country_code")),
        country_name=text_or_none(row.get("country_name")),
        duration_hours=proto.to_int(row.get("duration_hours")),
        price=proto.to_decimal(row.get("price_paid")),
        currency=currency,
        expires=text_or_none(row.get("expiry_time", row.get("expires"))),
        rental_id=text_or_none(row.get("id")),
        status=text_or_none(row.get("status")),
        balance=proto.to_decimal(row.get("new_balance")),
    )


def parse_message(row: Mapping[str, Any]) -> RentalMessage:
    text = proto.to_text(row.get("text"))
    given = proto.to_text(row.get("code"))
    code = given or extract_code(text)
    return RentalMessage(
        text=text,
        code=proto.checked_code(code),
        sender=text_or_none(row.get("from")),
        timestamp=text_or_none(row.get("timestamp")),
        code_from_text=not given and code is not None,
    )


class OtpGetRentalDriver(JsonDriver):
    name = "otpget"
    title = "OTPGet rentals"
    currency: str | None = "PKR"
    # The document names no interval for getRentalSMS; its other pollers ask 5-10 s.
    poll_interval = 5.0
    capabilities = frozenset({Capability.RENT})
    script = SCRIPT
    rules = RULES

    def check_duration(self, hours: int, *, server: str | None) -> None:
        check_duration(hours, server=server)

    @staticmethod
    def _server(server: str | None) -> str:
        s = (server or DEFAULT_SERVER).strip()
        if s not in SERVERS:
            raise BadInput(
                f"the rental server is 1 or 2, not {s!r}; nothing was sent",
                hint="pass --server 1 or --server 2",
            )
        return s

    @staticmethod
    def _country(country: str) -> str:
        code = country.strip().lower()
        if not code or not code.isalpha():
            raise BadInput(
                f"a country code like ca, us or gb, not {country!r}; nothing was sent",
                hint="see `otp rent countries`",
            )
        return code

    def _read(self, action: str, params: Mapping[str, str | None], what: str) -> dict[str, Any]:
        reply = self._api.call(action, params)
        return self._api.doc(reply, what=what)

    # -- reads ------------------------------------------------------------------------

    def countries(self, *, server: str | None = None) -> list[RentalCountry]:
        params = {"provider": self._server(server) if server else None}
        doc = self._read("getRentalCountries", params, "country list")
        return [
            RentalCountry(
                code=proto.to_text(r.get("country_code")),
                name=proto.to_text(r.get("name")),
                server=_server_of(r.get("provider")),
                id=text_or_none(r.get("id")),
            )
            for r in items(doc, "countries")
        ]

    def prices(self, country: str, *, server: str | None = None) -> list[RentalPrice]:
        params = {"country_code": self._country(country), "provider": self._server(server)}
        doc = self._read("getRentalPricing", params, "price list")
        prices = []
        for r in items(doc, "pricing"):
            hours = proto.to_int(r.get("duration_hours"))
            if hours is None:
                continue
            prices.append(
                RentalPrice(
                    duration_hours=hours,
                    price=proto.to_decimal(r.get("price")),
                    currency=self.currency,
                    preset=text_or_none(r.get("duration_preset")),
                    country_name=text_or_none(r.get("country_name")),
                    id=text_or_none(r.get("id")),
                )
            )
        return prices

    def stock(self, country: str, *, server: str | None = None) -> list[RentalStock]:
        params = {"country_code": self._country(country), "provider": self._server(server)}
        doc = self._read("getAvailableRentals", params, "stock list")
        return [
            RentalStock(
                area_code=proto.to_text(r.get("area_code")),
                area_title=proto.to_text(r.get("area_title")),
                available=proto.to_int(r.get("available")),
                unit_price=proto.to_decimal(r.get("unit_price")),
                min_months=proto.to_int(r.get("min_month")),
            )
            for r in items(doc, "available")
        ]

    def rentals(self) -> list[Rental]:
        doc = self._read("getMyRentals", {}, "rental list")
        return [parse_rental(r, currency=self.currency) for r in items(doc, "rentals")]

    def messages(self, order_id: str) -> RentalInbox:
        doc = self._read("getRentalSMS", {"order_id": order_id.strip()}, "message list")
        return RentalInbox(
            order_id=proto.to_text(doc.get("order_id")) or order_id,
            phone=text_or_none(doc.get("phone_number")),
            messages=[parse_message(m) for m in items(doc, "messages")],
        )

    # -- purchases --------------------------------------------------------------------

    def rent(self, country: str, *, hours: int, server: str | None = None) -> Rental:
        srv = self._server(server)
        check_duration(hours, server=srv)
        params = {
            "country_code": self._country(country),
            "provider": srv,
            "duration_hours": str(hours),
        }
        reply = self._api.purchase("rentNumber", params)
        try:
            doc = self._api.doc(reply, what="rental reply")
            rental = parse_rental(doc, currency=self.currency)
            if not (proto.printable(rental.order_id) and proto.printable(rental.phone)):
                raise proto.unexpected(reply.text, reply.status, what="rental reply")
        except OtpError as exc:
            raise self._api.settle(exc) from None
        # The reply names the server as text ("Server 2"); keep the one we asked for.
        # Its "status" is the reply's ("200"), not the rental's.
        return replace(
            rental,
            status="active",
            server=srv,
            country=rental.country or params["country_code"],
            duration_hours=rental.duration_hours or hours,
        )

    def renew(self, rental_id: str, *, hours: int) -> RentalRenewal:
        check_duration(hours, server=None)
        rid = rental_id.strip()
        if not rid:
            raise BadInput("which rental? pass its id (see `otp rent list`)")
        reply = self._api.purchase("renewRental", {"rental_id": rid, "duration_hours": str(hours)})
        try:
            doc = self._api.doc(reply, what="renewal reply")
        except OtpError as exc:
            raise self._api.settle(exc) from None
        return RentalRenewal(
            rental_id=proto.to_text(doc.get("rental_id")) or rid,
            phone=text_or_none(doc.get("phone_number")),
            duration_hours=proto.to_int(doc.get("duration_hours")) or hours,
            price=proto.to_decimal(doc.get("price_paid")),
            currency=self.currency,
            balance=proto.to_decimal(doc.get("new_balance")),
            expires=text_or_none(doc.get("new_expiry")),
            message=proto.to_text(doc.get("message")) or "renewed",
        )


Driver = OtpGetRentalDriver
