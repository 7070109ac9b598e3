"""End-to-end: the README's scripting pattern, run by bash exactly as written there.

`read -r ID NUMBER < <(otp buy ...)`, `CODE=$(otp wait "$ID") || exit`, `otp finish "$ID"`
with `otp` found on PATH, adapted to the sandbox; the second command also without
`--sandbox` (the journal routes `wait ID` back to the sandbox). The code reaches the
variable, progress reaches the script's stderr, and `|| exit` passes on wait's exit code.
"""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.e2e.conftest import Otp

# From README.md, "In a script", with the buy pointed at the sandbox.
README_SCRIPT = """\
set -u
read -r ID NUMBER < <(otp --sandbox buy tg)
echo "use $NUMBER to sign up" >&2
CODE=$(otp {flag}wait "$ID") || exit    # exit code says why (see below)
otp {flag}finish "$ID"
printf 'ID=%s NUMBER=%s CODE=%s\\n' "$ID" "$NUMBER" "$CODE"
"""


def bash(otp: Otp, script: str) -> subprocess.CompletedProcess[str]:
    env = dict(otp.env)
    env["PATH"] = f"{otp.exe.parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        ["bash", "-c", script],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("flag", ["--sandbox ", ""], ids=["sandbox-flag", "journal-routed"])
def test_readme_script(otp: Otp, flag: str) -> None:
    proc = bash(otp, README_SCRIPT.format(flag=flag))
    report = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 0, report
    m = re.fullmatch(r"finished\nID=(\d+) NUMBER=(\d+) CODE=(\d+)\n", proc.stdout)
    assert m, report  # only the results reached stdout
    oid, number, code = m.groups()
    assert len(code) == 5  # a Telegram code, alone: no progress text in $CODE
    assert f"use {number} to sign up" in proc.stderr
    assert f"bought tg number {number}" in proc.stderr
    assert f"waiting for the code of {oid}" in proc.stderr
    assert "Traceback" not in proc.stderr
    row = otp.journal()[oid]
    assert (row["state"], row["code"], row["provider"]) == ("finished", code, "sandbox")


def test_readme_script_passes_on_the_exit_code(otp: Otp) -> None:
    script = README_SCRIPT.format(flag="").replace(
        "otp --sandbox buy tg", "otp --sandbox buy never"
    )
    script = script.replace('otp wait "$ID"', 'otp wait "$ID" --timeout 1 --keep')
    proc = bash(otp, script)
    report = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 124, report  # `|| exit` hands on wait's exit code
    assert proc.stdout == "", report  # nothing after the failed wait ran
    assert "no code" in proc.stderr
    (oid,) = otp.journal()
    assert otp.state(oid) == "waiting"  # --keep
