"""Many activations at once: `otp wait ID ID ...` and `otp buy SERVICE --count N --wait`.

One process, one connection pool per provider, one overall deadline. Each code is
printed the moment it arrives as an `ID CODE` line. Those that end without a code are
cleaned up by the same clean-up policy as a single wait (`otpcli.services.cleanup`,
concurrently, within `--cleanup-timeout`): a code that arrives during the clean-up is
printed and is no failure; the rest are cancelled for a refund unless --keep, or left
`cancel_pending` in the journal when that cannot be done now.

JSON (`Results`, `collected`): with `--json` the command prints exactly one document at
the end, `{"results": [ITEM, ...]}`; when it fails, the one document is the error
document (`error`, `message`, `exit_code`, ...) carrying the same `"results"` list, and
the exit code is the error's. With `--jsonl` each ITEM is printed as one line the moment
it is known, and a failure ends the stream with the error document as its last line.
An ITEM is `{"id", "code", "text"}` (with `buy`, the purchase's keys too) or, for one that
failed, `{"id", "error", "message", "exit_code", ...}`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import typer

from otpcli.cli import deadline
from otpcli.cli.context import provider_for
from otpcli.cli.render import Env, ManyWaitView, NoteLine
from otpcli.domain.errors import ExitCode, Interrupted, NoCode, OtpError, WaitTimeout
from otpcli.services.cleanup import DEFAULT_BUDGET

if TYPE_CHECKING:
    from otpcli.domain.models import StatusResult
    from otpcli.services.journaled import JournaledProvider
    from otpcli.services.waiting import Outcome


@contextmanager
def providers_for(
    ctx: typer.Context, ids: list[str]
) -> Iterator[list[tuple[JournaledProvider, str]]]:
    """Open one provider per place the journal says the orders live, shared by its ids."""
    from otpcli.services.session import open_journal

    journal = open_journal()
    try:
        keys: dict[str, tuple[str | None, ...]] = {}
        for activation_id in ids:
            row = journal.find(activation_id)
            keys[activation_id] = (row.provider, row.profile, row.base_url) if row else (None,)
    finally:
        journal.close()
    with ExitStack() as stack:
        opened: dict[tuple[str | None, ...], JournaledProvider] = {}
        targets: list[tuple[JournaledProvider, str]] = []
        for activation_id in ids:
            key = keys[activation_id]
            if key not in opened:
                provider, _settings = stack.enter_context(provider_for(ctx, activation_id))
                opened[key] = provider
            targets.append((opened[key], activation_id))
        yield targets


class Results:
    """The per-item documents of a many-item command (see the module docstring): streamed
    with `stream` (--jsonl), else kept for the one document. `base` holds, by id, keys to
    put in front of an item (a purchase's id, number, price ...)."""

    def __init__(self, e: Env, *, stream: bool, base: dict[str, dict[str, Any]] | None = None):
        self.e, self.stream, self.base = e, stream, base if base is not None else {}
        self.items: list[dict[str, Any]] = []
        self._lock = threading.Lock()  # codes arrive from the waiting threads

    def add(self, doc: dict[str, Any]) -> None:
        item = {**self.base.get(str(doc.get("id")), {}), **doc}
        with self._lock:
            self.items.append(item)
            if self.stream:
                self.e.json_doc(self.e.redact_doc(item))

    def code(self, st: StatusResult) -> None:
        """A code (or a message without one) arrived: an item, or an `ID CODE` line."""
        if self.e.json:
            self.add({"id": st.id, "code": st.code, "text": st.text})
        else:
            self.e.out(f"{st.id} {st.code or st.text}")

    def done(self) -> None:
        if self.e.json and not self.stream:
            self.e.json_doc(self.e.redact_doc({"results": self.items}))

    def attach(self, err: OtpError) -> OtpError:
        """`err`, carrying the items for its one JSON document (report() prints it)."""
        if self.e.json and not self.stream:
            err.details["results"] = list(self.items)
        return err


@contextmanager
def collected(
    e: Env, *, stream: bool, base: dict[str, dict[str, Any]] | None = None
) -> Iterator[Results]:
    """Results for one many-item command: the one document at the end, or the error
    raised from the block carrying the items (its document is the one printed)."""
    sink = Results(e, stream=stream, base=base)
    try:
        yield sink
    except OtpError as err:
        raise sink.attach(err) from err.__cause__
    sink.done()


def wait_many(
    e: Env,
    targets: list[tuple[JournaledProvider, str]],
    *,
    timeout: float | None,
    interval: float | None,
    keep: bool,
    cleanup: float = DEFAULT_BUDGET,
    sink: Results | None = None,
) -> None:
    """Wait for all; hand codes to `sink` as they come; clean up the rest; raise if any
    failed. Without a `sink`, items go out as they come (--jsonl's form)."""
    from otpcli.cli.options import poll_interval
    from otpcli.services.waiting import DEFAULT_TIMEOUT, wait_for_codes

    sink = sink or Results(e, stream=True)
    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    step = poll_interval(e, interval, [p for p, _ in targets])
    e.info(f"waiting for {len(targets)} codes, up to {limit:g} s ...")
    view = ManyWaitView(e, [(i, _number_of(p, i, sink)) for p, i in targets], timeout=limit)
    seen = _Outcomes(e, view, sink)
    try:
        with view:
            wait_for_codes(
                targets,
                timeout=limit,
                interval=step,
                on_outcome=seen.report,
                on_round=lambda _n, pending, _left: view.round(pending),
            )
    except (KeyboardInterrupt, Interrupted) as intr:
        left = [t for t in targets if t[1] not in seen.ended]
        raise clean_up_after_signal(
            e, left, Interrupted.exit_of(intr), keep=keep, budget=cleanup, sink=sink
        ) from None
    if not keep:
        seen.settle_timed_out(cleanup)
    seen.raise_failures(len(targets))


class _Outcomes:
    """What a many-wait learnt, one outcome at a time: codes go to the sink as they
    come; failures are kept for the clean-up and the one summary error."""

    def __init__(self, e: Env, view: ManyWaitView, sink: Results) -> None:
        self.e, self.view, self.sink = e, view, sink
        self.failures: list[Outcome] = []
        self.ended: set[str] = set()  # got a code or failed: nothing left to clean up

    def report(self, outcome: Outcome) -> None:
        self.ended.add(outcome.activation_id)
        if outcome.status is not None:
            st = outcome.status
            self.view.ended(st.id, "code_received", st.code)
            with self.view.suspended():
                self.sink.code(st)
            if st.code or not st.text:
                return
            # A message with no code found in it: shown whole above, and counted.
            from otpcli.services.waiting import Outcome

            outcome = Outcome(
                outcome.provider,
                outcome.activation_id,
                error=NoCode(f"the message for {st.id} holds no code otp could find"),
            )
        self.failures.append(outcome)
        assert outcome.error is not None
        if self.e.json:
            self.sink.add({"id": outcome.activation_id, **outcome.error.to_json()})
        self.view.ended(outcome.activation_id, _state_of(outcome.error))
        if not self.view.animated:  # the table's row says it on a TTY
            self.e.info(f"{outcome.activation_id}: {outcome.error.message}")

    def timed_out(self) -> list[Outcome]:
        return [o for o in self.failures if isinstance(o.error, WaitTimeout)]

    def settle_timed_out(self, budget: float) -> None:
        """Cancel the ones that got no code for a refund; a code that arrives meanwhile
        is printed and is no failure."""
        timed_out = self.timed_out()
        if not timed_out:
            return
        self.e.info(f"cancelling {len(timed_out)} for a refund (clean-up up to {budget:g} s) ...")
        try:
            got = _settle(
                self.e,
                [_target(o) for o in timed_out],
                after_signal=False,
                budget=budget,
                sink=self.sink,
            )
        except (KeyboardInterrupt, Interrupted) as intr:
            raise Interrupted(
                "interrupted while cancelling the activations that got no code",
                signal_exit=Interrupted.exit_of(intr),
                hint="those not cancelled yet are marked cancel_pending: "
                "`otp cancel --pending --wait` settles them",
            ) from None
        self.failures = [o for o in self.failures if o.activation_id not in got.codes]

    def raise_failures(self, total: int) -> None:
        if not self.failures:
            return
        timed_out = self.timed_out()
        first = timed_out[0].error if timed_out else self.failures[0].error
        assert first is not None
        # The summary keeps the class (hence exit code) of the most telling failure.
        raise first.with_message(
            f"{len(self.failures)} of {total} activations got no code ({first.message})",
            hint="see the lines above; `otp orders --active` lists what is left",
        )


def _number_of(provider: object, activation_id: str, sink: Results) -> str | None:
    """The phone number to show for an id: the purchase's, else the journal's."""
    bought = sink.base.get(activation_id, {}).get("number")
    if bought:
        return str(bought)
    journal = getattr(provider, "journal", None)  # bare drivers (tests) have none
    if journal is None:
        return None
    with contextlib.suppress(OtpError, AttributeError):
        row = journal.find(activation_id, provider=getattr(provider, "name", None))
        return row.number if row else None
    return None


def _state_of(error: OtpError) -> str:
    """A table cell for how an activation without a code ended."""
    if isinstance(error, WaitTimeout):
        return "timed out"
    if isinstance(error, NoCode):
        return "no code in message"
    return error.code.replace("_", " ")


def _target(outcome: Outcome) -> tuple[JournaledProvider, str]:
    provider: JournaledProvider = outcome.provider  # type: ignore[assignment]
    return provider, outcome.activation_id


@dataclass
class Cleaned:
    """What a many-order clean-up did: ids whose code arrived (printed), and how many
    are left cancel_pending (-1: cut short, some not reached)."""

    codes: set[str] = field(default_factory=set)
    left: int = 0


def _settle(
    e: Env,
    targets: list[tuple[JournaledProvider, str]],
    *,
    after_signal: bool,
    budget: float = DEFAULT_BUDGET,
    sink: Results,
) -> Cleaned:
    """Settle each activation with the one clean-up policy, concurrently. A code that arrived is
    printed; each one not cancelled (refused, failed, or not reached before a signal or
    the clean-up deadline cut this short) is marked cancel_pending for `otp cancel
    --pending` before this returns or re-raises: the refund it is owed is never forgotten."""
    from otpcli.services.cleanup import Outcome as Done
    from otpcli.services.cleanup import settle
    from otpcli.services.waiting import thread_pool

    done: set[str] = set()
    cleaned = Cleaned()
    lock = threading.Lock()
    note = NoteLine(e)  # twelve early-cancel retries are one line, not twelve

    def one(target: tuple[JournaledProvider, str]) -> None:
        provider, activation_id = target
        got = settle(
            provider,
            activation_id,
            wait_out_window=not after_signal,
            budget=0.0 if after_signal else budget,
            on_note=note,
        )
        with lock:
            done.add(activation_id)
            if got.outcome is Done.CODE and got.status is not None:
                cleaned.codes.add(activation_id)
                e.info(f"{activation_id}: the code arrived during clean-up; it is yours")
                sink.code(got.status)
            elif got.outcome is Done.PENDING:
                cleaned.left += 1
                e.info(f"{activation_id}: could not cancel ({got.message})")
            else:
                e.info(f"{activation_id}: {got.message}")

    why = ""
    try:
        if targets:
            limit = deadline.hard_limit(budget, after_signal=after_signal)
            with deadline.time_limit(limit), thread_pool(min(16, len(targets))) as pool:
                list(pool.map(one, targets))
    except BaseException as cut:
        why = cut.message if isinstance(cut, OtpError) else "interrupted during clean-up"
        raise
    finally:
        with lock:
            left = [(p, i) for p, i in targets if i not in done]
        for provider, activation_id in left:
            with contextlib.suppress(OtpError):
                provider.mark_cancel_pending(activation_id, why or "not cancelled")
    return cleaned


def clean_up_after_signal(
    e: Env,
    left: list[tuple[JournaledProvider, str]],
    code: ExitCode,
    *,
    keep: bool,
    budget: float = DEFAULT_BUDGET,
    sink: Results | None = None,
) -> Interrupted:
    if keep or not left:
        return Interrupted(
            f"interrupted; {len(left)} activation(s) kept",
            signal_exit=code,
            hint="resume with `otp wait ID ...`",
        )
    e.info(f"interrupted; cancelling {len(left)} activation(s) for a refund ...")
    sink = sink or Results(e, stream=True)
    try:
        got = _settle(e, left, after_signal=True, budget=budget, sink=sink)
        failed = got.left
    except (KeyboardInterrupt, OtpError):
        failed = -1  # out of time or interrupted again; _settle recorded what is left
    if failed:
        return Interrupted(
            "interrupted; "
            + (f"{failed} activation(s)" if failed > 0 else "some activations")
            + " could not be cancelled now",
            signal_exit=code,
            hint="they are marked cancel_pending; settle them: `otp cancel --pending --wait`",
        )
    return Interrupted(f"interrupted; {len(left)} activation(s) settled", signal_exit=code)
