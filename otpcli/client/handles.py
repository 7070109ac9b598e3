"""Handles on one bought order: an activation (SMS or cheap number), an e-mail address,
a rental. Made by `otpcli.Client`, never directly.

Contract of `Activation` and `EmailOrder` (the orders that can be refunded):
- `wait(timeout)` returns a `Code` or raises `WaitTimeout` (124); it does not cancel: the
  caller may wait again. A message in which no code can be found raises `NoCode` (10)
  with the text in `.details["text"]`. A cancelled or expired order raises
  `OrderStateError` (8).
- Used as a context manager, leaving the block settles the order: an order that got a
  code and was neither finished nor cancelled is finished; one without a code is
  cancelled for a refund by the one clean-up policy (`otpcli.services.cleanup.bounded`,
  as `otp wait` does: looked at first, early-cancel window waited out within the
  client's `cleanup_timeout`, at most 5 s after KeyboardInterrupt). What cannot be
  cancelled is left `cancel_pending` in the journal and said through a warning;
  `Client.cancel_pending()` settles it later. `close()` does the same without `with`.
- Settling never raises an `OtpError` over the exception that left the block; a
  `KeyboardInterrupt` or `Interrupted` that lands during the clean-up is raised to the
  caller once the order is marked `cancel_pending` (and the warning given).
Every state change is journaled by the journaled wrappers (services/journaled.py).
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from otpcli.client import checks
from otpcli.client.results import Code
from otpcli.domain.errors import Interrupted, NoCode, OrderStateError, OtpError
from otpcli.domain.models import ActionResult, State, StatusResult
from otpcli.services import cleanup

if TYPE_CHECKING:
    from otpcli.client import Client
    from otpcli.domain.product_models import (
        EmailCancel,
        EmailStatus,
        RentalInbox,
        RentalMessage,
        RentalRenewal,
    )
    from otpcli.services.journaled import JournaledProvider
    from otpcli.services.products import JournaledEmail, JournaledRental


def code_of(order_id: str, code: str | None, text: str | None) -> Code:
    """The `Code` a message gives; `NoCode` (10) for a message without one."""
    if code or not text:
        return Code(code or "", text, order_id)
    err = NoCode(
        f"a message arrived for {order_id}, but otp found no code in it",
        hint="read the code from the error's details['text']",
    )
    err.details = {"id": order_id, "text": text}
    raise err


class _Handle:
    """What every handle shares: its client, and the journaled wrapper it works through,
    reachable only while the client is open (`BadInput` after `Client.close()`, nothing
    sent)."""

    id: str

    def __init__(self, client: Client, provider: Any) -> None:
        self._client = client
        self._wrapped = provider

    @property
    def _provider(self) -> Any:
        self._client._check_open()
        return self._wrapped


class _Settling(_Handle):
    """What the refundable handles share: settle on leaving a `with` block."""

    _check_capability = True
    _what = "order"

    def __init__(self, client: Client, provider: Any) -> None:
        super().__init__(client, provider)
        self.code: Code | None = None  # the last code this handle saw
        self.settled: cleanup.Settled | None = None  # how close() settled it, if it did
        self._done = False  # finished, cancelled or settled

    def __enter__(self) -> Self:
        self._client._check_open()
        self._client._entered.append(self)  # settled by Client.close() if still open
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        after_signal = exc_type is not None and issubclass(
            exc_type, KeyboardInterrupt | Interrupted
        )
        try:
            self.close(after_signal=after_signal)
        finally:
            with contextlib.suppress(ValueError):
                self._client._entered.remove(self)

    @property
    def done(self) -> bool:
        """True once the order is finished, cancelled or settled by `close()`."""
        return self._done

    def close(self, *, after_signal: bool = False) -> None:
        """Settle the order now (see the module's contract); never raises an `OtpError`,
        lets a signal through once the order is marked `cancel_pending`.
        `after_signal` keeps it short (no early-cancel wait, at most 5 s), as after Ctrl-C."""
        if self._done:
            return
        self._client._check_open()
        if self.code is not None:
            self._finish_quietly()
            return
        try:
            settled = cleanup.bounded(
                self._provider,
                self.id,
                after_signal=after_signal,
                budget=self._client.cleanup_timeout,
                check_capability=self._check_capability,
                raise_signals=True,
            )
        except (KeyboardInterrupt, Interrupted) as intr:
            # Marked cancel_pending by the policy; the caller must see its Ctrl-C.
            why = "interrupted during clean-up"
            stop = Interrupted(why, signal_exit=Interrupted.exit_of(intr))
            with contextlib.suppress(Exception):  # a warning turned error must not hide it
                self._left_pending(
                    cleanup.Settled(self.id, cleanup.Outcome.PENDING, why, error=stop)
                )
            raise
        self.settled = settled
        self._done = True
        if settled.outcome is cleanup.Outcome.CODE and settled.status is not None:
            st = settled.status
            self.code = Code(st.code or "", st.text, self.id)
            self._client._warn(
                f"the code for {self._what} {self.id} arrived during clean-up; "
                f"it is paid for (no refund): {st.code or st.text}"
            )
            self._done = False
            self._finish_quietly()
        elif settled.outcome is cleanup.Outcome.PENDING:
            self._left_pending(settled)

    def _left_pending(self, settled: cleanup.Settled) -> None:
        self.settled = settled
        self._done = True
        self._client._warn(
            f"could not cancel {self._what} {self.id} now ({settled.message}); it is "
            "marked cancel_pending: Client.cancel_pending() or "
            "`otp cancel --pending --wait` settles it"
        )

    def _looked(self, st: Any) -> Any:
        """A look at the order: a code that came is remembered (leaving finishes it)."""
        if st.state is State.CODE_RECEIVED and (st.code or st.text):
            self.code = Code(st.code or "", st.text, self.id)
        return st

    def _arrived(self, code: str | None, text: str | None) -> Code:
        """A message arrived and was paid for, even one without a code (NoCode): leaving
        the block finishes the order rather than trying to cancel it."""
        self.code = Code(code or "", text, self.id)
        return code_of(self.id, code, text)

    def _finish_quietly(self) -> None:
        self._done = True


class Activation(_Settling):
    """A bought number (an SMS activation or a cheap number): `id`, `number`, `service`,
    `country`, `price`, `currency` (None where the provider does not tell them).

    Use it as a context manager: leaving the block without a code (and without
    `finish()`/`cancel()`) cancels it for a refund; with a code, finishes it."""

    _what = "activation"

    def __init__(
        self,
        client: Client,
        provider: JournaledProvider,
        *,
        id: str,
        number: str,
        service: str | None,
        country: str | None,
        price: Decimal | None,
        currency: str | None,
        expires_in: int | None = None,
        kind: str = "activation",
    ) -> None:
        super().__init__(client, provider)
        self.id = id
        self.number = number
        self.service = service
        self.country = country
        self.price = price
        self.currency = currency
        self.expires_in = expires_in  # seconds the number lives, where the provider says
        self.kind = kind  # "activation" or "cheap"

    def __repr__(self) -> str:
        return (
            f"Activation(id={self.id!r}, number={self.number!r}, service={self.service!r}, "
            f"price={self.price!r}, currency={self.currency!r})"
        )

    def status(self) -> StatusResult:
        """One look at the order (journaled): its `state`, and the `code` once it came."""
        st: StatusResult = self._looked(self._provider.status(self.id))
        return st

    def wait(self, timeout: float = 120.0, *, interval: float | None = None) -> Code:
        """Wait up to `timeout` seconds for the code; polls every `interval` seconds
        (default: the provider's advice, never under 1 s). Raises `WaitTimeout` (124),
        and does not cancel: wait again, or leave the `with` block for a refund."""
        from otpcli.services.waiting import wait_for_code

        timeout, step = _paced(self._provider, timeout, interval)
        st = wait_for_code(self._provider, self.id, timeout=timeout, interval=step)
        return self._arrived(st.code, st.text)

    def finish(self) -> ActionResult:
        """Mark the activation used (after its code came)."""
        result = self._provider.finish(self.id)
        self._done = True
        return result

    def cancel(self) -> ActionResult:
        """Cancel now for a refund (one request; a provider's early-cancel refusal is
        raised as `OrderStateError`, use `close()` to wait the window out)."""
        result = self._provider.cancel(self.id)
        self._done = True
        return result

    def again(self) -> ActionResult:
        """Ask for another SMS on the same number (free where offered); then `wait()`.
        Before a first code: `OrderStateError` (8), nothing changed."""
        try:
            return self._provider.another(self.id)
        except OrderStateError as exc:
            # The providers' word is shared with finish(); the table words it for that.
            if (exc.provider_word or "").upper() != "NO_SMS_RECEIVED":
                raise
            raise exc.with_message(
                f"no code has arrived yet for {self.id}, so there is no SMS to ask again for",
                hint="wait for the first code with wait(), or cancel() it for a refund",
            ) from exc

    def reget(self) -> Activation:
        """Buy a new activation on the same number (costs money; where offered)."""
        result = self._provider.reget(self.id)
        new = result.new_activation
        if new is None:
            raise OtpError(f"the provider answered no new activation for {self.id}")
        return self._client._handle(self._provider, new, kind=self.kind)

    def _finish_quietly(self) -> None:
        self._done = True
        try:
            self._provider.finish(self.id)
        except OtpError as exc:
            self._client._warn(f"could not finish activation {self.id}: {exc.message}")


class EmailOrder(_Settling):
    """A bought temporary e-mail address: `id`, `address`, `service`, `domain`,
    `price`, `currency`. As a context manager, leaving the block without a code
    cancels it for a refund."""

    _what = "e-mail order"
    _check_capability = False  # e-mail orders cancel whatever the SMS capabilities say

    def __init__(
        self,
        client: Client,
        provider: JournaledEmail,
        *,
        id: str,
        address: str,
        service: str | None,
        domain: str | None,
        price: Decimal | None,
        currency: str | None,
    ) -> None:
        super().__init__(client, provider)
        self.id = id
        self.address = address
        self.service = service
        self.domain = domain
        self.price = price
        self.currency = currency

    def __repr__(self) -> str:
        return f"EmailOrder(id={self.id!r}, address={self.address!r}, service={self.service!r})"

    def status(self) -> EmailStatus:
        """One look at the order (journaled)."""
        st: EmailStatus = self._looked(self._provider.status(self.id))
        return st

    def wait(self, timeout: float = 120.0, *, interval: float | None = None) -> Code:
        """Wait up to `timeout` seconds for the e-mail's code; `WaitTimeout` (124)."""
        from otpcli.services.products import wait_email

        timeout, step = _paced(self._provider, timeout, interval)
        st = wait_email(self._provider, self.id, timeout=timeout, interval=step)
        return self._arrived(st.code, st.text)

    def cancel(self) -> EmailCancel:
        """Cancel for a refund (if the code already came, the result carries it)."""
        result: EmailCancel = self._provider.cancel(self.id)
        self._done = True
        return result


class Rental(_Handle):
    """A rented number: `id` (the order id), `number`, `price`, `currency`, `expires`
    (the provider's text). Rentals are not refunded: nothing is settled on exit."""

    def __init__(
        self,
        client: Client,
        provider: JournaledRental,
        *,
        id: str,
        number: str | None,
        price: Decimal | None = None,
        currency: str | None = None,
        expires: str | None = None,
        rental_id: str | None = None,
    ) -> None:
        super().__init__(client, provider)
        self.id = id
        self.number = number
        self.price = price
        self.currency = currency
        self.expires = expires
        self.rental_id = rental_id

    def __repr__(self) -> str:
        return f"Rental(id={self.id!r}, number={self.number!r}, expires={self.expires!r})"

    def messages(self) -> RentalInbox:
        """Every SMS on the number so far (they count as seen for `wait()`)."""
        inbox = self._provider.messages(self.id)
        self._provider.mark_seen(self.id, inbox.messages)
        return inbox

    def wait(self, timeout: float = 120.0, *, interval: float | None = None) -> Code:
        """Wait for a message newer than the ones already seen; its code (or `NoCode`
        with the text when it carries none). `WaitTimeout` (124) at the deadline."""
        message = self.wait_message(timeout, interval=interval)
        return code_of(self.id, message.code, message.text)

    def wait_message(
        self, timeout: float = 120.0, *, interval: float | None = None
    ) -> RentalMessage:
        """Like `wait()`, but the whole message (sender, time, text, code)."""
        from otpcli.services.products import wait_rental_message

        seen = self._provider.seen_or_current(self.id)
        timeout, step = _paced(self._provider, timeout, interval)
        message = wait_rental_message(
            self._provider, self.id, seen=seen, timeout=timeout, interval=step
        )
        self._provider.mark_seen(self.id, [message])
        return message

    def renew(self, hours: int) -> RentalRenewal:
        """Extend the rental by `hours` from its current expiry (costs money)."""
        hours = checks.hours(hours)
        renewal = self._provider.renew(self.rental_id or self.id, hours=hours)
        self.expires = renewal.expires or self.expires
        return renewal


def _paced(provider: Any, timeout: float, interval: float | None) -> tuple[float, float]:
    """A wait's checked deadline and its poll step (the provider's advice by default)."""
    from otpcli.services.waiting import effective_interval

    timeout = checks.seconds(timeout, "timeout")
    step = effective_interval(checks.optional_seconds(interval, "interval"), provider)
    return timeout, step
