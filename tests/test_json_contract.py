"""The JSON contract: the keys of every command's `--json` output, success and error.

In the manner of pipx's tests/test_result_contract.py: each case runs one command against
the sandbox and pins the exact keys of its one document (a key added or dropped is a
deliberate, reviewed change here). `json.loads(stdout)` itself proves stdout holds exactly
one document. DESIGN §3's minimum keys are checked as a floor on top.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.cli_helpers import run

BUY = {"id", "number", "service", "country", "price", "currency", "expires_in", "multi_sms"}
CODE = {"id", "code", "text"}
ERROR = {"error", "message", "exit_code", "hint"}
CATALOG = {"country", "country_name", "currency", "extra", "name", "price", "server"}
# DESIGN §3: the floor every document keeps.
FLOOR = {
    "buy": {"id", "number", "service", "country", "price", "currency"},
    "wait": {"id", "code", "text"},
    "balance": {"balance", "currency"},
    "status": {"id", "state", "code"},
    "error": {"error", "message", "exit_code"},
}


def otp(*args: str) -> tuple[int, Any]:
    r = run(["--sandbox", *args, "--json"])
    return r.exit_code, json.loads(r.stdout)  # one document, nothing else


def bought() -> str:
    code, doc = otp("buy", "tg")
    assert code == 0
    return str(doc["id"])


def keys(doc: Any) -> set[str]:
    assert isinstance(doc, dict), doc
    return set(doc)


def test_buy() -> None:
    code, doc = otp("buy", "tg")
    assert code == 0 and keys(doc) == BUY >= FLOOR["buy"]


def test_buy_many_is_one_document() -> None:
    code, doc = otp("buy", "tg", "-n", "3")
    assert code == 0 and keys(doc) == {"results"}
    assert len(doc["results"]) == 3 and all(keys(d) == BUY for d in doc["results"])


def test_buy_many_wait_is_one_document() -> None:
    code, doc = otp("buy", "tg", "-n", "2", "--wait")
    assert code == 0 and keys(doc) == {"results"}
    assert len(doc["results"]) == 2
    for item in doc["results"]:
        assert keys(item) == BUY | CODE >= FLOOR["buy"] | FLOOR["wait"]


def test_buy_many_wait_failure_is_the_error_document_with_results() -> None:
    # --keep: no clean-up (it would wait out the sandbox's early-cancel window).
    code, doc = otp("buy", "never", "-n", "2", "--wait", "--timeout", "1", "--keep")
    assert code == 124
    assert keys(doc) == ERROR | {"results"} >= FLOOR["error"]
    assert doc["exit_code"] == 124 and len(doc["results"]) == 2
    for item in doc["results"]:
        assert keys(item) == BUY | {"error", "message", "exit_code"}


def test_buy_many_refused_purchase_keeps_what_was_bought() -> None:
    code, doc = otp("buy", "nobal", "-n", "2")
    assert code == 6
    assert keys(doc) == ERROR | {"provider_word", "results"} and doc["results"] == []


def test_wait_and_wait_many() -> None:
    one, two = bought(), bought()
    code, doc = otp("wait", one)
    assert code == 0 and keys(doc) == CODE >= FLOOR["wait"]
    code, doc = otp("wait", one, two)
    assert code == 0 and keys(doc) == {"results"}
    assert sorted(d["id"] for d in doc["results"]) == sorted([one, two])
    assert all(keys(d) == CODE for d in doc["results"])


def test_wait_many_jsonl_streams_one_object_per_line() -> None:
    one, two = bought(), bought()
    r = run(["--sandbox", "wait", one, two, "--jsonl"])
    assert r.exit_code == 0
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(lines) == 2 and all(keys(d) == CODE for d in lines)


def test_status_finish_cancel_again() -> None:
    one = bought()
    code, doc = otp("status", one)
    assert code == 0 and keys(doc) == {"id", "state", "code", "text", "detail"} >= FLOOR["status"]
    settled = {"action", "id", "message", "new_activation", "refunded", "state"}
    code, doc = otp("cancel", bought())  # the sandbox forbids an early cancel, as OTPGet does
    assert code == 8 and keys(doc) == ERROR | {"provider_word"}
    otp("wait", one)
    code, doc = otp("finish", one)
    assert code == 0 and keys(doc) == settled


@pytest.mark.parametrize(
    "args,expected",
    [
        (["balance"], {"balance", "currency"}),
        (["orders"], {"orders", "spent", "spend_cap"}),
        (["config", "path"], {"config", "config_exists", "state_dir"}),
    ],
)
def test_documents(args: list[str], expected: set[str]) -> None:
    code, doc = otp(*args)
    assert code == 0 and keys(doc) == expected
    if args == ["balance"]:
        assert keys(doc) >= FLOOR["balance"]


@pytest.mark.parametrize(
    "args,item",
    [
        (["prices", "tg"], CATALOG | {"service", "stock"}),
        (["services"], CATALOG | {"service", "stock"}),
        (["countries"], {"id", "name", "server"}),
        (["providers"], {"capabilities", "default_base_url", "name", "needs_key", "title"}),
        (["sandbox", "scenarios"], {"behaviour", "kind", "service"}),
    ],
)
def test_listings(args: list[str], item: set[str]) -> None:
    code, doc = otp(*args)
    assert code == 0 and isinstance(doc, list) and doc
    assert all(set(d) == item for d in doc)


@pytest.mark.parametrize(
    "args,exit_code",
    [
        (["buy", "nobal"], 6),
        (["buy", "nonum"], 7),
        (["status", "999999"], 5),
    ],
)
def test_provider_errors(args: list[str], exit_code: int) -> None:
    code, doc = otp(*args)
    assert code == exit_code == doc["exit_code"]
    assert keys(doc) == ERROR | {"provider_word"} >= FLOOR["error"]


@pytest.mark.parametrize(
    "args",
    [
        ["buy"],  # a missing argument
        ["balance", "--no-such-option"],
        ["buy", "tg", "--count", "0"],
    ],
)
def test_usage_errors_are_the_error_document(args: list[str]) -> None:
    code, doc = otp(*args)
    assert code == 2 and doc["error"] == "bad_input" and doc["exit_code"] == 2
    assert keys(doc) >= FLOOR["error"]
