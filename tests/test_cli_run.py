"""`otp run`: argument errors (exit 2, nothing bought), and the parts of
`otpcli.services.run` that need no provider: the child's environment, how a child's
end becomes an exit code, and how the settling decision reads the journal.

The whole command against the sandbox is in tests/e2e/test_run.py."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from otpcli.domain.errors import OrderStateError
from otpcli.domain.models import Activation, State, StatusResult
from otpcli.services import run as run_mod
from otpcli.services.cleanup import Outcome, Settled
from tests.cli_helpers import run


def nothing_bought(tmp: Path) -> bool:
    return not (tmp / "state" / "journal.sqlite3").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "tg"], "put it after `--`"),
        (["run", "tg", "--"], "put it after `--`"),
        (["run", "tg", "true"], "put it after `--`"),
        (["run", "tg", "--timeout", "-1", "--", "true"], "--timeout"),
        (["run", "tg", "--timeout", "nan", "--", "true"], "--timeout"),
        (["run", "tg", "--cleanup-timeout", "inf", "--", "true"], "--cleanup-timeout"),
        (["run", "tg", "--max-price", "zero", "--", "true"], "--max-price"),
        (["run", "tg", "--nope", "--", "true"], "--nope"),
        (["run", "tg", "-n", "0", "--", "true"], "--count"),
        (["run", "tg", "-n", "101", "--", "true"], "--count"),
        (["run"], "SERVICE"),
    ],
)
def test_argument_errors_are_exit_2_and_buy_nothing(
    isolated_env: Path, args: list[str], needle: str
) -> None:
    r = run(["--sandbox", *args])
    assert r.exit_code == 2, r.stderr
    assert r.stdout == ""
    assert needle.lower() in r.stderr.lower(), r.stderr
    assert "Traceback" not in r.stderr
    assert nothing_bought(isolated_env)


def test_argument_error_with_json_is_one_document(isolated_env: Path) -> None:
    r = run(["--sandbox", "run", "tg", "--json"])
    assert r.exit_code == 2
    doc = json.loads(r.stdout)
    assert (doc["error"], doc["exit_code"]) == ("bad_input", 2)
    assert nothing_bought(isolated_env)


def test_options_after_the_separator_are_cmds() -> None:
    """`--json`, `-c` and `--debug` after `--` belong to CMD: otp does not read them."""
    from otpcli.cli.app import app

    seen: dict[str, Any] = {}

    def fake_run(ctx: Any, e: Any, plan: Any) -> None:
        seen["argv"], seen["json"], seen["country"] = plan.argv, e.json, plan.country

    import otpcli.cli.run as cli_run

    original = cli_run._run
    cli_run._run = fake_run  # type: ignore[assignment]
    try:
        from typer.testing import CliRunner

        r = CliRunner().invoke(
            app, ["--sandbox", "run", "tg", "--", "sh", "-c", "x", "--json", "--debug"]
        )
    finally:
        cli_run._run = original  # type: ignore[assignment]
    assert r.exit_code == 0, r.stderr
    assert seen == {"argv": ["sh", "-c", "x", "--json", "--debug"], "json": False, "country": None}


def test_help_tells_the_exit_codes_and_an_example() -> None:
    r = run(["run", "--help"])
    assert r.exit_code == 0
    text = " ".join(r.stdout.split())
    assert "otp wait" in text and "OTP_ID" in text and "Example:" in text
    assert "127" in text and "126" in text and "124" in text and "cancel_pending" in text


# --- services.run ------------------------------------------------------------------

ACT = Activation("123", "919800000000", "tg", country="22")


def test_child_env_routes_a_nested_otp_back() -> None:
    env = run_mod.child_env(
        {"PATH": "/bin", "OTPCLI_API_KEY": "k"},
        ACT,
        profile=None,
        state_dir="/s",
        config_path="/c/config.toml",
        provider="sandbox",
    )
    assert env["OTP_ID"] == "123" and env["OTP_NUMBER"] == "919800000000"
    assert (env["OTP_SERVICE"], env["OTP_COUNTRY"], env["OTP_PROFILE"]) == ("tg", "22", "")
    assert env["OTP_INDEX"] == "0"
    assert (env["OTPCLI_STATE_DIR"], env["OTPCLI_CONFIG"]) == ("/s", "/c/config.toml")
    assert env["OTPCLI_PROVIDER"] == "sandbox" and "OTPCLI_PROFILE" not in env
    assert env["OTPCLI_API_KEY"] == "k"  # inherited as it was, never added
    with_profile = run_mod.child_env({}, ACT, profile="work", state_dir="/s", config_path="/c")
    assert with_profile["OTPCLI_PROFILE"] == with_profile["OTP_PROFILE"] == "work"
    assert "OTPCLI_API_KEY" not in with_profile and "OTPCLI_PROVIDER" not in with_profile


PY = sys.executable


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        ([PY, "-c", "raise SystemExit(3)"], 3),
        ([PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"], 128 + 9),
        (["/no/such/program"], 127),
        (["/"], 126),
    ],
)
def test_child_exit_codes_are_a_shells(argv: list[str], code: int) -> None:
    ran = run_mod.run_child(argv, {})
    assert ran.exit_code == code
    assert ran.started is (code not in (126, 127))


def test_timeout_stops_the_child_then_kills_it() -> None:
    ignores = [PY, "-c", "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
               "print('up', flush=True); time.sleep(30)"]  # fmt: skip
    t0 = time.monotonic()
    ran = run_mod.run_child(ignores, {}, timeout=0.3, grace=0.3)
    assert (ran.exit_code, ran.timed_out, ran.signal) == (124, True, None)
    assert time.monotonic() - t0 < 5


def test_a_signal_is_passed_on_and_recorded() -> None:
    child = [PY, "-c", "import time; time.sleep(30)"]
    timer = threading.Timer(0.3, lambda: signal.raise_signal(signal.SIGTERM))
    timer.start()
    try:
        ran = run_mod.run_child(child, {})  # pytest runs in the main thread: handlers on
    finally:
        timer.cancel()
    assert (ran.signal, ran.exit_code) == (signal.SIGTERM, 128 + signal.SIGTERM)


class FakeRow:
    def __init__(self, state: str, code: str | None = None) -> None:
        self.state, self.code, self.text = state, code, None


class FakeProvider:
    """A journaled provider's surface that `settle_after` uses."""

    name = "fake"

    def __init__(self, row: FakeRow | None, *, finish_fails: bool = False) -> None:
        self.row = row
        self.finish_fails = finish_fails
        self.calls: list[str] = []
        self.journal = self

    def find(self, order_id: str, provider: str | None = None) -> FakeRow | None:
        return self.row

    def finish(self, order_id: str) -> None:
        self.calls.append("finish")
        if self.finish_fails:
            raise OrderStateError("nope")

    def status(self, order_id: str) -> StatusResult:
        self.calls.append("status")
        return StatusResult(order_id, State.CODE_RECEIVED, code="1")


def never(*_: Any) -> Settled:
    raise AssertionError("no clean-up expected")


def test_a_journaled_code_is_finished_without_clean_up() -> None:
    p = FakeProvider(FakeRow("code_received", "4242"))
    st = run_mod.settle_after(p, "123", never)
    assert (st.settled, st.code, p.calls) == ("finished", "4242", ["finish"])


def test_a_failed_finish_is_a_warning_not_a_failure() -> None:
    p = FakeProvider(FakeRow("code_received", "4242"), finish_fails=True)
    st = run_mod.settle_after(p, "123", never)
    assert (st.settled, st.error) == ("code_received", None)
    assert st.warning is not None


def test_an_ended_order_needs_nothing() -> None:
    p = FakeProvider(FakeRow("finished", "4242"))
    st = run_mod.settle_after(p, "123", never)
    assert (st.settled, st.code, p.calls) == ("finished", "4242", [])


@pytest.mark.parametrize(
    ("outcome", "settled", "calls"),
    [
        (Outcome.CODE, "finished", ["finish"]),
        (Outcome.CANCELLED, "cancelled", []),
        (Outcome.PENDING, "cancel_pending", []),
    ],
)
def test_the_clean_up_decides_the_rest(outcome: Outcome, settled: str, calls: list[str]) -> None:
    p = FakeProvider(FakeRow("waiting"))
    status = StatusResult("123", State.CODE_RECEIVED, code="77")
    result = Settled("123", outcome, "msg", status=status if outcome is Outcome.CODE else None)
    st = run_mod.settle_after(p, "123", lambda: result)
    assert (st.settled, p.calls) == (settled, calls)
    assert (st.error is not None) is (outcome is Outcome.PENDING)
    assert st.code == ("77" if outcome is Outcome.CODE else None)


def test_a_failed_purchase_among_several_refunds_the_rest_and_runs_nothing(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from otpcli.domain.errors import Unavailable
    from otpcli.services.journal import Journal
    from otpcli.services.journaled import JournaledProvider

    monkeypatch.setenv("OTPCLI_SANDBOX_EARLY_CANCEL", "0")
    real_buy = JournaledProvider.buy
    calls: list[int] = []

    def second_fails(self: JournaledProvider, *args: Any, **kwargs: Any) -> Activation:
        calls.append(1)
        if len(calls) == 2:
            raise Unavailable("no numbers left", provider_word="NO_NUMBERS")
        return real_buy(self, *args, **kwargs)

    monkeypatch.setattr(JournaledProvider, "buy", second_fails)
    marker = isolated_env / "ran"
    r = run(["--sandbox", "run", "never", "-n", "3", "--", "touch", str(marker)])
    assert r.exit_code == 7, r.stderr
    assert not marker.exists()
    assert "bought 1 of 3" in r.stderr
    journal = Journal(isolated_env / "state")
    try:
        assert [o.state for o in journal.orders() if o.order_id] == ["cancelled"]
    finally:
        journal.close()


def test_a_signal_while_the_commands_start_is_not_lost(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM landing right after the first command started (before otp watches it)
    still reaches it, and the commands not started yet are never started."""
    real_start = run_mod._start

    def start_then_signal(*args: Any) -> Any:
        proc = real_start(*args)
        signal.raise_signal(signal.SIGTERM)
        return proc

    monkeypatch.setattr(run_mod, "_start", start_then_signal)
    sleeper = ([PY, "-c", "import time; time.sleep(30)"], {})
    t0 = time.monotonic()
    first, second = run_mod.run_children([sleeper, sleeper])
    assert (first.signal, first.exit_code, first.started) == (signal.SIGTERM, 143, True)
    assert (second.signal, second.started) == (signal.SIGTERM, False)
    assert time.monotonic() - t0 < 10


# --- -n N: a purchase fails after some were bought ----------------------------------

RUN_KEYS = {
    "id", "number", "service", "country", "price", "currency", "code", "text", "state",
    "settled", "cmd_exit_code", "timed_out", "signal",
}  # fmt: skip


def nth_buy_fails(monkeypatch: pytest.MonkeyPatch, nth: int) -> None:
    """The sandbox has no numbers left from the `nth` purchase on (nothing is sent)."""
    from otpcli.domain.errors import Unavailable
    from otpcli.services.journaled import JournaledProvider

    monkeypatch.setenv("OTPCLI_SANDBOX_EARLY_CANCEL", "0")
    real_buy = JournaledProvider.buy
    calls: list[int] = []

    def fails(self: JournaledProvider, *args: Any, **kwargs: Any) -> Activation:
        calls.append(1)
        if len(calls) >= nth:
            raise Unavailable("no numbers left", provider_word="NO_NUMBERS")
        return real_buy(self, *args, **kwargs)

    monkeypatch.setattr(JournaledProvider, "buy", fails)


def test_a_failed_purchase_among_several_is_one_document_listing_the_bought(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nth_buy_fails(monkeypatch, 3)
    marker = isolated_env / "ran"
    r = run(["--sandbox", "--json", "run", "never", "-n", "4", "--", "touch", str(marker)])
    assert r.exit_code == 7, r.stderr
    doc = json.loads(r.stdout)  # one document: the error's, carrying the numbers
    assert (doc["error"], doc["exit_code"], doc["provider_word"]) == (
        "unavailable",
        7,
        "NO_NUMBERS",
    )
    results = doc["results"]
    assert [set(item) >= RUN_KEYS for item in results] == [True, True]
    assert [(i["state"], i["settled"], i["code"], i["cmd_exit_code"]) for i in results] == [
        ("cancelled", "cancelled", None, None)
    ] * 2
    ids = [i["id"] for i in results]
    assert doc["message"] == (
        "the 3rd purchase failed: no numbers left; the 2 bought were settled: "
        f"{ids[0]} cancelled (refunded), {ids[1]} cancelled (refunded)"
    )
    assert not marker.exists()
    for item in results:  # the human lines name each number and its end
        assert f"{item['id']} ({item['number']}): cancelled for a refund" in r.stderr


def test_a_failed_purchase_among_several_without_json_writes_no_stdout(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nth_buy_fails(monkeypatch, 2)
    r = run(["--sandbox", "run", "never", "-n", "2", "--", "true"])
    assert r.exit_code == 7, r.stderr
    assert r.stdout == ""
    assert "error: the 2nd purchase failed: no numbers left; the 1 bought was settled" in r.stderr


@pytest.mark.parametrize("count", ["1", "3"])
def test_a_first_purchase_that_fails_is_reported_as_it_is(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, count: str
) -> None:
    """Nothing bought: the purchase's own error; CMD is not run."""
    nth_buy_fails(monkeypatch, 1)
    marker = isolated_env / "ran"
    r = run(["--sandbox", "--json", "run", "never", "-n", count, "--", "touch", str(marker)])
    assert r.exit_code == 7, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["error"], doc["message"]) == ("unavailable", "no numbers left")
    assert doc.get("results", "none") == ("none" if count == "1" else [])
    assert not marker.exists()
    assert "settl" not in r.stderr


# --- the journal goes down while CMD runs --------------------------------------------


def journal_down_after_cmd(monkeypatch: pytest.MonkeyPatch, methods: tuple[str, ...]) -> None:
    """The journal raises ConfigError on `methods` once CMD has run (a shared journal's
    server gone down meanwhile)."""
    from otpcli.domain.errors import ConfigError
    from otpcli.services.journal import Journal

    down: list[bool] = []
    real_run_children = run_mod.run_children

    def then_down(*args: Any, **kwargs: Any) -> Any:
        ran = real_run_children(*args, **kwargs)
        down.append(True)
        return ran

    monkeypatch.setattr(run_mod, "run_children", then_down)
    for name in methods:
        real = getattr(Journal, name)

        def failing(self: Journal, *a: Any, _real: Any = real, **k: Any) -> Any:
            if down:
                raise ConfigError("the shared order journal at db.test cannot be reached")
            return _real(self, *a, **k)

        monkeypatch.setattr(Journal, name, failing)


@pytest.mark.parametrize("methods", [("claim",), ("find", "record")], ids=["claim", "settle"])
def test_a_journal_lost_while_cmd_ran_names_the_unsettled_number(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch, methods: tuple[str, ...]
) -> None:
    monkeypatch.setenv("OTPCLI_SANDBOX_EARLY_CANCEL", "0")
    journal_down_after_cmd(monkeypatch, methods)
    r = run(["--sandbox", "--json", "run", "never", "--", "true"])
    assert r.exit_code == 3, r.stderr
    doc = json.loads(r.stdout)
    assert (doc["error"], doc["exit_code"]) == ("config", 3)
    assert set(doc) >= RUN_KEYS
    assert (doc["state"], doc["settled"], doc["cmd_exit_code"]) == ("unsettled", "unsettled", 0)
    oid, number = doc["id"], doc["number"]
    assert oid and number
    assert f"{oid} ({number}) could not be settled" in doc["message"]
    assert "cannot be reached" in doc["message"] and "state: unsettled" in doc["message"]
    told = f"{oid} ({number}) state: unsettled"
    assert "otp cancel --pending" in doc["hint"] and told in doc["hint"]
    assert f"hint: {told}" in r.stderr and "otp cancel --pending" in r.stderr


def test_a_journal_lost_while_several_cmds_ran_lists_them_unsettled(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTPCLI_SANDBOX_EARLY_CANCEL", "0")
    journal_down_after_cmd(monkeypatch, ("find", "record", "adopt"))
    r = run(["--sandbox", "--json", "run", "never", "-n", "2", "--", "true"])
    assert r.exit_code == 3, r.stderr
    doc = json.loads(r.stdout)
    assert doc["error"] == "config"
    assert [i["settled"] for i in doc["results"]] == ["unsettled", "unsettled"]
    assert "could not be settled" in doc["message"]
    for item in doc["results"]:
        assert f"{item['id']} ({item['number']})" in doc["hint"]
    assert "otp cancel --pending" in doc["hint"]
