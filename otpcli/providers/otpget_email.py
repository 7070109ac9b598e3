"""Driver for OTPGet's temporary e-mail (`{base_url}/email_handler.php`, JSON replies).

Contract (implements `domain.provider.EmailProvider`):
- `services(domain)` → getEmailServices[&domain] (the provider's default domain is
  gmail.com, so none is sent unless asked).
- `buy(service, domain)` → buyEmail&service_id[&domain]: a purchase, sent once;
  `PurchaseUnknown` when the outcome cannot be known.
- `status(email_id)` → getEmailCode: 200 with messages → CODE_RECEIVED (an empty `code`
  is taken from the subject/body by `domain.codes.extract_code`; the text is kept), 200
  without messages or 202 → WAITING, 300 → CANCELLED. Poll every 5-10 s (5 here).
- `cancel(email_id)` → cancelEmail: 200 with a `code` → FINISHED with that code (the job
  was done, no refund), 200 otherwise or 300 → CANCELLED (`refunded` when told).
- `history(page)` → getEmailHistory&page (20 rows a page).
Money is Decimal (JSON numbers are read as Decimal, never float); ids are strings.
Error statuses map as in `RULES` (each row says why).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from otpcli.domain.codes import extract_code
from otpcli.domain.errors import (
    AuthError,
    BadInput,
    NoBalance,
    NotFound,
    OtpError,
    ProviderError,
    Unavailable,
)
from otpcli.domain.models import State
from otpcli.domain.product_models import (
    EmailCancel,
    EmailHistory,
    EmailHistoryEntry,
    EmailMessage,
    EmailOrder,
    EmailService,
    EmailStatus,
)
from otpcli.domain.provider import Capability
from otpcli.providers import _protocol as proto
from otpcli.providers._jsonapi import KEY_HINT, JsonDriver, Rule, items, text_or_none

SCRIPT = "email_handler.php"

_RETRY = "retry in a few seconds; if it persists, contact OTPGet"

RULES: tuple[Rule, ...] = (
    Rule("401", "", AuthError, "the provider rejected the API key", KEY_HINT),
    Rule(
        "403",
        "",
        AuthError,
        "the account is blocked",
        "contact OTPGet's support; nothing otpcli can do will lift it",
    ),
    Rule("400", "", BadInput, "the provider refused the request", "check the options you passed"),
    Rule("402", "", NoBalance, "not enough balance", "top up your wallet, then retry"),
    # "Service not available for this domain": the service exists, this domain does not
    # carry it. Like SERVICE_UNAVAILABLE for a country it is "nothing available" (7),
    # not bad input: another --domain may have it.
    Rule(
        "404",
        "service not available",
        Unavailable,
        "the service is not offered on that domain",
        "see `otp email services --domain DOMAIN` for another domain",
    ),
    Rule(
        "404",
        "no stock",
        Unavailable,
        "no e-mail addresses left for that service",
        "retry later or try another --domain",
    ),
    Rule(
        "404",
        "",
        NotFound,
        "no such e-mail order",
        "check the id (see `otp orders` or `otp email history`)",
    ),
    # The e-mail table, unlike the rental one ("balance was not deducted"), never says
    # whether a failed buyEmail left the wallet alone: "API connection error", "No email
    # available: …" and "Database error. Email cancelled." (which even follows an "API
    # success") name what failed, not what was charged. Our reading: none of them is
    # `settled`, so a buyEmail answered this way is PurchaseUnknown and the journal keeps
    # it `unknown` until `otp email history` or the dashboard tells.
    Rule(
        "500",
        "database error",
        ProviderError,
        "the provider had a database error after getting the address; "
        "it says the e-mail was cancelled",
        _RETRY,
    ),
    Rule(
        "500",
        "api connection",
        ProviderError,
        "the provider could not reach its mail service",
        _RETRY,
    ),
    Rule(
        "500",
        "no email available",
        ProviderError,
        "the mail service had no address to give",
        "retry later or try another --domain",
    ),
    Rule("503", "", Unavailable, "the e-mail service is unavailable", "retry later"),
)


def parse_message(row: Mapping[str, Any]) -> EmailMessage:
    subject = text_or_none(row.get("subject"))
    body = text_or_none(row.get("body"))
    given = proto.to_text(row.get("code"))
    code = given or extract_code(body) or extract_code(subject)
    return EmailMessage(
        code=proto.checked_code(code or None),
        subject=subject,
        body=body,
        email=text_or_none(row.get("email")),
        code_from_text=not given and bool(code),
    )


class OtpGetEmailDriver(JsonDriver):
    name = "otpget"
    title = "OTPGet temporary e-mail"
    currency: str | None = "PKR"
    poll_interval = 5.0  # "Call every 5-10 seconds"
    capabilities = frozenset({Capability.EMAIL})
    script = SCRIPT
    rules = RULES

    @staticmethod
    def _id(email_id: str) -> str:
        eid = email_id.strip()
        if not eid:
            raise BadInput("which e-mail order? pass its id (see `otp orders`)")
        return eid

    def services(self, *, domain: str | None = None) -> list[EmailService]:
        reply = self._api.call("getEmailServices", {"domain": domain})
        doc = self._api.doc(reply, what="service list")
        return [
            EmailService(
                code=proto.to_text(r.get("service_code")),
                name=text_or_none(r.get("service_name")),
                price=proto.to_decimal(r.get("price")),
                currency=self.currency,
                stock=proto.to_int(r.get("count")),
                domain=domain,
            )
            for r in items(doc, "services")
        ]

    def buy(self, service: str, *, domain: str | None = None) -> EmailOrder:
        code = service.strip()
        if not code:
            raise BadInput("which service? e.g. `otp email buy ig` (see `otp email services`)")
        reply = self._api.purchase("buyEmail", {"service_id": code, "domain": domain})
        try:
            doc = self._api.doc(reply, what="e-mail purchase reply")
            email_id = proto.to_text(doc.get("email_id"))
            address = proto.to_text(doc.get("email"))
            if not (proto.printable(email_id) and proto.printable(address)):
                raise proto.unexpected(reply.text, reply.status, what="e-mail purchase reply")
        except OtpError as exc:
            raise self._api.settle(exc) from None
        return EmailOrder(
            id=email_id,
            email=address,
            service=code,
            service_name=text_or_none(doc.get("service")),
            domain=text_or_none(doc.get("domain")) or domain,
            price=proto.to_decimal(doc.get("price")),
            currency=self.currency,
            balance=proto.to_decimal(doc.get("balance")),
        )

    def status(self, email_id: str) -> EmailStatus:
        eid = self._id(email_id)
        reply = self._api.call("getEmailCode", {"email_id": eid})
        doc = self._api.doc(reply, what="code reply", ok=("200", "202", "300"))
        status = proto.to_text(doc.get("status"))
        message = text_or_none(doc.get("message"))
        if status == "300":
            return EmailStatus(eid, State.CANCELLED, detail=message)
        messages = [parse_message(m) for m in items(doc, "messages")]
        if status == "202" or not messages:
            return EmailStatus(eid, State.WAITING, detail=message if status == "202" else None)
        code = next((m.code for m in messages if m.code), None)
        return EmailStatus(eid, State.CODE_RECEIVED, code=code, messages=messages)

    def cancel(self, email_id: str) -> EmailCancel:
        eid = self._id(email_id)
        reply = self._api.call("cancelEmail", {"email_id": eid})
        doc = self._api.doc(reply, what="cancel reply", ok=("200", "300"))
        message = proto.to_text(doc.get("message"))
        code = text_or_none(doc.get("code"))
        if code is not None:
            return EmailCancel(
                eid,
                State.FINISHED,
                message or "completed: the code had already arrived (no refund)",
                code=code,
                email=text_or_none(doc.get("email")),
            )
        return EmailCancel(
            eid,
            State.CANCELLED,
            message or "cancelled",
            refunded=proto.to_decimal(doc.get("refunded")),
            balance=proto.to_decimal(doc.get("balance")),
        )

    def history(self, *, page: int = 1) -> EmailHistory:
        if page < 1:
            raise BadInput(f"pages start at 1, not {page}")
        reply = self._api.call("getEmailHistory", {"page": str(page)})
        doc = self._api.doc(reply, what="history")
        entries = [
            EmailHistoryEntry(
                id=proto.to_text(r.get("email_id")),
                email=proto.to_text(r.get("email_address")),
                service=proto.to_text(r.get("service_id")),
                service_name=text_or_none(r.get("service_name")),
                domain=text_or_none(r.get("domain")),
                status=text_or_none(r.get("status")),
                code=text_or_none(r.get("code")),
                price=proto.to_decimal(r.get("price")),
                currency=self.currency,
                created_at=text_or_none(r.get("created_at")),
            )
            for r in items(doc, "history")
        ]
        return EmailHistory(
            total=proto.to_int(doc.get("total")),
            page=proto.to_int(doc.get("page")) or page,
            entries=entries,
        )


Driver = OtpGetEmailDriver
