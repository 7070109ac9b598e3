"""The journal's two backends, for tests that must hold on both (the `journal_backend`
fixture in tests/conftest.py).

`JournalBackend` opens journals on its backend, reads and writes rows behind the
journal's back (to fake a dead owner), and dumps everything stored (to look for
secrets). On PostgreSQL each test gets a database of its own on one server: the URL of
`OTPCLI_TEST_PG_URL`, or a throwaway cluster started for the session (tests/pg_cluster.py).
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from otpcli.services.journal import FILE_NAME, Journal


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def create_database(server: str) -> str:
    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return with_database(server, name)


def drop_database(server: str, url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class JournalBackend:
    def __init__(self, name: str, state_dir: Path, url: str | None = None) -> None:
        self.name = name
        self.state_dir = state_dir
        self.url = url

    def __repr__(self) -> str:
        return self.name

    def backend(self) -> Any:
        if self.url is None:
            from otpcli.sqlite import SqliteBackend

            return SqliteBackend(self.state_dir / FILE_NAME)
        from otpcli.services.journal_pg import PgBackend

        return PgBackend(self.url)

    def open(self, **kwargs: Any) -> Journal:
        return Journal(backend=self.backend(), **kwargs)

    def execute(self, sql: str, args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Run `sql` (`?` placeholders) in its own transaction; the rows it returns."""
        if self.url is None:
            db = sqlite3.connect(self.state_dir / FILE_NAME)
            db.row_factory = sqlite3.Row
            try:
                with db:
                    cur = db.execute(sql, args)
                    return [dict(r) for r in cur.fetchall()] if cur.description else []
            finally:
                db.close()
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(self.url, autocommit=True, row_factory=dict_row) as conn:
            cur = conn.execute(sql.replace("?", "%s"), args)
            return list(cur.fetchall()) if cur.description else []

    def rows(self) -> list[dict[str, Any]]:
        return self.execute("SELECT * FROM orders ORDER BY rowid")

    def dump(self) -> bytes:
        """Every byte the journal stores (files, or every table as text)."""
        if self.url is None:
            return b"".join(p.read_bytes() for p in self.state_dir.glob(FILE_NAME + "*"))
        tables = ("orders", "events", "seen", "spend")
        return b"\n".join(
            str(r).encode() for t in tables for r in self.execute(f"SELECT * FROM {t}")
        )
