"""The pytest plugin (entry point `pytest11`): numbers for a test, settled at teardown.

```python
def test_signup(otp_activation):
    act = otp_activation("tg", country="india")   # bought now; settled at teardown
    page.fill("#phone", act.number)
    page.fill("#code", act.wait(timeout=120).code)
```

Contract:
- Options `--otp-profile NAME` and `--otp-sandbox`; without them the client is
  configured like `otp` (the `OTPCLI_*` environment, then the default profile).
- `otp_client` (session scope) is an `otpcli.Client`, made on first use and closed at
  the end of the session. `otp_activation` (function scope) is a factory that buys one
  `otpcli.Activation` per call, through the journal like every purchase.
- Teardown settles every activation the test bought, whether it passed, failed or was
  interrupted: one that got a code (and was not finished or cancelled) is finished, the
  rest cancelled for a refund by the library's clean-up policy (the one of `otp wait`).
  After Ctrl-C (or SIGTERM, turned into KeyboardInterrupt while a client is open) the
  clean-up is short (no early-cancel wait, about 5 s per order); what cannot be cancelled
  then is `cancel_pending` in the journal, for `otp cancel --pending --wait`.
  `pytest_unconfigure` and an `atexit` hook settle anything still open as a last resort.
- The plugin loads in every pytest run of an environment where otpcli is installed:
  importing it imports nothing of otpcli, and nothing is made unless a fixture is used.
  The terminal summary says what was settled, and any order left `cancel_pending`.
"""

from __future__ import annotations

import atexit
import signal
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from otpcli.client import Client
    from otpcli.client.handles import Activation


class _Books:
    """What this pytest process bought and made, across fixtures (one per process)."""

    def __init__(self) -> None:
        self.clients: list[Client] = []
        self.open: list[Activation] = []  # bought, not yet settled
        self.interrupted = False
        self.finished = 0
        self.refunded = 0
        self.notes: list[str] = []
        self._previous_sigterm: Any = None

    def settle(self, act: Activation) -> None:
        """Finish or refund one activation (never raises an OtpError)."""
        if act in self.open:
            self.open.remove(act)
        if act.done:
            return
        had_code = act.code is not None
        act.close(after_signal=self.interrupted)
        if had_code or (act.settled is not None and act.settled.outcome == "code_received"):
            self.finished += 1
        elif act.settled is not None and act.settled.outcome in ("cancelled", "ended"):
            self.refunded += 1

    def settle_all(self) -> None:
        for act in list(self.open):
            try:
                self.settle(act)
            except Exception as exc:  # a last resort must not hide the others
                self.notes.append(f"could not settle activation {act.id}: {exc}")

    def close(self) -> None:
        self.settle_all()
        clients, self.clients = self.clients, []
        for client in clients:
            client.close()
        self._restore_sigterm()

    def catch_sigterm(self) -> None:
        """SIGTERM (a CI timeout) ends the run like Ctrl-C, so teardown still settles.
        Only where nobody else handles it, and only from the main thread."""
        if threading.current_thread() is not threading.main_thread():
            return
        if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
            return

        def interrupt(_signum: int, _frame: Any) -> None:
            raise KeyboardInterrupt("SIGTERM")

        self._previous_sigterm = signal.signal(signal.SIGTERM, interrupt)

    def _restore_sigterm(self) -> None:
        if self._previous_sigterm is not None:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None


_BOOKS = _Books()
atexit.register(_BOOKS.close)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("otpcli", "otpcli: numbers and codes for tests")
    group.addoption(
        "--otp-profile",
        dest="otp_profile",
        metavar="NAME",
        default=None,
        help="otpcli profile for the otp_client fixture (default: OTPCLI_* and the "
        "default profile, as `otp`).",
    )
    group.addoption(
        "--otp-sandbox",
        dest="otp_sandbox",
        action="store_true",
        default=False,
        help="Use otpcli's built-in simulator (play money) for the otp_client fixture.",
    )


def pytest_keyboard_interrupt(excinfo: pytest.ExceptionInfo[BaseException]) -> None:
    _BOOKS.interrupted = True


def pytest_unconfigure(config: pytest.Config) -> None:
    _BOOKS.close()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    books = _BOOKS
    if not (books.finished or books.refunded or books.notes):
        return
    terminalreporter.write_sep("-", "otpcli")
    terminalreporter.write_line(
        f"activations settled: {books.finished} finished, {books.refunded} refunded"
    )
    for note in books.notes:
        terminalreporter.write_line(note)


@pytest.fixture(scope="session")
def otp_client(request: pytest.FixtureRequest) -> Iterator[Client]:
    """An `otpcli.Client` for the session: `--otp-sandbox`, `--otp-profile NAME`, or
    the `OTPCLI_*` environment and default profile, like `otp`."""
    from otpcli.client import Client

    profile = request.config.getoption("otp_profile")
    if request.config.getoption("otp_sandbox"):
        client = Client.sandbox(profile=profile, on_warning=_BOOKS.notes.append)
    else:
        client = Client(profile=profile, on_warning=_BOOKS.notes.append)
    _BOOKS.clients.append(client)
    _BOOKS.catch_sigterm()
    try:
        yield client
    finally:
        _BOOKS.settle_all()
        if client in _BOOKS.clients:
            _BOOKS.clients.remove(client)
        client.close()


@pytest.fixture
def otp_activation(otp_client: Client) -> Iterator[Callable[..., Activation]]:
    """A factory: `otp_activation("tg", country="india", max_price=None, operator=None,
    server=None)` buys a number now and returns its `otpcli.Activation`; every number
    the test bought is settled at teardown (finished with a code, else refunded)."""
    bought: list[Activation] = []

    def buy(service: str, **options: Any) -> Activation:
        act = otp_client.buy(service, **options)
        bought.append(act)
        _BOOKS.open.append(act)
        return act

    try:
        yield buy
    finally:
        for act in bought:
            _BOOKS.settle(act)
