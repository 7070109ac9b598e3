"""The installed `otp` against the sandbox: a code that arrives while otp is cancelling
(the early-cancel window refuses the cancel, the SMS comes meanwhile) is printed, exit 0,
journal `code_received`; `otp cancel --pending` shows such a code instead of calling it
an error. (Before: "no code", exit 124, `cancel_pending`, and the code never shown.)

At time scale 30 the `slow` SMS arrives after 2 s and the early-cancel window lasts 4 s.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.e2e.conftest import Otp

SCALE = "30"


def test_buy_wait_prints_the_code_that_came_during_the_cancel(
    otp_exe: Path, tmp_path: Path
) -> None:
    otp = Otp(otp_exe, tmp_path, scale=SCALE)
    start = time.monotonic()
    res = otp("--sandbox", "buy", "slow", "--wait", "--timeout", "1", "--cleanup-timeout", "3")
    res.expect(0)
    took = time.monotonic() - start
    code = res.stdout.strip()
    assert code.isdigit(), str(res)
    assert "early cancel refused" in res.stderr
    (row,) = otp.journal().values()
    assert row["state"] == "code_received" and row["code"] == code
    assert took < 1 + 3 + 5 + 2, took  # wait + clean-up bound + last request + start-up


def test_the_cleanup_bound_holds_and_cancel_pending_shows_the_code(
    otp_exe: Path, tmp_path: Path
) -> None:
    otp = Otp(otp_exe, tmp_path, scale=SCALE)
    start = time.monotonic()
    res = otp("--sandbox", "buy", "slow", "--wait", "--timeout", "0", "--cleanup-timeout", "0")
    res.expect(124)
    assert time.monotonic() - start < 5
    (oid,) = otp.journal()
    assert otp.state(oid) == "cancel_pending"
    time.sleep(2.5)  # the SMS arrives
    res = otp("--sandbox", "cancel", "--pending", "--wait").expect(0)
    shown_id, code = res.stdout.split()
    assert shown_id == oid and code.isdigit()
    assert otp.state(oid) == "code_received"


def test_many_waits_print_the_codes_that_came_during_the_cancel(
    otp_exe: Path, tmp_path: Path
) -> None:
    otp = Otp(otp_exe, tmp_path, scale=SCALE)
    res = otp(
        "--sandbox", "buy", "slow", "-n", "3", "--wait", "--timeout", "1", "--cleanup-timeout", "3"
    ).expect(0)
    lines = res.stdout.split("\n")[:-1]
    assert len(lines) == 3, str(res)
    assert all(line.split()[1].isdigit() for line in lines)
    assert {r["state"] for r in otp.journal().values()} == {"code_received"}
