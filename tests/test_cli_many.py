"""Many activations at once: `otp wait ID ID ...` and `otp buy --count N [--wait]`."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from otpcli.domain.clock import FakeClock
from tests.cli_helpers import mocked_otpx, run

OTPX = "https://otpx.test/api/stubs/handler_api.php"


@pytest.fixture
def otpx(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    yield from mocked_otpx(monkeypatch, "k-many-123456")


class FakeOtpx:
    """Status replies per id: a code after `after[id]` polls, or never."""

    def __init__(self, after: dict[str, int | None]) -> None:
        self.after = after
        self.polls: dict[str, int] = dict.fromkeys(after, 0)
        self.cancelled: list[str] = []
        self.bought = 0
        # Every request in arrival order: (action, the thread that sent it).
        self.actions: list[tuple[str, int]] = []

    def __call__(self, request: object) -> tuple[int, dict[str, str], str]:
        q = {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}  # type: ignore[attr-defined]
        self.actions.append((q["action"], threading.get_ident()))
        if q["action"] == "getNumber":
            self.bought += 1
            return 200, {}, f"ACCESS_NUMBER:{100 + self.bought}:9190000000{self.bought:02d}"
        if q["action"] == "setStatus":
            self.cancelled.append(q["id"])
            return 200, {}, "ACCESS_CANCEL"
        self.polls[q["id"]] += 1
        limit = self.after[q["id"]]
        if limit is not None and self.polls[q["id"]] >= limit:
            return 200, {}, f"STATUS_OK:{q['id']}42"
        return 200, {}, "STATUS_WAIT_CODE"


def test_wait_many_prints_codes_as_they_arrive(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    fake = FakeOtpx({"1": 3, "2": 1, "3": 2})
    otpx.add_callback("GET", OTPX, callback=fake)
    r = run(["wait", "1", "2", "3", "--interval", "5"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines() == ["2 242", "3 342", "1 142"]
    # one overall schedule: three rounds, not the sum of three waits
    # round sleeps (the host cap may add sub-second gaps between polls of one round)
    assert [round(s) for s in clock.sleeps if s >= 1] == [5, 5]
    assert fake.cancelled == []


def test_wait_many_timeout_cancels_only_those_without_code(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    fake = FakeOtpx({"1": 1, "2": None, "3": None})
    otpx.add_callback("GET", OTPX, callback=fake)
    r = run(["wait", "1", "2", "3", "--timeout", "20", "--json"])
    assert r.exit_code == 124
    # One document: the error, carrying every item (cli/many.py).
    doc = json.loads(r.stdout)
    assert (doc["error"], doc["exit_code"]) == ("timeout", 124)
    items = doc["results"]
    assert items[0] == {"id": "1", "code": "142", "text": None}
    assert {d["id"] for d in items[1:3]} == {"2", "3"}
    assert all(d["exit_code"] == 124 for d in items[1:])
    assert sorted(fake.cancelled) == ["2", "3"]


def test_wait_many_jsonl_streams_items_then_the_error(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    fake = FakeOtpx({"1": 1, "2": None, "3": None})
    otpx.add_callback("GET", OTPX, callback=fake)
    r = run(["wait", "1", "2", "3", "--timeout", "20", "--jsonl"])
    assert r.exit_code == 124
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert lines[0] == {"id": "1", "code": "142", "text": None}
    assert {d["id"] for d in lines[1:3]} == {"2", "3"}
    assert lines[3]["error"] == "timeout" and "results" not in lines[3]
    assert len(lines) == 4


def test_wait_many_keep_sends_no_cancel(otpx: responses.RequestsMock, clock: FakeClock) -> None:
    fake = FakeOtpx({"1": None, "2": None})
    otpx.add_callback("GET", OTPX, callback=fake)
    r = run(["wait", "1", "2", "--timeout", "10", "--keep"])
    assert r.exit_code == 124
    assert r.stdout == ""
    assert fake.cancelled == []


def test_buy_count_buys_sequentially_and_waits_all(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    fake = FakeOtpx({"101": 2, "102": 1, "103": 4})
    otpx.add_callback("GET", OTPX, callback=fake)
    r = run(["buy", "wa", "-c", "22", "--count", "3", "--wait", "--interval", "2"])
    assert r.exit_code == 0, r.stderr
    assert fake.bought == 3
    assert sorted(r.stdout.splitlines()) == ["101 10142", "102 10242", "103 10342"]
    # Sequentially: all three purchases, one after another on one thread, before the
    # first poll.
    actions = [a for a, _thread in fake.actions]
    assert actions[:3] == ["getNumber"] * 3
    assert "getNumber" not in actions[3:]
    assert actions[3] == "getStatus"
    assert len({t for a, t in fake.actions if a == "getNumber"}) == 1
    r = run(["orders", "--json"])
    assert [o["state"] for o in json.loads(r.stdout)["orders"]] == ["code_received"] * 3


def test_buy_count_without_wait_prints_id_number_lines(
    otpx: responses.RequestsMock,
) -> None:
    fake = FakeOtpx({})
    otpx.add_callback("GET", OTPX, callback=fake)
    r = run(["buy", "wa", "-n", "2"])
    assert r.exit_code == 0
    assert r.stdout.splitlines() == ["101 919000000001", "102 919000000002"]


def test_buy_count_stops_at_first_refusal(otpx: responses.RequestsMock) -> None:
    replies = iter(["ACCESS_NUMBER:7:91700", "NO_NUMBERS", "ACCESS_NUMBER:8:91800"])
    otpx.add_callback("GET", OTPX, callback=lambda req: (200, {}, next(replies)))
    r = run(["buy", "wa", "-n", "3"])
    assert r.exit_code == 7
    assert r.stdout == "7 91700\n"
    assert "bought 1 of 3" in r.stderr


def test_wait_many_timeout_whose_cancel_fails_is_left_cancel_pending(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    replies = iter(["ACCESS_NUMBER:301:919000000301", "ACCESS_NUMBER:302:919000000302"])
    otpx.add_callback(
        "GET",
        OTPX,
        callback=lambda req: (200, {}, next(replies)),
        match=[responses.matchers.query_param_matcher({"action": "getNumber"}, strict_match=False)],
    )
    otpx.get(
        OTPX,
        body="STATUS_WAIT_CODE",
        match=[responses.matchers.query_param_matcher({"action": "getStatus"}, strict_match=False)],
    )
    otpx.get(
        OTPX,
        body="oops",
        status=500,
        match=[responses.matchers.query_param_matcher({"action": "setStatus"}, strict_match=False)],
    )
    r = run(["buy", "wa", "-n", "2", "--wait", "--timeout", "10"])
    assert r.exit_code == 124
    r = run(["orders", "--json"])
    assert [o["state"] for o in json.loads(r.stdout)["orders"]] == ["cancel_pending"] * 2
