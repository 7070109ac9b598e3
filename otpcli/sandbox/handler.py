"""The simulator's `handler_api.php`: the sms-activate protocol, answered in one dialect.

Contract: `respond(state, params, rendering)` answers one request as an HTTP `Reply`
(status, content type, body) and never raises for a protocol error: a `Refusal` of the
rules in `otpcli.sandbox.state` (or a database failure, `ERROR_SQL`) becomes the refusal
as the dialect words it (`otpcli.sandbox.dialects`): a plain word with HTTP 200, or for
hero-sms an HTTP 4xx with `{"title": WORD, "details": TEXT}`. Times in replies are the
server's local time as `%Y-%m-%d %H:%M:%S` ([aio] parses them with `time.mktime`).

Actions (every dialect; `otpcli.sandbox.httpd` lists the plain replies):
- getBalance, getBalanceAndCashBack -> `ACCESS_BALANCE:1000.00`;
- getNumber -> `ACCESS_NUMBER:<id>:<phone>`; getStatus, getFullSms, setStatus (the values
  of `Rendering.statuses`; `-1` is a cancel where the dialect has it);
- getPrices in the dialect's `price_shape` (`cost_count` `{c: {s: {"cost", "count"}}}`,
  `price_count` `{c: {s: {"<price>": count}}}`); getCountries;
- getNumbersStatus `{"tg_0": 140, ...}` for a country (default 22), with 0 for the
  classic service keys the sandbox does not sell;
- getTopCountriesByService&service=S[&freePrice=true] `{"<country>": {"country", "count",
  "price", "retail_price"[, "freePriceMap"]}}` for countries with stock, keyed by country
  id (the doc's example `{0: {"country": 0, ...}}` allows that reading, and [aio] indexes
  it by country id);
- getServicesList `{"status": "success", "services": [{"code", "name"}]}`;
- getOperators[&country=C] `{"status": "success", "countryOperators": {C: [names]}}`,
  `OPERATORS_NOT_FOUND` for an unknown country.
Where the dialect serves them (`Rendering.actions`): getNumberV2 (JSON with activationId
(number), phoneNumber (string), activationCost, currency, countryCode, [countryPhoneCode],
canGetAnotherSms, activationTime, activationEndTime, activationOperator), getStatusV2
(`{"verificationType": 0, "sms": {"dateTime", "code", "text"} | null, "call": null}`; a
closed activation is `STATUS_CANCEL`, or hero-sms's 409), getActiveActivations (the open
orders under `Rendering.list_keys`, or `NO_ACTIVATIONS`), getPricesExtended (getPrices
with `physicalCount`), cancelActivation / finishActivation (empty HTTP 204).
Anything else is the dialect's `BAD_ACTION`.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, NamedTuple

from otpcli.sandbox import catalog
from otpcli.sandbox.dialects import (
    BASE_ACTIONS,
    CLASSIC_COUNT_KEYS,
    Rendering,
    json_error,
    word_for,
)
from otpcli.sandbox.state import OpenOrder, Order, Refusal, SandboxState, parse_price

TEXT = "text/plain; charset=utf-8"
JSON = "application/json; charset=utf-8"


class Reply(NamedTuple):
    status: int
    ctype: str
    body: str


class Request(NamedTuple):
    state: SandboxState
    params: dict[str, str]
    rendering: Rendering

    def get(self, name: str) -> str:
        return self.params.get(name, "").strip()

    def order_id(self) -> str:
        oid = self.get("id")
        if not oid:
            raise Refusal("BAD_ACTION")
        return oid


_MARK = "\u0000dec:"
_MARKED = re.compile(r'"\\u0000dec:(-?[0-9.]+)"')


def dump(doc: Any) -> str:
    """JSON with Decimals written as exact numbers (`12.50`, never through a float)."""

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            return f"{_MARK}{value}"
        if isinstance(value, dict):
            return {k: mark(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v) for v in value]
        return value

    return _MARKED.sub(r"\1", json.dumps(mark(doc)))


def _text(body: str) -> Reply:
    return Reply(200, TEXT, body)


def _json(doc: Any) -> Reply:
    return Reply(200, JSON, dump(doc))


def when(timestamp: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


# --- account, purchase, status ------------------------------------------------------------


def _balance(req: Request) -> Reply:
    return _text(f"ACCESS_BALANCE:{req.state.balance():.2f}")


def _buy(req: Request) -> Order:
    service = req.get("service")
    if not service:
        raise Refusal("BAD_SERVICE")
    # smshub's clients send max_price ([smshub]); the family sends maxPrice.
    max_price = req.get("maxPrice") or req.get("max_price")
    return req.state.buy(
        service,
        req.get("country") or None,
        max_price=parse_price(max_price) if max_price else None,
    )


def _get_number(req: Request) -> Reply:
    order = _buy(req)
    return _text(f"ACCESS_NUMBER:{order.id}:{order.phone}")


def _country_code(r: Rendering, country: str) -> str | int:
    return int(country) if r.int_country else country


def _get_number_v2(req: Request) -> Reply:
    order, r = _buy(req), req.rendering
    doc: dict[str, Any] = {
        "activationId": int(order.id),
        "phoneNumber": order.phone,
        "activationCost": f"{order.price:.2f}",
        "currency": r.currency,
        "countryCode": _country_code(r, order.country),
        "canGetAnotherSms": True,
        "activationTime": when(order.created),
        "activationEndTime": when(order.expires),
        "activationOperator": req.get("operator") or "any",
    }
    if r.phone_code:
        doc["countryPhoneCode"] = catalog.PHONE_CODES.get(order.country, 0)
    return _json(doc)


def _get_status(req: Request) -> Reply:
    action = req.get("action")
    status = req.state.status(req.order_id())
    if status.kind == "cancel":
        return _text("STATUS_CANCEL")
    if status.kind == "wait":
        return _text("STATUS_WAIT_CODE")
    if action == "getFullSms":
        return _text(f"FULL_SMS:{status.text}")
    if status.kind == "retry":
        return _text(f"STATUS_WAIT_RETRY:{status.code}")
    return _text(f"STATUS_OK:{status.code}")


def _get_status_v2(req: Request) -> Reply:
    status = req.state.status(req.order_id())
    if status.kind == "cancel":
        raise Refusal("STATUS_CANCEL", reason="closed")
    sms = None
    if status.code is not None and status.at is not None:
        sms = {"dateTime": when(status.at), "code": status.code, "text": status.text}
    return _json({"verificationType": 0, "sms": sms, "call": None})


def _set_status(req: Request) -> Reply:
    oid = req.order_id()
    rule = req.rendering.statuses.get(req.get("status"))
    if rule is None:
        raise Refusal("BAD_STATUS")
    return _text(req.state.set_status(oid, rule))


def _settle(rule: str) -> Callable[[Request], Reply]:
    """hero-sms's finishActivation / cancelActivation: setStatus 6 / 8, an empty 204."""

    def act(req: Request) -> Reply:
        req.state.set_status(req.order_id(), rule)
        return Reply(204, TEXT, "")

    return act


def _active(req: Request) -> Reply:
    r = req.rendering
    found = req.state.open_orders()
    if not found and r.none_open:
        raise Refusal(r.none_open)
    items = [_active_item(r, o) for o in found]
    doc: dict[str, Any] = {"status": "success"}
    doc.update({key: items for key in r.list_keys})
    return _json(doc)


def _active_item(r: Rendering, found: OpenOrder) -> dict[str, Any]:
    # The shape of sms-activate's example (strings where it has strings) with the fields
    # [hero-py]'s `ActiveActivation` reads; activationStatus "4" is the one value published.
    o = found.order
    return {
        "activationId": o.id,
        "serviceCode": o.service,
        "phoneNumber": o.phone,
        "activationCost": o.price,
        "currency": r.currency,
        "activationStatus": "4",
        "smsCode": found.code,
        "smsText": found.text,
        "activationTime": when(o.created),
        "countryCode": _country_code(r, o.country),
        "countryName": catalog.COUNTRIES[o.country].name,
        "canGetAnotherSms": "1",
        "discount": "0.00",
        "repeated": "0",
    }


# --- catalog ------------------------------------------------------------------------------


def _cells(req: Request) -> tuple[list[str], list[str]]:
    service, country = req.get("service"), req.get("country")
    if service and service not in catalog.SERVICES:
        raise Refusal("BAD_SERVICE")
    if country and country not in catalog.COUNTRIES:
        raise Refusal("BAD_COUNTRY")
    return (
        [service] if service else list(catalog.SERVICES),
        [country] if country else list(catalog.COUNTRIES),
    )


def _cell(service: str, country: str) -> tuple[Decimal, int]:
    svc, cinfo = catalog.SERVICES[service], catalog.COUNTRIES[country]
    return catalog.price(svc, cinfo), catalog.stock(svc, cinfo)


def _price_leaf(req: Request, service: str, country: str) -> dict[str, Any]:
    price, count = _cell(service, country)
    if req.rendering.dialect.price_shape == "price_count":
        return {f"{price}": count}
    leaf: dict[str, Any] = {"cost": price, "count": count}
    if req.get("action") == "getPricesExtended":
        leaf["physicalCount"] = count
    return leaf


def _prices(req: Request) -> Reply:
    services, countries = _cells(req)
    return _json(
        {c: {s: _price_leaf(req, s, c) for s in services} for c in countries},
    )


def _countries(req: Request) -> Reply:
    return _json({c.id: {"id": int(c.id), "eng": c.name} for c in catalog.COUNTRIES.values()})


def _numbers_status(req: Request) -> Reply:
    country = req.get("country") or catalog.DEFAULT_COUNTRY
    if country not in catalog.COUNTRIES:
        raise Refusal("BAD_COUNTRY")
    counts = {f"{s}_0": _cell(s, country)[1] for s in catalog.SERVICES}
    for key in CLASSIC_COUNT_KEYS:
        counts.setdefault(key, 0)
    return _json(counts)


def _top_countries(req: Request) -> Reply:
    service = req.get("service")
    if service not in catalog.SERVICES:
        raise Refusal("BAD_SERVICE")
    free = req.get("freePrice").lower() in ("1", "true")
    doc = {}
    for cid in catalog.COUNTRIES:
        price, count = _cell(service, cid)
        if count <= 0:
            continue
        entry: dict[str, Any] = {
            "country": int(cid),
            "count": count,
            "price": price,
            "retail_price": price,
        }
        if free:
            entry["freePriceMap"] = {f"{price}": count}
        doc[cid] = entry
    return _json(doc)


def _services(req: Request) -> Reply:
    services = [{"code": s.code, "name": s.name} for s in catalog.SERVICES.values()]
    return _json({"status": "success", "services": services})


def _operators(req: Request) -> Reply:
    country = req.get("country")
    if country and country not in catalog.OPERATORS:
        raise Refusal("OPERATORS_NOT_FOUND")
    chosen = [country] if country else list(catalog.OPERATORS)
    ops = {c: list(catalog.OPERATORS[c]) for c in chosen}
    return _json({"status": "success", "countryOperators": ops})


ACTIONS: dict[str, Callable[[Request], Reply]] = {
    "getBalance": _balance,
    "getBalanceAndCashBack": _balance,
    "getNumber": _get_number,
    "getNumberV2": _get_number_v2,
    "getStatus": _get_status,
    "getFullSms": _get_status,
    "getStatusV2": _get_status_v2,
    "setStatus": _set_status,
    "cancelActivation": _settle("8"),
    "finishActivation": _settle("6"),
    "getActiveActivations": _active,
    "getPrices": _prices,
    "getPricesExtended": _prices,
    "getCountries": _countries,
    "getNumbersStatus": _numbers_status,
    "getTopCountriesByService": _top_countries,
    "getServicesList": _services,
    "getOperators": _operators,
}


def refusal(rendering: Rendering, word: str, *, reason: str = "", detail: str = "") -> Reply:
    """A refusal worded as `rendering`'s host family words it."""
    wording = word_for(rendering, word, reason)
    as_json = json_error(rendering, wording, detail)
    if as_json is None:
        return _text(wording.word.format(detail=detail))
    status, title, details = as_json
    return Reply(status, JSON, json.dumps({"title": title, "details": details}))


def respond(state: SandboxState, params: dict[str, str], rendering: Rendering) -> Reply:
    """Answer one request of `handler_api.php` in `rendering`'s dialect."""
    req = Request(state, params, rendering)
    if params.get("api_key", "").lower().startswith("bad"):
        return refusal(rendering, "BAD_KEY")
    action = req.get("action")
    served = action in BASE_ACTIONS or action in rendering.actions
    try:
        if not served:
            raise Refusal("BAD_ACTION")
        return ACTIONS[action](req)
    except Refusal as refused:
        return refusal(rendering, refused.word, reason=refused.reason, detail=refused.detail)
    except sqlite3.Error:
        return refusal(rendering, "ERROR_SQL")
