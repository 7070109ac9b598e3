"""Shared fixtures: every test gets its own config and state dir and no OTPCLI_* env,
and no test reaches past loopback (the `no_network` guard)."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otpcli.domain.clock import FakeClock

# Read before `isolated_env` clears every OTPCLI_* variable of each test.
TEST_PG_URL = os.environ.get("OTPCLI_TEST_PG_URL", "").strip()
REQUIRE_PG = os.environ.get("OTPCLI_REQUIRE_PG", "") == "1"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("OTPCLI_") or name in ("NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("OTPCLI_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("OTPCLI_STATE_DIR", str(tmp_path / "state"))
    # Real sleeps between HTTP read retries would make the suite slow.
    from otpcli.services import session

    monkeypatch.setattr(session, "READ_BACKOFF", 0.0)
    return tmp_path


class NetworkBlocked(OSError):
    """Raised by the guard below for a lookup of, or a connection to, a non-loopback host."""


def _is_local(host: Any) -> bool:
    """Loopback (any form), the unspecified address a server binds to, or not an IP
    endpoint at all (a Unix socket path, a `None` host for getaddrinfo)."""
    if not isinstance(host, str | bytes):
        return True
    name = host.decode() if isinstance(host, bytes) else host
    name = name.strip("[]").split("%", 1)[0].lower()
    if name in ("", "localhost", "localhost.", "0.0.0.0", "::"):
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def _is_ip(host: Any) -> bool:
    name = host.decode() if isinstance(host, bytes) else str(host)
    try:
        ipaddress.ip_address(name.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


class NetworkGuard:
    """The attempts the guard stopped; the test fails at teardown if there are any, even
    when the product swallowed the error (e.g. into a "network error" exit code)."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def stop(self, what: str) -> NetworkBlocked:
        self.attempts.append(what)
        return NetworkBlocked(f"test tried to reach the network: {what}")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """No test touches the internet: a DNS lookup of, or a socket connection to, anything
    but loopback raises NetworkBlocked and fails the test. `responses` intercepts requests
    before any socket, so mocked calls are unaffected; the in-process sandbox and
    `otp sandbox serve` listen on loopback; e2e subprocesses do not inherit the patch."""
    guard = NetworkGuard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple) and not _is_local(address[0]):
            raise guard.stop(f"connect to {address!r}")
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if isinstance(address, tuple) and not _is_local(address[0]):
            raise guard.stop(f"connect_ex to {address!r}")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        # A numeric address needs no lookup: connect() judges it.
        if not _is_local(host) and not _is_ip(host):
            raise guard.stop(f"DNS lookup of {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield guard
    if guard.attempts:
        pytest.fail(
            "the test reached for the network (mock it with `responses` or use the "
            "sandbox): " + "; ".join(guard.attempts),
            pytrace=False,
        )


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    """A fake clock for waits, timeouts and the early-cancel rule (milliseconds, not minutes)."""
    from otpcli.domain import clock as clock_mod

    fake = FakeClock()
    monkeypatch.setattr(clock_mod, "CLOCK", fake)
    yield fake


def _no_pg(why: str) -> None:
    if REQUIRE_PG:
        pytest.fail(f"OTPCLI_REQUIRE_PG=1 but the PostgreSQL tests cannot run: {why}")
    pytest.skip(f"no PostgreSQL for the journal tests: {why}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The URL of a PostgreSQL server (its admin database): `OTPCLI_TEST_PG_URL`, else a
    throwaway cluster started for this session where the binaries exist, else the test is
    skipped (a failure with `OTPCLI_REQUIRE_PG=1`, as in .ci/run)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _no_pg("psycopg is not installed (pip install -e '.[test]')")
    if TEST_PG_URL:
        yield TEST_PG_URL
        return
    import shutil
    import tempfile

    from tests import pg_cluster

    if pg_cluster.bindir() is None:
        _no_pg("no initdb/pg_ctl (apt-get install postgresql) and OTPCLI_TEST_PG_URL is unset")
    folder = Path(tempfile.mkdtemp(prefix="otpcli-pg-"))
    try:
        yield pg_cluster.start(folder)
    finally:
        pg_cluster.stop(folder)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A database of its own on the PostgreSQL server, dropped after the test."""
    from tests.journal_backends import create_database, drop_database

    url = create_database(pg_server)
    yield url
    drop_database(pg_server, url)


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_backend(
    request: pytest.FixtureRequest, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The test runs once per journal backend; on PostgreSQL `OTPCLI_JOURNAL_URL` points
    every `otp` (in-process or child) at a database of the test's own."""
    from tests.journal_backends import JournalBackend

    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        monkeypatch.setenv("OTPCLI_JOURNAL_URL", url)
    return JournalBackend(request.param, isolated_env / "state", url)
