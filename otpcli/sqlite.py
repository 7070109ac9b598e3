"""The one way otp opens an SQLite file shared by several processes (journal, sandbox).

WAL mode, a busy timeout, autocommit (transactions are explicit `BEGIN IMMEDIATE`), and
usable from the threads of one process under the caller's own lock. Switching a new file
to WAL needs a moment alone with it, and SQLite answers "database is locked" at once
(without waiting out the busy timeout) when another process is doing the same: that first
step is retried for a few seconds, so parallel `otp` processes can start on a fresh
state dir together.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

BUSY_SECONDS = 30.0


def connect(path: Path, *, busy_seconds: float = BUSY_SECONDS) -> sqlite3.Connection:
    conn = sqlite3.connect(
        path, timeout=busy_seconds, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
        give_up = time.monotonic() + busy_seconds
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > give_up:
                    raise
                time.sleep(0.01)
        conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn
