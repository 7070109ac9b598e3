"""End-to-end: `otp` against `otp sandbox serve --dialect NAME`, one server per dialect.

Each host family's dialect (its words, JSON error bodies with HTTP statuses, V1/V2
replies, open-order list) goes through a real HTTP server on 127.0.0.1 and the installed
`otp`, configured as a user would: the preset's name where there is one, else the
generic `smsactivate` provider, and the base URL as the full script URL the documents
print. Money, code and exit codes must come out the same whatever the dialect.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Otp

KEY = "dialect-e2e-Zk81q"

DIALECTS = {
    "smsactivate": "smsactivate",
    "herosms": "herosms",
    "grizzlysms": "grizzlysms",
    "smshub": "smshub",
}


@pytest.fixture(scope="module", params=sorted(DIALECTS))
def host(
    request: pytest.FixtureRequest, otp_exe: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    dialect = request.param
    runner = Otp(otp_exe, tmp_path_factory.mktemp(f"serve-{dialect}"), scale="100")
    child = runner.popen("sandbox", "serve", "--port", "0", "--dialect", dialect)
    try:
        url = child.out.until("\n", 15).splitlines()[0]
        yield dialect, url
        child.proc.send_signal(signal.SIGINT)
        assert child.finish(15).returncode == 0
    finally:
        child.kill()


def env_for(dialect: str, url: str, key: str = KEY) -> dict[str, str]:
    return {
        "OTPCLI_PROVIDER": DIALECTS[dialect],
        # as the documents print it: the script, not its folder
        "OTPCLI_BASE_URL": f"{url}/handler_api.php",
        "OTPCLI_API_KEY": key,
    }


def test_buy_wait_finish(otp: Otp, host: tuple[str, str]) -> None:
    dialect, url = host
    env = env_for(dialect, url)
    res = otp("balance", env=env).expect(0)
    assert re.fullmatch(r"\d+(\.\d+)?( \w+)?\n", res.stdout), res
    assert "base URL taken as" in res.stderr

    doc = otp("buy", "tg", "--json", env=env).expect(0).json()
    oid = doc["id"]
    assert doc["number"] and doc["service"] == "tg"
    if dialect != "smshub":  # its dialect has no getNumberV2: the price is not told
        assert doc["price"] is not None, doc

    res = otp("wait", oid, "--interval", "1", env=env).expect(0)
    assert re.fullmatch(r"\d{4,8}\n", res.stdout), res
    assert otp("status", oid, "--json", env=env).expect(0).json()["state"] == "code_received"
    otp("finish", oid, env=env).expect(0)
    assert otp.state(oid) == "finished"


def test_refusals_keep_their_exit_codes(otp: Otp, host: tuple[str, str]) -> None:
    dialect, url = host
    res = otp("balance", env=env_for(dialect, url, key="bad-key-123")).expect(4)
    assert "bad-key-123" not in res.stdout + res.stderr
    env = env_for(dialect, url)
    otp("status", "999999999999", env=env).expect(5)
    res = otp("buy", "nosuchservice", "--json", env=env)
    assert res.returncode == 2, res
    assert res.json()["exit_code"] == 2
    assert "may have gone through" not in res.stderr
    assert all(row["state"] == "failed" for row in otp.journal().values()) or not otp.journal()


def test_remote_orders_where_the_host_lists_them(otp: Otp, host: tuple[str, str]) -> None:
    dialect, url = host
    env = env_for(dialect, url)
    oid = otp("buy", "tg", env=env).expect(0).stdout.split()[0]
    res = otp("orders", "--remote", "--json", env=env)
    if dialect == "smshub":  # no getActiveActivations in its dialect
        assert res.returncode == 2, res
        return
    res.expect(0)
    assert oid in [row["id"] for row in res.json()["orders"]]
    otp("cancel", oid, env=env)
