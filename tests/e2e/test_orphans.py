"""End-to-end: a waiting `otp` killed with SIGKILL leaves an orphan, and nothing is lost.

A real `otp --sandbox buy ... --wait` process is killed with SIGKILL while it polls (no
clean-up can run). The journal still names it as the order's owner, so: `otp orders
--active --json` marks the order an orphan, the next command that opens the journal says
so in one stderr line, and `otp cancel --pending --wait` settles it: the order is
cancelled for a refund (the balance is whole again), or the code that arrived meanwhile
is printed on stdout.
"""

from __future__ import annotations

import json
import signal
import time

from tests.e2e.conftest import Child, Otp


def killed_wait(otp: Otp, service: str) -> str:
    """Start `otp --sandbox buy SERVICE --wait`, SIGKILL it while it polls; its id."""
    child: Child = otp.popen(
        "--sandbox", "buy", service, "--wait", "--timeout", "300", "--interval", "1"
    )
    text = child.err.until("(poll 1", 20)
    child.proc.send_signal(signal.SIGKILL)
    res = child.finish(20)
    assert res.returncode == -signal.SIGKILL, res
    (oid,) = otp.journal()  # the one order bought
    assert oid in text, res
    assert otp.state(oid) == "waiting"
    return oid


def test_sigkill_during_wait_is_refunded_by_cancel_pending(otp: Otp) -> None:
    oid = killed_wait(otp, "never")
    assert otp.balance() != "1000.00 PLAY\n"  # the money is with the provider

    listed = otp("orders", "--active", "--json").expect(0).json()
    (row,) = [o for o in listed["orders"] if o["id"] == oid]
    assert row["orphan"] is True, row

    # Any command that opens the journal mentions it, in one stderr line, not on stdout.
    res = otp("--sandbox", "status", oid, "--json").expect(0)
    json.loads(res.stdout)
    lines = [line for line in res.stderr.splitlines() if "process died" in line]
    assert len(lines) == 1 and "otp cancel --pending" in lines[0], res

    settled = otp("cancel", "--pending", "--wait", timeout=60).expect(0)
    assert oid in settled.stderr, settled
    assert otp.state(oid) == "cancelled"
    assert otp.balance() == "1000.00 PLAY\n"
    # Settled once: nothing is left, and nothing more is said.
    again = otp("--sandbox", "balance").expect(0)
    assert "process died" not in again.stderr
    listed = otp("orders", "--active", "--json").expect(0).json()
    assert not [o for o in listed["orders"] if o.get("orphan")]


def test_sigkill_before_the_code_shows_the_code(otp: Otp) -> None:
    oid = killed_wait(otp, "slow")  # the SMS comes 60 sandbox seconds (1 s) later
    time.sleep(1.5)
    settled = otp("cancel", "--pending", "--wait", timeout=60).expect(0)
    (line,) = settled.stdout.splitlines()
    got_id, code = line.split()
    assert got_id == oid and code.isdigit(), settled
    assert otp.state(oid) == "code_received"


def test_a_live_wait_is_not_an_orphan(otp: Otp) -> None:
    child = otp.popen("--sandbox", "buy", "never", "--wait", "--timeout", "300")
    child.err.until("(poll 1", 20)
    listed = otp("orders", "--active", "--json").expect(0).json()
    assert [o["orphan"] for o in listed["orders"]] == [False]
    res = otp("cancel", "--pending").expect(0)
    assert "no orders are waiting to be cancelled" in res.stderr, res
    child.proc.send_signal(signal.SIGINT)
    child.finish(30)


def test_a_bought_order_without_a_wait_is_the_users(otp: Otp) -> None:
    oid = otp.buy("never")
    listed = otp("orders", "--active", "--json").expect(0).json()
    assert [(o["id"], o["orphan"]) for o in listed["orders"]] == [(oid, False)]
    res = otp("--sandbox", "status", oid).expect(0)
    assert "process died" not in res.stderr


def test_sigkill_during_an_email_wait_is_refunded(otp: Otp) -> None:
    """An e-mail order whose waiting otp was killed is an orphan too, and refunded."""
    child: Child = otp.popen(
        "--sandbox", "email", "buy", "never", "--wait", "--timeout", "300", "--interval", "1"
    )
    child.err.until("(poll 1", 20)
    child.proc.send_signal(signal.SIGKILL)
    assert child.finish(20).returncode == -signal.SIGKILL
    (oid,) = otp.journal()
    listed = otp("orders", "--active", "--json").expect(0).json()
    (row,) = [o for o in listed["orders"] if o["id"] == oid]
    assert row["orphan"] is True, row
    settled = otp("cancel", "--pending", "--wait", timeout=60).expect(0)
    assert oid in settled.stderr, settled
    assert otp.state(oid) == "cancelled"
    assert otp.balance() == "1000.00 PLAY\n"
