"""Typed results that drivers return and commands render.

Ids and phone numbers are strings (ids outgrow 32 bits and some are alphanumeric);
money is `Decimal` with the currency the provider's document names, or None where
the reply does not tell it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class State(StrEnum):
    WAITING = "waiting"
    CODE_RECEIVED = "code_received"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def terminal(self) -> bool:
        return self in (State.FINISHED, State.CANCELLED, State.EXPIRED)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class JsonMixin:
    def to_json(self) -> dict[str, Any]:
        return _jsonable(asdict(self))  # type: ignore[call-overload]


@dataclass(frozen=True)
class Balance(JsonMixin):
    balance: Decimal
    currency: str | None

    def __str__(self) -> str:
        return f"{self.balance} {self.currency}" if self.currency else str(self.balance)


@dataclass(frozen=True)
class Activation(JsonMixin):
    """A bought number. `price`/`currency` are None where the reply does not tell them."""

    id: str
    number: str
    service: str
    country: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    expires_in: int | None = None
    multi_sms: bool | None = None


@dataclass(frozen=True)
class StatusResult(JsonMixin):
    """One look at an activation.

    `code` is set when the state is code_received; `text` is the full SMS where the
    provider gives it; `detail` says more about a waiting state (e.g. "resend").
    """

    id: str
    state: State
    code: str | None = None
    text: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class ActionResult(JsonMixin):
    """The outcome of cancel / finish / another SMS.

    `new_activation` is set when the provider answered "another SMS" with a new order
    on the same number (which costs money and is only sent when asked for explicitly).
    """

    id: str
    action: str
    state: State
    message: str
    refunded: bool = False
    new_activation: Activation | None = None


@dataclass(frozen=True)
class CatalogEntry(JsonMixin):
    """One row of a provider's catalog: a service, optionally priced for a country/server."""

    service: str
    name: str | None = None
    country: str | None = None
    country_name: str | None = None
    server: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    stock: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Country(JsonMixin):
    id: str
    name: str
    server: str | None = None
