"""Dynamic values for the shell completion scripts, without starting Typer.

Run as `otp __complete KIND [PREFIX] [--describe]` (the hook in otpcli/__main__.py) or
`python -m otpcli._complete KIND [PREFIX] [--describe]`. KIND is:

- `profiles`: the profile names of the config file (`[profiles.NAME]` tables), in file
  order;
- `orders`: order ids from the journal, active orders (`otp orders --active`) first,
  then the rest, each group newest first, at most `CAP` ids, renewals left out (their id
  is the rental's).

Contract:

- One candidate per line on stdout, only those starting with PREFIX (case-sensitive);
  with `--describe`, `CANDIDATE<TAB>DESCRIPTION` (fish shows the description).
  Candidates holding anything but letters, digits and `._:@+,=/-` are left out (a
  shell would split, glob or expand them), and so are descriptions' unprintable parts.
- Exit status 0 and nothing on stdout or stderr for every failure: a missing, unreadable
  or broken config file or journal, a journal from another schema, a bad KIND. A
  completion never prints a traceback into the user's command line.
- The journal is opened read-only (`mode=ro`), never created, migrated or written; a
  busy journal is waited on for at most a fraction of a second.
- Paths follow otpcli/services/config.py: `OTPCLI_CONFIG`, else `<user config dir>/otpcli/
  config.toml`; `OTPCLI_STATE_DIR`, else the user state dir (empty variables count as
  unset). On Linux and the BSDs the XDG rules are applied here directly; elsewhere (and
  for an unusual HOME) platformdirs is asked, as config.py does. A test checks that both
  agree.
- Cost (DESIGN §5): at most 2x `python -c pass`. So this module imports only the
  standard library modules it needs (tomllib or sqlite3, one of them per call) and no
  part of otpcli, Typer, Rich or requests; bench/bench.py measures it.
"""

from __future__ import annotations

import os
import sys

CAP = 50
APP = "otpcli"
JOURNAL = "journal.sqlite3"  # otpcli.services.journal.FILE_NAME (a test checks they agree)
# otpcli.services.journal.ACTIVE_STATES (a test checks they agree).
ACTIVE_STATES = ("pending", "unknown", "waiting", "code_received", "cancel_pending", "active")


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _xdg_home(variable: str, default: str) -> str | None:
    """`$VARIABLE` (when absolute) or `~/default` under the XDG rules, or None where
    platformdirs must decide (not a plain Unix, or HOME unset or relative)."""
    if sys.platform.startswith(("win", "darwin", "ios", "cygwin", "emscripten", "wasi")):
        return None
    if hasattr(sys, "getandroidapilevel"):
        return None
    value = os.environ.get(variable, "")
    if os.path.isabs(value):
        return value
    home = os.environ.get("HOME", "")
    if not os.path.isabs(home):
        return None
    return os.path.join(home.rstrip("/") or "/", default)


def config_path() -> str:
    """The config file, by the rules of otpcli.services.config.config_path."""
    explicit = _env("OTPCLI_CONFIG")
    if explicit:
        return os.path.expanduser(explicit)
    base = _xdg_home("XDG_CONFIG_HOME", ".config")
    if base is not None:
        return os.path.join(base, APP, "config.toml")
    import platformdirs

    return os.path.join(platformdirs.user_config_dir(APP), "config.toml")


def state_dir() -> str:
    """The state folder, by the rules of otpcli.services.config.state_dir."""
    explicit = _env("OTPCLI_STATE_DIR")
    if explicit:
        return os.path.expanduser(explicit)
    base = _xdg_home("XDG_STATE_HOME", os.path.join(".local", "state"))
    if base is not None:
        return os.path.join(base, APP)
    import platformdirs

    return platformdirs.user_state_dir(APP)


# Characters a candidate may hold: a shell takes such a word as it is, with no quoting,
# splitting, globbing or expansion (bash's `compgen -W` expands `$(...)` in its list).
SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@+,=/-")


def _clean(text: object) -> bool:
    """A candidate a shell can take as one word (ids from providers can be anything)."""
    return isinstance(text, str) and bool(text) and len(text) <= 128 and SAFE.issuperset(text)


def profiles(prefix: str) -> list[tuple[str, str]]:
    """(name, provider) of each profile in the config file."""
    try:
        with open(config_path(), "rb") as f:
            data = f.read()
    except OSError:
        return []
    import tomllib

    try:
        tables = tomllib.loads(data.decode("utf-8")).get("profiles")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return []
    if not isinstance(tables, dict):
        return []
    out = []
    for name, table in tables.items():
        if _clean(name) and name.startswith(prefix):
            provider = table.get("provider") if isinstance(table, dict) else None
            out.append((name, provider if isinstance(provider, str) else ""))
    return out


def _uri(path: str) -> str:
    """A read-only SQLite URI for the journal that leaves no file behind.

    A journal no process has open has no `-wal` file and all its rows in the main file:
    it is read as `immutable` (no locks, no `-shm`/`-wal` created, which a plain
    read-only open would leave behind). While an otp process has it open, the `-wal`
    file exists and may hold the newest rows: it is read through WAL (`mode=ro`), with
    the side files that process already made. A checkpoint that starts between the
    check and the read can at worst fail the read: no candidates, no error.
    """
    # In an SQLite URI path only these three characters mean something.
    quoted = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    live = os.path.exists(path + "-wal")
    return f"file:{quoted}?mode=ro" + ("" if live else "&immutable=1")


ORDER_SQL = (
    "SELECT order_id, state, service, number FROM orders"
    " WHERE order_id IS NOT NULL AND kind != 'renewal' AND substr(order_id, 1, ?) = ?{where}"
    " ORDER BY rowid DESC LIMIT ?"
)


def orders(prefix: str, cap: int = CAP) -> list[tuple[str, str]]:
    """(order id, "state service number") from the journal, active orders first."""
    path = os.path.join(state_dir(), JOURNAL)
    if not os.path.isfile(path):
        return []
    import sqlite3

    found: dict[str, str] = {}
    marks = ",".join("?" * len(ACTIVE_STATES))
    try:
        db = sqlite3.connect(_uri(path), uri=True, timeout=0.3)
    except sqlite3.Error:
        return []
    try:
        # Two index-backed queries (state, then rowid backwards) instead of one sort of
        # the whole table: a 100,000-row journal completes as fast as a small one.
        for where, extra in ((f" AND state IN ({marks})", ACTIVE_STATES), ("", ())):
            sql = ORDER_SQL.format(where=where)
            for oid, state, service, number in db.execute(
                sql, (len(prefix), prefix, *extra, cap + len(found))
            ):
                if len(found) < cap and _clean(oid) and oid not in found:
                    words = (str(x) for x in (state, service, number) if x)
                    found[oid] = " ".join(w for w in words if w.isprintable())
    except sqlite3.Error:
        return []
    finally:
        db.close()
    return list(found.items())


KINDS = {"profiles": profiles, "orders": orders}


def main(argv: list[str]) -> int:
    """Print the candidates for `KIND [PREFIX] [--describe]`; always exit 0."""
    describe = "--describe" in argv
    args = [a for a in argv if a != "--describe"]
    if not args or args[0] not in KINDS or len(args) > 2:
        return 0
    try:
        found = KINDS[args[0]](args[1] if len(args) > 1 else "")
        lines = [f"{c}\t{d}" if describe and d else c for c, d in found]
        if lines:
            sys.stdout.write("\n".join(lines) + "\n")
            sys.stdout.flush()
    except Exception:  # a completion must never spill a traceback into the command line
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
