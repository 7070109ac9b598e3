"""The one `Provider` protocol every driver implements, and its capabilities.

Commands ask `provider.supports(Capability.X)` and never look at a provider's name.
A method whose capability is missing raises `Unsupported` without sending anything.
Drivers never print, exit or read configuration: they get everything they need in
`ProviderOptions`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:
    # Only for annotations: importing the models costs start-up time (DESIGN §5).
    from otpcli.domain.models import (
        ActionResult,
        Activation,
        Balance,
        CatalogEntry,
        Country,
        StatusResult,
    )
    from otpcli.domain.product_models import (
        CheapServer,
        EmailCancel,
        EmailHistory,
        EmailOrder,
        EmailService,
        EmailStatus,
        Rental,
        RentalCountry,
        RentalInbox,
        RentalPrice,
        RentalRenewal,
        RentalStock,
    )


class Capability(StrEnum):
    SMS = "sms"  # buy / status
    CANCEL = "cancel"
    FINISH = "finish"
    ANOTHER_SMS = "another_sms"  # ask for another SMS on the same activation (free)
    REGET = "reget"  # a new paid activation on the same number
    CATALOG = "catalog"  # services / prices
    COUNTRIES = "countries"
    ORDERS = "orders"  # the provider can list our orders
    CHEAP = "cheap"
    RENT = "rent"
    EMAIL = "email"
    BATCH_STATUS = "batch_status"  # statuses(ids): many open activations in one request


# Seconds to wait for a provider's reply unless OTPCLI_HTTP_TIMEOUT says otherwise.
READ_TIMEOUT = 30.0


class ProviderOptions(NamedTuple):
    """Everything a driver is given: no config reading inside drivers."""

    api_key: str | None
    base_url: str
    timeout: float = READ_TIMEOUT
    connect_timeout: float = 10.0
    read_retries: int = 3
    backoff: float = 0.5
    extra_secrets: tuple[str, ...] = ()
    # Only the sandbox driver uses this: where its simulator keeps state.
    state_dir: str | None = None

    def __repr__(self) -> str:
        # Printed options (a traceback's locals, `pytest -l`) never show the key.
        shown = self._replace(
            api_key="***" if self.api_key else self.api_key,
            extra_secrets=tuple("***" for _ in self.extra_secrets),
        )
        fields = ", ".join(f"{k}={v!r}" for k, v in shown._asdict().items())
        return f"ProviderOptions({fields})"


class Provider(Protocol):
    """An SMS-activation driver (and every wrapper that stands in for one).

    Attributes are read-only properties here, so a driver may narrow them (a class
    attribute `currency = "INR"` satisfies `currency: str | None`).

    mypy checks each driver class against this protocol (`providers/_contracts.py`).
    Methods whose capability a provider lacks raise `Unsupported` before sending."""

    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def capabilities(self) -> frozenset[Capability]: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def poll_interval(self) -> float: ...  # seconds, what the provider's document recommends
    @property
    def options(
        self,
    ) -> (
        ProviderOptions
    ): ...  # How the provider numbers countries and names services, for resolving `-c india`
    # without its catalog (services/names.py): "smsactivate", "dial" or None.
    @property
    def country_scheme(self) -> str | None: ...
    @property
    def service_scheme(self) -> str | None: ...

    def supports(self, capability: Capability) -> bool: ...
    def balance(self) -> Balance: ...
    def buy(
        self,
        service: str,
        *,
        country: str | None = None,
        operator: str | None = None,
        server: str | None = None,
        max_price: Decimal | None = None,
    ) -> Activation: ...
    def status(self, activation_id: str) -> StatusResult: ...
    def cancel(self, activation_id: str) -> ActionResult: ...
    def finish(self, activation_id: str) -> ActionResult: ...
    def another(self, activation_id: str) -> ActionResult: ...
    def reget(self, activation_id: str) -> ActionResult: ...
    def services(
        self,
        *,
        country: str | None = None,
        server: str | None = None,
        service: str | None = None,
    ) -> list[CatalogEntry]: ...
    def countries(self, *, server: str | None = None) -> list[Country]: ...
    def close(self) -> None: ...

    # With `Capability.BATCH_STATUS`: ONE request for the status of many open
    # activations (the family's getActiveActivations). The dict has an entry for each id
    # the host listed; a missing id may have been cancelled, expired or got its code, so
    # the caller must look at it with `status(id)` before concluding anything.
    def statuses(self, activation_ids: Sequence[str]) -> dict[str, StatusResult]: ...

    # With `Capability.ORDERS`: the provider's own list of open orders (raw rows), and
    # the newest open activations from it (empty without the capability), which settle
    # a purchase whose outcome was unknown.
    def orders(
        self, limit: int = 20, page: int = 1, status: str | None = None
    ) -> list[dict[str, str]]: ...
    def recent_activations(self, limit: int = 10) -> list[Activation]: ...


# --- products beyond SMS activations ---------------------------------------------------
#
# A provider may sell more than one product, each behind its own handler with its own
# reply format (OTPGet: cheap numbers, rentals, temporary e-mail). Each product is a
# driver of its own; `otpcli.providers.create(name, options, product=...)` picks it.
# Cheap numbers are activations (the `Provider` protocol above, plus `servers()`).


class CheapProvider(Provider, Protocol):
    def servers(self, *, server_type: str | None = None) -> list[CheapServer]: ...


class RentalProvider(Protocol):
    """Long-term numbers. Purchases (`rent`, `renew`) are sent exactly once and raise
    `PurchaseUnknown` when their outcome cannot be known; `check_duration` raises
    `BadInput` for a duration the provider does not sell, before anything is sent."""

    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def capabilities(self) -> frozenset[Capability]: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def poll_interval(self) -> float: ...

    def supports(self, capability: Capability) -> bool: ...

    def check_duration(self, hours: int, *, server: str | None) -> None: ...

    def countries(self, *, server: str | None = None) -> list[RentalCountry]: ...

    def prices(self, country: str, *, server: str | None = None) -> list[RentalPrice]: ...

    def stock(self, country: str, *, server: str | None = None) -> list[RentalStock]: ...

    def rent(self, country: str, *, hours: int, server: str | None = None) -> Rental: ...

    def rentals(self) -> list[Rental]: ...

    def messages(self, order_id: str) -> RentalInbox: ...

    def renew(self, rental_id: str, *, hours: int) -> RentalRenewal: ...

    def close(self) -> None: ...


class EmailProvider(Protocol):
    """Temporary e-mail. `buy` is sent exactly once (`PurchaseUnknown` when unknown)."""

    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def capabilities(self) -> frozenset[Capability]: ...
    @property
    def currency(self) -> str | None: ...
    @property
    def poll_interval(self) -> float: ...

    def supports(self, capability: Capability) -> bool: ...

    def services(self, *, domain: str | None = None) -> list[EmailService]: ...

    def buy(self, service: str, *, domain: str | None = None) -> EmailOrder: ...

    def status(self, email_id: str) -> EmailStatus: ...

    def cancel(self, email_id: str) -> EmailCancel: ...

    def history(self, *, page: int = 1) -> EmailHistory: ...

    def close(self) -> None: ...
