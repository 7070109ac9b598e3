"""The result records: immutable, and their JSON documents (nested records included)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from otpcli.core.models import ActionResult, Activation, Balance, CatalogEntry, State


def test_nested_record_becomes_a_json_object_with_money_as_text() -> None:
    again = ActionResult(
        id="1",
        action="again",
        state=State.WAITING,
        message="another SMS requested",
        new_activation=Activation("2", "919876543210", "tg", price=Decimal("12.50")),
    )
    doc = json.loads(json.dumps(again.to_json()))
    assert doc["state"] == "waiting"
    assert doc["new_activation"] == {
        "id": "2",
        "number": "919876543210",
        "service": "tg",
        "country": None,
        "price": "12.50",
        "currency": None,
        "expires_in": None,
        "multi_sms": None,
    }


def test_records_cannot_be_changed() -> None:
    bal = Balance(Decimal("150.50"), "INR")
    with pytest.raises(AttributeError):
        bal.balance = Decimal(0)  # type: ignore[misc]
    assert str(bal) == "150.50 INR" and str(Balance(Decimal("3"), None)) == "3"


def test_catalog_extra_defaults_to_a_read_only_empty_mapping() -> None:
    a, b = CatalogEntry("tg"), CatalogEntry("wa")
    with pytest.raises(TypeError):
        a.extra["x"] = "y"  # type: ignore[index]
    assert b.extra == {} and a.to_json()["extra"] == {}
    assert CatalogEntry("tg", extra={"k": "v"}).to_json()["extra"] == {"k": "v"}
