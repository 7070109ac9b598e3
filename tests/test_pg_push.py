"""`otp journal push`: a runner that worked offline copies its local journal's open
orders into the shared one, once (a second push copies nothing)."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from otpcli.domain.models import Activation
from otpcli.services import owner
from otpcli.services.journal import Journal
from tests.cli_helpers import run
from tests.journal_backends import JournalBackend


def offline_journal(folder: Path) -> Path:
    j = Journal(folder)
    for oid, state in (("1", "waiting"), ("2", "finished"), ("3", "cancel_pending")):
        row = j.begin(provider="sandbox", profile="ci", base_url=None, service="tg", country="0")
        j.complete(row, Activation(oid, "+1" + oid, "tg", "0", price=Decimal("2.5"), currency="P"))
        j.record(oid, state)
    rental = j.begin(
        provider="sandbox", profile="ci", base_url=None, service="tg", country="0", kind="rental"
    )
    j.complete_order(
        rental, order_id="1", number="+9", price=Decimal(7), currency="P", state="active"
    )
    j.begin(provider="sandbox", profile=None, base_url=None, service="tg", country=None)
    j.close()  # the last one: a purchase whose outcome is unknown (no id)
    return folder / "journal.sqlite3"


def test_push_copies_the_open_orders_once(isolated_env: Path, pg_url: str) -> None:
    path = offline_journal(isolated_env / "offline")
    shared = JournalBackend("postgresql", Path("/nonexistent"), pg_url)
    env = {"OTPCLI_JOURNAL_URL": pg_url}
    r = run(["journal", "push", "--from", str(path)], env=env)
    assert r.exit_code == 0, r.output
    assert r.stdout == "" and r.stderr.startswith("3 of 4 open order(s) copied to postgresql://")
    rows = shared.rows()
    assert [(o["order_id"], o["kind"], o["state"], o["price"]) for o in rows] == [
        ("1", "activation", "waiting", "2.5"),
        ("3", "activation", "cancel_pending", "2.5"),
        ("1", "rental", "active", "7"),
    ]
    assert all(o["owner_pid"] is None and o["profile"] == "ci" for o in rows)
    assert {o["runner"] for o in rows} == {owner.runner_id()}  # the runner that bought them
    r = run(["--json", "journal", "push", "--from", str(path.parent)], env=env)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["copied"] == 0
    assert len(shared.rows()) == 3
    # What was pushed is settled from the shared journal like any order of it.
    doc = json.loads(run(["orders", "--json"], env=env).stdout)
    assert doc["spent"] == {"P": "12.00"}


def test_push_from_the_state_dir_by_default(isolated_env: Path, pg_url: str) -> None:
    offline_journal(isolated_env / "state")
    r = run(["journal", "push"], env={"OTPCLI_JOURNAL_URL": pg_url})
    assert r.exit_code == 0, r.output
    assert r.stderr.startswith("3 of 4 ")


def test_push_needs_a_shared_journal_and_a_local_one(isolated_env: Path, pg_url: str) -> None:
    r = run(["journal", "push"])
    assert r.exit_code == 3 and "no shared journal" in r.stderr
    r = run(
        ["journal", "push", "--from", str(isolated_env / "nowhere")],
        env={"OTPCLI_JOURNAL_URL": pg_url},
    )
    assert r.exit_code == 3 and "no local journal" in r.stderr


def test_push_tells_orders_of_other_places_apart_and_keeps_the_runner(
    isolated_env: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runner B's in-process simulator numbered its orders as runner A's did: A's offline
    orders are not B's, so they are copied, as A's. An order at the same base URL is the
    same order, whoever bought it."""
    shared = JournalBackend("postgresql", Path("/nonexistent"), pg_url)
    monkeypatch.setenv("OTPCLI_RUNNER_ID", "B")
    j = shared.open()
    for oid, url in (("1", None), ("3", None), ("5", "https://p.test")):
        row = j.begin(provider="sandbox", profile="ci", base_url=url, service="tg", country="0")
        j.complete(row, Activation(oid, "+2", "tg", "0", price=Decimal(1), currency="P"))
    j.close()
    monkeypatch.setenv("OTPCLI_RUNNER_ID", "A")
    path = offline_journal(isolated_env / "offline")
    j = Journal(path.parent)
    row = j.begin(
        provider="sandbox", profile="ci", base_url="https://p.test", service="tg", country="0"
    )
    j.complete(row, Activation("5", "+3", "tg", "0", price=Decimal(1), currency="P"))
    j.close()
    # A row written before runners were recorded is this runner's.
    with sqlite3.connect(path) as db:
        db.execute("UPDATE orders SET runner=NULL WHERE order_id='3'")
    db.close()
    r = run(["--json", "journal", "push", "--from", str(path)], env={"OTPCLI_JOURNAL_URL": pg_url})
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["copied"] == 3  # 1, 3, the rental 1; not 5 (already there)
    pushed = [(o["order_id"], o["kind"], o["runner"]) for o in shared.rows()[3:]]
    assert pushed == [("1", "activation", "A"), ("3", "activation", "A"), ("1", "rental", "A")]
    r = run(["--json", "journal", "push", "--from", str(path)], env={"OTPCLI_JOURNAL_URL": pg_url})
    assert json.loads(r.stdout)["copied"] == 0
