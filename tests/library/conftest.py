"""Fixtures for the library tests: the in-process sandbox, fast.

The sandbox runs at 60 sandbox seconds per real second (an SMS in 50 ms, the 2-minute
early-cancel window in 2 s); `fast_cancel` removes the window for the tests that are
about something else. Each test has its own state dir (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import otpcli


@pytest.fixture(autouse=True)
def fast_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    from otpcli.services import cleanup

    monkeypatch.setenv("OTPCLI_SANDBOX_TIME_SCALE", "60")
    # Early-cancel retries every 10 real seconds would outlast the 2 s window here.
    monkeypatch.setattr(cleanup, "RETRY_EVERY", 0.25)


@pytest.fixture
def fast_cancel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTPCLI_SANDBOX_EARLY_CANCEL", "0")


@pytest.fixture
def warned() -> list[str]:
    return []


@pytest.fixture
def client(warned: list[str]) -> Iterator[otpcli.Client]:
    with otpcli.Client.sandbox(on_warning=warned.append) as c:
        yield c
