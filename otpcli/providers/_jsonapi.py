"""The shared plumbing of JSON product handlers (OTPGet's rentals and temporary e-mail).

Contract: `JsonApi` sends GETs to one handler script through one `Transport` (the key as
the `api_key` query parameter, masked in every text) and turns a reply into a dict or a
typed error. A reply is `{"status": "200", ...}`; any other status is an error that the
driver's `Rule` table maps to an exit code (the first rule whose status matches and whose
lower-cased message starts with the rule's prefix); a status no rule knows falls back to
`_protocol.json_error` (401/403 → 4, 402 → 6, 404 → 5, others → 9). Plain error words
(`BAD_KEY`) are accepted too. Purchases go through `purchase()`: sent once, a request
that may have arrived raises `PurchaseUnknown`; a reply we cannot read, or an error no
rule documents as "nothing was charged", is `PurchaseUnknown` as well (`settle()`).
`JsonDriver` is what the product drivers share: one `JsonApi` on their script and rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from otpcli.domain.errors import (
    OtpError,
    ProtocolError,
    ProviderError,
    PurchaseUnknown,
)
from otpcli.domain.provider import Capability, ProviderOptions
from otpcli.http import Reply, Transport
from otpcli.providers import _protocol as proto
from otpcli.providers.base import purchase_unknown, send, send_purchase

# The document's getRentalSMS example lacks a comma between two members (`"code":""`
# newline `"timestamp":...`). A strict parse is tried first; only when it fails is that
# one slip repaired, so a provider that really sends it is still understood.
_MISSING_COMMA = re.compile(r'("|\d|true|false|null)\s*\n(\s*")')
# A rejected key is fixed the same way for every OTPGet product as for its SMS API.
KEY_HINT = proto.KEY_HINT.replace("{provider}", "otpget")


@dataclass(frozen=True)
class Rule:
    status: str
    prefix: str  # lower-case start of the message; "" matches any message
    cls: type[OtpError]
    message: str
    hint: str
    # For a purchase: the document says nothing was charged (a definite refusal). A
    # provider failure without this flag leaves the purchase's outcome unknown, so the
    # default is the safe one: a rule must claim "nothing charged" explicitly.
    settled: bool = False


class DocumentedFailure(ProviderError):
    """An exit-9 error the document describes as a failure with nothing charged."""


def loads(text: str) -> Any:
    try:
        return proto.load(text)
    except ValueError:
        repaired = _MISSING_COMMA.sub(r"\1,\n\2", text)
        if repaired == text:
            raise
        return proto.load(repaired)


class JsonApi:
    def __init__(
        self,
        options: ProviderOptions,
        script: str,
        *,
        provider: str,
        rules: Sequence[Rule],
    ) -> None:
        self.script = script
        self.provider = provider
        self.rules = tuple(rules)
        self._key = options.api_key or None
        self.transport = Transport(
            options.base_url,
            secrets=(options.api_key, *options.extra_secrets),
            timeout=options.timeout,
            connect_timeout=options.connect_timeout,
            read_retries=options.read_retries,
            backoff=options.backoff,
        )

    def close(self) -> None:
        self.transport.close()

    def call(
        self,
        action: str,
        params: Mapping[str, str | None] | None = None,
        *,
        idempotent: bool = True,
    ) -> Reply:
        return send(
            self.transport, self.script, action, params, key=self._key, idempotent=idempotent
        )

    def purchase(self, action: str, params: Mapping[str, str | None]) -> Reply:
        """Send a purchase exactly once; a maybe-delivered request is PurchaseUnknown."""
        return send_purchase(self.transport, self.script, action, params, key=self._key)

    def doc(self, reply: Reply, *, what: str, ok: Sequence[str] = ("200",)) -> dict[str, Any]:
        """The reply as a dict whose status is one of `ok`, else the typed error."""
        text = proto.clean(reply.text)
        if not text.startswith(("{", "[")):
            err = proto.error_for_word(text, provider=self.provider)
            if err is not None:
                raise err
            raise proto.unexpected(text, reply.status, what=what)
        try:
            doc = loads(text)
        except ValueError:
            raise proto.unexpected(text, reply.status, what=what) from None
        if not isinstance(doc, dict):
            raise proto.unexpected(text, reply.status, what=what)
        status = proto.to_text(doc.get("status"))
        if status in ok:
            return doc
        raise self.error(doc, status, reply, what=what)

    def error(self, doc: dict[str, Any], status: str, reply: Reply, *, what: str) -> OtpError:
        message = proto.to_text(doc.get("message") or doc.get("error"))
        low = message.lower()
        for rule in self.rules:
            if rule.status == status and low.startswith(rule.prefix):
                word = message if proto.WORD.match(message) else status
                shown = f"{rule.message} ({message!r})" if message else rule.message
                cls = rule.cls
                if cls is ProviderError and rule.settled:
                    cls = DocumentedFailure
                return cls(shown, hint=rule.hint, provider_word=word)
        err = proto.json_error(doc, provider=self.provider)
        if err is not None:
            return err
        return proto.unexpected(json.dumps(doc, default=str), reply.status, what=what)

    @staticmethod
    def settle(exc: OtpError) -> OtpError:
        """What a failed purchase means: a provider failure the document does not call
        harmless (5xx without a rule, a reply we cannot read) may hide a purchase."""
        if isinstance(exc, PurchaseUnknown | DocumentedFailure):
            return exc
        if isinstance(exc, ProviderError | ProtocolError):
            return purchase_unknown(exc)
        return exc


class JsonDriver:
    """The base of the product drivers: a `JsonApi` on `script` with `rules`."""

    name: str
    capabilities: frozenset[Capability]
    script: ClassVar[str]
    rules: ClassVar[tuple[Rule, ...]]

    def __init__(self, options: ProviderOptions) -> None:
        self.options = options
        self._api = JsonApi(options, self.script, provider=self.name, rules=self.rules)

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def close(self) -> None:
        self._api.close()


def items(doc: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """The list of objects under `key` (missing or null: empty; other shapes skipped)."""
    value = doc.get(key)
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, dict)]


def text_or_none(value: Any) -> str | None:
    t = proto.to_text(value)
    return t or None
