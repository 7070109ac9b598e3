"""Open the provider a command should talk to, from resolved settings and the journal.

This is where settings (flag > environment > profile > default) become a driver,
wrapped with the order journal. The key and base URL are handed to the driver in
`ProviderOptions`, so drivers never read configuration themselves. Given an order id
that the journal knows, the order's own provider, profile and base URL are used unless
the command line names others: a script never has to repeat them.

Products: `open_provider(product="sms"|"cheap")` gives an activation driver (a cheap
number is an activation on another handler), `open_rental()` and `open_email()` the
rental and e-mail drivers. Given an order id, the journal row's kind picks the product,
so `otp wait ID` on a cheap number goes to the cheap handler; an id that names a rental
or an e-mail order is refused with the command to use instead. A provider without the
product raises `Unsupported` (exit 2) before anything is sent.

Spending cap: `max_spend` (flag > `OTPCLI_MAX_SPEND` > profile) is parsed here and
handed to every journaled wrapper, which checks each purchase against it
(services/spending.py); a malformed cap is BadInput (exit 2) before anything is sent.

Leftovers: the first journal a command opens with a `warn` callback says in one line
(through `warn`, i.e. stderr) how many orphans and cancel_pending rows wait to be settled.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from otpcli import providers
from otpcli.domain.errors import BadInput, ConfigError
from otpcli.domain.provider import READ_TIMEOUT, ProviderOptions
from otpcli.services import config, spending
from otpcli.services import journal as jr
from otpcli.services.journal import Journal
from otpcli.services.journaled import JournaledProvider

if TYPE_CHECKING:
    # Rentals and e-mail are rare: their wrappers are imported only when opened.
    from otpcli.services.products import JournaledEmail, JournaledRental

# Seconds of urllib3 backoff between read retries; tests set 0 to stay fast.
READ_BACKOFF = 0.5
HTTP_TIMEOUT_VAR = "OTPCLI_HTTP_TIMEOUT"
HTTP_BACKOFF_VAR = "OTPCLI_HTTP_BACKOFF"

PRODUCT_OF_KIND = {
    jr.ACTIVATION: providers.SMS,
    jr.CHEAP: providers.CHEAP,
    jr.RENTAL: providers.RENT,
    jr.EMAIL: providers.EMAIL,
}
KIND_OF_PRODUCT = {product: kind for kind, product in PRODUCT_OF_KIND.items()}
_COMMAND_FOR = {
    providers.RENT: "otp rent sms {id}",
    providers.EMAIL: "otp email wait {id}",
    providers.SMS: "otp wait {id}",
    providers.CHEAP: "otp wait {id}",
}

Warn = Callable[[str], None]


def _seconds(
    var: str, default: float, environ: Mapping[str, str] | None, *, zero_ok: bool
) -> float:
    env = os.environ if environ is None else environ
    raw = env.get(var, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and (value >= 0 if zero_ok else value > 0)):
        bound = ">= 0" if zero_ok else "> 0"
        raise ConfigError(
            f"{var} must be a number of seconds {bound}, not {raw!r}",
            hint=f"unset {var} or fix it, e.g. {var}={default:g}",
        )
    return value


def http_timeout(environ: Mapping[str, str] | None = None) -> float:
    """`OTPCLI_HTTP_TIMEOUT`: seconds to wait for a provider's reply (the read timeout),
    default `READ_TIMEOUT` (30). Lets CI, and the fault tests, fail fast."""
    return _seconds(HTTP_TIMEOUT_VAR, READ_TIMEOUT, environ, zero_ok=False)


def http_backoff(environ: Mapping[str, str] | None = None) -> float:
    """`OTPCLI_HTTP_BACKOFF`: the backoff factor (seconds) between retries of reads,
    default 0.5 (0.5, 1, 2 s ... with jitter). 0 retries at once: for fast-failing CI."""
    return _seconds(HTTP_BACKOFF_VAR, READ_BACKOFF, environ, zero_ok=True)


# The leftover line is said once per process, however many journals a command opens.
_leftovers_said = False


def quiet_leftovers() -> None:
    """For the commands that list or settle leftovers themselves (orders, cancel --pending)."""
    global _leftovers_said
    _leftovers_said = True


def _mention_leftovers(journal: Journal, warn: Warn) -> None:
    global _leftovers_said
    if _leftovers_said:
        return
    _leftovers_said = True
    line = journal.leftovers().line()
    if line:
        warn(line)


def journal_backend(
    environ: Mapping[str, str] | None = None, profile: str | None = None
) -> jr.Backend:
    """The journal's backend: PostgreSQL when a journal URL is set (`config.journal_url`:
    `OTPCLI_JOURNAL_URL`, the profile's or the config file's `journal_url`), else the
    SQLite file in the state dir. Nothing is connected or imported (psycopg, sqlite3)
    until the journal is first used."""
    url = config.journal_url(environ, profile)
    if url.value is None:
        from otpcli.sqlite import SqliteBackend

        return SqliteBackend(config.state_dir(environ) / jr.FILE_NAME)
    from otpcli.services.journal_pg import PgBackend, is_pg_url, masked

    if not is_pg_url(url.value):
        raise ConfigError(
            f"the journal URL {masked(url.value)} (from {url.source}) is not a PostgreSQL URL",
            hint="give postgresql://USER:PASSWORD@HOST:5432/DATABASE, or unset it to use "
            "the local journal",
        )
    return PgBackend(url.value)


def open_journal(
    environ: Mapping[str, str] | None = None,
    *,
    warn: Warn | None = None,
    profile: str | None = None,
) -> Journal:
    """The order journal (`journal_backend`). With `warn`, the first command to open it
    hears in one line about leftovers (orphans, cancel_pending rows): one indexed query,
    paid only by commands that touch the journal (not `otp balance`)."""
    hook = None if warn is None else (lambda j: _mention_leftovers(j, warn))
    return Journal(backend=journal_backend(environ, profile), on_open=hook)


def _resolve(
    journal: Journal,
    *,
    profile: str | None,
    provider: str | None,
    base_url: str | None,
    order_id: str | None,
    environ: Mapping[str, str] | None,
    warn: Warn | None,
    max_spend: str | config.Sourced | None = None,
) -> tuple[config.Settings, jr.Order | None]:
    settings = None
    row = journal.find(order_id, kinds=jr.ORDER_KINDS) if order_id else None
    if row is not None and not (profile or provider or base_url):
        try:
            settings = config.resolve_settings(
                profile=row.profile,
                provider=row.provider,
                base_url=row.base_url,
                environ=environ,
                warn=warn,
                max_spend=max_spend,
            )
        except ConfigError:
            # The profile it was bought with is gone: fall back to the usual choice.
            settings = None
    if settings is None:
        settings = config.resolve_settings(
            profile=profile,
            provider=provider,
            base_url=base_url,
            environ=environ,
            warn=warn,
            max_spend=max_spend,
        )
    if row is not None and row.provider != settings.provider.value:
        row = None  # the same id at another provider: not this order
    return settings, row


def _options(settings: config.Settings, environ: Mapping[str, str] | None) -> ProviderOptions:
    return ProviderOptions(
        api_key=settings.api_key.value,
        base_url=settings.base_url.value or "",
        state_dir=str(config.state_dir(environ)),
        backoff=http_backoff(environ),
        timeout=http_timeout(environ),
    )


def _product_for(row: jr.Order | None, wanted: str, order_id: str | None) -> str:
    if row is None:
        return wanted
    product = PRODUCT_OF_KIND.get(row.kind, providers.SMS)
    activations = (providers.SMS, providers.CHEAP)
    if wanted in activations and product in activations:
        return product
    if product != wanted:
        what = {providers.RENT: "a rental", providers.EMAIL: "an e-mail order"}.get(
            product, "an activation"
        )
        raise BadInput(
            f"{order_id} is {what}; nothing was sent",
            hint=f"use `{_COMMAND_FOR[product].format(id=order_id)}`",
        )
    return product


def open_provider(
    *,
    profile: str | None = None,
    provider: str | None = None,
    base_url: str | None = None,
    order_id: str | None = None,
    environ: Mapping[str, str] | None = None,
    warn: Warn | None = None,
    product: str = providers.SMS,
    max_spend: str | config.Sourced | None = None,
) -> tuple[JournaledProvider, config.Settings]:
    driver, journal, settings, routed = _open_product(
        product,
        profile=profile,
        provider=provider,
        base_url=base_url,
        order_id=order_id,
        environ=environ,
        warn=warn,
        max_spend=max_spend,
    )
    wrapped = JournaledProvider(
        driver,  # type: ignore[arg-type]
        journal,
        profile=settings.profile.value,
        base_url=settings.base_url.value,
        kind=KIND_OF_PRODUCT.get(routed, jr.ACTIVATION),
        cap=spending.from_setting(*settings.max_spend),
    )
    return wrapped, settings


def _build(name: str, options: ProviderOptions, product: str) -> object:
    """The typed driver of one product (rentals and e-mail have contracts of their own)."""
    if product == providers.RENT:
        return providers.create_rental(name, options)
    if product == providers.EMAIL:
        return providers.create_email(name, options)
    return providers.create(name, options, product=product)


def _open_product(
    product: str,
    *,
    profile: str | None = None,
    provider: str | None = None,
    base_url: str | None = None,
    order_id: str | None = None,
    environ: Mapping[str, str] | None = None,
    warn: Warn | None = None,
    max_spend: str | config.Sourced | None = None,
) -> tuple[object, Journal, config.Settings, str]:
    journal = open_journal(environ, warn=warn, profile=profile)
    try:
        settings, row = _resolve(
            journal,
            profile=profile,
            provider=provider,
            base_url=base_url,
            order_id=order_id,
            environ=environ,
            warn=warn,
            max_spend=max_spend,
        )
        spending.from_setting(*settings.max_spend)  # malformed: refused before any driver
        # The journal row's kind decides (a cheap number answers to `otp wait` too).
        product = _product_for(row, product, order_id)
        name = settings.provider.value
        assert name is not None  # resolve_settings raises ConfigError otherwise
        driver = _build(name, _options(settings, environ), product)
    except BaseException:
        journal.close()
        raise
    return driver, journal, settings, product


def _open_wrapped(product: str, wrapper: Any, **where: Any) -> tuple[Any, config.Settings]:
    driver, journal, settings, _ = _open_product(product, **where)
    wrapped = wrapper(
        driver,
        journal,
        profile=settings.profile.value,
        base_url=settings.base_url.value,
        cap=spending.from_setting(*settings.max_spend),
    )
    return wrapped, settings


def open_rental(**where: Any) -> tuple[JournaledRental, config.Settings]:
    """Like `open_provider`, for the rental product (same keyword arguments)."""
    from otpcli.services.products import JournaledRental

    rental: JournaledRental
    rental, settings = _open_wrapped(providers.RENT, JournaledRental, **where)
    return rental, settings


def open_email(**where: Any) -> tuple[JournaledEmail, config.Settings]:
    """Like `open_provider`, for the temporary e-mail product (same keyword arguments)."""
    from otpcli.services.products import JournaledEmail

    email: JournaledEmail
    email, settings = _open_wrapped(providers.EMAIL, JournaledEmail, **where)
    return email, settings
