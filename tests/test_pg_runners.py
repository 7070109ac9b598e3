"""Runners sharing a journal: each row names its runner, a heartbeat keeps the owner's
lease, and `otp cancel --pending --all-runners` settles the orders of a runner that
died (its lease expired). On both backends (the `journal_backend` fixture)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from otpcli.domain.models import Activation
from otpcli.sandbox.httpd import start_background
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
    journal_backend: JournalBackend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("OTPCLI_RUNNER_LEASE", "5")
    monkeypatch.setenv("OTPCLI_SANDBOX_EARLY_CANCEL", "0")
    # Both runners reach one simulator by its URL, as runners reach a provider.
    server = start_background(tmp_path / "simulator")
    monkeypatch.setenv("OTPCLI_BASE_URL", server.base_url)
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
    server.stop()


def two_rows(jb: JournalBackend, oid: str, *, base_url: str | None = None) -> tuple[int, int]:
    """Order `oid` bought by runner B, then by runner A (newer), at the same place."""
    rows = []
    for runner in ("B", "A"):
        os.environ["OTPCLI_RUNNER_ID"] = runner
        j = jb.open()
        row = j.begin(provider="p", profile=None, base_url=base_url, service="tg", country=None)
        j.complete(row, Activation(oid, "+1" + runner, "tg", None))
        j.close()
        rows.append(row)
    return rows[0], rows[1]


def test_an_order_id_finds_this_runners_row_of_its_place(
    journal_backend: JournalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTPCLI_RUNNER_ID", "B")
    mine, theirs = two_rows(journal_backend, "5000000001")
    monkeypatch.setenv("OTPCLI_RUNNER_ID", "B")
    j = journal_backend.open()
    # Runner A's row is newer, but it lives on a simulator inside runner A (no base URL).
    found = j.find("5000000001", provider="p")
    assert found is not None and found.row == mine
    assert j.find("5000000001", provider="p", base_url=None).row == mine  # type: ignore[union-attr]
    assert j.find("5000000001", provider="p", base_url="https://elsewhere") is None
    j.record("5000000001", "cancelled", provider="p", base_url=None)
    j.claim("5000000001", provider="p", base_url=None)
    j.close()
    by_row = {r["rowid"]: r for r in journal_backend.rows()}
    assert by_row[mine]["state"] == "cancelled" and by_row[theirs]["state"] == "waiting"
    # From a third runner neither row is reachable: never found, never claimed.
    monkeypatch.setenv("OTPCLI_RUNNER_ID", "C")
    j = journal_backend.open()
    j.claim("5000000001", provider="p")
    assert j.find("5000000001") is None
    j.close()
    assert all(r["owner_pid"] is None for r in journal_backend.rows())


def test_rows_with_a_base_url_are_told_apart_by_it(
    journal_backend: JournalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    j = journal_backend.open()
    rows = {}
    for url in ("https://one.test", "https://two.test"):
        rows[url] = j.begin(provider="p", profile=None, base_url=url, service="tg", country=None)
        j.complete(rows[url], Activation("7", "+1", "tg", None))
    j.record("7", "cancelled", provider="p", base_url="https://one.test")
    assert j.find("7", provider="p", base_url="https://one.test").state == "cancelled"  # type: ignore[union-attr]
    assert j.find("7", provider="p", base_url="https://two.test").state == "waiting"  # type: ignore[union-attr]
    j.close()


def test_all_runners_never_takes_a_row_on_another_runners_simulator(
    journal_backend: JournalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTPCLI_RUNNER_LEASE", "5")
    theirs = two_rows(journal_backend, "5000000001")[1]
    reachable = two_rows(journal_backend, "9", base_url="https://provider.test")[1]
    for row in (theirs, reachable):
        as_other_runner(journal_backend, row, seen=time.time() - 30)
    monkeypatch.setenv("OTPCLI_RUNNER_ID", "B")
    j = journal_backend.open()
    assert [o.row for o in j.orphans(all_runners=True)] == [reachable]
    journal_backend.execute("UPDATE orders SET state='cancel_pending' WHERE rowid=?", (theirs,))
    assert j.leftovers().cancel_pending == 0
    j.close()


# Two runners share a journal only on a server: PostgreSQL alone.
@pytest.mark.parametrize("journal_backend", ["postgresql"], indirect=True)
def test_cancel_pending_all_runners_leaves_another_runners_simulator_alone(
    journal_backend: JournalBackend, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The reviewer's case: each runner runs its own simulator in process (no base URL),
    which numbers its orders alike; runner A died with order N open, runner B holds its
    own live order N. Settling from B must not cancel B's number, nor touch A's row."""
    monkeypatch.setenv("OTPCLI_RUNNER_LEASE", "5")
    monkeypatch.setenv("OTPCLI_SANDBOX_EARLY_CANCEL", "0")
    monkeypatch.setenv("OTPCLI_SANDBOX_SMS_DELAY", "30000")
    a = {"OTPCLI_RUNNER_ID": "A", "OTPCLI_STATE_DIR": str(tmp_path / "a")}
    b = {"OTPCLI_RUNNER_ID": "B", "OTPCLI_STATE_DIR": str(tmp_path / "b")}
    r = run(["--sandbox", "buy", "never"], env=a)
    assert r.exit_code == 0, r.output
    oid = r.stdout.split()[0]
    (row_a,) = journal_backend.rows()
    as_other_runner(journal_backend, int(row_a["rowid"]), seen=time.time() - 30)
    (row_a,) = journal_backend.rows()
    r = run(["--sandbox", "buy", "tg"], env=b)
    assert r.exit_code == 0, r.output
    assert r.stdout.split()[0] == oid  # the same id, in B's own simulator
    r = run(["--sandbox", "--json", "cancel", "--pending", "--all-runners"], env=b)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["settled"] == []
    r = run(["--sandbox", "--json", "status", oid], env=b)
    assert json.loads(r.stdout)["state"] == "waiting", r.output  # B's number still live
    after_a, after_b = journal_backend.rows()
    assert after_a["state"] == "waiting" and after_a["owner_runner"] == "A"
    assert (after_a["owner_pid"], after_a["owner_seen"]) == (
        row_a["owner_pid"],
        row_a["owner_seen"],
    )
    assert after_b["state"] == "waiting" and after_b["runner"] == "B"


def test_a_failed_settle_gives_the_dead_owner_back(
    journal_backend: JournalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import contextmanager

    from otpcli.services.orphans import settle_orphans

    monkeypatch.setenv("OTPCLI_RUNNER_LEASE", "5")
    j = journal_backend.open()
    row = j.begin(provider="p", profile=None, base_url="https://p.test", service="tg", country=None)
    j.complete(row, Activation("8", "+1", "tg", None))
    j.close()
    as_other_runner(journal_backend, row, seen=time.time() - 30)
    (before,) = journal_backend.rows()

    @contextmanager
    def broken(_row: object) -> Iterator[object]:
        raise RuntimeError("unforeseen")
        yield  # pragma: no cover

    j = journal_backend.open()
    with pytest.raises(RuntimeError):
        settle_orphans(j, broken, wait=False, all_runners=True)
    j.close()
    (after,) = journal_backend.rows()
    owner = ("owner_host", "owner_pid", "owner_start", "owner_runner", "owner_seen")
    assert {k: after[k] for k in owner} == {k: before[k] for k in owner}


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
