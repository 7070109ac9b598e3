"""`otp sandbox ...` through the real Typer app, and `serve` as a real subprocess."""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests
from typer.testing import CliRunner, Result

from otpcli.cli.app import app
from otpcli.cli.sandbox import _is_loopback
from otpcli.sandbox import SCENARIOS
from otpcli.sandbox.state import SandboxState
from otpcli.services import config

runner = CliRunner()


def run(*args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture
def state() -> Iterator[SandboxState]:
    st = SandboxState(config.state_dir())  # OTPCLI_STATE_DIR, set by conftest
    yield st
    st.close()


# --- reset ------------------------------------------------------------------------------


def test_reset_forgets_orders_and_refills(state: SandboxState) -> None:
    order = state.buy("tg")
    result = run("sandbox", "reset")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "1000.00 PLAY" in result.stderr
    assert state.balance() == Decimal("1000.00")
    with pytest.raises(Exception, match="NO_ACTIVATION"):
        state.status(order.id)


def test_reset_json() -> None:
    result = run("sandbox", "reset", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"reset": True}


# --- deliver ----------------------------------------------------------------------------


def test_deliver_prints_the_code(state: SandboxState) -> None:
    order = state.buy("never")
    result = run("sandbox", "deliver", order.id)
    assert result.exit_code == 0, result.stderr
    code = result.stdout.strip()
    assert result.stdout == code + "\n" and code.isdigit()
    status = state.status(order.id)
    assert (status.kind, status.code) == ("ok", code)


def test_deliver_a_chosen_code_as_json(state: SandboxState) -> None:
    order = state.buy("wa")
    result = run("--json", "sandbox", "deliver", order.id, "123456")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"id": order.id, "code": "123456"}
    assert state.status(order.id).code == "123456"


def test_deliver_unknown_id_exits_5() -> None:
    result = run("sandbox", "deliver", "4999999999")
    assert result.exit_code == 5
    assert result.stdout == ""
    assert "4999999999" in result.stderr and "Traceback" not in result.stderr


def test_deliver_unknown_id_json_error() -> None:
    result = run("sandbox", "deliver", "4999999999", "--json")
    assert result.exit_code == 5
    doc = json.loads(result.stdout)
    assert doc["error"] == "not_found" and doc["exit_code"] == 5


def test_deliver_to_a_finished_order_exits_8(state: SandboxState) -> None:
    order = state.buy("tg")
    state.deliver(order.id)
    state.set_status(order.id, "6")
    result = run("sandbox", "deliver", order.id)
    assert result.exit_code == 8
    assert result.stdout == ""


def test_deliver_a_malformed_code_exits_2(state: SandboxState) -> None:
    order = state.buy("tg")
    result = run("sandbox", "deliver", order.id, "12:34")
    assert result.exit_code == 2
    assert result.stdout == ""


# --- scenarios --------------------------------------------------------------------------


def test_scenarios_table_on_stdout() -> None:
    result = run("sandbox", "scenarios")
    assert result.exit_code == 0
    for scenario in SCENARIOS:
        assert scenario.service in result.stdout
    assert "NO_NUMBERS" in result.stdout
    assert result.stderr == ""


def test_scenarios_json() -> None:
    result = run("sandbox", "scenarios", "--json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert [row["service"] for row in doc] == [s.service for s in SCENARIOS]
    assert {"service", "kind", "behaviour"} <= set(doc[0])


# --- serve ------------------------------------------------------------------------------


def test_serve_on_a_busy_port_exits_2() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        result = run("sandbox", "serve", "--port", str(busy.getsockname()[1]))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "cannot listen" in result.stderr


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.5", False),
        ("example.org", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert _is_loopback(host) is loopback


def _default_sigint() -> None:
    # A child of a background shell job inherits SIGINT ignored; Ctrl-C is what we test.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_serve() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "otpcli", "sandbox", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        preexec_fn=_default_sigint,
    )
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=10):
            proc.kill()
            pytest.fail("`otp sandbox serve` printed no URL within 10 s")
    return proc, proc.stdout.readline().strip()


def test_serve_prints_its_url_serves_and_stops_on_ctrl_c(state: SandboxState) -> None:
    proc, base_url = _start_serve()
    try:
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/stubs")
        handler = base_url + "/handler_api.php"
        reply = requests.get(handler, params={"action": "getNumber", "service": "tg"}, timeout=5)
        _, order_id, _ = reply.text.split(":")
        # Another process (this one) shares the state dir and sees the order.
        code = state.deliver(order_id)
        reply = requests.get(handler, params={"action": "getStatus", "id": order_id}, timeout=5)
        assert reply.text == f"STATUS_OK:{code}"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out == ""  # nothing after the URL
    assert f"OTPCLI_BASE_URL={base_url}" in err and "Ctrl-C" in err
    assert "Traceback" not in err


def test_serve_stops_on_sigterm_with_143() -> None:
    proc, base_url = _start_serve()
    try:
        requests.get(base_url + "/handler_api.php?action=getBalance", timeout=5)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143
    assert "Traceback" not in err


def test_buy_deliver_wait_through_the_sandbox_driver() -> None:
    bought = run("--sandbox", "buy", "tg", "--json")
    assert bought.exit_code == 0, bought.stderr
    order_id = json.loads(bought.stdout)["id"]
    assert run("sandbox", "deliver", order_id, "424242").stdout == "424242\n"
    waited = run("--sandbox", "wait", order_id)
    assert waited.exit_code == 0, waited.stderr
    assert waited.stdout == "424242\n"
