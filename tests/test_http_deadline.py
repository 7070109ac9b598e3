"""Every HTTP request has a total deadline, not only a gap between bytes: a reply that
drips one byte at a time ends with a network error (exit 9) when the deadline passes,
and ordinary replies still reuse one kept-alive connection."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from otpcli.domain.errors import NetworkError
from otpcli.http import Transport

DRIP_GAP = 0.2  # well under the read timeout: only a total deadline can stop it


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: ClassVar[set[int]] = set()

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        Handler.connections.add(id(self.connection))
        body = b"ACCESS_BALANCE:100.00"
        if "headdrip" in self.path:  # even the status line comes a byte at a time
            raw = b"HTTP/1.1 200 OK\r\nContent-Length: 21\r\n\r\n" + body
            try:
                for byte in raw:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(DRIP_GAP)
            except OSError:  # the client hung up at its deadline
                pass
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if "drip" in self.path:
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(DRIP_GAP)
        else:
            self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[str]:
    Handler.connections = set()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_dripping_reply_is_cut_at_the_total_deadline(server: str) -> None:
    transport = Transport(f"{server}/drip", timeout=1.0, connect_timeout=1.0)
    start = time.monotonic()
    with pytest.raises(NetworkError) as err:
        transport.get("handler_api.php", {"action": "getBalance"})
    took = time.monotonic() - start
    # 21 bytes at 0.2 s would take 4.2 s; the deadline is 1 s (slack for a busy machine).
    assert took < 3.0, took
    assert "within 1 s" in err.value.message
    assert err.value.exit_code == 9
    transport.close()


def test_ordinary_replies_reuse_one_connection(server: str) -> None:
    transport = Transport(server, timeout=2.0)
    for _ in range(3):
        reply = transport.get("handler_api.php", {"action": "getBalance"})
        assert reply == (200, "ACCESS_BALANCE:100.00")
    assert len(Handler.connections) == 1
    transport.close()


@pytest.mark.parametrize("idempotent", [True, False])
def test_dripping_headers_are_cut_at_the_deadline_too(server: str, idempotent: bool) -> None:
    # 40 bytes of status line and headers at 0.2 s each: 8 s without a total deadline.
    transport = Transport(f"{server}/headdrip", timeout=1.0, connect_timeout=1.0, read_retries=0)
    start = time.monotonic()
    with pytest.raises(NetworkError) as err:
        transport.get("handler_api.php", {"action": "getBalance"}, idempotent=idempotent)
    assert time.monotonic() - start < 4.0
    assert err.value.maybe_sent  # the request went out: a purchase's outcome is unknown
    transport.close()
