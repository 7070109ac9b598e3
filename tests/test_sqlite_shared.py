"""Several otp processes (or threads) opening a fresh state dir at the same moment."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from otpcli.sandbox.state import SandboxState
from otpcli.services.journal import Journal


def _open_both(state_dir: str) -> None:
    state = SandboxState(state_dir)
    state.balance()
    state.close()
    journal = Journal(state_dir)
    journal.orders()
    journal.close()


def test_fresh_state_dir_opened_by_many_processes_at_once(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    for round_ in range(5):
        state_dir = str(tmp_path / f"state{round_}")
        procs = [ctx.Process(target=_open_both, args=(state_dir,)) for _ in range(8)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0] * 8


def test_wal_switch_waits_for_a_writer_instead_of_failing(tmp_path: Path) -> None:
    """The race behind "database is locked" on a fresh state dir, made deterministic:
    one connection is writing (not yet in WAL mode) while another opens the file."""
    import sqlite3
    import threading
    import time

    from otpcli.sqlite import connect

    path = tmp_path / "fresh.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE t (x)")
    # Before the timer starts: the COMMIT comes no sooner than 0.3 s after this.
    started = time.monotonic()
    threading.Timer(0.3, lambda: writer.execute("COMMIT")).start()
    conn = connect(path, busy_seconds=5)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert time.monotonic() - started >= 0.2  # it waited for the writer
    conn.close()
    writer.close()
