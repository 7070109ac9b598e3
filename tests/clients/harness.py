"""Runs published client libraries of the sms-activate family against `otp sandbox serve`.

Contract: run with the clients' own virtualenv (`run_clients.sh` makes it), never the
project's: `python harness.py OTP_EXECUTABLE`. For each library it starts
`OTP sandbox serve --dialect D` on 127.0.0.1 port 0 with a fresh temporary
`OTPCLI_STATE_DIR` and the documented time settings below, reads the base URL from its
stdout, runs the library's flow (`flow_<library>.py`: `run(base_url, check)`) and stops
the server. Every check prints one line (`ok` or `FAIL` with the reason); the last line
is `N passed, M failed`, and the exit status is 1 when anything failed. Loopback only.

Time settings (sandbox seconds, scale 1): the SMS comes 1 s after a purchase
(`--sms-delay 1`), a cancel is refused for 1.5 s (`--early-cancel 1.5`), so each flow
meets `EARLY_CANCEL_DENIED` and then cancels after the window, in about two seconds.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
SMS_DELAY = 1.0
EARLY_CANCEL = 1.5

# library -> the dialect of the host it is written for ([research] §7)
FLOWS = (
    ("smsactivate", "smsactivate"),
    ("aiosmsactivate", "smsactivate"),
    ("smsactivateru", "smsactivate"),
    ("herosms", "herosms"),
)


class Checks:
    def __init__(self, library: str) -> None:
        self.library = library
        self.passed = 0
        self.failed = 0

    def __call__(self, name: str, fn: Callable[[], object]) -> object:
        """Run one check; an exception (an assert included) fails it, with its reason."""
        try:
            result = fn()
        except Exception as exc:  # every failure is reported, none stops the run
            self.failed += 1
            where = traceback.extract_tb(exc.__traceback__)[-1]
            print(
                f"FAIL {self.library}: {name}: {type(exc).__name__}: {exc}"
                f" ({Path(where.filename).name}:{where.lineno})",
                flush=True,
            )
            return None
        self.passed += 1
        print(f"ok   {self.library}: {name}", flush=True)
        return result


def start(otp: str, dialect: str, state_dir: str) -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTPCLI_")}
    env["OTPCLI_STATE_DIR"] = state_dir
    cmd = [otp, "sandbox", "serve", "--port", "0", "--dialect", dialect]
    cmd += ["--sms-delay", str(SMS_DELAY), "--early-cancel", str(EARLY_CANCEL)]
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    base_url = proc.stdout.readline().strip()
    if not base_url.startswith("http://127.0.0.1:"):
        proc.kill()
        raise SystemExit(f"otp sandbox serve did not start (stdout: {base_url!r})")
    return proc, base_url


def _fail_stop() -> None:
    raise AssertionError("otp sandbox serve still running 10 s after SIGTERM")


def main(otp: str) -> int:
    sys.path.insert(0, str(HERE))
    passed = failed = 0
    for library, dialect in FLOWS:
        checks = Checks(f"{library} ({dialect})")
        with tempfile.TemporaryDirectory(prefix="otp-clients-") as state_dir:
            proc, base_url = start(otp, dialect, state_dir)
            try:
                started = time.monotonic()
                flow = importlib.import_module(f"flow_{library}")
                checks("whole flow", lambda: flow.run(base_url, checks))  # noqa: B023
                print(f"     {library}: {time.monotonic() - started:.1f} s", flush=True)
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    checks("server stops on SIGTERM", _fail_stop)
                    proc.kill()
                    proc.wait()
        passed += checks.passed
        failed += checks.failed
    print(f"{passed} passed, {failed} failed", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
