"""Clean-up paths where money is owed: every activation that got no code is cancelled
for a refund or recorded `cancel_pending`, whatever cuts the run short.

Signals are simulated by raising `Interrupted`/`KeyboardInterrupt` where the real
handler would; time is a fake clock except for the thread-pool cases, which use events.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest
import responses
from responses import matchers

from otpcli.cli import deadline
from otpcli.cli.many import clean_up_after_signal, wait_many
from otpcli.cli.render import Env
from otpcli.domain import clock as clock_mod
from otpcli.domain.clock import FakeClock
from otpcli.domain.errors import ExitCode, Interrupted
from otpcli.domain.models import ActionResult, State, StatusResult
from otpcli.domain.provider import Capability
from otpcli.services.waiting import thread_pool
from tests.cli_helpers import mocked_otpx, run

OTPX = "https://otpx.test/api/stubs/handler_api.php"


@pytest.fixture
def otpx(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    yield from mocked_otpx(monkeypatch, "KEY-cleanup-123456")


def action(name: str, **extra: str) -> list[object]:
    return [matchers.query_param_matcher({"action": name, **extra}, strict_match=False)]


def journal_states() -> dict[str, str]:
    from otpcli.services.session import open_journal

    journal = open_journal()
    try:
        return {o.order_id or "": o.state for o in journal.orders()}
    finally:
        journal.close()


class Fake:
    """A journaled provider: `slow` ids block in cancel until released; codes by id."""

    name, title, currency, poll_interval = "fake", "Fake", None, 1.0
    capabilities = frozenset({Capability.SMS, Capability.CANCEL})

    def __init__(self, codes: dict[str, str] | None = None):
        self.codes = codes or {}
        self.release = threading.Event()
        self.cancelled: list[str] = []
        self.pending: dict[str, str] = {}

    def supports(self, cap: Capability) -> bool:
        return cap in self.capabilities

    def status(self, activation_id: str) -> StatusResult:
        code = self.codes.get(activation_id)
        state = State.CODE_RECEIVED if code else State.WAITING
        return StatusResult(id=activation_id, state=state, code=code)

    def cancel(self, activation_id: str) -> ActionResult:
        if activation_id.startswith("slow"):
            self.release.wait(30)
        self.cancelled.append(activation_id)
        return ActionResult(activation_id, "cancel", State.CANCELLED, "cancelled", refunded=True)

    def mark_cancel_pending(self, order_id: str, why: str) -> None:
        self.pending[order_id] = why


def quiet_env() -> Env:
    return Env(stdout=io.StringIO(), stderr=io.StringIO())


def test_pool_does_not_wait_for_requests_in_flight_when_the_block_fails() -> None:
    started, release = threading.Event(), threading.Event()

    def stuck() -> None:
        started.set()
        release.wait(30)

    with pytest.raises(KeyboardInterrupt), thread_pool(2) as pool:
        pool.submit(stuck)
        started.wait(5)
        raise KeyboardInterrupt
    # Out of the block while the request is still in flight (it would take 30 s).
    assert not release.is_set()
    release.set()


def test_clean_up_cut_by_its_deadline_records_what_it_did_not_settle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deadline, "hard_limit", lambda budget, *, after_signal: 0.3)
    p = Fake()
    try:
        intr = clean_up_after_signal(
            quiet_env(), [(p, "fast"), (p, "slow")], ExitCode.TERMINATED, keep=False
        )  # type: ignore[list-item]
        assert intr.status == 143
        assert "cancel_pending" in (intr.hint or "")
        assert p.cancelled == ["fast"]
        assert set(p.pending) == {"slow"}
        assert "0.3 s" in p.pending["slow"]
    finally:
        p.release.set()


class TermOnSleep(FakeClock):
    """SIGTERM arrives (in the main thread, as real signals do) between two rounds."""

    def sleep(self, seconds: float) -> None:
        raise Interrupted("interrupted by SIGTERM", signal_exit=ExitCode.TERMINATED)


def test_signal_during_multi_wait_cancels_only_those_without_a_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(clock_mod, "CLOCK", TermOnSleep())
    p = Fake(codes={"a": "1111"})
    env = quiet_env()
    with pytest.raises(Interrupted) as info:
        wait_many(env, [(p, "a"), (p, "b")], timeout=60, interval=1, keep=False)  # type: ignore[list-item]
    assert info.value.status == 143
    assert p.cancelled == ["b"]  # "a" got its code: it must not be cancelled
    assert p.pending == {}
    assert env.stdout.getvalue() == "a 1111\n"  # type: ignore[attr-defined]


def test_signal_while_buying_many_cancels_the_ones_already_bought(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    bought = iter(["ACCESS_NUMBER:71:919000000071"])

    def get_number(_request: object) -> tuple[int, dict[str, str], str]:
        body = next(bought, None)
        if body is None:  # SIGTERM arrives while the second purchase is out
            raise Interrupted("interrupted by SIGTERM", signal_exit=ExitCode.TERMINATED)
        return 200, {}, body

    otpx.add_callback(responses.GET, OTPX, callback=get_number, match=action("getNumber"))
    cancel = otpx.get(OTPX, body="ACCESS_CANCEL", match=action("setStatus", id="71", status="8"))
    r = run(["buy", "wa", "-c", "22", "--count", "3", "--wait"])
    assert r.exit_code == 143, r.stderr
    assert cancel.call_count == 1
    states = journal_states()
    assert states["71"] == "cancelled"
    assert list(states.values()).count("unknown") == 1  # the purchase that was out


def test_cancel_pending_settles_an_order_the_provider_already_closed(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    otpx.get(OTPX, body="ACCESS_NUMBER:72:919000000072", match=action("getNumber"))
    assert run(["buy", "wa", "-c", "22"]).exit_code == 0
    from otpcli.services.session import open_journal

    journal = open_journal()
    try:
        journal.record("72", "cancel_pending", provider="otpx", note="clean-up cut short")
    finally:
        journal.close()
    otpx.get(OTPX, body="ALREADY_CANCEL", match=action("setStatus", id="72"))
    otpx.get(OTPX, body="STATUS_CANCEL", match=action("getStatus", id="72"))
    r = run(["cancel", "--pending"])
    assert r.exit_code == 0, r.stderr
    assert journal_states()["72"] == "cancelled"
    assert "already cancelled" in r.stderr


def test_status_of_a_cancel_pending_order_keeps_the_refund_owed(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    otpx.get(OTPX, body="ACCESS_NUMBER:73:919000000073", match=action("getNumber"))
    assert run(["buy", "wa", "-c", "22"]).exit_code == 0
    otpx.get(OTPX, body="STATUS_WAIT_CODE", match=action("getStatus", id="73"))
    otpx.get(OTPX, body="EARLY_CANCEL_DENIED", match=action("setStatus", id="73"))
    r = run(["wait", "73", "--timeout", "0", "--keep"])
    assert r.exit_code == 124
    from otpcli.services.session import open_journal

    journal = open_journal()
    try:
        journal.record("73", "cancel_pending", provider="otpx", note="refund owed")
    finally:
        journal.close()
    assert run(["status", "73"]).stdout == "waiting\n"
    assert journal_states()["73"] == "cancel_pending"
    # Still refused: the row stays for a later `otp cancel --pending --wait`.
    r = run(["cancel", "--pending"])
    assert r.exit_code == 8
    assert journal_states()["73"] == "cancel_pending"


def test_marking_an_order_this_journal_never_bought_adds_it(otpx: responses.RequestsMock) -> None:
    from otpcli.services.session import open_provider

    provider, _settings = open_provider()
    try:
        provider.mark_cancel_pending("9001", "bought on another machine; wait cut short")
    finally:
        provider.journal.close()
    assert journal_states() == {"9001": "cancel_pending"}
    otpx.get(OTPX, body="ACCESS_CANCEL", match=action("setStatus", id="9001", status="8"))
    r = run(["cancel", "--pending"])
    assert r.exit_code == 0, r.stderr
    assert journal_states() == {"9001": "cancelled"}


def test_email_wait_polls_one_interval_apart_however_slow_the_reply(clock: FakeClock) -> None:
    from otpcli.domain.product_models import EmailStatus
    from otpcli.services.products import wait_email

    asked: list[float] = []
    replies = [State.WAITING, State.WAITING, State.CODE_RECEIVED]

    class SlowMailbox:
        def status(self, email_id: str) -> EmailStatus:
            asked.append(clock.now())
            clock.t += 2.0  # each reply takes 2 s
            state = replies.pop(0)
            code = "5521" if state is State.CODE_RECEIVED else None
            return EmailStatus(id=email_id, state=state, code=code)

    st = wait_email(SlowMailbox(), "e1", timeout=60, interval=5)  # type: ignore[arg-type]
    assert st.code == "5521"
    assert [t - asked[0] for t in asked] == [0, 5, 10]
    assert clock.sleeps == [3, 3]
