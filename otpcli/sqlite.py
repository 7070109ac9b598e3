"""The one way otp opens an SQLite file shared by several processes (journal, sandbox).

WAL mode, a busy timeout, autocommit (transactions are explicit `BEGIN IMMEDIATE`), and
usable from the threads of one process under the caller's own lock. Switching a new file
to WAL needs a moment alone with it, and SQLite answers "database is locked" at once
(without waiting out the busy timeout) when another process is doing the same: that first
step is retried for a few seconds, so parallel `otp` processes can start on a fresh
state dir together.

`SqliteBackend` is the order journal's default backend (services/journal.py `Backend`):
one file, writers serialised by `BEGIN IMMEDIATE`, the schema's version in
`PRAGMA user_version`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3

BUSY_SECONDS = 30.0


def connect(path: Path, *, busy_seconds: float = BUSY_SECONDS) -> sqlite3.Connection:
    # Imported on use: choosing this backend (every command) must not load sqlite3.
    import sqlite3

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


class SqliteBackend:
    """The journal in one SQLite file (services/journal.py `Backend`)."""

    name = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.location = str(path)

    def connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        import sqlite3

        conn = connect(self.path)
        conn.row_factory = sqlite3.Row
        return conn

    def begin(self, db: sqlite3.Connection) -> None:
        db.execute("BEGIN IMMEDIATE")

    def schema(self, portable: list[str]) -> list[str]:
        return portable

    def step(self, index: int, stmts: tuple[str, ...]) -> tuple[str, ...]:
        return stmts

    def version(self, db: Any) -> int:
        return int(db.execute("PRAGMA user_version").fetchone()[0])

    def set_version(self, db: Any, version: int) -> None:
        db.execute(f"PRAGMA user_version = {int(version)}")
