"""A CI fleet on one shared PostgreSQL journal: two runners × 20 `otp` processes buying
at once on one sandbox server, then a runner killed mid-wait and its order settled from
the other runner.

Each runner has its own state dir and `OTPCLI_RUNNER_ID`; both point `OTPCLI_JOURNAL_URL`
at one database and `OTPCLI_BASE_URL` at one `otp sandbox serve`, under one spending cap
(`OTPCLI_MAX_SPEND`) that leaves room for exactly `ROOM` of the 40 purchases. Checked:
exactly `ROOM` buyers succeed and the rest exit 6 with nothing sent (the sandbox sold
exactly `ROOM`: the cap is never overshot, across runners); every purchase the sandbox
made is in the journal exactly once, with the runner that bought it; the order of a
`otp buy --wait` killed with SIGKILL is not settled by the other runner while its lease
may still hold, and is refunded by `otp cancel --pending --all-runners` after.

A variant runs the sandbox inside each runner's processes (no base URL): the two
simulators number their orders alike, and settling from one runner must never cancel
its own number of the same id as the dead runner's.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.e2e.conftest import Child, Otp
from tests.journal_backends import JournalBackend

PER_RUNNER = 20
ROOM = 25  # purchases the cap leaves room for in the race of 2 x PER_RUNNER
LEASE = "3"  # seconds a dead runner's order stays its own


@pytest.fixture
def server(otp_exe: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`otp sandbox serve` on loopback: its base URL and its state dir."""
    host = Otp(otp_exe, tmp_path / "server", scale="100")
    # A dialect whose replies name their currency as the driver does (hero-sms: USD), so
    # the cap, counted per currency, sees every purchase.
    child = host.popen(
        "sandbox", "serve", "--port", "0", "--early-cancel", "0", "--dialect", "herosms"
    )
    try:
        url = child.out.until("\n", 15).splitlines()[0]
        yield url, host.state_dir
        child.proc.send_signal(signal.SIGINT)
        assert child.finish(15).returncode == 0
    finally:
        child.kill()


def runner(otp_exe: Path, tmp: Path, name: str, base_url: str, journal_url: str) -> Otp:
    otp = Otp(otp_exe, tmp / name, scale="100")
    otp.env.update(
        OTPCLI_PROVIDER="herosms",
        OTPCLI_BASE_URL=base_url,
        OTPCLI_API_KEY="play",
        OTPCLI_JOURNAL_URL=journal_url,
        OTPCLI_RUNNER_ID=name,
        OTPCLI_RUNNER_LEASE=LEASE,
    )
    return otp


def sandbox_orders(state_dir: Path) -> dict[str, str]:
    """The sandbox's own record of what it sold: id -> state."""
    db = sqlite3.connect(state_dir / "sandbox.sqlite3", timeout=30)
    try:
        return dict(db.execute("SELECT id, state FROM orders").fetchall())
    finally:
        db.close()


def balance(otp: Otp) -> str:
    return str(otp("--json", "balance").expect(0).json()["balance"])


def test_two_runners_twenty_processes_each_one_journal(
    otp_exe: Path, tmp_path: Path, server: tuple[str, Path], pg_url: str
) -> None:
    base_url, server_state = server
    a, b = (runner(otp_exe, tmp_path, n, base_url, pg_url) for n in ("A", "B"))
    shared = JournalBackend("postgresql", tmp_path, pg_url)
    start = Decimal(balance(a))
    # With the country named, a purchase's bound is its price: the race is exact.
    first = a("buy", "tg", "-c", "india").expect(0).stdout.split()[0]
    price = start - Decimal(balance(a))
    cap = price * (ROOM + 1) + price / 2  # the first purchase and ROOM more, never one more
    for otp in (a, b):
        otp.env["OTPCLI_MAX_SPEND"] = f"{cap}/day"

    buyers: list[Child] = [
        o.popen("buy", "tg", "-c", "india") for _ in range(PER_RUNNER) for o in (a, b)
    ]
    results = [c.finish(60) for c in buyers]
    codes = Counter(r.returncode for r in results)
    assert codes == {0: ROOM, 6: 2 * PER_RUNNER - ROOM}, [str(r) for r in results]
    for res in results:
        if res.returncode == 6:
            assert "spending cap reached" in res.stderr and "nothing was sent" in res.stderr
    bought = [first] + [r.stdout.split()[0] for r in results if r.returncode == 0]
    assert len(set(bought)) == ROOM + 1

    sold = sandbox_orders(server_state)
    rows = shared.rows()
    journaled = Counter(r["order_id"] for r in rows)
    assert set(journaled) == set(sold) == set(bought)  # the sandbox sold no more than that
    assert set(journaled.values()) == {1}  # every purchase journaled exactly once
    assert len(rows) == ROOM + 1  # a refused purchase writes no row
    assert sum(Decimal(r["price"]) for r in rows) <= cap
    by_runner = Counter(r["runner"] for r in rows)
    won = Counter(("A", "B")[i % 2] for i, r in enumerate(results) if r.returncode == 0)
    assert by_runner == won + Counter({"A": 1})
    assert all(r["owner_pid"] is None for r in rows)  # each buyer released its row
    after_buys = balance(b)
    assert Decimal(after_buys) == start - price * (ROOM + 1)
    for otp in (a, b):
        del otp.env["OTPCLI_MAX_SPEND"]

    # Runner A dies (SIGKILL) while it waits on an order that gets no SMS.
    child = a.popen("buy", "never", "--wait", "--timeout", "300", "--interval", "1")
    child.err.until("(poll 1", 30)
    child.proc.send_signal(signal.SIGKILL)
    assert child.finish(20).returncode == -signal.SIGKILL
    (killed,) = [r for r in shared.rows() if r["service"] == "never"]
    assert (killed["state"], killed["owner_runner"]) == ("waiting", "A")
    assert balance(b) != after_buys  # the money is with the provider

    # Runner B cannot tell a process of runner A: within the lease nothing is settled.
    res = b("--json", "cancel", "--pending", "--all-runners").expect(0)
    assert res.json() == {"settled": []}
    time.sleep(float(LEASE) + 0.5)
    res = b("--json", "cancel", "--pending").expect(0)
    assert res.json() == {"settled": []}  # without --all-runners: not B's to judge
    res = b("--json", "cancel", "--pending", "--all-runners").expect(0)
    (settled,) = res.json()["settled"]
    assert (settled["id"], settled["state"]) == (killed["order_id"], "cancelled")
    assert balance(b) == after_buys  # refunded
    assert sandbox_orders(server_state)[killed["order_id"]] == "cancelled"
    (row,) = [r for r in shared.rows() if r["service"] == "never"]
    assert (row["state"], row["owner_pid"], row["runner"]) == ("cancelled", None, "A")
    # Both runners see the one ledger.
    assert len(json.loads(a("orders", "--all", "--json").stdout)["orders"]) == ROOM + 2


def test_runners_with_in_process_sandboxes_never_settle_each_others_numbers(
    otp_exe: Path, tmp_path: Path, pg_url: str
) -> None:
    """Each runner runs the sandbox inside its own processes (no base URL): the two
    simulators number their orders alike. Runner A dies waiting on order N; runner B
    holds its own live order N. `--all-runners` from B cannot reach A's simulator: it
    settles nothing, B's number stays live, A's row keeps its dead owner."""
    a, b = (Otp(otp_exe, tmp_path / n, scale="100") for n in ("A", "B"))
    for name, otp in (("A", a), ("B", b)):
        otp.env.update(
            OTPCLI_PROVIDER="sandbox",
            OTPCLI_JOURNAL_URL=pg_url,
            OTPCLI_RUNNER_ID=name,
            OTPCLI_RUNNER_LEASE=LEASE,
            OTPCLI_SANDBOX_SMS_DELAY="30000",
            OTPCLI_SANDBOX_EARLY_CANCEL="0",
        )
    shared = JournalBackend("postgresql", tmp_path, pg_url)
    child = a.popen("buy", "never", "--wait", "--timeout", "300", "--interval", "1")
    child.err.until("(poll 1", 30)
    child.proc.send_signal(signal.SIGKILL)
    assert child.finish(20).returncode == -signal.SIGKILL
    (killed,) = shared.rows()
    mine = b("buy", "tg", "-c", "india").expect(0).stdout.split()[0]
    assert mine == killed["order_id"]  # the same id, in B's own simulator
    time.sleep(float(LEASE) + 0.5)
    res = b("--json", "cancel", "--pending", "--all-runners").expect(0)
    assert res.json() == {"settled": []}
    assert b("--json", "status", mine).expect(0).json()["state"] == "waiting"
    assert a("--json", "status", mine).expect(0).json()["state"] == "waiting"
    row_a, row_b = shared.rows()
    assert (row_a["state"], row_a["runner"], row_a["owner_runner"]) == ("waiting", "A", "A")
    assert row_a["owner_pid"] == killed["owner_pid"]
    assert (row_b["state"], row_b["runner"]) == ("waiting", "B")
