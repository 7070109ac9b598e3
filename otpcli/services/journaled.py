"""A provider wrapped with the order journal: what every command talks to.

`JournaledProvider` implements the `Provider` protocol by delegation and writes the
journal around each call: a purchase row *before* the request, completed or marked
failed/unknown after; state changes (code, finish, cancel, refund) as they are seen.
A cheap number's purchase reply tells no price: its price is the drop of the balance
read before and after (two reads; left unknown when either fails or the drop is
unclear). A purchase whose outcome is unknown is never re-sent; `send_once` is the one place
that settles a purchase row, for the rental and e-mail wrappers (services/products.py) too.
It reads the provider's own order list where it has one, only to name the order that is
probably the lost purchase: an order the journal does not know is never adopted.

Spending cap: a wrapper given a `cap` (services/spending.py) passes every purchase's
bound to `journal.begin()`, which checks it in the transaction that writes the row:
`--max-price` when given, else the highest price the provider's catalogue quotes for
the service and country (one more request, made only when a cap is set); no quote, no
purchase (BadInput, nothing sent).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, TypeVar

from otpcli.domain.errors import (
    BadInput,
    ConfigError,
    Interrupted,
    OtpError,
    ProviderError,
    PurchaseUnknown,
    Unsupported,
)
from otpcli.domain.models import (
    ActionResult,
    Activation,
    Balance,
    CatalogEntry,
    Country,
    StatusResult,
)
from otpcli.domain.provider import Capability, Provider, ProviderOptions
from otpcli.services import journal as jr
from otpcli.services import spending

if TYPE_CHECKING:
    from otpcli.domain.product_models import CheapServer
    from otpcli.services.names import Purchase

T = TypeVar("T")

MAX_PRICE = Decimal(10) ** 9  # more than any number costs: a typo, not a limit


def check_max_price(value: str | Decimal | int | None, name: str = "--max-price") -> Decimal | None:
    """A price limit as a Decimal: a finite amount above 0 and at most `MAX_PRICE`
    (NaN, infinities, `1e999999` or `1e-999999`, which would be sent as a megabyte of
    digits, are refused with exit 2 before anything is sent). `name` is how the caller
    spells the setting in the message (`--max-price`, `max_price`)."""
    if value is None:
        return None
    try:
        price = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise BadInput(f"{name} {value!r} is not a number") from None
    if not price.is_finite():
        raise BadInput(f"{name} {value!r} is not a finite number")
    if price <= 0:
        raise BadInput(f"{name} must be greater than 0")
    if price > MAX_PRICE:
        raise BadInput(f"{name} must be at most {MAX_PRICE:f}, not {value!r}")
    exponent = price.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -8:
        raise BadInput(f"{name} {value!r} has more than 8 decimal places")
    return price


def send_once(
    journal: jr.Journal,
    row: int,
    send: Callable[[], T],
    reconcile: Callable[[], T | None] | None = None,
) -> T:
    """Send a purchase exactly once and settle its journal row when it fails.

    The row is marked `unknown` when the outcome cannot be known (PurchaseUnknown, a
    signal, anything unexpected while the request was out) and `failed` when the
    provider refused, before anything else happens. After a provider failure (exit 9),
    `reconcile` reads the provider's own list once. An order found there is never
    adopted: it may be another runner's on the same account, or one bought on the
    provider's website, and adopting it could cancel someone else's number. The row
    stays `unknown` with the candidate named in its note, and `PurchaseUnknown` names it
    in its hint, so the user decides. On success the caller completes the row."""
    try:
        return send()
    except (PurchaseUnknown, Interrupted) as exc:
        journal.unknown(row, exc.message)
        if isinstance(exc, Interrupted):
            raise
        failure: OtpError = exc
    except ProviderError as exc:
        journal.failed(row, exc.message)
        failure = exc
    except OtpError as exc:
        journal.failed(row, exc.message)
        raise
    except BaseException:
        journal.unknown(row, "interrupted while buying")
        raise
    found = None
    # Only a purchase that may have gone through is looked for: after a definite refusal
    # an unknown open order on the account is somebody else's, never this purchase.
    if reconcile is not None and isinstance(failure, PurchaseUnknown):
        try:
            found = reconcile()
        except Interrupted:
            raise
        except OtpError:
            found = None  # the row stays as marked: never a second purchase
    if found is None:
        raise failure
    raise _candidate(journal, row, failure, found) from None


def _candidate(journal: jr.Journal, row: int, failure: OtpError, found: object) -> OtpError:
    """The outcome-unknown error naming the open order the provider lists that is
    probably this purchase; the journal row says the same (and stays `unknown`)."""
    oid = getattr(found, "order_id", None) or getattr(found, "id", None)
    where = getattr(found, "number", None) or getattr(found, "phone", None)
    where = where or getattr(found, "email", None)
    seen = f"order {oid}" + (f" ({where})" if where else "")
    journal.unknown(row, f"{failure.message}; the provider lists {seen}, probably this one")
    return PurchaseUnknown(
        f"the purchase may have gone through, but its reply was lost; the provider lists an "
        f"open {seen} that otp did not record: probably this purchase, maybe another runner's",
        hint=f"check it (`otp orders --remote`); if it is yours: `otp wait {oid}`, "
        f"else leave it; never buy again before knowing",
    )


def record_purchase(complete: Callable[[], None], order_id: str, number: str | None) -> None:
    """Fill in a bought order's journal row (`complete`). If the journal cannot be
    written now (a database gone, a lock held too long), the order is paid for and only
    this message knows it: the error names its id and number and how to use or refund it."""
    try:
        complete()
    except Exception as exc:
        why = exc.message if isinstance(exc, OtpError) else f"{type(exc).__name__}: {exc}"
        on = f" ({number})" if number else ""
        raise ConfigError(
            f"bought order {order_id}{on}, but the journal could not record it: {why}",
            hint=f"it is paid for: `otp wait {order_id}` uses it, `otp cancel {order_id}` "
            "refunds it; fix the journal before buying again",
        ) from exc


@contextmanager
def naming(order_id: str) -> Iterator[None]:
    """Errors about one order say its id in their hint: `otp cancel 123`, not the
    placeholder `otp cancel ID` of the provider-neutral word tables."""
    try:
        yield
    except OtpError as exc:
        if exc.hint:
            exc.hint = exc.hint.replace(" ID`", f" {order_id}`")
        raise


class Journaled:
    """What every journaled wrapper shares: the driver's identity, the journal, and
    where orders bought through it live (profile, base URL; never the key)."""

    kind: str = jr.ACTIVATION  # the journal row kind of this product's orders

    def __init__(
        self,
        inner: Any,
        journal: jr.Journal,
        *,
        profile: str | None,
        base_url: str | None,
        cap: spending.Cap | None = None,
    ) -> None:
        self.inner = inner
        self.journal = journal
        self.profile = profile
        self.base_url = base_url
        self.name: str = inner.name
        self.title: str = inner.title
        self.capabilities: frozenset[Capability] = inner.capabilities
        self.currency: str | None = inner.currency
        self.poll_interval: float = inner.poll_interval
        # The spending cap every purchase through this wrapper is checked against, in
        # the currency of this provider (amounts in others are never mixed in).
        self.cap = None if cap is None else cap.for_currency(self.currency)
        self.options: ProviderOptions = inner.options
        # Activation drivers say how they name countries and services (services/names.py).
        self.country_scheme: str | None = getattr(inner, "country_scheme", None)
        self.service_scheme: str | None = getattr(inner, "service_scheme", None)

    def supports(self, capability: Capability) -> bool:
        return bool(self.inner.supports(capability))

    def mark_cancel_pending(self, order_id: str, why: str) -> None:
        """Record that `order_id` is owed a refund, for `otp cancel --pending`. An order
        bought outside this journal (another machine, another state dir) is added."""
        if self._row(order_id) is None:
            self.journal.adopt(
                order_id,
                provider=self.name,
                profile=self.profile,
                base_url=self.base_url,
                kind=self.kind,
                state=jr.CANCEL_PENDING,
                note=why,
            )
        else:
            self._record(order_id, jr.CANCEL_PENDING, note=why)

    def _record(self, order_id: str, state: str, **fields: Any) -> None:
        """Journal a change of one of this wrapper's orders (its provider and place)."""
        self.journal.record(order_id, state, provider=self.name, base_url=self.base_url, **fields)

    def _row(self, order_id: str, **where: Any) -> jr.Order | None:
        """The journal row of one of this wrapper's orders (its provider and place)."""
        return self.journal.find(order_id, provider=self.name, base_url=self.base_url, **where)

    def claim(self, *order_ids: str) -> None:
        """This process waits on these orders now and answers for them (services/journal.py)."""
        self.journal.claim(*order_ids, provider=self.name, base_url=self.base_url)

    def close(self) -> None:
        self.inner.close()


class JournaledProvider(Journaled):
    inner: Provider

    def __init__(
        self,
        inner: Provider,
        journal: jr.Journal,
        *,
        profile: str | None,
        base_url: str | None,
        kind: str = jr.ACTIVATION,
        cap: spending.Cap | None = None,
    ) -> None:
        super().__init__(inner, journal, profile=profile, base_url=base_url, cap=cap)
        # The journal row kind of this product's purchases ("cheap" for cheap numbers),
        # so `otp wait ID` later finds the right handler.
        self.kind = kind

    def balance(self) -> Balance:
        return self.inner.balance()

    def buy(
        self,
        service: str,
        *,
        country: str | None = None,
        operator: str | None = None,
        server: str | None = None,
        max_price: Decimal | None = None,
    ) -> Activation:
        reserve = self._reserve(service, country=country, server=server, max_price=max_price)
        # A cheap number's reply tells no price: the balance before and after does.
        before = self._balance_or_none() if self.kind == jr.CHEAP else None
        row = self._begin(service, country, reserve)
        # A cheap number's host takes no price limit: its --max-price is the cap's bound only.
        limit = None if self.kind == jr.CHEAP else max_price
        act = send_once(
            self.journal,
            row,
            lambda: self.inner.buy(
                service, country=country, operator=operator, server=server, max_price=limit
            ),
            lambda: self._reconcile(service, country),
        )
        if act.price is None and before is not None:
            try:
                act = self._priced(act, before)
            except BaseException:
                record_purchase(lambda: self.journal.complete(row, act), act.id, act.number)
                raise
        record_purchase(lambda: self.journal.complete(row, act), act.id, act.number)
        return act

    def _reserve(
        self,
        service: str,
        *,
        country: str | None,
        server: str | None,
        max_price: Decimal | None,
        fallback: Decimal | None = None,
    ) -> Decimal | None:
        """The most this purchase may cost, for the spending cap (None without a cap):
        `--max-price`, else the catalogue's highest quote, else `fallback`."""
        if self.cap is None:
            return None
        if max_price is not None:
            return max_price
        quotes: list[Decimal | None] = []
        if self.kind != jr.CHEAP and self.inner.supports(Capability.CATALOG):
            wanted = service.strip().lower()
            try:
                entries = self.inner.services(country=country, server=server, service=service)
            except Interrupted:
                raise
            except OtpError:
                if fallback is None:
                    raise  # no bound without the catalogue: nothing is bought
                entries = []
            quotes = [e.price for e in entries if e.service.strip().lower() == wanted]
        if fallback is not None:
            quotes.append(fallback)
        where = f" in country {country}" if country else ""
        what = "a cheap number" if self.kind == jr.CHEAP else f"{service}{where}"
        return spending.bound(
            quotes,
            what=what,
            hint="pass --max-price AMOUNT (the most you accept to pay; the cap counts it)",
        )

    def buy_resolved(self, p: Purchase) -> Activation:
        """One purchase of a resolved order (`services/names.resolve_purchase`)."""
        return self.buy(
            p.service,
            country=p.country,
            operator=p.operator,
            server=p.server,
            max_price=p.max_price,
        )

    def _begin(self, service: str, country: str | None, reserve: Decimal | None) -> int:
        """The purchase's journal row, written before the request (and checked against
        the spending cap in the same transaction)."""
        return self.journal.begin(
            provider=self.name,
            profile=self.profile,
            base_url=self.base_url,
            service=service,
            country=country,
            kind=self.kind,
            reserve=reserve,
            cap=self.cap,
        )

    def _balance_or_none(self) -> Balance | None:
        try:
            return self.inner.balance()
        except Interrupted:
            raise
        except OtpError:
            return None  # the price stays unknown; the purchase is what matters

    def _priced(self, act: Activation, before: Balance) -> Activation:
        """`act` with the price the wallet paid for it (the balance's drop), when the
        drop is clear; a purchase made in parallel by another process can blur it, so
        the price is journaled as found and shown as such in `otp orders`."""
        after = self._balance_or_none()
        if after is None or after.currency != before.currency or after.balance >= before.balance:
            return act
        return act._replace(price=before.balance - after.balance, currency=after.currency)

    def _reconcile(self, service: str, country: str | None) -> Activation | None:
        """After an unknown purchase, ask the provider's own order list: exactly one open
        order for this service that the journal does not know is probably the one just
        bought (named to the user by `send_once`, never adopted)."""
        if not self.inner.supports(Capability.ORDERS):
            return None
        recent = getattr(self.inner, "recent_activations", None)
        if recent is None:
            return None
        candidates = [
            a
            for a in recent()
            if a.service == service
            and (country is None or a.country in (None, country))
            and self.journal.find(a.id, provider=self.name) is None
        ]
        return candidates[0] if len(candidates) == 1 else None

    def record_status(self, st: StatusResult) -> StatusResult:
        """Journal what a look at an activation showed (also a look made elsewhere,
        e.g. the code a cancel refusal carried)."""
        self._record(
            st.id,
            st.state.value,
            code=st.code,
            text=st.text,
        )
        return st

    def status(self, activation_id: str) -> StatusResult:
        with naming(activation_id):
            return self.record_status(self.inner.status(activation_id))

    def statuses(self, ids: Sequence[str]) -> dict[str, StatusResult]:
        """The driver's batched status (Capability.BATCH_STATUS), each answer journaled
        as `status()` journals one. Ids the host did not list stay missing."""
        batched = getattr(self.inner, "statuses", None)
        if batched is None or not self.inner.supports(Capability.BATCH_STATUS):
            raise Unsupported(f"{self.title} has no batched status; nothing was sent")
        found: dict[str, StatusResult] = batched(ids)
        for st in found.values():
            self.record_status(st)
        return found

    def _record_action(self, result: ActionResult) -> ActionResult:
        note = "refunded" if result.refunded else None
        self._record(result.id, result.state.value, note=note)
        return result

    def cancel(self, activation_id: str) -> ActionResult:
        with naming(activation_id):
            return self._record_action(self.inner.cancel(activation_id))

    def finish(self, activation_id: str) -> ActionResult:
        with naming(activation_id):
            return self._record_action(self.inner.finish(activation_id))

    def another(self, activation_id: str) -> ActionResult:
        with naming(activation_id):
            result = self.inner.another(activation_id)
        self._record(activation_id, "waiting", note="another SMS")
        return result

    def reget(self, activation_id: str) -> ActionResult:
        old = self._row(activation_id)
        service = old.service if old and old.service else "reget"
        country = old.country if old else None
        # The same number again: its catalogue price, or what it cost the first time.
        reserve = self._reserve(
            service,
            country=country,
            server=None,
            max_price=None,
            fallback=old.price if old else None,
        )
        row = self._begin(service, country, reserve)
        result = send_once(self.journal, row, lambda: self.inner.reget(activation_id))
        new = result.new_activation
        if new is not None:
            record_purchase(lambda: self.journal.complete(row, new), new.id, new.number)
        else:
            self.journal.failed(row, "no new activation in the reply")
        return result

    def services(
        self,
        *,
        country: str | None = None,
        server: str | None = None,
        service: str | None = None,
    ) -> list[CatalogEntry]:
        return self.inner.services(country=country, server=server, service=service)

    def countries(self, *, server: str | None = None) -> list[Country]:
        return self.inner.countries(server=server)

    def orders(
        self, limit: int = 20, page: int = 1, status: str | None = None
    ) -> list[dict[str, str]]:
        """The provider's own open orders (`otp orders --remote`), as the driver reads them."""
        return self.inner.orders(limit=limit, page=page, status=status)

    def recent_activations(self, limit: int = 10) -> list[Activation]:
        return self.inner.recent_activations(limit=limit)

    def servers(self, *, server_type: str | None = None) -> list[CheapServer]:
        """A cheap-number driver's servers (`CheapProvider`); `Unsupported` elsewhere."""
        servers = getattr(self.inner, "servers", None)
        if servers is None:
            raise Unsupported(f"{self.title} has no cheap-number servers; nothing was sent")
        found: list[CheapServer] = servers(server_type=server_type)
        return found
