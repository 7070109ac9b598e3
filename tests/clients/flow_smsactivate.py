"""PyPI `smsactivate` 1.5 (sync, requests) against the `smsactivate` dialect.

Contract: `run(base_url, check)` drives the library's main flow through `check(name, fn)`:
balance, catalog, buy with getNumber and getNumberV2, poll getStatus to a code, finish,
cancel refused inside the early-cancel window and accepted after it, the list of open
activations, and the library's error results for no numbers, no balance and a bad key.
The library hard-codes its URL in a private attribute; it is pointed at the sandbox there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from smsactivate.api import SMSActivateAPI  # type: ignore[import-not-found]

Check = Callable[[str, Callable[[], object]], object]


def client(base_url: str, key: str = "play") -> Any:
    api = SMSActivateAPI(key)
    api._SMSActivateAPI__api_url = base_url + "/handler_api.php"  # its only URL setting
    return api


def wait_code(api: Any, activation_id: int, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = api.getStatus(id=activation_id)
        if reply.startswith("STATUS_OK:"):
            return str(reply.split(":", 1)[1])
        assert reply == "STATUS_WAIT_CODE", reply
        time.sleep(0.2)
    raise AssertionError("no code")


def run(base_url: str, check: Check) -> None:
    api = client(base_url)

    def balance() -> None:
        assert api.getBalance() == {"balance": "1000.00"}
        assert api.getBalanceAndCashBack() == {"balance": "1000.00"}

    check("getBalance, getBalanceAndCashBack", balance)

    def catalog() -> None:
        assert api.getPrices(service="tg", country=22)["22"]["tg"]["cost"] == 12.5
        assert api.getCountries()["22"]["eng"] == "India"
        assert api.getNumbersStatus(country=22)["tg_0"] > 0
        assert api.getTopCountriesByService(service="tg")["22"]["price"] == 12.5
        assert "airtel" in api.getOperators(country=22)["countryOperators"]["22"]

    check("getPrices, getCountries, getNumbersStatus, getTopCountries, getOperators", catalog)

    def v1_flow() -> None:
        bought = api.getNumber(service="tg", country=22)
        assert isinstance(bought["activation_id"], int) and bought["phone"] > 0, bought
        code = wait_code(api, bought["activation_id"])
        assert code.isdigit(), code
        assert api.setStatus(id=bought["activation_id"], status=6) == "ACCESS_ACTIVATION"

    check("getNumber -> getStatus to a code -> setStatus 6 (finish)", v1_flow)

    def v2_flow() -> None:
        doc = api.getNumberV2(service="tg", country=22)
        for field in ("activationId", "phoneNumber", "activationCost", "activationTime"):
            assert field in doc, doc
        assert wait_code(api, doc["activationId"]).isdigit()
        assert api.setStatus(id=doc["activationId"], status=6) == "ACCESS_ACTIVATION"

    check("getNumberV2 -> code -> finish", v2_flow)

    def cancel_flow() -> None:
        bought = api.getNumber(service="never", country=22)
        oid = bought["activation_id"]
        assert api.setStatus(id=oid, status=8) == "EARLY_CANCEL_DENIED"
        active = api.getActiveActivations()
        assert [a["activationId"] for a in active["activeActivations"]] == [str(oid)], active
        time.sleep(1.6)  # past the early-cancel window (--early-cancel 1.5)
        assert api.setStatus(id=oid, status=8) == "ACCESS_CANCEL"
        assert api.getStatus(id=oid)["error"] == "STATUS_CANCEL"  # its table lists the word
        got = api.getBalance()
        assert got == {"balance": "975.00"}, got  # two tg bought, `never` refunded

    check("early cancel refused, active list, cancel after the window, refund", cancel_flow)

    def errors() -> None:
        assert api.getNumber(service="nonum")["error"] == "NO_NUMBERS"
        assert api.getNumber(service="nobal")["error"] == "NO_BALANCE"
        assert api.getNumberV2(service="nobal")["error"] == "NO_BALANCE"
        assert client(base_url, "bad-key").getBalance()["error"] == "BAD_KEY"
        assert api.getStatus(id=1)["error"] == "NO_ACTIVATION"

    check("errors: NO_NUMBERS, NO_BALANCE, BAD_KEY, NO_ACTIVATION", errors)
