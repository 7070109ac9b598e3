"""The journal's PostgreSQL backend itself: its versioned schema, concurrent first use,
writers serialised by the advisory lock, and the SQL it shares with SQLite.

The behaviour of the journal is tested on both backends (tests/test_journal.py,
tests/test_orphans.py ...); these are the things only PostgreSQL has.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time
from decimal import Decimal

import pytest

from otpcli.domain.models import Activation
from otpcli.services.journal import SCHEMA_VERSION, Journal
from otpcli.services.journal_pg import PgBackend, masked
from tests.journal_backends import JournalBackend


@pytest.fixture
def pg(pg_url: str, isolated_env: object) -> JournalBackend:
    from pathlib import Path

    return JournalBackend("postgresql", Path("/nonexistent"), pg_url)


def test_a_new_database_is_migrated_to_the_current_version(pg: JournalBackend) -> None:
    j = pg.open()
    assert j.count() == 0
    assert j.schema_version() == SCHEMA_VERSION
    j.close()
    assert pg.execute("SELECT version FROM otpcli_schema") == [{"version": SCHEMA_VERSION}]
    tables = {r["tablename"] for r in pg.execute("SELECT tablename FROM pg_tables")}
    assert {"orders", "events", "seen", "spend", "otpcli_schema"} <= tables
    pg.open().close()  # a second open finds nothing to migrate
    assert len(pg.execute("SELECT version FROM otpcli_schema")) == 1


def test_a_journal_at_an_older_version_is_migrated_and_keeps_its_rows(pg: JournalBackend) -> None:
    j = pg.open()
    row = j.begin(provider="p", profile=None, base_url=None, service="tg", country=None)
    j.complete(row, Activation("5", "+1", "tg", None, price=Decimal("2.50"), currency="P"))
    j.close()
    # Back to version 1: no spend table, no trigger.
    pg.execute("DROP TABLE spend")
    pg.execute("DROP FUNCTION otpcli_spend CASCADE")
    pg.execute("UPDATE otpcli_schema SET version = 1")
    j = pg.open()
    assert j.spent() == {"P": Decimal("2.50")}
    assert j.schema_version() == SCHEMA_VERSION
    j.close()


def _open_and_buy(url: str, n: int) -> None:
    j = Journal(backend=PgBackend(url))
    for k in range(n):
        row = j.begin(provider="p", profile=None, base_url=None, service="tg", country=None)
        j.complete(row, Activation(f"{row}-{k}", "+1", "tg", None, price=Decimal("1")))
    j.close()


def test_many_processes_on_a_fresh_database_at_once(pg: JournalBackend) -> None:
    """Concurrent first runs of a fleet: one migrates, the others wait, none fails."""
    assert pg.url is not None
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_open_and_buy, args=(pg.url, 5)) for _ in range(12)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * 12
    assert len(pg.rows()) == 60
    assert pg.execute("SELECT micros FROM spend") == [{"micros": 60_000_000}]


def test_a_writer_waits_for_the_one_in_its_transaction(pg: JournalBackend) -> None:
    """The advisory lock: a check made inside `_tx()` (the spending cap) sees every
    write before it, across connections, as BEGIN IMMEDIATE does on one SQLite file."""
    first, second = pg.open(), pg.open()
    first.count(), second.count()  # both connected and migrated
    done: list[float] = []

    def write() -> None:
        second.begin(provider="p", profile=None, base_url=None, service="tg", country=None)
        done.append(time.monotonic())

    with first._tx() as db:
        db.execute("SELECT 1")
        worker = threading.Thread(target=write)
        worker.start()
        time.sleep(0.3)
        assert done == []  # blocked on the lock
        released = time.monotonic()
    worker.join(10)
    assert done and done[0] >= released
    first.close()
    second.close()


def test_rows_read_by_name_and_index_and_seen_keys_stay_unique(pg: JournalBackend) -> None:
    j = pg.open()
    row = j.begin(provider="p", profile=None, base_url=None, service="tg", country=None)
    j.add_seen(row, ["a", "b"])
    j.add_seen(row, ["a"])
    assert j.seen_keys(row) == {"a", "b"}
    assert j.leftovers().orphans == 0
    j.close()


def test_the_password_is_masked() -> None:
    assert masked("postgresql://ci:s3cret@db.example:5432/otp") == (
        "postgresql://ci:***@db.example:5432/otp"
    )
    assert masked("postgresql://db/otp?user=ci&password=s3cret") == (
        "postgresql://db/otp?user=ci&password=***"
    )
    assert masked("postgresql:///otp") == "postgresql:///otp"


def test_a_long_listing_streams_in_batches(pg: JournalBackend) -> None:
    j = pg.open()
    for k in range(1203):
        row = j.begin(provider="p", profile=None, base_url=None, service="tg", country=None)
        if k % 2:
            j.complete(row, Activation(str(k), "+1", "tg", None))
    listing = j.iter_orders(newest_first=False)
    first = next(listing)
    assert first.row == 1 and first.state == "pending"
    j.begin(provider="p", profile=None, base_url=None, service="tg", country=None)
    rest = list(listing)  # other statements ran on the connection meanwhile
    assert len(rest) == 1202 and rest[-1].row == 1203
    assert [o.row for o in j.iter_orders(limit=3)] == [1204, 1203, 1202]
    assert j.count(active=True) == 1204
    j.close()


def _buy_under_cap(url: str | None, state_dir: str, tries: int) -> None:
    from otpcli.domain.errors import SpendCapReached
    from otpcli.services.spending import Cap

    backend = PgBackend(url) if url else None
    j = Journal(state_dir, backend=backend)
    cap = Cap(Decimal("5"), "day", "--max-spend", "PLAY")
    for _ in range(tries):
        with contextlib.suppress(SpendCapReached):
            j.begin(
                provider="p",
                profile=None,
                base_url=None,
                service="tg",
                country=None,
                reserve=Decimal("1"),
                cap=cap,
            )
    j.close()


def test_the_cap_check_and_the_row_are_one_transaction(journal_backend: JournalBackend) -> None:
    """12 processes racing begin() under a cap with room for 5: exactly 5 rows, on
    either backend (the advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite)."""
    ctx = multiprocessing.get_context("fork")
    args = (journal_backend.url, str(journal_backend.state_dir), 3)
    procs = [ctx.Process(target=_buy_under_cap, args=args) for _ in range(12)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * 12
    assert len(journal_backend.rows()) == 5


def test_a_failure_after_opening_names_the_opened_server_with_its_password_masked(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The URL may come from a profile, not the environment: the error still names the
    server this process opened, and never shows its password (psycopg may quote it)."""
    from urllib.parse import urlsplit, urlunsplit

    from otpcli.services import journal_pg

    monkeypatch.delenv("OTPCLI_JOURNAL_URL", raising=False)
    monkeypatch.setattr(journal_pg, "_OPENED", [])
    parts = urlsplit(pg_url)
    netloc = f"{parts.username or 'postgres'}:s3cret-pw@{parts.hostname or ''}" + (
        f":{parts.port}" if parts.port else ""
    )
    url = urlunsplit(parts._replace(netloc=netloc))
    journal_pg.PgBackend(url).connect().close()  # trust auth ignores the password
    err = journal_pg.failure(RuntimeError(f"server closed the connection ({url}) s3cret-pw"))
    assert err.exit_code == 3
    assert "s3cret-pw" not in err.message and parts.path in err.message
    assert "***" in err.message
