"""Issue 12 item 9: `otp help TOPIC`, the man page and the README's tables come from one
source (otpcli/cli/topics.py) and cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from otpcli.cli.app import EXIT_CODE_HELP
from otpcli.cli.topics import ENVIRONMENT, EXIT_CODES, MAN_PATH, TOPICS, man_page
from otpcli.domain.errors import ExitCode
from tests.cli_helpers import run

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_rows(heading: str, first_header_cell: str) -> list[list[str]]:
    """The rows of the first table under `heading` whose header starts with the cell."""
    text = README.read_text(encoding="utf-8")
    section = text.split(heading, 1)[1]
    lines = section.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"| {first_header_cell} |"))
    rows = []
    for ln in lines[start + 2 :]:
        if not ln.startswith("|"):
            break
        rows.append([c.strip() for c in ln.strip().strip("|").split(" | ")])
    return rows


def test_every_exit_code_has_one_row_and_the_help_names_it() -> None:
    listed = {int(n) for code, _, _ in EXIT_CODES for n in code.split(" / ")}
    assert listed == {int(c) for c in ExitCode}
    for code, _, _ in EXIT_CODES:
        for n in code.split(" / "):
            assert re.search(rf"\b{n}\b", EXIT_CODE_HELP), f"--help does not name exit {n}"


def test_the_readme_exit_code_table_is_the_source() -> None:
    assert readme_rows("## Exit codes", "code") == [list(r) for r in EXIT_CODES]


def test_the_readme_environment_table_is_the_source() -> None:
    rows = readme_rows("### In CI: environment variables only", "variable")
    assert rows == [[f"`{name}`", meaning] for name, meaning in ENVIRONMENT]


def test_the_man_page_is_current() -> None:
    assert MAN_PATH.read_text(encoding="utf-8") == man_page(), (
        "docs/otp.1 is stale: run `python -m otpcli.cli.topics`"
    )
    page = man_page()
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS", "ENVIRONMENT"):
        assert f".SH {section}\n" in page
    assert ".B otp rent buy" in page and ".B OTPCLI_API_KEY" in page


def test_otp_help_lists_the_topics() -> None:
    r = run(["help"])
    assert r.exit_code == 0, r.stderr
    for topic in TOPICS:
        assert topic in r.stdout


@pytest.mark.parametrize(
    ("topic", "needle"),
    [
        ("exit-codes", "timed out waiting for a code"),
        ("environment", "OTPCLI_STATE_DIR"),
        ("profiles", "otp profile add"),
        ("money-safety", "cancel --pending --wait"),
        ("env", "NO_COLOR"),
    ],
)
def test_otp_help_topic_prints_it(topic: str, needle: str) -> None:
    r = run(["help", topic])
    assert r.exit_code == 0, r.stderr
    assert needle in r.stdout


def test_an_unknown_topic_is_bad_input_naming_the_topics() -> None:
    r = run(["help", "nope"])
    assert r.exit_code == 2
    assert "exit-codes" in r.stderr and r.stdout == ""
