"""The one HTTP path to every provider.

`Transport` owns the requests sessions: connect/read timeouts, a User-Agent naming
otpcli, https required except for loopback hosts, read retries with capped exponential
backoff and jitter (urllib3's Retry) for idempotent calls only, and no retry at all for
purchases. Every message, log line and exception it produces has the secrets masked:
requests puts full URLs, query string included, into its own errors.

Politeness: a `Transport` given `max_rate` (requests per second) sends through the one
`Pacer` of its host (scheme, host, port), shared by every such `Transport` in the process
and every thread, so 500 waits together stay within one host's rate. Ordinary requests
start at least 1/rate apart, spaced rather than in bursts. A non-idempotent request (a
purchase, a cancel) is urgent: it waits at most one gap, never behind the queue of polls,
and pushes that queue back one gap, so over any stretch of time the host sees at most one
request more than the rate allows. Transports that ask different rates for one host get
the strictest. The urllib3 retries of a failed read are not paced (they back off anyway).
Time comes from `otpcli.domain.clock`, so tests pace in fake time.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

from otpcli import __version__
from otpcli.domain import clock as clock_mod
from otpcli.domain.errors import ConfigError, NetworkError
from otpcli.domain.masking import Masker

if TYPE_CHECKING:
    import requests

log = logging.getLogger("otpcli.http")

USER_AGENT = f"otpcli/{__version__} (+https://github.com/otpcli/otpcli)"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# The scripts a base URL's folder holds: a URL naming one of them (as provider
# documents print it, `.../stubs/handler_api.php`) means its folder.
_SCRIPTS = ("handler_api.php", "cheap_handler.php", "rental-handler.php", "email_handler.php")


def normalise_base_url(url: str) -> tuple[str, str | None]:
    """The base URL as the folder holding the handler scripts, and a note when the
    given URL had to be changed (it named the script, or carried a query string).

    The note never repeats the query: it may hold the API key."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    folder, _, last = path.rpartition("/")
    changed = bool(parts.query or parts.fragment)
    if last.lower() in _SCRIPTS:
        path, changed = folder, True
    fixed = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    if not changed:
        return url.strip().rstrip("/"), None
    return fixed, f"base URL taken as {fixed} (the folder that holds {_SCRIPTS[0]})"


def check_base_url(url: str) -> str:
    """Return the URL as its handler folder, or raise ConfigError if it is unsafe."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            # Without the query: a URL copied from a document may carry the key there.
            f"base URL {url.partition('?')[0]!r} is not an http(s) URL",
            hint="give the folder that holds the provider's handler scripts, "
            "e.g. --base-url https://example.com/stubs",
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"refusing plain http:// for {parts.hostname}: the API key would travel unencrypted",
            hint="use an https:// base URL (plain http is allowed only for 127.0.0.1/localhost)",
        )
    return normalise_base_url(url)[0]


# Words in a requests ConnectionError that mean the request never left this machine.
_NEVER_SENT = (
    "Connection refused",
    "NewConnectionError",
    "Name or service not known",
    "nodename nor servname",
    "Failed to resolve",
    "No route to host",
)


_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\")]+)|Error\(\d+, '([^']+)'\)")


class Redactor(Masker):
    """Masks secrets in any text: raw, URL-encoded, in any letter case, and any fragment
    of 8 or more characters (a provider echoing part of the key); see domain/masking.py."""


class Reply(NamedTuple):
    status: int
    text: str


def _stamped_retry() -> type:
    """urllib3's Retry, noting when it sends the next attempt (after its backoff), so
    the total deadline of a request is counted per attempt."""
    from urllib3.util.retry import Retry

    class StampedRetry(Retry):
        sent_at: float | None = None

        def sleep(self, response: object = None) -> None:
            super().sleep(response)  # type: ignore[arg-type]
            self.sent_at = time.monotonic()

    return StampedRetry


@functools.cache
def _deadline_adapter() -> type:
    """An HTTPAdapter whose connections bound the wait for a reply's status line and
    headers by the read timeout *in all*: urllib3's read timeout alone restarts with
    every byte, so a host dripping its headers one byte a second would never time out.
    A timer shuts the socket down when the time is up; the read then fails as any
    broken connection does (a purchase: "outcome unknown"; a read: retried)."""
    import socket
    import threading

    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class Bounded:
        def getresponse(self) -> Any:
            sock = getattr(self, "sock", None)
            limit = sock.gettimeout() if sock is not None else None
            if sock is None or not limit:
                return super().getresponse()  # type: ignore[misc]

            def cut() -> None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

            timer = threading.Timer(limit, cut)
            timer.daemon = True
            timer.start()
            try:
                return super().getresponse()  # type: ignore[misc]
            finally:
                timer.cancel()

    class Conn(Bounded, HTTPConnection):
        pass

    class TlsConn(Bounded, HTTPSConnection):
        pass

    class Pool(HTTPConnectionPool):
        ConnectionCls = Conn

    class TlsPool(HTTPSConnectionPool):
        ConnectionCls = TlsConn

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TlsPool}

    return Adapter


class _Overdue(Exception):
    """The reply did not complete within the request's total deadline."""


def urllib3_errors() -> type[Exception]:
    from urllib3.exceptions import HTTPError

    return HTTPError


def _read_body(resp: requests.Response, deadline: float, read_timeout: float) -> bytes:
    """The reply body, read chunk by chunk until `deadline` (time.monotonic): before each
    read the socket's timeout is cut to what is left, so no read outlives the deadline.
    A reply that is not complete by then is closed (its connection is not reused)."""
    raw = resp.raw
    sock = getattr(getattr(raw, "_connection", None), "sock", None)
    chunks: list[bytes] = []
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise _Overdue
            if sock is not None:
                sock.settimeout(min(read_timeout, left))
            chunk = raw.read1(65536, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    except BaseException as exc:
        resp.close()
        if sock is not None and time.monotonic() >= deadline and not isinstance(exc, _Overdue):
            raise _Overdue from None  # the cut socket timeout fired: the deadline passed
        raise


def _decode(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.strip().lstrip("\ufeff")


HostKey = tuple[str, str, int]


def host_key(url: str) -> HostKey:
    """(scheme, host, port) of a URL: what one request-rate cap is counted per."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return scheme, (parts.hostname or "").lower(), port


class Pacer:
    """A min-gap scheduler for one host: each request books a start time (a slot) under
    a lock and sleeps outside it until then, so threads never wait on each other's sleep.
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"max_rate must be positive, not {rate!r}")
        self.rate = rate
        self._lock = threading.Lock()
        self._clock: clock_mod.Clock | None = None
        self._next = float("-inf")  # earliest start of the next ordinary request
        self._next_urgent = float("-inf")

    def tighten(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"max_rate must be positive, not {rate!r}")
        with self._lock:
            self.rate = min(self.rate, rate)

    def book(self, *, urgent: bool = False) -> float:
        """Book the next start time for a request and return it (clock time)."""
        clk = clock_mod.current()
        with self._lock:
            if clk is not self._clock:
                # A timeline belongs to one clock: a test's fake clock starts afresh.
                self._clock = clk
                self._next = self._next_urgent = float("-inf")
            now = clk.now()
            gap = 1.0 / self.rate
            if urgent:
                # At most one gap behind the queue, and never two urgent ones closer
                # than a gap; the ordinary queue moves back one slot to make room.
                slot = max(self._next_urgent, min(max(now, self._next), now + gap))
                self._next_urgent = slot + gap
                self._next = max(self._next, slot) + gap
            else:
                slot = max(now, self._next)
                self._next = slot + gap
            return slot

    def wait(self, *, urgent: bool = False) -> float:
        """Sleep until this request's slot; return the slot."""
        slot = self.book(urgent=urgent)
        clk = clock_mod.current()
        delay = slot - clk.now()
        if delay > 0:  # a free slot costs nothing, not even a zero sleep
            clk.sleep(delay)
        return slot


_PACERS: dict[HostKey, Pacer] = {}
_PACERS_LOCK = threading.Lock()


def pacer_for(url: str, rate: float) -> Pacer:
    """The process-wide pacer of the URL's host, created at `rate` or tightened to it."""
    key = host_key(url)
    with _PACERS_LOCK:
        pacer = _PACERS.get(key)
        if pacer is None:
            pacer = _PACERS[key] = Pacer(rate)
        else:
            pacer.tighten(rate)
    return pacer


class Transport:
    """GET requests to one provider host, with the key never leaking; with `max_rate`,
    paced through the host's process-wide `Pacer`."""

    def __init__(
        self,
        base_url: str,
        *,
        secrets: Iterable[str | None] = (),
        headers: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        read_retries: int = 3,
        backoff: float = 0.5,
        max_rate: float | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self.pacer = pacer_for(self.base_url, max_rate) if max_rate is not None else None
        self.redact = Redactor(secrets)
        self._headers = dict(headers or {})
        self._timeout = (connect_timeout, timeout)
        self._read_retries = read_retries
        self._backoff = backoff
        self._sessions: dict[bool, requests.Session] = {}

    def _session(self, idempotent: bool) -> requests.Session:
        session = self._sessions.get(idempotent)
        if session is None:
            import requests

            Retry = _stamped_retry()

            session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            session.headers.update(self._headers)
            if idempotent:
                retry = Retry(
                    total=self._read_retries,
                    connect=self._read_retries,
                    read=self._read_retries,
                    status=self._read_retries,
                    backoff_factor=self._backoff,
                    backoff_max=8.0,
                    backoff_jitter=self._backoff / 2,
                    status_forcelist=(500, 502, 503, 504),
                    allowed_methods=frozenset({"GET"}),
                    raise_on_status=False,
                    respect_retry_after_header=False,
                )
            else:
                # A purchase is never re-sent: once it may have reached the server,
                # a retry could buy a second number.
                retry = Retry(
                    total=0, connect=0, read=0, status=0, redirect=0, raise_on_status=False
                )
            adapter = _deadline_adapter()(max_retries=retry, pool_maxsize=32)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._sessions[idempotent] = session
        return session

    def get(self, script: str, params: Mapping[str, str], *, idempotent: bool = True) -> Reply:
        """GET base_url/script with params. Raises NetworkError (redacted) on transport failure."""
        import requests

        url = f"{self.base_url}/{script}"
        log.debug("GET %s action=%s", self.redact(url), params.get("action", ""))
        if self.pacer is not None:
            self.pacer.wait(urgent=not idempotent)
        failure: NetworkError | None = None
        # Each attempt, reply body included, has `timeout` seconds in all: the read
        # timeout alone bounds only the gap between two bytes, and a reply that drips
        # one byte a second would keep a command alive for ever.
        sent = time.monotonic()
        try:
            resp = self._session(idempotent).get(
                url, params=dict(params), timeout=self._timeout, allow_redirects=False, stream=True
            )
            # After urllib3 retried a read, the attempt that answered began later.
            sent = getattr(resp.raw.retries, "sent_at", None) or sent
            body = _read_body(resp, sent + self._timeout[1], self._timeout[1])
        except requests.exceptions.RequestException as exc:
            failure = self._classify(exc)
        except _Overdue:
            failure = self._overdue()
        except (OSError, urllib3_errors()) as exc:  # a read of the body failed
            failure = self._network_error("connection failed", exc, maybe_sent=True)
        if failure is not None:
            # Raised outside the `except` block so that the requests error, whose text
            # holds the full URL with the key, is not even kept as __context__.
            raise failure
        reply = Reply(resp.status_code, _decode(body))
        # Mask before cutting: a key straddling the cut would otherwise survive as a
        # prefix that no longer matches the whole secret.
        log.debug("-> HTTP %s %s", reply.status, self.redact(reply.text)[:200])
        return reply

    def _overdue(self) -> NetworkError:
        host = urlsplit(self.base_url).netloc
        return NetworkError(
            f"no complete answer from {host} within {self._timeout[1]:g} s",
            maybe_sent=True,
            hint="the provider is too slow right now; try again later",
        )

    def _classify(self, exc: Exception) -> NetworkError:
        import requests

        errors = requests.exceptions
        if isinstance(exc, errors.ConnectTimeout):
            return self._network_error("timed out connecting", exc, maybe_sent=False)
        if isinstance(exc, errors.SSLError):
            return self._network_error("TLS handshake failed", exc, maybe_sent=False)
        if isinstance(exc, errors.ProxyError):
            return self._network_error("proxy failed", exc, maybe_sent=False)
        if isinstance(exc, errors.ReadTimeout):
            return self._network_error("no answer in time", exc, maybe_sent=True)
        if isinstance(exc, errors.RetryError):
            return self._network_error("gave up after retries", exc, maybe_sent=True)
        if isinstance(exc, errors.ConnectionError):
            # A refused or unresolvable connection never carried the request; anything
            # else (reset, aborted mid-reply) may have.
            text = str(exc)
            refused = any(w in text for w in _NEVER_SENT)
            return self._network_error("connection failed", exc, maybe_sent=not refused)
        return self._network_error("request failed", exc, maybe_sent=True)

    def _network_error(self, what: str, exc: Exception, *, maybe_sent: bool) -> NetworkError:
        host = urlsplit(self.base_url).netloc
        text = self.redact(str(exc))
        # requests nests the cause deep in a long repr; the OS's own words say it best.
        reason = _ERRNO_TEXT.search(text)
        detail = next(g for g in reason.groups() if g).strip() if reason else text[:300]
        return NetworkError(
            f"{what} to {host}: {detail}",
            maybe_sent=maybe_sent,
            hint="check your network or the provider's status, then try again",
        )

    def close(self) -> None:
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()
