"""The result records: immutable, and their JSON documents (nested records included)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from otpcli.domain.models import ActionResult, Activation, Balance, CatalogEntry, State


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


def _record_types() -> list[type]:
    """Every result record: the NamedTuples of `models` and the dataclasses of
    `product_models`, found by looking, so a new record is covered at once."""
    import dataclasses
    import inspect

    from otpcli.domain import models, product_models

    found: list[type] = []
    for module in (models, product_models):
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ != module.__name__:
                continue
            named_tuple = issubclass(cls, tuple) and hasattr(cls, "_fields")
            if named_tuple or dataclasses.is_dataclass(cls):
                found.append(cls)
    return found


RECORDS = _record_types()


def _sample(cls: type) -> object:
    """An instance with a placeholder for each required field (types are not checked)."""
    import dataclasses

    if dataclasses.is_dataclass(cls):
        required = [
            f.name
            for f in dataclasses.fields(cls)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
    else:
        required = [f for f in cls._fields if f not in cls._field_defaults]  # type: ignore[attr-defined]
    return cls(**dict.fromkeys(required, "x"))


def test_every_record_type_is_covered() -> None:
    names = {cls.__name__ for cls in RECORDS}
    assert {"Balance", "Activation", "StatusResult", "ActionResult", "CatalogEntry"} <= names
    assert {"Country", "Rental", "EmailOrder", "EmailStatus", "EmailHistory"} <= names
    assert "CheapServer" in names and "RentalRenewal" in names


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_every_record_type_cannot_be_changed(cls: type) -> None:
    import dataclasses

    rec = _sample(cls)
    names = (
        [f.name for f in dataclasses.fields(cls)]
        if dataclasses.is_dataclass(cls)
        else list(cls._fields)  # type: ignore[attr-defined]
    )
    assert names
    before = repr(rec)
    for name in names:
        with pytest.raises(AttributeError):
            setattr(rec, name, "changed")
        with pytest.raises(AttributeError):
            delattr(rec, name)
    with pytest.raises(AttributeError):
        rec.not_a_field = 1  # type: ignore[attr-defined]
    if isinstance(rec, tuple):
        with pytest.raises(TypeError):
            rec[0] = "changed"  # type: ignore[index]
    assert repr(rec) == before
