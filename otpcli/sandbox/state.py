"""The simulator's wallet, orders and SMS, kept in SQLite, and the rules that move them.

Contract:
- State lives in `<state_dir>/sandbox.sqlite3` (WAL, busy_timeout, every mutation inside
  `BEGIN IMMEDIATE`), so several processes, each with its own in-process server, can share
  one state dir and see the same orders without corrupting it.
- The `faults` table holds the fault plan of `otpcli.sandbox.faults` (meta key
  `faults_env`: the `OTPCLI_SANDBOX_FAULTS` value applied last).
- Money is `Decimal`, stored as text. Ids are numeric strings above 2**32; phones are
  strings. The wallet starts at 1000.00 PLAY.
- Time comes from `clock()` (default `time.time`). Every duration below is in *sandbox
  seconds*; it is divided by the time scale (`OTPCLI_SANDBOX_TIME_SCALE`, default 1) when it
  is turned into a deadline, so the same state dir can be shared by processes and the
  scale only changes how long future waits last. Deadlines are fixed when they are set.
- Nothing runs in the background: SMS arrival and expiry are worked out from timestamps
  whenever the state is read or changed. Every order has one "pending" SMS row (its
  arrival time, or NULL for never) until it arrives or the order ends.

Rules (the reply words are the sms-activate protocol's, see `otpcli.sandbox.httpd`):
- Three durations are settings of their own, so a client's cancel path and its wait path
  can both be exercised at any time scale (each in sandbox seconds, read from the
  environment when the state is created, or given to the constructor):
  `sms_delay` (`OTPCLI_SANDBOX_SMS_DELAY`, default 3, may be 0), `early_cancel`
  (`OTPCLI_SANDBOX_EARLY_CANCEL`, default 120, may be 0) and `lifetime`
  (`OTPCLI_SANDBOX_LIFETIME`, default 1200, > 0). A bad value is a `ConfigError`.
- buy: the first SMS arrives `sms_delay` after purchase; `slow` after 60 s; `never` not
  at all.
- cancel (8): refused with `STATUS_ALREADY_CHANGED` on a finished/cancelled/expired order
  and also once a code has arrived (the order has moved on to "code received": the
  number is used, finish it instead; this keeps the refusal in the exit-8 family, where
  `BAD_STATUS` would read as "this provider does not offer cancel"), and with
  `EARLY_CANCEL_DENIED` during the first `early_cancel` seconds; otherwise
  `ACCESS_CANCEL` + refund.
- finish (6): `ACCESS_ACTIVATION` after a code, else `NO_SMS_RECEIVED`.
- another SMS (3): `ACCESS_RETRY_GET` after a code (every service, not only `multi`), else
  `NO_SMS_RECEIVED`; the next SMS, with a new code, arrives after the service's delay and
  until then the status is `STATUS_WAIT_RETRY:<old code>`. Asking again while one is on
  its way changes nothing.
- ready (1): `ACCESS_READY` on any open order.
- expiry: `lifetime` after purchase an open order becomes expired (`STATUS_CANCEL`),
  refunded only when no code had arrived.
- A `Refusal` carries the word of the default sandbox (the one above) and a `reason` where
  one word covers several situations (`STATUS_ALREADY_CHANGED`: "closed" or
  "code_arrived"; `NO_SMS_RECEIVED`: "finish" or "retry"; `MAX_PRICE_EXCEEDED` with the
  price as `detail`), so that `otpcli.sandbox.dialects` can pick each host family's word.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

from otpcli.domain.errors import BadInput, ConfigError, NotFound, OrderStateError
from otpcli.sandbox import catalog
from otpcli.sandbox.catalog import COUNTRIES, SERVICES, ServiceInfo

SMS_DELAY = 3.0
EARLY_CANCEL = 120.0
LIFETIME = 1200.0

DB_NAME = "sandbox.sqlite3"
_CENT = Decimal("0.01")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    country TEXT NOT NULL,
    phone TEXT NOT NULL,
    price TEXT NOT NULL,
    state TEXT NOT NULL,          -- open | finished | cancelled | expired
    created REAL NOT NULL,
    cancel_after REAL NOT NULL,   -- the early-cancel window ends here
    expires REAL NOT NULL,
    refunded INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS orders_open ON orders (state, expires);
CREATE TABLE IF NOT EXISTS sms (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id TEXT NOT NULL,
    code TEXT NOT NULL,
    text TEXT NOT NULL,
    arrives REAL                  -- NULL: never
);
CREATE INDEX IF NOT EXISTS sms_order ON sms (order_id, arrives);
CREATE TABLE IF NOT EXISTS faults (  -- the fault plan, see otpcli.sandbox.faults
    action TEXT PRIMARY KEY,      -- a protocol action, or * for every action
    kind TEXT NOT NULL,
    remaining INTEGER,            -- NULL: every request, else how many more requests
    source TEXT NOT NULL          -- env (OTPCLI_SANDBOX_FAULTS) | control
);
"""


class Refusal(Exception):
    """A request the protocol answers with an error word (`NO_BALANCE`, `BAD_STATUS`, ...).

    `reason` tells apart the situations one word covers; `detail` is data a dialect's
    word may carry (the current price for a max-price refusal).
    """

    def __init__(self, word: str, *, reason: str = "", detail: str = "") -> None:
        super().__init__(word)
        self.word = word
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Order:
    id: str
    phone: str
    service: str
    country: str
    price: Decimal
    created: float = 0.0  # clock() at purchase
    expires: float = 0.0  # clock() value at which it expires


@dataclass(frozen=True)
class OpenOrder:
    """One open order as `getActiveActivations` lists it (`code`/`text`: the latest SMS)."""

    order: Order
    code: str | None
    text: str | None


@dataclass(frozen=True)
class Status:
    """One look at an order: `kind` is wait | retry | ok | cancel.

    `code`/`text` are the latest SMS that arrived (for retry: the old one).
    """

    kind: str
    code: str | None = None
    text: str | None = None
    at: float | None = None  # when that SMS arrived (clock() time)


class Timing(NamedTuple):
    """Time settings given in code (`otp sandbox serve` options); None: from the environment."""

    scale: float | None = None
    sms_delay: float | None = None
    early_cancel: float | None = None
    lifetime: float | None = None


def _positive_float(environ: Mapping[str, str], name: str, default: float, *, zero: bool) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not (value >= 0 if zero else value > 0) or value == float("inf"):
        kind = "a number >= 0" if zero else "a number > 0"
        raise ConfigError(f"{name} must be {kind}, not {raw!r}", hint=f"unset {name} or fix it")
    return value


def time_scale(environ: Mapping[str, str] | None = None) -> float:
    """`OTPCLI_SANDBOX_TIME_SCALE`: how many sandbox seconds pass per real second."""
    env = os.environ if environ is None else environ
    return _positive_float(env, "OTPCLI_SANDBOX_TIME_SCALE", 1.0, zero=False)


def sms_delay(environ: Mapping[str, str] | None = None) -> float:
    """`OTPCLI_SANDBOX_SMS_DELAY`: sandbox seconds from purchase to the first SMS."""
    env = os.environ if environ is None else environ
    return _positive_float(env, "OTPCLI_SANDBOX_SMS_DELAY", SMS_DELAY, zero=True)


def early_cancel(environ: Mapping[str, str] | None = None) -> float:
    """`OTPCLI_SANDBOX_EARLY_CANCEL`: sandbox seconds after purchase during which a cancel
    is refused with `EARLY_CANCEL_DENIED` (0: never refused)."""
    env = os.environ if environ is None else environ
    return _positive_float(env, "OTPCLI_SANDBOX_EARLY_CANCEL", EARLY_CANCEL, zero=True)


def lifetime(environ: Mapping[str, str] | None = None) -> float:
    """`OTPCLI_SANDBOX_LIFETIME`: sandbox seconds from purchase to expiry."""
    env = os.environ if environ is None else environ
    return _positive_float(env, "OTPCLI_SANDBOX_LIFETIME", LIFETIME, zero=False)


class SandboxState:
    """The simulator's state in `<state_dir>/sandbox.sqlite3`; safe across threads and processes.

    Protocol operations raise `Refusal(word)`; `deliver()` (for the CLI) raises otpcli's
    own `NotFound` / `OrderStateError` / `BadInput`.
    """

    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        clock: Callable[[], float] | None = None,
        *,
        scale: float | None = None,
        delay: float | None = None,
        cancel_window: float | None = None,
        life: float | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.dir = Path(state_dir)
        self.path = self.dir / DB_NAME
        self.clock: Callable[[], float] = clock or time.time
        self.scale = time_scale() if scale is None else scale
        self.sms_delay = sms_delay() if delay is None else delay
        self.early_cancel = early_cancel() if cancel_window is None else cancel_window
        self.lifetime = lifetime() if life is None else life
        self._rng = rng or random.SystemRandom()
        # One connection, one transaction at a time per process: every operation writes
        # (BEGIN IMMEDIATE), so threads would only queue inside SQLite's busy handler,
        # which sleeps in steps of up to 100 ms. Other processes still meet busy_timeout.
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        try:
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            with self._tx() as db:
                # Not executescript(): it would COMMIT the transaction first.
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(
                    "INSERT OR IGNORE INTO meta (key, value)"
                    " VALUES ('balance', ?), ('next_seq', '1')",
                    (str(catalog.START_BALANCE),),
                )
        except (OSError, sqlite3.DatabaseError) as exc:
            self.close()
            raise ConfigError(
                f"the sandbox state {self.path} cannot be used: {exc}",
                hint=f"check the state dir (OTPCLI_STATE_DIR), or delete {self.path}",
            ) from None

    # --- connections and transactions -------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode: transactions are explicit `BEGIN IMMEDIATE` below. Server threads
        # take turns on the connection under `_lock`, hence check_same_thread=False.
        from otpcli.sqlite import connect

        return connect(self.path, busy_seconds=10.0)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; a `Refusal` still commits what was settled before it."""
        with self._lock:
            if self._db is None:
                self._db = self._connect()
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                try:
                    yield db
                except Refusal:
                    db.execute("COMMIT")
                    raise
                db.execute("COMMIT")
            finally:
                # Any other failure, including a failed COMMIT, must not leave the shared
                # connection inside a transaction.
                if db.in_transaction:
                    db.execute("ROLLBACK")

    def close(self) -> None:
        with self._lock:
            db, self._db = self._db, None
        if db is not None:
            db.close()

    # --- helpers ----------------------------------------------------------------------

    def _after(self, now: float, sandbox_seconds: float) -> float:
        return now + sandbox_seconds / self.scale

    @staticmethod
    def _balance(db: sqlite3.Connection) -> Decimal:
        (value,) = db.execute("SELECT value FROM meta WHERE key = 'balance'").fetchone()
        return Decimal(value)

    def _credit(self, db: sqlite3.Connection, amount: Decimal) -> None:
        new = (self._balance(db) + amount).quantize(_CENT)
        db.execute("UPDATE meta SET value = ? WHERE key = 'balance'", (str(new),))

    @staticmethod
    def _next_id(db: sqlite3.Connection) -> str:
        """The next order id; the OTPGet products draw from it too, so ids never clash."""
        (seq,) = db.execute("SELECT value FROM meta WHERE key = 'next_seq'").fetchone()
        db.execute("UPDATE meta SET value = ? WHERE key = 'next_seq'", (str(int(seq) + 1),))
        return str(catalog.ID_BASE + int(seq))

    @staticmethod
    def _last_sms(
        db: sqlite3.Connection, order_id: str, until: float
    ) -> tuple[str, str, float] | None:
        """(code, text, arrival time) of the latest SMS that arrived by `until`."""
        row = db.execute(
            "SELECT code, text, arrives FROM sms WHERE order_id = ? AND arrives IS NOT NULL"
            " AND arrives <= ? ORDER BY arrives DESC, seq DESC LIMIT 1",
            (order_id, until),
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    @staticmethod
    def _has_pending(db: sqlite3.Connection, order_id: str, now: float) -> bool:
        row = db.execute(
            "SELECT 1 FROM sms WHERE order_id = ? AND (arrives IS NULL OR arrives > ?) LIMIT 1",
            (order_id, now),
        ).fetchone()
        return row is not None

    @staticmethod
    def _drop_pending(db: sqlite3.Connection, order_id: str, after: float) -> None:
        db.execute(
            "DELETE FROM sms WHERE order_id = ? AND (arrives IS NULL OR arrives > ?)",
            (order_id, after),
        )

    def _schedule(
        self,
        db: sqlite3.Connection,
        order_id: str,
        service: ServiceInfo,
        now: float,
        *,
        not_code: str | None = None,
    ) -> None:
        if service.never:
            arrives: float | None = None
        else:
            delay = self.sms_delay if service.sms_delay is None else service.sms_delay
            arrives = self._after(now, delay)
        code = catalog.new_code(service.digits, self._rng, not_=not_code)
        db.execute(
            "INSERT INTO sms (order_id, code, text, arrives) VALUES (?, ?, ?, ?)",
            (order_id, code, catalog.sms_text(service, code), arrives),
        )

    def _settle(self, db: sqlite3.Connection, now: float) -> None:
        """Expire every open order past its deadline; refund those without a code."""
        due = db.execute(
            "SELECT id, price, expires FROM orders WHERE state = 'open' AND expires <= ?", (now,)
        ).fetchall()
        for order_id, price, expires in due:
            refund = self._last_sms(db, order_id, expires) is None
            self._drop_pending(db, order_id, expires)
            db.execute(
                "UPDATE orders SET state = 'expired', refunded = ? WHERE id = ?",
                (int(refund), order_id),
            )
            if refund:
                self._credit(db, Decimal(price))

    @staticmethod
    def _load(db: sqlite3.Connection, order_id: str) -> tuple[Any, ...] | None:
        """(state, service, price, cancel_after) of an order, or None."""
        return db.execute(
            "SELECT state, service, price, cancel_after FROM orders WHERE id = ?", (order_id,)
        ).fetchone()

    # --- the protocol's operations ----------------------------------------------------

    def balance(self) -> Decimal:
        with self._tx() as db:
            self._settle(db, self.clock())
            return self._balance(db)

    def buy(
        self, service: str, country: str | None = None, *, max_price: Decimal | None = None
    ) -> Order:
        svc = SERVICES.get(service)
        if svc is None:
            raise Refusal("BAD_SERVICE")
        cinfo = COUNTRIES.get(catalog.DEFAULT_COUNTRY if country is None else country)
        if cinfo is None:
            raise Refusal("BAD_COUNTRY")
        if catalog.stock(svc, cinfo) <= 0:
            raise Refusal("NO_NUMBERS")
        price = catalog.price(svc, cinfo)
        if max_price is not None and max_price < price:
            raise Refusal("MAX_PRICE_EXCEEDED", detail=str(price))
        with self._tx() as db:
            now = self.clock()
            self._settle(db, now)
            if self._balance(db) < price:
                raise Refusal("NO_BALANCE")
            self._credit(db, -price)
            order = Order(
                id=self._next_id(db),
                phone=catalog.new_phone(cinfo, self._rng),
                service=svc.code,
                country=cinfo.id,
                price=price,
                created=now,
                expires=self._after(now, self.lifetime),
            )
            db.execute(
                "INSERT INTO orders (id, service, country, phone, price, state, created,"
                " cancel_after, expires) VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)",
                (
                    order.id,
                    order.service,
                    order.country,
                    order.phone,
                    str(price),
                    now,
                    self._after(now, self.early_cancel),
                    order.expires,
                ),
            )
            self._schedule(db, order.id, svc, now)
            return order

    def status(self, order_id: str) -> Status:
        with self._tx() as db:
            now = self.clock()
            self._settle(db, now)
            row = self._load(db, order_id)
            if row is None:
                raise Refusal("NO_ACTIVATION")
            state = row[0]
            if state in ("cancelled", "expired"):
                return Status("cancel")
            last = self._last_sms(db, order_id, now)
            if last is None:
                return Status("wait")
            if state == "open" and self._has_pending(db, order_id, now):
                return Status("retry", *last)
            return Status("ok", *last)

    def set_status(self, order_id: str, status: str) -> str:
        """Apply setStatus 1/3/6/8; return the success word or raise `Refusal`."""
        if status not in ("1", "3", "6", "8"):
            raise Refusal("BAD_STATUS")
        with self._tx() as db:
            now = self.clock()
            self._settle(db, now)
            row = self._load(db, order_id)
            if row is None:
                raise Refusal("NO_ACTIVATION")
            state, service, price, cancel_after = row
            if state != "open":
                raise Refusal("STATUS_ALREADY_CHANGED", reason="closed")
            last = self._last_sms(db, order_id, now)
            if status == "1":
                return "ACCESS_READY"
            if status == "8":
                if last is not None:  # see the module docstring for the choice of word
                    raise Refusal("STATUS_ALREADY_CHANGED", reason="code_arrived")
                if now < cancel_after:
                    raise Refusal("EARLY_CANCEL_DENIED")
                self._drop_pending(db, order_id, now)
                db.execute(
                    "UPDATE orders SET state = 'cancelled', refunded = 1 WHERE id = ?", (order_id,)
                )
                self._credit(db, Decimal(price))
                return "ACCESS_CANCEL"
            if last is None:
                raise Refusal("NO_SMS_RECEIVED", reason="finish" if status == "6" else "retry")
            if status == "6":
                self._drop_pending(db, order_id, now)
                db.execute("UPDATE orders SET state = 'finished' WHERE id = ?", (order_id,))
                return "ACCESS_ACTIVATION"
            # status 3: another SMS, unless one is already on its way.
            if not self._has_pending(db, order_id, now):
                self._schedule(db, order_id, SERVICES[service], now, not_code=last[0])
            return "ACCESS_RETRY_GET"

    def open_orders(self) -> list[OpenOrder]:
        """Every open order, oldest first, with its latest SMS (getActiveActivations)."""
        with self._tx() as db:
            now = self.clock()
            self._settle(db, now)
            rows = db.execute(
                "SELECT id, phone, service, country, price, created, expires FROM orders"
                " WHERE state = 'open' ORDER BY created, id"
            ).fetchall()
            found = []
            for oid, phone, service, country, price, created, expires in rows:
                last = self._last_sms(db, oid, now)
                order = Order(oid, phone, service, country, Decimal(price), created, expires)
                found.append(OpenOrder(order, *(last[:2] if last else (None, None))))
            return found

    # --- for the CLI and tests --------------------------------------------------------

    def deliver(self, activation_id: str, code: str | None = None) -> str:
        """Make an SMS arrive now (replacing any still on its way); return its code."""
        if code is not None:
            code = code.strip()
            if not code or len(code) > 32 or not code.isalnum():
                raise BadInput(
                    f"a code is 1 to 32 letters or digits, not {code!r}",
                    hint="leave CODE out to get a random one",
                )
        with self._tx() as db:
            now = self.clock()
            self._settle(db, now)
            row = self._load(db, activation_id)
            if row is None:
                raise NotFound(
                    f"no sandbox activation {activation_id!r}",
                    hint="`otp orders` lists what was bought",
                    provider_word="NO_ACTIVATION",
                )
            state, service = row[0], row[1]
            if state != "open":
                raise OrderStateError(
                    f"sandbox activation {activation_id} is already {state}",
                    provider_word="STATUS_ALREADY_CHANGED",
                )
            svc = SERVICES[service]
            last = self._last_sms(db, activation_id, now)
            if code is None:
                code = catalog.new_code(svc.digits, self._rng, not_=last[0] if last else None)
            self._drop_pending(db, activation_id, now)
            db.execute(
                "INSERT INTO sms (order_id, code, text, arrives) VALUES (?, ?, ?, ?)",
                (activation_id, code, catalog.sms_text(svc, code), now),
            )
            return code

    def reset(self) -> None:
        """Wipe orders and messages and refill the wallet. Ids keep counting up, so an id
        from before the reset never names a new order."""
        with self._tx() as db:
            db.execute("DELETE FROM sms")
            db.execute("DELETE FROM orders")
            # The OTPGet-format products (otpget_state) keep their orders in og_* tables.
            tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            for (table,) in tables:
                if table.startswith("og_"):
                    db.execute(f'DELETE FROM "{table}"')
            db.execute(
                "UPDATE meta SET value = ? WHERE key = 'balance'", (str(catalog.START_BALANCE),)
            )

    # --- the fault plan (its rules and kinds live in otpcli.sandbox.faults) -----------

    def fault_plan(self) -> list[tuple[str, str, int | None, str]]:
        """Every planned fault as (action, kind, remaining or None for always, source)."""
        with self._tx() as db:
            rows = db.execute(
                "SELECT action, kind, remaining, source FROM faults ORDER BY action"
            ).fetchall()
        return [(a, k, r, s) for a, k, r, s in rows]

    def set_fault(
        self, action: str, kind: str | None, count: int | None, *, source: str = "control"
    ) -> None:
        """Plan `kind` for the next `count` requests of `action` (None: all); kind None
        removes the action's fault."""
        with self._tx() as db:
            db.execute("DELETE FROM faults WHERE action = ?", (action,))
            if kind is not None:
                db.execute(
                    "INSERT INTO faults (action, kind, remaining, source) VALUES (?, ?, ?, ?)",
                    (action, kind, count, source),
                )

    def clear_faults(self) -> None:
        """Forget every planned fault (an unchanged OTPCLI_SANDBOX_FAULTS is not re-applied)."""
        with self._tx() as db:
            db.execute("DELETE FROM faults")

    def sync_env_faults(self, spec: str, plan: list[tuple[str, str, int | None]]) -> None:
        """Replace the env-sourced faults by `plan` unless `spec` is the text applied last:
        processes started with the same value share one plan and its counts."""
        with self._tx() as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'faults_env'").fetchone()
            if (row[0] if row else "") == spec:
                return
            db.execute("DELETE FROM faults WHERE source = 'env'")
            db.executemany(
                "INSERT OR REPLACE INTO faults (action, kind, remaining, source)"
                " VALUES (?, ?, ?, 'env')",
                plan,
            )
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('faults_env', ?)", (spec,))

    def take_fault(self, action: str) -> str | None:
        """The fault kind this request of `action` meets (using up one of a count), or None."""
        query = (
            "SELECT action, kind, remaining FROM faults WHERE action IN (?, '*')"
            " AND (remaining IS NULL OR remaining > 0) ORDER BY action = '*' LIMIT 1"
        )
        # Every request asks: look without the write lock first, the plan is usually empty.
        with self._lock:
            if self._db is None:
                self._db = self._connect()
            if self._db.execute(query, (action,)).fetchone() is None:
                return None
        with self._tx() as db:
            hit = db.execute(query, (action,)).fetchone()
            if hit is None:
                return None
            if hit[2] is not None:
                db.execute(
                    "UPDATE faults SET remaining = remaining - 1 WHERE action = ?", (hit[0],)
                )
            return str(hit[1])


def parse_price(raw: str) -> Decimal:
    """A `maxPrice` parameter; raises `Refusal("BAD_ACTION")` when it is not a number."""
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        raise Refusal("BAD_ACTION") from None
    if not value.is_finite() or value < 0:
        raise Refusal("BAD_ACTION")
    return value
