"""Runners sharing a journal: each row names its runner, a heartbeat keeps the owner's
lease, and `otp cancel --pending --all-runners` settles the orders of a runner that
died (its lease expired). On both backends (the `journal_backend` fixture)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from otpcli.domain.models import Activation
from otpcli.services import owner as owner_mod
from tests.cli_helpers import run
from tests.journal_backends import JournalBackend


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def as_other_runner(jb: JournalBackend, row: int, *, seen: float, runner: str = "A") -> None:
    """Make `row` owned by a process of runner `runner`, last seen at `seen`."""
    me = owner_mod.this_process()
    jb.execute(
        "UPDATE orders SET owner_host=?, owner_boot=?, owner_pid=?, owner_start=?,"
        " owner_runner=?, owner_seen=? WHERE rowid=?",
        (me.host, me.boot, dead_pid(), me.start, runner, seen, row),
    )


def test_rows_name_their_runner_and_a_heartbeat_keeps_the_lease(
    journal_backend: JournalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTPCLI_RUNNER_ID", "runner-b")
    monkeypatch.setenv("OTPCLI_RUNNER_LEASE", "0.4")  # a beat every 0.1 s
    j = journal_backend.open()
    row = j.begin(provider="p", profile=None, base_url=None, service="tg", country=None)
    (first,) = journal_backend.execute("SELECT owner_runner, owner_seen FROM orders")
    assert first["owner_runner"] == "runner-b"
    time.sleep(0.5)
    (later,) = journal_backend.execute("SELECT owner_seen FROM orders")
    assert later["owner_seen"] > first["owner_seen"]
    found = j.find(str(row)) or j.orders()[0]
    assert found.owner is not None and found.owner.runner == "runner-b"
    j.close()
    (released,) = journal_backend.execute("SELECT owner_runner, owner_seen FROM orders")
    assert released == {"owner_runner": None, "owner_seen": None}


def test_another_runners_rows_are_orphans_only_once_its_lease_expired(
    journal_backend: JournalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTPCLI_RUNNER_ID", "B")
    monkeypatch.setenv("OTPCLI_RUNNER_LEASE", "60")
    j = journal_backend.open()
    row = j.begin(provider="p", profile=None, base_url=None, service="tg", country=None)
    j.complete(row, Activation("42", "+1", "tg", None))
    j.close()
    as_other_runner(journal_backend, row, seen=time.time() - 10)
    j = journal_backend.open()
    # Its pid is dead here, but it belongs to runner A: this runner cannot tell.
    assert j.orphans() == []
    assert j.orphans(all_runners=True) == []  # seen 10 s ago: its lease holds
    as_other_runner(journal_backend, row, seen=time.time() - 61)
    assert [o.order_id for o in j.orphans(all_runners=True)] == ["42"]
    assert j.orphans() == []
    j.close()


def test_cancel_pending_all_runners_refunds_a_dead_runners_order(
    journal_backend: JournalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTPCLI_RUNNER_LEASE", "5")
    monkeypatch.setenv("OTPCLI_SANDBOX_EARLY_CANCEL", "0")
    before = json.loads(run(["--sandbox", "--json", "balance"]).stdout)
    r = run(["--sandbox", "buy", "never"], env={"OTPCLI_RUNNER_ID": "A"})
    assert r.exit_code == 0, r.output
    oid = r.stdout.split()[0]
    (row,) = journal_backend.rows()
    as_other_runner(journal_backend, int(row["rowid"]), seen=time.time() - 30)
    monkeypatch.setenv("OTPCLI_RUNNER_ID", "B")
    r = run(["--sandbox", "cancel", "--pending"])
    assert r.exit_code == 0, r.output
    assert "no orders are waiting" in r.stderr  # runner A's row is not B's to judge
    r = run(["--sandbox", "--json", "cancel", "--pending", "--all-runners"])
    assert r.exit_code == 0, r.output
    (settled,) = json.loads(r.stdout)["settled"]
    assert settled["id"] == oid and settled["state"] == "cancelled" and settled["orphan"]
    assert json.loads(run(["--sandbox", "--json", "balance"]).stdout) == before
    (after,) = journal_backend.rows()
    assert after["state"] == "cancelled" and after["owner_pid"] is None


def test_all_runners_goes_with_pending() -> None:
    r = run(["--sandbox", "cancel", "--all-runners", "5"])
    assert r.exit_code == 2
    assert "--pending" in r.stderr


def test_an_orphan_is_taken_by_one_settler_and_given_back_on_failure(
    journal_backend: JournalBackend,
) -> None:
    j = journal_backend.open()
    row = j.begin(provider="p", profile=None, base_url=None, service="tg", country=None)
    j.complete(row, Activation("77", "+1", "tg", None))
    j.close()
    me = owner_mod.this_process()
    as_other_runner(journal_backend, row, seen=time.time(), runner=me.runner or "")
    first, second = journal_backend.open(), journal_backend.open()
    (seen_by_first,) = first.orphans()
    (seen_by_second,) = second.orphans()
    assert first.take(seen_by_first) is True
    assert second.take(seen_by_second) is False  # two settlers at once: one wins
    assert second.orphans() == []  # a live process holds it now
    first.give_back(seen_by_first)  # could not be settled: an orphan again, as it was
    (again,) = second.orphans()
    assert again.owner == seen_by_first.owner and again.owner_seen == seen_by_first.owner_seen
    first.close()
    second.close()
