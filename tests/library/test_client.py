"""The library against the in-process sandbox: the shape of DESIGN §7, money safety
(refund on leaving a block, journal rows, re-attach, cancel_pending), the other products,
errors with exit codes, and a purchase whose reply is lost."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import pytest

import otpcli
from otpcli.services.journal import Journal

START = Decimal("1000.00")


def journal_state(order_id: str) -> str:
    import os

    journal = Journal(os.environ["OTPCLI_STATE_DIR"])
    try:
        row = journal.find(order_id)
        assert row is not None
        return row.state
    finally:
        journal.close()


def test_design_shape_buy_wait_finish(client: otpcli.Client) -> None:
    balance = client.balance()
    assert isinstance(balance, otpcli.Balance)
    assert balance == otpcli.Balance(START, "PLAY") and str(balance) == "1000.00 PLAY"
    offers = client.prices("tg", country="india")
    assert offers and all(o.service == "tg" and o.country == "22" for o in offers)
    with client.buy("telegram", country="india", max_price=None) as act:
        assert isinstance(act, otpcli.Activation)
        assert act.id and act.number and act.service == "tg" and act.country == "22"
        assert act.price == Decimal("12.50") and act.currency == "PLAY"
        got = act.wait(timeout=30)
        assert isinstance(got, otpcli.Code) and got.code.isdigit() and got.id == act.id
        result = act.finish()
        assert result.state is otpcli.State.FINISHED
    assert act.done
    assert journal_state(act.id) == "finished"
    assert client.balance().amount == START - act.price


def test_leaving_the_block_without_a_code_refunds(
    client: otpcli.Client, fast_cancel: None, warned: list[str]
) -> None:
    with client.buy("never") as act:
        assert client.balance().amount < START
    assert act.settled is not None and act.settled.outcome == "cancelled"
    assert journal_state(act.id) == "cancelled"
    assert client.balance().amount == START
    assert warned == []


def test_refund_waits_out_the_early_cancel_window(client: otpcli.Client) -> None:
    # 120 sandbox seconds = 2 s here: the clean-up retries until the window has passed.
    started = time.monotonic()
    with client.buy("never") as act:
        pass
    assert act.settled is not None and act.settled.outcome == "cancelled"
    assert time.monotonic() - started >= 1.5
    assert client.balance().amount == START


def test_wait_timeout_then_refund(client: otpcli.Client, fast_cancel: None) -> None:
    with pytest.raises(otpcli.WaitTimeout) as caught, client.buy("never") as act:
        act.wait(timeout=1.5, interval=1)
    assert caught.value.exit_code == 124
    assert isinstance(caught.value, otpcli.OtpError)
    assert journal_state(act.id) == "cancelled"
    assert client.balance().amount == START


def test_a_code_not_finished_is_finished_on_leaving(client: otpcli.Client) -> None:
    with client.buy("tg") as act:
        act.wait(timeout=30)
    assert journal_state(act.id) == "finished"


def test_reattach_by_id_from_another_client(fast_cancel: None) -> None:
    with otpcli.Client.sandbox() as first:
        act = first.buy("tg", country="india")  # no block: the order stays the caller's
    assert journal_state(act.id) == "waiting"
    with otpcli.Client.sandbox() as second:
        again = second.activation(act.id)
        assert (again.id, again.number, again.service) == (act.id, act.number, "tg")
        with again:
            assert again.wait(timeout=30).code
            again.finish()
        with pytest.raises(otpcli.NotFound) as caught:
            second.activation("123456")
        assert caught.value.exit_code == 5
    assert journal_state(act.id) == "finished"


def test_orders_lists_the_journal(client: otpcli.Client, fast_cancel: None) -> None:
    kept = client.buy("tg")
    with client.buy("never"):
        pass
    active = client.orders(active=True)
    assert [o.order_id for o in active] == [kept.id]
    every = client.orders()
    assert [o.state for o in every] == ["cancelled", "waiting"]  # newest first
    assert all(isinstance(o, otpcli.Order) for o in every)
    kept.close()
    assert client.orders(active=True) == []


def test_interrupt_leaves_cancel_pending_then_cancel_pending_settles_it(
    client: otpcli.Client, warned: list[str]
) -> None:
    # Ctrl-C inside the block: no early-cancel wait, the refusal is recorded.
    with pytest.raises(KeyboardInterrupt), client.buy("never") as act:
        raise KeyboardInterrupt
    assert journal_state(act.id) == "cancel_pending"
    assert any("cancel_pending" in w for w in warned)
    report = client.cancel_pending(wait=True)  # waits out the 2 s window
    assert report.failures == []
    assert [(row.order_id, s.outcome) for row, s in report.rows] == [(act.id, "cancelled")]
    assert journal_state(act.id) == "cancelled"
    assert client.balance().amount == START


def test_again_then_a_new_code(client: otpcli.Client) -> None:
    with client.buy("tg") as act:
        first = act.wait(timeout=30)
        act.again()
        second = act.wait(timeout=30)
        assert second.code != first.code
        act.finish()


def test_cheap_number(client: otpcli.Client) -> None:
    servers = client.cheap_servers()
    assert servers
    with client.buy_cheap(servers[0].id) as act:
        assert act.kind == "cheap" and act.number
        assert act.wait(timeout=30).code
    row = client.orders()[0]
    assert (row.kind, row.order_id, row.state) == ("cheap", act.id, "finished")


def test_email_refunded_or_coded(client: otpcli.Client, fast_cancel: None) -> None:
    assert client.email_services()
    with client.email("tg") as mail:
        assert "@" in mail.address
        assert mail.wait(timeout=30).code
    with client.email("tg") as unused:
        pass
    assert unused.settled is not None
    assert journal_state(unused.id) in ("cancelled", "finished")


def test_rental(client: otpcli.Client) -> None:
    rental = client.rent("united states", hours=12)
    assert rental.number and rental.price == Decimal("15.00")
    assert any(r.order_id == rental.id for r in client.rentals())
    assert client.rental(rental.id).number == rental.number
    code = rental.wait(timeout=30)
    assert code.code
    with pytest.raises(otpcli.BadInput) as caught:
        client.rent("us", hours=13)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("make", "error", "exit_code"),
    [
        (lambda: otpcli.Client(provider="nope"), otpcli.ConfigError, 3),
        (lambda: otpcli.Client.from_env(), otpcli.ConfigError, 3),
        (lambda: otpcli.Client.from_profile("missing"), otpcli.ConfigError, 3),
        (lambda: otpcli.Client.sandbox(api_key="bad-key").balance(), otpcli.AuthError, 4),
    ],
)
def test_errors_carry_exit_codes(make: object, error: type, exit_code: int) -> None:
    with pytest.raises(error) as caught:
        make()  # type: ignore[operator]
    assert isinstance(caught.value, otpcli.OtpError)
    assert caught.value.exit_code == exit_code


def test_bad_input_and_no_balance(client: otpcli.Client) -> None:
    with pytest.raises(otpcli.BadInput) as bad:
        client.buy("tg", max_price="lots")
    assert bad.value.exit_code == 2
    with pytest.raises(otpcli.BadInput):
        client.buy("no such service at all", country="india")
    with pytest.raises(otpcli.NoBalance) as poor:
        client.buy("tg", max_price="0.01")
    assert poor.value.exit_code == 6
    assert client.balance().amount == START


def test_explicit_provider_and_key_env_and_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast_cancel: None
) -> None:
    monkeypatch.setenv("OTPCLI_PROVIDER", "sandbox")
    with otpcli.Client.from_env() as client:
        assert client.provider == "sandbox" and client.balance().currency == "PLAY"
    monkeypatch.delenv("OTPCLI_PROVIDER")
    import os

    config = Path(os.environ["OTPCLI_CONFIG"])
    config.parent.mkdir(parents=True)
    config.write_text('[profiles.play]\nprovider = "sandbox"\n')
    config.chmod(0o600)
    with otpcli.Client.from_profile("play") as client:
        assert client.profile == "play" and client.balance().amount == START
    with otpcli.Client(provider="sandbox", api_key="key", state_dir=tmp_path / "other") as client:
        client.buy("never").close()
    assert (tmp_path / "other" / "journal.sqlite3").exists()


def test_lost_purchase_reply_raises_purchase_unknown(
    monkeypatch: pytest.MonkeyPatch, client: otpcli.Client
) -> None:
    # The purchase is charged, its reply lost, and the host's own list fails too: the
    # outcome cannot be known, so it is reported as such and never sent again.
    monkeypatch.setenv(
        "OTPCLI_SANDBOX_FAULTS", "getNumber=reset_after_charge,getActiveActivations=500"
    )
    with otpcli.Client.sandbox() as faulty, pytest.raises(otpcli.PurchaseUnknown) as caught:
        faulty.buy("tg")
    assert caught.value.exit_code == 9
    rows = client.orders()
    assert [(r.state, r.order_id) for r in rows] == [("unknown", None)]
    assert client.balance().amount < START  # it was charged: the row is the only trace


def test_warnings_go_through_the_warnings_module() -> None:
    # Without `on_warning`, an order the clean-up could not cancel is said as a warning.
    with (
        otpcli.Client.sandbox() as client,
        pytest.warns(otpcli.OtpWarning, match="cancel_pending"),
        pytest.raises(KeyboardInterrupt),
        client.buy("never"),
    ):
        raise KeyboardInterrupt


def test_max_spend_refuses_before_sending(fast_cancel: None) -> None:
    """The client's own cap: with one open order counted, the next purchase could pass
    it, so it is refused with exit 6 and nothing is sent; a refund gives the room back."""
    with otpcli.Client.sandbox(max_spend="20/day") as c:
        first = c.buy("tg", country="india", max_price=Decimal("15"))
        kept = c.balance().amount
        with pytest.raises(otpcli.SpendCapReached) as info:
            c.buy("tg", country="india", max_price=Decimal("15"))
        assert info.value.exit_code == 6
        assert c.balance().amount == kept  # nothing was bought
        first.cancel()
        with c.buy("tg", country="india", max_price=Decimal("15")) as again:
            again.cancel()
