"""`otp orders` at scale: a default view, a streamed --json, indexed queries, every price.

The journal is filled through its own API (or SQL for bulk); the command runs in-process.
"""

from __future__ import annotations

import io
import json
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import responses

from otpcli.cli.render import Env
from otpcli.domain.models import Activation
from otpcli.services import journal as jr
from otpcli.services.journal import Journal
from tests.cli_helpers import run


def fill(state: Path, n: int, *, waiting: tuple[int, ...] = ()) -> None:
    j = Journal(state)
    for i in range(n):
        row = j.begin(provider="sandbox", profile=None, base_url=None, service="tg", country=None)
        act = Activation(f"id{i}", f"+{i}", "tg", None, price=Decimal("1.25"), currency="PLAY")
        j.complete(row, act, state="waiting" if i in waiting else "finished")
    j.close()


def ids_in(table: str) -> list[str]:
    return [
        w
        for line in table.splitlines()
        for w in line.split()[:1]
        if w.startswith("id") and w != "id"
    ]


def test_default_view_is_limited_active_first_then_newest(isolated_env: Path) -> None:
    fill(isolated_env / "state", 120, waiting=(3,))
    r = run(["orders"])
    assert r.exit_code == 0, r.stderr
    shown = ids_in(r.stdout)
    assert len(shown) == 50
    assert shown[:3] == ["id3", "id119", "id118"]
    assert "50 of 120 orders shown" in r.stderr and "--all" in r.stderr
    assert "spent: 150.00 PLAY on 120 order(s)" in r.stderr  # every row, not the 50 shown
    assert len(ids_in(run(["orders", "--limit", "5"]).stdout)) == 5
    assert len(ids_in(run(["orders", "--all"]).stdout)) == 120
    active = run(["orders", "--active"])
    assert ids_in(active.stdout) == ["id3"]


def count_orders_built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter of the journal rows turned into `Order`s (a spy, the real one runs)."""
    built = [0]
    real = jr._order

    def counting(r: Any) -> jr.Order:
        built[0] += 1
        return real(r)

    monkeypatch.setattr(jr, "_order", counting)
    return built


def test_json_is_one_document_written_as_the_rows_come(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(isolated_env / "state", 1200)
    built = count_orders_built(monkeypatch)
    r = run(["orders", "--json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [o["id"] for o in doc["orders"]] == [f"id{i}" for i in range(1200)]
    assert doc["spent"] == {"PLAY": "1500.00"}
    assert all(o["orphan"] is False for o in doc["orders"])
    assert built[0] == 1200
    assert [
        o["id"] for o in json.loads(run(["orders", "--json", "--limit", "2"]).stdout)["orders"]
    ] == ["id0", "id1"]


def test_the_table_builds_only_the_rows_it_shows(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(isolated_env / "state", 300)
    built = count_orders_built(monkeypatch)
    assert run(["orders"]).exit_code == 0
    assert built[0] <= 50


def test_the_commands_queries_use_indexes(tmp_path: Path) -> None:
    fill(tmp_path, 3)
    db = sqlite3.connect(tmp_path / "journal.sqlite3")

    def plan(sql: str, *args: object) -> str:
        return " ".join(str(r[-1]) for r in db.execute("EXPLAIN QUERY PLAN " + sql, args))

    assert "orders_order_id" in plan("SELECT * FROM orders WHERE order_id=?", "1")
    active = ",".join(f"'{s}'" for s in jr.ACTIVE_STATES)
    assert "orders_state" in plan(f"SELECT * FROM orders WHERE state IN ({active})")
    assert "orders_state" in plan("SELECT count(*) FROM orders WHERE state='cancel_pending'")
    assert "orders_owned" in plan("SELECT * FROM orders WHERE owner_pid IS NOT NULL")
    # The totals come from the small spend table (a row per currency), never from orders.
    assert plan("SELECT currency, micros FROM spend") == "SCAN spend"
    db.close()


def test_ids_and_numbers_are_never_wrapped_on_a_narrow_terminal() -> None:
    out = io.StringIO()
    e = Env(stdout=out, stdout_isatty=True, no_color=True)
    long_id, mail = "1234567890123456789012345", "someone.with.a.long.name@example-mail.test"
    e.console = lambda *, stderr: __import__("rich.console").console.Console(  # type: ignore[method-assign]
        file=out, width=60, no_color=True
    )
    e.table(
        ["id", "number", "service", "state"],
        [[long_id, mail, "tg", "waiting"]],
        no_wrap=("id", "number"),
    )
    assert long_id in out.getvalue() and mail in out.getvalue()


def test_a_cheap_numbers_price_is_the_balance_drop(monkeypatch: pytest.MonkeyPatch) -> None:
    base = "https://www.otpget.test/stubs"
    cheap = f"{base}/cheap_handler.php"
    monkeypatch.setenv("OTPCLI_PROVIDER", "otpget")
    monkeypatch.setenv("OTPCLI_API_KEY", "CHEAP-PRICE-KEY-1234")
    monkeypatch.setenv("OTPCLI_BASE_URL", base)

    def action(name: str) -> list[object]:
        return [responses.matchers.query_param_matcher({"action": name}, strict_match=False)]

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(cheap, body="ACCESS_BALANCE:100.00", match=action("getBalance"))
        rsps.get(cheap, body="ACCESS_BALANCE:97.50", match=action("getBalance"))
        rsps.get(cheap, body="ORDER_ID_9,+923001234567,900", match=action("buyNumber"))
        r = run(["cheap", "buy", "2"])
        assert r.exit_code == 0, r.stderr
        doc = json.loads(run(["orders", "--json"]).stdout)
    (order,) = doc["orders"]
    assert (order["kind"], order["price"]) == ("cheap", "2.50")
    assert list(doc["spent"].values()) == ["2.50"]
