"""Helpers for command tests: run the real Typer app and keep stdout/stderr apart."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from typer.testing import CliRunner, Result

from otpcli.cli.app import app

runner = CliRunner()


def run(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, input: str | None = None
) -> Result:
    return runner.invoke(app, list(args), env=dict(env or {}), input=input)
