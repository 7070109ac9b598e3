"""`--interval` against the provider's poll advice: the default is the advice, a shorter
`--interval` is honoured (down to the 1 s floor) with one warning on stderr per command,
for a single wait, a wait for many, and the e-mail wait alike."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import responses

from otpcli.cli.options import poll_interval
from otpcli.cli.render import Env
from otpcli.domain.clock import FakeClock
from tests.cli_helpers import mocked_otpx, run

OTPX = "https://otpx.test/api/stubs/handler_api.php"
OTPGET = "https://otpget.test/stubs"


@pytest.fixture
def otpx(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    # A random-looking key: any 8+ character fragment of a key is masked on stderr, so a
    # key holding "-interval" would mask the option's name in the warning.
    yield from mocked_otpx(monkeypatch, "k9X2qV7mZ4tL8w3R")


def code_on_third_poll(otpx: responses.RequestsMock) -> None:
    polls: dict[str, int] = {}

    def answer(request: object) -> tuple[int, dict[str, str], str]:
        activation_id = request.params["id"]  # type: ignore[attr-defined]
        polls[activation_id] = polls.get(activation_id, 0) + 1
        if polls[activation_id] >= 3:
            return 200, {}, f"STATUS_OK:{activation_id}77"
        return 200, {}, "STATUS_WAIT_CODE"

    otpx.add_callback("GET", OTPX, callback=answer)


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


def test_shorter_interval_is_used_with_one_warning(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    code_on_third_poll(otpx)
    r = run(["wait", "1", "--interval", "2"])
    assert (r.exit_code, r.stdout) == (0, "177\n"), r.stderr
    assert clock.sleeps == [2, 2]
    (line,) = warnings(r.stderr)
    assert "--interval 2 is shorter than the 5 s" in line and "OTPX" in line


@pytest.mark.parametrize("extra", [[], ["--interval", "5"], ["--interval", "8"]])
def test_no_warning_at_or_above_the_advice(
    otpx: responses.RequestsMock, clock: FakeClock, extra: list[str]
) -> None:
    code_on_third_poll(otpx)
    r = run(["wait", "1", *extra])
    assert (r.exit_code, r.stdout) == (0, "177\n"), r.stderr
    step = float(extra[1]) if extra else 5.0  # the default is the provider's advice
    assert clock.sleeps == [step, step]
    assert warnings(r.stderr) == []


def test_wait_for_many_warns_once_and_keeps_the_floor(
    otpx: responses.RequestsMock, clock: FakeClock
) -> None:
    code_on_third_poll(otpx)
    r = run(["wait", "1", "2", "3", "--interval", "0.2"])
    assert r.exit_code == 0, r.stderr
    assert sorted(r.stdout.splitlines()) == ["1 177", "2 277", "3 377"]
    # never under one second (sub-second gaps are the host cap spacing polls)
    assert [round(s) for s in clock.sleeps if s > 0.5] == [1, 1]
    (line,) = warnings(r.stderr)
    assert "--interval 0.2" in line and "every 1 s (the minimum 1 s)" in line


def test_email_wait_warns_too(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> None:
    monkeypatch.setenv("OTPCLI_PROVIDER", "otpget")
    monkeypatch.setenv("OTPCLI_API_KEY", "m4P8sQ1vN6cJ2hY7")
    monkeypatch.setenv("OTPCLI_BASE_URL", OTPGET)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        code = '{"subject": "Code", "body": "Your code is 5150", "code": "5150"}'
        replies = ['{"status": "202"}', f'{{"status": "200", "messages": [{code}]}}']
        mock.add_callback(
            "GET", f"{OTPGET}/email_handler.php", callback=lambda _: (200, {}, replies.pop(0))
        )
        r = run(["email", "wait", "41", "--interval", "1.5"])
    assert (r.exit_code, r.stdout) == (0, "5150\n"), r.stderr
    assert clock.sleeps == [1.5]
    assert len(warnings(r.stderr)) == 1


class Paced:
    def __init__(self, title: str, poll_interval: float) -> None:
        self.title = title
        self.poll_interval = poll_interval


def test_many_providers_the_slowest_advice_decides() -> None:
    err = io.StringIO()
    e = Env(io.StringIO(), err)
    assert poll_interval(e, None, [Paced("Fast", 2.0), Paced("Slow", 10.0)]) == 10.0
    assert err.getvalue() == ""
    assert poll_interval(e, 4.0, [Paced("Fast", 2.0), Paced("Slow", 10.0)]) == 4.0
    assert warnings(err.getvalue()) == [
        "warning: --interval 4 is shorter than the 10 s between polls that Slow advises; "
        "polling every 4 s may get the key rate-limited"
    ]
