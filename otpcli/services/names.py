"""Names, not ids: `-c india`, `-c IN` and `-c 22` all work, and so do service names.

Resolution, for a country or a service the user typed:
- something that already looks like an id (digits; for services, a code the provider
  uses) is passed through unchanged and costs no request;
- otherwise the provider's own catalog is asked where it publishes one (cached in the
  state dir for a day), matching names case-insensitively, exactly first, then by prefix;
- otherwise the bundled tables (ISO codes and names → the sms-activate family's ids or
  dialling codes; well-known service names → codes) answer, per the provider's scheme;
- an ambiguous name lists the candidates and is bad input (exit 2), as is an unknown one;
- a name with no letter or digit, or longer than `MAX_NAME`, is unknown before anything
  is asked or sent (it is no name, and must not "match" every entry as a prefix).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from otpcli.data.countries import COUNTRIES, CountryInfo
from otpcli.data.services import SERVICES
from otpcli.domain.errors import BadInput, OtpError
from otpcli.domain.provider import Capability, Provider
from otpcli.services.cache import cached

if TYPE_CHECKING:
    from otpcli.services.config import Settings


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


def _bundled_country(query: str) -> CountryInfo | None:
    q = _norm(query)
    for c in COUNTRIES:
        if q == c.iso.casefold() or q == _norm(c.name) or q in (_norm(a) for a in c.aliases):
            return c
    return None


def _pick(query: str, candidates: list[tuple[str, str]], what: str) -> str | None:
    """Choose the id whose name matches `query`: exact, then unique prefix."""
    q = _norm(query)
    if not q:  # no letters or digits: it names nothing (and would "match" everything)
        return None
    exact = sorted({cid for cid, name in candidates if _norm(name) == q})
    if len(exact) == 1:
        return exact[0]
    pool = exact or sorted({cid for cid, name in candidates if _norm(name).startswith(q)})
    if len(pool) == 1:
        return pool[0]
    if len(pool) > 1:
        names = {cid: name for cid, name in candidates if cid in pool}
        shown = ", ".join(f"{cid} ({names[cid]})" for cid in pool[:10])
        raise BadInput(
            f"{what} {query!r} is ambiguous: {shown}", hint=f"give the id of the {what} instead"
        )
    return None


# Longer than any service or country name or code a provider uses.
MAX_NAME = 64


def _checked(value: str, what: str, hint: str) -> str:
    """A name worth looking up: some letter or digit, and not absurdly long. Refused
    before anything is sent (a provider would only answer BAD_SERVICE, or worse)."""
    if not _norm(value) or len(value) > MAX_NAME:
        shown = value if len(value) <= MAX_NAME else value[:MAX_NAME] + "..."
        raise BadInput(f"unknown {what} {shown!r}", hint=hint)
    return value


def _scheme(provider: Provider, attr: str) -> str | None:
    value: Any = getattr(provider, attr, None)
    return value if isinstance(value, str) else None


def _state_dir(provider: Provider) -> str | None:
    options = getattr(provider, "options", None)
    return getattr(options, "state_dir", None)


def _catalog_key(provider: Provider, *parts: str | None) -> str:
    options = getattr(provider, "options", None)
    base = getattr(options, "base_url", "") or ""
    return "|".join([provider.name, base, *(p or "" for p in parts)])


def resolve_country(
    provider: Provider, value: str | None, *, server: str | None = None
) -> str | None:
    if value is None or not value.strip():
        return None
    value = _checked(
        value.strip(),
        "country",
        "give the provider's country id (see `otp countries`) or an ISO code like IN",
    )
    if value.isdigit():
        return value
    bundled = _bundled_country(value)
    if provider.supports(Capability.COUNTRIES):
        rows = _countries(provider, server)
        # Without --server the purchase goes to the provider's default server: a name
        # that several servers list under different ids means that server's id.
        default = server or _scheme(provider, "default_server")
        preferred = [(cid, name) for cid, name, srv in rows if srv == default]
        everywhere = [(cid, name) for cid, name, _ in rows]
        names = [bundled.name, *bundled.aliases] if bundled else [value]
        for pool in (preferred, everywhere) if preferred else (everywhere,):
            for name in names:
                found = _pick(name, pool, "country")
                if found is not None:
                    return found
    scheme = _scheme(provider, "country_scheme")
    if bundled is not None and scheme == "smsactivate" and bundled.smsactivate is not None:
        return bundled.smsactivate
    if bundled is not None and scheme == "dial":
        return bundled.dial
    raise BadInput(
        f"unknown country {value!r} for {provider.title}",
        hint="give the provider's country id (see `otp countries`) or an ISO code like IN",
    )


def _countries(provider: Provider, server: str | None) -> list[tuple[str, str, str | None]]:
    def fetch() -> list[list[str | None]]:
        return [[c.id, c.name, c.server] for c in provider.countries(server=server)]

    state = _state_dir(provider)
    try:
        rows = (
            cached(state, _catalog_key(provider, "countries", server), fetch) if state else fetch()
        )
    except OtpError:
        return []
    # Entries cached by an older otp have no server: read them as "any server".
    return [(str(r[0]), str(r[1]), r[2] if len(r) > 2 else None) for r in rows]


def _known_service_code(value: str) -> str | None:
    q = _norm(value)
    if value in SERVICES:
        return value
    for code, names in SERVICES.items():
        if q in (_norm(n) for n in names):
            return code
    return None


class Target(NamedTuple):
    """What a purchase or a catalog query is about, as the provider's ids."""

    service: str | None
    country: str | None
    server: str | None


def resolve_target(
    provider: Provider,
    settings: Settings,
    service: str | None,
    *,
    country: str | None,
    server: str | None,
) -> Target:
    """The command's --country/--server, else the profile's, and the service, with
    names resolved to the ids the provider uses (the country first: service names
    may depend on it)."""
    chosen_server = server or settings.server.value
    chosen_country = resolve_country(
        provider, country or settings.country.value, server=chosen_server
    )
    if service is not None:
        service = resolve_service(provider, service, country=chosen_country, server=chosen_server)
    return Target(service, chosen_country, chosen_server)


class Purchase(NamedTuple):
    """One purchase as asked (names as the user wrote them) or as sent (`resolve_purchase`)."""

    service: str
    country: str | None = None
    operator: str | None = None
    server: str | None = None
    max_price: Decimal | None = None


def resolve_purchase(provider: Provider, settings: Settings, asked: Purchase) -> Purchase:
    """`asked` with its names resolved to the provider's ids and the profile's defaults
    filled in: what is sent, resolved once however many numbers are bought."""
    target = resolve_target(
        provider, settings, asked.service, country=asked.country, server=asked.server
    )
    assert target.service is not None  # a service was asked for
    operator = asked.operator or settings.operator.value
    return Purchase(target.service, target.country, operator, target.server, asked.max_price)


def resolve_service(
    provider: Provider,
    value: str,
    *,
    country: str | None = None,
    server: str | None = None,
) -> str:
    value = value.strip()
    if not value:
        raise BadInput("the service is empty", hint="e.g. `otp buy tg` (see `otp services`)")
    value = _checked(value, "service", "e.g. `otp buy tg` (see `otp services`)")
    scheme = _scheme(provider, "service_scheme")
    if value.isdigit():
        return value
    code = _known_service_code(value)
    if scheme == "smsactivate" and code is not None:
        return code
    if provider.supports(Capability.CATALOG):
        rows = _services(provider, country, server)
        if any(cid == value for cid, _ in rows):
            return value
        names = [value, *SERVICES.get(code or "", ())]
        for name in names:
            found = _pick(name, rows, "service")
            if found is not None:
                return found
        if rows:
            raise BadInput(
                f"unknown service {value!r} for {provider.title}",
                hint="see `otp services` for the codes it sells",
            )
    # No catalog to check against: trust the user's code as typed.
    return value


def _services(provider: Provider, country: str | None, server: str | None) -> list[tuple[str, str]]:
    def fetch() -> list[list[str]]:
        rows = provider.services(country=country, server=server)
        return [[r.service, r.name or r.service] for r in rows]

    state = _state_dir(provider)
    try:
        rows = (
            cached(state, _catalog_key(provider, "services", country, server), fetch)
            if state
            else fetch()
        )
    except OtpError:
        return []
    return [(str(a), str(b)) for a, b in rows]


def resolve_rental_country(provider: Any, value: str, *, server: str | None = None) -> str:
    """A rental country as the provider's code (`ca`), from that code (passed through,
    lower-cased, with no request) or a name (`canada`, `United Kingdom`), which the
    provider's own list resolves; bad input (exit 2) when it lists no such country."""
    value = _checked(value.strip(), "country", "see `otp rent countries` for the codes")
    if re.fullmatch(r"[A-Za-z]{2}", value):
        return value.lower()  # already a code (the providers' are lower case): no request
    rows = [(c.code, c.name) for c in provider.countries(server=server)]
    codes = {code.casefold(): code for code, _ in rows}
    if value.casefold() in codes:
        return codes[value.casefold()]
    bundled = _bundled_country(value)
    if bundled is not None and bundled.iso.casefold() in codes:
        return codes[bundled.iso.casefold()]
    names = [bundled.name, *bundled.aliases] if bundled else [value]
    for name in (value, *names):
        found = _pick(name, rows, "country")
        if found is not None:
            return found
    if not rows:
        return value  # no list to check against: the provider decides
    raise BadInput(
        f"no rentals for country {value!r} on this server",
        hint="see `otp rent countries` (and --server) for the codes it rents",
    )
