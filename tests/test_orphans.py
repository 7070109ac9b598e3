"""Orphans: the journal names the process that owns a waiting order and tells a dead one.

Unit level: owner liveness (boot id, reused pid, another host), the schema migration of
an old journal, ownership taken by `begin`/`claim` and released by `close`, the leftover
line, and `settle_orphans` against a fake provider (code shown, refund, refusal). The
real SIGKILL is in tests/e2e/test_orphans.py.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from otpcli.domain.errors import OrderStateError
from otpcli.domain.models import ActionResult, Activation, State, StatusResult
from otpcli.services import owner as owner_mod
from otpcli.services.journal import SCHEMA_VERSION, Journal, Leftovers
from otpcli.services.orphans import settle_orphans
from otpcli.services.owner import Owner
from tests.journal_backends import JournalBackend


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # reaped: no such process (reuse within the test is unlikely)


def test_this_process_is_alive() -> None:
    me = owner_mod.this_process()
    assert me.pid == os.getpid()
    assert owner_mod.alive(me) is True


def test_a_dead_pid_another_boot_or_a_reused_pid_is_dead() -> None:
    me = owner_mod.this_process()
    assert owner_mod.alive(me._replace(pid=dead_pid())) is False
    if sys.platform == "linux":  # boot id and start time come from /proc: never missing
        assert me.boot is not None and me.start is not None
    if me.boot is not None:
        assert owner_mod.alive(me._replace(boot="another-boot")) is False
    if me.start is not None:
        # Our own pid but another start time: the pid was reused (a restarted container).
        assert owner_mod.alive(me._replace(pid=os.getppid(), start=1)) is False


def test_another_host_cannot_be_told() -> None:
    me = owner_mod.this_process()
    assert owner_mod.alive(me._replace(host=me.host + "-elsewhere")) is None


def test_start_time_reads_a_name_with_spaces_and_parentheses() -> None:
    fields = " ".join(str(i) for i in range(3, 60))  # field N holds N
    assert owner_mod.parse_start(f"42 (a) b) c) {fields}") == 22
    assert owner_mod.parse_start("42 (x) R") is None


OLD_SCHEMA = """
CREATE TABLE orders (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL DEFAULT 'activation',
    provider TEXT NOT NULL, profile TEXT, base_url TEXT, service TEXT, country TEXT,
    order_id TEXT, number TEXT, price TEXT, currency TEXT, state TEXT NOT NULL, code TEXT,
    text TEXT, note TEXT, expires_at REAL, created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX orders_order_id ON orders(order_id);
CREATE TABLE seen (order_row INTEGER NOT NULL, key TEXT NOT NULL, PRIMARY KEY (order_row, key));
CREATE TABLE events (order_row INTEGER NOT NULL, at REAL NOT NULL, state TEXT NOT NULL,
    detail TEXT);
INSERT INTO orders (provider, order_id, price, currency, state, created_at, updated_at)
    VALUES ('otpx', '111', '5.50', 'INR', 'waiting', 1, 1);
"""


def test_an_old_journal_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "journal.sqlite3")
    db.executescript(OLD_SCHEMA)
    db.close()
    j = Journal(tmp_path)
    (row,) = j.orders()
    assert (row.order_id, row.price, row.owner) == ("111", Decimal("5.50"), None)
    assert j.orphans() == []  # an order nobody waits on belongs to the user
    j.close()
    db = sqlite3.connect(tmp_path / "journal.sqlite3")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"orders_state", "orders_owned", "orders_order_id"} <= indexes
    plan = " ".join(
        str(r) for r in db.execute("EXPLAIN QUERY PLAN SELECT * FROM orders WHERE state='waiting'")
    )
    assert "orders_state" in plan
    db.close()
    Journal(tmp_path).close()  # a second open finds nothing to migrate


def bought(j: Journal, order_id: str) -> int:
    row = j.begin(provider="sandbox", profile=None, base_url=None, service="tg", country=None)
    j.complete(row, Activation(order_id, "+100", "tg", None, price=Decimal("2"), currency="P"))
    return row


def orphan_it(
    jb: JournalBackend, row: int, state: str = "waiting", code: str | None = None
) -> None:
    """Make `row` look owned by a process that died."""
    me = owner_mod.this_process()
    jb.execute(
        "UPDATE orders SET owner_host=?, owner_boot=?, owner_pid=?, owner_start=?, state=?,"
        " code=? WHERE rowid=?",
        (me.host, me.boot, dead_pid(), me.start, state, code, row),
    )


def test_buying_owns_the_row_until_close_and_claim_takes_over(
    journal_backend: JournalBackend,
) -> None:
    j = journal_backend.open()
    row = bought(j, "1")
    assert j.find("1") is not None and j.find("1").owner == owner_mod.this_process()  # type: ignore[union-attr]
    j.close()
    other = journal_backend.open()
    assert other.find("1").owner is None  # type: ignore[union-attr]
    orphan_it(journal_backend, row)
    assert [o.order_id for o in other.orphans()] == ["1"]
    assert other.leftovers() == Leftovers(1, 0)
    assert "otp cancel --pending" in (other.leftovers().line() or "")
    other.claim("1", provider="sandbox")  # `otp wait 1` in a new process
    assert other.orphans() == []
    other.close()
    assert journal_backend.open().orphans() == []


class FakeProvider:
    title = "Fake"

    def __init__(self, states: list[StatusResult], cancel_error: bool = False) -> None:
        self.states = states
        self.cancel_error = cancel_error
        self.cancelled: list[str] = []
        self.pending: list[str] = []

    def supports(self, _cap: object) -> bool:
        return True

    def status(self, oid: str) -> StatusResult:
        return self.states.pop(0)

    def cancel(self, oid: str) -> ActionResult:
        if self.cancel_error:
            raise OrderStateError("too early", provider_word="EARLY_CANCEL_DENIED")
        self.cancelled.append(oid)
        return ActionResult(oid, "cancel", State.CANCELLED, f"{oid} cancelled", refunded=True)

    def mark_cancel_pending(self, oid: str, why: str) -> None:
        self.pending.append(oid)


def opener(provider: FakeProvider) -> Any:
    @contextmanager
    def open_order(_row: object) -> Iterator[tuple[FakeProvider, None]]:
        yield provider, None

    return open_order


def st(oid: str, state: State, code: str | None = None) -> StatusResult:
    return StatusResult(oid, state, code=code)


def test_settle_cancels_shows_codes_and_reports_refusals(journal_backend: JournalBackend) -> None:
    j = journal_backend.open()
    rows = {oid: bought(j, oid) for oid in ("1", "2", "3", "4")}
    j.close()
    for oid, row in rows.items():
        orphan_it(
            journal_backend,
            row,
            **({"state": "code_received", "code": "777"} if oid == "4" else {}),
        )
    fake = FakeProvider(
        [st("3", State.WAITING), st("2", State.CODE_RECEIVED, "123456"), st("1", State.WAITING)]
    )
    codes: list[str] = []
    j = journal_backend.open()
    done = settle_orphans(j, opener(fake), wait=False, on_code=lambda s: codes.append(s.code or ""))
    assert [(d.order_id, d.state) for d in done] == [
        ("4", "code_received"),
        ("3", "cancelled"),
        ("2", "code_received"),
        ("1", "cancelled"),
    ]
    assert codes == ["777", "123456"] and fake.cancelled == ["3", "1"]
    assert j.orphans() == []  # settled once
    j.close()


def test_a_refused_cancel_is_an_error_and_marks_cancel_pending(
    journal_backend: JournalBackend,
) -> None:
    j = journal_backend.open()
    orphan_it(journal_backend, bought(j, "9"))
    fake = FakeProvider([st("9", State.WAITING), st("9", State.WAITING)], cancel_error=True)
    (done,) = settle_orphans(j, opener(fake), wait=False)
    assert done.error is not None and "cancel_pending" in done.error.message
    assert fake.pending == ["9"]
    j.close()


def test_a_purchase_killed_in_flight_becomes_unknown(journal_backend: JournalBackend) -> None:
    j = journal_backend.open()
    row = j.begin(provider="sandbox", profile=None, base_url=None, service="tg", country=None)
    j.close()
    orphan_it(journal_backend, row, state="pending")
    j = journal_backend.open()
    (done,) = settle_orphans(j, opener(FakeProvider([])), wait=False)
    assert done.state == "unknown" and j.orders()[0].state == "unknown"
    j.close()


def test_owner_is_a_plain_tuple() -> None:
    assert Owner("h", None, 1, None)._asdict() == {
        "host": "h",
        "boot": None,
        "pid": 1,
        "start": None,
        "runner": None,
    }
