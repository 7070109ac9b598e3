"""The per-host request-rate cap of `otpcli.http`: requests from many threads and many
`Transport`s to one host are spaced 1/rate apart in (fake) time; other hosts are not
held up; a purchase does not queue behind the polls. No real time is measured."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
import responses

from otpcli.domain import clock as clock_mod
from otpcli.domain.clock import FakeClock
from otpcli.http import Pacer, Transport, host_key, pacer_for


class ThreadClock:
    """Every thread starts at the same instant and has its own timeline: a thread's
    sleep moves only its own `now`. So the time a thread sends at is exactly the slot
    the pacer gave it, however the threads interleave."""

    def __init__(self, start: float = 500.0) -> None:
        self.start = start
        self._local = threading.local()

    def now(self) -> float:
        return self.start + getattr(self._local, "slept", 0.0)

    def sleep(self, seconds: float) -> None:
        self._local.slept = getattr(self._local, "slept", 0.0) + max(seconds, 0.0)


@pytest.fixture
def thread_clock(monkeypatch: pytest.MonkeyPatch) -> ThreadClock:
    fake = ThreadClock()
    monkeypatch.setattr(clock_mod, "CLOCK", fake)
    return fake


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def answer_recording(times: list[float], lock: threading.Lock):  # type: ignore[no-untyped-def]
    def callback(request: object) -> tuple[int, dict[str, str], str]:
        with lock:
            times.append(clock_mod.current().now())
        return 200, {}, "STATUS_WAIT_CODE"

    return callback


def test_many_threads_on_two_transports_to_one_host_are_spaced(
    mock: responses.RequestsMock, thread_clock: ThreadClock
) -> None:
    sent: list[float] = []
    lock = threading.Lock()
    url = re.compile(r"https://paced-one\.test(:443)?/stubs/h\.php")
    mock.add_callback("GET", url, answer_recording(sent, lock))
    a = Transport("https://paced-one.test/stubs", max_rate=10.0)
    b = Transport("https://PACED-ONE.test:443/stubs/", max_rate=10.0)
    assert a.pacer is b.pacer  # one cap per host, whatever the spelling of its URL

    def poll(i: int) -> None:
        (a if i % 2 else b).get("h.php", {"action": "getStatus", "id": str(i)})

    threads = [threading.Thread(target=poll, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    start = thread_clock.start
    # 30 requests that all wanted to go at once went out one tenth of a second apart.
    assert sorted(sent) == pytest.approx([start + i / 10 for i in range(30)])


def test_cap_is_shared_per_host_not_across_hosts(
    mock: responses.RequestsMock, clock: FakeClock
) -> None:
    for host in ("https://shared.test", "https://other.test", "https://shared.test:8443"):
        mock.add("GET", f"{host}/stubs/h.php", body="STATUS_WAIT_CODE")
    first = Transport("https://shared.test/stubs", max_rate=2.0)
    second = Transport("https://shared.test/stubs", max_rate=2.0)
    other_host = Transport("https://other.test/stubs", max_rate=2.0)
    other_port = Transport("https://shared.test:8443/stubs", max_rate=2.0)
    first.get("h.php", {})
    assert clock.sleeps == []  # a free slot costs no wait
    second.get("h.php", {})  # another Transport, same host: waits its half second
    assert clock.sleeps == [0.5]
    other_host.get("h.php", {})
    other_port.get("h.php", {})
    assert clock.sleeps == [0.5]  # other hosts (and ports) have caps of their own
    first.get("h.php", {})
    assert clock.sleeps == [0.5, 0.5]


def test_no_cap_without_max_rate(mock: responses.RequestsMock, clock: FakeClock) -> None:
    mock.add("GET", "https://free.test/stubs/h.php", body="ACCESS_BALANCE:1.00")
    t = Transport("https://free.test/stubs")
    for _ in range(5):
        t.get("h.php", {})
    assert t.pacer is None
    assert clock.sleeps == []


def test_purchase_waits_at_most_one_gap_behind_queued_polls(clock: FakeClock) -> None:
    pacer = Pacer(10.0)
    t0 = clock.now()
    polls = [pacer.book() for _ in range(20)]  # polls booked two seconds ahead
    assert polls == pytest.approx([t0 + i / 10 for i in range(20)])
    purchase = pacer.book(urgent=True)
    assert purchase == pytest.approx(t0 + 0.1)
    # The queue makes room: the next poll goes one gap later than it would have.
    assert pacer.book() == pytest.approx(t0 + 2.1)
    # Two purchases in a row are still a gap apart.
    assert pacer.book(urgent=True) == pytest.approx(t0 + 0.2)


def test_purchase_on_an_idle_host_goes_at_once(
    mock: responses.RequestsMock, clock: FakeClock
) -> None:
    mock.add("GET", "https://idle.test/stubs/h.php", body="ACCESS_NUMBER:1:91")
    t = Transport("https://idle.test/stubs", max_rate=1.0)
    t.get("h.php", {"action": "getNumber"}, idempotent=False)
    assert clock.sleeps == []
    t.get("h.php", {"action": "getStatus"})
    assert clock.sleeps == [1.0]


def test_strictest_rate_wins_and_bad_rates_are_refused() -> None:
    pacer = pacer_for("https://strict.test/stubs", 10.0)
    assert pacer_for("https://strict.test/other", 4.0) is pacer
    assert pacer_for("https://strict.test/", 20.0).rate == 4.0
    with pytest.raises(ValueError):
        Transport("https://strict.test/stubs", max_rate=0)
    assert host_key("http://127.0.0.1/stubs") == ("http", "127.0.0.1", 80)
