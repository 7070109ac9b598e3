"""Typed results that drivers return and commands render.

Ids and phone numbers are strings (ids outgrow 32 bits and some are alphanumeric);
money is `Decimal` with the currency the provider's document names, or None where
the reply does not tell it.

The records are `NamedTuple`s, not dataclasses: `otp balance` and `otp status` import
this module on every start, and generating dataclass methods (and importing `inspect`
for it) cost about a fifth of that start (DESIGN §5). They are just as immutable and
typed; `to_json()` gives the JSON object.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple


class State(StrEnum):
    WAITING = "waiting"
    CODE_RECEIVED = "code_received"
    FINISHED = "finished"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def terminal(self) -> bool:
        return self in (State.FINISHED, State.CANCELLED, State.EXPIRED)


def jsonable(value: Any) -> Any:
    """`value` ready for json.dumps: Decimals as strings, records as objects."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple) and hasattr(value, "_asdict"):
        return jsonable(value._asdict())
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


class Balance(NamedTuple):
    balance: Decimal
    currency: str | None

    def to_json(self) -> dict[str, Any]:
        return jsonable(self._asdict())

    def __str__(self) -> str:
        return f"{self.balance} {self.currency}" if self.currency else str(self.balance)


class Activation(NamedTuple):
    """A bought number. `price`/`currency` are None where the reply does not tell them."""

    id: str
    number: str
    service: str
    country: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    expires_in: int | None = None
    multi_sms: bool | None = None

    def to_json(self) -> dict[str, Any]:
        return jsonable(self._asdict())


class StatusResult(NamedTuple):
    """One look at an activation.

    `code` is set when the state is code_received; `text` is the full SMS where the
    provider gives it; `detail` says more about a waiting state (e.g. "resend").
    """

    id: str
    state: State
    code: str | None = None
    text: str | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return jsonable(self._asdict())


class ActionResult(NamedTuple):
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

    def to_json(self) -> dict[str, Any]:
        return jsonable(self._asdict())


class CatalogEntry(NamedTuple):
    """One row of a provider's catalog: a service, optionally priced for a country/server."""

    service: str
    name: str | None = None
    country: str | None = None
    country_name: str | None = None
    server: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    stock: int | None = None
    # Read-only: one shared empty default serves every row.
    extra: Mapping[str, str] = MappingProxyType({})

    def to_json(self) -> dict[str, Any]:
        return jsonable(self._asdict())


class Country(NamedTuple):
    id: str
    name: str
    server: str | None = None

    def to_json(self) -> dict[str, Any]:
        return jsonable(self._asdict())
