"""The simulator's OTPGet product handlers, in the documents' own formats.

Served beside `handler_api.php` (see `otpcli.sandbox.httpd`):
- `/stubs/cheap_handler.php` (plain text, sms-activate style): `getBalance` →
  `ACCESS_BALANCE:x`; `getServers&type=T` → `{"T": [{"id", "name"}]}` (without a valid
  type: every type); `buyNumber&server=S&type=T` → `ORDER_ID,NUMBER,SECONDS_LEFT`
  (`BAD_TYPE`, `BAD_SERVICE` for a server not of that type, `NO_BALANCE`);
  `getStatus&id` → `STATUS_WAIT_CODE` | `STATUS_OK:code` | `STATUS_CANCEL`;
  `setStatus&id&status` 3/6 → `ACCESS_FINISH`, 8 → `ACCESS_READY` (refunded); errors
  `NO_ACTIVATION`, `BAD_STATUS`, `BAD_ID`, `EARLY_CANCEL_DENIED`, `NO_SMS_RECEIVED`,
  `STATUS_ALREADY_CHANGED`.
- `/stubs/rental-handler.php` (JSON, `"status"` as a string): getRentalCountries,
  getRentalPricing, getAvailableRentals, rentNumber, getMyRentals, getRentalSMS,
  renewRental, with the document's error statuses and messages (401 "Invalid API key." /
  "API key is required.", 400 for missing parameters and Server 2's monthly rule, 404,
  402 "Insufficient balance.", 500 "Database error: …").
- `/stubs/email_handler.php` (JSON): getEmailServices, buyEmail, getEmailCode (200 /
  202 / 300), cancelEmail, getEmailHistory, getBalance; errors 401 `BAD_KEY`,
  400 `BAD_ACTION` / "service_id is required" / "email_id is required", 402, 404.
A key starting with `bad` is rejected by every handler, as on `handler_api.php`. Money
is written as exact decimal JSON numbers (`120.00`), never through a float.
"""

from __future__ import annotations

import json
import sqlite3
import weakref
from collections.abc import Callable

from otpcli.sandbox.handler import dump
from otpcli.sandbox.otpget_state import OgRefusal, OtpGetState
from otpcli.sandbox.state import Refusal, SandboxState

_TEXT = "text/plain; charset=utf-8"
_JSON = "application/json; charset=utf-8"

_STATES: weakref.WeakKeyDictionary[SandboxState, OtpGetState] = weakref.WeakKeyDictionary()


def _products(state: SandboxState) -> OtpGetState:
    og = _STATES.get(state)
    if og is None:
        og = _STATES[state] = OtpGetState(state)
    return og


# JSON with Decimals written as exact numbers (`120.00`, not `120.0`): one writer for
# every handler script of the simulator.
_json = dump


def _bad_key(params: dict[str, str]) -> bool:
    return params.get("api_key", "").lower().startswith("bad")


# --- cheap numbers ------------------------------------------------------------------------


def respond_cheap(state: SandboxState, params: dict[str, str]) -> tuple[str, str]:
    if _bad_key(params):
        return _TEXT, "BAD_KEY"
    og = _products(state)
    action = params.get("action", "")
    order_id = params.get("id", "").strip()
    try:
        if action == "getBalance":
            return _TEXT, f"ACCESS_BALANCE:{og.balance():.2f}"
        if action == "getServers":
            from otpcli.sandbox.otpget_state import CHEAP_SERVERS

            wanted = params.get("type", "").strip()
            groups: dict[str, list[dict[str, str]]] = {}
            for sid, (type_, name, _price, _prefix) in CHEAP_SERVERS.items():
                if wanted in ("1", "2") and type_ != wanted:
                    continue
                groups.setdefault(type_, []).append({"id": sid, "name": name})
            return _JSON, json.dumps(groups)
        if action == "buyNumber":
            order = og.cheap_buy(params.get("server", "").strip(), params.get("type", "").strip())
            return _TEXT, f"{order.id},{order.phone},{order.seconds_left}"
        if action in ("getStatus", "setStatus") and not order_id:
            raise Refusal("BAD_ID")
        if action == "getStatus":
            kind, code = og.cheap_status(order_id)
            if kind == "ok":
                return _TEXT, f"STATUS_OK:{code}"
            return _TEXT, "STATUS_CANCEL" if kind == "cancel" else "STATUS_WAIT_CODE"
        if action == "setStatus":
            return _TEXT, og.cheap_set_status(order_id, params.get("status", "").strip())
        raise Refusal("BAD_ACTION")
    except Refusal as refusal:
        return _TEXT, refusal.word
    except sqlite3.Error:
        return _TEXT, "ERROR_SQL"


# --- rentals ------------------------------------------------------------------------------


def _need(params: dict[str, str], name: str) -> str:
    value = params.get(name, "").strip()
    if not value:
        raise OgRefusal("400", f"{name} is required.")
    return value


def _hours(params: dict[str, str]) -> int:
    raw = _need(params, "duration_hours")
    if not raw.isdigit():
        raise OgRefusal("400", "duration_hours must be one of 12, 24, 168, 720, 4320, 8640.")
    return int(raw)


def _provider(params: dict[str, str]) -> str:
    value = _need(params, "provider")
    if value not in ("1", "2"):
        raise OgRefusal("400", "provider must be 1 or 2.")
    return value


def respond_rental(state: SandboxState, params: dict[str, str]) -> tuple[str, str]:
    og = _products(state)
    key = params.get("api_key", "").strip()
    action = params.get("action", "").strip()
    try:
        if not key:
            raise OgRefusal("401", "API key is required.")
        if _bad_key(params):
            raise OgRefusal("401", "Invalid API key.")
        if not action:
            raise OgRefusal("400", "Action parameter is required.")
        if action == "getRentalCountries":
            provider = params.get("provider", "").strip() or None
            return _JSON, _json({"status": "200", "countries": og.rental_countries(provider)})
        if action == "getRentalPricing":
            code, provider = _need(params, "country_code").lower(), _provider(params)
            return _JSON, _json({"status": "200", "pricing": og.rental_pricing(code, provider)})
        if action == "getAvailableRentals":
            code, provider = _need(params, "country_code").lower(), _provider(params)
            doc = {
                "status": "200",
                "country_code": code,
                "provider": provider,
                "available": og.rental_stock(code, provider),
            }
            return _JSON, _json(doc)
        if action == "rentNumber":
            code, provider = _need(params, "country_code").lower(), _provider(params)
            hours = _hours(params)
            if provider == "2" and hours not in (720, 4320, 8640):
                raise OgRefusal(
                    "400", "Server 2 only supports monthly durations (720, 4320, 8640)."
                )
            return _JSON, _json(og.rent(code, provider, hours))
        if action == "getMyRentals":
            rentals = og.rentals()
            return _JSON, _json({"status": "200", "total": len(rentals), "rentals": rentals})
        if action == "getRentalSMS":
            return _JSON, _json(og.rental_sms(_need(params, "order_id")))
        if action == "renewRental":
            rental_id = _need(params, "rental_id")
            return _JSON, _json(og.renew(rental_id, _hours(params)))
        raise OgRefusal("400", f"Unknown action: {action}")
    except OgRefusal as refusal:
        return _JSON, _json({"status": refusal.status, "message": refusal.message})
    except sqlite3.Error as exc:
        # The transaction was rolled back: nothing was charged, as the document says.
        return _JSON, _json({"status": "500", "message": f"Database error: {exc}"})


# --- e-mail -------------------------------------------------------------------------------


def respond_email(state: SandboxState, params: dict[str, str]) -> tuple[str, str]:
    og = _products(state)
    action = params.get("action", "").strip()
    try:
        if _bad_key(params) or not params.get("api_key", "").strip():
            raise OgRefusal("401", "BAD_KEY")
        if action == "getBalance":
            return _JSON, _json({"status": "200", "balance": og.balance()})
        if action == "getEmailServices":
            domain = params.get("domain", "").strip() or "gmail.com"
            services = og.email_services(domain)
            return _JSON, _json({"status": "200", "count": len(services), "services": services})
        if action == "buyEmail":
            service = params.get("service_id", "").strip()
            if not service:
                raise OgRefusal("400", "service_id is required")
            domain = params.get("domain", "").strip() or "gmail.com"
            return _JSON, _json(og.email_buy(service, domain))
        if action in ("getEmailCode", "cancelEmail"):
            email_id = params.get("email_id", "").strip()
            if not email_id:
                raise OgRefusal("400", "email_id is required")
            if action == "getEmailCode":
                return _JSON, _json(og.email_code(email_id))
            return _JSON, _json(og.email_cancel(email_id))
        if action == "getEmailHistory":
            raw = params.get("page", "").strip() or "1"
            page = int(raw) if raw.isdigit() and int(raw) > 0 else 1
            return _JSON, _json(og.email_history(page))
        raise OgRefusal("400", "BAD_ACTION")
    except OgRefusal as refusal:
        return _JSON, _json({"status": refusal.status, "message": refusal.message})
    except sqlite3.Error:
        return _JSON, _json({"status": "500", "message": "Database error. Email cancelled."})


Handler = Callable[[SandboxState, dict[str, str]], tuple[str, str]]

# path -> handler, for `otpcli.sandbox.httpd`.
# Every action the product handlers above answer (for `otp sandbox fault`'s check).
ACTIONS = frozenset(
    {
        "getBalance", "getServers", "buyNumber", "getStatus", "setStatus",
        "getRentalCountries", "getRentalPricing", "getAvailableRentals", "rentNumber",
        "getMyRentals", "getRentalSMS", "renewRental",
        "getEmailServices", "buyEmail", "getEmailCode", "cancelEmail", "getEmailHistory",
    }
)  # fmt: skip

HANDLERS: dict[str, Handler] = {
    "/stubs/cheap_handler.php": respond_cheap,
    "/stubs/rental-handler.php": respond_rental,
    "/stubs/email_handler.php": respond_email,
}
