"""The library's argument checks: what a caller passes to `otpcli.Client` and its handles
is checked here, at the public boundary, before anything is sent.

Contract: every function returns the value in the form the services take (text for
names and ids, a float for seconds) or raises `BadInput` (exit 2) naming the argument
and what it got. Integers are taken where the CLI takes digits (sms-activate's country
and service numbers, order ids): they are converted to text. Booleans are never numbers
here (`True` is an `int` to Python, never a country).
"""

from __future__ import annotations

import math
import os
from decimal import Decimal
from typing import Any

from otpcli.domain.errors import BadInput

MAX_SECONDS = 7 * 24 * 3600.0  # a week: as the CLI's --timeout (anything longer is a typo)


def _got(value: object) -> str:
    return f"{type(value).__name__} {value!r}"


def text(value: Any, name: str, *, required: bool = False, digits: bool = True) -> str | None:
    """`value` as text: a str as it is, an int (when `digits`) as its digits, None when
    not `required`."""
    if value is None:
        if required:
            raise BadInput(f"{name} is required, not None")
        return None
    if isinstance(value, str):
        return value
    if digits and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    kind = "text or an integer" if digits else "text"
    raise BadInput(f"{name} must be {kind}, not {_got(value)}")


def required_text(value: Any, name: str, *, digits: bool = True) -> str:
    """Like `text`, for an argument that cannot be None."""
    got = text(value, name, required=True, digits=digits)
    assert got is not None
    return got


def seconds(value: Any, name: str, *, positive: bool = False) -> float:
    """A finite number of seconds in [0, a week] (above 0 when `positive`)."""
    ok = isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    number = float(value) if ok else math.nan
    if not math.isfinite(number) or number < 0 or number > MAX_SECONDS:
        raise BadInput(
            f"{name} must be a number of seconds from 0 to {MAX_SECONDS:g}, not {_got(value)}"
        )
    if positive and number == 0:
        raise BadInput(f"{name} must be more than 0 seconds")
    return number


def optional_seconds(value: Any, name: str) -> float | None:
    """`seconds`, above 0, or None (an interval the provider advises)."""
    return None if value is None else seconds(value, name, positive=True)


def amount_text(value: Any, name: str) -> str | None:
    """A money amount given as text, an int or a Decimal (e.g. `max_spend=30`), as text;
    its form is checked by the setting's own parser."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    raise BadInput(f"{name} must be text, an integer or a Decimal, not {_got(value)}")


def path(value: Any, name: str) -> str | None:
    """A directory given as text or a path-like object."""
    if value is None:
        return None
    if isinstance(value, str | os.PathLike):
        return os.fspath(value)
    raise BadInput(f"{name} must be a path, not {_got(value)}")


def hours(value: Any, name: str = "hours") -> int:
    """A whole number of hours."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise BadInput(f"{name} must be a whole number of hours, not {_got(value)}")
