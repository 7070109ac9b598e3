"""otpcli: buy virtual numbers and temporary e-mail, get the one-time code.

The `otp` command line, and a synchronous, typed Python library with the same money
safety (every purchase journaled before it is sent, refunds on the way out)::

    import otpcli

    with otpcli.Client.sandbox() as client:      # or .from_env(), .from_profile("work")
        with client.buy("tg", country="india") as act:
            print(act.number, act.wait(timeout=120).code)
            act.finish()

Public names: `Client` and the handles it gives (`Activation`, `EmailOrder`,
`Rental`), the results (`Balance`, `Code`, `CatalogEntry`, `StatusResult`,
`ActionResult`, `Order`, `PendingReport`, `State`), `OtpWarning`, and the errors, every
one an `OtpError` subclass with `.exit_code` (`ExitCode`).

Importing this package must stay cheap: `otp --version` reads only `__version__`, and
`import otpcli` loads nothing else until a public name is first used (PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from otpcli._version import __version__

if TYPE_CHECKING:
    from otpcli.client import Client
    from otpcli.client.handles import Activation, EmailOrder, Rental
    from otpcli.client.results import Balance, Code, OtpWarning
    from otpcli.domain.errors import (
        AuthError,
        BadInput,
        ConfigError,
        ExitCode,
        Interrupted,
        NetworkError,
        NoBalance,
        NoCode,
        NotFound,
        OrderStateError,
        OtpError,
        OutputError,
        ProtocolError,
        ProviderError,
        PurchaseUnknown,
        Refused,
        SpendCapReached,
        Unavailable,
        Unsupported,
        WaitTimeout,
    )
    from otpcli.domain.models import ActionResult, CatalogEntry, State, StatusResult
    from otpcli.services.cleanup import CleanupTimeout
    from otpcli.services.journal import Order
    from otpcli.services.pending import PendingReport

_ERRORS = (
    "AuthError",
    "BadInput",
    "ConfigError",
    "ExitCode",
    "Interrupted",
    "NetworkError",
    "NoBalance",
    "NoCode",
    "NotFound",
    "OrderStateError",
    "OtpError",
    "OutputError",
    "ProtocolError",
    "ProviderError",
    "PurchaseUnknown",
    "Refused",
    "SpendCapReached",
    "Unavailable",
    "Unsupported",
    "WaitTimeout",
)
# Public name -> the module that defines it; imported on first use only.
_WHERE: dict[str, str] = {
    "Client": "otpcli.client",
    "Activation": "otpcli.client.handles",
    "EmailOrder": "otpcli.client.handles",
    "Rental": "otpcli.client.handles",
    "Balance": "otpcli.client.results",
    "Code": "otpcli.client.results",
    "OtpWarning": "otpcli.client.results",
    "ActionResult": "otpcli.domain.models",
    "CatalogEntry": "otpcli.domain.models",
    "State": "otpcli.domain.models",
    "StatusResult": "otpcli.domain.models",
    "CleanupTimeout": "otpcli.services.cleanup",
    "Order": "otpcli.services.journal",
    "PendingReport": "otpcli.services.pending",
    **dict.fromkeys(_ERRORS, "otpcli.domain.errors"),
}

__all__ = [
    "ActionResult",
    "Activation",
    "AuthError",
    "BadInput",
    "Balance",
    "CatalogEntry",
    "CleanupTimeout",
    "Client",
    "Code",
    "ConfigError",
    "EmailOrder",
    "ExitCode",
    "Interrupted",
    "NetworkError",
    "NoBalance",
    "NoCode",
    "NotFound",
    "Order",
    "OrderStateError",
    "OtpError",
    "OtpWarning",
    "OutputError",
    "PendingReport",
    "ProtocolError",
    "ProviderError",
    "PurchaseUnknown",
    "Refused",
    "Rental",
    "SpendCapReached",
    "State",
    "StatusResult",
    "Unavailable",
    "Unsupported",
    "WaitTimeout",
    "__version__",
]


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'otpcli' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(where), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
