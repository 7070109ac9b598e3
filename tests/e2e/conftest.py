"""Fixtures for the end-to-end tests: run the installed `otp` as a subprocess.

Every call gets a clean environment (no inherited `OTPCLI_*`, its own config file and
state dir under `tmp_path`, a high sandbox time scale), `stdin=/dev/null` and a timeout.
`serve` starts `otp sandbox serve --port 0` once per module and stops it with SIGINT.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# Sandbox seconds per real second: the 2-minute early-cancel window lasts 2 s, an SMS
# 50 ms, the 20-minute life of every order 20 s (an order expires then, code or not).
FAST = "60"
TIMEOUT = 30.0


def find_otp() -> Path:
    """The `otp` installed next to this interpreter (or on PATH); never skip without it."""
    beside = Path(sys.executable).parent / "otp"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("otp")
    if found is None:
        pytest.fail(
            f"the `otp` executable is neither beside {sys.executable} nor on PATH: "
            "install the package (pip install -e .) before running the e2e tests",
            pytrace=False,
        )
    return Path(found)


def clean_env(tmp: Path, scale: str = FAST) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("OTPCLI_") and k not in ("NO_COLOR", "FORCE_COLOR")
    }
    env["OTPCLI_CONFIG"] = str(tmp / "config" / "config.toml")
    env["OTPCLI_STATE_DIR"] = str(tmp / "state")
    env["OTPCLI_SANDBOX_TIME_SCALE"] = scale
    env["HOME"] = str(tmp / "home")
    env["XDG_CONFIG_HOME"] = str(tmp / "home" / ".config")
    return env


def _default_sigint() -> None:
    # A background shell may start us with SIGINT ignored; Python only turns SIGINT into
    # KeyboardInterrupt when it starts with the default disposition.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class Result:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (
            f"$ otp {' '.join(self.args)}\n-> exit {self.returncode}\n"
            f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}"
        )

    def json(self) -> Any:
        return json.loads(self.stdout)

    def expect(self, code: int) -> Result:
        assert self.returncode == code, f"expected exit {code}\n{self}"
        return self


class Reader:
    """Read a child's pipe without blocking past a deadline (raw fd, own buffer)."""

    def __init__(self, stream: Any) -> None:
        self.fd = stream.fileno()
        self.data = b""
        self.eof = False

    def until(self, needle: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while needle.encode() not in self.data:
            left = deadline - time.monotonic()
            if self.eof or left <= 0:
                raise AssertionError(f"{needle!r} not seen within {timeout} s; got {self.text!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 65536)
                self.eof = not chunk
                self.data += chunk
        return self.text

    def rest(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no end of stream within {timeout} s; got {self.text!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 65536)
                self.eof = not chunk
                self.data += chunk
        return self.text

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


class Child:
    """A running `otp`; `finish()` collects its output; killed at teardown if still alive."""

    def __init__(self, proc: subprocess.Popen[bytes], args: list[str]) -> None:
        self.proc = proc
        self.args = args
        assert proc.stdout is not None and proc.stderr is not None
        self.out = Reader(proc.stdout)
        self.err = Reader(proc.stderr)

    def finish(self, timeout: float = TIMEOUT) -> Result:
        stdout = self.out.rest(timeout)
        stderr = self.err.rest(timeout)
        code = self.proc.wait(timeout=timeout)
        self.proc.stdout.close()  # type: ignore[union-attr]
        self.proc.stderr.close()  # type: ignore[union-attr]
        return Result(self.args, code, stdout, stderr)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for s in (self.proc.stdout, self.proc.stderr):
            if s is not None and not s.closed:
                s.close()


class Otp:
    """Runs the installed `otp` with an isolated environment."""

    def __init__(self, exe: Path, tmp: Path, scale: str = FAST) -> None:
        self.exe = exe
        self.tmp = tmp
        self.env = clean_env(tmp, scale)
        self.children: list[Child] = []

    @property
    def state_dir(self) -> Path:
        return Path(self.env["OTPCLI_STATE_DIR"])

    def _env(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        env = dict(self.env)
        env.update(extra or {})
        return env

    def __call__(
        self, *args: str, env: Mapping[str, str] | None = None, timeout: float = TIMEOUT
    ) -> Result:
        proc = subprocess.run(
            [str(self.exe), *args],
            env=self._env(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        res = Result(
            list(args),
            proc.returncode,
            proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"),
        )
        # Never a traceback without --debug, whatever happened (DESIGN §3).
        assert "Traceback" not in res.stderr + res.stdout, str(res)
        return res

    def popen(self, *args: str, env: Mapping[str, str] | None = None) -> Child:
        proc = subprocess.Popen(
            [str(self.exe), *args],
            env=self._env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_default_sigint,
            start_new_session=True,
        )
        child = Child(proc, list(args))
        self.children.append(child)
        return child

    # --- shortcuts for the sandbox ------------------------------------------------------

    def buy(self, service: str = "tg", *more: str, env: Mapping[str, str] | None = None) -> str:
        """`otp --sandbox buy SERVICE`; the new activation id."""
        res = self("--sandbox", "buy", service, *more, env=env).expect(0)
        return res.stdout.split()[0]

    def balance(self) -> str:
        return self("--sandbox", "balance").expect(0).stdout

    def journal(self) -> dict[str, dict[str, Any]]:
        """The order journal's rows that have an id, by id, read straight from SQLite.

        (Cheaper than an `otp orders --json` process; `test_commands` checks that too.)
        """
        import sqlite3

        path = self.state_dir / "journal.sqlite3"
        if not path.exists():  # no purchase was ever sent
            return {}
        conn = sqlite3.connect(path, timeout=30)
        try:
            conn.row_factory = sqlite3.Row
            rows = conn.execute("SELECT * FROM orders ORDER BY rowid").fetchall()
        finally:
            conn.close()
        return {r["order_id"]: dict(r) for r in rows if r["order_id"]}

    def state(self, order_id: str) -> str:
        return str(self.journal()[order_id]["state"])


@pytest.fixture(scope="session")
def otp_exe() -> Path:
    return find_otp()


@pytest.fixture
def otp(otp_exe: Path, tmp_path: Path) -> Iterator[Otp]:
    runner = Otp(otp_exe, tmp_path)
    try:
        yield runner
    finally:
        for child in runner.children:
            child.kill()


@dataclass
class Server:
    url: str
    state_dir: Path
    child: Child
    hint: str


@pytest.fixture(scope="module")
def serve(otp_exe: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`otp sandbox serve --port 0`, once per module; SIGINT at the end must exit 0."""
    tmp = tmp_path_factory.mktemp("serve")
    runner = Otp(otp_exe, tmp, scale="100")
    child = runner.popen("sandbox", "serve", "--port", "0")
    try:
        url = child.out.until("\n", 15).splitlines()[0]
        hint = child.err.until("\n", 15)
        yield Server(url=url, state_dir=runner.state_dir, child=child, hint=hint)
        child.proc.send_signal(signal.SIGINT)
        res = child.finish(15)
        assert res.returncode == 0, f"sandbox serve did not stop cleanly on SIGINT\n{res}"
        assert res.stdout == url + "\n", res
        assert "Traceback" not in res.stderr, res
    finally:
        child.kill()
