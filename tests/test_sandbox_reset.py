"""`otp sandbox reset` forgets the OTPGet-format product orders too."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.cli_helpers import run


def test_reset_clears_cheap_orders(isolated_env: Path) -> None:
    r = run(["--sandbox", "cheap", "buy", "1"])
    assert r.exit_code == 0, r.stderr
    db = isolated_env / "state" / "sandbox.sqlite3"
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM og_cheap").fetchone() == (1,)
    assert run(["sandbox", "reset"]).exit_code == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM og_cheap").fetchone() == (0,)
    assert run(["--sandbox", "balance"]).stdout == "1000.00 PLAY\n"
