"""Batched status polling of many waits (`wait_for_codes` with `Capability.BATCH_STATUS`)
on a small fake host and a fake clock: one request per round for N waits, per-id looks
for what the batch leaves out (so no code is lost), and per-id polling when the host
refuses the batch."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from otpcli.domain.clock import FakeClock
from otpcli.domain.errors import NetworkError, OrderStateError, Unsupported, WaitTimeout
from otpcli.domain.models import State, StatusResult
from otpcli.domain.provider import Capability, ProviderOptions
from otpcli.services.waiting import Outcome, wait_for_codes


class BatchHost:
    """A provider over a pretend host. The code of id X arrives `arrive[X]` seconds after
    the start (None: never); `cancelled` ids are cancelled. The host's open-orders list
    (`statuses`) shows waiting orders, and orders with a code only if `lists_codes`;
    `batch_says` overrides what the list claims for an id. Every request is recorded."""

    name = "batchhost"
    title = "Batch host"
    currency = None
    poll_interval = 5.0
    options = ProviderOptions(api_key=None, base_url="http://batch.invalid")

    def __init__(
        self,
        clock: FakeClock,
        arrive: dict[str, float | None],
        *,
        batch: bool = True,
        lists_codes: bool = True,
        cancelled: Sequence[str] = (),
        batch_errors: Sequence[Exception] = (),
        batch_says: dict[str, State] | None = None,
    ) -> None:
        self.clock = clock
        self.start = clock.now()
        self.arrive = arrive
        self.lists_codes = lists_codes
        self.cancelled = set(cancelled)
        self.batch_errors = list(batch_errors)
        self.batch_says = batch_says or {}
        self.requests: list[tuple[str, tuple[str, ...]]] = []
        caps = {Capability.SMS, Capability.CANCEL}
        self.capabilities = frozenset(caps | {Capability.BATCH_STATUS} if batch else caps)

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def _truth(self, activation_id: str) -> StatusResult:
        if activation_id in self.cancelled:
            return StatusResult(activation_id, State.CANCELLED)
        at = self.arrive[activation_id]
        if at is not None and self.clock.now() - self.start >= at:
            return StatusResult(activation_id, State.CODE_RECEIVED, code=f"{activation_id}42")
        return StatusResult(activation_id, State.WAITING)

    def status(self, activation_id: str) -> StatusResult:
        self.requests.append(("status", (activation_id,)))
        return self._truth(activation_id)

    def statuses(self, ids: Sequence[str]) -> dict[str, StatusResult]:
        self.requests.append(("statuses", tuple(ids)))
        if self.batch_errors:
            raise self.batch_errors.pop(0)
        listed: dict[str, StatusResult] = {}
        for activation_id in self.arrive:  # the host lists all open orders, asked or not
            truth = self._truth(activation_id)
            if activation_id in self.batch_says:
                listed[activation_id] = truth._replace(state=self.batch_says[activation_id])
            elif truth.state is State.WAITING or (
                truth.state is State.CODE_RECEIVED and self.lists_codes
            ):
                listed[activation_id] = truth
        return listed

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.requests]


def codes(outcomes: list[Outcome]) -> dict[str, str | None]:
    return {o.activation_id: o.status.code for o in outcomes if o.status is not None}


def test_one_request_per_round_for_many_waits(clock: FakeClock) -> None:
    ids = [str(1000 + i) for i in range(200)]
    host = BatchHost(clock, {i: (7.0 if int(i) % 2 else 12.0) for i in ids})
    outcomes = wait_for_codes([(host, i) for i in ids], timeout=60, interval=5)
    assert codes(outcomes) == {i: f"{i}42" for i in ids}
    # Rounds at 0, 5, 10 and 15 s: four requests in all for 200 waits.
    assert host.kinds() == ["statuses"] * 4
    # Each round asks only about the ids still waiting.
    assert [len(asked) for _, asked in host.requests] == [200, 200, 200, 100]
    assert clock.sleeps == [5, 5, 5]


def test_ids_the_batch_leaves_out_are_looked_at_alone_and_their_codes_kept(
    clock: FakeClock,
) -> None:
    # This host drops an order from its open list as soon as its code arrives, and one
    # order was cancelled behind our back: both vanish from the batch answer.
    arrive: dict[str, float | None] = {"1": 3.0, "2": None, "3": None, "4": None}
    host = BatchHost(clock, arrive, lists_codes=False, cancelled=["4"])
    outcomes = wait_for_codes([(host, i) for i in arrive], timeout=9, interval=5)
    assert codes(outcomes) == {"1": "142"}
    errors = {o.activation_id: type(o.error) for o in outcomes if o.error is not None}
    assert errors == {"4": OrderStateError, "2": WaitTimeout, "3": WaitTimeout}
    assert host.requests == [
        ("statuses", ("1", "2", "3", "4")),
        ("status", ("4",)),  # missing at once: cancelled, learnt from its own status
        ("statuses", ("1", "2", "3")),
        ("status", ("1",)),  # missing once its code came: the code is fetched alone
        ("statuses", ("2", "3")),  # the last round, at the deadline
    ]


def test_an_end_the_batch_reports_is_checked_alone_before_it_is_believed(
    clock: FakeClock,
) -> None:
    # The list claims "cancelled", but the order's own status has the code.
    host = BatchHost(clock, {"7": 0.0, "8": None}, batch_says={"7": State.CANCELLED})
    outcomes = wait_for_codes([(host, "7"), (host, "8")], timeout=0, interval=5)
    assert codes(outcomes) == {"7": "742"}
    assert host.requests == [("statuses", ("7", "8")), ("status", ("7",))]


def test_host_without_the_batch_action_falls_back_to_status_for_the_rest(
    clock: FakeClock,
) -> None:
    arrive: dict[str, float | None] = {"1": 4.0, "2": 4.0, "3": 9.0}
    host = BatchHost(clock, arrive, batch_errors=[Unsupported("no getActiveActivations")])
    outcomes = wait_for_codes([(host, i) for i in arrive], timeout=60, interval=5)
    assert codes(outcomes) == {"1": "142", "2": "242", "3": "342"}
    assert host.kinds().count("statuses") == 1  # asked once, never again
    assert host.kinds()[0] == "statuses"
    # Round 1 (after the refusal), 2 and 3 poll each pending id alone.
    assert [asked for kind, asked in host.requests if kind == "status"] == [
        ("1",),
        ("2",),
        ("3",),
        ("1",),
        ("2",),
        ("3",),
        ("3",),
    ]
    # A provider that does not declare the capability is never asked for a batch.
    plain = BatchHost(clock, {"1": 4.0, "2": 4.0}, batch=False)
    outcomes = wait_for_codes([(plain, "1"), (plain, "2")], timeout=60, interval=5)
    assert codes(outcomes) == {"1": "142", "2": "242"}
    assert plain.kinds() == ["status"] * 4


def test_a_failed_batch_round_polls_each_id_and_batches_again_next_round(
    clock: FakeClock,
) -> None:
    host = BatchHost(
        clock, {"1": 4.0, "2": 4.0}, batch_errors=[NetworkError("reset", maybe_sent=True)]
    )
    outcomes = wait_for_codes([(host, "1"), (host, "2")], timeout=60, interval=5)
    assert codes(outcomes) == {"1": "142", "2": "242"}
    assert host.kinds() == ["statuses", "status", "status", "statuses"]


def test_journaled_statuses_record_each_answer(clock: FakeClock) -> None:
    from otpcli.services.journaled import JournaledProvider
    from otpcli.services.session import open_journal

    journal = open_journal()
    host = BatchHost(clock, {"51": 0.0, "52": None})
    for order_id in ("51", "52"):
        journal.adopt(
            order_id,
            provider=host.name,
            profile=None,
            base_url=None,
            kind="activation",
            state="waiting",
            note="test",
        )
    wrapped = JournaledProvider(host, journal, profile=None, base_url=None)  # type: ignore[arg-type]
    assert wrapped.supports(Capability.BATCH_STATUS)
    outcomes = wait_for_codes([(wrapped, "51"), (wrapped, "52")], timeout=0, interval=5)
    assert codes(outcomes) == {"51": "5142"}
    assert host.kinds() == ["statuses"]
    row = journal.find("51", provider=host.name)
    assert row is not None and (row.state, row.code) == ("code_received", "5142")
    journal.close()


def test_journaled_statuses_refuse_a_driver_without_them(clock: FakeClock) -> None:
    from otpcli.services.journaled import JournaledProvider
    from otpcli.services.session import open_journal

    journal = open_journal()
    host = BatchHost(clock, {"1": None}, batch=False)
    wrapped = JournaledProvider(host, journal, profile=None, base_url=None)  # type: ignore[arg-type]
    with pytest.raises(Unsupported):
        wrapped.statuses(["1"])
    assert host.requests == []
    journal.close()
