"""A hard time limit for clean-up after a signal.

CI sends SIGKILL a few seconds after SIGTERM, so the refund attempt after an
interrupted wait must give up in about 5 s: a hung provider must not turn a clean exit
into a killed process that never wrote its journal note.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from otpcli.core.errors import ProviderError

CLEANUP_SECONDS = 5.0


class CleanupTimeout(ProviderError):
    """The clean-up ran out of time; what is left is recorded for later."""


@contextmanager
def time_limit(seconds: float = CLEANUP_SECONDS) -> Iterator[None]:
    # SIGALRM can only be handled in the main thread; elsewhere run without a limit.
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    def expire(_signum: int, _frame: Any) -> None:
        raise CleanupTimeout(f"clean-up took longer than {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
