"""Money at the journal's edge (services/journaled.py): a refusal is never turned into
"maybe charged", and a paid order is never left without its id in the journal or in the
error the user sees, whatever fails after the purchase went through."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from otpcli.domain.errors import ConfigError, ProviderError, PurchaseUnknown, Refused
from otpcli.domain.models import Activation, Balance
from otpcli.domain.provider import Capability, ProviderOptions
from otpcli.services import journal as jr
from otpcli.services.journaled import JournaledProvider, send_once


class Host:
    """A provider whose purchase answers `outcome` (an Activation or an error) and whose
    own order list shows `listed` (an order otp never bought)."""

    name = "fakehost"
    title = "Fake host"
    currency = "INR"
    poll_interval = 5.0
    capabilities = frozenset({Capability.SMS, Capability.ORDERS})

    def __init__(self, outcome: Any, listed: list[Activation] | None = None) -> None:
        self.outcome = outcome
        self.listed = listed or []
        self.options = ProviderOptions(api_key=None, base_url="https://host.invalid")
        self.balances: list[Any] = []

    def supports(self, cap: Capability) -> bool:
        return cap in self.capabilities

    def buy(self, service: str, **_kw: Any) -> Activation:
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome  # type: ignore[no-any-return]

    def recent_activations(self, limit: int = 10) -> list[Activation]:
        return self.listed

    def balance(self) -> Balance:
        got = self.balances.pop(0)
        if isinstance(got, BaseException):
            raise got
        return got  # type: ignore[no-any-return]

    def close(self) -> None:
        pass


SOMEONE_ELSES = Activation("555", "919999999999", "tg", None)


@pytest.fixture
def journal(tmp_path: Path) -> jr.Journal:
    j = jr.Journal(tmp_path)
    yield j  # type: ignore[misc]
    j.close()


def wrapped(j: jr.Journal, host: Host, kind: str = jr.ACTIVATION) -> JournaledProvider:
    return JournaledProvider(host, j, profile=None, base_url="https://host.invalid", kind=kind)  # type: ignore[arg-type]


def test_a_definite_refusal_stays_a_refusal_whatever_the_order_list_shows(
    journal: jr.Journal,
) -> None:
    provider = wrapped(journal, Host(Refused("rate limited"), [SOMEONE_ELSES]))
    with pytest.raises(ProviderError) as info:
        provider.buy("tg")
    assert not isinstance(info.value, PurchaseUnknown)
    assert "555" not in info.value.message + (info.value.hint or "")
    (row,) = journal.orders()
    assert row.state == jr.FAILED


def test_a_lost_reply_names_the_listed_order_but_keeps_the_row_unknown(
    journal: jr.Journal,
) -> None:
    lost = PurchaseUnknown("the purchase may have gone through (connection reset)")
    provider = wrapped(journal, Host(lost, [SOMEONE_ELSES]))
    with pytest.raises(PurchaseUnknown) as info:
        provider.buy("tg")
    assert "otp wait 555" in (info.value.hint or "")
    (row,) = journal.orders()
    assert (row.state, row.order_id) == (jr.UNKNOWN, None)


def test_a_signal_while_pricing_a_cheap_number_still_journals_it(journal: jr.Journal) -> None:
    bought = Activation("c1", "923001112222", "tg", None)
    host = Host(bought)
    host.balances = [Balance(Decimal("100"), "INR"), KeyboardInterrupt()]
    with pytest.raises(KeyboardInterrupt):
        wrapped(journal, host, kind=jr.CHEAP).buy("tg")
    (row,) = journal.orders()
    assert (row.order_id, row.number) == ("c1", "923001112222")


def test_a_journal_that_cannot_record_a_paid_order_names_it(
    journal: jr.Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_a: Any, **_k: Any) -> None:
        raise ConfigError("the shared order journal failed: server closed the connection")

    monkeypatch.setattr(journal, "complete", broken)
    host = Host(Activation("a7", "917000000007", "tg", None))
    with pytest.raises(ConfigError) as info:
        wrapped(journal, host).buy("tg")
    assert "a7" in info.value.message and "917000000007" in info.value.message
    assert "otp cancel a7" in (info.value.hint or "")


def test_send_once_returns_what_was_bought(journal: jr.Journal) -> None:
    row = journal.begin(provider="p", profile=None, base_url=None, service="tg", country=None)
    assert send_once(journal, row, lambda: "bought") == "bought"
