"""The live view on a TTY: it counts between polls, and it stays on stderr."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from otpcli.cli.render import Env, WaitView
from otpcli.domain import clock as clock_mod
from otpcli.domain.clock import FakeClock


def text_of(view: WaitView) -> str:
    out = io.StringIO()
    Console(file=out, width=80, no_color=True).print(view)
    return out.getvalue()


def test_live_view_counts_between_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeClock()
    monkeypatch.setattr(clock_mod, "CLOCK", fake)
    stdout, stderr = io.StringIO(), io.StringIO()
    e = Env(stdout=stdout, stderr=stderr, stderr_isatty=True)
    with WaitView(e, "5000000001", number="919876543210", service="tg", timeout=60) as view:
        fake.t += 12  # no poll happened: the clock alone moved
        shown = text_of(view)
    assert "12 s elapsed, 48 s left" in shown
    assert "919876543210" in shown
    assert stdout.getvalue() == ""  # the live view never touches stdout


def test_plain_lines_without_a_tty() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    e = Env(stdout=stdout, stderr=stderr, stderr_isatty=False)
    with WaitView(e, "7", timeout=30):
        pass
    assert "waiting for the code of 7" in stderr.getvalue()
    assert "\x1b[" not in stderr.getvalue()  # no animation codes
    assert stdout.getvalue() == ""
