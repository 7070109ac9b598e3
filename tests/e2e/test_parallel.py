"""End-to-end: two `otp` processes at once share one state dir safely.

Two `otp --sandbox buy` start together on a fresh state dir (each with its own
in-process simulator, both creating the journal and sandbox databases), then two
`otp --sandbox wait` run together; both succeed and the journal holds both orders.
"""

from __future__ import annotations

import re

from tests.e2e.conftest import Otp


def test_two_buys_and_two_waits_at_once(otp: Otp) -> None:
    assert not otp.state_dir.exists()
    buyers = [otp.popen("--sandbox", "buy", svc) for svc in ("tg", "wa")]
    bought = [b.finish(30) for b in buyers]
    ids = []
    for res in bought:
        m = re.fullmatch(r"(\d+) (\d+)\n", res.stdout)
        assert res.returncode == 0 and m, res
        assert "Traceback" not in res.stderr, res
        ids.append(m.group(1))
    assert len(set(ids)) == 2

    waiters = [otp.popen("--sandbox", "wait", oid, "--interval", "1") for oid in ids]
    codes = []
    for res in (w.finish(30) for w in waiters):
        assert res.returncode == 0, res
        assert re.fullmatch(r"\d{5,6}\n", res.stdout), res
        codes.append(res.stdout.strip())

    rows = otp.journal()
    assert set(rows) == set(ids)
    assert {rows[i]["service"] for i in ids} == {"tg", "wa"}
    for oid, code in zip(ids, codes, strict=True):
        assert (rows[oid]["state"], rows[oid]["code"]) == ("code_received", code)
    assert otp.balance() == "969.50 PLAY\n"  # 1000 - 12.50 - 18.00
