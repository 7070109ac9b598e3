"""The simulator's HTTP front end: the generic sms-activate `handler_api.php` protocol.

Served at `/stubs/handler_api.php`, so the base URL is `http://HOST:PORT/stubs`. Parameters
come in the query string (GET) or a form body (POST); `api_key` and `action` always.
Plain-text replies are `text/plain; charset=utf-8`, JSON ones `application/json`.
HTTP/1.1 keep-alive is supported; OTPGet's cheap_handler.php, rental-handler.php and
email_handler.php are served beside it (`otpcli.sandbox.otpget_api`); any other path
answers 404.

One server speaks one dialect (`start_background(dialect=)`, `serve(dialect=)`, else
`OTPCLI_SANDBOX_DIALECT`, else the default; an unknown name is a `ConfigError`). The
replies below are the default's; `otpcli.sandbox.handler` answers every action, the
newer ones (getNumberV2's full reply, getStatusV2, getActiveActivations,
getNumbersStatus, getTopCountriesByService, getServicesList, getOperators,
getBalanceAndCashBack, getPricesExtended, hero-sms's cancel/finishActivation, setStatus
-1) included, and `otpcli.sandbox.dialects` says how each host family words them.

- `getBalance` -> `ACCESS_BALANCE:1000.00` (two decimals, play money).
- `getNumber&service=S[&country=C][&operator=O][&maxPrice=P]` -> `ACCESS_NUMBER:<id>:<phone>`;
  errors `BAD_SERVICE`, `BAD_COUNTRY`, `NO_NUMBERS`, `MAX_PRICE_EXCEEDED`, `NO_BALANCE`,
  `BAD_ACTION` (maxPrice is not a number).
- `getStatus&id=` -> `STATUS_WAIT_CODE` | `STATUS_WAIT_RETRY:<old code>` | `STATUS_OK:<code>`
  | `STATUS_CANCEL` (cancelled or expired); `NO_ACTIVATION` for an unknown id.
- `getFullSms&id=` -> `FULL_SMS:<text>` (or `STATUS_WAIT_CODE` / `STATUS_CANCEL`).
- `setStatus&id=&status=` -> 1 `ACCESS_READY`, 3 `ACCESS_RETRY_GET`, 6 `ACCESS_ACTIVATION`,
  8 or -1 `ACCESS_CANCEL`; errors `NO_ACTIVATION`, `BAD_STATUS`, `EARLY_CANCEL_DENIED`,
  `NO_SMS_RECEIVED`, `STATUS_ALREADY_CHANGED`.
- `getPrices[&service=S][&country=C]` -> `{"22": {"tg": {"cost": 12.50, "count": 140}}}`;
  errors `BAD_SERVICE`, `BAD_COUNTRY`.
- `getCountries` -> `{"22": {"id": 22, "eng": "India"}, ...}`.

- Country defaults to 22 (India); `operator` is accepted and ignored. A finished order
  still reports `STATUS_OK:<code>` (the protocol has no "finished" word).
- Status 8 on an order that has received a code answers `STATUS_ALREADY_CHANGED` (the
  number is used: finish it instead); `EARLY_CANCEL_DENIED` is kept for the 2-minute
  rule alone, `BAD_STATUS` for a status value that is not 1, 3, 6, 8 or -1. Status 3 or 6
  before any code: `NO_SMS_RECEIVED`. See `otpcli.sandbox.state` for every rule.
- A key starting with `bad` gets `BAD_KEY` for every action; missing `action`, an unknown
  one, or a missing `id` gets `BAD_ACTION`; a missing `service` `BAD_SERVICE`; a missing
  `status` `BAD_STATUS`. A database failure answers `ERROR_SQL`.
- A SIGTERM (`Interrupted`) stops `serve` whenever it lands, also while a connection is
  being handed to its thread.
- The server never writes to stderr (the CLI's stderr belongs to the user) and never
  repeats the API key, except on purpose in the `html` fault.
- Planned faults (`OTPCLI_SANDBOX_FAULTS`, `otp sandbox fault`, the `sandboxFault` control
  action; see `otpcli.sandbox.faults`) are applied by one hook before any dispatch.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import selectors
import socket
import socketserver
import sqlite3
import sys
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from otpcli.domain.errors import BadInput, ConfigError, Interrupted
from otpcli.sandbox import dialects, faults, handler, otpget_api
from otpcli.sandbox.dialects import Rendering
from otpcli.sandbox.state import SandboxState, Timing

HANDLER_PATH = "/stubs/handler_api.php"
BASE_PATH = "/stubs"
DIALECT_VAR = "OTPCLI_SANDBOX_DIALECT"

_TEXT = "text/plain; charset=utf-8"
_JSON = "application/json; charset=utf-8"
_MAX_BODY = 64 * 1024


# --- the protocol ---------------------------------------------------------------------


def respond(state: SandboxState, params: dict[str, str]) -> tuple[str, str]:
    """Answer one request in the default dialect: (content type, body)."""
    reply = handler.respond(state, params, dialects.DEFAULT)
    return reply.ctype, reply.body


def rendering(name: str | None = None, environ: Mapping[str, str] | None = None) -> Rendering:
    """The dialect to speak: `name`, else `OTPCLI_SANDBOX_DIALECT`, else the default.

    An unknown name is a configuration error (exit 3).
    """
    env = os.environ if environ is None else environ
    chosen = name if name is not None else env.get(DIALECT_VAR, "").strip()
    try:
        return dialects.get(chosen)
    except KeyError:
        source = "--dialect" if name is not None else DIALECT_VAR
        raise ConfigError(
            f"{source}: unknown dialect {chosen!r}",
            hint=f"one of: {', '.join(dialects.RENDERINGS)} (or leave it unset)",
        ) from None


# --- HTTP -------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection per waiting activation
    server_version = "otpcli-sandbox"
    sys_version = ""
    timeout = 120  # an idle kept-alive connection is closed after this many seconds
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body are two writes; without this, Nagle + delayed ACK add 40 ms.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def do_GET(self) -> None:
        self._answer(b"")

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= _MAX_BODY:
            self._send(413, _TEXT, "BAD_REQUEST")
            self.close_connection = True
            return
        self._answer(self.rfile.read(length))

    def _answer(self, body: bytes) -> None:
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if body:
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            params.update({k: v[-1] for k, v in form.items()})
        # Planned faults (otpcli.sandbox.faults) come before any handler script's dispatch.
        if faults.intercept(self, self.server.state, params):
            return
        path = url.path.rstrip("/")
        if path == HANDLER_PATH:
            reply = handler.respond(self.server.state, params, self.server.rendering)
            self._send(reply.status, reply.ctype, reply.body)
            return
        answer = otpget_api.HANDLERS.get(path)
        if answer is None:
            self._send(404, _TEXT, "NOT_FOUND")
            return
        try:
            ctype, text = answer(self.server.state, params)
        except sqlite3.Error:
            ctype, text = _TEXT, "ERROR_SQL"
        except Exception:  # a bug must not kill the server, nor print to stderr
            self._send(500, _TEXT, "SERVER_ERROR")
            return
        self._send(200, ctype, text)

    def _send(self, code: int, ctype: str, text: str) -> None:
        data = text.encode("utf-8")
        self.send_response(code)
        if code != 204:  # a 204 has neither a body nor its headers (RFC 9110 15.3.5)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if data:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the user's stderr is not ours, and request lines carry the key."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops connects beyond it, and the client retries
    # a second later: 100 activations waited at once must not pay that.
    request_queue_size = 128

    def __init__(self, host: str, port: int, state: SandboxState, speech: Rendering) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.state = state
        self.rendering = speech
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = False
        # Before super().__init__, whose failure path calls server_close().
        self._wake_r, self._wake_w = socket.socketpair()
        super().__init__((host, port), _Handler)

    def run(self) -> None:
        """Like serve_forever(), but `request_stop()` ends it at once, not after a poll
        interval (tests start and stop many servers; `otp` stops one on every exit)."""
        with selectors.DefaultSelector() as sel:
            sel.register(self.socket, selectors.EVENT_READ)
            sel.register(self._wake_r, selectors.EVENT_READ)
            while not self._stopping:
                for key, _ in sel.select():
                    if key.fileobj is self.socket and not self._stopping:
                        self.handle_request()  # accepts the ready connection; no wait

    def request_stop(self) -> None:
        self._stopping = True
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def server_close(self) -> None:
        super().server_close()
        self._wake_r.close()
        self._wake_w.close()

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a DNS lookup we do not need.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Silent (a client hanging up is not the user's problem), except for a signal.

        socketserver calls this for any Exception raised while the main thread hands a
        connection over; SIGTERM's `Interrupted` landing just then must still stop the
        server, not be swallowed here (it was, about one stop in ten under load).
        """
        caught = sys.exc_info()[1]
        if isinstance(caught, Interrupted):
            raise caught

    def track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        """Hang up kept-alive connections so their handler threads end now."""
        with self._lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    @property
    def base_url(self) -> str:
        host, port = str(self.server_address[0]), int(self.server_address[1])
        ip = ipaddress.ip_address(host)
        if ip.is_unspecified:  # listening everywhere: loopback is one place that works
            host = "::1" if ip.version == 6 else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}{BASE_PATH}"


def _listen(host: str, port: int, state: SandboxState, dialect: str | None) -> _Server:
    try:
        speech = rendering(dialect)  # a bad name is a ConfigError
        faults.load_env(state)  # OTPCLI_SANDBOX_FAULTS; a bad value is a ConfigError
    except BaseException:
        state.close()
        raise
    try:
        return _Server(host, port, state, speech)
    except (OSError, OverflowError) as exc:
        state.close()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise BadInput(
            f"the sandbox cannot listen on {host}:{port}: {reason}",
            hint="choose another --port, or 0 for any free port",
        ) from None


def _state(
    state_dir: str | os.PathLike[str],
    clock: Callable[[], float] | None,
    timing: Timing | None,
) -> SandboxState:
    t = timing or Timing()
    return SandboxState(
        state_dir,
        clock,
        scale=t.scale,
        delay=t.sms_delay,
        cancel_window=t.early_cancel,
        life=t.lifetime,
    )


class SandboxServer:
    """A running simulator: `base_url`, `state`, `stop()`; a context manager."""

    def __init__(self, httpd: _Server, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread
        self.state = httpd.state
        self.base_url = httpd.base_url
        self._stopped = False

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._httpd.request_stop()
        self._thread.join(timeout=5)
        self._httpd.server_close()
        self._httpd.close_connections()
        self.state.close()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_background(
    state_dir: str | os.PathLike[str],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    clock: Callable[[], float] | None = None,
    dialect: str | None = None,
    timing: Timing | None = None,
) -> SandboxServer:
    """Start the simulator in a daemon thread (port 0: any free port) and return at once.

    `dialect` (None: `OTPCLI_SANDBOX_DIALECT`, else the default) and `timing` as for `serve`.
    """
    httpd = _listen(host, port, _state(state_dir, clock, timing), dialect)
    thread = threading.Thread(target=httpd.run, name="otpcli-sandbox", daemon=True)
    thread.start()
    return SandboxServer(httpd, thread)


def serve(
    state_dir: str | os.PathLike[str],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    ready: Callable[[str], None] | None = None,
    dialect: str | None = None,
    timing: Timing | None = None,
) -> None:
    """Serve in this thread until Ctrl-C (returns) or `Interrupted` (propagates).

    `ready(base_url)` is called once the socket is listening. `dialect` names a row of
    `otpcli.sandbox.dialects.RENDERINGS` (None: `OTPCLI_SANDBOX_DIALECT`, else the
    default); a setting of `timing` that is not None overrides its variable.
    """
    httpd = _listen(host, port, _state(state_dir, None, timing), dialect)
    try:
        if ready is not None:
            ready(httpd.base_url)
        httpd.run()
    except KeyboardInterrupt:
        return
    finally:
        httpd.server_close()
        httpd.close_connections()
        httpd.state.close()
