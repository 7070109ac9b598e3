"""Faults on request: the simulator misbehaves the way real providers and gateways do.

Contract:
- A *fault plan* maps a protocol action (`getNumber`, `getStatus`, ..., or `*` for every
  action) to a fault kind, either for every matching request or for the next N only.
  Requests are matched by their `action` parameter whatever the handler script, so the
  plan applies to every handler the server has or will have.
- The plan lives in the `faults` table of `<state_dir>/sandbox.sqlite3` (see
  `otpcli.sandbox.state`), so every server on a state dir (the in-process server of each
  `otp --sandbox` process, a standalone `otp sandbox serve`) sees one plan, and a count is
  used up once across all of them: `getNumber=500x1` fails the first `getNumber` that any
  of them receives.
- Three ways to set it, no code change needed:
  * `OTPCLI_SANDBOX_FAULTS="getNumber=reset_after_charge,getStatus=500x2"` (comma-separated
    `ACTION=KIND[xN]`), read when a server starts. It replaces the faults that came from
    this variable before, unless the value is the one applied last on this state dir: then
    the plan and its counts are kept (processes started with the same value share them).
    An unset or empty value removes the faults that came from the variable. A bad value
    is a configuration error (exit 3).
  * `otp sandbox fault ACTION KIND [--count N]`, `otp sandbox fault ACTION none`,
    `otp sandbox fault --clear` (writes the table directly).
  * the control action `action=sandboxFault&target=ACTION&fault=KIND[&count=N]` (or
    `fault=none`, or `clear=1`) on any handler script, answered `OK` or `BAD_FAULT`;
    accepted only from a loopback client (else HTTP 403), and never faulted itself.
- Kinds (`KINDS`); only `reset_after_charge` lets the action happen:
  * `500`     HTTP 500 with a plain-text body; the action is not performed.
  * `html`    HTTP 502 with an nginx-style HTML page that echoes the request URL, API key
              included (the way real gateways leak keys); the action is not performed.
  * `hang`    no reply until the client gives up (or `HANG_SECONDS` pass), then the
              connection is closed; the action is not performed. Combine it with the
              client's `OTPCLI_HTTP_TIMEOUT` to keep tests short.
  * `reset`   the connection is reset (RST) without a reply, before the action.
  * `empty`   HTTP 200 with an empty body; the action is not performed.
  * `garbage` HTTP 200 with random bytes (not UTF-8); the action is not performed.
  * `reset_after_charge` the action is performed (a purchase debits the wallet and
              creates the order), then the connection is dropped without a reply.
"""

from __future__ import annotations

import contextlib
import html
import io
import ipaddress
import os
import re
import selectors
import socket
import sqlite3
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from otpcli.domain.errors import BadInput, ConfigError
from otpcli.sandbox.state import SandboxState

ENV_VAR = "OTPCLI_SANDBOX_FAULTS"
CONTROL_ACTION = "sandboxFault"
# Longer than any client's read timeout (the CLI's default is 30 s); a client that gives
# up earlier ends the hang at once.
HANG_SECONDS = 120.0

KINDS: dict[str, str] = {
    "500": "HTTP 500 with a plain body; nothing is done",
    "html": "HTTP 502 HTML error page echoing the request URL (API key included)",
    "hang": "no reply until the client times out, then the connection is closed",
    "reset": "connection reset without a reply, before doing anything",
    "empty": "HTTP 200 with an empty body; nothing is done",
    "garbage": "HTTP 200 with random bytes; nothing is done",
    "reset_after_charge": "the action is done (a purchase is paid), then the connection drops",
}
NONE = "none"  # as a kind: remove the action's fault

_ACTION = re.compile(r"^(\*|[A-Za-z][A-Za-z0-9_]{0,63})$")
_ITEM = re.compile(r"^\s*([^=\s]+)\s*=\s*([A-Za-z0-9_]+?)(?:x(\d+))?\s*$")


@dataclass(frozen=True)
class Fault:
    action: str
    kind: str
    count: int | None = None  # None: every matching request

    def __str__(self) -> str:
        return f"{self.action}={self.kind}" + (f"x{self.count}" if self.count else "")


def served_actions() -> frozenset[str]:
    """Every action some handler script of the simulator answers, in any dialect."""
    from otpcli.sandbox import handler, otpget_api

    return frozenset(handler.ACTIONS) | otpget_api.ACTIONS


def check(action: str, kind: str, count: int | None = None) -> Fault:
    """Validate one planned fault; raises `BadInput` (exit 2)."""
    if not _ACTION.match(action):
        raise BadInput(
            f"{action!r} is not a protocol action", hint="e.g. getNumber, getStatus, or * for all"
        )
    if action == CONTROL_ACTION:
        raise BadInput(f"the control action {CONTROL_ACTION} cannot be faulted")
    known = served_actions()
    if action != "*" and action not in known:
        import difflib

        close = difflib.get_close_matches(action, sorted(known), n=3)
        raise BadInput(
            f"the sandbox serves no action {action!r}",
            hint=f"did you mean {', '.join(close)}?"
            if close
            else "e.g. getNumber, getStatus, or * for all (`otp sandbox fault` lists the plan)",
        )
    if kind not in KINDS and kind != NONE:
        raise BadInput(
            f"unknown fault kind {kind!r}", hint=f"one of: {', '.join(KINDS)} (or {NONE})"
        )
    if count is not None and count < 1:
        raise BadInput(f"a fault count is at least 1, not {count}")
    return Fault(action, kind, count)


def parse_plan(spec: str) -> list[Fault]:
    """`getNumber=reset_after_charge,getStatus=500x2` -> faults; raises `ConfigError`."""
    plan: dict[str, Fault] = {}
    for item in spec.split(","):
        if not item.strip():
            continue
        m = _ITEM.match(item)
        try:
            if m is None or m.group(2) == NONE:
                raise BadInput("expected ACTION=KIND or ACTION=KINDxN")
            fault = check(m.group(1), m.group(2), int(m.group(3)) if m.group(3) else None)
        except BadInput as exc:
            raise ConfigError(
                f"{ENV_VAR}: bad item {item.strip()!r}: {exc.message}",
                hint=f"write ACTION=KIND[xN],... with KIND one of {', '.join(KINDS)}",
            ) from None
        plan[fault.action] = fault  # the last word on an action wins
    return list(plan.values())


def load_env(state: SandboxState, environ: Mapping[str, str] | None = None) -> None:
    """Apply `OTPCLI_SANDBOX_FAULTS` to the state dir's plan (see the module docstring)."""
    env = os.environ if environ is None else environ
    spec = env.get(ENV_VAR, "").strip()
    plan = parse_plan(spec)
    state.sync_env_faults(spec, [(f.action, f.kind, f.count) for f in plan])


# --- applying a fault to one request --------------------------------------------------------


_ALIASES = {"getNumberV2": "getNumber"}


def intercept(handler: BaseHTTPRequestHandler, state: SandboxState, params: dict[str, str]) -> bool:
    """The server's one hook, called before the request is dispatched to any handler script.

    Returns True when the request is already answered (or its connection dropped) and
    must not be dispatched; False to dispatch it (for `reset_after_charge` the reply is
    then swallowed and the connection dropped).
    """
    action = params.get("action", "")
    if action == CONTROL_ACTION:
        _control(handler, state, params)
        return True
    # getNumberV2 is the same purchase as getNumber: a fault planned for one hits both.
    action = _ALIASES.get(action, action)
    try:
        kind = state.take_fault(action)
    except sqlite3.Error:
        return False  # the dispatch meets the same database and answers ERROR_SQL
    if kind is None:
        return False
    if kind == "reset_after_charge":
        _drop(handler, reset=False)
        return False
    if kind == "500":
        _reply(handler, 500, "text/plain; charset=utf-8", b"Internal Server Error")
    elif kind == "html":
        _reply(handler, 502, "text/html; charset=utf-8", _gateway_page(handler))
    elif kind == "empty":
        _reply(handler, 200, "text/plain; charset=utf-8", b"")
    elif kind == "garbage":
        # Random bytes, made sure not to be valid UTF-8 (0xff never is).
        _reply(handler, 200, "text/html", b"\xff\xfe\x00" + os.urandom(61))
    elif kind == "hang":
        _hang(handler)
        _drop(handler, reset=False)
    else:  # reset
        _drop(handler, reset=True)
    return True


def _reply(handler: BaseHTTPRequestHandler, code: int, ctype: str, body: bytes) -> None:
    handler.send_response(code)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    # No empty write: the client may already have read the whole (empty) reply and hung
    # up, and `otp` runs with SIGPIPE at its default (fatal) disposition.
    if body:
        handler.wfile.write(body)


def _gateway_page(handler: BaseHTTPRequestHandler) -> bytes:
    host = handler.headers.get("Host", "localhost")
    url = html.escape(f"http://{host}{handler.path}")
    # The URL comes first, so that it is inside the 200 characters an error message quotes.
    return (
        f"<html><body><h1>502 Bad Gateway</h1><p>GET {url}</p>\n"
        "<p>The upstream server did not answer.</p><hr><center>nginx</center>\n</body></html>\n"
    ).encode()


def _drop(handler: BaseHTTPRequestHandler, *, reset: bool) -> None:
    """Make the connection end without a single byte of reply.

    The handler's writes from here on go nowhere, and the connection closes after this
    request. With `reset` the socket is closed now with SO_LINGER 0, which sends a RST
    (the client reads "connection reset by peer"); otherwise the server closes it
    normally after the dispatch (the client reads "closed without response").
    """
    real = handler.wfile
    handler.wfile = io.BytesIO()
    handler.close_connection = True
    if not reset:
        return
    conn = handler.connection
    with contextlib.suppress(OSError):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    # The socket's file descriptor is released only once its file objects are closed.
    with contextlib.suppress(OSError, ValueError):
        real.close()
        handler.rfile.close()
        conn.close()


def _hang(handler: BaseHTTPRequestHandler) -> None:
    """Wait without replying until the client hangs up, or HANG_SECONDS pass (a server
    being stopped shuts the socket down, which ends the wait too)."""
    conn = handler.connection
    deadline = time.monotonic() + HANG_SECONDS
    with selectors.DefaultSelector() as sel:
        sel.register(conn, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if sel.select(min(left, 1.0)):
                return  # the client closed (EOF/RST) or sent more: stop hanging either way


def _control(handler: BaseHTTPRequestHandler, state: SandboxState, params: dict[str, str]) -> None:
    """`action=sandboxFault`: change the plan of a running server (loopback clients only)."""
    text = "BAD_FAULT"
    try:
        client = ipaddress.ip_address(str(handler.client_address[0]))
        loopback = client.is_loopback or (
            client.version == 6
            and client.ipv4_mapped is not None
            and client.ipv4_mapped.is_loopback
        )
    except ValueError:
        loopback = False
    if not loopback:
        _reply(handler, 403, "text/plain; charset=utf-8", b"FORBIDDEN")
        return
    try:
        if params.get("clear", "").strip() in ("1", "true", "yes"):
            state.clear_faults()
            text = "OK"
        else:
            raw_count = params.get("count", "").strip()
            count = int(raw_count) if raw_count else None
            fault = check(params.get("target", "").strip(), params.get("fault", "").strip(), count)
            state.set_fault(fault.action, None if fault.kind == NONE else fault.kind, fault.count)
            text = "OK"
    except (BadInput, ValueError):
        text = "BAD_FAULT"
    except sqlite3.Error:
        text = "ERROR_SQL"
    _reply(handler, 200, "text/plain; charset=utf-8", text.encode())
