"""End-to-end: the README's sandbox examples run as written.

Every fenced `sh` block of README.md that uses the sandbox (`--sandbox` or `otp
sandbox`) is run line by line in one bash process (variables carry over, as in a
terminal), with the installed `otp` first on PATH, an isolated config and state dir and
a high sandbox time scale. Each line must end with the exit code its comment names
(`# ... exit 124 ...`), else 0. Lines that run until Ctrl-C (`sandbox serve` without
`&`) or write to a file the test cannot know are listed in SKIP and said why.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.e2e.conftest import Otp

README = Path(__file__).resolve().parents[2] / "README.md"
SANDBOX = re.compile(r"--sandbox|\botp sandbox\b")
EXPECT = re.compile(r"#.*\bexit (\d+)")
# Lines that serve until Ctrl-C: they are run in the background tests of `serve`.
SKIP = re.compile(r"otp sandbox serve --port \d+ +#|^otp sandbox serve --port 8080")


def sandbox_blocks() -> list[list[str]]:
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```sh"):
            current = []
        elif line.startswith("```") and current is not None:
            # A block whose commands (not just a comment) use the sandbox.
            if any(SANDBOX.search(x.split("#")[0]) for x in current):
                blocks.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def script(lines: list[str]) -> tuple[str, list[int]]:
    """A bash script that runs each line and reports its exit code on fd 3."""
    body, expected = [], []
    for line in lines:
        if not line.strip() or SKIP.search(line):
            continue
        m = EXPECT.search(line)
        expected.append(int(m.group(1)) if m else 0)
        body.append(f"{line}\necho $? >&3")
    # A block may start a server in the background (`serve ... &`): stop it at the end.
    body.append("kill $(jobs -p) 2>/dev/null; wait")
    return "\n".join(body) + "\n", expected


def test_the_readme_has_sandbox_examples() -> None:
    blocks = sandbox_blocks()
    assert len(blocks) >= 2, blocks  # the intro's and the sandbox section's
    assert any("buy tg --wait" in " ".join(b) for b in blocks)


def test_readme_sandbox_examples_run_as_written(otp: Otp, tmp_path: Path) -> None:
    env = dict(otp.env)
    env["PATH"] = f"{otp.exe.parent}:{env.get('PATH', '')}"
    for i, lines in enumerate(sandbox_blocks()):
        text, expected = script(lines)
        codes = tmp_path / f"codes-{i}"
        proc = subprocess.run(
            ["bash", "-c", f"exec 3>{codes}\n{text}"],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        got = [int(x) for x in codes.read_text().split()]
        assert got == expected, f"block {i}:\n{text}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
        assert "Traceback" not in proc.stderr
