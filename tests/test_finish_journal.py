"""`otp finish ID` leaves the journal at `finished`, even though the host keeps answering
STATUS_OK for a finished activation (so a later look says code_received), and
`otp orders --active` no longer lists it."""

from __future__ import annotations

import json

import pytest

from otpcli.domain.models import Activation
from tests.cli_helpers import run
from tests.journal_backends import JournalBackend


def _orders(*flags: str) -> list[dict[str, object]]:
    r = run(["--sandbox", "orders", "--json", *flags])
    assert r.exit_code == 0, r.output
    rows: list[dict[str, object]] = json.loads(r.stdout)["orders"]
    return rows


@pytest.mark.usefixtures("journal_backend")
def test_a_finished_sandbox_order_is_no_longer_active() -> None:
    r = run(["--sandbox", "buy", "tg"])
    assert r.exit_code == 0, r.output
    oid = r.stdout.split()[0]
    assert run(["--sandbox", "sandbox", "deliver", oid]).exit_code == 0
    assert run(["--sandbox", "status", oid]).stdout.startswith("code_received")
    assert run(["--sandbox", "finish", oid]).exit_code == 0
    # The host still answers STATUS_OK for it: the look must not undo the finish.
    assert run(["--sandbox", "status", oid]).exit_code == 0
    assert [o["state"] for o in _orders()] == ["finished"]
    assert _orders("--active") == []


def test_the_journal_keeps_finished_over_a_later_look(journal_backend: JournalBackend) -> None:
    journal = journal_backend.open()
    row = journal.begin(provider="p", profile=None, base_url=None, service="tg", country=None)
    journal.complete(row, Activation(id="7", number="91", service="tg"))
    journal.record("7", "code_received", provider="p", code="1234")
    journal.record("7", "finished", provider="p")
    journal.record("7", "code_received", provider="p", code="1234")
    journal.record("7", "waiting", provider="p")
    found = journal.find("7")
    assert found is not None and found.state == "finished"
    assert journal.orders(active=True) == []
    journal.close()
