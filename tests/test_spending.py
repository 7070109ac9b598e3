"""The spending cap: parsing, what the journal counts (refunds, windows, currencies,
reserved bounds), the check inside `begin()`, and the bound of each purchase."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from otpcli.domain.errors import BadInput, NoBalance, SpendCapReached
from otpcli.domain.models import Activation, CatalogEntry
from otpcli.domain.provider import Capability, ProviderOptions
from otpcli.services import journal as jr
from otpcli.services import spending
from otpcli.services.journaled import JournaledProvider
from otpcli.services.spending import Cap, Spent, parse_cap

D = Decimal
HOUR = 3600.0


class Clock:
    def __init__(self, t: float = 1_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def journal(tmp_path: Path, clock: Clock) -> jr.Journal:
    j = jr.Journal(tmp_path, now=clock)
    yield j  # type: ignore[misc]
    j.close()


def _buy(
    j: jr.Journal,
    price: str | None,
    *,
    reserve: str | None = None,
    currency: str | None = "INR",
    cap: Cap | None = None,
    kind: str = jr.ACTIVATION,
    order_id: str | None = None,
) -> int:
    row = j.begin(
        provider="otpx",
        profile=None,
        base_url=None,
        service="tg",
        country="22",
        kind=kind,
        reserve=None if reserve is None else D(reserve),
        cap=cap,
    )
    if price is not None:
        oid = order_id or f"id{row}"
        j.complete(row, Activation(oid, "91000", "tg", "22", D(price), currency))
    return row


# --- parsing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "period"),
    [
        ("50", D("50"), None),
        ("50/day", D("50"), "day"),
        (" 12.5 / Week ", D("12.5"), "week"),
        ("0/hour", D("0"), "hour"),
        ("100/month", D("100"), "month"),
    ],
)
def test_parse_cap(text: str, amount: Decimal, period: str | None) -> None:
    cap = parse_cap(text)
    assert (cap.amount, cap.period) == (amount, period)
    assert isinstance(cap.amount, Decimal)


@pytest.mark.parametrize("text", ["", "abc", "-1", "nan", "inf", "-inf", "5/", "5/year", "5/d/x"])
def test_parse_cap_refuses_with_the_value_named(text: str) -> None:
    with pytest.raises(BadInput) as err:
        parse_cap(text, source="OTPCLI_MAX_SPEND")
    assert err.value.status == 2
    assert repr(text.strip()) in err.value.message and "OTPCLI_MAX_SPEND" in err.value.message


def test_windows_are_rolling() -> None:
    assert [parse_cap(f"1/{p}").seconds for p in ("hour", "day", "week", "month")] == [
        3600,
        86400,
        7 * 86400,
        30 * 86400,
    ]
    assert parse_cap("1").since(5000.0) is None
    assert parse_cap("1/hour").since(5000.0) == 1400.0


def test_from_setting_names_where_it_came_from() -> None:
    assert spending.from_setting(None, "unset") is None
    with pytest.raises(BadInput, match="profile ci's max_spend"):
        spending.from_setting("lots", "profile ci")
    cap = spending.from_setting("5/day", "env OTPCLI_MAX_SPEND")
    assert cap is not None and cap.source == "OTPCLI_MAX_SPEND"


def test_error_class() -> None:
    assert issubclass(SpendCapReached, NoBalance)
    assert SpendCapReached("x").status == 6


# --- counting ------------------------------------------------------------------------


def test_counts_prices_minus_refunds_and_refusals(journal: jr.Journal) -> None:
    _buy(journal, "10.00")
    _buy(journal, "2.50", kind=jr.EMAIL)
    refunded = _buy(journal, "7.00", order_id="r1")
    journal.record("r1", "cancelled", provider="otpx", note="refunded")
    finished = _buy(journal, "1.25", order_id="f1")
    journal.record("f1", "finished", provider="otpx")
    with_code = _buy(journal, "3.00", order_id="c1")
    journal.record("c1", "code_received", provider="otpx", code="123456")
    failed = _buy(journal, None, reserve="9.00", currency=None)
    journal.failed(failed, "NO_NUMBERS")
    assert (refunded, finished, with_code) == (3, 4, 5)
    spent = journal.spent_in("INR", None)
    assert spent.amount == D("16.75")  # 10 + 2.50 + 1.25 + 3
    assert spent.orders == 4


def test_pending_and_unknown_count_at_their_reserved_bound(journal: jr.Journal) -> None:
    cap = Cap(D("100"), currency="INR")
    _buy(journal, None, reserve="4.00", cap=cap)  # pending: the purchase is out
    unknown = _buy(journal, None, reserve="6.00", cap=cap)
    journal.unknown(unknown, "read timeout")
    assert journal.spent_in("INR", None).amount == D("10.00")
    # Completed: the real price replaces the bound (lower or higher).
    row = _buy(journal, None, reserve="5.00", cap=cap)
    journal.complete(row, Activation("x", "1", "tg", None, D("7.50"), "INR"))
    assert journal.spent_in("INR", None).amount == D("17.50")
    # A price the reply did not tell keeps the bound; the currency stays the cap's.
    row = _buy(journal, None, reserve="2.00", cap=cap)
    journal.complete(row, Activation("y", "2", "tg", None, None, None))
    assert journal.spent_in("INR", None).amount == D("19.50")


def test_known_currencies_are_not_mixed_and_unknown_ones_always_count(
    journal: jr.Journal,
) -> None:
    _buy(journal, "10", currency="INR")
    _buy(journal, "3", currency="PKR")
    _buy(journal, "1", currency=None)
    # A row of unknown currency counts under every cap (when in doubt, it counts).
    assert journal.spent_in("INR", None).amount == D("11.00")
    assert journal.spent_in("PKR", None).amount == D("4.00")
    # A cap whose currency is unknown counts every row.
    assert journal.spent_in(None, None).amount == D("14.00")


def test_a_driver_without_a_currency_cannot_escape_its_cap(journal: jr.Journal) -> None:
    """A generic host names no currency (the cap's is None) while its replies complete
    the rows in a currency ("PLAY", "USD"): those rows must still count, or a loop of
    buyers overshoots (seen with 40 processes against a cap with room for 25)."""
    cap = Cap(D("25"), currency=None)
    for _ in range(2):
        _buy(journal, "10", reserve="10", cap=cap, currency="PLAY")
    with pytest.raises(SpendCapReached):
        _buy(journal, None, reserve="10", cap=cap)
    assert journal.spent_in(None, None).amount == D("20.00")


def test_window_and_when_it_frees_up(journal: jr.Journal, clock: Clock) -> None:
    start = clock.t
    _buy(journal, "5")
    clock.t += 2 * HOUR
    _buy(journal, "3")
    clock.t += 0.5 * HOUR
    _buy(journal, "1")
    cap = parse_cap("8/hour")
    spent = journal.spent_in("INR", cap.since(clock.t))
    assert (spent.amount, spent.oldest) == (D("4.00"), start + 2 * HOUR)
    assert spending.frees_at(cap, spent) == start + 3 * HOUR
    assert spending.left(cap, spent) == D("4.00")
    assert journal.spent_in("INR", None).amount == D("9.00")
    assert spending.frees_at(parse_cap("8"), spent) is None  # all time: never


def test_exact_sums_of_small_prices(journal: jr.Journal) -> None:
    for _ in range(3):
        _buy(journal, "0.1")
    assert journal.spent_in("INR", None).amount == D("0.30")
    spending.check(Cap(D("0.3"), currency="INR"), journal.spent_in("INR", None), D(0), now=0)


# --- the check in begin() ------------------------------------------------------------


def test_begin_refuses_over_the_cap_and_writes_no_row(journal: jr.Journal, clock: Clock) -> None:
    cap = Cap(D("20"), "day", "--max-spend", "INR")
    _buy(journal, "12.50", reserve="12.50", cap=cap)
    clock.t += 60
    with pytest.raises(SpendCapReached) as err:
        _buy(journal, None, reserve="12.50", cap=cap)
    exc = err.value
    assert exc.status == 6
    assert "12.50 INR spent in the last 24 hours" in exc.message
    assert "cap of 20 INR/day (from --max-spend)" in exc.message
    assert "nothing was sent" in exc.message
    assert exc.hint is not None and "room frees up at" in exc.hint and "(in 23h 59m)" in exc.hint
    doc = exc.to_json()["spend_cap"]
    assert isinstance(doc, dict)
    assert doc["spent"] == "12.50" and doc["left"] == "7.50" and doc["reserve"] == "12.50"
    assert doc["frees_at"] == 1_000_000.0 + 86400
    assert journal.count() == 1
    # Exactly up to the cap is allowed.
    _buy(journal, None, reserve="7.50", cap=cap)
    assert journal.count() == 2


def test_a_purchase_alone_above_the_cap_says_so(journal: jr.Journal) -> None:
    with pytest.raises(SpendCapReached) as err:
        _buy(journal, None, reserve="40", cap=Cap(D("30"), "day", currency="INR"))
    assert err.value.hint is not None and "alone" in err.value.hint
    assert journal.count() == 0


def test_begin_without_a_bound_is_a_bug(journal: jr.Journal) -> None:
    with pytest.raises(ValueError):
        _buy(journal, None, cap=Cap(D("30")))


def test_migration_adds_the_reserved_column(tmp_path: Path) -> None:
    """A journal written by the otp before the cap (user_version 2) gains the column."""
    path = tmp_path / jr.FILE_NAME
    conn = sqlite3.connect(path)
    conn.executescript(jr._SCHEMA)
    for step in jr._MIGRATIONS[:2]:
        for stmt in step:
            conn.execute(stmt)
    conn.execute(
        "INSERT INTO orders (provider, state, price, currency, created_at, updated_at)"
        " VALUES ('otpx', 'waiting', '5.00', 'INR', 1, 1)"
    )
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    j = jr.Journal(tmp_path, now=lambda: 10.0)
    try:
        _buy(j, None, reserve="1", cap=Cap(D("6"), currency="INR"))
        assert j.spent_in("INR", None).amount == D("6.00")
        with pytest.raises(SpendCapReached):
            _buy(j, None, reserve="0.01", cap=Cap(D("6"), currency="INR"))
    finally:
        j.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == jr.SCHEMA_VERSION
    conn.close()


# --- the bound of a purchase ---------------------------------------------------------


class FakeDriver:
    name = "otpx"
    title = "Fake"
    currency = "INR"
    poll_interval = 5.0

    def __init__(self, entries: list[CatalogEntry], catalog: bool = True) -> None:
        self.entries = entries
        self.options = ProviderOptions(api_key=None, base_url="")
        self.capabilities = frozenset({Capability.SMS, *([Capability.CATALOG] if catalog else [])})
        self.bought: list[dict[str, Any]] = []
        self.asked: list[dict[str, Any]] = []

    def supports(self, cap: Capability) -> bool:
        return cap in self.capabilities

    def services(self, **kw: Any) -> list[CatalogEntry]:
        self.asked.append(kw)
        return self.entries

    def buy(self, service: str, **kw: Any) -> Activation:
        self.bought.append(kw)
        return Activation(f"a{len(self.bought)}", "91000", service, "22", D("11"), "INR")

    def close(self) -> None:
        pass


def _wrapped(j: jr.Journal, driver: FakeDriver, cap: str | None) -> JournaledProvider:
    return JournaledProvider(
        driver,  # type: ignore[arg-type]
        j,
        profile=None,
        base_url=None,
        cap=None if cap is None else parse_cap(cap),
    )


def test_bound_is_the_highest_catalogue_quote(journal: jr.Journal) -> None:
    driver = FakeDriver(
        [
            CatalogEntry("tg", price=D("10"), currency="INR"),
            CatalogEntry("tg", price=D("12"), currency="INR"),
            CatalogEntry("wa", price=D("99"), currency="INR"),
        ]
    )
    p = _wrapped(journal, driver, "22.99")
    p.buy("tg", country="22")
    assert driver.asked == [{"country": "22", "server": None, "service": "tg"}]
    row = journal.orders()[0]
    assert (row.price, row.currency) == (D("11"), "INR")
    reserved = sqlite3.connect(journal.path).execute("SELECT reserved FROM orders").fetchone()
    assert reserved == ("12",)
    with pytest.raises(SpendCapReached):  # 11 + 12 > 22.99
        p.buy("tg", country="22")
    assert len(driver.bought) == 1


def test_max_price_is_the_bound_and_no_catalogue_is_read(journal: jr.Journal) -> None:
    driver = FakeDriver([CatalogEntry("tg", price=D("50"))])
    p = _wrapped(journal, driver, "23")
    p.buy("tg", max_price=D("11.5"))
    p.buy("tg", max_price=D("11.5"))  # 11 + 11.5 <= 23
    assert driver.asked == []
    assert [b["max_price"] for b in driver.bought] == [D("11.5"), D("11.5")]


def test_no_quote_means_no_purchase(journal: jr.Journal) -> None:
    for driver in (FakeDriver([CatalogEntry("tg")]), FakeDriver([], catalog=False)):
        with pytest.raises(BadInput) as err:
            _wrapped(journal, driver, "100").buy("tg")
        assert err.value.status == 2 and "nothing was sent" in err.value.message
        assert err.value.hint is not None and "--max-price" in err.value.hint
        assert driver.bought == []
    assert journal.count() == 0


def test_without_a_cap_nothing_changes(journal: jr.Journal) -> None:
    driver = FakeDriver([])
    _wrapped(journal, driver, None).buy("tg")
    assert driver.asked == [] and len(driver.bought) == 1


def test_spent_type() -> None:
    assert Spent(D(0)).oldest is None
