"""`otp run SERVICE [buy options] -- CMD [ARGS...]`: buy one number, run CMD with it,
then settle the number (DESIGN §8).

The purchase is `otp buy`'s (the same journaled provider, names and --max-price); the
child process, its signals and the settling decision are `otpcli.services.run`'s; the
clean-up after a run without a code is the one policy under the CLI's time bounds
(cli/deadline.py's `clean_up`: --cleanup-timeout, 5 s after a signal).

Streams: CMD inherits stdin, stdout and stderr; otp's own lines go to stderr. With
--json, CMD's stdout goes to otp's stderr, so stdout holds only otp's one document.
Exit code: CMD's (see `EXIT_HELP`), unless the number could not be refunded.
`-n N` buys N numbers one after the other, runs CMD once per number at once (`OTP_INDEX`
tells them apart), settles them concurrently like `otp wait ID ID`, and prints
`{"results": [...]}`. A failed purchase runs nothing: the numbers already bought are
settled (refunded; finished, code shown, when one came meanwhile) and the failure is
raised saying how each ended, its document carrying them as `results`; its exit code
stays the purchase's unless one could not be settled.
A failure of the journal itself while settling (a shared journal gone down while CMD
ran) leaves the numbers `unsettled`: the error names each (id, number, `state:
unsettled`) and `otp cancel --pending --wait` as the fix (they are orphans then).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from otpcli.cli.common import (
    CountryOpt,
    JsonOpt,
    OperatorOpt,
    ProfileOpt,
    ServerOpt,
    global_options,
    setup,
)
from otpcli.cli.deadline import CLEANUP_DEFAULT, CleanupOpt, finite_seconds
from otpcli.domain.errors import BadInput, ExitCode, Interrupted, OtpError

if TYPE_CHECKING:
    from otpcli.cli.render import Env
    from otpcli.domain.models import Activation
    from otpcli.services.journaled import JournaledProvider
    from otpcli.services.run import Ran, Settlement

EXIT_HELP = (
    "Exit code: CMD's own; 128+N if a signal N killed it; 124 if --timeout stopped it; "
    "127 if CMD was not found and 126 if it could not be executed (the number is refunded "
    "first); 130/143 if otp got SIGINT/SIGTERM (passed to CMD first, then the clean-up). "
    "If the number got no code and could not be refunded within --cleanup-timeout, the "
    "refusal's exit code instead (8: the provider still refuses the cancel, 9: provider "
    "or network failure): it is left cancel_pending for `otp cancel --pending --wait`. "
    "If the purchase fails, CMD is not run and the exit code is otp's usual one; with -n, "
    "the numbers already bought are settled and listed (a code that came is shown). "
    "If the journal cannot be reached after CMD (a shared journal's server down), its "
    "error's code (3): the number is left unsettled for `otp cancel --pending --wait`."
)


def _cmd_timeout(value: float | None) -> float | None:
    return finite_seconds(value, "--timeout")


CmdTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        help="Stop CMD after this many seconds: SIGTERM, then SIGKILL 2 s later; "
        "exit 124. Default: no limit.",
        callback=_cmd_timeout,
        show_default=False,
    ),
]


def _command(ctx: typer.Context, command: list[str] | None) -> list[str]:
    """CMD and its arguments; `--` is required, so CMD's own options stay its own."""
    from otpcli.cli.app import RAW_ARGS

    raw = ctx.find_root().meta.get(RAW_ARGS, ())
    if not command or "--" not in raw:
        raise BadInput(
            "which command? put it after `--`",
            hint='e.g. otp run tg -- ./signup.sh   (the script reads the code: otp wait "$OTP_ID")',
        )
    return list(command)


CommandArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="-- CMD [ARGS...]: the command to run, after `--`.",
        metavar="-- CMD [ARGS]...",
        show_default=False,
    ),
]
CountOpt = Annotated[
    int,
    typer.Option(
        "--count",
        "-n",
        min=1,
        max=100,
        help="Buy this many numbers and run CMD once per number, all at once "
        '(OTP_INDEX 0, 1, ...); --json then gives {"results": [...]}; the exit code '
        "is the first non-zero one in purchase order.",
    ),
]


def run_cmd(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service code, e.g. tg or wa.")],
    command: CommandArg = None,
    country: CountryOpt = None,
    operator: OperatorOpt = None,
    server: ServerOpt = None,
    max_price: Annotated[
        str | None, typer.Option("--max-price", help="Refuse to pay more than this.")
    ] = None,
    timeout: CmdTimeoutOpt = None,
    cleanup_timeout: CleanupOpt = CLEANUP_DEFAULT,
    count: CountOpt = 1,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Buy a number, run CMD with it, then finish the number or refund it.

    CMD's environment has OTP_ID, OTP_NUMBER, OTP_SERVICE, OTP_COUNTRY, OTP_PROFILE.
    CMD reads the code with `otp wait "$OTP_ID"` (same profile, journal and sandbox).
    When CMD ends: a number that got a code (read or not) is finished;
    any other is cancelled for a refund (early-cancel windows within --cleanup-timeout).
    SIGINT/SIGTERM go to CMD (its process group) first; then the clean-up (5 s at most).
    CMD inherits stdout and stderr; otp's own lines go to stderr.
    With --json, stdout is one document (id, number, service, country, price, currency,
    code, text, state, settled, cmd_exit_code, timed_out, signal); CMD's stdout goes to stderr.

    Example: otp run tg -c india --timeout 300 -- ./signup.sh
    (in signup.sh: CODE=$(otp wait "$OTP_ID"))
    """
    from otpcli.cli.activation import _max_price

    e = setup(ctx, json_=json_, profile=profile)
    plan = Plan(
        argv=_command(ctx, command),
        service=service,
        country=country,
        operator=operator,
        server=server,
        max_price=_max_price(max_price),
        timeout=timeout,
        cleanup=cleanup_timeout,
        count=count,
    )
    _run(ctx, e, plan)


@dataclass
class Plan:
    """What `otp run` was asked to do."""

    argv: list[str]
    service: str
    country: str | None
    operator: str | None
    server: str | None
    max_price: Decimal | None
    timeout: float | None
    cleanup: float
    count: int = 1


def _run(ctx: typer.Context, e: Env, plan: Plan) -> None:
    from otpcli.cli.context import provider_for
    from otpcli.services.run import run_children

    with provider_for(ctx) as (provider, settings):
        acts = _buy(e, provider, settings, plan)
        ids = [act.id for act in acts]
        try:
            envs = [_child_env(ctx, act, settings, index=i) for i, act in enumerate(acts)]
            sys.stdout.flush()
            sys.stderr.flush()
            rans = run_children(
                [(plan.argv, env) for env in envs],
                timeout=plan.timeout,
                stdout=_stderr_fd() if e.json else None,
                own_group=not e.stdin_isatty,
            )
            for act, ran in zip(acts, rans, strict=True):
                _said_how_it_ended(e, act.id, plan.argv, ran)
            lost = _claim(provider, ids)  # a nested `otp wait` took them over, then let them go
        except (KeyboardInterrupt, Interrupted):
            # A signal just before or after CMD ran (while it runs, it is CMD's).
            e.info("interrupted; settling (Ctrl-C again to skip) ...")
            _settle(e, provider, ids, after_signal=True, budget=plan.cleanup)
            raise
        interrupted = any(r.signal is not None for r in rans)
        if interrupted:
            e.info("settling (Ctrl-C again to skip) ...")
        settlements = (
            [_unsettled(oid, lost) for oid in ids]
            if lost is not None
            else _settle_all(e, provider, ids, after_signal=interrupted, budget=plan.cleanup)
        )
    if plan.count == 1:
        _report(e, acts[0], rans[0], settlements[0])
    else:
        _report_many(e, acts, rans, settlements)


def _buy(e: Env, provider: JournaledProvider, settings: Any, plan: Plan) -> list[Activation]:
    """`otp buy`'s purchase, `plan.count` times one after the other (never retried). When
    one fails (or a signal comes), CMD is not run: the numbers already bought are settled
    by the one clean-up policy and the failure is raised saying what became of each
    (`_bought_then_failed`)."""
    from otpcli.services.names import Purchase, resolve_purchase

    asked = Purchase(plan.service, plan.country, plan.operator, plan.server, plan.max_price)
    order = resolve_purchase(provider, settings, asked)
    acts: list[Activation] = []
    try:
        for _ in range(plan.count):
            act = provider.buy_resolved(order)
            acts.append(act)
            cost = f" for {act.price} {act.currency or ''}".rstrip() if act.price else ""
            e.info(f"bought {act.service} number {act.number} (id {act.id}){cost}")
    except (OtpError, KeyboardInterrupt) as failure:
        if not acts:  # nothing bought: the failure as it is (with -n, no results)
            if isinstance(failure, OtpError) and plan.count > 1:
                failure.details["results"] = []
            raise
        raise _bought_then_failed(e, provider, plan, acts, failure) from failure
    e.info(f"running {plan.argv[0]}" + (f" {plan.count} times" if plan.count > 1 else ""))
    return acts


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _bought_then_failed(
    e: Env,
    provider: JournaledProvider,
    plan: Plan,
    acts: list[Activation],
    failure: OtpError | KeyboardInterrupt,
) -> OtpError:
    """`-n N` stopped at a failed purchase (or a signal) after buying `acts`: settle them
    (CMD never ran: a code that came is finished and shown, the rest refunded) and return
    the error to raise. Its message says what the failure was about (the purchase that
    failed, not the run) and what became of each number; its document carries them as
    `results`. Exit code: the purchase failure's (130/143 after a signal), unless a
    number could not be settled: then that failure's (8, 9; 3 when the journal failed)."""
    stop = (
        failure
        if isinstance(failure, OtpError)
        else Interrupted("interrupted", signal_exit=ExitCode.INTERRUPTED)
    )
    signal_came = isinstance(stop, Interrupted)
    nth = _ordinal(len(acts) + 1)
    e.info(
        f"bought {len(acts)} of {plan.count}; {plan.argv[0]} not run; "
        f"settling the {len(acts)} bought ..."
    )
    ids = [a.id for a in acts]
    sts = _settle_all(e, provider, ids, after_signal=signal_came, budget=plan.cleanup)
    for act, st in zip(acts, sts, strict=True):
        (e.warn if st.error or st.warning else e.info)(_unused_line(act, st))
    if signal_came:
        what = f"interrupted at the {nth} purchase"
    elif stop.message.endswith("; nothing was sent"):
        what = f"the {nth} purchase was refused (nothing sent for it): "
        what += stop.message.removesuffix("; nothing was sent")
    else:
        what = f"the {nth} purchase failed: {stop.message}"
    failed = [st.error for st in sts if st.error is not None]
    told = ", ".join(_brief(st) for st in sts)
    were = "was" if len(acts) == 1 else "were"
    how = (
        f"of the {len(acts)} bought: {told}"
        if failed
        else f"the {len(acts)} bought {were} settled: {told}"
    )
    base = failed[0] if failed and not signal_came else stop
    err = base.with_message(f"{what}; {how}", hint=_leftover_hint(acts, sts) or stop.hint)
    err.details = {
        **stop.details,
        "results": [_doc(a, None, s) for a, s in zip(acts, sts, strict=True)],
    }
    return err


def _brief(st: Settlement) -> str:
    """How one number ended, for a one-line summary."""
    if st.code:
        return f"{st.order_id} {st.state} with code {st.code}"
    return f"{st.order_id} {st.state}" + (" (refunded)" if st.state == "cancelled" else "")


def _unused_line(act: Activation, st: Settlement) -> str:
    """The stderr line for a number bought but never given to CMD."""
    who = f"{act.id} ({act.number})"
    trouble = st.error or st.warning
    why = f" ({trouble.message})" if trouble is not None else ""
    if st.code:
        return f"{who}: a code came: {st.code}; {st.state}{why} (paid for)"
    if st.settled == "cancelled":
        return f"{who}: cancelled for a refund"
    if st.settled == "cancel_pending":
        return f"{who}: could not be refunded yet{why}; cancel_pending"
    if st.settled == "unsettled":
        return f"{who}: could not be settled{why}; state: unsettled"
    return f"{who}: {st.state}"


def _leftover_hint(acts: list[Activation], sts: list[Settlement]) -> str | None:
    """How to settle what is left owed (None: nothing is)."""
    lost = [
        f"{a.id} ({a.number})" for a, st in zip(acts, sts, strict=True) if st.settled == "unsettled"
    ]
    if lost:
        return (
            f"{', '.join(lost)} state: unsettled (the journal could not record it); once the "
            "journal can be reached again, `otp cancel --pending --wait` settles it: a "
            "refund, or its code if one came"
        )
    owed = sum(1 for st in sts if st.error is not None)
    if owed:
        who, them = ("it is", "it") if owed == 1 else ("they are", "them")
        return f"{who} marked cancel_pending: `otp cancel --pending --wait` settles {them}"
    return None


def _journal_failure(exc: BaseException) -> OtpError | None:
    """What a failure while settling is, when it is not a signal: the OtpError (or the
    database error cli/failures.py maps to one), else None (a bug: raised as it is)."""
    from otpcli.cli.failures import known

    if isinstance(exc, Interrupted):
        return None
    if isinstance(exc, OtpError):
        return exc
    return known(exc) if isinstance(exc, Exception) else None


def _claim(provider: JournaledProvider, ids: list[str]) -> OtpError | None:
    """Take the orders back after CMD; the journal's failure (a shared journal gone
    down while CMD ran) is returned: they are then left unsettled, never forgotten."""
    try:
        provider.claim(*ids)
    except Exception as exc:
        lost = _journal_failure(exc)
        if lost is None:
            raise
        return lost
    return None


def _unsettled(order_id: str, error: OtpError) -> Settlement:
    from otpcli.services.run import Settlement

    return Settlement(order_id, "unsettled", error=error)


def _settle_all(
    e: Env, provider: JournaledProvider, ids: list[str], *, after_signal: bool, budget: float
) -> list[Settlement]:
    """`_settle`, where a failure that stops it (the journal gone down) leaves the orders
    it did not settle `unsettled`: the error reports them, it never hides them."""
    try:
        return _settle(e, provider, ids, after_signal=after_signal, budget=budget)
    except Exception as exc:
        lost = _journal_failure(exc)
        if lost is None:
            raise
        return [_unsettled(oid, lost) for oid in ids]


def _settle(
    e: Env, provider: JournaledProvider, ids: list[str], *, after_signal: bool, budget: float
) -> list[Settlement]:
    """Settle each activation (services.run.settle_after) with the one clean-up policy
    under the CLI's bounds: one order in this thread (cli/deadline.py's `clean_up`),
    several at once in a thread pool under one hard limit, as `otp wait ID ID` does.
    What a cut leaves unsettled is marked cancel_pending."""
    from otpcli.cli import deadline
    from otpcli.cli.render import NoteLine
    from otpcli.services.cleanup import settle
    from otpcli.services.run import settle_after
    from otpcli.services.waiting import thread_pool

    if len(ids) == 1:
        oid = ids[0]
        return [
            settle_after(
                provider,
                oid,
                lambda: deadline.clean_up(
                    e, provider, oid, after_signal=after_signal, budget=budget
                ),
            )
        ]
    note = NoteLine(e)
    done: dict[str, Settlement] = {}

    def one(oid: str) -> None:
        done[oid] = settle_after(
            provider,
            oid,
            lambda: settle(
                provider,
                oid,
                wait_out_window=not after_signal,
                budget=0.0 if after_signal else budget,
                on_note=note,
            ),
        )

    try:
        limit = deadline.hard_limit(budget, after_signal=after_signal)
        with deadline.time_limit(limit), thread_pool(min(16, len(ids))) as pool:
            list(pool.map(one, ids))
    except (Exception, KeyboardInterrupt) as cut:
        stop = (
            Interrupted("interrupted during clean-up", signal_exit=ExitCode.INTERRUPTED)
            if isinstance(cut, KeyboardInterrupt)
            else cut
            if isinstance(cut, Interrupted)
            else _journal_failure(cut)
        )
        if stop is None:
            raise
        for oid in ids:
            if oid not in done:
                done[oid] = _left_pending(provider, oid, stop)
    return [done[oid] for oid in ids]


def _left_pending(provider: JournaledProvider, oid: str, stop: OtpError) -> Settlement:
    """An order a cut left unsettled: marked cancel_pending, or `unsettled` when even
    that cannot be recorded (the journal is down)."""
    from otpcli.services.run import Settlement

    try:
        provider.mark_cancel_pending(oid, stop.message)
    except Exception as exc:
        if _journal_failure(exc) is None:
            raise
        return _unsettled(oid, stop)
    return Settlement(oid, "cancel_pending", error=stop)


def _stderr_fd() -> int:
    """Where CMD's stdout goes with --json: otp's stderr (fd 2 when it has no file)."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return 2


def _child_env(
    ctx: typer.Context, act: Activation, settings: Any, *, index: int = 0
) -> dict[str, str]:
    from otpcli.providers import SANDBOX
    from otpcli.services import config
    from otpcli.services.run import child_env

    opts = global_options(ctx)
    return child_env(
        os.environ,
        act,
        profile=settings.profile.value,
        state_dir=str(config.state_dir().absolute()),
        config_path=str(config.config_path().absolute()),
        provider=SANDBOX if opts.sandbox else None,
        # The checked base URL (its query, where a pasted key could hide, is dropped).
        base_url=settings.base_url.value if opts.base_url else None,
        index=index,
    )


def _said_how_it_ended(e: Env, oid: str, argv: list[str], ran: Ran) -> None:
    import signal

    if ran.error is not None:
        e.warn(f"cannot run {ran.error}")
    elif ran.signal is not None:
        name = signal.Signals(ran.signal).name
        e.info(f"{name} passed to {argv[0]} ({oid}); it exited {ran.exit_code}")
    elif ran.timed_out:
        e.info(f"{argv[0]} ({oid}) ran past --timeout and was stopped")


def _doc(act: Activation, ran: Ran | None, st: Settlement) -> dict[str, Any]:
    """One number's document; `ran` None: CMD was never run for it (cmd_exit_code null)."""
    import signal

    return {
        **act.to_json(),
        "code": st.code,
        "text": st.text,
        "state": st.state,
        "settled": st.settled,
        "cmd_exit_code": None if ran is None else ran.exit_code,
        "timed_out": False if ran is None else ran.timed_out,
        "signal": None if ran is None or ran.signal is None else signal.Signals(ran.signal).name,
    }


_SAID = {
    "finished": "a code came; {id} finished",
    "cancelled": "no code; {id} cancelled for a refund",
    "code_received": "a code came; {id} could not be marked finished ({why})",
    "cancel_pending": "no code; {id} could not be refunded yet ({why})",
    "unsettled": "{id} ({number}) could not be settled ({why}); state: unsettled",
}


def _said(act: Activation, st: Settlement) -> str:
    """The stderr line saying how the number was settled after CMD."""
    trouble = st.error or st.warning
    why = trouble.message if trouble is not None else ""
    line = _SAID.get(st.settled, "{id} is {state}")
    return line.format(id=act.id, number=act.number, why=why, state=st.state)


def _report(e: Env, act: Activation, ran: Ran, st: Settlement) -> None:
    """The document (or the stderr line), then the exit code (see EXIT_HELP)."""
    import signal

    doc = _doc(act, ran, st)
    line = _said(act, st)
    if ran.signal is not None:
        code = ExitCode.INTERRUPTED if ran.signal == signal.SIGINT else ExitCode.TERMINATED
        stop = Interrupted(
            f"interrupted; {line}", signal_exit=code, hint=_leftover_hint([act], [st])
        )
        stop.details = doc
        raise stop
    if st.error is not None:
        err = st.error.with_message(
            f"{line}; exit {st.error.status} instead of CMD's {ran.exit_code}",
            hint=_leftover_hint([act], [st]),
        )
        err.details = doc
        raise err
    if st.warning is not None:
        e.warn(line)
    else:
        e.info(line)
    if e.json:
        e.json_doc(doc)
    if ran.exit_code:
        raise typer.Exit(ran.exit_code)


def _report_many(e: Env, acts: list[Activation], rans: list[Ran], sts: list[Settlement]) -> None:
    """`-n N`: a line per number, one {"results": [...]} document, then the exit code:
    130/143 after a signal, a settling failure's, else the first non-zero CMD's."""
    import signal

    docs = [_doc(a, r, s) for a, r, s in zip(acts, rans, sts, strict=True)]
    for act, st in zip(acts, sts, strict=True):
        e.info(_said(act, st))
    got = next((r.signal for r in rans if r.signal is not None), None)
    failed = [st.error for st in sts if st.error is not None]
    if got is not None:
        code = ExitCode.INTERRUPTED if got == signal.SIGINT else ExitCode.TERMINATED
        stop = Interrupted(
            f"interrupted; {len(sts) - len(failed)} of {len(sts)} number(s) settled",
            signal_exit=code,
            hint=_leftover_hint(acts, sts),
        )
        stop.details = {"results": docs}
        raise stop
    if failed:
        lost = any(st.settled == "unsettled" for st in sts)
        what = "could not be settled" if lost else "could not be refunded yet"
        err = failed[0].with_message(
            f"{len(failed)} of {len(sts)} number(s) {what}: {failed[0].message}",
            hint=_leftover_hint(acts, sts),
        )
        err.details = {"results": docs}
        raise err
    if e.json:
        e.json_doc({"results": docs})
    first = next((r.exit_code for r in rans if r.exit_code), 0)
    if first:
        raise typer.Exit(first)


app = typer.Typer(add_completion=False)
app.command("run", epilog=EXIT_HELP)(run_cmd)
