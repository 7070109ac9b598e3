"""The API key never shows: every command, every sandbox fault, every output and file.

A sentinel key is given to `otp` (through OTPCLI_API_KEY, and through a profile added
with `--api-key-stdin`) and every command runs as a subprocess with `--debug` (the debug
log goes to stderr), half of them with `--json`, under every fault mode of the simulator
(`*=KIND`: every action fails that way) and without one. The `html` fault's error page
echoes the request URL, key included, as real gateways do. The key, raw or URL-encoded,
must be in none of stdout, stderr, the journal (journal.sqlite3, -wal, -shm) or any other
file of the state dir; the only place it may be is the 0600 config file of a profile.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from otpcli.services.journal import Journal
from tests.test_fault_matrix import Run, base_env, otp, setup_order

KEY = "SENTINEL-9c1f4e27b3a5d60c"
# A key with characters that URLs encode, so the encoded forms are looked for too.
ODD_KEY = "SENTINEL-9c1f/+=&?#%~x"
OTP = Path(sys.executable).parent / "otp"

FAULT_MODES = ["none", "500", "html", "hang", "reset", "empty", "garbage", "reset_after_charge"]
COMMANDS: dict[str, list[str]] = {
    "balance": ["balance"],
    "services": ["services"],
    "countries": ["countries"],
    "prices": ["prices"],
    "buy": ["buy", "tg"],
    "buy --wait": ["buy", "tg", "--wait", "--timeout", "2"],
    "wait": ["wait", "{id}", "--timeout", "2"],
    "status": ["status", "{id}"],
    "cancel": ["cancel", "{id}"],
    "finish": ["finish", "{id}"],
    "again": ["again", "{id}"],
    "orders": ["orders"],
    "cancel --pending": ["cancel", "--pending", "--wait"],
}
SETUP = {"wait": "never", "status": "tg", "cancel": "never", "finish": "tg", "again": "tg"}


def forms(key: str) -> set[str]:
    return {key, quote(key, safe=""), quote_plus(key)}


def leaks(text: str | bytes, key: str) -> list[str]:
    data = text.encode("utf-8", "replace") if isinstance(text, str) else text
    return [f for f in forms(key) if f.encode() in data]


def files_with_key(root: Path, key: str, *, allowed: frozenset[Path] = frozenset()) -> list[str]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and path not in allowed and leaks(path.read_bytes(), key):
            found.append(str(path.relative_to(root)))
    return found


@dataclass
class Case:
    root: Path
    runs: list[Run]


def run_case(command: str, fault: str, root: Path, key: str) -> Case:
    env = {
        **base_env(root),
        "OTPCLI_API_KEY": key,
        "OTPCLI_HTTP_TIMEOUT": "1",
        "OTPCLI_HTTP_BACKOFF": "0",
    }
    state = Path(env["OTPCLI_STATE_DIR"])
    order_id = ""
    if command == "cancel --pending":
        order_id = setup_order(state, "never")
        journal = Journal(state)
        journal.record(order_id, "cancel_pending", note="interrupted")
        journal.close()
    elif command in SETUP:
        order_id = setup_order(state, SETUP[command])
    if fault != "none":
        env["OTPCLI_SANDBOX_FAULTS"] = f"*={fault}"
    flags = ["--debug", "--sandbox"]
    if FAULT_MODES.index(fault) % 2:
        flags.append("--json")  # every command meets both output modes across the faults
    args = [a.format(id=order_id) for a in COMMANDS[command]]
    return Case(root, [otp([*flags, *args], env)])


CASES = [f"{command}|{fault}" for command in COMMANDS for fault in FAULT_MODES]


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    root = tmp_path_factory.mktemp("secrets")
    order = sorted(CASES, key=lambda c: "hang" not in c)  # slow ones first
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = {
            case: pool.submit(run_case, *case.split("|"), root / f"c{i}", KEY)
            for i, case in enumerate(order)
        }
        return {case: f.result() for case, f in futures.items()}


@pytest.mark.parametrize("case", CASES)
def test_key_is_nowhere(case: str, cases: dict[str, Case]) -> None:
    c = cases[case]
    for r in c.runs:
        where = f"otp {' '.join(r.args)} -> exit {r.code}"
        assert not leaks(r.stdout, KEY), f"{where}: key on stdout: {r.stdout[-600:]!r}"
        assert not leaks(r.stderr, KEY), f"{where}: key on stderr: {r.stderr[-600:]!r}"
    # The journal (with its -wal/-shm) and the simulator's files; no config file here.
    assert (c.root / "state" / "journal.sqlite3").exists() or case.split("|")[0] in (
        "balance",
        "services",
        "countries",
        "prices",
    )
    assert files_with_key(c.root, KEY) == []


def test_the_html_fault_really_carries_the_key(cases: dict[str, Case]) -> None:
    """Guard against a vacuous pass: the debug log shows that an HTML page came back
    (whose text, before masking, held the key)."""
    r = cases["balance|html"].runs[0]
    assert r.code == 9
    assert "502" in r.stderr and "***" in r.stderr


@pytest.mark.parametrize("key", [KEY, ODD_KEY], ids=["plain", "odd"])
def test_profile_key_stays_in_the_config_file(tmp_path: Path, key: str) -> None:
    env = base_env(tmp_path)
    config = Path(env["OTPCLI_CONFIG"])
    runs: list[Run] = []

    def run(args: list[str], *, stdin: str | None = None, **extra: str) -> Run:
        import subprocess
        import time

        started = time.monotonic()
        proc = subprocess.run(
            [str(OTP), *args],
            env={**env, **extra},
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            errors="replace",
            timeout=60,
        )
        result = Run(args, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
        runs.append(result)
        return result

    added = run(
        ["--debug", "profile", "add", "main", "--provider", "sandbox", "--api-key-stdin"],
        stdin=key + "\n",
    )
    assert added.code == 0, added.stderr
    again = run(
        ["--json", "profile", "add", "alt", "--provider", "sandbox", "--api-key-stdin"],
        stdin=key + "\n",
    )
    assert again.code == 0, again.stderr
    assert run(["profile", "use", "main"]).code == 0
    for args in (
        ["profile", "list"],
        ["--json", "profile", "list"],
        ["profile", "show"],
        ["--json", "profile", "show", "alt"],
        ["--debug", "profile", "show", "main"],
    ):
        assert run(args).code == 0, runs[-1].stderr
    # The profile's key is what the sandbox receives; the faults echo or garble it.
    bought = run(["--json", "buy", "tg"])
    assert bought.code == 0, bought.stderr
    order_id = json.loads(bought.stdout)["id"]
    for fault in ("html", "reset", "500", "garbage", "reset_after_charge"):
        faulty = {
            "OTPCLI_SANDBOX_FAULTS": f"*={fault}",
            "OTPCLI_HTTP_TIMEOUT": "1",
            "OTPCLI_HTTP_BACKOFF": "0",
        }
        run(["--debug", "balance"], **faulty)
        run(["--debug", "--json", "buy", "tg"], **faulty)
        run(["--debug", "status", order_id], **faulty)
        run(["--debug", "--json", "cancel", order_id], **faulty)
    run(["--debug", "orders"])

    for r in runs:
        where = f"otp {' '.join(r.args)} -> exit {r.code}"
        assert not leaks(r.stdout, key), f"{where}: key on stdout: {r.stdout[-600:]!r}"
        assert not leaks(r.stderr, key), f"{where}: key on stderr: {r.stderr[-600:]!r}"
    # The key is stored, in the 0600 config file only.
    assert key.encode() in config.read_bytes()
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    assert files_with_key(tmp_path, key, allowed=frozenset({config})) == []
    assert files_with_key(tmp_path, key) == [str(config.relative_to(tmp_path))]


def test_a_short_key_is_masked_exactly_not_in_every_case() -> None:
    """A short key (the sandbox's scenario key `bad`) masked in any case would hide the
    reply's own words: `BAD_KEY` must still read as BAD_KEY (exit 4, not garbage)."""
    from otpcli.domain.masking import Masker

    mask = Masker(["bad"])
    assert mask("BAD_KEY") == "BAD_KEY"
    assert mask("key=bad&x") == "key=***&x"
    long_key = "Zk81qA7wKv3pLm"
    assert Masker([long_key])(long_key.lower()) == "***"  # a long key: in any case
