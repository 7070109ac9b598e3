"""The order journal: every purchase, written down before the request is sent.

Contract:
- `begin()` writes a `pending` row *before* a purchase request leaves; `complete()` fills
  in the provider's id, the number and the price after; `failed()` marks a purchase the
  provider definitely refused; `unknown()` marks one whose outcome cannot be known (the
  row stays for `otp orders` and reconciliation). A crash can leave a `pending` or
  `unknown` row, never a paid number nobody knows about.
- `record()` appends every later change (code received, finished, cancelled, refunded,
  expired, cancel_pending) with a timestamp, to the row and to its event history.
- Rows hold the provider, profile and base URL (to route `otp wait ID` back to where
  the order lives) and never the API key.
- Kinds: `activation` (SMS), `cheap` (a cheap number: an activation on another
  handler), `rental`, `renewal` (money paid to extend a rental; its order id is the
  rental's), `email`. `find(..., kinds=)` keeps routing to the orders that can be
  waited on. `complete_order()` completes a non-activation purchase; `seen_keys()` /
  `add_seen()` remember which rental messages the user has been shown.
- SQLite in WAL mode with a busy timeout; each change is one short `BEGIN IMMEDIATE`
  transaction, so several `otp` processes (parallel CI jobs) can write at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import sqlite3

    from otpcli.core.models import Activation

FILE_NAME = "journal.sqlite3"

# Row states beyond the activation states of `models.State`.
PENDING = "pending"  # purchase request about to be / being sent
UNKNOWN = "unknown"  # purchase may or may not have happened
FAILED = "failed"  # the provider refused the purchase; nothing was bought
CANCEL_PENDING = "cancel_pending"  # must be cancelled for a refund; `otp cancel --pending`
ACTIVE_STATES = (
    "pending",
    "unknown",
    "waiting",
    "code_received",
    CANCEL_PENDING,
    "active",  # a rental still running
)

# Row kinds. A renewal row shares its rental's order id but is only a payment, so
# routing and state changes look at the other kinds.
ACTIVATION, CHEAP, RENTAL, RENEWAL, EMAIL = "activation", "cheap", "rental", "renewal", "email"
ORDER_KINDS = (ACTIVATION, CHEAP, RENTAL, EMAIL)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    rowid      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL DEFAULT 'activation',
    provider   TEXT NOT NULL,
    profile    TEXT,
    base_url   TEXT,
    service    TEXT,
    country    TEXT,
    order_id   TEXT,
    number     TEXT,
    price      TEXT,
    currency   TEXT,
    state      TEXT NOT NULL,
    code       TEXT,
    text       TEXT,
    note       TEXT,
    expires_at REAL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_order_id ON orders(order_id);
CREATE TABLE IF NOT EXISTS seen (
    order_row INTEGER NOT NULL REFERENCES orders(rowid),
    key       TEXT NOT NULL,
    PRIMARY KEY (order_row, key)
);
CREATE TABLE IF NOT EXISTS events (
    order_row INTEGER NOT NULL REFERENCES orders(rowid),
    at        REAL NOT NULL,
    state     TEXT NOT NULL,
    detail    TEXT
);
"""


class Order(NamedTuple):
    row: int
    kind: str
    provider: str
    profile: str | None
    base_url: str | None
    service: str | None
    country: str | None
    order_id: str | None
    number: str | None
    price: Decimal | None
    currency: str | None
    state: str
    code: str | None
    text: str | None
    note: str | None
    expires_at: float | None
    created_at: float
    updated_at: float

    def to_json(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "kind": self.kind,
            "id": self.order_id,
            "provider": self.provider,
            "profile": self.profile,
            "service": self.service,
            "country": self.country,
            "number": self.number,
            "price": None if self.price is None else str(self.price),
            "currency": self.currency,
            "state": self.state,
            "code": self.code,
            "text": self.text,
            "note": self.note,
            "expires_at": self.expires_at,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _order(r: sqlite3.Row) -> Order:
    d = dict(r)
    d["row"] = d.pop("rowid")
    d["price"] = Decimal(d["price"]) if d["price"] is not None else None
    return Order(**d)


class Journal:
    def __init__(self, state_dir: str | Path, *, now: Any = time.time) -> None:
        self.path = Path(state_dir) / FILE_NAME
        self._now = now
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()

    @property
    def _db(self) -> sqlite3.Connection:
        # Opened on first use: commands that never touch an order (balance, prices)
        # pay nothing for the journal.
        if self._conn is None:
            import sqlite3

            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            from otpcli.core.sqlite import connect

            # Shared by the threads of a multi-wait; `_lock` serialises its use.
            conn = connect(self.path)
            conn.row_factory = sqlite3.Row
            self._conn = conn
            # executescript() would commit on its own; run the statements in one
            # transaction so concurrent first runs do not race.
            with self._tx() as db:
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        db.execute(stmt)
        return self._conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # --- writes --------------------------------------------------------------------

    def begin(
        self,
        *,
        provider: str,
        profile: str | None,
        base_url: str | None,
        service: str,
        country: str | None,
        kind: str = "activation",
    ) -> int:
        now = self._now()
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO orders (kind, provider, profile, base_url, service, country,"
                " state, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (kind, provider, profile, base_url, service, country, PENDING, now, now),
            )
            row = int(cur.lastrowid or 0)
            db.execute("INSERT INTO events VALUES (?,?,?,?)", (row, now, PENDING, "purchase sent"))
        return row

    def adopt(
        self,
        order_id: str,
        *,
        provider: str,
        profile: str | None,
        base_url: str | None,
        kind: str,
        state: str,
        note: str,
    ) -> None:
        """Start keeping an order this journal did not buy, in `state` (what was bought
        for how much is unknown here)."""
        now = self._now()
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO orders (kind, provider, profile, base_url, order_id, state, note,"
                " created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                (kind, provider, profile, base_url, order_id, state, note, now, now),
            )
            db.execute(
                "INSERT INTO events VALUES (?,?,?,?)", (int(cur.lastrowid or 0), now, state, note)
            )

    def complete(self, row: int, act: Activation, *, state: str = "waiting") -> None:
        now = self._now()
        expires = now + act.expires_in if act.expires_in else None
        with self._tx() as db:
            db.execute(
                "UPDATE orders SET order_id=?, number=?, price=?, currency=?, state=?,"
                " expires_at=?, country=COALESCE(country, ?), updated_at=? WHERE rowid=?",
                (
                    act.id,
                    act.number,
                    None if act.price is None else str(act.price),
                    act.currency,
                    state,
                    expires,
                    act.country,
                    now,
                    row,
                ),
            )
            db.execute("INSERT INTO events VALUES (?,?,?,?)", (row, now, state, "bought"))

    def complete_order(
        self,
        row: int,
        *,
        order_id: str,
        number: str | None,
        price: Decimal | None,
        currency: str | None,
        state: str,
        expires_at: float | None = None,
        note: str | None = None,
    ) -> None:
        """Complete a purchase that is not an activation (rental, renewal, e-mail)."""
        now = self._now()
        with self._tx() as db:
            db.execute(
                "UPDATE orders SET order_id=?, number=?, price=?, currency=?, state=?,"
                " expires_at=?, note=COALESCE(?, note), updated_at=? WHERE rowid=?",
                (
                    order_id,
                    number,
                    None if price is None else str(price),
                    currency,
                    state,
                    expires_at,
                    note,
                    now,
                    row,
                ),
            )
            db.execute("INSERT INTO events VALUES (?,?,?,?)", (row, now, state, note or "bought"))

    def set_expiry(self, row: int, expires_at: float | None, note: str) -> None:
        now = self._now()
        with self._tx() as db:
            db.execute(
                "UPDATE orders SET expires_at=?, updated_at=? WHERE rowid=?",
                (expires_at, now, row),
            )
            db.execute("INSERT INTO events VALUES (?,?,?,?)", (row, now, "renewed", note))

    def seen_keys(self, row: int) -> set[str]:
        return {
            r["key"] for r in self._db.execute("SELECT key FROM seen WHERE order_row=?", (row,))
        }

    def add_seen(self, row: int, keys: list[str]) -> None:
        if not keys:
            return
        with self._tx() as db:
            db.executemany(
                "INSERT OR IGNORE INTO seen (order_row, key) VALUES (?, ?)",
                [(row, k) for k in keys],
            )

    def known_ids(self, provider: str, kind: str) -> set[str]:
        rows = self._db.execute(
            "SELECT order_id FROM orders WHERE provider=? AND kind=? AND order_id IS NOT NULL",
            (provider, kind),
        )
        return {r["order_id"] for r in rows}

    def failed(self, row: int, detail: str) -> None:
        self._set(row, FAILED, note=detail)

    def unknown(self, row: int, detail: str) -> None:
        self._set(row, UNKNOWN, note=detail)

    def record(
        self,
        order_id: str,
        state: str,
        *,
        provider: str | None = None,
        code: str | None = None,
        text: str | None = None,
        note: str | None = None,
    ) -> None:
        """Record a change of a known order; orders not in the journal are ignored.

        "Still waiting" does not clear `cancel_pending`: `otp status` on such an order
        must not make the journal forget the refund it is owed. A finished order stays
        finished: hosts keep answering STATUS_OK (code_received) for it after setStatus 6,
        and a look must not bring it back among the active orders."""
        found = self.find(order_id, provider=provider, kinds=ORDER_KINDS)
        if found is None or (found.state == CANCEL_PENDING and state == "waiting"):
            return
        if found.state == "finished" and state in ("waiting", "code_received"):
            return
        self._set(found.row, state, code=code, text=text, note=note)

    def _set(
        self,
        row: int,
        state: str,
        *,
        code: str | None = None,
        text: str | None = None,
        note: str | None = None,
    ) -> None:
        now = self._now()
        with self._tx() as db:
            old = db.execute("SELECT state FROM orders WHERE rowid=?", (row,)).fetchone()
            db.execute(
                "UPDATE orders SET state=?, code=COALESCE(?, code), text=COALESCE(?, text),"
                " note=COALESCE(?, note), updated_at=? WHERE rowid=?",
                (state, code, text, note, now, row),
            )
            if old is None or old["state"] != state or note:
                db.execute("INSERT INTO events VALUES (?,?,?,?)", (row, now, state, note))

    # --- reads ---------------------------------------------------------------------

    def find(
        self,
        order_id: str,
        *,
        provider: str | None = None,
        kinds: tuple[str, ...] | None = None,
    ) -> Order | None:
        sql = "SELECT * FROM orders WHERE order_id=?"
        args: list[Any] = [order_id]
        if provider:
            sql += " AND provider=?"
            args.append(provider)
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            args.extend(kinds)
        with self._lock:
            r = self._db.execute(sql + " ORDER BY rowid DESC LIMIT 1", args).fetchone()
        return _order(r) if r else None

    def orders(self, *, active: bool = False, state: str | None = None) -> list[Order]:
        sql = "SELECT * FROM orders"
        args: list[Any] = []
        if state:
            sql += " WHERE state=?"
            args.append(state)
        elif active:
            sql += f" WHERE state IN ({','.join('?' * len(ACTIVE_STATES))})"
            args.extend(ACTIVE_STATES)
        with self._lock:
            return [_order(r) for r in self._db.execute(sql + " ORDER BY rowid", args)]
