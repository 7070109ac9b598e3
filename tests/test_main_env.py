"""`main(argv, env)`: the output environment is passed in, nothing global is patched.

Each run writes only through the Env it was given: its stdout gets the result, its stderr
the messages, and this process's own streams stay empty (capsys). Both entry points
(`otpcli.__main__.main`, which may take the fast path, and `otpcli.cli.app.main`, Typer)
take the same pair.
"""

from __future__ import annotations

import io
import json

import pytest

from otpcli.__main__ import main as entry_main
from otpcli.cli.app import main as app_main
from otpcli.cli.render import Env


def fresh() -> Env:
    return Env(stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.parametrize("main", [entry_main, app_main], ids=["entry", "typer"])
def test_result_goes_to_the_given_stdout(main, capsys: pytest.CaptureFixture[str]) -> None:
    e = fresh()
    assert main(["--sandbox", "balance", "--json"], e) == 0
    doc = json.loads(e.stdout.getvalue())  # type: ignore[attr-defined]
    assert doc["currency"] == "PLAY"
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("main", [entry_main, app_main], ids=["entry", "typer"])
def test_errors_go_to_the_given_stderr(main, capsys: pytest.CaptureFixture[str]) -> None:
    e = fresh()
    assert main(["--sandbox", "status", "not an id!"], e) == 2
    assert e.stdout.getvalue() == ""  # type: ignore[attr-defined]
    assert "error:" in e.stderr.getvalue()  # type: ignore[attr-defined]
    assert capsys.readouterr() == ("", "")


def test_usage_error_json_document_through_the_given_env(
    capsys: pytest.CaptureFixture[str],
) -> None:
    e = fresh()
    assert app_main(["buyy", "--json"], e) == 2
    doc = json.loads(e.stdout.getvalue())  # type: ignore[attr-defined]
    assert (doc["error"], doc["exit_code"]) == ("bad_input", 2)
    assert capsys.readouterr() == ("", "")


def test_two_runs_do_not_share_an_env() -> None:
    first, second = fresh(), fresh()
    assert app_main(["--sandbox", "balance", "--json"], first) == 0
    assert app_main(["--sandbox", "balance"], second) == 0
    assert second.stdout.getvalue().strip().endswith("PLAY")  # type: ignore[attr-defined]
    assert not second.json and first.json
