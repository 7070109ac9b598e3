"""The pytest plugin on a sample project, run by `python -m pytest` in a subprocess
against the sandbox (its own state dir, sandbox time 60x): a passing test's number is
finished, a failing test's refunded, an interrupted run (SIGINT or SIGTERM while a test
waits) leaves nothing open once `otp cancel --pending --wait` has run; and a suite that
does not use the plugin is not touched by it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Reader, clean_env, find_otp

SAMPLE = """
import sys


def test_passes(otp_activation):
    act = otp_activation("telegram", country="india")
    assert act.number
    assert act.wait(timeout=30).code.isdigit()


def test_fails(otp_activation):
    act = otp_activation("never")
    assert act.id
    raise AssertionError("the sign-up page broke")


def test_two_numbers_one_used(otp_activation, otp_client):
    used = otp_activation("tg")
    unused = otp_activation("never")
    assert used.wait(timeout=30).code
    assert otp_client.balance().currency == "PLAY"


def test_waits_forever(otp_activation):
    act = otp_activation("never")
    print("WAITING", act.id, "END", flush=True)
    sys.stdout.flush()
    act.wait(timeout=120)
"""

UNRELATED = """
import os
import sys


def test_nothing_of_otpcli_is_made():
    assert "otpcli.client" not in sys.modules
    assert not os.path.exists(os.environ["OTPCLI_STATE_DIR"])
"""


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def project(tmp_path: Path, source: str = SAMPLE) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "project"
    root.mkdir()
    (root / "test_signup.py").write_text(source)
    env = clean_env(tmp_path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return root, env


def pytest_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-s", *args]


def journal(env: dict[str, str]) -> dict[str, str]:
    """Order id -> state, from `otp orders --json` (what a user would check)."""
    otp = find_otp()
    out = subprocess.run(
        [str(otp), "orders", "--json"], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return {o["id"]: o["state"] for o in json.loads(out.stdout)["orders"]}


def test_passing_test_finishes_failing_test_refunds(tmp_path: Path) -> None:
    root, env = project(tmp_path)
    # No early-cancel window here (waiting it out is the library tests' subject).
    env["OTPCLI_SANDBOX_EARLY_CANCEL"] = "0"
    run = subprocess.run(
        pytest_args("--otp-sandbox", "-k", "not forever"),
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, run.stdout + run.stderr  # one test failed, on purpose
    assert "1 failed, 2 passed" in run.stdout, run.stdout
    assert "activations settled: 2 finished, 2 refunded" in run.stdout, run.stdout
    states = sorted(journal(env).values())
    assert states == ["cancelled", "cancelled", "finished", "finished"], states


def test_configured_from_the_environment(tmp_path: Path) -> None:
    root, env = project(tmp_path)
    env["OTPCLI_PROVIDER"] = "sandbox"
    run = subprocess.run(
        pytest_args("-k", "passes"), cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert list(journal(env).values()) == ["finished"]


def test_a_bad_profile_is_a_config_error(tmp_path: Path) -> None:
    root, env = project(tmp_path)
    run = subprocess.run(
        pytest_args("--otp-profile", "nope", "-k", "passes"),
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1 and "no profile named 'nope'" in run.stdout, run.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_leaves_nothing_open(tmp_path: Path, sig: signal.Signals) -> None:
    root, env = project(tmp_path)
    proc = subprocess.Popen(
        pytest_args("--otp-sandbox", "-k", "forever"),
        cwd=root,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_default_sigint,
    )
    try:
        out = Reader(proc.stdout)
        text = out.until(" END", timeout=60)
        bought_at = time.monotonic()
        order_id = text.split("WAITING", 1)[1].split()[0]
        os.kill(proc.pid, sig)
        rest = out.rest(timeout=60)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            assert stream is not None
            stream.close()
    assert code == 2, rest  # pytest's "interrupted"
    # Within the early-cancel window: refused, so recorded for the settle command.
    assert journal(env) == {order_id: "cancel_pending"}, rest
    # Past the window (2 s at this time scale), one cancel settles it.
    time.sleep(max(0.0, bought_at + 2.5 - time.monotonic()))
    otp = find_otp()
    settle = subprocess.run(
        [str(otp), "--sandbox", "cancel", "--pending", "--wait"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert settle.returncode == 0, settle.stderr
    assert journal(env) == {order_id: "cancelled"}


def test_a_suite_without_the_fixtures_is_untouched(tmp_path: Path) -> None:
    root, env = project(tmp_path, UNRELATED)
    run = subprocess.run(
        pytest_args(), cwd=root, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "otpcli" not in run.stdout


def test_the_plugin_is_registered_and_cheap() -> None:
    probe = (
        "import sys, otpcli.pytest_plugin as p\n"
        "print(sorted(m for m in sys.modules if m.startswith('otpcli')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == "['otpcli', 'otpcli._version', 'otpcli.pytest_plugin']"
    from importlib.metadata import entry_points

    assert any(e.value == "otpcli.pytest_plugin" for e in entry_points(group="pytest11"))
