"""The spending cap: how much the journal's purchases may cost in a period (DESIGN §8).

Contract:
- A cap is written `AMOUNT` (all time) or `AMOUNT/PERIOD`, PERIOD one of `hour`, `day`,
  `week`, `month`. Periods are *rolling* windows ending now: the last 3,600 s, 24 h,
  7 days, 30 days (not calendar days: a cap never resets at midnight, so a loop cannot
  spend it twice around the turn of a day). `parse_cap()` gives a typed `Cap` (Decimal
  amount >= 0); anything else (malformed, negative, nan, inf) is `BadInput` (exit 2)
  naming the value and where it came from.
- Sources, highest first: `--max-spend` (or the library's `Client(max_spend=...)`),
  `OTPCLI_MAX_SPEND`, the profile's `max_spend` (resolved by services/config.py like
  every setting); messages name the one the cap came from.
- What counts (the journal's `spent_in()`): every purchase row made in the window, of
  every kind (activation, cheap, rental, renewal, e-mail), at its price, or while it is
  `pending`/`unknown` (or its price stays unknown) at the bound reserved when it began;
  rows the provider refused (`failed`) or refunded (`cancelled`) count nothing. A
  finished, expired or code-received order keeps its price. Per currency: a cap applies
  to the currency of the provider it buys from; amounts in other known currencies are
  never added to it, but a row whose currency is unknown counts under every cap, and a
  cap whose currency is unknown (a driver that names none, e.g. a generic host) counts
  every row: when in doubt a purchase counts.
- The bound of a purchase before it is sent (`reserve`): `--max-price` when given, else
  the highest price the provider's own price list quotes for it. `bound()` refuses
  (exit 2, nothing sent) when none is known: a cap never guesses low. When the real
  price turns out higher than the bound, the real price is journaled, so the cap can be
  exceeded by at most that difference; `--max-price` on a provider that honours it
  prevents that.
- `check()` is called by the journal inside the transaction that writes the purchase
  row (services/journal.py `begin()`): a purchase that could take the spend above the
  cap raises `SpendCapReached` (exit 6) with what was spent, the cap and when room frees
  up, and no row is written and nothing is sent.

A leaf of the services layer: it imports only the domain.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from otpcli.domain.errors import BadInput, SpendCapReached

ENV_MAX_SPEND = "OTPCLI_MAX_SPEND"
# Rolling windows, in seconds.
PERIODS: dict[str, int] = {
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
    "month": 30 * 86400,
}
_WINDOW_WORDS = {
    "hour": "in the last hour",
    "day": "in the last 24 hours",
    "week": "in the last 7 days",
    "month": "in the last 30 days",
}


IN_CODE = "Client(max_spend=...)"  # how a cap given to the library is named


class Cap(NamedTuple):
    """A spending cap: `amount` per rolling `period` (None: all time), in `currency`
    (None until bound to a provider; see `for_currency`)."""

    amount: Decimal
    period: str | None = None
    source: str = "--max-spend"
    currency: str | None = None

    @property
    def seconds(self) -> int | None:
        return None if self.period is None else PERIODS[self.period]

    def since(self, now: float) -> float | None:
        """The start of the window ending `now` (None: all time)."""
        return None if self.seconds is None else now - self.seconds

    def for_currency(self, currency: str | None) -> Cap:
        return self._replace(currency=currency)

    @property
    def text(self) -> str:
        return f"{self.amount}/{self.period}" if self.period else str(self.amount)

    @property
    def window(self) -> str:
        return _WINDOW_WORDS[self.period] if self.period else "in total"

    def to_json(self) -> dict[str, object]:
        return {
            "amount": str(self.amount),
            "period": self.period,
            "currency": self.currency,
            "source": self.source,
        }


class Spent(NamedTuple):
    """What the journal counts against a cap: the sum, and when the oldest counted
    purchase was made (None when nothing counts)."""

    amount: Decimal
    oldest: float | None = None
    orders: int = 0


def parse_cap(text: str, *, source: str = "--max-spend") -> Cap:
    """`50`, `50/day`, `12.5 / week` → a Cap; BadInput (exit 2) naming the value."""
    raw = text.strip()
    amount_text, slash, period = raw.partition("/")
    period = period.strip().lower()
    hint = "write AMOUNT or AMOUNT/PERIOD with PERIOD hour, day, week or month, e.g. 50/day"
    if slash and period not in PERIODS:
        raise BadInput(
            f"the spending cap {raw!r} (from {source}) has an unknown period {period!r}",
            hint=hint,
        )
    try:
        amount = Decimal(amount_text.strip())
    except InvalidOperation:
        raise BadInput(
            f"the spending cap {raw!r} (from {source}) is not an amount", hint=hint
        ) from None
    if not amount.is_finite() or amount < 0:
        raise BadInput(
            f"the spending cap {raw!r} (from {source}) must be a finite amount >= 0",
            hint=hint,
        )
    return Cap(amount, period or None, source)


def bound(prices: Iterable[Decimal | None], *, what: str, hint: str) -> Decimal:
    """The most a purchase may cost by the price list (the highest quote, never a
    guess): BadInput (exit 2, nothing sent) when the list quotes no price for it."""
    known = [p for p in prices if p is not None and p.is_finite() and p >= 0]
    if not known:
        raise BadInput(
            f"the spending cap needs the price of {what} before buying, and the provider"
            " quotes none; nothing was sent",
            hint=hint,
        )
    return max(known)


def left(cap: Cap, spent: Spent) -> Decimal:
    """What the cap still allows (never negative)."""
    return max(cap.amount - spent.amount, Decimal(0))


def frees_at(cap: Cap, spent: Spent) -> float | None:
    """When the oldest counted purchase leaves the window (None: all-time cap, or
    nothing counted)."""
    if cap.seconds is None or spent.oldest is None:
        return None
    return spent.oldest + cap.seconds


def check(cap: Cap, spent: Spent, reserve: Decimal, *, now: float) -> None:
    """Raise SpendCapReached when `reserve` more would take `spent` above the cap."""
    if spent.amount + reserve <= cap.amount:
        return
    cur = f" {cap.currency}" if cap.currency else ""
    per = f"/{cap.period}" if cap.period else " (all time)"
    free = frees_at(cap, spent)
    in_code = cap.source == IN_CODE
    raise_it = (
        f"raise the cap ({IN_CODE if in_code else '--max-spend'}, OTPCLI_MAX_SPEND or"
        " the profile's max_spend)"
    )
    if reserve > cap.amount:
        hint = (
            "this purchase alone may cost more than the cap: name the country"
            f"{'' if in_code else ' (-c)'} or pass a lower"
            f" {'max_price' if in_code else '--max-price'}, or {raise_it}"
        )
    elif free is not None:
        hint = (
            f"room frees up at {_clock(free)} (in {_duration(free - now)}), when the oldest"
            f" purchase counted leaves the window; or {raise_it}, or cancel unused orders"
            " for a refund"
        )
    else:
        hint = f"an all-time cap never frees up: {raise_it}, or cancel unused orders for a refund"
    err = SpendCapReached(
        f"spending cap reached: {spent.amount}{cur} spent {cap.window} of a cap of"
        f" {cap.amount}{cur}{per} (from {cap.source}); this purchase may cost up to"
        f" {reserve}{cur}; nothing was sent",
        hint=hint,
    )
    err.details["spend_cap"] = {
        **cap.to_json(),
        "spent": str(spent.amount),
        "left": str(left(cap, spent)),
        "reserve": str(reserve),
        "frees_at": free,
    }
    raise err


def _clock(t: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(t))


def _duration(seconds: float) -> str:
    s = max(0, math.ceil(seconds))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    mins, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    if mins:
        return f"{mins}m {secs}s"
    return f"{secs}s"


def from_setting(value: str | None, source: str) -> Cap | None:
    """The cap a resolved setting (services/config.py `Sourced`) names, or None.
    `source` is the setting's: "flag", "client" (config.CLIENT_SOURCE: the library's
    argument), "env OTPCLI_MAX_SPEND", "profile NAME"."""
    if value is None or not value.strip():
        return None
    if source == "flag":
        where = "--max-spend"
    elif source == "client":
        where = IN_CODE
    elif source.startswith("env "):
        where = source[4:]
    elif source.startswith("profile "):
        where = f"{source}'s max_spend"
    else:
        where = source
    return parse_cap(value, source=where)
