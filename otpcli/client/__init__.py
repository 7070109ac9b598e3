"""The library: `otpcli.Client`, a synchronous, typed client with the CLI's money safety.

```python
import otpcli

with otpcli.Client.sandbox() as client:          # or .from_env(), .from_profile("work")
    print(client.balance())                      # Balance(amount=Decimal, currency)
    with client.buy("tg", country="india") as act:
        code = act.wait(timeout=120)             # Code(code, text); otpcli.WaitTimeout
        act.finish()
```

Contract:
- Settings are resolved exactly as the CLI resolves them (`otpcli.services.config`):
  an argument > the `OTPCLI_*` environment > the profile (`profile=`, else
  `OTPCLI_PROFILE`, else the config file's default) > built-in defaults. An explicit
  `api_key` stands where `OTPCLI_API_KEY` would. A `ConfigError` (exit 3) is raised when
  the client is made, before anything is sent.
- Every purchase goes through the journaled wrappers (`otpcli.services.journaled`,
  `otpcli.services.products`): the journal row is written before the request, a lost
  reply raises `PurchaseUnknown` and is never re-sent, the row says what is known.
- Names resolve as in the CLI (`country="india"`, `"telegram"`; services/names.py).
- Errors are `otpcli.OtpError` subclasses carrying `.exit_code` (DESIGN §3). The
  library never prints and never exits: warnings go to `on_warning(message)` when given,
  else through `warnings.warn(..., otpcli.OtpWarning)`.
- `close()` (or leaving `with`) first settles every handle still open inside a `with`
  block (as leaving that block would; leaving it afterwards does nothing), then closes
  the HTTP sessions, the journal and any in-process sandbox. Orders bought without a
  `with` block stay as they are (they are the caller's, as after `otp buy`). After
  `close()`, the client and its handles raise `BadInput` (2) and send nothing;
  `Client(...).activation(id)` re-attaches. A client is not meant to be shared by
  threads.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any

from otpcli.client import checks
from otpcli.client.handles import Activation, EmailOrder, Rental, _Settling
from otpcli.client.results import Balance, Code, OtpWarning
from otpcli.domain.errors import BadInput, Interrupted, NotFound
from otpcli.services import config, spending
from otpcli.services import journal as jr

if TYPE_CHECKING:
    from otpcli.domain.models import Activation as Bought
    from otpcli.domain.models import CatalogEntry, Country
    from otpcli.domain.product_models import (
        CheapServer,
        EmailHistory,
        EmailService,
        RentalCountry,
        RentalPrice,
        RentalStock,
    )
    from otpcli.domain.product_models import Rental as RentalRecord
    from otpcli.services.journaled import JournaledProvider
    from otpcli.services.pending import PendingReport
    from otpcli.services.products import JournaledEmail, JournaledRental

__all__ = ["Activation", "Balance", "Client", "Code", "EmailOrder", "OtpWarning", "Rental"]

# The clean-up bound of `otp wait` (--cleanup-timeout): long enough to wait out a
# provider's 2-minute early-cancel window.
CLEANUP_TIMEOUT = 120.0


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _outside_level() -> int:
    """The `stacklevel` that makes a warning point at the caller's line: the first frame
    outside the otpcli package, however deep the library warned from."""
    frame: FrameType | None = sys._getframe(2)  # the caller of _warn
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


class Client:
    """A connection to one provider account, with the journal and the clean-up policy.

    `Client(provider=..., api_key=..., base_url=None)` names the provider; the
    constructors `from_env()`, `from_profile(name)` and `sandbox()` are the usual ways in.
    `state_dir` overrides `OTPCLI_STATE_DIR` (journal and caches); `cleanup_timeout`
    bounds the refund clean-up of a `with` block (seconds); `on_warning` receives the
    warnings instead of `warnings.warn`; `max_spend` ("50" or "50/day") caps what this
    client may spend, over `OTPCLI_MAX_SPEND` and the profile's cap (`SpendCapReached`,
    exit 6, nothing sent, when a purchase could pass it).

    `close()` (or leaving the client's `with`) first settles every handle still open
    inside a `with` block, as leaving that block would, then releases everything; from
    then on the client and all its handles raise `BadInput` ("this otpcli.Client is
    closed") and send nothing.
    """

    def __init__(
        self,
        provider: str | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        profile: str | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        cleanup_timeout: float = CLEANUP_TIMEOUT,
        on_warning: Callable[[str], None] | None = None,
        environ: Mapping[str, str] | None = None,
        max_spend: str | int | Decimal | None = None,
    ) -> None:
        provider = checks.text(provider, "provider", digits=False)
        api_key = checks.text(api_key, "api_key", digits=False)
        base_url = checks.text(base_url, "base_url", digits=False)
        profile = checks.text(profile, "profile", digits=False)
        state_dir = checks.path(state_dir, "state_dir")
        cleanup_timeout = checks.seconds(cleanup_timeout, "cleanup_timeout")
        spend = checks.amount_text(max_spend, "max_spend")
        if on_warning is not None and not callable(on_warning):
            raise BadInput(f"on_warning must be callable, not {on_warning!r}")
        env: dict[str, str] | None = None
        if api_key is not None or state_dir is not None or environ is not None:
            env = dict(os.environ if environ is None else environ)
            if api_key is not None:
                env[config.ENV_API_KEY] = api_key
            if state_dir is not None:
                env[config.ENV_STATE_DIR] = os.fspath(state_dir)
        self._environ: Mapping[str, str] | None = env
        self._on_warning = on_warning
        self.cleanup_timeout = cleanup_timeout
        self._where: dict[str, Any] = {
            "profile": profile,
            "provider": provider,
            "base_url": base_url,
            "environ": env,
            "warn": self._warn,
            # The spending cap (`AMOUNT` or `AMOUNT/PERIOD`), over OTPCLI_MAX_SPEND and
            # the profile's max_spend; checked with every purchase's journal row.
            "max_spend": None if spend is None else config.Sourced(spend, config.CLIENT_SOURCE),
        }
        # Fails here, before anything is sent, when the settings are incomplete or the
        # spending cap (this argument, OTPCLI_MAX_SPEND or the profile's) is malformed.
        self.settings = config.resolve_settings(
            profile=profile,
            provider=provider,
            base_url=base_url,
            environ=env,
            warn=self._warn,
            max_spend=self._where["max_spend"],
        )
        spending.from_setting(*self.settings.max_spend)
        self._opened: dict[tuple[str, ...], Any] = {}
        self._journal: jr.Journal | None = None
        self._closed = False
        # Handles inside a `with` block, settled by close() if it comes first.
        self._entered: list[_Settling] = []

    # --- constructors -----------------------------------------------------------------

    @classmethod
    def from_env(cls, **options: Any) -> Client:
        """Settings from the `OTPCLI_*` variables, then the default profile (as `otp`)."""
        return cls(**options)

    @classmethod
    def from_profile(cls, name: str, **options: Any) -> Client:
        """Settings from the profile `name` of the config file (`otp profile add`)."""
        return cls(profile=name, **options)

    @classmethod
    def sandbox(cls, **options: Any) -> Client:
        """The built-in simulator: play money, no key, started in this process (its
        state in the state dir, shared with `otp --sandbox`)."""
        from otpcli.providers import SANDBOX

        return cls(provider=SANDBOX, **options)

    # --- life -------------------------------------------------------------------------

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(
            after_signal=exc_type is not None
            and issubclass(exc_type, KeyboardInterrupt | Interrupted)
        )

    def close(self, *, after_signal: bool = False) -> None:
        """Settle the handles still open inside a `with` block (as leaving the block
        would; leaving it later does nothing), then close the HTTP sessions, the
        journals and any in-process sandbox. Closing twice does nothing."""
        if self._closed:
            return
        try:
            self._settle_entered(after_signal)
        finally:
            self._closed = True
            self._release()

    def _settle_entered(self, after_signal: bool) -> None:
        """Settle every handle still inside a `with` block, each in turn: one that fails
        (or a Ctrl-C) does not leave the others unsettled; the first failure is raised."""
        first: BaseException | None = None
        while self._entered:
            handle = self._entered.pop()
            try:
                handle.close(after_signal=after_signal or first is not None)
            except BaseException as exc:  # re-raised once all are settled
                first = first or exc
        if first is not None:
            raise first

    def _release(self) -> None:
        opened, self._opened = list(self._opened.values()), {}
        for wrapped in opened:
            try:
                wrapped.close()
            finally:
                wrapped.journal.close()
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def _check_open(self) -> None:
        """`BadInput` (2), nothing sent, once the client is closed."""
        if self._closed:
            raise BadInput(
                "this otpcli.Client is closed",
                hint="make a new client; `client.activation(id)` re-attaches to an order",
            )

    @property
    def provider(self) -> str:
        """The provider's name (`sandbox`, `otpx`, ...)."""
        return self.settings.provider.value or ""

    @property
    def profile(self) -> str | None:
        """The profile in use, if any."""
        return self.settings.profile.value

    def _warn(self, message: str) -> None:
        if self._on_warning is not None:
            self._on_warning(message)
        else:
            warnings.warn(message, OtpWarning, stacklevel=_outside_level())

    def _open(self, product: str, key: tuple[str, ...] = (), order_id: str | None = None) -> Any:
        """The journaled wrapper of `product` (opened once, closed by `close()`)."""
        from otpcli.services import session

        self._check_open()
        slot = (product, *key)
        if slot not in self._opened:
            where = dict(self._where, order_id=order_id)
            if product == "rent":
                self._opened[slot] = session.open_rental(**where)[0]
            elif product == "email":
                self._opened[slot] = session.open_email(**where)[0]
            else:
                self._opened[slot] = session.open_provider(**where, product=product)[0]
        return self._opened[slot]

    def _for_order(self, order_id: str, products: tuple[str, ...]) -> tuple[Any, jr.Order | None]:
        """The wrapper an order lives at: this client's own, unless the journal says it
        was bought under other settings (then those, as `otp wait ID` does)."""
        from otpcli.domain.ids import check_id
        from otpcli.services.session import PRODUCT_OF_KIND

        order_id = check_id(order_id)
        row = self.journal.find(order_id, provider=self.provider, kinds=jr.ORDER_KINDS)
        product = products[0] if row is None else PRODUCT_OF_KIND.get(row.kind, "sms")
        if product not in products:
            raise BadInput(
                f"{order_id} is a {row.kind if row else product} order; nothing was sent"
            )
        mine = row is None or (
            row.profile == self.settings.profile.value
            and row.base_url == self.settings.base_url.value
        )
        if mine:
            return self._open(product), row
        assert row is not None
        return self._open(
            product, (row.provider, row.profile or "", row.base_url or ""), order_id
        ), row

    @property
    def journal(self) -> jr.Journal:
        """The order journal of the state dir (read it with `orders()`)."""
        self._check_open()
        if self._journal is None:
            from otpcli.services.session import open_journal

            self._journal = open_journal(self._environ, warn=self._warn)
        return self._journal

    # --- account and catalog ----------------------------------------------------------

    def balance(self) -> Balance:
        """The wallet's balance."""
        got = self._open("sms").balance()
        return Balance(got.balance, got.currency)

    def prices(
        self,
        service: str | int | None = None,
        *,
        country: str | int | None = None,
        server: str | int | None = None,
    ) -> list[CatalogEntry]:
        """Offers (price, stock) for `service` (or every service), cheapest first."""
        from otpcli.services.names import resolve_target

        service = checks.text(service, "service")
        country = checks.text(country, "country")
        server = checks.text(server, "server")
        provider = self._open("sms")
        target = resolve_target(provider, self.settings, service, country=country, server=server)
        rows = provider.services(
            country=target.country, server=target.server, service=target.service
        )
        rows = [r for r in rows if target.service is None or r.service == target.service]
        rows.sort(key=lambda r: (r.price is None, r.price or 0, r.service))
        return rows

    def countries(self, *, server: str | None = None) -> list[Country]:
        """The countries the provider sells numbers from."""
        server = checks.text(server, "server")
        countries: list[Country] = self._open("sms").countries(
            server=server or self.settings.server.value
        )
        return countries

    # --- activations ------------------------------------------------------------------

    def buy(
        self,
        service: str | int,
        *,
        country: str | int | None = None,
        max_price: Decimal | str | int | None = None,
        operator: str | None = None,
        server: str | None = None,
    ) -> Activation:
        """Buy one number for `service` (journaled before it is sent). Use the result as
        a context manager so that it is refunded when no code is used."""
        from otpcli.services.journaled import check_max_price
        from otpcli.services.names import Purchase, resolve_purchase

        service = checks.required_text(service, "service")
        country = checks.text(country, "country")
        operator = checks.text(operator, "operator")
        server = checks.text(server, "server")
        limit = check_max_price(max_price, "max_price")
        provider: JournaledProvider = self._open("sms")
        asked = Purchase(service, country, operator, server, limit)
        bought = provider.buy_resolved(resolve_purchase(provider, self.settings, asked))
        return self._handle(provider, bought)

    def _handle(
        self, provider: JournaledProvider, act: Bought, kind: str = jr.ACTIVATION
    ) -> Activation:
        return Activation(
            self,
            provider,
            id=act.id,
            number=act.number,
            service=act.service,
            country=act.country,
            price=act.price,
            currency=act.currency,
            expires_in=act.expires_in,
            kind=kind,
        )

    def activation(self, activation_id: str | int) -> Activation:
        """Re-attach to an activation of the journal (bought by `otp buy`, another
        process or an earlier client), to wait, finish or cancel it. `NotFound` (5)
        when the journal does not know it."""
        activation_id = checks.required_text(activation_id, "activation id")
        provider, row = self._for_order(activation_id, ("sms", "cheap"))
        if row is None or row.number is None:
            raise NotFound(
                f"activation {activation_id} is not in the journal of {self.provider}",
                hint="`otp orders` lists what the journal knows",
            )
        handle = Activation(
            self,
            provider,
            id=activation_id,
            number=row.number,
            service=row.service,
            country=row.country,
            price=row.price,
            currency=row.currency,
            kind=row.kind,
        )
        if row.state == "code_received" and (row.code or row.text):
            handle.code = Code(row.code or "", row.text, activation_id)
        handle._done = row.state in ("finished", "cancelled", "expired")
        return handle

    def orders(
        self, *, active: bool | None = None, state: str | None = None, limit: int | None = None
    ) -> list[jr.Order]:
        """Journal rows, newest first: `active=True` the open ones (waiting, unknown,
        cancel_pending, ...), `active=False` the others, `state=` one state."""
        return list(
            self.journal.iter_orders(active=active, state=state, limit=limit, newest_first=True)
        )

    def cancel_pending(self, *, wait: bool = True) -> PendingReport:
        """Settle what earlier runs left (this provider's `cancel_pending` rows and
        orphans), as `otp cancel --pending [--wait]`: codes that came are delivered,
        the rest refunded; `report.failures` lists what is still owed."""
        from contextlib import nullcontext

        from otpcli.services.pending import settle_pending
        from otpcli.services.session import quiet_leftovers

        quiet_leftovers()

        def open_order(row: jr.Order) -> Any:
            assert row.order_id is not None
            kinds = ("email",) if row.kind == jr.EMAIL else ("sms", "cheap")
            return nullcontext(self._for_order(row.order_id, kinds)[0])

        return settle_pending(
            self.journal,
            open_order,
            wait=wait,
            budget=self.cleanup_timeout,
            keep=lambda row: row.provider == self.provider,
        )

    # --- cheap numbers ----------------------------------------------------------------

    def cheap_servers(self, *, server_type: str | None = None) -> list[CheapServer]:
        """The cheap-number servers (`otp cheap servers`)."""
        servers: list[CheapServer] = self._open("cheap").servers(server_type=server_type)
        return servers

    def buy_cheap(self, server: str | int, *, server_type: str | None = None) -> Activation:
        """Buy a cheap number (15-minute life) on `server` (`otp cheap buy`)."""
        server = checks.required_text(server, "server")
        server_type = checks.text(server_type, "server_type")
        provider: JournaledProvider = self._open("cheap")
        bought = provider.buy(server, server=server_type)
        return self._handle(provider, bought, kind=jr.CHEAP)

    # --- rentals ----------------------------------------------------------------------

    def rent(self, country: str | int, *, hours: int, server: str | None = None) -> Rental:
        """Rent a number in `country` for `hours` (12, 24, 168, 720, 4320, 8640)."""
        from otpcli.services.names import resolve_rental_country

        country = checks.required_text(country, "country")
        hours = checks.hours(hours)
        server = checks.text(server, "server")
        provider: JournaledRental = self._open("rent")
        provider.check_duration(hours, server=server)  # before any request
        code = resolve_rental_country(provider, country, server=server)
        got = provider.rent(code, hours=hours, server=server)
        return self._rental(provider, got)

    def _rental(self, provider: JournaledRental, got: RentalRecord) -> Rental:
        return Rental(
            self,
            provider,
            id=got.order_id,
            number=got.phone,
            price=got.price,
            currency=got.currency,
            expires=got.expires,
            rental_id=got.rental_id,
        )

    def rental(self, order_id: str | int) -> Rental:
        """Re-attach to a rental by its order id (`NotFound` when the provider does not
        list it)."""
        order_id = checks.required_text(order_id, "rental id")
        provider: JournaledRental = self._for_order(order_id, ("rent",))[0]
        for got in provider.rentals():
            if order_id in (got.order_id, got.rental_id):
                return self._rental(provider, got)
        raise NotFound(f"no rental {order_id} at {self.provider}", hint="see `otp rent list`")

    def rentals(self) -> list[RentalRecord]:
        """Your rentals as the provider lists them."""
        rows: list[RentalRecord] = self._open("rent").rentals()
        return rows

    def rental_countries(self, *, server: str | None = None) -> list[RentalCountry]:
        """Countries with rentals."""
        rows: list[RentalCountry] = self._open("rent").countries(server=server)
        return rows

    def rental_prices(self, country: str, *, server: str | None = None) -> list[RentalPrice]:
        """Price per duration for a country."""
        provider, code, server = self._rental_country(country, server)
        rows: list[RentalPrice] = provider.prices(code, server=server)
        return rows

    def rental_stock(self, country: str, *, server: str | None = None) -> list[RentalStock]:
        """Numbers in stock for a country."""
        provider, code, server = self._rental_country(country, server)
        rows: list[RentalStock] = provider.stock(code, server=server)
        return rows

    def _rental_country(self, country: str, server: str | None) -> tuple[Any, str, str | None]:
        """The rental driver, the country's code (its name resolved as in `otp rent`)
        and the checked server."""
        from otpcli.services.names import resolve_rental_country

        country = checks.required_text(country, "country")
        server = checks.text(server, "server")
        provider = self._open("rent")
        return provider, resolve_rental_country(provider, country, server=server), server

    # --- e-mail -----------------------------------------------------------------------

    def email(self, service: str, *, domain: str | None = None) -> EmailOrder:
        """Buy a temporary e-mail address for `service`; use it as a context manager so
        that it is refunded when no code came."""
        service = checks.required_text(service, "service")
        domain = checks.text(domain, "domain")
        provider: JournaledEmail = self._open("email")
        got = provider.buy(service, domain=domain)
        return EmailOrder(
            self,
            provider,
            id=got.id,
            address=got.email,
            service=got.service,
            domain=got.domain,
            price=got.price,
            currency=got.currency,
        )

    def email_order(self, email_id: str | int) -> EmailOrder:
        """Re-attach to an e-mail order of the journal (`NotFound` when unknown)."""
        email_id = checks.required_text(email_id, "e-mail order id")
        provider, row = self._for_order(email_id, ("email",))
        if row is None or row.number is None:
            raise NotFound(f"e-mail order {email_id} is not in the journal of {self.provider}")
        handle = EmailOrder(
            self,
            provider,
            id=email_id,
            address=row.number,
            service=row.service,
            domain=row.country,
            price=row.price,
            currency=row.currency,
        )
        handle._done = row.state in ("finished", "cancelled", "expired")
        return handle

    def email_services(self, *, domain: str | None = None) -> list[EmailService]:
        """E-mail services with price and stock."""
        rows: list[EmailService] = self._open("email").services(domain=domain)
        return rows

    def email_history(self, *, page: int = 1) -> EmailHistory:
        """Past e-mail purchases as the provider lists them."""
        history: EmailHistory = self._open("email").history(page=page)
        return history
