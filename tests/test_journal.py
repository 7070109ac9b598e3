"""The order journal: written before the purchase, completed after, safe across processes.

Every test runs on both backends (SQLite, PostgreSQL: the `journal_backend` fixture)."""

from __future__ import annotations

import json
import multiprocessing
from decimal import Decimal
from pathlib import Path

import pytest
import responses
from responses import matchers

from otpcli.domain.models import Activation
from otpcli.services.session import open_journal
from tests.cli_helpers import run
from tests.journal_backends import JournalBackend

OTPX = "https://otpx.test/api/stubs/handler_api.php"
KEY = "JOURNAL-SENTINEL-KEY-55aa"


@pytest.fixture
def otpx_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTPCLI_PROVIDER", "otpx")
    monkeypatch.setenv("OTPCLI_API_KEY", KEY)
    monkeypatch.setenv("OTPCLI_BASE_URL", "https://otpx.test/api/stubs")


pytestmark = pytest.mark.usefixtures("journal_backend")


def journal_rows() -> list[dict[str, object]]:
    """The journal's rows, from whichever backend `OTPCLI_JOURNAL_URL` chooses."""
    import os

    url = os.environ.get("OTPCLI_JOURNAL_URL")
    return JournalBackend("x", Path(os.environ["OTPCLI_STATE_DIR"]), url or None).rows()


def test_row_is_written_before_the_purchase_request(otpx_env: None, isolated_env: Path) -> None:
    seen_at_request: list[list[dict[str, object]]] = []

    def on_buy(request: object) -> tuple[int, dict[str, str], str]:
        seen_at_request.append(journal_rows())
        return 200, {}, "ACCESS_NUMBER:12345:919876543210"

    with responses.RequestsMock() as rsps:
        rsps.add_callback(
            "GET",
            OTPX,
            callback=on_buy,
            match=[matchers.query_param_matcher({"action": "getNumber"}, strict_match=False)],
        )
        r = run(["buy", "wa", "-c", "22"])
    assert r.exit_code == 0, r.stderr
    (before,) = seen_at_request
    assert [(row["state"], row["service"], row["order_id"]) for row in before] == [
        ("pending", "wa", None)
    ]
    (after,) = journal_rows()
    assert after["state"] == "waiting"
    assert after["order_id"] == "12345" and after["number"] == "919876543210"
    assert after["provider"] == "otpx"


def test_refused_purchase_is_failed_and_ambiguous_one_unknown(
    otpx_env: None, isolated_env: Path
) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(OTPX, body="NO_BALANCE")
        assert run(["buy", "wa"]).exit_code == 6
    with responses.RequestsMock() as rsps:
        rsps.get(OTPX, body="<html>502</html>", status=502)
        r = run(["buy", "wa"])
        assert r.exit_code == 9
        assert len(rsps.calls) == 1
    states = [row["state"] for row in journal_rows()]
    assert states == ["failed", "unknown"]
    r = run(["orders"], env={})
    assert r.exit_code == 0
    assert "unknown outcome" in r.stderr


def test_key_is_never_in_the_journal(otpx_env: None, journal_backend: JournalBackend) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(
            OTPX,
            body="ACCESS_NUMBER:1:2",
            match=[matchers.query_param_matcher({"action": "getNumber"}, strict_match=False)],
        )
        rsps.get(
            OTPX,
            body="STATUS_OK:4711",
            match=[matchers.query_param_matcher({"action": "getStatus"}, strict_match=False)],
        )
        rsps.get(
            OTPX,
            body="ACCESS_CANCEL",
            match=[matchers.query_param_matcher({"action": "setStatus"}, strict_match=False)],
        )
        assert run(["buy", "wa"]).exit_code == 0
        assert run(["status", "1"]).exit_code == 0
        assert run(["cancel", "1"]).exit_code == 0
    raw = journal_backend.dump()
    assert b"STATUS_OK" not in raw and b"4711" in raw  # the dump holds the rows
    assert KEY.encode() not in raw


def test_wait_routes_by_journal_without_provider_settings(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    j = open_journal()
    row = j.begin(
        provider="otpx",
        profile=None,
        base_url="https://otpx.test/api/stubs",
        service="wa",
        country="22",
    )
    j.complete(row, Activation(id="777", number="919000000001", service="wa"))
    j.close()
    # Only a key: the provider and base URL come from the journal row.
    monkeypatch.setenv("OTPCLI_API_KEY", KEY)
    with responses.RequestsMock() as rsps:
        rsps.get(OTPX, body="STATUS_OK:5150")
        r = run(["status", "777"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "code_received 5150\n"
    (stored,) = journal_rows()
    assert stored["state"] == "code_received" and stored["code"] == "5150"


def test_orders_json_and_spend_summary(isolated_env: Path) -> None:
    j = open_journal()
    for i, (price, final) in enumerate(
        [(Decimal("12.50"), "waiting"), (Decimal("7.25"), "finished"), (Decimal("9"), "cancelled")]
    ):
        row = j.begin(provider="otpx", profile=None, base_url=None, service="tg", country=None)
        j.complete(
            row,
            Activation(id=str(i), number="1", service="tg", price=price, currency="INR"),
        )
        j.record(str(i), final)
    j.close()
    r = run(["orders", "--json"])
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    assert [o["state"] for o in doc["orders"]] == ["waiting", "finished", "cancelled"]
    assert doc["spent"] == {"INR": "19.75"}
    r = run(["orders", "--active"])
    assert r.exit_code == 0
    assert "finished" not in r.stdout and "waiting" in r.stdout


def _writer(state_dir: str, n: int) -> None:
    j = open_journal()  # the backend of the test (the forked child inherits its env)
    for k in range(n):
        row = j.begin(provider="otpx", profile=None, base_url=None, service="tg", country=None)
        j.complete(row, Activation(id=f"{state_dir[-3:]}-{row}-{k}", number="1", service="tg"))
    j.close()


def test_parallel_processes_do_not_lose_rows(isolated_env: Path) -> None:
    state = str(isolated_env / "state")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(state, 25)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    rows = journal_rows()
    assert len(rows) == 150
    assert all(row["state"] == "waiting" for row in rows)


SASTA = "https://sasta.test/stubs/handler_api.php"


@pytest.fixture
def sasta_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTPCLI_PROVIDER", "sastaotp")
    monkeypatch.setenv("OTPCLI_API_KEY", KEY)
    monkeypatch.setenv("OTPCLI_BASE_URL", "https://sasta.test/stubs")


def _order(activation_id: str, status: str = "pending") -> dict[str, object]:
    return {
        "activation_id": activation_id,
        "number": "917991234567",
        "service_code": "tg",
        "country_code": "91",
        "price": 18.5,
        "status": status,
    }


def test_unknown_purchase_names_the_order_the_provider_lists_but_never_adopts_it(
    sasta_env: None, isolated_env: Path
) -> None:
    """One open order the journal does not know is probably this purchase, or another
    runner's on the same account: named to the user, never taken (nor cancelled)."""
    with responses.RequestsMock() as rsps:
        buy = rsps.get(
            SASTA,
            status=502,
            body="<html>gateway</html>",
            match=[matchers.query_param_matcher({"action": "getNumber"}, strict_match=False)],
        )
        rsps.get(
            SASTA,
            json={"orders": [_order("38496653"), _order("1111", status="completed")]},
            match=[matchers.query_param_matcher({"action": "getOrders"}, strict_match=False)],
        )
        r = run(["buy", "tg"])
    assert r.exit_code == 9, r.stderr
    assert r.stdout == ""
    assert "order 38496653 (917991234567)" in r.stderr and "otp wait 38496653" in r.stderr
    assert buy.call_count == 1
    (row,) = journal_rows()
    assert (row["state"], row["order_id"]) == ("unknown", None)
    assert "order 38496653" in row["note"]


def test_ambiguous_order_list_leaves_the_purchase_unknown(
    sasta_env: None, isolated_env: Path
) -> None:
    with responses.RequestsMock() as rsps:
        rsps.get(
            SASTA,
            status=502,
            body="<html>gateway</html>",
            match=[matchers.query_param_matcher({"action": "getNumber"}, strict_match=False)],
        )
        rsps.get(
            SASTA,
            json={"orders": [_order("1"), _order("2")]},
            match=[matchers.query_param_matcher({"action": "getOrders"}, strict_match=False)],
        )
        r = run(["buy", "tg"])
    assert r.exit_code == 9
    assert r.stdout == ""
    (row,) = journal_rows()
    assert row["state"] == "unknown"
