"""Issue 12 item 7: the live view says when the code arrived (stderr only), many waits get
a live table on a TTY, a non-TTY gets one progress line per 30 s, e-mail waits are
labelled as such, and early-cancel retries are one line, not one per retry."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from otpcli.cli.many import Results, wait_many
from otpcli.cli.render import HEARTBEAT, Env, ManyWaitView, NoteLine, WaitView
from otpcli.domain.clock import FakeClock
from otpcli.domain.models import State, StatusResult
from otpcli.services.cleanup import settle
from otpcli.services.waiting import PollEvent
from tests.test_core_cleanup import Host


def streams(*, tty: bool) -> tuple[Env, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return Env(stdout=out, stderr=err, stderr_isatty=tty), out, err


def shown(renderable: object) -> str:
    buf = io.StringIO()
    Console(file=buf, width=120, no_color=True).print(renderable)
    return buf.getvalue()


def waiting(poll: int, elapsed: float) -> PollEvent:
    return PollEvent(poll, elapsed, 600 - elapsed, StatusResult("7", State.WAITING))


@pytest.mark.parametrize("tty", [False, True])
def test_a_line_on_stderr_says_the_code_arrived_and_never_shows_it(tty: bool) -> None:
    e, out, err = streams(tty=tty)
    with WaitView(e, "7", timeout=600) as view:
        view.update(waiting(1, 0))
        got = StatusResult("7", State.CODE_RECEIVED, code="918273", text="code 918273")
        view.update(PollEvent(2, 14, 586, got))
    assert "the code arrived for 7 after 14 s" in err.getvalue()
    assert "918273" not in err.getvalue()
    assert out.getvalue() == ""


def test_without_a_tty_one_progress_line_every_30_s_not_one_per_poll(clock: FakeClock) -> None:
    e, _out, err = streams(tty=False)
    with WaitView(e, "7", timeout=600) as view:
        for poll in range(1, 61):  # 60 polls, 5 s apart: 300 s
            view.update(waiting(poll, (poll - 1) * 5.0))
    lines = [line for line in err.getvalue().splitlines() if "still waiting" in line]
    assert len(lines) == 295 // HEARTBEAT  # 30, 60, ... 270 s: alive, yet quiet
    assert "elapsed" in lines[0] and "left" in lines[0]


def test_an_email_wait_shows_the_address_and_service_with_their_labels() -> None:
    e, _out, err = streams(tty=False)
    view = WaitView(
        e, "E1", number="x@mail.test", service="ig", timeout=60,
        label="e-mail order", number_label="address",
    )  # fmt: skip
    text = shown(view._render())
    assert "address" in text and "x@mail.test" in text and "ig" in text
    assert "number" not in text
    with view:
        pass
    assert "at x@mail.test (ig)" in err.getvalue()


def test_early_cancel_retries_are_one_line_on_a_tty(clock: FakeClock) -> None:
    e, _out, err = streams(tty=True)
    host = Host(clock, code_at=10_000, window_ends=clock.now() + 110)
    settle(host, "5", wait_out_window=True, budget=600, on_note=NoteLine(e))
    text = err.getvalue()
    assert text.count("early cancel refused") > 1  # each retry rewrites the line ...
    # ... which stays one line on the screen: each newline but the first is taken back
    assert text.count("\x1b[1A\x1b[2K") == text.count("\n") - 1


def test_a_retry_line_never_overwrites_a_line_written_after_it(clock: FakeClock) -> None:
    e, _out, err = streams(tty=True)
    note = NoteLine(e)
    note("5", "early cancel refused; retrying")
    e.info("6: cancelled; refunded")
    note("5", "early cancel refused; retrying")
    assert "\x1b[1A" not in err.getvalue()


def test_early_cancel_retries_without_a_tty_are_at_most_one_line_per_30_s(
    clock: FakeClock,
) -> None:
    e, _out, err = streams(tty=False)
    host = Host(clock, code_at=10_000, window_ends=clock.now() + 110)
    settle(host, "5", wait_out_window=True, budget=600, on_note=NoteLine(e))
    lines = err.getvalue().splitlines()
    assert 1 <= len(lines) <= 4  # 110 s of retries every 10 s: not eleven lines
    assert "\x1b" not in err.getvalue()


class TwoHosts(Host):
    """Codes for "1" at once and for "2" after 40 s; "3" never."""

    poll_interval = 5.0

    def status(self, oid: str) -> StatusResult:
        at = {"1": 0.0, "2": 40.0}.get(oid)
        if at is not None and self.clock.now() - self.start >= at:
            return StatusResult(oid, State.CODE_RECEIVED, code=f"{oid}42", text="x")
        return StatusResult(oid, State.WAITING)


def host(clock: FakeClock) -> TwoHosts:
    h = TwoHosts(clock, code_at=10_000, window_ends=0)
    h.start = clock.now()  # type: ignore[attr-defined]
    return h


def test_many_waits_get_a_live_table_on_a_tty(clock: FakeClock) -> None:
    e, out, err = streams(tty=True)
    h = host(clock)
    sink = Results(e, stream=False, base={"1": {"number": "919000000001"}})
    with pytest.raises(Exception, match="1 of 3 activations"):
        wait_many(e, [(h, "1"), (h, "2"), (h, "3")], timeout=60, interval=5, keep=True, sink=sink)
    assert out.getvalue().splitlines() == ["1 142", "2 242"]  # codes on stdout alone
    table = shown(ManyWaitView(e, [("1", "919000000001")], timeout=60))
    assert "number" in table and "919000000001" in table
    text = err.getvalue()
    assert "code_received" in text and "timed out" in text  # the table's rows on stderr
    assert "242" in text  # the code as it arrives, in its row


def test_many_waits_without_a_tty_say_they_are_alive_every_30_s(clock: FakeClock) -> None:
    e, _out, err = streams(tty=False)
    h = host(clock)
    with pytest.raises(Exception, match="of 3"):
        wait_many(e, [(h, "1"), (h, "2"), (h, "3")], timeout=120, interval=5, keep=True)
    lines = [line for line in err.getvalue().splitlines() if "still waiting" in line]
    assert len(lines) == 3  # at 30, 60 and 90 s: not one per round (24 rounds)
    assert "\x1b" not in err.getvalue()
