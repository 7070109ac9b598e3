"""Many activations at once: `otp wait ID ID ...` and `otp buy SERVICE --count N --wait`.

One process, one connection pool per provider, one overall deadline. Each code is
printed the moment it arrives as an `ID CODE` line (a JSON line with --json). Those
that end without a code are cleaned up by the same core policy as a single wait
(`otpcli.core.cleanup`, concurrently, within `--cleanup-timeout`): a code that arrives
during the clean-up is printed and is no failure; the rest are cancelled for a refund
unless --keep, or left `cancel_pending` in the journal when that cannot be done now.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import typer

from otpcli.cli import deadline
from otpcli.cli.context import provider_for
from otpcli.core.cleanup import DEFAULT_BUDGET
from otpcli.core.errors import ExitCode, Interrupted, NoCode, OtpError, WaitTimeout
from otpcli.render import Env

if TYPE_CHECKING:
    from otpcli.core.models import StatusResult
    from otpcli.core.orders import JournaledProvider
    from otpcli.core.waiting import Outcome


@contextmanager
def providers_for(
    ctx: typer.Context, ids: list[str]
) -> Iterator[list[tuple[JournaledProvider, str]]]:
    """Open one provider per place the journal says the orders live, shared by its ids."""
    from otpcli.core.session import open_journal

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


def _print_code(e: Env, st: StatusResult) -> None:
    if e.json:
        e.json_doc({"id": st.id, "code": st.code, "text": st.text})
    else:
        e.out(f"{st.id} {st.code or st.text}")


def wait_many(
    e: Env,
    targets: list[tuple[JournaledProvider, str]],
    *,
    timeout: float | None,
    interval: float | None,
    keep: bool,
    cleanup: float = DEFAULT_BUDGET,
) -> None:
    """Wait for all; print codes as they come; clean up the rest; raise if any failed."""
    from otpcli.cli.options import poll_interval
    from otpcli.core.waiting import DEFAULT_TIMEOUT, Outcome, wait_for_codes

    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    step = poll_interval(e, interval, [p for p, _ in targets])
    e.info(f"waiting for {len(targets)} codes, up to {limit:g} s ...")
    failures: list[Outcome] = []
    ended: set[str] = set()  # got a code or failed: nothing left to clean up

    def report(outcome: Outcome) -> None:
        ended.add(outcome.activation_id)
        if outcome.status is not None:
            st = outcome.status
            _print_code(e, st)
            if st.code or not st.text:
                return
            # A message with no code found in it: shown whole above, and counted.
            outcome = Outcome(
                outcome.provider,
                outcome.activation_id,
                error=NoCode(f"the message for {st.id} holds no code otp could find"),
            )
        failures.append(outcome)
        assert outcome.error is not None
        if e.json:
            e.json_doc(e.redact_doc({"id": outcome.activation_id, **outcome.error.to_json()}))
        e.info(f"{outcome.activation_id}: {outcome.error.message}")

    try:
        wait_for_codes(targets, timeout=limit, interval=step, on_outcome=report)
    except (KeyboardInterrupt, Interrupted) as intr:
        left = [t for t in targets if t[1] not in ended]
        raise clean_up_after_signal(
            e, left, Interrupted.exit_of(intr), keep=keep, budget=cleanup
        ) from None

    timed_out = [o for o in failures if isinstance(o.error, WaitTimeout)]
    if timed_out and not keep:
        e.info(f"cancelling {len(timed_out)} for a refund (clean-up up to {cleanup:g} s) ...")
        try:
            got = _settle(e, [_target(o) for o in timed_out], after_signal=False, budget=cleanup)
        except (KeyboardInterrupt, Interrupted) as intr:
            raise Interrupted(
                "interrupted while cancelling the activations that got no code",
                signal_exit=Interrupted.exit_of(intr),
                hint="those not cancelled yet are marked cancel_pending: "
                "`otp cancel --pending --wait` settles them",
            ) from None
        # A code that arrived during the clean-up was printed: it is no failure.
        failures = [o for o in failures if o.activation_id not in got.codes]
        timed_out = [o for o in timed_out if o.activation_id not in got.codes]
    if failures:
        first = timed_out[0].error if timed_out else failures[0].error
        assert first is not None
        # The summary keeps the class (hence exit code) of the most telling failure.
        raise first.with_message(
            f"{len(failures)} of {len(targets)} activations got no code ({first.message})",
            hint="see the lines above; `otp orders --active` lists what is left",
        )


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
) -> Cleaned:
    """Settle each activation with the core policy, concurrently. A code that arrived is
    printed; each one not cancelled (refused, failed, or not reached before a signal or
    the clean-up deadline cut this short) is marked cancel_pending for `otp cancel
    --pending` before this returns or re-raises: the refund it is owed is never forgotten."""
    from otpcli.core.cleanup import Outcome as Done
    from otpcli.core.cleanup import settle
    from otpcli.core.waiting import thread_pool

    done: set[str] = set()
    cleaned = Cleaned()
    lock = threading.Lock()

    def one(target: tuple[JournaledProvider, str]) -> None:
        provider, activation_id = target
        got = settle(
            provider,
            activation_id,
            wait_out_window=not after_signal,
            budget=0.0 if after_signal else budget,
            on_note=lambda oid, what: e.info(f"  {oid}: {what}"),
        )
        with lock:
            done.add(activation_id)
            if got.outcome is Done.CODE and got.status is not None:
                cleaned.codes.add(activation_id)
                e.info(f"{activation_id}: the code arrived during clean-up; it is yours")
                _print_code(e, got.status)
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
) -> Interrupted:
    if keep or not left:
        return Interrupted(
            f"interrupted; {len(left)} activation(s) kept",
            signal_exit=code,
            hint="resume with `otp wait ID ...`",
        )
    e.info(f"interrupted; cancelling {len(left)} activation(s) for a refund ...")
    try:
        got = _settle(e, left, after_signal=True, budget=budget)
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
