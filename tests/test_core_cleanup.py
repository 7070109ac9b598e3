"""The one clean-up policy (otpcli.services.cleanup): a code that arrives while otp is
cancelling is delivered, never lost; the clean-up has its own bound; what it cannot
settle is recorded `cancel_pending`. Unit tests on a fake clock, then the commands."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from responses import matchers

from otpcli.domain.clock import FakeClock
from otpcli.domain.errors import Interrupted, NetworkError, OrderStateError
from otpcli.domain.models import ActionResult, State, StatusResult
from otpcli.domain.provider import Capability
from otpcli.services.cleanup import Outcome, settle
from tests.cli_helpers import mocked_otpx, run

OTPX = "https://otpx.test/api/stubs/handler_api.php"
EARLY = "EARLY_CANCEL_DENIED"


class Host:
    """A provider whose SMS arrives at `code_at` (fake-clock time) and which refuses a
    cancel in its early-cancel window (until `window_ends`)."""

    name, title = "fake", "Fake"
    capabilities = frozenset({Capability.SMS, Capability.CANCEL})

    def __init__(self, clock: FakeClock, *, code_at: float, window_ends: float) -> None:
        self.clock = clock
        self.code_at = code_at
        self.window_ends = window_ends
        self.calls: list[str] = []
        self.pending: dict[str, str] = {}
        self.refusal = OrderStateError("too early", provider_word=EARLY)

    def supports(self, cap: Capability) -> bool:
        return cap in self.capabilities

    def status(self, oid: str) -> StatusResult:
        self.calls.append("status")
        if self.clock.now() >= self.code_at:
            return StatusResult(oid, State.CODE_RECEIVED, code="4242", text="code 4242")
        return StatusResult(oid, State.WAITING)

    def cancel(self, oid: str) -> ActionResult:
        self.calls.append("cancel")
        if self.clock.now() >= self.code_at:
            raise OrderStateError("status already changed", provider_word="STATUS_ALREADY_CHANGED")
        if self.clock.now() < self.window_ends:
            raise self.refusal
        return ActionResult(oid, "cancel", State.CANCELLED, "cancelled; refunded", refunded=True)

    def mark_cancel_pending(self, oid: str, why: str) -> None:
        self.pending[oid] = why


def test_a_code_that_arrives_in_the_early_cancel_window_is_delivered(clock: FakeClock) -> None:
    host = Host(clock, code_at=clock.now() + 25, window_ends=clock.now() + 100)
    got = settle(host, "1", wait_out_window=True, budget=120)
    assert got.outcome is Outcome.CODE
    assert got.status is not None and got.status.code == "4242"
    assert host.pending == {}  # nothing owed: the code was paid for and is here
    assert "cancel" in host.calls


def test_a_refusal_after_the_code_came_is_looked_at_not_taken_for_a_failure(
    clock: FakeClock,
) -> None:
    # The code arrives between the look before the cancel and the cancel itself.
    host = Host(clock, code_at=clock.now(), window_ends=clock.now())
    looks = iter([StatusResult("1", State.WAITING)])
    real = host.status
    host.status = lambda oid: next(looks, None) or real(oid)  # type: ignore[method-assign]
    got = settle(host, "1", wait_out_window=False)
    assert got.outcome is Outcome.CODE
    assert host.calls == ["cancel", "status"]


def test_a_code_carried_by_the_refusal_counts_when_the_look_fails(clock: FakeClock) -> None:
    host = Host(clock, code_at=clock.now() + 1000, window_ends=clock.now() + 1000)
    host.refusal = OrderStateError("a code arrived", provider_word="STATUS_ALREADY_CHANGED")
    host.refusal.details = {"id": "1", "code": "777", "text": "777 is your code"}
    host.status = lambda oid: (_ for _ in ()).throw(NetworkError("down", maybe_sent=False))  # type: ignore[method-assign]
    got = settle(host, "1", wait_out_window=True)
    assert got.outcome is Outcome.CODE
    assert got.status is not None and got.status.code == "777"


def test_the_clean_up_stays_within_its_budget_and_leaves_the_refund_owed(
    clock: FakeClock,
) -> None:
    start = clock.now()
    host = Host(clock, code_at=start + 10_000, window_ends=start + 10_000)
    got = settle(host, "1", wait_out_window=True, budget=30)
    assert got.outcome is Outcome.PENDING
    assert clock.now() - start <= 30
    assert "too early" in host.pending["1"]


def test_a_cancel_that_succeeds_is_a_refund(clock: FakeClock) -> None:
    host = Host(clock, code_at=clock.now() + 10_000, window_ends=clock.now() + 15)
    got = settle(host, "1", wait_out_window=True, budget=120)
    assert got.outcome is Outcome.CANCELLED
    assert host.pending == {}


def test_a_signal_during_the_clean_up_records_the_refund_owed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Term(FakeClock):
        def sleep(self, seconds: float) -> None:
            raise KeyboardInterrupt

    from otpcli.domain import clock as clock_mod

    fake = Term()
    monkeypatch.setattr(clock_mod, "CLOCK", fake)
    host = Host(fake, code_at=fake.now() + 10_000, window_ends=fake.now() + 10_000)
    with pytest.raises(KeyboardInterrupt):
        settle(host, "1", wait_out_window=True)
    assert host.pending["1"] == "interrupted during clean-up"


def test_an_interrupted_error_is_not_taken_for_a_refusal(clock: FakeClock) -> None:
    host = Host(clock, code_at=clock.now() + 10_000, window_ends=clock.now() + 10_000)
    host.refusal = Interrupted("SIGTERM", signal_exit=143)  # type: ignore[arg-type]
    with pytest.raises(Interrupted):
        settle(host, "1", wait_out_window=True)
    assert "1" in host.pending


# --- through the commands (OTPX answered by `responses`) ------------------------------------


@pytest.fixture
def otpx(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    yield from mocked_otpx(monkeypatch, "KEY-policy-0123456789")


def action(name: str, **extra: str) -> list[object]:
    return [matchers.query_param_matcher({"action": name, **extra}, strict_match=False)]


def states() -> dict[str, str]:
    from otpcli.services.session import open_journal

    journal = open_journal()
    try:
        return {o.order_id or "": o.state for o in journal.orders()}
    finally:
        journal.close()


def _code_during_cancel(otpx: responses.RequestsMock, oid: str) -> None:
    """Waiting until the cancel; the cancel is refused (the SMS came); then the code."""
    otpx.get(OTPX, body=f"ACCESS_NUMBER:{oid}:9190000{oid}", match=action("getNumber"))
    status = action("getStatus", id=oid)
    otpx.get(OTPX, body="STATUS_WAIT_CODE", match=status)  # the wait's poll
    otpx.get(OTPX, body="STATUS_WAIT_CODE", match=status)  # the look before the cancel
    otpx.get(OTPX, body="STATUS_OK:5150", match=status)  # every look after it
    otpx.get(OTPX, body="STATUS_ALREADY_CHANGED", match=action("setStatus", id=oid))


def test_buy_wait_prints_a_code_that_arrived_during_the_cancel(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    _code_during_cancel(otpx, "81")
    r = run(["buy", "wa", "-c", "22", "--wait", "--timeout", "0"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "5150\n"
    assert states() == {"81": "code_received"}


def test_a_signal_then_a_code_during_the_cancel_is_delivered(
    otpx: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Ctrl(FakeClock):
        def sleep(self, seconds: float) -> None:
            if not self.sleeps:  # Ctrl-C once, during the wait's first sleep
                self.sleeps.append(seconds)
                raise KeyboardInterrupt
            super().sleep(seconds)

    from otpcli.domain import clock as clock_mod

    monkeypatch.setattr(clock_mod, "CLOCK", Ctrl())
    _code_during_cancel(otpx, "82")
    r = run(["buy", "wa", "-c", "22", "--wait", "--timeout", "60"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "5150\n"
    assert states() == {"82": "code_received"}


def test_cancel_pending_shows_a_code_that_arrived(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    otpx.get(OTPX, body="ACCESS_NUMBER:83:919000083", match=action("getNumber"))
    otpx.get(OTPX, body="STATUS_WAIT_CODE", match=action("getStatus", id="83"))
    otpx.get(OTPX, body=EARLY, match=action("setStatus", id="83"))
    r = run(["buy", "wa", "-c", "22", "--wait", "--timeout", "0", "--cleanup-timeout", "0"])
    assert r.exit_code == 124
    assert states() == {"83": "cancel_pending"}
    otpx.replace(responses.GET, OTPX, body="STATUS_OK:6060", match=action("getStatus", id="83"))
    r = run(["cancel", "--pending", "--wait"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "83 6060\n"
    assert states() == {"83": "code_received"}
    r = run(["cancel", "--pending", "--json"])  # nothing is left, nothing is an error
    assert r.exit_code == 0 and r.stdout.strip() == '{"settled": []}'


def test_many_waits_print_codes_that_arrived_during_the_cancel(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    for oid in ("84", "85"):
        _code_during_cancel(otpx, oid)
        assert run(["buy", "wa", "-c", "22"]).stdout.split()[0] == oid
    r = run(["wait", "84", "85", "--timeout", "0"])
    assert r.exit_code == 0, r.stderr
    assert sorted(r.stdout.splitlines()) == ["84 5150", "85 5150"]
    assert states() == {"84": "code_received", "85": "code_received"}


def test_the_cleanup_bound_is_an_option_with_its_default_in_help() -> None:
    for args in (["buy"], ["wait"], ["cancel"], ["email", "wait"], ["cheap", "buy"]):
        r = run([*args, "--help"], env={"COLUMNS": "200"})
        assert "--cleanup-timeout" in r.stdout, args
        assert "120" in r.stdout, args


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e999", "-inf"])
@pytest.mark.parametrize("option", ["--timeout", "--interval", "--cleanup-timeout"])
def test_non_finite_seconds_are_refused_before_anything_is_sent(
    otpx: responses.RequestsMock, option: str, value: str
) -> None:
    r = run(["buy", "wa", "--wait", f"{option}={value}"])
    assert r.exit_code == 2, r.output
    assert len(otpx.calls) == 0
