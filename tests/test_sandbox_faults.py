"""Unit tests of the simulator's faults on request (`otpcli.sandbox.faults`).

The plan's parsing and storage, each fault kind as a plain HTTP client sees it, counts
shared by several servers on one state dir, the control action, `otp sandbox fault`, and
`OTPCLI_HTTP_TIMEOUT`.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from otpcli.domain.errors import BadInput, ConfigError
from otpcli.sandbox import faults
from otpcli.sandbox.faults import Fault, check, load_env, parse_plan
from otpcli.sandbox.httpd import SandboxServer, start_background
from otpcli.sandbox.state import SandboxState
from otpcli.services.session import http_timeout, open_provider
from tests.cli_helpers import run

KEY = "unit-key-7f3a9c"


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "sandbox"


@pytest.fixture
def server(state_dir: Path) -> Iterator[SandboxServer]:
    with start_background(state_dir) as srv:
        yield srv


def get(
    server: SandboxServer,
    action: str,
    *,
    timeout: float = 5,
    script: str = "handler_api.php",
    **p: str,
) -> requests.Response:
    params = {"action": action, "api_key": KEY, **p}
    # A fresh session per call: a dropped connection must not be retried by keep-alive reuse.
    with requests.Session() as http:
        return http.get(f"{server.base_url}/{script}", params=params, timeout=timeout)


def orders(state_dir: Path) -> int:
    import sqlite3

    with sqlite3.connect(state_dir / "sandbox.sqlite3") as db:
        return int(db.execute("SELECT COUNT(*) FROM orders").fetchone()[0])


# --- the plan ---------------------------------------------------------------------------------


def test_parse_plan_reads_actions_kinds_and_counts() -> None:
    plan = parse_plan(" getNumber=reset_after_charge , getStatus=500x2,*=hang,")
    assert plan == [
        Fault("getNumber", "reset_after_charge"),
        Fault("getStatus", "500", 2),
        Fault("*", "hang"),
    ]
    assert [str(f) for f in plan] == ["getNumber=reset_after_charge", "getStatus=500x2", "*=hang"]
    assert parse_plan("") == []
    assert parse_plan("getBalance=500,getBalance=empty") == [Fault("getBalance", "empty")]


@pytest.mark.parametrize(
    "spec",
    [
        "getNumber",
        "getNumber=",
        "getNumber=boom",
        "getNumber=500x0",
        "getNumber=none",
        "=500",
        "get-Number=500",
        "sandboxFault=500",
        "getNumber=500x",
    ],
)
def test_parse_plan_refuses_bad_items_as_configuration_errors(spec: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_plan(spec)
    assert faults.ENV_VAR in err.value.message


def test_check_refuses_bad_input() -> None:
    assert check("getNumber", "none") == Fault("getNumber", "none")
    for args in (("getNumber", "nope", None), ("", "500", None), ("getNumber", "500", 0)):
        with pytest.raises(BadInput):
            check(*args)


def test_counts_are_shared_by_every_state_on_the_dir(state_dir: Path) -> None:
    a, b = SandboxState(state_dir), SandboxState(state_dir)
    try:
        a.set_fault("getNumber", "500", 3)
        assert [a.take_fault("getNumber"), b.take_fault("getNumber")] == ["500", "500"]
        assert a.take_fault("getStatus") is None
        assert b.take_fault("getNumber") == "500"
        assert a.take_fault("getNumber") is None  # used up, by whichever process
        assert a.fault_plan() == [("getNumber", "500", 0, "control")]
    finally:
        a.close()
        b.close()


def test_a_specific_action_wins_over_the_wildcard(state_dir: Path) -> None:
    state = SandboxState(state_dir)
    try:
        state.set_fault("*", "empty", None)
        state.set_fault("getBalance", "500", 1)
        assert state.take_fault("getBalance") == "500"
        assert state.take_fault("getBalance") == "empty"  # count used up: the wildcard again
        assert state.take_fault("getPrices") == "empty"
        state.set_fault("*", None, None)
        assert state.take_fault("getPrices") is None
        state.clear_faults()
        assert state.fault_plan() == []
    finally:
        state.close()


def test_env_plan_is_applied_once_per_value(state_dir: Path) -> None:
    state = SandboxState(state_dir)
    try:
        state.set_fault("getPrices", "html", None)  # from the control side: kept throughout
        load_env(state, {faults.ENV_VAR: "getNumber=500x1"})
        assert state.take_fault("getNumber") == "500"
        # Another process started with the same value: the count stays used up.
        load_env(state, {faults.ENV_VAR: "getNumber=500x1"})
        assert state.take_fault("getNumber") is None
        # A new value replaces the env plan.
        load_env(state, {faults.ENV_VAR: "getStatus=reset"})
        assert state.take_fault("getNumber") is None
        assert state.take_fault("getStatus") == "reset"
        # No value: the env plan is gone, the control fault is not.
        load_env(state, {})
        assert state.fault_plan() == [("getPrices", "html", None, "control")]
        # --clear is not undone by a process started with the same (empty) value.
        state.clear_faults()
        load_env(state, {})
        assert state.fault_plan() == []
    finally:
        state.close()


def test_a_bad_env_plan_stops_the_server_from_starting(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(faults.ENV_VAR, "getNumber=explode")
    with pytest.raises(ConfigError):
        start_background(state_dir)
    result = run(["--sandbox", "balance"])
    assert result.exit_code == 3
    assert "OTPCLI_SANDBOX_FAULTS" in result.stderr


# --- each kind over HTTP --------------------------------------------------------------------


def test_no_fault_no_change(server: SandboxServer) -> None:
    reply = get(server, "getBalance")
    assert (reply.status_code, reply.text) == (200, "ACCESS_BALANCE:1000.00")


def test_500(server: SandboxServer, state_dir: Path) -> None:
    server.state.set_fault("getNumber", "500", None)
    reply = get(server, "getNumber", service="tg")
    assert reply.status_code == 500
    assert reply.text == "Internal Server Error"
    assert orders(state_dir) == 0


def test_html_echoes_the_request_url_with_the_key(server: SandboxServer, state_dir: Path) -> None:
    server.state.set_fault("getNumber", "html", None)
    reply = get(server, "getNumber", service="tg")
    assert reply.status_code == 502
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "<html>" in reply.text
    assert f"api_key={KEY}" in reply.text  # like a real gateway: this is what must be masked
    assert orders(state_dir) == 0


def test_hang_outlasts_the_client_and_ends_when_it_gives_up(server: SandboxServer) -> None:
    server.state.set_fault("getBalance", "hang", 1)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        get(server, "getBalance", timeout=0.5)
    assert time.monotonic() - started < 3
    # The hung handler noticed the client leaving; the server answers as usual.
    assert get(server, "getBalance").text == "ACCESS_BALANCE:1000.00"


def test_hang_ends_when_the_server_stops(state_dir: Path) -> None:
    srv = start_background(state_dir)
    srv.state.set_fault("getBalance", "hang", None)
    import threading

    errors: list[BaseException] = []

    def call() -> None:
        try:
            get(srv, "getBalance", timeout=30)
        except requests.exceptions.RequestException as exc:
            errors.append(exc)

    t = threading.Thread(target=call)
    t.start()
    time.sleep(0.3)
    started = time.monotonic()
    srv.stop()
    t.join(10)
    assert not t.is_alive()
    assert time.monotonic() - started < 6
    assert errors and isinstance(errors[0], requests.exceptions.ConnectionError)


def test_reset_sends_nothing_and_does_nothing(server: SandboxServer, state_dir: Path) -> None:
    server.state.set_fault("getNumber", "reset", None)
    with pytest.raises(requests.exceptions.ConnectionError):
        get(server, "getNumber", service="tg")
    assert orders(state_dir) == 0
    assert server.state.balance() == 1000


def test_empty(server: SandboxServer) -> None:
    server.state.set_fault("getBalance", "empty", None)
    reply = get(server, "getBalance")
    assert (reply.status_code, reply.content) == (200, b"")


def test_garbage_is_not_text(server: SandboxServer) -> None:
    server.state.set_fault("getBalance", "garbage", None)
    reply = get(server, "getBalance")
    assert reply.status_code == 200
    assert len(reply.content) == 64
    with pytest.raises(UnicodeDecodeError):
        reply.content.decode("utf-8")


def test_reset_after_charge_pays_then_drops(server: SandboxServer, state_dir: Path) -> None:
    server.state.set_fault("getNumber", "reset_after_charge", 1)
    with pytest.raises(requests.exceptions.ConnectionError):
        get(server, "getNumber", service="tg")
    assert orders(state_dir) == 1
    assert server.state.balance() < 1000
    # Count used up: the next purchase is answered.
    assert get(server, "getNumber", service="tg").text.startswith("ACCESS_NUMBER:")
    assert orders(state_dir) == 2


def test_faults_apply_to_any_handler_script(server: SandboxServer) -> None:
    assert get(server, "getBalance", script="other_handler.php").status_code == 404
    server.state.set_fault("getBalance", "500", None)
    assert get(server, "getBalance", script="other_handler.php").status_code == 500


def test_two_servers_on_one_state_dir_share_a_count(state_dir: Path) -> None:
    with start_background(state_dir) as one, start_background(state_dir) as two:
        one.state.set_fault("getBalance", "500", 1)
        assert get(two, "getBalance").status_code == 500
        assert get(one, "getBalance").status_code == 200


def test_env_plan_is_read_when_the_server_starts(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(faults.ENV_VAR, "getBalance=emptyx1")
    with start_background(state_dir) as srv:
        assert get(srv, "getBalance").content == b""
        assert get(srv, "getBalance").text == "ACCESS_BALANCE:1000.00"


# --- the control action -----------------------------------------------------------------------


def test_control_action_steers_a_running_server(server: SandboxServer) -> None:
    def control(**p: str) -> str:
        reply = get(server, faults.CONTROL_ACTION, **p)
        assert reply.status_code == 200
        return reply.text

    assert control(target="getBalance", fault="500", count="1") == "OK"
    assert get(server, "getBalance").status_code == 500
    assert get(server, "getBalance").status_code == 200
    assert control(target="getBalance", fault="empty") == "OK"
    assert get(server, "getBalance").content == b""
    assert control(target="getBalance", fault="none") == "OK"
    assert get(server, "getBalance").status_code == 200
    assert control(target="getBalance", fault="explode") == "BAD_FAULT"
    assert control(target="getBalance", fault="500", count="zero") == "BAD_FAULT"
    assert control(target="", fault="500") == "BAD_FAULT"
    server.state.set_fault("*", "reset", None)  # the control action is never faulted itself
    assert control(clear="1") == "OK"
    assert server.state.fault_plan() == []


class _FakeHandler:
    """Just enough of a request handler for `faults._control`."""

    def __init__(self, client: str) -> None:
        self.client_address = (client, 40000)
        self.wfile = io.BytesIO()
        self.status: int | None = None

    def send_response(self, code: int) -> None:
        self.status = code

    def send_header(self, *_: Any) -> None:
        pass

    def end_headers(self) -> None:
        pass


@pytest.mark.parametrize("client", ["10.1.2.3", "192.168.0.7", "2001:db8::1", "not-an-ip"])
def test_control_action_is_refused_from_other_hosts(state_dir: Path, client: str) -> None:
    state = SandboxState(state_dir)
    try:
        fake = _FakeHandler(client)
        faults._control(fake, state, {"target": "getNumber", "fault": "500"})  # type: ignore[arg-type]
        assert fake.status == 403
        assert state.fault_plan() == []
        local = _FakeHandler("::ffff:127.0.0.1")
        faults._control(local, state, {"target": "getNumber", "fault": "500"})  # type: ignore[arg-type]
        assert local.status == 200
        assert local.wfile.getvalue() == b"OK"
    finally:
        state.close()


# --- otp sandbox fault ------------------------------------------------------------------------


def test_cli_plans_lists_removes_and_clears() -> None:
    result = run(["sandbox", "fault", "getNumber", "reset_after_charge", "--count", "2"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "reset_after_charge on the next 2" in result.stderr
    assert run(["sandbox", "fault", "getStatus", "500"]).exit_code == 0
    listed = run(["sandbox", "fault", "--json"])
    assert json.loads(listed.stdout) == [
        {"action": "getNumber", "fault": "reset_after_charge", "remaining": 2, "source": "control"},
        {"action": "getStatus", "fault": "500", "remaining": None, "source": "control"},
    ]
    table = run(["sandbox", "fault"])
    assert "getStatus" in table.stdout and "always" in table.stdout
    removed = run(["sandbox", "fault", "getStatus", "none", "--json"])
    assert json.loads(removed.stdout) == {"action": "getStatus", "fault": None, "count": None}
    cleared = run(["sandbox", "fault", "--clear", "--json"])
    assert json.loads(cleared.stdout) == {"cleared": True}
    assert json.loads(run(["sandbox", "fault", "--json"]).stdout) == []
    assert "no faults planned" in run(["sandbox", "fault"]).stderr


@pytest.mark.parametrize(
    "args",
    [
        ["getNumber", "explode"],
        ["getNumber"],
        ["getNumber", "500", "--count", "0"],
        ["--clear", "getNumber", "500"],
        ["bad action", "500"],
    ],
)
def test_cli_refuses_bad_faults(args: list[str]) -> None:
    result = run(["sandbox", "fault", *args])
    assert result.exit_code == 2, result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_cli_fault_reaches_the_in_process_sandbox() -> None:
    assert run(["sandbox", "fault", "getBalance", "500", "--count", "1"]).exit_code == 0
    # One 500, then the transport's read retry gets through.
    result = run(["--sandbox", "balance"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "1000.00 PLAY"
    assert json.loads(run(["sandbox", "fault", "--json"]).stdout)[0]["remaining"] == 0


# --- OTPCLI_HTTP_TIMEOUT --------------------------------------------------------------------


def test_http_timeout_default_and_value() -> None:
    assert http_timeout({}) == 30.0
    assert http_timeout({"OTPCLI_HTTP_TIMEOUT": " 1.5 "}) == 1.5


@pytest.mark.parametrize("raw", ["0", "-2", "nan", "inf", "soon"])
def test_http_timeout_refuses_nonsense(raw: str) -> None:
    with pytest.raises(ConfigError) as err:
        http_timeout({"OTPCLI_HTTP_TIMEOUT": raw})
    assert "OTPCLI_HTTP_TIMEOUT" in err.value.message


def test_http_timeout_reaches_the_driver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTPCLI_HTTP_TIMEOUT", "2.5")
    provider, _ = open_provider(provider="sandbox")
    try:
        assert provider.inner.options.timeout == 2.5  # type: ignore[attr-defined]
    finally:
        provider.close()
        provider.journal.close()
    monkeypatch.setenv("OTPCLI_HTTP_TIMEOUT", "0")
    result = run(["--sandbox", "balance"])
    assert result.exit_code == 3
    assert "OTPCLI_HTTP_TIMEOUT" in result.stderr


def test_fault_on_an_action_the_sandbox_does_not_serve_is_refused() -> None:
    from tests.cli_helpers import run

    r = run(["sandbox", "fault", "getNumbr", "500"])
    assert r.exit_code == 2
    assert "getNumber" in r.stderr  # the likely action is named
    r = run(["sandbox", "fault"])
    assert "getNumbr" not in r.stdout  # nothing was planned
    assert run(["sandbox", "fault", "cancelEmail", "500", "--count", "1"]).exit_code == 0
