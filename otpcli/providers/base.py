"""The base driver of the sms-activate protocol family, which every SMS driver extends.

Contract: `ProtocolDriver(options)` speaks the generic protocol on
`{base_url}/handler_api.php` (getBalance, getNumber, getStatus, setStatus 8/6/3,
getPrices, getCountries) through one `Transport`. Every method returns a typed result
or raises a typed `OtpError`; a method whose capability the provider lacks raises
`Unsupported` before anything is sent. Purchases are sent exactly once: when their
outcome cannot be known they raise `PurchaseUnknown`, never retry. Subclasses change
class attributes and a few hooks (`_buy_params`, `_parse_activation`, ...) rather than
the flow. Drivers never print, exit or read configuration.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

from otpcli.domain.errors import (
    BadInput,
    ConfigError,
    ExitCode,
    NetworkError,
    OrderStateError,
    OtpError,
    PurchaseUnknown,
    Refused,
    Unsupported,
)
from otpcli.domain.models import (
    ActionResult,
    Activation,
    Balance,
    CatalogEntry,
    Country,
    State,
    StatusResult,
)
from otpcli.domain.provider import Capability, ProviderOptions
from otpcli.http import Reply, Transport
from otpcli.providers import _protocol as proto
from otpcli.providers import dialects
from otpcli.providers.dialects import Dialect

T = TypeVar("T")

_CAPABILITY_WORDS: dict[Capability, str] = {
    Capability.SMS: "buying numbers (`otp buy`, `otp wait`)",
    Capability.CANCEL: "cancel (`otp cancel`)",
    Capability.FINISH: "finish (`otp finish`)",
    Capability.ANOTHER_SMS: "another SMS (`otp again`)",
    Capability.REGET: "a new paid activation on the same number",
    Capability.CATALOG: "services and prices (`otp services`)",
    Capability.COUNTRIES: "countries (`otp countries`)",
    Capability.ORDERS: "the provider's order list (`otp orders`)",
    Capability.CHEAP: "cheap numbers",
    Capability.RENT: "rentals (`otp rent`)",
    Capability.EMAIL: "temporary e-mail (`otp email`)",
}

# What to do instead when a meaning is missing: the user's next step, not a shrug.
_ALTERNATIVES: dict[Capability, str] = {
    Capability.FINISH: "nothing to do: the activation closes by itself once the code is used",
    Capability.ANOTHER_SMS: "buy a new number with `otp buy`",
    Capability.REGET: "buy a new number with `otp buy`",
    Capability.CATALOG: "look the service codes up on the provider's website",
    Capability.COUNTRIES: "look the country codes up on the provider's website",
    Capability.ORDERS: "`otp orders` still lists the local journal of your purchases",
}

_FLAGS = {
    "country": "-c/--country",
    "operator": "--operator",
    "server": "--server",
    "max_price": "--max-price",
}

# Words a host answers to an action it does not have: the extension is then not used
# again by this driver, and the family's V1 form is sent instead (nothing was done).
_NO_SUCH_ACTION = frozenset({"BAD_ACTION", "NO_ACTION"})


def _no_such_action(exc: OtpError) -> bool:
    """The host does not know the action asked: its word says so, or a 404 page."""
    if isinstance(exc, Refused):
        return exc.http_status == 404
    return exc.provider_word in _NO_SUCH_ACTION


# Replies to a repeated finish that mean the first one was done.
_ALREADY_DONE = frozenset({"STATUS_ALREADY_CHANGED", "ALREADY_FINISHED"})

PURCHASE_HINT = "check `otp orders` or the provider's dashboard before buying again"


def purchase_unknown(exc: OtpError) -> PurchaseUnknown:
    """The one wording of "maybe bought", shared by the SMS and the product drivers."""
    return PurchaseUnknown(
        "the purchase may have gone through, but its outcome is unknown "
        f"({exc.message}); {PURCHASE_HINT}",
        hint=PURCHASE_HINT,
        provider_word=exc.provider_word,
    )


def send(
    transport: Transport,
    script: str,
    action: str,
    params: Mapping[str, str | None] | None = None,
    *,
    key: str | None,
    idempotent: bool = True,
) -> Reply:
    """One GET to a handler script: `key` (None when it travels in a header) as the
    `api_key` parameter, empty parameters left out, the reply's text masked."""
    query: dict[str, str] = {"action": action}
    if key:
        query["api_key"] = key
    query.update({k: v for k, v in (params or {}).items() if v is not None})
    reply = transport.get(script, query, idempotent=idempotent)
    # A provider's error page may echo the request URL: mask the key before any of
    # the text can end up quoted in an error message.
    return Reply(reply.status, transport.redact(reply.text))


def send_purchase(
    transport: Transport,
    script: str,
    action: str,
    params: Mapping[str, str | None],
    *,
    key: str | None,
) -> Reply:
    """Send a purchase exactly once; a maybe-delivered request is PurchaseUnknown.

    The one place every driver's purchases go through, SMS and product alike."""
    try:
        return send(transport, script, action, params, key=key, idempotent=False)
    except NetworkError as exc:
        if exc.maybe_sent:
            raise purchase_unknown(exc) from None
        raise NetworkError(
            f"{exc.message}; the request never reached the provider, nothing was bought",
            maybe_sent=False,
            hint=exc.hint,
        ) from None


@functools.cache
def _country_names() -> dict[str, str]:
    """sms-activate country id → English name, built once: a price list has an entry
    per (country, service) pair, too many to scan the country table for each."""
    from otpcli.data.countries import COUNTRIES

    names: dict[str, str] = {}
    for c in COUNTRIES:
        if c.smsactivate is not None:
            names.setdefault(c.smsactivate, c.name)  # the first row wins, as before
    return names


def _with_names(entry: CatalogEntry) -> CatalogEntry:
    """getPrices carries codes only (`tg`, `22`): add the family's well-known names so
    tables and `--search telegram` read as people expect."""
    from otpcli.data.services import DISPLAY

    country = _country_names().get(entry.country) if entry.country is not None else None
    return entry._replace(
        name=entry.name or DISPLAY.get(entry.service),
        country_name=entry.country_name or country,
    )


class ProtocolDriver:
    """The generic sms-activate protocol; subclasses adjust it per provider."""

    name: str = "smsactivate"
    title: str = "sms-activate compatible host"
    currency: str | None = None
    # How this host family speaks: extensions, poll advice, rate cap (see `dialects`).
    dialect: ClassVar[Dialect] = dialects.DEFAULT
    poll_interval: float = dialects.DEFAULT.poll_interval
    # Whether requests to this host are capped at its dialect's `max_rate` per second,
    # shared by the whole process (the simulator on this machine is not).
    rate_capped: ClassVar[bool] = True
    # How this provider numbers countries and names services, for resolving
    # `-c india` / `telegram` without its catalog (see services/names.py): the family's
    # own country ids and service codes ("smsactivate"), dialling codes ("dial"), or
    # None where only the provider's catalog can tell.
    country_scheme: str | None = "smsactivate"
    service_scheme: str | None = "smsactivate"
    capabilities: frozenset[Capability] = frozenset(
        {
            Capability.SMS,
            Capability.CANCEL,
            Capability.FINISH,
            Capability.ANOTHER_SMS,
            Capability.CATALOG,
            Capability.COUNTRIES,
            Capability.ORDERS,
            Capability.BATCH_STATUS,
        }
    )
    script: ClassVar[str] = "handler_api.php"
    # None: the key travels as the `api_key` query parameter (the family's default).
    key_header: ClassVar[str | None] = None
    # meaning -> the provider's setStatus value; a meaning missing here is Unsupported.
    status_codes: ClassVar[Mapping[str, str]] = {"cancel": "8", "finish": "6", "another": "3"}
    # The buy options this provider understands; any other given option is refused
    # rather than silently dropped (a dropped --max-price could cost money).
    buy_options: ClassVar[frozenset[str]] = frozenset({"country", "operator", "max_price"})

    def __init__(self, options: ProviderOptions) -> None:
        if not options.base_url:
            raise ConfigError(
                f"provider {self.name} needs a base URL",
                hint="pass --base-url https://HOST/FOLDER (the folder holding handler_api.php) "
                "or set it in the profile",
            )
        self.options = options
        # Extensions this host answered BAD_ACTION to: not asked again by this driver.
        self._lacks: set[str] = set()
        self._key = options.api_key or None
        headers = {self.key_header: self._key} if self.key_header and self._key else None
        self._transport = Transport(
            options.base_url,
            secrets=(options.api_key, *options.extra_secrets),
            headers=headers,
            timeout=options.timeout,
            connect_timeout=options.connect_timeout,
            read_retries=options.read_retries,
            backoff=options.backoff,
            max_rate=self.dialect.max_rate if self.rate_capped else None,
        )

    # -- plumbing ---------------------------------------------------------------

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def close(self) -> None:
        self._transport.close()

    def _unsupported(self, capability: Capability, what: str) -> Unsupported:
        offers = ", ".join(
            _CAPABILITY_WORDS[c] for c in _CAPABILITY_WORDS if c in self.capabilities
        )
        alternative = _ALTERNATIVES.get(capability)
        hint = f"{self.title} offers: {offers}"
        if alternative:
            hint = f"{alternative}; {hint}"
        return Unsupported(f"{self.title} does not offer {what}; nothing was sent", hint=hint)

    def _require(self, capability: Capability, what: str) -> None:
        if capability not in self.capabilities:
            raise self._unsupported(capability, what)

    def _call(
        self,
        action: str,
        params: Mapping[str, str | None] | None = None,
        *,
        idempotent: bool = True,
    ) -> Reply:
        key = None if self.key_header else self._key
        return send(self._transport, self.script, action, params, key=key, idempotent=idempotent)

    def _purchase(self, action: str, params: Mapping[str, str | None]) -> Reply:
        key = None if self.key_header else self._key
        return send_purchase(self._transport, self.script, action, params, key=key)

    @staticmethod
    def _settle_purchase(parse: Callable[[], T]) -> T:
        """Parse a purchase reply; any provider-failure outcome (5xx, garbage, an
        unknown reply, an internal error word) may hide a completed purchase."""
        try:
            return parse()
        except (PurchaseUnknown, Refused):
            raise  # already unknown, or definitely not done (an HTTP 4xx refusal)
        except OtpError as exc:
            if exc.exit_code == ExitCode.PROVIDER:
                raise purchase_unknown(exc) from None
            raise

    def _refuse_server(self, server: str | None) -> None:
        """For a provider without servers: a given --server is refused, not ignored."""
        if server is not None:
            raise Unsupported(
                f"{self.title} has no servers; nothing was sent", hint="drop --server"
            )

    def _check_buy_options(self, **given: object) -> None:
        for option, value in given.items():
            if value is not None and option not in self.buy_options:
                takes = ", ".join(_FLAGS[o] for o in _FLAGS if o in self.buy_options) or "none"
                raise Unsupported(
                    f"{self.title} does not take {_FLAGS[option]}; nothing was sent",
                    hint=f"drop {_FLAGS[option]}; {self.title} takes: {takes}",
                )

    # -- account ----------------------------------------------------------------

    def balance(self) -> Balance:
        reply = self._call("getBalance")
        amount = proto.parse_balance(reply.text, reply.status, provider=self.name)
        return Balance(amount, self.currency)

    # -- activations ------------------------------------------------------------

    def buy(
        self,
        service: str,
        *,
        country: str | None = None,
        operator: str | None = None,
        server: str | None = None,
        max_price: Decimal | None = None,
    ) -> Activation:
        self._require(Capability.SMS, "buying numbers")
        self._check_buy_options(
            country=country, operator=operator, server=server, max_price=max_price
        )
        action, params = self._buy_params(
            service, country=country, operator=operator, server=server, max_price=max_price
        )
        if action == "getNumber" and self._offers("getNumberV2", self.dialect.number_v2):
            action = "getNumberV2"
        try:
            return self._buy_once(action, params, service=service, country=country)
        except (BadInput, Refused) as exc:
            # A host without V2 refuses it as an unknown action (BAD_ACTION, or a 404
            # page): nothing was bought, so the V1 form is sent once, and V2 is not tried
            # again by this driver.
            if action != "getNumberV2" or not _no_such_action(exc):
                raise
            self._lacks.add(action)
            return self._buy_once("getNumber", params, service=service, country=country)

    def _offers(self, action: str, listed: bool) -> bool:
        return listed and action not in self._lacks

    def _buy_once(
        self, action: str, params: Mapping[str, str | None], *, service: str, country: str | None
    ) -> Activation:
        reply = self._purchase(action, params)
        if action == "getNumberV2":
            return self._settle_purchase(
                lambda: self._priced(
                    proto.parse_number_v2(
                        reply.text,
                        reply.status,
                        service=service,
                        country=country,
                        provider=self.name,
                    )
                )
            )
        return self._settle_purchase(
            lambda: self._parse_activation(reply, service=service, country=country)
        )

    def _priced(self, act: Activation) -> Activation:
        """A V2 purchase in this driver's currency where the reply names none."""
        if act.price is not None and act.currency is None:
            return act._replace(currency=self.currency)
        return act

    def _buy_params(
        self,
        service: str,
        *,
        country: str | None,
        operator: str | None,
        server: str | None,
        max_price: Decimal | None,
    ) -> tuple[str, dict[str, str | None]]:
        return "getNumber", {
            "service": service,
            "country": country,
            "operator": operator,
            "maxPrice": format(max_price, "f") if max_price is not None else None,
        }

    def _parse_activation(self, reply: Reply, *, service: str, country: str | None) -> Activation:
        activation_id, phone = proto.parse_number(reply.text, reply.status, provider=self.name)
        # The plain reply does not tell the price, so neither price nor currency is set.
        return Activation(activation_id, phone, service, country)

    def status(self, activation_id: str) -> StatusResult:
        self._require(Capability.SMS, "activation status")
        reply = self._call("getStatus", {"id": activation_id})
        return proto.parse_status(reply.text, activation_id, reply.status, provider=self.name)

    def _action_replies(self, meaning: str) -> Mapping[str, proto.Outcome] | None:
        return None

    def _set_status(self, activation_id: str, meaning: str) -> ActionResult:
        """Send setStatus; after a lost or garbled reply, look before sending again.

        A blind transport retry would turn a cancel that did happen into
        STATUS_ALREADY_CHANGED. So on a provider failure the activation's status is
        read: already in the wanted state → success; not in a final state → sent once
        more; anything else → the failure, with a pointer to `otp status`.
        """
        try:
            return self._send_status(activation_id, meaning)
        except OtpError as exc:
            if exc.exit_code != ExitCode.PROVIDER:
                raise
            expected = self._EXPECTED.get(meaning)
            current = self._look(activation_id) if expected else None
            if current is None or expected is None:
                exc.hint = f"check what happened with `otp status {activation_id}`"
                raise
            if current.state is expected:
                return ActionResult(
                    activation_id,
                    meaning,
                    expected,
                    f"{expected.value} (the reply was lost; a status check confirmed it)",
                    refunded=expected is State.CANCELLED,
                )
            if current.state.terminal:
                exc.hint = f"check what happened with `otp status {activation_id}`"
                raise
            try:
                return self._send_status(activation_id, meaning)
            except OrderStateError as again:
                # A finished order often still reads STATUS_OK, so the look above could
                # not tell; "already changed" now means the lost first request did it.
                word = (again.provider_word or "").upper()
                if meaning == "finish" and word in _ALREADY_DONE:
                    return ActionResult(
                        activation_id,
                        meaning,
                        State.FINISHED,
                        "finished (the first request went through; its reply was lost)",
                    )
                raise

    # What a setStatus whose reply was lost should have left behind, per meaning.
    _EXPECTED: ClassVar[dict[str, State]] = {
        "cancel": State.CANCELLED,
        "finish": State.FINISHED,
    }

    def _send_status(self, activation_id: str, meaning: str) -> ActionResult:
        code = self.status_codes[meaning]
        # "Another SMS" may be repeated harmlessly, so the transport may retry it.
        reply = self._call(
            "setStatus",
            {"id": activation_id, "status": code},
            idempotent=meaning == "another",
        )
        return proto.parse_action(
            reply.text,
            activation_id,
            meaning,
            reply.status,
            provider=self.name,
            replies=self._action_replies(meaning),
        )

    def _look(self, activation_id: str) -> StatusResult | None:
        try:
            return self.status(activation_id)
        except OtpError:
            return None

    def cancel(self, activation_id: str) -> ActionResult:
        self._require(Capability.CANCEL, "cancelling an activation")
        try:
            return self._set_status(activation_id, "cancel")
        except OrderStateError as exc:
            raise self._code_instead(activation_id, exc) from None

    def _code_instead(self, activation_id: str, exc: OrderStateError) -> OrderStateError:
        """A cancel refused because a code came (hero-sms's 409 OTP_RECEIVED, a status
        already changed): the code is read now, so the refusal carries it, not loses it."""
        word = (exc.provider_word or "").upper()
        if word not in dialects.CODE_ARRIVED and word not in _ALREADY_DONE:
            return exc
        look = self._look(activation_id)
        if look is None or look.state is not State.CODE_RECEIVED:
            return exc
        shown = look.code or look.text or ""
        err = OrderStateError(
            f"activation {activation_id} cannot be cancelled: a code arrived: {shown}",
            hint=f"it was paid for: use the code, then `otp finish {activation_id}`",
            provider_word=exc.provider_word,
        )
        err.details = {"id": activation_id, "code": look.code, "text": look.text}
        return err

    def finish(self, activation_id: str) -> ActionResult:
        self._require(Capability.FINISH, "finishing an activation")
        return self._set_status(activation_id, "finish")

    def another(self, activation_id: str) -> ActionResult:
        self._require(Capability.ANOTHER_SMS, "another SMS on the same activation")
        return self._set_status(activation_id, "another")

    def reget(self, activation_id: str) -> ActionResult:
        self._require(Capability.REGET, "a new activation on the same number")
        raise self._unsupported(Capability.REGET, "a new activation on the same number")

    # -- catalog ----------------------------------------------------------------

    def services(
        self,
        *,
        country: str | None = None,
        server: str | None = None,
        service: str | None = None,
    ) -> list[CatalogEntry]:
        self._require(Capability.CATALOG, "a service catalog")
        self._refuse_server(server)
        reply = self._call("getPrices", {"service": service, "country": country})
        doc = proto.parse_json(reply.text, reply.status, provider=self.name, what="price list")
        return [_with_names(e) for e in proto.parse_prices(doc, currency=self.currency)]

    def countries(self, *, server: str | None = None) -> list[Country]:
        self._require(Capability.COUNTRIES, "a country list")
        self._refuse_server(server)
        reply = self._call("getCountries")
        doc = proto.parse_json(reply.text, reply.status, provider=self.name, what="country list")
        return proto.parse_countries(doc)

    # -- the host's own list of open activations (getActiveActivations) ---------

    def _active_rows(self) -> list[Any]:
        """The host's open activations; `Unsupported` where the host has no such list."""
        action = "getActiveActivations"
        if not self._offers(action, self.dialect.active_list):
            raise self._unsupported(Capability.ORDERS, "a list of open activations")
        try:
            reply = self._call(action)
            return proto.active_rows(reply.text, reply.status, provider=self.name)
        except BadInput as exc:
            if exc.provider_word not in _NO_SUCH_ACTION:
                raise
            self._lacks.add(action)
            raise self._unsupported(Capability.ORDERS, "a list of open activations") from None

    def statuses(self, activation_ids: Sequence[str]) -> dict[str, StatusResult]:
        """The status of many activations in one request. Ids the host does not list
        are missing from the result: look at those one by one (`status`)."""
        self._require(Capability.BATCH_STATUS, "the status of many activations at once")
        wanted = set(activation_ids)
        found = (proto.active_status(row) for row in self._active_rows())
        return {st.id: st for st in found if st.id in wanted}

    def orders(
        self, limit: int = 20, page: int = 1, status: str | None = None
    ) -> list[dict[str, str]]:
        self._require(Capability.ORDERS, "an order list")
        rows = self._active_rows()
        start = max(0, (page - 1) * limit)
        listed = []
        for row in rows[start : start + limit]:
            act, st = proto.active_activation(row), proto.active_status(row)
            listed.append(
                {
                    "id": act.id,
                    "number": act.number,
                    "service": act.service,
                    "country": act.country or "",
                    "price": "" if act.price is None else str(act.price),
                    "currency": act.currency or self.currency or "",
                    "state": st.state.value,
                    "code": st.code or "",
                }
            )
        return [r for r in listed if status is None or r["state"] == status]

    def recent_activations(self, limit: int = 10) -> list[Activation]:
        """The newest still-open activations from the provider's own list, to settle a
        purchase whose outcome was unknown. Empty where the provider lists no orders."""
        if not self.supports(Capability.ORDERS):
            return []
        try:
            rows = self._active_rows()
        except Unsupported:
            return []
        acts = [self._priced(proto.active_activation(row)) for row in rows]
        return acts[-limit:] if limit else acts
