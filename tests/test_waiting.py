"""The waiting loop and the refund clean-up, on a scripted provider and a fake clock."""

from __future__ import annotations

import pytest

from otpcli.domain.clock import FakeClock
from otpcli.domain.errors import (
    AuthError,
    NetworkError,
    OrderStateError,
    WaitTimeout,
)
from otpcli.domain.models import ActionResult, State, StatusResult
from otpcli.domain.provider import Capability
from otpcli.services.waiting import (
    effective_interval,
    wait_for_code,
)


class Scripted:
    """A provider whose status replies come from a list (the loop is under test)."""

    name = "scripted"
    title = "Scripted"
    currency = None
    poll_interval = 5.0
    capabilities = frozenset({Capability.SMS, Capability.CANCEL})

    def __init__(self, replies: list[object], cancels: list[object] | None = None) -> None:
        self.replies = list(replies)
        self.cancels = list(cancels or [])
        self.status_calls = 0
        self.cancel_calls = 0

    def supports(self, cap: Capability) -> bool:
        return cap in self.capabilities

    def status(self, activation_id: str) -> StatusResult:
        self.status_calls += 1
        item = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(item, Exception):
            raise item
        assert isinstance(item, StatusResult)
        return item

    def cancel(self, activation_id: str) -> ActionResult:
        self.cancel_calls += 1
        item = self.cancels.pop(0) if len(self.cancels) > 1 else self.cancels[0]
        if isinstance(item, Exception):
            raise item
        assert isinstance(item, ActionResult)
        return item


def st(state: State, code: str | None = None) -> StatusResult:
    return StatusResult(id="5000000001", state=state, code=code)


def test_code_after_several_polls(clock: FakeClock) -> None:
    p = Scripted([st(State.WAITING)] * 3 + [st(State.CODE_RECEIVED, "48213")])
    events = []
    result = wait_for_code(p, "5000000001", timeout=60, interval=5, on_poll=events.append)
    assert result.code == "48213"
    assert p.status_calls == 4
    assert clock.sleeps == [5, 5, 5]
    assert [ev.poll for ev in events] == [1, 2, 3, 4]


def test_deadline_raises_timeout_with_next_step(clock: FakeClock) -> None:
    p = Scripted([st(State.WAITING)])
    with pytest.raises(WaitTimeout) as info:
        wait_for_code(p, "77", timeout=12, interval=5)
    assert info.value.status == 124
    assert "otp wait 77" in (info.value.hint or "")
    # polls at 0, 5, 10, and a last one exactly at the deadline
    assert clock.sleeps == [5, 5, 2]
    assert p.status_calls == 4


class Slow(Scripted):
    """Each status reply takes `latency` seconds of the fake clock."""

    def __init__(self, replies: list[object], clock: FakeClock, latency: float) -> None:
        super().__init__(replies)
        self.clock, self.latency = clock, latency
        self.asked_at: list[float] = []

    def status(self, activation_id: str) -> StatusResult:
        self.asked_at.append(self.clock.now())
        self.clock.t += self.latency
        return super().status(activation_id)


def test_polls_start_one_interval_apart_however_slow_the_reply(clock: FakeClock) -> None:
    p = Slow([st(State.WAITING)] * 3 + [st(State.CODE_RECEIVED, "1")], clock, latency=1.5)
    wait_for_code(p, "1", timeout=60, interval=5)
    assert clock.sleeps == [3.5, 3.5, 3.5]
    assert [t - p.asked_at[0] for t in p.asked_at] == [0, 5, 10, 15]


def test_many_rounds_start_one_interval_apart(clock: FakeClock) -> None:
    from otpcli.services.waiting import wait_for_codes

    p = Slow([st(State.WAITING)] * 2 + [st(State.CODE_RECEIVED, "1")], clock, latency=0.25)
    # One worker: the two polls of a round take 0.5 s of fake time in all.
    outcomes = wait_for_codes([(p, "a"), (p, "b")], timeout=60, interval=3, workers=1)
    assert len(outcomes) == 2
    assert [o.activation_id for o in outcomes] == ["a", "b"]
    assert [o.status.code if o.status else None for o in outcomes] == ["1", "1"]
    assert [o.error for o in outcomes] == [None, None]
    assert clock.sleeps[0] == pytest.approx(3 - 0.5)
    assert clock.sleeps == [pytest.approx(2.5)]
    # Round 2 (the third and fourth polls) starts exactly one interval after round 1.
    assert [t - p.asked_at[0] for t in p.asked_at] == [0, 0.25, 3, 3.25]
    # A reply slower than the interval: the next poll goes out at once, never sooner.
    q = Slow([st(State.WAITING), st(State.CODE_RECEIVED, "2")], clock, latency=4)
    wait_for_code(q, "2", timeout=60, interval=3)
    assert clock.sleeps[-1] == 0
    # The same for a round of many: two 2.5 s polls on one worker outlast the 3 s interval.
    before = len(clock.sleeps)
    r = Slow([st(State.WAITING)] * 2 + [st(State.CODE_RECEIVED, "3")], clock, latency=2.5)
    outcomes = wait_for_codes([(r, "c"), (r, "d")], timeout=60, interval=3, workers=1)
    assert [o.status.code if o.status else None for o in outcomes] == ["3", "3"]
    assert clock.sleeps[before:] == [0]
    assert clock.sleeps[-1] == 0
    assert [t - r.asked_at[0] for t in r.asked_at] == [0, 2.5, 5, 7.5]


@pytest.mark.parametrize("state", [State.CANCELLED, State.EXPIRED, State.FINISHED])
def test_terminal_state_stops_at_once(clock: FakeClock, state: State) -> None:
    p = Scripted([st(state)])
    with pytest.raises(OrderStateError) as info:
        wait_for_code(p, "9", timeout=600, interval=5)
    assert info.value.status == 8
    assert p.status_calls == 1
    assert clock.sleeps == []


def test_transient_errors_keep_polling(clock: FakeClock) -> None:
    boom = NetworkError("connection failed", maybe_sent=False)
    p = Scripted([boom, boom, st(State.CODE_RECEIVED, "1-2:3")])
    assert wait_for_code(p, "9", timeout=60, interval=2).code == "1-2:3"
    assert p.status_calls == 3


def test_permanent_errors_are_raised(clock: FakeClock) -> None:
    p = Scripted([AuthError("bad key", provider_word="BAD_KEY")])
    with pytest.raises(AuthError):
        wait_for_code(p, "9", timeout=60, interval=2)
    assert p.status_calls == 1


def test_interval_floor_and_default() -> None:
    p = Scripted([st(State.WAITING)])
    assert effective_interval(None, p) == 5.0
    assert effective_interval(0.1, p) == 1.0
    assert effective_interval(3, p) == 3
