"""Non-finite or absurd numbers are refused with exit 2 before anything is sent: a
NaN --max-price used to crash (exit 1), an infinite one passed, and 1e999999 was sent
as a megabyte of digits."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses

from tests.cli_helpers import mocked_otpx, run


@pytest.fixture
def otpx(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    yield from mocked_otpx(monkeypatch, "KEY-numbers-0123456789")


@pytest.mark.parametrize(
    "value", ["NaN", "nan", "sNaN", "inf", "-Infinity", "1e999999", "1e-999999", "0", "-1", "x"]
)
def test_absurd_max_prices_are_refused_before_anything_is_sent(value: str) -> None:
    # The sandbox takes --max-price: whatever is sent is bought, and journaled.
    r = run(["--sandbox", "buy", "tg", f"--max-price={value}"])
    assert r.exit_code == 2, r.output
    assert "--max-price" in r.stderr
    orders = run(["--sandbox", "orders", "--json"])
    assert json.loads(orders.stdout)["orders"] == [], orders.output


@pytest.mark.parametrize("args", [["wait", "7"], ["email", "wait", "7"], ["rent", "wait", "7"]])
@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e999"])
def test_absurd_seconds_are_refused_on_every_waiting_command(
    otpx: responses.RequestsMock, args: list[str], value: str
) -> None:
    r = run([*args, f"--timeout={value}"])
    assert r.exit_code == 2, r.output
    assert len(otpx.calls) == 0
