"""Plain results of the library that the drivers' records do not already give.

`Balance` is the wallet (`amount`, `currency`); `Code` is what a wait delivers (`code`,
the full message `text` where the provider gives it, and the order's `id`). Both are
immutable NamedTuples. `OtpWarning` is the category of the warnings the library gives
instead of printing (leftovers of earlier runs, an order it could not cancel).
"""

from decimal import Decimal
from typing import NamedTuple


class OtpWarning(UserWarning):
    """Something the caller should know that is not an error: orders left for
    `Client.cancel_pending()`, a clean-up that could not cancel, a config file others
    can read. Given through `warnings.warn` unless the client has an `on_warning`."""


class Balance(NamedTuple):
    """The wallet: `amount` in `currency` (None where the provider does not say)."""

    amount: Decimal
    currency: str | None

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}" if self.currency else str(self.amount)


class Code(NamedTuple):
    """A one-time code: `code` as found in the message, `text` the whole message where
    the provider gives it, `id` the order it came for."""

    code: str
    text: str | None = None
    id: str | None = None

    def __str__(self) -> str:
        return self.code
