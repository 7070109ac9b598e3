"""Arguments of the wrong type are `BadInput` (exit 2) at the library's boundary, before
anything is sent; integers are taken where the CLI takes digits (country and service
numbers, order ids); the spending cap is checked when the client is made and named as
the client's argument in its messages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

import otpcli

START = Decimal("1000.00")


def test_integer_country_and_id_are_taken_as_text(client: otpcli.Client, fast_cancel: None) -> None:
    offers = client.prices("tg", country=22)
    assert offers and all(o.country == "22" for o in offers)
    with client.buy("tg", country=22) as act:
        assert act.country == "22"
        again = client.activation(int(act.id))
        assert again.id == act.id and again.number == act.number
        act.wait(timeout=30)
        act.finish()


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.buy(None),
        lambda c: c.buy(["tg"]),
        lambda c: c.buy("tg", country=22.5),
        lambda c: c.buy("tg", country=True),
        lambda c: c.prices("tg", country=object()),
        lambda c: c.activation(None),
        lambda c: c.activation(1.5),
        lambda c: c.rent("united states", hours="12"),
        lambda c: c.email(None),
    ],
)
def test_wrong_types_are_bad_input(client: otpcli.Client, call: Any) -> None:
    with pytest.raises(otpcli.BadInput) as caught:
        call(client)
    assert caught.value.exit_code == 2
    assert client.orders() == []  # nothing was bought
    assert client.balance().amount == START


@pytest.mark.parametrize(
    "wait", [{"timeout": "x"}, {"timeout": -1}, {"timeout": float("nan")}, {"interval": "1"}]
)
def test_wait_arguments(client: otpcli.Client, fast_cancel: None, wait: dict[str, Any]) -> None:
    with client.buy("never") as act, pytest.raises(otpcli.BadInput) as caught:
        act.wait(**wait)
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    "make",
    [
        lambda: otpcli.Client(provider="smsactivate", api_key=123),
        lambda: otpcli.Client(provider=5),
        lambda: otpcli.Client.sandbox(cleanup_timeout="x"),
        lambda: otpcli.Client.sandbox(cleanup_timeout=-1),
        lambda: otpcli.Client.sandbox(state_dir=3),
        lambda: otpcli.Client.sandbox(max_spend=["50"]),
        lambda: otpcli.Client.sandbox(on_warning="print"),
    ],
)
def test_constructor_arguments(make: Any) -> None:
    with pytest.raises(otpcli.BadInput) as caught:
        make()
    assert caught.value.exit_code == 2


def test_malformed_max_spend_is_refused_when_the_client_is_made() -> None:
    with pytest.raises(otpcli.BadInput) as caught:
        otpcli.Client.sandbox(max_spend="lots")
    assert caught.value.exit_code == 2
    assert "(from Client(max_spend=...))" in caught.value.message
    assert "--max-spend" not in caught.value.message


def test_malformed_env_cap_is_refused_when_the_client_is_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTPCLI_MAX_SPEND", "lots")
    with pytest.raises(otpcli.BadInput, match="OTPCLI_MAX_SPEND"):
        otpcli.Client.sandbox()


@pytest.mark.parametrize("cap", [20, Decimal("20"), "20"])
def test_max_spend_as_int_or_decimal(cap: object, fast_cancel: None) -> None:
    with otpcli.Client.sandbox(max_spend=cap) as c:
        first = c.buy("tg", country="india", max_price=Decimal("15"))
        with pytest.raises(otpcli.SpendCapReached) as caught:
            c.buy("tg", country="india", max_price=Decimal("15"))
        first.cancel()
    message = caught.value.message
    assert "cap of 20 PLAY" in message and "(from Client(max_spend=...))" in message
    assert "--max-spend" not in message + (caught.value.hint or "")
    assert "Client(max_spend=...)" in (caught.value.hint or "")
