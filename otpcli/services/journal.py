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
- Two backends behind one interface (`Backend`): SQLite in the state dir (default;
  otpcli/sqlite.py: WAL mode, a busy timeout, each change one short `BEGIN IMMEDIATE`
  transaction) and PostgreSQL shared by many machines (services/journal_pg.py: each
  change one transaction holding one advisory lock). Either way writers are serialised,
  so several `otp` processes (parallel CI jobs, a fleet of runners) can write at once and
  a check made inside `_tx()` (the spending cap) holds for all of them. The SQL here is
  written once, with `?` placeholders and rows read by column name or index; the
  backend adapts it.
- The schema is versioned (SQLite `PRAGMA user_version`, PostgreSQL the `otpcli_schema`
  table) and migrated forward by otp itself on first use, inside the serialised write
  transaction (concurrent first runs are safe); a journal written by an older otp keeps
  working, and reads name their columns, so one written by a newer otp (extra columns)
  is still readable. Migration steps are portable SQL; a backend may translate a step
  (`Backend.step`).
- Ownership: a row may name the process that is responsible for it (`services/owner.py`):
  the one buying it (`begin()`), or one waiting on it (`claim()`). `close()` releases
  what this journal object owned, so only a process that died without closing (SIGKILL,
  OOM, a lost runner) leaves an owner behind. An *orphan* is a `pending`, `waiting` or
  `code_received` row whose owner is gone for certain (`is_orphan`); an order bought
  without a wait (owner released) belongs to the user and is never an orphan.
  `leftovers()` counts orphans and `cancel_pending` rows with one indexed query.
- Runners (a shared journal): a row keeps the runner that bought it (`runner`,
  `owner.runner_id()`); its owner also names its runner and when it was last seen
  (`owner_seen`). While a journal object owns rows, a heartbeat thread refreshes
  `owner_seen` four times per lease (`owner.lease_seconds()`). Another runner's
  process cannot be looked at, so `orphans(all_runners=True)` (for `otp cancel
  --pending --all-runners`) also counts the rows of another runner whose lease expired,
  except those it cannot reach (see Places).
- Places: a provider numbers its orders its own way, so an order id names an order
  only at one place: provider and base URL. A row without a base URL lives on a
  simulator inside the runner that bought it (each numbers its orders alike): it is
  reachable from that runner only (`reachable`). `find`, `record` and `claim` (every
  lookup by id that acts on an order) pick a reachable row of the place they are given
  (`base_url=ANYWHERE`: any reachable one), this runner's own first, then the newest.
- Listings stream: `iter_orders()` walks the cursor newest first with an optional
  limit; `spent()` sums the money spent without building rows.
- The spending cap (services/spending.py): `begin(reserve=, cap=)` stores the most the
  purchase may cost (`reserved`) and, with a cap, sums what the window already counts
  (`spent_in()`) and writes the row in the *same* transaction, so parallel buyers are
  serialised by the write lock and can never overshoot together; a refused check
  raises `SpendCapReached` and writes no row. `complete()` records the real price, which
  replaces the reserved bound in the count. The query is plain SQL (SUM, CASE-free
  COALESCE, WHERE) that PostgreSQL runs as is.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, Protocol

from otpcli.services import owner as owner_mod
from otpcli.services import spending
from otpcli.services.owner import Owner

if TYPE_CHECKING:
    from otpcli.domain.models import Activation

# A backend's connection: `execute(sql, args)` takes `?` placeholders and returns a cursor
# whose rows are read by column name or by index (sqlite3.Row-like).
DB = Any

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


class _Anywhere(enum.Enum):
    """`base_url=ANYWHERE`: a lookup that does not know where the order lives."""

    ANY = "anywhere"


ANYWHERE = _Anywhere.ANY
BaseUrl = str | None | Literal[_Anywhere.ANY]

# A row is reachable from this runner unless it lives on a simulator inside another
# runner (no base URL, bought by another runner); `?` is this runner's id.
_REACHABLE = "(base_url IS NOT NULL OR runner IS NULL OR runner=?)"
# Of several rows of one order id, this runner's own first, then the newest.
_MINE_FIRST = " ORDER BY CASE WHEN runner=? THEN 0 ELSE 1 END, rowid DESC LIMIT 1"

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

# A row costs money unless the provider refused it or refunded it (FREE_STATES).
_COSTS = "{t}.price IS NOT NULL AND {t}.state NOT IN ('failed', 'cancelled')"
_MICROS = "CAST(ROUND(CAST({t}.price AS REAL) * 1000000) AS INTEGER)"
_ADD = (
    "INSERT INTO spend SELECT COALESCE({t}.currency, ''), {sign}(" + _MICROS + ")"
    " WHERE " + _COSTS + " ON CONFLICT(currency) DO UPDATE SET micros = micros + excluded.micros"
)


# Forward migrations, applied in order from the file's `user_version`; each step runs in
# the one transaction that opens the journal. Never edit a released step: add one.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: who owns a row (orphans), and indexes for the queries the commands make.
    (
        "ALTER TABLE orders ADD COLUMN owner_host TEXT",
        "ALTER TABLE orders ADD COLUMN owner_boot TEXT",
        "ALTER TABLE orders ADD COLUMN owner_pid INTEGER",
        "ALTER TABLE orders ADD COLUMN owner_start INTEGER",
        "CREATE INDEX IF NOT EXISTS orders_state ON orders(state)",
        "CREATE INDEX IF NOT EXISTS orders_owned ON orders(owner_pid) WHERE owner_pid IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS events_order_row ON events(order_row)",
    ),
    # 2: money spent per currency, kept by triggers in millionths (exact integers), so the
    # summary of a 100,000-row journal is one row per currency, not a scan.
    (
        "CREATE TABLE IF NOT EXISTS spend (currency TEXT PRIMARY KEY, micros INTEGER NOT NULL)",
        f"INSERT INTO spend SELECT COALESCE(currency, ''), SUM({_MICROS.format(t='orders')})"
        f" FROM orders WHERE {_COSTS.format(t='orders')} GROUP BY COALESCE(currency, '')",
        f"""CREATE TRIGGER IF NOT EXISTS spend_insert AFTER INSERT ON orders
        BEGIN {_ADD.format(t="NEW", sign="+")}; END""",
        f"""CREATE TRIGGER IF NOT EXISTS spend_update AFTER UPDATE OF price, currency, state
        ON orders BEGIN
            {_ADD.format(t="OLD", sign="-")};
            {_ADD.format(t="NEW", sign="+")};
        END""",
        f"""CREATE TRIGGER IF NOT EXISTS spend_delete AFTER DELETE ON orders
        BEGIN {_ADD.format(t="OLD", sign="-")}; END""",
    ),
    # 3: the spending cap: the most a purchase may cost, reserved before it is sent
    # (counted while its price is unknown), and the index of its time windows.
    (
        "ALTER TABLE orders ADD COLUMN reserved TEXT",
        "CREATE INDEX IF NOT EXISTS orders_created ON orders(created_at)",
    ),
    # 4: the runner that bought a row (kept), the one that owns it, and when its owner
    # was last seen (the lease).
    (
        "ALTER TABLE orders ADD COLUMN runner TEXT",
        "ALTER TABLE orders ADD COLUMN owner_runner TEXT",
        "ALTER TABLE orders ADD COLUMN owner_seen REAL",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)

_COLUMNS = (
    "rowid, kind, provider, profile, base_url, service, country, order_id, number, price,"
    " currency, state, code, text, note, expires_at, created_at, updated_at,"
    " owner_host, owner_boot, owner_pid, owner_start, owner_runner, owner_seen, runner"
)
# The columns `copy_in` copies.
_COPIED = (
    "kind", "provider", "profile", "base_url", "service", "country", "order_id", "number",
    "price", "currency", "state", "code", "text", "note", "expires_at", "created_at",
    "updated_at",
)  # fmt: skip
_NO_OWNER = (
    "owner_host=NULL, owner_boot=NULL, owner_pid=NULL, owner_start=NULL,"
    " owner_runner=NULL, owner_seen=NULL"
)
# The states in which a dead owner leaves something behind (money or a code).
OWNED_STATES = (PENDING, "waiting", "code_received")
# Money spent: refused purchases and refunded orders cost nothing.
FREE_STATES = (FAILED, "cancelled")

# What a row counts against a spending cap, in exact millionths (portable SQL: NUMERIC
# is exact on PostgreSQL; each SQLite value is rounded to a whole number of millionths
# before it is added, so the sum is an exact integer on both).
_CAP_SUM = (
    "SELECT SUM(CAST(ROUND(CAST(COALESCE(price, reserved) AS NUMERIC) * 1000000) AS BIGINT)),"
    " MIN(created_at), COUNT(*) FROM orders"
    " WHERE state NOT IN ('failed', 'cancelled') AND COALESCE(price, reserved) IS NOT NULL"
    # A cap counts its own currency and rows whose currency is unknown; a cap whose
    # currency is unknown (a driver that names none) counts every row: when in doubt a
    # purchase counts, since a row that escaped the sum could let a loop overshoot.
    " AND (? = '' OR COALESCE(currency, '') IN (?, ''))"
)


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
    owner: Owner | None = None
    owner_seen: float | None = None  # the owner's last heartbeat (its lease)
    runner: str | None = None  # the runner that bought it (OTPCLI_RUNNER_ID)

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
            "owner": None if self.owner is None else self.owner._asdict(),
            "runner": self.runner,
        }


def _order(r: Any) -> Order:
    d = dict(r)
    d["row"] = d.pop("rowid")
    d["price"] = Decimal(d["price"]) if d["price"] is not None else None
    host, boot, pid, start, runner = (
        d.pop(k) for k in ("owner_host", "owner_boot", "owner_pid", "owner_start", "owner_runner")
    )
    d["owner"] = None if pid is None else Owner(host or "", boot, int(pid), start, runner)
    return Order(**d)


def reachable(order: Order, runner: str | None = None) -> bool:
    """False for a row that lives on a simulator inside another runner (no base URL,
    bought by another runner): nothing here can look at it, cancel it or settle it.
    Rows without a runner (written before runners were recorded) count as reachable."""
    mine = runner if runner is not None else owner_mod.runner_id()
    return order.base_url is not None or order.runner is None or order.runner == mine


def _place(provider: str | None, base_url: BaseUrl) -> tuple[str, list[Any]]:
    """The conditions (` AND ...`) and arguments that keep the reachable rows of one
    place: `provider` (when given) and `base_url` (when not ANYWHERE; NULL matches NULL,
    and `_REACHABLE` keeps only this runner's NULL rows)."""
    sql, args = f" AND {_REACHABLE}", list[Any]([owner_mod.runner_id()])
    if provider:
        sql += " AND provider=?"
        args.append(provider)
    if base_url is not ANYWHERE:
        sql += " AND base_url IS NOT DISTINCT FROM ?"
        args.append(base_url)
    return sql, args


def is_orphan(
    order: Order,
    alive: Callable[[Owner], bool | None] = owner_mod.alive,
    *,
    lease: float | None = None,
    now: float | None = None,
) -> bool:
    """True when the process responsible for `order` is gone for certain and the order
    may still hold money or an unseen code (see the module contract). With a `lease`
    (seconds) and `now`, an owner that cannot be looked at (another runner) is gone when
    it has not been seen for longer than the lease."""
    if order.owner is None or order.state not in OWNED_STATES:
        return False
    verdict = alive(order.owner)
    if verdict is None and lease is not None and now is not None:
        seen = order.owner_seen if order.owner_seen is not None else order.updated_at
        return now - seen > lease
    return verdict is False


class Leftovers(NamedTuple):
    orphans: int
    cancel_pending: int

    def line(self) -> str | None:
        """The one stderr line about them, or None when there are none."""
        parts = []
        if self.orphans:
            parts.append(f"{self.orphans} order(s) whose otp process died")
        if self.cancel_pending:
            parts.append(f"{self.cancel_pending} order(s) awaiting a refund")
        if not parts:
            return None
        return f"{' and '.join(parts)}: settle them with `otp cancel --pending --wait`"


class Backend(Protocol):
    """Where a journal lives: the connection, the serialised write transaction and the
    schema's version (otpcli/sqlite.py, services/journal_pg.py)."""

    name: str  # "sqlite" or "postgresql"
    location: str  # a file path, or a URL with the password masked

    def connect(self) -> DB: ...

    def begin(self, db: DB) -> None:
        """Start a write transaction that excludes every other writer until COMMIT."""

    def schema(self, portable: list[str]) -> list[str]:
        """The statements that create the tables of version 0 (`IF NOT EXISTS`), given
        the portable ones (`_SCHEMA`)."""

    def step(self, index: int, stmts: tuple[str, ...]) -> tuple[str, ...]:
        """Migration step `index` as this backend runs it."""

    def version(self, db: DB) -> int: ...

    def set_version(self, db: DB, version: int) -> None: ...


class Journal:
    def __init__(
        self,
        state_dir: str | Path | None = None,
        *,
        now: Any = time.time,
        on_open: Callable[[Journal], None] | None = None,
        backend: Backend | None = None,
    ) -> None:
        if backend is None:
            from otpcli.sqlite import SqliteBackend

            assert state_dir is not None, "a state dir or a backend"
            backend = SqliteBackend(Path(state_dir) / FILE_NAME)
        self.backend = backend
        self._now = now
        # Called once, when the journal is first opened (the leftover line, services/session.py).
        self._on_open = on_open
        self._conn: DB | None = None
        self._lock = threading.RLock()
        # Rows this object made this process the owner of; released by close().
        self._owned: set[int] = set()
        self._heartbeat: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def path(self) -> Path | None:
        """The journal's SQLite file; None for a journal on a server."""
        path = getattr(self.backend, "path", None)
        return path if isinstance(path, Path) else None

    @property
    def _db(self) -> DB:
        # Opened on first use: commands that never touch an order (balance, prices)
        # pay nothing for the journal.
        if self._conn is None:
            # Shared by the threads of a multi-wait; `_lock` serialises its use.
            self._conn = self.backend.connect()
            # One transaction for every statement, so concurrent first runs do not race.
            with self._tx() as db:
                _migrate(db, self.backend)
            if self._on_open is not None:
                hook, self._on_open = self._on_open, None
                hook(self)
        return self._conn

    @contextmanager
    def _tx(self) -> Iterator[DB]:
        with self._lock:
            db = self._db
            self.backend.begin(db)
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def schema_version(self) -> int:
        with self._lock:
            return self.backend.version(self._db)

    def close(self) -> None:
        """Release the rows this object owns (the process ends its work on them cleanly)
        and close the connection."""
        self._stop.set()
        if self._heartbeat is not None and self._heartbeat is not threading.current_thread():
            self._heartbeat.join(5)
        with self._lock:
            if self._conn is not None:
                try:
                    self._release()
                finally:
                    self._conn.close()
                    self._conn = None

    # --- ownership -----------------------------------------------------------------

    def _own(self, db: DB, row: int) -> None:
        me = owner_mod.this_process()
        db.execute(
            "UPDATE orders SET owner_host=?, owner_boot=?, owner_pid=?, owner_start=?,"
            " owner_runner=?, owner_seen=?, runner=COALESCE(runner, ?) WHERE rowid=?",
            (*me, self._now(), me.runner, row),
        )
        self._owned.add(row)
        self._start_heartbeat()

    def _start_heartbeat(self) -> None:
        if self._heartbeat is not None and self._heartbeat.is_alive():
            return
        self._stop.clear()
        self._heartbeat = threading.Thread(
            target=self._beat_loop, name="otpcli-journal-heartbeat", daemon=True
        )
        self._heartbeat.start()

    def _beat_loop(self) -> None:
        every = owner_mod.lease_seconds() / 4
        while not self._stop.wait(every):
            try:
                self.beat()
            except Exception:
                # A database that is briefly away must not end the wait it serves; a
                # lease that runs out lets another runner settle the rows (by design).
                continue

    def beat(self) -> None:
        """Refresh `owner_seen` of the rows this object owns (the heartbeat)."""
        rows = sorted(self._owned)
        if not rows:
            return
        me = owner_mod.this_process()
        with self._tx() as db:
            for i in range(0, len(rows), 500):
                chunk = rows[i : i + 500]
                db.execute(
                    f"UPDATE orders SET owner_seen=? WHERE rowid IN ({','.join('?' * len(chunk))})"
                    " AND owner_pid=? AND owner_start IS NOT DISTINCT FROM ?",
                    (self._now(), *chunk, me.pid, me.start),
                )

    def claim(
        self, *order_ids: str, provider: str | None = None, base_url: BaseUrl = ANYWHERE
    ) -> None:
        """This process now answers for these orders (it waits on them and will clean
        up): a dead previous owner's order is taken over. Unknown ids are ignored. One
        transaction for all of them (a 1,000-activation wait claims at once). Only rows
        of the place (provider, base URL) reachable from here are claimed: another
        runner's simulator may number its orders with the same ids."""
        where, place = _place(provider, base_url)
        sql = (
            f"SELECT rowid FROM orders WHERE order_id=? AND kind IN (?,?)"
            f" AND state IN ({','.join('?' * len(OWNED_STATES))}){where}{_MINE_FIRST}"
        )
        me = owner_mod.runner_id()
        with self._tx() as db:
            for order_id in order_ids:
                args = [order_id, ACTIVATION, CHEAP, *OWNED_STATES, *place, me]
                found = db.execute(sql, args).fetchone()
                if found is not None:
                    self._own(db, int(found[0]))

    def take(self, order: Order) -> bool:
        """Become the owner of orphan `order` unless its owner changed since it was read
        (another process, maybe on another runner, took it to settle it): one compare-
        and-set, so an orphan is settled by one process. The taker holds its lease."""
        old = order.owner
        if old is None:
            return False
        me = owner_mod.this_process()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE orders SET owner_host=?, owner_boot=?, owner_pid=?, owner_start=?,"
                " owner_runner=?, owner_seen=? WHERE rowid=? AND owner_host=? AND owner_pid=?"
                " AND owner_start IS NOT DISTINCT FROM ? AND owner_runner IS NOT DISTINCT FROM ?",
                (*me, self._now(), order.row, old.host, old.pid, old.start, old.runner),
            )
            taken = cur.rowcount == 1
        if taken:
            self._owned.add(order.row)
            self._start_heartbeat()
        return taken

    def give_back(self, order: Order) -> None:
        """Hand an orphan that could not be settled back to its dead owner, as it was
        (it stays an orphan for the next run)."""
        old = order.owner
        if old is None:
            return self.disown(order.row)
        with self._tx() as db:
            db.execute(
                "UPDATE orders SET owner_host=?, owner_boot=?, owner_pid=?, owner_start=?,"
                " owner_runner=?, owner_seen=? WHERE rowid=?",
                (*old, order.owner_seen, order.row),
            )
        self._owned.discard(order.row)
        return None

    def disown(self, row: int) -> None:
        """Nobody answers for `row` any more (an orphan settled, or handed to the user)."""
        with self._tx() as db:
            db.execute(f"UPDATE orders SET {_NO_OWNER} WHERE rowid=?", (row,))
        self._owned.discard(row)

    def _release(self) -> None:
        if not self._owned:
            return
        me = owner_mod.this_process()
        rows = sorted(self._owned)
        with self._tx() as db:
            for i in range(0, len(rows), 500):
                chunk = rows[i : i + 500]
                db.execute(
                    f"UPDATE orders SET {_NO_OWNER} WHERE rowid IN ({','.join('?' * len(chunk))})"
                    " AND owner_pid=? AND owner_start IS NOT DISTINCT FROM ?",
                    (*chunk, me.pid, me.start),
                )
        self._owned.clear()

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
        reserve: Decimal | None = None,
        cap: spending.Cap | None = None,
    ) -> int:
        """Write the `pending` row of a purchase about to be sent; with `cap`, first
        check in the same transaction that `reserve` more stays within it
        (SpendCapReached, no row written, otherwise)."""
        now = self._now()
        if cap is not None and reserve is None:
            raise ValueError("a purchase checked against a cap needs its bound (reserve)")
        self._open_for_purchase()
        with self._tx() as db:
            if cap is not None and reserve is not None:
                spending.check(
                    cap, self._spent_in(db, cap.currency, cap.since(now)), reserve, now=now
                )
            row = db.execute(
                "INSERT INTO orders (kind, provider, profile, base_url, service, country,"
                " currency, reserved, state, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?) RETURNING rowid",
                (
                    kind,
                    provider,
                    profile,
                    base_url,
                    service,
                    country,
                    cap.currency if cap is not None else None,
                    None if reserve is None else str(reserve),
                    PENDING,
                    now,
                    now,
                ),
            ).fetchone()[0]
            db.execute("INSERT INTO events VALUES (?,?,?,?)", (row, now, PENDING, "purchase sent"))
            # The buyer answers for the row until it closes the journal: a purchase cut
            # short by SIGKILL is then an orphan, not a silent `pending` row.
            self._own(db, row)
        return row

    def _open_for_purchase(self) -> None:
        """Open the journal before a purchase; one that cannot be opened (a server away,
        services/journal_pg.py) is then refused with the guarantee that matters."""
        from otpcli.domain.errors import ConfigError

        with self._lock:
            try:
                self._db  # noqa: B018 (opened on first use)
            except ConfigError as err:
                raise err.with_message(f"{err.message}; no purchase was sent") from None

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
        for how much is unknown here). It is this runner's row (its place, when it has
        no base URL)."""
        now, runner = self._now(), owner_mod.runner_id()
        with self._tx() as db:
            row = db.execute(
                "INSERT INTO orders (kind, provider, profile, base_url, order_id, state, note,"
                " created_at, updated_at, runner) VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING rowid",
                (kind, provider, profile, base_url, order_id, state, note, now, now, runner),
            ).fetchone()[0]
            db.execute("INSERT INTO events VALUES (?,?,?,?)", (row, now, state, note))

    def copy_in(self, orders: Iterable[Order], note: str) -> int:
        """Copy `orders` (another journal's rows) into this one, unowned, unless the same
        order is already here (`otp journal push`: run it twice, nothing is copied twice).
        The same order: same provider, order id and kind at the same place, i.e. the same
        base URL, and for a row without one the same runner (each runner's simulator
        numbers its orders alike; a row here without a runner may be any runner's and
        counts as the same). A copied row keeps the runner that bought it (this runner
        for a local row written before runners were recorded). Rows without an order id
        cannot be told apart and are not copied. One transaction; the number copied."""
        copied = 0
        now, me = self._now(), owner_mod.runner_id()
        same = (
            "SELECT 1 FROM orders WHERE provider=? AND order_id=? AND kind=?"
            " AND base_url IS NOT DISTINCT FROM ?"
            " AND (base_url IS NOT NULL OR runner IS NULL OR runner=?)"
        )
        columns = (*_COPIED, "runner")
        with self._tx() as db:
            for o in orders:
                runner = o.runner or me
                key = (o.provider, o.order_id, o.kind, o.base_url, runner)
                if o.order_id is None or db.execute(same, key).fetchone():
                    continue
                values = [getattr(o, c) for c in _COPIED]
                values[_COPIED.index("price")] = None if o.price is None else str(o.price)
                row = db.execute(
                    f"INSERT INTO orders ({', '.join(columns)})"
                    f" VALUES ({','.join('?' * len(columns))}) RETURNING rowid",
                    [*values, runner],
                ).fetchone()[0]
                db.execute("INSERT INTO events VALUES (?,?,?,?)", (row, now, o.state, note))
                copied += 1
        return copied

    def complete(self, row: int, act: Activation, *, state: str = "waiting") -> None:
        now = self._now()
        expires = now + act.expires_in if act.expires_in else None
        with self._tx() as db:
            db.execute(
                "UPDATE orders SET order_id=?, number=?, price=?, currency=COALESCE(?, currency),"
                " state=?, expires_at=?, country=COALESCE(country, ?), updated_at=? WHERE rowid=?",
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
                "UPDATE orders SET order_id=?, number=?, price=?, currency=COALESCE(?, currency),"
                " state=?, expires_at=?, note=COALESCE(?, note), updated_at=? WHERE rowid=?",
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
                "INSERT INTO seen (order_row, key) VALUES (?, ?) ON CONFLICT DO NOTHING",
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
        base_url: BaseUrl = ANYWHERE,
        code: str | None = None,
        text: str | None = None,
        note: str | None = None,
    ) -> None:
        """Record a change of a known order (the row `find` picks for the place);
        orders not in the journal are ignored.

        "Still waiting" does not clear `cancel_pending`: `otp status` on such an order
        must not make the journal forget the refund it is owed. A finished order stays
        finished: hosts keep answering STATUS_OK (code_received) for it after setStatus 6,
        and a look must not bring it back among the active orders."""
        found = self.find(order_id, provider=provider, base_url=base_url, kinds=ORDER_KINDS)
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
        base_url: BaseUrl = ANYWHERE,
        kinds: tuple[str, ...] | None = None,
    ) -> Order | None:
        """The row of `order_id` at one place: `provider` and `base_url` when given,
        never a row of another runner's simulator (`reachable`); of several, this
        runner's own, then the newest."""
        where, args = _place(provider, base_url)
        sql = f"SELECT {_COLUMNS} FROM orders WHERE order_id=?{where}"
        args.insert(0, order_id)
        if kinds:
            sql += f" AND kind IN ({','.join('?' * len(kinds))})"
            args.extend(kinds)
        args.append(owner_mod.runner_id())
        with self._lock:
            r = self._db.execute(sql + _MINE_FIRST, args).fetchone()
        return _order(r) if r else None

    def orders(self, *, active: bool = False, state: str | None = None) -> list[Order]:
        """Every matching row, oldest first (small journals, tests, the library)."""
        return list(self.iter_orders(active=active or None, state=state, newest_first=False))

    def iter_orders(
        self,
        *,
        active: bool | None = None,
        state: str | None = None,
        limit: int | None = None,
        newest_first: bool = True,
    ) -> Iterator[Order]:
        """Matching rows, read from the cursor as they are consumed (a 100,000-row
        journal is never held in memory). `active=True` keeps the active states,
        `active=False` the others, None every row; `active` and `state` use the state
        index, the order is the rowid's (the purchase order)."""
        sql = f"SELECT {_COLUMNS} FROM orders"
        args: list[Any] = []
        if state:
            sql += " WHERE state=?"
            args.append(state)
        elif active is not None:
            sql += (
                f" WHERE state {'' if active else 'NOT '}IN ({','.join('?' * len(ACTIVE_STATES))})"
            )
            args.extend(ACTIVE_STATES)
        sql += " ORDER BY rowid DESC" if newest_first else " ORDER BY rowid"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        with self._lock:
            # A backend whose client would read the whole result at once (PostgreSQL)
            # streams it from a server-side cursor.
            stream = getattr(self._db, "stream", None)
            cur = stream(sql, args) if stream is not None else self._db.execute(sql, args)
        try:
            while True:
                # Batches: the lock is not held while the caller works on the rows.
                with self._lock:
                    batch = cur.fetchmany(500)
                if not batch:
                    return
                yield from (_order(r) for r in batch)
        finally:
            with self._lock:
                cur.close()

    def count(self, *, active: bool | None = None, state: str | None = None) -> int:
        sql, args = "SELECT count(*) FROM orders", list[Any]()
        if state:
            sql, args = sql + " WHERE state=?", [state]
        elif active is not None:
            sql += (
                f" WHERE state {'' if active else 'NOT '}IN ({','.join('?' * len(ACTIVE_STATES))})"
            )
            args.extend(ACTIVE_STATES)
        with self._lock:
            return int(self._db.execute(sql, args).fetchone()[0])

    def spent(self, *, active: bool | None = None) -> dict[str, Decimal]:
        """Money spent per currency ("" when unknown), over every row (the `spend` table
        the triggers keep) or over the active ones: refused and refunded purchases cost
        nothing."""
        totals: dict[str, Decimal] = {}
        with self._lock:
            if not active:
                for currency, micros in self._db.execute("SELECT currency, micros FROM spend"):
                    if micros:
                        totals[currency] = _money(Decimal(micros).scaleb(-6))
                return totals
            sql = (
                f"SELECT price, currency FROM orders WHERE {_COSTS.format(t='orders')}"
                f" AND state IN ({','.join('?' * len(ACTIVE_STATES))})"
            )
            for price, currency in self._db.execute(sql, ACTIVE_STATES):
                key = currency or ""
                totals[key] = totals.get(key, Decimal(0)) + Decimal(price)
        return totals

    def spent_in(self, currency: str | None, since: float | None) -> spending.Spent:
        """What counts against a spending cap in `currency` (None: unknown) from `since`
        (None: all time): see services/spending.py."""
        with self._lock:
            return self._spent_in(self._db, currency, since)

    @staticmethod
    def _spent_in(db: Any, currency: str | None, since: float | None) -> spending.Spent:
        sql, args = _CAP_SUM, list[Any]([currency or "", currency or ""])
        if since is not None:
            sql += " AND created_at >= ?"
            args.append(since)
        micros, oldest, count = db.execute(sql, args).fetchone()
        amount = _money(Decimal(int(micros or 0)).scaleb(-6))
        return spending.Spent(amount, None if oldest is None else float(oldest), int(count))

    def owned(self) -> list[Order]:
        """Rows some process answers for (few: live owners and orphans), newest first."""
        sql = (
            f"SELECT {_COLUMNS} FROM orders WHERE owner_pid IS NOT NULL"
            f" AND state IN ({','.join('?' * len(OWNED_STATES))}) ORDER BY rowid DESC"
        )
        with self._lock:
            return [_order(r) for r in self._db.execute(sql, OWNED_STATES)]

    def orphans(self, *, all_runners: bool = False) -> list[Order]:
        """Orphans this process can prove dead; with `all_runners`, also the rows of
        other runners whose lease expired (see the module contract)."""
        alive = owner_mod.Liveness()
        if not all_runners:
            return [o for o in self.owned() if is_orphan(o, alive)]
        lease, now, me = owner_mod.lease_seconds(), self._now(), owner_mod.runner_id()
        # A row on a simulator inside another runner cannot be reached from here: it is
        # never taken (settling it would act on this runner's order of the same id).
        return [
            o
            for o in self.owned()
            if reachable(o, me) and is_orphan(o, alive, lease=lease, now=now)
        ]

    def leftovers(self) -> Leftovers:
        """Orphans and `cancel_pending` rows, from the two small indexed sets."""
        with self._lock:
            pending = self._db.execute(
                f"SELECT count(*) FROM orders WHERE state=? AND {_REACHABLE}",
                (CANCEL_PENDING, owner_mod.runner_id()),
            ).fetchone()[0]
        return Leftovers(len(self.orphans()), int(pending))


def _money(amount: Decimal) -> Decimal:
    """Millionths back to money: at least two decimals, no trailing zeros beyond them."""
    amount = amount.normalize()
    exponent = amount.as_tuple().exponent
    return (
        amount.quantize(Decimal("0.01")) if isinstance(exponent, int) and exponent > -2 else amount
    )


def _migrate(db: DB, backend: Backend) -> None:
    """Create the tables of a new journal, then apply the migrations it lacks."""
    for stmt in backend.schema([s for s in _SCHEMA.split(";") if s.strip()]):
        db.execute(stmt)
    version = backend.version(db)
    for index in range(version, SCHEMA_VERSION):
        for stmt in backend.step(index, _MIGRATIONS[index]):
            db.execute(stmt)
    if version < SCHEMA_VERSION:
        backend.set_version(db, SCHEMA_VERSION)
