"""A closed client and its handles: nothing is sent, `BadInput` says why; `close()`
settles the handles still open inside a `with` block first. Warnings point at the
caller's line; `again()` before a first code says what is wrong."""

from __future__ import annotations

import os
import warnings

import pytest

import otpcli
from otpcli.services.journal import Journal


def journal_state(order_id: str) -> str:
    journal = Journal(os.environ["OTPCLI_STATE_DIR"])
    try:
        row = journal.find(order_id)
        assert row is not None
        return row.state
    finally:
        journal.close()


def closed_error(call: object) -> otpcli.BadInput:
    with pytest.raises(otpcli.BadInput) as caught:
        call()  # type: ignore[operator]
    assert "this otpcli.Client is closed" in caught.value.message
    assert caught.value.exit_code == 2
    return caught.value


def test_handles_and_client_after_close_raise_bad_input(fast_cancel: None) -> None:
    client = otpcli.Client.sandbox()
    act = client.buy("tg")  # no block: the order stays the caller's
    rental = client.rent("united states", hours=12)
    client.close()
    for call in (
        act.status,
        lambda: act.wait(timeout=5),
        act.finish,
        act.cancel,
        act.again,
        act.close,
        rental.messages,
        client.orders,
        client.balance,
        lambda: client.activation(act.id),
        client.cancel_pending,
    ):
        closed_error(call)
    assert journal_state(act.id) == "waiting"  # nothing was sent or journaled
    client.close()  # twice is fine


def test_close_inside_with_settles_the_handle_first(fast_cancel: None) -> None:
    warned: list[str] = []
    client = otpcli.Client.sandbox(on_warning=warned.append)
    with client.buy("never") as act:
        client.close()
        assert act.done and act.settled is not None
        assert act.settled.outcome == "cancelled"
    # leaving the block afterwards did nothing, and said nothing
    assert journal_state(act.id) == "cancelled"
    assert warned == []


def test_leaving_the_client_block_settles_an_entered_handle(fast_cancel: None) -> None:
    with otpcli.Client.sandbox() as client:
        act = client.buy("never").__enter__()
    assert journal_state(act.id) == "cancelled"
    act.__exit__(None, None, None)  # no-op now


def test_warning_points_at_the_callers_line() -> None:
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        with otpcli.Client.sandbox() as client:
            try:
                with client.buy("never"):
                    raise KeyboardInterrupt
            except KeyboardInterrupt:
                pass
    mine = [w for w in got if issubclass(w.category, otpcli.OtpWarning)]
    assert mine, [str(w.message) for w in got]
    assert all(w.filename == __file__ for w in mine), [(w.filename, w.lineno) for w in mine]


def test_again_before_a_code_says_so(fast_cancel: None) -> None:
    with otpcli.Client.sandbox() as client, client.buy("never") as act:
        with pytest.raises(otpcli.OrderStateError) as caught:
            act.again()
        assert caught.value.exit_code == 8
        assert "no SMS to ask again for" in caught.value.message
        assert "finished" not in caught.value.message
