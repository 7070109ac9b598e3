"""Completion scripts: the files in completions/ match the app, and bash completes
commands, options and static values without starting Python."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from otpcli.cli.completion import FILES, script
from tests.cli_helpers import run

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("shell", sorted(FILES))
def test_generated_files_do_not_drift(shell: str) -> None:
    on_disk = (ROOT / "completions" / FILES[shell]).read_text(encoding="utf-8")
    assert on_disk == script(shell), (
        f"completions/{FILES[shell]} is stale: run `python -m otpcli.cli.completion`"
    )


def test_completion_command_prints_the_script() -> None:
    r = run(["completion", "bash"])
    assert r.exit_code == 0
    assert r.stdout == script("bash")
    r = run(["completion", "tcsh"])
    assert r.exit_code == 2 and r.stdout == ""


def complete(words: list[str], tmp_path: Path) -> list[str]:
    # A PATH without otp or python proves that static completion starts no Python.
    probe = (
        f"source {ROOT / 'completions' / 'otp.bash'}; "
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}; "
        '_otp; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    out = subprocess.run(
        ["/bin/bash", "--norc", "-c", probe],
        capture_output=True,
        text=True,
        timeout=10,
        env={"PATH": str(tmp_path)},
        check=True,
    )
    return [w for w in out.stdout.splitlines() if w]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["otp", "ba"], {"balance"}),
        (["otp", "profile", "re"], {"remove"}),
        (["otp", "-p", "work", "wa"], {"wait"}),
        (["otp", "buy", "--ma"], {"--max-price"}),
        (["otp", "buy", "te"], set()),
        (["otp", "buy", "t"], {"tg", "tn", "ts", "tw"}),
        (["otp", "buy", "tg", "-c", "I"], {"ID", "IE", "IL", "IN", "IT"}),
        (["otp", "sandbox", ""], {"serve", "reset", "deliver", "fault", "scenarios"}),
    ],
)
def test_bash_completes_without_python(
    words: list[str], expected: set[str], tmp_path: Path
) -> None:
    assert set(complete(words, tmp_path)) == expected


def test_typer_install_completion_is_off_everywhere() -> None:
    # It would edit ~/.bashrc; otp ships static scripts instead.
    for shell in FILES:
        assert "--install-completion" not in script(shell)
        assert "--show-completion" not in script(shell)
