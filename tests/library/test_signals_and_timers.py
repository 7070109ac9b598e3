"""The library and the signals of its caller's process: a Ctrl-C or SIGTERM landing
during the refund clean-up of a `with` block reaches the caller (after the order is
marked cancel_pending), and the clean-up's time limit puts back the caller's timer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from otpcli.services.cleanup import CleanupTimeout, time_limit
from otpcli.services.journal import Journal

# Leaves a `with` block without a code: the clean-up waits out the sandbox's early-cancel
# window (2 s at the test time scale), and the signal lands in the middle of it.
SCRIPT = """
import signal, sys
import otpcli
from otpcli.domain.errors import ExitCode

def term(signum, frame):
    raise otpcli.Interrupted("terminated", signal_exit=ExitCode(143))

signal.signal(signal.SIGTERM, term)
warned = []
with otpcli.Client.sandbox(on_warning=warned.append) as client:
    try:
        with client.buy("never") as act:
            print(act.id, flush=True)
        print("carried on", flush=True)
    except (KeyboardInterrupt, otpcli.Interrupted) as caught:
        print(type(caught).__name__, flush=True)
    print("warned:", *warned, flush=True)
"""


def journal_state(order_id: str) -> str:
    journal = Journal(os.environ["OTPCLI_STATE_DIR"])
    try:
        row = journal.find(order_id)
        assert row is not None
        return row.state
    finally:
        journal.close()


@pytest.mark.parametrize(
    ("signum", "raised"),
    [(signal.SIGINT, "KeyboardInterrupt"), (signal.SIGTERM, "Interrupted")],
)
def test_a_signal_during_the_refund_reaches_the_caller(
    signum: int, raised: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTPCLI_SANDBOX_EARLY_CANCEL", raising=False)  # the 2 s window is on
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    order_id = proc.stdout.readline().strip()
    time.sleep(1.0)  # leaving the block: the clean-up is waiting out the window
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=30)
    assert order_id, err
    lines = out.splitlines()
    assert lines[0] == raised, out + err
    assert "cancel_pending" in lines[1]
    assert journal_state(order_id) == "cancel_pending"


def _noted(fired: list[int]) -> object:
    return lambda signum, frame: fired.append(signum)


def test_time_limit_gives_back_the_callers_timer() -> None:
    fired: list[int] = []
    before = signal.signal(signal.SIGALRM, _noted(fired))  # type: ignore[arg-type]
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0, 7.0)
        with time_limit(5):
            time.sleep(0.3)
        left, every = signal.getitimer(signal.ITIMER_REAL)
        assert 29.0 < left < 29.8 and every == 7.0
        assert fired == []
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def test_the_callers_earlier_deadline_cuts_the_clean_up_then_fires() -> None:
    fired: list[int] = []
    before = signal.signal(signal.SIGALRM, _noted(fired))  # type: ignore[arg-type]
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        started = time.monotonic()
        with pytest.raises(CleanupTimeout), time_limit(5):
            time.sleep(3)
        assert time.monotonic() - started < 2
        time.sleep(0.1)
        assert fired == [signal.SIGALRM]  # the caller's handler ran after the cut
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)
