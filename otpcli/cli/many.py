"""Many activations at once: `otp wait ID ID ...` and `otp buy SERVICE --count N --wait`.

One process, one connection pool per provider, one overall deadline. Each code is
printed the moment it arrives as an `ID CODE` line (a JSON line with --json). Those
that end without a code are cleaned up exactly as for a single wait: cancelled for a
refund unless --keep, left `cancel_pending` in the journal when the provider refuses
for now after a signal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING

import typer

from otpcli.cli.context import provider_for
from otpcli.core.errors import ExitCode, Interrupted, OtpError, WaitTimeout
from otpcli.render import Env

if TYPE_CHECKING:
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


def wait_many(
    e: Env,
    targets: list[tuple[JournaledProvider, str]],
    *,
    timeout: float | None,
    interval: float | None,
    keep: bool,
) -> None:
    """Wait for all; print codes as they come; clean up the rest; raise if any failed."""
    from otpcli.core.waiting import DEFAULT_TIMEOUT, effective_interval, wait_for_codes

    limit = DEFAULT_TIMEOUT if timeout is None else timeout
    step = max(effective_interval(interval, p) for p, _ in targets)
    e.info(f"waiting for {len(targets)} codes, up to {limit:g} s ...")
    failures: list[Outcome] = []

    def report(outcome: Outcome) -> None:
        if outcome.status is not None:
            st = outcome.status
            if e.json:
                e.json_doc({"id": st.id, "code": st.code, "text": st.text})
            else:
                e.out(f"{st.id} {st.code}")
            return
        failures.append(outcome)
        assert outcome.error is not None
        if e.json:
            e.json_doc({"id": outcome.activation_id, **outcome.error.to_json()})
        e.info(f"{outcome.activation_id}: {outcome.error.message}")

    try:
        wait_for_codes(targets, timeout=limit, interval=step, on_outcome=report)
    except (KeyboardInterrupt, Interrupted) as intr:
        code = intr.signal_exit if isinstance(intr, Interrupted) else ExitCode.INTERRUPTED
        done = {o.activation_id for o in failures}
        left = [t for t in targets if t[1] not in done]
        raise _after_signal(e, left, code, keep=keep) from None

    timed_out = [o for o in failures if isinstance(o.error, WaitTimeout)]
    if timed_out and not keep:
        targets_left = [_target(o) for o in timed_out]
        by_id = {activation_id: provider for provider, activation_id in targets_left}
        for activation_id, err in _settle(e, targets_left, wait_out_window=True):
            # The refund is still owed: `otp cancel --pending` settles it later.
            by_id[activation_id].mark_cancel_pending(activation_id, err.message)
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


def _settle(
    e: Env, targets: list[tuple[JournaledProvider, str]], *, wait_out_window: bool
) -> list[tuple[str, OtpError]]:
    """Cancel these for a refund, in parallel; return the ones that could not be."""
    from otpcli.core.waiting import settle_unused

    def one(target: tuple[JournaledProvider, str]) -> tuple[str, OtpError | None]:
        provider, activation_id = target
        try:
            result = settle_unused(provider, activation_id, wait_out_window=wait_out_window)
        except OtpError as err:
            return activation_id, err
        e.info(f"{activation_id}: {result.message}")
        return activation_id, None

    if not targets:
        return []
    with ThreadPoolExecutor(max_workers=min(16, len(targets))) as pool:
        results = list(pool.map(one, targets))
    failed = [(i, err) for i, err in results if err is not None]
    for activation_id, err in failed:
        e.info(f"{activation_id}: could not cancel ({err.message})")
    return failed


def _after_signal(
    e: Env, left: list[tuple[JournaledProvider, str]], code: ExitCode, *, keep: bool
) -> Interrupted:
    if keep or not left:
        return Interrupted(
            f"interrupted; {len(left)} activation(s) kept",
            signal_exit=code,
            hint="resume with `otp wait ID ...`",
        )
    e.info(f"interrupted; cancelling {len(left)} activation(s) for a refund ...")
    from otpcli.cli.deadline import time_limit

    try:
        with time_limit():
            failed = _settle(e, left, wait_out_window=False)
    except (KeyboardInterrupt, OtpError) as cut:
        # Out of time or interrupted again: record every one of them for later; a
        # cancel --pending on one that did get cancelled is answered harmlessly.
        why = cut.message if isinstance(cut, OtpError) else "interrupted twice"
        failed = [(i, OtpError(why)) for _, i in left]
    by_id = {i: p for p, i in left}
    for activation_id, err in failed:
        with contextlib.suppress(OtpError):
            by_id[activation_id].mark_cancel_pending(activation_id, err.message)
    if failed:
        return Interrupted(
            f"interrupted; {len(failed)} activation(s) could not be cancelled now",
            signal_exit=code,
            hint="they are marked cancel_pending; settle them: `otp cancel --pending --wait`",
        )
    return Interrupted(f"interrupted; {len(left)} activation(s) cancelled", signal_exit=code)
