"""End-to-end: `otp wait` interrupted by SIGINT / SIGTERM cleans up (DESIGN §4).

A `never` order is awaited by a real `otp --sandbox wait` process; once its stderr shows
it is polling, it gets SIGINT (exit 130) or SIGTERM (exit 143). After the early-cancel
window the order is cancelled for a refund at once; inside the window it is left as
`cancel_pending` in the journal, stderr names `otp cancel --pending`, and a later
`otp cancel --pending --wait` settles it; with `--keep` the order is left waiting.
Every child is killed at teardown if still alive.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from contextlib import closing

from tests.e2e.conftest import Child, Otp

SIGNALS = {signal.SIGINT: 130, signal.SIGTERM: 143}


def start_waits(otp: Otp, ids: list[str]) -> list[Child]:
    children = [otp.popen("--sandbox", "wait", oid, "--interval", "1") for oid in ids]
    for oid, child in zip(ids, children, strict=True):
        # Non-TTY progress: "waiting for the code of ID ..." then "  waiting (poll 1, 0 s)".
        text = child.err.until("(poll 1", 20)
        assert f"waiting for the code of {oid}" in text
    return children


def test_interrupt_after_the_window_cancels_for_a_refund(otp: Otp) -> None:
    otp.env["OTPCLI_SANDBOX_TIME_SCALE"] = "100"  # window 1.2 s, life 12 s
    ids = [otp.buy("never"), otp.buy("never")]
    bought = time.monotonic()
    assert otp.balance() == "990.00 PLAY\n"
    time.sleep(max(0.0, 1.4 - (time.monotonic() - bought)))

    children = start_waits(otp, ids)
    for child, sig in zip(children, SIGNALS, strict=True):
        child.proc.send_signal(sig)
    for oid, child, (sig, code) in zip(ids, children, SIGNALS.items(), strict=True):
        res = child.finish(20)
        assert res.returncode == code, f"{sig.name}: expected exit {code}\n{res}"
        assert res.stdout == "", res
        assert f"cancelling {oid}" in res.stderr, res
        assert "refunded" in res.stderr, res
        assert "Traceback" not in res.stderr, res
        assert otp.state(oid) == "cancelled"
    assert otp.balance() == "1000.00 PLAY\n"


def end_early_cancel_windows(otp: Otp) -> None:
    """End the early-cancel window of every sandbox order now, as if it had run out
    (the order's lifetime is left alone); no `otp` process may be running."""
    with closing(sqlite3.connect(otp.state_dir / "sandbox.sqlite3", timeout=30)) as db, db:
        changed = db.execute("UPDATE orders SET cancel_after = ?", (time.time() - 1,)).rowcount
    assert changed > 0


def test_interrupt_inside_the_window_leaves_cancel_pending(otp: Otp) -> None:
    # A long window, so a slow machine still does everything below inside it; the test
    # then ends it itself instead of waiting it out.
    window = 60.0
    otp.env["OTPCLI_SANDBOX_TIME_SCALE"] = "2"  # the 2-minute window lasts 60 s
    # Both purchases happen after `start`, so their windows end after start + 60 s.
    start = time.monotonic()
    ids = [otp.buy("never"), otp.buy("never")]

    children = start_waits(otp, ids)
    for child, sig in zip(children, SIGNALS, strict=True):
        child.proc.send_signal(sig)
    for oid, child, (sig, code) in zip(ids, children, SIGNALS.items(), strict=True):
        res = child.finish(20)
        assert res.returncode == code, f"{sig.name}: expected exit {code}\n{res}"
        assert res.stdout == "", res
        assert "otp cancel --pending" in res.stderr, res
        assert "Traceback" not in res.stderr, res
        row = otp.journal()[oid]
        assert row["state"] == "cancel_pending", row
    assert time.monotonic() - start < window, "too slow for the early-cancel window"
    assert otp.balance() == "990.00 PLAY\n"

    res = otp("orders").expect(0)
    assert "otp cancel --pending" in res.stderr

    # Still inside the window: a plain `--pending` cannot settle them yet (exit 8).
    res = otp("cancel", "--pending").expect(8)
    assert "EARLY_CANCEL_DENIED" in res.stderr or "too early" in res.stderr, res
    assert time.monotonic() - start < window, "too slow for the early-cancel window"
    assert {otp.state(oid) for oid in ids} == {"cancel_pending"}

    # End the windows, then settle both.
    end_early_cancel_windows(otp)
    res = otp("cancel", "--pending", "--wait", env={"OTPCLI_SANDBOX_TIME_SCALE": "600"})
    res.expect(0)
    assert res.stdout == "2 of 2 pending orders cancelled\n"
    assert {otp.state(oid) for oid in ids} == {"cancelled"}
    assert otp.balance() == "1000.00 PLAY\n"
    res = otp("cancel", "--pending").expect(0)
    assert res.stdout == ""
    assert "no orders" in res.stderr


def test_interrupt_with_keep_and_json(otp: Otp) -> None:
    oid = otp.buy("never")
    child = otp.popen("--sandbox", "wait", oid, "--keep", "--json", "--interval", "1")
    child.err.until("(poll 1", 20)
    child.proc.send_signal(signal.SIGTERM)
    res = child.finish(20).expect(143)
    doc = res.json()  # one JSON document on stdout, even when interrupted
    assert (doc["error"], doc["exit_code"]) == ("interrupted", 143)
    assert f"otp wait {oid}" in res.stderr  # how to resume
    assert otp.state(oid) == "waiting"  # kept: not cancelled, not pending
