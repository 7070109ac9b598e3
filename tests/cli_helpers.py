"""Helpers for command tests: run the real Typer app and keep stdout/stderr apart;
a `responses`-mocked OTPX configured from the environment."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import pytest
import responses
from typer.testing import CliRunner, Result

from otpcli.cli.app import app

runner = CliRunner()


def run(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, input: str | None = None
) -> Result:
    return runner.invoke(app, list(args), env=dict(env or {}), input=input)


OTPX_BASE = "https://otpx.test/api/stubs"


def mocked_otpx(monkeypatch: pytest.MonkeyPatch, key: str) -> Iterator[responses.RequestsMock]:
    """OTPX from the environment alone, answered by `responses` (yield from a fixture)."""
    monkeypatch.setenv("OTPCLI_PROVIDER", "otpx")
    monkeypatch.setenv("OTPCLI_API_KEY", key)
    monkeypatch.setenv("OTPCLI_BASE_URL", OTPX_BASE)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
