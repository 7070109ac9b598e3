"""Injected time: every wait reads `CLOCK` so tests run waits in milliseconds.

Tests replace `otpcli.domain.clock.CLOCK` with a fake whose `sleep` advances `now`.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock whose sleep only moves time forward; for tests."""

    def __init__(self, start: float = 1000.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += max(seconds, 0.0)


CLOCK: Clock = SystemClock()


def current() -> Clock:
    return CLOCK
