"""Rentals and temporary e-mail wrapped with the order journal, and their waiting loops.

Contract:
- `JournaledRental` / `JournaledEmail` delegate to a `RentalProvider` / `EmailProvider`
  and write the journal around every purchase exactly like `JournaledProvider` does for
  activations: a row *before* the request (kind `rental`, `renewal` or `email`),
  completed after; `failed` when the provider refused; `unknown` when the outcome cannot
  be known. A purchase is never re-sent. Input the provider would refuse (a rental
  duration it does not sell) is refused before any row or request.
- Reconciliation: when a purchase fails with a provider failure (exit 9), the provider's
  own list (getMyRentals / getEmailHistory) is read once; exactly one order there that
  the journal does not know and that matches what was bought completes the row (the
  purchase went through after all). Otherwise an unknown outcome stays `unknown`, a
  documented failure `failed`.
- Spending cap: given a `cap` (services/spending.py), every purchase passes its bound
  to `journal.begin()`, which checks it in the transaction that writes the row: a
  rental's and a renewal's price for that duration from the provider's price list, an
  e-mail's from its service list (the highest quote; none: BadInput, nothing sent).
- `wait_email()` polls an e-mail order until a code (or a message) arrives;
  `wait_rental_message()` until a message not in `seen` arrives. Both use the injected
  clock (`domain.clock`), report each poll to `on_poll` (a `services.waiting.PollEvent`, so the
  live view `render.WaitView` shows them), keep polling through transient provider
  failures, stop at once on cancelled orders (exit 8) and raise `WaitTimeout` (124).
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar

from otpcli.domain.errors import (
    BadInput,
    OrderStateError,
    WaitTimeout,
)
from otpcli.domain.models import State, StatusResult
from otpcli.domain.product_models import (
    EmailCancel,
    EmailHistory,
    EmailOrder,
    EmailService,
    EmailStatus,
    Rental,
    RentalCountry,
    RentalInbox,
    RentalMessage,
    RentalPrice,
    RentalRenewal,
    RentalStock,
)
from otpcli.domain.provider import EmailProvider, RentalProvider
from otpcli.services import journal as jr
from otpcli.services import spending
from otpcli.services.journaled import Journaled, record_purchase, send_once
from otpcli.services.waiting import PollEvent, claim, poll_until

T = TypeVar("T")


def provider_time(text: str | None) -> float | None:
    """`2026-04-09 21:55:55` (or ISO with `T`/`Z`) → epoch seconds, or None.

    The document gives no time zone for these; its message timestamps carry `Z`, and
    the sandbox writes UTC, so UTC is assumed. A wrong guess only skews "time left".
    """
    if not text:
        return None
    t = text.strip().replace("T", " ").rstrip("Z").strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return float(calendar.timegm(time.strptime(t, fmt)))
        except ValueError:
            continue
    return None


def time_left(seconds: float | None) -> str:
    """Human "time left": `expired`, `45m`, `13h 5m`, `29d 4h`."""
    if seconds is None:
        return ""
    if seconds <= 0:
        return "expired"
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{max(mins, 1)}m"


class JournaledRental(Journaled):
    inner: RentalProvider
    kind = jr.RENTAL

    def __init__(
        self,
        inner: RentalProvider,
        journal: jr.Journal,
        *,
        profile: str | None,
        base_url: str | None,
        now: Callable[[], float] = time.time,
        cap: spending.Cap | None = None,
    ) -> None:
        super().__init__(inner, journal, profile=profile, base_url=base_url, cap=cap)
        self._now = now

    def check_duration(self, hours: int, *, server: str | None) -> None:
        self.inner.check_duration(hours, server=server)

    def countries(self, *, server: str | None = None) -> list[RentalCountry]:
        return self.inner.countries(server=server)

    def prices(self, country: str, *, server: str | None = None) -> list[RentalPrice]:
        return self.inner.prices(country, server=server)

    def stock(self, country: str, *, server: str | None = None) -> list[RentalStock]:
        return self.inner.stock(country, server=server)

    def rentals(self) -> list[Rental]:
        return self.inner.rentals()

    def _reserve(self, country: str | None, *, hours: int, server: str | None) -> Decimal | None:
        """The price list's price of `hours` in `country`, for the spending cap (None
        without a cap)."""
        if self.cap is None:
            return None
        quotes = (
            [
                p.price
                for p in self.inner.prices(country, server=server)
                if p.duration_hours == hours
            ]
            if country
            else []
        )
        return spending.bound(
            quotes,
            what=f"a {hours}h rental in {country or 'an unknown country'}",
            hint=f"`otp rent prices {country or 'COUNTRY'}` lists the durations it sells",
        )

    def rent(self, country: str, *, hours: int, server: str | None = None) -> Rental:
        self.inner.check_duration(hours, server=server)
        reserve = self._reserve(country, hours=hours, server=server)
        row = self.journal.begin(
            provider=self.name,
            profile=self.profile,
            base_url=self.base_url,
            service=f"rental {hours}h" + (f" server {server}" if server else ""),
            country=country,
            kind=jr.RENTAL,
            reserve=reserve,
            cap=self.cap,
        )
        started = self._now()

        def reconcile() -> Rental | None:
            known = self.journal.known_ids(self.name, jr.RENTAL)
            matches = [
                r
                for r in self.inner.rentals()
                if r.order_id
                and r.order_id not in known
                and (r.country or "").lower() == country.strip().lower()
                and r.duration_hours in (None, hours)
                and (server is None or r.server in (None, server))
            ]
            return matches[0] if len(matches) == 1 else None

        rental = send_once(
            self.journal,
            row,
            lambda: self.inner.rent(country, hours=hours, server=server),
            reconcile,
        )
        record_purchase(
            lambda: self.journal.complete_order(
                row,
                order_id=rental.order_id,
                number=rental.phone,
                price=rental.price,
                currency=rental.currency or self.currency,
                state="active",
                # The expiry is purchase time + duration by definition; the provider's text
                # has no time zone, so it is the fallback.
                expires_at=started + hours * 3600 if hours else provider_time(rental.expires),
            ),
            rental.order_id,
            rental.phone,
        )
        return rental

    def messages(self, order_id: str) -> RentalInbox:
        inbox = self.inner.messages(order_id)
        if inbox.messages:
            last = inbox.messages[-1]
            self._record(
                order_id,
                "active",
                code=last.code,
                text=last.text,
            )
        return inbox

    def rental_row(self, order_id: str) -> jr.Order | None:
        return self._row(order_id, kinds=(jr.RENTAL,))

    def seen(self, order_id: str) -> set[str] | None:
        """Message keys already shown for this rental; None when the journal has no row."""
        row = self.rental_row(order_id)
        return None if row is None else self.journal.seen_keys(row.row)

    def seen_or_current(self, order_id: str) -> set[str]:
        """The keys a wait for a *new* message skips: those already shown, or for a
        rental not bought through otp (no journal row), every message there now."""
        seen = self.seen(order_id)
        if seen is None:
            seen = {m.key for m in self.messages(order_id).messages}
        return seen

    def mark_seen(self, order_id: str, messages: list[RentalMessage]) -> None:
        row = self.rental_row(order_id)
        if row is not None:
            self.journal.add_seen(row.row, [m.key for m in messages])

    def resolve(self, rental: str) -> tuple[str, Rental | None]:
        """A rental id for renewRental from either id the user may hold (the rental's
        `id`, or its `order_id` as printed by `otp rent buy`), and its list entry."""
        for r in self.inner.rentals():
            if rental in (r.rental_id, r.order_id):
                return r.rental_id or rental, r
        return rental, None

    def renew(self, rental: str, *, hours: int) -> RentalRenewal:
        rental = rental.strip()
        self.inner.check_duration(hours, server=None)
        rental_id, entry = self.resolve(rental)
        # Server 2's monthly-only rule applies to renewals too, when the server is known.
        try:
            self.inner.check_duration(hours, server=entry.server if entry else None)
        except BadInput as exc:
            # The rental's server is fixed: `otp rent renew` has no --server to offer.
            raise exc.with_message(
                f"rental {rental} is on Server 2, which renews by the month only, "
                f"not {hours} hours; nothing was sent",
                hint=f"otp rent renew {rental} --hours 720 (1 month; 4320 or 8640 also work)",
            ) from None
        order_id = entry.order_id if entry and entry.order_id else rental
        reserve = self._reserve(
            entry.country if entry else None,
            hours=hours,
            server=entry.server if entry else None,
        )
        row = self.journal.begin(
            provider=self.name,
            profile=self.profile,
            base_url=self.base_url,
            service=f"renewal {hours}h",
            country=entry.country if entry else None,
            kind=jr.RENEWAL,
            reserve=reserve,
            cap=self.cap,
        )
        # A renewal cannot be told apart from an earlier one in getMyRentals (only the
        # expiry moves), so an unknown outcome is never reconciled: it stays `unknown`.
        renewal = send_once(
            self.journal, row, lambda: self.inner.renew(rental_id, hours=hours), lambda: None
        )
        record_purchase(
            lambda: self.journal.complete_order(
                row,
                order_id=order_id,
                number=renewal.phone or (entry.phone if entry else None),
                price=renewal.price,
                currency=renewal.currency or self.currency,
                state="finished",
                note=f"renewed rental {rental_id} by {hours}h",
            ),
            order_id,
            renewal.phone,
        )
        known = self.rental_row(order_id)
        if known is not None:
            # "The new expiry is calculated from the current expiry time (not today)."
            base = known.expires_at or provider_time(entry.expires if entry else None)
            new = base + hours * 3600 if base else provider_time(renewal.expires)
            self.journal.set_expiry(known.row, new, f"+{hours}h")
        return renewal


class JournaledEmail(Journaled):
    inner: EmailProvider
    kind = jr.EMAIL

    def services(self, *, domain: str | None = None) -> list[EmailService]:
        return self.inner.services(domain=domain)

    def history(self, *, page: int = 1) -> EmailHistory:
        return self.inner.history(page=page)

    def buy(self, service: str, *, domain: str | None = None) -> EmailOrder:
        reserve = None
        if self.cap is not None:
            wanted = service.strip().lower()
            reserve = spending.bound(
                [s.price for s in self.inner.services(domain=domain) if s.code.lower() == wanted],
                what=f"an e-mail address for {service}",
                hint="`otp email services` lists the services and their prices",
            )
        row = self.journal.begin(
            provider=self.name,
            profile=self.profile,
            base_url=self.base_url,
            service=service,
            country=domain,
            kind=jr.EMAIL,
            reserve=reserve,
            cap=self.cap,
        )

        def reconcile() -> EmailOrder | None:
            known = self.journal.known_ids(self.name, jr.EMAIL)
            wanted = (domain or "").lower()
            matches = [
                h
                for h in self.inner.history(page=1).entries
                if h.id
                and h.id not in known
                and h.service == service
                and (not wanted or (h.domain or "").lower() == wanted)
                and (h.status or "active") in ("active", "received")
            ]
            if len(matches) != 1:
                return None
            h = matches[0]
            return EmailOrder(
                h.id, h.email, h.service, h.service_name, h.domain, h.price, h.currency
            )

        order = send_once(
            self.journal, row, lambda: self.inner.buy(service, domain=domain), reconcile
        )
        record_purchase(
            lambda: self.journal.complete_order(
                row,
                order_id=order.id,
                number=order.email,
                price=order.price,
                currency=order.currency or self.currency,
                state=State.WAITING.value,
            ),
            order.id,
            order.email,
        )
        return order

    def status(self, email_id: str) -> EmailStatus:
        st = self.inner.status(email_id)
        self._record(
            email_id,
            st.state.value,
            code=st.code,
            text=st.text,
        )
        return st

    def cancel(self, email_id: str) -> EmailCancel:
        result = self.inner.cancel(email_id)
        note = "refunded" if result.state is State.CANCELLED else "completed on cancel"
        self._record(
            email_id,
            result.state.value,
            code=result.code,
            note=note,
        )
        return result

    def find(self, email_id: str) -> jr.Order | None:
        return self._row(email_id, kinds=(jr.EMAIL,))


# --- waiting ------------------------------------------------------------------------------


def _poll(
    order_id: str,
    fetch: Callable[[], T],
    done: Callable[[T], bool],
    view: Callable[[T], StatusResult],
    *,
    timeout: float,
    interval: float,
    on_poll: Callable[[PollEvent], None] | None,
    what: str,
    hint: str,
) -> T:
    """The one polling loop (services/waiting.py) for an e-mail order or a rental."""
    return poll_until(
        fetch,
        done=done,
        view=view,
        timeout=timeout,
        interval=interval,
        on_poll=on_poll,
        ended=lambda shown: OrderStateError(
            f"{what} {order_id} is {shown.state.value}; nothing more will arrive", hint=hint
        ),
        late=lambda last: WaitTimeout(
            f"nothing arrived for {what} {order_id} after {timeout:g} s{last}"
        ),
    )


def wait_email(
    provider: JournaledEmail | EmailProvider,
    email_id: str,
    *,
    timeout: float,
    interval: float,
    on_poll: Callable[[PollEvent], None] | None = None,
) -> EmailStatus:
    """Poll until the e-mail order has a message; OrderStateError if it is cancelled.

    A journaled order is claimed first: this process answers for it, so a wait killed
    without clean-up leaves an orphan that `otp cancel --pending` settles."""
    claim(provider, email_id)
    return _poll(
        email_id,
        lambda: provider.status(email_id),
        lambda st: st.state is State.CODE_RECEIVED,
        lambda st: StatusResult(st.id, st.state, code=st.code, detail=st.detail),
        timeout=timeout,
        interval=interval,
        on_poll=on_poll,
        what="e-mail order",
        hint="buy a new address: `otp email buy SERVICE`",
    )


def wait_rental_message(
    provider: JournaledRental | RentalProvider,
    order_id: str,
    *,
    seen: set[str],
    timeout: float,
    interval: float,
    on_poll: Callable[[PollEvent], None] | None = None,
) -> RentalMessage:
    """Poll until a message whose key is not in `seen` arrives; return the newest such."""

    def fresh(inbox: RentalInbox) -> list[RentalMessage]:
        return [m for m in inbox.messages if m.key not in seen]

    def view(inbox: RentalInbox) -> StatusResult:
        new = fresh(inbox)
        state = State.CODE_RECEIVED if new else State.WAITING
        return StatusResult(
            order_id, state, detail=f"{len(inbox.messages)} earlier message(s)" if not new else None
        )

    inbox = _poll(
        order_id,
        lambda: provider.messages(order_id),
        lambda ib: bool(fresh(ib)),
        view,
        timeout=timeout,
        interval=interval,
        on_poll=on_poll,
        what="rental",
        hint="`otp rent list` shows your rentals",
    )
    new = fresh(inbox)
    if all(m.timestamp for m in new):
        # Timestamps are ISO-like text, so the greatest is the newest.
        return max(new, key=lambda m: m.timestamp or "")
    return new[-1]
