"""The order journal on a PostgreSQL server shared by many machines (psycopg 3).

Contract (services/journal.py `Backend`):
- `PgBackend(url)` is chosen by `OTPCLI_JOURNAL_URL=postgresql://...` or a profile's
  `journal_url` (services/session.py). psycopg is imported by `connect()` only, so
  `import otpcli` and every command that never opens this journal pay nothing for it.
- Every failure to open it is a `ConfigError` (exit 3), "the journal could not be
  opened", that names the server with the password masked and says how to fix it: the
  extra is missing, the server cannot be reached, authentication fails, the database
  does not exist. It says only what was attempted (any command opens the journal);
  `Journal.begin()` adds that no purchase was sent when a purchase opened it (the
  journal is opened before any purchase request, so then nothing is bought).
- The connection is in autocommit mode and `begin()` starts a transaction that first
  takes one transaction-scoped advisory lock (`LOCK_KEY`): writers are serialised across
  every process of every machine exactly as `BEGIN IMMEDIATE` serialises them on one
  SQLite file, so "write before you buy" and a check made inside the transaction (the
  spending cap) hold fleet-wide. Readers are not blocked.
- SQL is written once for both backends: `?` placeholders become `%s`, rows are read
  by column name or index (`Row`), as with sqlite3.Row; listings stream from a
  server-side cursor (`_Conn.stream`). Statements must not contain a
  literal `?` or `%`.
- The schema's version is the one row of `otpcli_schema`; migrations run in the locked
  transaction that opens the journal (concurrent first runs of a fleet are safe). Steps
  0 and 1 are written here in PostgreSQL's words (types, the spend trigger); the tables
  and later steps are the portable statements of services/journal.py in PostgreSQL's
  types (`_portable`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from otpcli.domain.errors import ConfigError

# pg_advisory_xact_lock key of journal writers: "otpcli" in ASCII.
LOCK_KEY = 0x6F7470636C69
SCHEMES = ("postgresql", "postgres")
INSTALL_HINT = "install the extra: pip install 'otpcli[postgres]'"

# What a row costs, in millionths (the spend table of SQLite's migration 2).
_MICROS = "ROUND({t}.price::numeric * 1000000)::bigint"
_COSTS = "{t}.price IS NOT NULL AND {t}.state NOT IN ('failed', 'cancelled')"
_ADD = (
    "INSERT INTO spend VALUES (COALESCE({t}.currency, ''), {sign}" + _MICROS + ")"
    " ON CONFLICT (currency) DO UPDATE SET micros = spend.micros + excluded.micros;"
)

_STEPS: dict[int, tuple[str, ...]] = {
    0: (
        "ALTER TABLE orders ADD COLUMN IF NOT EXISTS owner_host TEXT",
        "ALTER TABLE orders ADD COLUMN IF NOT EXISTS owner_boot TEXT",
        "ALTER TABLE orders ADD COLUMN IF NOT EXISTS owner_pid BIGINT",
        "ALTER TABLE orders ADD COLUMN IF NOT EXISTS owner_start BIGINT",
        "CREATE INDEX IF NOT EXISTS orders_state ON orders(state)",
        "CREATE INDEX IF NOT EXISTS orders_owned ON orders(owner_pid) WHERE owner_pid IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS events_order_row ON events(order_row)",
    ),
    1: (
        "CREATE TABLE IF NOT EXISTS spend (currency TEXT PRIMARY KEY, micros BIGINT NOT NULL)",
        f"INSERT INTO spend SELECT COALESCE(currency, ''), SUM({_MICROS.format(t='orders')})"
        f" FROM orders WHERE {_COSTS.format(t='orders')} GROUP BY COALESCE(currency, '')",
        f"""CREATE OR REPLACE FUNCTION otpcli_spend() RETURNS trigger AS $$
        BEGIN
            IF TG_OP <> 'INSERT' AND {_COSTS.format(t="OLD")} THEN
                {_ADD.format(t="OLD", sign="-")}
            END IF;
            IF TG_OP <> 'DELETE' AND {_COSTS.format(t="NEW")} THEN
                {_ADD.format(t="NEW", sign="")}
            END IF;
            RETURN NULL;
        END $$ LANGUAGE plpgsql""",
        "DROP TRIGGER IF EXISTS spend_change ON orders",
        """CREATE TRIGGER spend_change AFTER INSERT OR DELETE OR UPDATE OF price, currency, state
        ON orders FOR EACH ROW EXECUTE FUNCTION otpcli_spend()""",
    ),
}


def masked(url: str) -> str:
    """`url` with its password (in the authority or as `?password=`) shown as `***`."""
    if _password(url) is None:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = parts.query
    if query:
        pairs = [(k, "***" if k == "password" else v) for k, v in parse_qsl(query, True)]
        query = urlencode(pairs, safe="*")
    shown = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return shown.replace(":/", "://", 1) if not netloc else shown


def failure(exc: BaseException) -> ConfigError:
    """A PostgreSQL error after the journal was opened (the server went away, a
    statement failed): exit 3, with the server named as this process opened it (from the
    environment, a profile or the config file) and its password masked."""
    url = next(iter(_OPENED), "")
    where = f" {masked(url)}" if url else ""
    return ConfigError(
        f"the shared order journal{where} failed: {_scrubbed(exc, url)}",
        hint="check the PostgreSQL server, then run the command again; "
        "`otp orders` shows what the journal holds",
    )


def _scrubbed(exc: BaseException, url: str) -> str:
    """psycopg's text of `exc` on one line, with the URL shown masked and its password
    masked wherever the server's message repeats it."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if not url:
        return text
    secret = _password(url)
    if secret:
        from otpcli.domain.masking import Masker

        text = Masker([secret])(text)
    return text.replace(url, masked(url))


# The journal URLs this process opened (one, in practice): `failure` names them.
_OPENED: list[str] = []


def is_pg_url(url: str) -> bool:
    return urlsplit(url).scheme in SCHEMES


def _password(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.password:
        return parts.password
    return dict(parse_qsl(parts.query)).get("password")


class Row(tuple[Any, ...]):
    """One result row, read by index or by column name (like sqlite3.Row)."""

    _index: dict[str, int]

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            key = self._index[key]
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: Any) -> Any:
    names = [c.name for c in cursor.description or ()]
    cls = type("Row", (Row,), {"_index": {n: i for i, n in enumerate(names)}})
    return lambda values: cls(values)


_CURSORS = itertools.count(1)


class _Conn:
    """A psycopg connection that speaks the journal's SQL (`?` placeholders)."""

    def __init__(self, conn: Any) -> None:
        self.raw = conn

    def execute(self, sql: str, args: Sequence[Any] | None = None) -> Any:
        if not args:
            return self.raw.execute(sql)
        return self.raw.execute(sql.replace("?", "%s"), tuple(args))

    def stream(self, sql: str, args: Sequence[Any]) -> Any:
        """A server-side cursor (WITH HOLD: the connection is in autocommit mode), so a
        100,000-row listing is fetched in batches, not held in memory at once."""
        cur = self.raw.cursor(name=f"otpcli_{next(_CURSORS)}", withhold=True)
        cur.execute(sql.replace("?", "%s"), tuple(args) or None)
        return cur

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any:
        cur = self.raw.cursor()
        cur.executemany(sql.replace("?", "%s"), [tuple(r) for r in rows])
        return cur

    def close(self) -> None:
        self.raw.close()


def _portable(stmt: str) -> str:
    """A statement of services/journal.py (its schema or a migration step) in
    PostgreSQL's words: the row id is a BIGSERIAL, integers are 64-bit, REAL is double."""
    stmt = stmt.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
    stmt = re.sub(r"\bINTEGER\b", "BIGINT", stmt)
    stmt = re.sub(r"\bREAL\b", "DOUBLE PRECISION", stmt)
    return re.sub(r"\bADD COLUMN (?!IF NOT EXISTS)", "ADD COLUMN IF NOT EXISTS ", stmt)


class PgBackend:
    """The journal on a PostgreSQL server (services/journal.py `Backend`)."""

    name = "postgresql"

    def __init__(self, url: str, *, connect_timeout: int = 10) -> None:
        self.url = url
        self.location = masked(url)
        self.connect_timeout = connect_timeout

    def _fail(self, what: str, hint: str) -> ConfigError:
        return ConfigError(f"the shared order journal {self.location} {what}", hint=hint)

    def connect(self) -> _Conn:
        try:
            import psycopg
        except ImportError:
            raise self._fail(
                "could not be opened: it needs psycopg 3, which is not installed",
                hint=f"{INSTALL_HINT}, or unset OTPCLI_JOURNAL_URL to use the local journal",
            ) from None
        try:
            conn = psycopg.connect(
                self.url,
                autocommit=True,
                row_factory=_row_factory,
                connect_timeout=self.connect_timeout,
                application_name="otpcli",
            )
        except psycopg.Error as exc:
            raise self._fail(
                f"could not be opened: {self._detail(exc)}",
                hint="check that the server runs and the URL's host, port, database, user "
                "and password (OTPCLI_JOURNAL_URL or the profile's journal_url)",
            ) from None
        if self.url not in _OPENED:
            _OPENED.append(self.url)
        return _Conn(conn)

    def _detail(self, exc: BaseException) -> str:
        return _scrubbed(exc, self.url)

    def begin(self, db: _Conn) -> None:
        # READ COMMITTED whatever the server's default: each statement sees what the
        # previous holder of the lock committed, so the cap's sum cannot miss a purchase.
        db.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        db.execute(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")

    def schema(self, portable: list[str]) -> list[str]:
        # The tables of version 0, written once in services/journal.py, in PostgreSQL's types.
        return [
            *(_portable(s) for s in portable),
            "CREATE TABLE IF NOT EXISTS otpcli_schema (version INTEGER NOT NULL)",
        ]

    def step(self, index: int, stmts: tuple[str, ...]) -> tuple[str, ...]:
        return _STEPS.get(index) or tuple(_portable(s) for s in stmts)

    def version(self, db: Any) -> int:
        found = db.execute("SELECT max(version) FROM otpcli_schema").fetchone()
        return int(found[0] or 0)

    def set_version(self, db: Any, version: int) -> None:
        db.execute("DELETE FROM otpcli_schema")
        db.execute("INSERT INTO otpcli_schema VALUES (?)", (int(version),))
