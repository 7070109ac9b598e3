"""The README's Python examples run as written against the sandbox.

Every fenced `python` block of README.md that makes a `Client.sandbox()` is run in a
fresh interpreter with an isolated config and state dir and a fast sandbox; it must exit
0 and print what its comments promise (the lines checked below). Blocks that need a
real account (`from_env`, a key) are reference only and are compiled, not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.M | re.S)


def test_the_readme_has_a_runnable_python_example() -> None:
    assert any("Client.sandbox()" in b for b in python_blocks())


def test_readme_python_blocks_compile() -> None:
    for block in python_blocks():
        compile(block, "README.md", "exec")


def test_readme_sandbox_python_examples_run(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTPCLI_")}
    env.update(
        OTPCLI_CONFIG=str(tmp_path / "config.toml"),
        OTPCLI_STATE_DIR=str(tmp_path / "state"),
        OTPCLI_SANDBOX_TIME_SCALE="60",
    )
    ran = 0
    for block in python_blocks():
        if "Client.sandbox()" not in block or "def test_" in block:
            continue
        proc = subprocess.run(
            [sys.executable, "-c", block],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout.splitlines()
        assert out[0] == "1000.00 PLAY" and out[1] == "12.50"
        assert re.fullmatch(r"code: \d+", out[3]), out
        assert out[4].startswith("6 ") and out[-1] == "[]"
        ran += 1
    assert ran >= 1
