"""Typed results of the other products (rentals, temporary e-mail, cheap numbers).

Kept apart from `models` so that the SMS commands, the common case, do not pay for
creating these classes at start-up. Same rules: ids and phone numbers are strings,
money is `Decimal`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from otpcli.domain.models import State, jsonable


class JsonMixin:
    def to_json(self) -> dict[str, Any]:
        return jsonable(asdict(self))  # type: ignore[call-overload]


# --- rentals (long-term numbers) ---------------------------------------------------------
#
# Ids stay strings exactly as the provider sent them (`2673093356180000583` outgrows a
# float and even a 64-bit signed int at other providers). Times are the provider's own
# text (`2026-04-09 21:55:55`) plus, where it can be worked out, seconds left.


@dataclass(frozen=True)
class RentalCountry(JsonMixin):
    code: str
    name: str
    server: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class RentalPrice(JsonMixin):
    duration_hours: int
    price: Decimal | None
    currency: str | None = None
    preset: str | None = None
    country_name: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class RentalStock(JsonMixin):
    area_code: str
    area_title: str
    available: int | None
    unit_price: Decimal | None = None
    min_months: int | None = None


@dataclass(frozen=True)
class Rental(JsonMixin):
    """A rented number. `order_id` reads its SMS; `rental_id` (the provider's `id`,
    known only from the rental list) renews it."""

    order_id: str
    phone: str
    server: str | None = None
    country: str | None = None
    country_name: str | None = None
    duration_hours: int | None = None
    price: Decimal | None = None
    currency: str | None = None
    expires: str | None = None
    expires_in: int | None = None
    rental_id: str | None = None
    status: str | None = None
    balance: Decimal | None = None


@dataclass(frozen=True)
class RentalMessage(JsonMixin):
    """One SMS on a rented number. `code` is the provider's, or extracted from `text`
    when the provider's is empty (`code_from_text` says which)."""

    text: str
    code: str | None
    sender: str | None = None
    timestamp: str | None = None
    code_from_text: bool = False

    @property
    def key(self) -> str:
        """What identifies a message across two reads of the list."""
        return f"{self.timestamp or ''}|{self.sender or ''}|{self.text}"


@dataclass(frozen=True)
class RentalInbox(JsonMixin):
    order_id: str
    phone: str | None
    messages: list[RentalMessage]


@dataclass(frozen=True)
class RentalRenewal(JsonMixin):
    rental_id: str
    phone: str | None
    duration_hours: int | None
    price: Decimal | None
    currency: str | None
    balance: Decimal | None
    expires: str | None
    message: str = "renewed"


# --- temporary e-mail --------------------------------------------------------------------


@dataclass(frozen=True)
class EmailService(JsonMixin):
    code: str
    name: str | None
    price: Decimal | None
    currency: str | None = None
    stock: int | None = None
    domain: str | None = None


@dataclass(frozen=True)
class EmailOrder(JsonMixin):
    id: str
    email: str
    service: str
    service_name: str | None = None
    domain: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    balance: Decimal | None = None


@dataclass(frozen=True)
class EmailMessage(JsonMixin):
    code: str | None
    subject: str | None = None
    body: str | None = None
    email: str | None = None
    code_from_text: bool = False


@dataclass(frozen=True)
class EmailStatus(JsonMixin):
    """One look at an e-mail order: WAITING (202), CODE_RECEIVED (200) or CANCELLED (300)."""

    id: str
    state: State
    code: str | None = None
    messages: list[EmailMessage] = field(default_factory=list)
    detail: str | None = None

    @property
    def text(self) -> str | None:
        if not self.messages:
            return None
        m = self.messages[0]
        return m.body or m.subject


@dataclass(frozen=True)
class EmailCancel(JsonMixin):
    """cancelEmail's outcome: cancelled (+ refund) or, when a code had arrived, completed
    with that code (no refund)."""

    id: str
    state: State
    message: str
    code: str | None = None
    refunded: Decimal | None = None
    balance: Decimal | None = None
    email: str | None = None


@dataclass(frozen=True)
class EmailHistoryEntry(JsonMixin):
    id: str
    email: str
    service: str
    service_name: str | None = None
    domain: str | None = None
    status: str | None = None
    code: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    created_at: str | None = None


@dataclass(frozen=True)
class EmailHistory(JsonMixin):
    total: int | None
    page: int
    entries: list[EmailHistoryEntry]


@dataclass(frozen=True)
class CheapServer(JsonMixin):
    id: str
    name: str
    type: str | None = None
