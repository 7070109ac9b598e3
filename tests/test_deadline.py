"""The clean-up time limit that bounds refund attempts after a signal."""

from __future__ import annotations

import signal
import time

import pytest

from otpcli.cli.deadline import CleanupTimeout, time_limit


def test_time_limit_cuts_a_hung_call() -> None:
    start = time.monotonic()
    with pytest.raises(CleanupTimeout), time_limit(0.2):
        time.sleep(5)
    assert time.monotonic() - start < 2


def test_time_limit_restores_the_previous_handler() -> None:
    before = signal.getsignal(signal.SIGALRM)
    with time_limit(5):
        pass
    assert signal.getsignal(signal.SIGALRM) == before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
