"""End-to-end: the spending cap holds under 30 parallel buyers, and for other products.

30 `otp --sandbox buy` processes start at once on one state dir with a cap that allows
exactly K purchases: exactly K succeed, the rest exit 6, the sandbox's balance dropped by
exactly K prices (no refused purchase reached it), the journal's spend never exceeds the
cap and no `pending` row is left behind. E-mail and rental purchases are checked against
the same cap (OTPCLI_MAX_SPEND, a profile's max_spend).
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from tests.e2e.conftest import Otp

PRICE = Decimal("12.50")  # tg in India on the sandbox
START = Decimal("1000")  # the sandbox's play money


def _rows(otp: Otp) -> list[dict[str, object]]:
    conn = sqlite3.connect(otp.state_dir / "journal.sqlite3", timeout=30)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM orders ORDER BY rowid")]
    finally:
        conn.close()


def _balance(otp: Otp) -> Decimal:
    return Decimal(otp.balance().split()[0])


def test_thirty_parallel_buyers_never_overshoot(otp: Otp) -> None:
    k = 4
    cap = PRICE * k + Decimal("5")  # room for 4 and a bit, never a 5th
    # The sandbox (and its state) exists before the race starts.
    assert _balance(otp) == START
    args = ("--sandbox", "buy", "tg", "-c", "india", "--max-spend", f"{cap}/day", "--json")
    buyers = [otp.popen(*args) for _ in range(30)]
    results = [b.finish(120) for b in buyers]
    codes = sorted(r.returncode for r in results)
    assert codes == [0] * k + [6] * (30 - k), "\n".join(map(str, results))
    for res in results:
        assert "Traceback" not in res.stderr, res
        if res.returncode == 6:
            doc = res.json()
            assert doc["error"] == "no_balance" and doc["exit_code"] == 6, res
            assert "nothing was sent" in doc["message"], res
            assert doc["spend_cap"]["spent"] == str(PRICE * k), res
            assert doc["spend_cap"]["frees_at"] is not None, res
    # The sandbox saw exactly K purchases: the wallet dropped by K prices.
    assert _balance(otp) == START - PRICE * k
    rows = _rows(otp)
    assert len(rows) == k  # a refused check writes no row
    assert {r["state"] for r in rows} == {"waiting"}
    assert sum(Decimal(str(r["price"])) for r in rows) <= cap


def test_refusal_says_what_was_spent_and_a_refund_gives_room_back(otp: Otp) -> None:
    # `never`: 5.00, its SMS never comes; cancels are allowed at once.
    env = {"OTPCLI_MAX_SPEND": "8/hour", "OTPCLI_SANDBOX_EARLY_CANCEL": "0"}
    oid = otp.buy("never", env=env)
    res = otp("--sandbox", "buy", "never", env=env).expect(6)
    assert res.stdout == ""
    assert "spending cap reached: 5.00 PLAY spent in the last hour" in res.stderr, res
    assert "8 PLAY/hour (from OTPCLI_MAX_SPEND)" in res.stderr, res
    assert "room frees up at" in res.stderr, res
    assert _balance(otp) == START - 5
    # A refund gives the money back to the cap: cancel it, and the next one fits.
    otp("--sandbox", "cancel", oid, env=env).expect(0)
    otp.buy("never", env=env)
    otp("--sandbox", "buy", "never", env=env).expect(6)
    # A flag wins over the environment.
    otp("--sandbox", "buy", "never", "--max-spend", "10", env=env).expect(0)
    assert _balance(otp) == START - 10


def test_cap_covers_email_and_rentals(otp: Otp) -> None:
    """The same cap, from a profile, counts e-mail and rental purchases too."""
    otp("profile", "add", "play", "--provider", "sandbox").expect(0)
    otp("profile", "set", "play", "max_spend", "30/week").expect(0)
    otp("-p", "play", "email", "buy", "tg").expect(0)  # 9.50
    before = _balance(otp)
    # A 24 h rental costs 25.00: 9.50 + 25.00 > 30.
    res = otp("-p", "play", "rent", "buy", "in", "--hours", "24").expect(6)
    assert "9.50 PLAY spent in the last 7 days" in res.stderr, res
    assert "profile play's max_spend" in res.stderr, res
    assert _balance(otp) == before
    otp("-p", "play", "rent", "buy", "in", "--hours", "12").expect(0)  # 15.00: 24.50
    res = otp("-p", "play", "email", "buy", "tg").expect(6)  # 9.50 more: 34.00
    assert "24.50 PLAY spent" in res.stderr, res
    assert _balance(otp) == before - Decimal("15.00")
    assert [r["kind"] for r in _rows(otp)] == ["email", "rental"]
