"""End-to-end: `otp sandbox serve` run standalone, used as a remote provider.

The server is started once for this module (`otp sandbox serve --port 0`, URL read from
its first stdout line) and stopped with SIGINT at the end, which must exit 0. Other
`otp` processes reach it as an sms-activate compatible host
(`OTPCLI_PROVIDER=smsactivate OTPCLI_BASE_URL=URL OTPCLI_API_KEY=...`) and as the
sandbox provider with a base URL; the server's state dir is the one `otp sandbox
deliver` steers. The key never appears in any output, even with --debug.
"""

from __future__ import annotations

import re
from decimal import Decimal

from tests.e2e.conftest import Otp, Server

KEY = "play-e2e-Q7wKv"


def smsactivate(serve: Server, key: str = KEY) -> dict[str, str]:
    return {
        "OTPCLI_PROVIDER": "smsactivate",
        "OTPCLI_BASE_URL": serve.url,
        "OTPCLI_API_KEY": key,
    }


def test_serve_prints_its_url(serve: Server) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/stubs", serve.url), serve.url
    assert f"OTPCLI_BASE_URL={serve.url}" in serve.hint
    assert serve.child.proc.poll() is None  # still serving


def test_smsactivate_client(otp: Otp, serve: Server) -> None:
    env = smsactivate(serve)
    res = otp("balance", env=env).expect(0)
    before = Decimal(res.stdout.split()[0])
    outputs = [res]

    res = otp("--debug", "buy", "tg", env=env).expect(0)
    outputs.append(res)
    m = re.fullmatch(r"(\d+) (\d+)\n", res.stdout)
    assert m, res
    oid = m.group(1)
    assert int(oid) > 2**32
    assert "getNumber" in res.stderr  # the debug log shows the call, not the key

    res = otp("wait", oid, "--interval", "1", env=env).expect(0)
    outputs.append(res)
    assert re.fullmatch(r"\d{5}\n", res.stdout), res
    doc = otp("status", oid, "--json", env=env).expect(0).json()
    assert (doc["id"], doc["state"], doc["code"]) == (oid, "code_received", res.stdout.strip())
    outputs.append(otp("finish", oid, env=env).expect(0))

    res = otp("balance", "--json", env=env).expect(0)
    outputs.append(res)
    assert Decimal(res.json()["balance"]) == before - Decimal("12.50")

    row = otp.journal()[oid]
    assert (row["provider"], row["base_url"], row["state"]) == (
        "smsactivate",
        serve.url,
        "finished",
    )
    for r in outputs:
        assert KEY not in r.stdout + r.stderr, r
    for path in otp.state_dir.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_smsactivate_bad_key(otp: Otp, serve: Server) -> None:
    env = smsactivate(serve, key="bad-e2e-Q7wKv")
    plain = otp("--debug", "balance", env=env).expect(4)
    assert plain.stdout == ""
    assert "BAD_KEY" in plain.stderr
    res = otp("buy", "tg", "--json", env=env).expect(4)
    doc = res.json()
    assert (doc["error"], doc["exit_code"], doc["provider_word"]) == ("auth", 4, "BAD_KEY")
    for r in (plain, res):
        assert "Q7wKv" not in r.stdout + r.stderr, r


def test_sandbox_provider_with_a_base_url(otp: Otp, serve: Server) -> None:
    env = {"OTPCLI_PROVIDER": "sandbox", "OTPCLI_BASE_URL": serve.url}
    res = otp("balance", env=env).expect(0)
    assert re.fullmatch(r"\d+\.\d\d PLAY\n", res.stdout), res

    # `never` gets no SMS of its own: deliver one through the server's state dir.
    doc = otp("buy", "never", "--json", env=env).expect(0).json()
    oid = doc["id"]
    steer = {"OTPCLI_STATE_DIR": str(serve.state_dir)}
    assert otp("sandbox", "deliver", oid, "777555", env=steer).expect(0).stdout == "777555\n"

    # No provider named at all: the journal routes the id back to this server.
    res = otp("wait", oid, "--interval", "1").expect(0)
    assert res.stdout == "777555\n"
    row = otp.journal()[oid]
    assert (row["provider"], row["base_url"], row["code"]) == ("sandbox", serve.url, "777555")
    assert otp("finish", oid).expect(0).stdout == "finished\n"
