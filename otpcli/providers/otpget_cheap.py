"""Driver for OTPGet's cheap numbers (`{base_url}/cheap_handler.php`).

Contract: implements the `Provider` protocol for activations, plus `servers()`.
- `servers(server_type)` → getServers&type=T (JSON `{"1": [{"id", "name"}], "2": [...]}`);
  without a type both 1 and 2 are asked and merged (the action requires `type`).
- `buy(server, server=TYPE)` → buyNumber&server=S&type=T, reply `ORDER_ID,NUMBER,SECS_LEFT`;
  the `Activation` carries `expires_in` (the 15-minute life). The reply tells no price.
  Sent once; an unknown outcome is `PurchaseUnknown`.
- `status` → getStatus (`STATUS_OK:CODE`, `STATUS_WAIT_CODE`, `STATUS_CANCEL`); the
  document asks for a poll every 5 s.
- `finish` → setStatus 3 (the document's own example; its table says 3 or 6) →
  `ACCESS_FINISH`; `cancel` → setStatus 8 → `ACCESS_READY` (OTPGet's "refunded", DESIGN
  §1) or `ACCESS_CANCEL`, refused with `EARLY_CANCEL_DENIED` / `STATUS_ALREADY_CHANGED`.
- There is no catalog, country list or "another SMS": those raise `Unsupported`.
Errors come plain or as JSON (`_protocol.check`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from otpcli.domain.errors import BadInput
from otpcli.domain.models import Activation, State
from otpcli.domain.product_models import CheapServer
from otpcli.domain.provider import Capability
from otpcli.http import Reply
from otpcli.providers import _protocol as proto
from otpcli.providers import dialects
from otpcli.providers.base import ProtocolDriver
from otpcli.providers.dialects import Dialect

DEFAULT_TYPE = "1"
SERVER_TYPES = ("1", "2")
LIFETIME = 900  # seconds: "Numbers stay active for 15 minutes"

_REPLIES = {
    "ACCESS_READY": proto.Outcome(State.CANCELLED, True, "cancelled; the price is refunded"),
    "ACCESS_CANCEL": proto.Outcome(State.CANCELLED, True, "cancelled; the price is refunded"),
    "ACCESS_FINISH": proto.Outcome(State.FINISHED, False, "finished"),
}


def parse_servers(doc: object, *, server_type: str | None = None) -> list[CheapServer]:
    if isinstance(doc, list):
        doc = {server_type or "": doc}
    if not isinstance(doc, dict):
        raise proto.unexpected(str(doc), what="server list")
    servers: list[CheapServer] = []
    for type_, rows in doc.items():
        if not isinstance(rows, list):
            continue
        for row in rows:
            if isinstance(row, dict) and (sid := proto.to_text(row.get("id"))):
                name = proto.to_text(row.get("name")) or sid
                servers.append(CheapServer(sid, name, proto.to_text(type_) or None))
    return servers


def parse_purchase(reply: Reply, *, provider: str) -> tuple[str, str, int]:
    """`ORDER_ID_12345,+923001234567,900` → (id, number, seconds left)."""
    text = proto.check(reply.text, provider=provider)
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 3:
        order_id, number, secs = parts
        left = proto.to_int(secs)
        clean = proto.printable(order_id) and proto.printable(number)
        if clean and left is not None and left >= 0 and secs.isdigit():
            return order_id, number, left
    raise proto.unexpected(text, reply.status, what="purchase reply")


class OtpGetCheapDriver(ProtocolDriver):
    name = "otpget"
    title = "OTPGet cheap numbers"
    dialect: ClassVar[Dialect] = dialects.get("otpget")
    currency = "PKR"
    capabilities = frozenset(
        {Capability.SMS, Capability.CHEAP, Capability.CANCEL, Capability.FINISH}
    )
    script: ClassVar[str] = "cheap_handler.php"
    status_codes: ClassVar = {"cancel": "8", "finish": "3"}
    buy_options: ClassVar = frozenset({"server"})

    def _action_replies(self, meaning: str) -> dict[str, proto.Outcome] | None:
        return _REPLIES

    def buy(
        self,
        service: str,
        *,
        country: str | None = None,
        operator: str | None = None,
        server: str | None = None,
        max_price: Decimal | None = None,
    ) -> Activation:
        """A cheap number of server `service`; an unknown server id is refused with a
        pointer to the list of servers (the generic "unknown service" would mislead)."""
        try:
            return super().buy(
                service, country=country, operator=operator, server=server, max_price=max_price
            )
        except BadInput as exc:
            if exc.provider_word in ("BAD_SERVICE", "WRONG_SERVICE", "BAD_TYPE"):
                exc.message = f"no cheap-number server {service!r} ({exc.message})"
                exc.args = (exc.message,)
                exc.hint = "see `otp cheap servers` (and --server-type 1|2) for the ids"
            raise

    @staticmethod
    def _type(server_type: str | None) -> str:
        t = (server_type or DEFAULT_TYPE).strip()
        if t not in SERVER_TYPES:
            raise BadInput(
                f"the cheap-number server type is 1 or 2, not {t!r}; nothing was sent",
                hint="pass --server-type 1 or 2 (see `otp cheap servers`)",
            )
        return t

    def servers(self, *, server_type: str | None = None) -> list[CheapServer]:
        asked = self._type(server_type) if server_type else None
        types = [asked] if asked else list(SERVER_TYPES)
        seen: set[tuple[str | None, str]] = set()
        found: list[CheapServer] = []
        for t in types:
            reply = self._call("getServers", {"type": t})
            doc = proto.parse_json(reply.text, reply.status, provider=self.name, what="server list")
            for s in parse_servers(doc, server_type=t):
                if (s.type, s.id) not in seen:
                    seen.add((s.type, s.id))
                    found.append(s)
        if asked:
            # Like getCountries, the example answers with every type: keep the asked one
            # (compared with what was sent, " 2 " being "2"). No fallback to other types:
            # a type-1 server offered for `--server-type 2` would buy on the wrong one.
            found = [s for s in found if s.type in (asked, None)]
        return found

    def _buy_params(
        self,
        service: str,
        *,
        country: str | None,
        operator: str | None,
        server: str | None,
        max_price: Decimal | None,
    ) -> tuple[str, dict[str, str | None]]:
        sid = service.strip()
        if not sid or any(c.isspace() for c in sid):
            raise BadInput(
                f"a cheap-number server id, not {service!r}; nothing was sent",
                hint="see `otp cheap servers`",
            )
        return "buyNumber", {"server": sid, "type": self._type(server)}

    def _parse_activation(self, reply: Reply, *, service: str, country: str | None) -> Activation:
        order_id, number, left = parse_purchase(reply, provider=self.name)
        return Activation(order_id, number, service.strip(), None, expires_in=left)


Driver = OtpGetCheapDriver
