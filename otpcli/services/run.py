"""Run a command around one bought activation, then settle the activation (`otp run`).

No Typer, no Rich, no printing: the CLI, the library and the pytest plugin share it.

Contract:
- `child_env(base, act, ...)` is the command's environment: `base` plus `OTP_ID`,
  `OTP_NUMBER`, `OTP_SERVICE`, `OTP_COUNTRY`, `OTP_PROFILE` (empty when unknown),
  `OTP_INDEX` (which of several numbers bought at once, from 0) and the
  `OTPCLI_*` settings a nested `otp` needs to reach the same journal, config, profile and
  provider (`otp wait "$OTP_ID"` routes by id through the journal; `OTPCLI_PROVIDER=sandbox`
  makes a nested `otp balance` play too). The API key is never added: a key from the
  environment is inherited as it is, one from a profile is read from the same config.
- `run_child(argv, env, ...)` starts the command and waits for it. Its exit code is the
  shell's: its own, 128+N when a signal N killed it, 127 when it is not found, 126 when it
  cannot be executed, 124 when `timeout` passed (it then gets SIGTERM, and SIGKILL `grace`
  seconds later). SIGINT/SIGTERM sent to this process while the command runs are passed
  on (to its whole process group when it has its own) and recorded, never raised; the
  command gets `grace` seconds to end, then SIGKILL; a second signal kills it at once.
  After such a stop, what is left of its own process group is SIGKILLed when the grace
  ends.
  With `own_group=False` (a terminal: the command may read the keyboard) the command
  stays in our process group, where the terminal's Ctrl-C reaches it already, so SIGINT
  is not passed on a second time. Signal handlers are only installed in the main thread.
- `settle_after(provider, order_id, clean_up)` settles the activation once the command
  ended: a code the journal holds (a nested `otp wait` recorded it) or that one look at
  the provider shows is delivered and the order finished; otherwise `clean_up()` (the
  one clean-up policy, `services.cleanup.settle`, under the caller's time bounds)
  cancels it for a refund or leaves it `cancel_pending` (that is the settling failure:
  `Settlement.error`). A finish that fails is not a failure: the code was delivered and
  paid for either way (`settled` stays `code_received`, the error is `warning`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from otpcli.domain.errors import OrderStateError, OtpError
from otpcli.domain.models import Activation, State
from otpcli.services.cleanup import Outcome, Settled

EXIT_TIMEOUT = 124  # GNU timeout's convention, and otp's own (ExitCode.TIMEOUT)
EXIT_NOT_EXECUTABLE = 126  # like a shell
EXIT_NOT_FOUND = 127
GRACE = 2.0  # seconds between SIGTERM (or a passed-on signal) and SIGKILL
_POLL = 0.05

# Journal states after which nothing is left to settle.
_ENDED = ("finished", "cancelled", "expired")


def child_env(
    base: Mapping[str, str],
    act: Activation,
    *,
    profile: str | None,
    state_dir: str,
    config_path: str,
    provider: str | None = None,
    base_url: str | None = None,
    index: int = 0,
) -> dict[str, str]:
    """The command's environment (see the module's contract). `provider` is set for a
    provider chosen outside any profile (the sandbox), `base_url` for one given on the
    command line; both are then what a nested `otp` uses too."""
    env = dict(base)
    env.update(
        OTP_ID=act.id,
        OTP_NUMBER=act.number,
        OTP_SERVICE=act.service,
        OTP_COUNTRY=act.country or "",
        OTP_PROFILE=profile or "",
        OTP_INDEX=str(index),
        OTPCLI_STATE_DIR=state_dir,
        OTPCLI_CONFIG=config_path,
    )
    if profile:
        env["OTPCLI_PROFILE"] = profile
    if provider:
        env["OTPCLI_PROVIDER"] = provider
    if base_url:
        env["OTPCLI_BASE_URL"] = base_url
    return env


@dataclass(frozen=True)
class Ran:
    """How the command ended. `signal` is the signal this process received and passed
    on (None: none came); `error` says why the command could not start."""

    exit_code: int
    started: bool = True
    signal: int | None = None
    timed_out: bool = False
    error: str | None = None


def _start(
    argv: Sequence[str], env: Mapping[str, str], stdout: int | IO[Any] | None, own_group: bool
) -> subprocess.Popen[bytes] | Ran:
    try:
        return subprocess.Popen(
            list(argv), env=dict(env), stdout=stdout, process_group=0 if own_group else None
        )
    except FileNotFoundError:
        return Ran(EXIT_NOT_FOUND, started=False, error=f"{argv[0]}: command not found")
    except OSError as exc:  # not executable, a folder, an exec format error
        why = exc.strerror or str(exc)
        return Ran(EXIT_NOT_EXECUTABLE, started=False, error=f"{argv[0]}: {why}")


class _Watch:
    """The running command, the signals that came for it and when to kill it."""

    def __init__(self, proc: subprocess.Popen[bytes], own_group: bool, grace: float) -> None:
        self.proc, self.own_group, self.grace = proc, own_group, grace
        self.got: list[int] = []
        self.kill_at: float | None = None
        self.killed = False
        self.timed_out = False

    def ran(self) -> Ran:
        """How the ended command ran (see the module's contract for the exit code)."""
        rc = self.proc.returncode
        got = self.got[0] if self.got else None
        if self.timed_out and got is None:
            return Ran(EXIT_TIMEOUT, timed_out=True)
        return Ran(128 - rc if rc < 0 else rc, signal=got, timed_out=self.timed_out)

    def send(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if self.own_group:
                os.killpg(self.proc.pid, signum)
            elif self.proc.poll() is None:
                self.proc.send_signal(signum)

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Ask the command to end; SIGKILL follows `grace` seconds later."""
        self.send(signum)
        if self.kill_at is None:
            self.kill_at = time.monotonic() + self.grace

    def finish_group(self) -> None:
        """After a stop, what is left of the command's group (a background job that did
        not get the signal, or ignores it) is killed when the grace ends: it would hold
        the job's stdout open and keep a CI step alive."""
        assert self.kill_at is not None
        while time.monotonic() < self.kill_at:
            try:
                os.killpg(self.proc.pid, 0)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(_POLL)
        self.send(signal.SIGKILL)

    def on_signal(self, signum: int, _frame: Any) -> None:
        self.got.append(signum)
        if len(self.got) > 1:
            self.send(signal.SIGKILL)  # a second signal: no more waiting
        elif signum == signal.SIGINT and not self.own_group:
            # The terminal sent Ctrl-C to the whole group, the command included.
            self.kill_at = time.monotonic() + self.grace
        else:
            self.stop(signum)


@contextlib.contextmanager
def _forwarding(watches: list[_Watch], came: list[int]) -> Any:
    """Pass SIGINT/SIGTERM on to the running commands; every signal is also kept in
    `came`, so a command started after it (the handlers are in place before the first
    command starts: no signal can slip through to otp's own handler) is not started."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_signal(signum: int, frame: Any) -> None:
        came.append(signum)
        for watch in watches:
            if watch.proc.returncode is None:
                watch.on_signal(signum, frame)
            else:
                watch.got.append(signum)  # ended already: the signal still came

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def run_child(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    timeout: float | None = None,
    grace: float = GRACE,
    stdout: int | IO[Any] | None = None,
    own_group: bool = True,
) -> Ran:
    """Run the command to its end (see the module's contract)."""
    (ran,) = run_children(
        [(argv, env)], timeout=timeout, grace=grace, stdout=stdout, own_group=own_group
    )
    return ran


def run_children(
    commands: Sequence[tuple[Sequence[str], Mapping[str, str]]],
    *,
    timeout: float | None = None,
    grace: float = GRACE,
    stdout: int | IO[Any] | None = None,
    own_group: bool = True,
) -> list[Ran]:
    """Run several commands at once, each to its end, as `run_child` runs one: one
    `timeout` for all, a signal passed on to every one still running."""
    started: list[subprocess.Popen[bytes] | Ran] = []
    watches: list[_Watch] = []
    came: list[int] = []
    deadline = None if timeout is None else time.monotonic() + timeout
    timed_out = False
    with _forwarding(watches, came):
        for argv, env in commands:
            if came:  # interrupted before this one started: it never runs
                started.append(Ran(128 + came[0], started=False, signal=came[0]))
                continue
            proc = _start(argv, env, stdout, own_group)
            started.append(proc)
            if not isinstance(proc, Ran):
                watch = _Watch(proc, own_group, grace)
                watches.append(watch)
                while len(watch.got) < len(came):  # came while it was being started
                    watch.on_signal(came[len(watch.got)], None)
        while any(w.proc.poll() is None for w in watches):
            time.sleep(_POLL)
            now = time.monotonic()
            if deadline is not None and now >= deadline and not timed_out:
                timed_out = True
                for w in watches:
                    if w.proc.poll() is None:
                        w.timed_out = True
                        w.stop()
            for w in watches:
                if w.kill_at is not None and now >= w.kill_at and not w.killed:
                    w.send(signal.SIGKILL)
                    w.killed = True  # once; poll() reaps it
        for w in watches:
            if w.kill_at is not None and own_group:
                w.finish_group()
    ended = iter(watches)
    return [p if isinstance(p, Ran) else next(ended).ran() for p in started]


@dataclass(frozen=True)
class Settlement:
    """What became of the activation: `settled` is `finished` (a code came), `cancelled`
    (refunded), `cancel_pending` (not refunded yet: `error` says why), `code_received`
    (a code came but the finish failed: `warning` says why), or the state it had ended
    in by itself (`expired`)."""

    order_id: str
    settled: str
    code: str | None = None
    text: str | None = None
    error: OtpError | None = None
    warning: OtpError | None = None

    @property
    def state(self) -> str:
        """The order's final state, as `--json` names it: the same word as `settled`."""
        return self.settled


def _finish(provider: Any, order_id: str, code: str | None, text: str | None) -> Settlement:
    try:
        provider.finish(order_id)
    except OtpError as exc:
        look = _state_now(provider, order_id)
        if look == "finished":  # done meanwhile (the command finished it itself)
            return Settlement(order_id, "finished", code, text)
        return Settlement(order_id, "code_received", code, text, warning=exc)
    return Settlement(order_id, "finished", code, text)


def _state_now(provider: Any, order_id: str) -> str | None:
    with contextlib.suppress(OtpError):
        return str(provider.status(order_id).state.value)
    return None


def settle_after(provider: Any, order_id: str, clean_up: Callable[[], Settled]) -> Settlement:
    """Settle the activation after the command ended (see the module's contract).
    `provider` is a journaled provider (`services.journaled.JournaledProvider`)."""
    row = provider.journal.find(order_id, provider=provider.name)
    if row is not None and row.state == State.CODE_RECEIVED.value:
        return _finish(provider, order_id, row.code, row.text)
    if row is not None and row.state in _ENDED:
        return Settlement(order_id, row.state, row.code, row.text)
    settled = clean_up()  # looks first: a code nobody read is found there
    if settled.outcome is Outcome.CODE and settled.status is not None:
        return _finish(provider, order_id, settled.status.code, settled.status.text)
    if settled.outcome is Outcome.CANCELLED:
        return Settlement(order_id, "cancelled")
    if settled.outcome is Outcome.ENDED:
        state = settled.status.state.value if settled.status else "ended"
        known = provider.journal.find(order_id, provider=provider.name)
        code = known.code if known is not None else None
        return Settlement(order_id, state, code, known.text if known else None)
    error = settled.error or OrderStateError(settled.message)
    return Settlement(order_id, "cancel_pending", error=error)
