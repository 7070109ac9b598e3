"""`otp run SERVICE [buy options] -- CMD [ARGS...]`: buy one number, run CMD with it,
then settle the number (DESIGN §8).

The purchase is `otp buy`'s (the same journaled provider, names and --max-price); the
child process, its signals and the settling decision are `otpcli.services.run`'s; the
clean-up after a run without a code is the one policy under the CLI's time bounds
(cli/deadline.py's `clean_up`: --cleanup-timeout, 5 s after a signal).

Streams: CMD inherits stdin, stdout and stderr; otp's own lines go to stderr. With
--json, CMD's stdout goes to otp's stderr, so stdout holds only otp's one document.
Exit code: CMD's (see `EXIT_HELP`), unless the number could not be refunded.
"""

from __future__ import annotations

import os
import sys
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
from otpcli.domain.errors import BadInput, ExitCode, Interrupted

if TYPE_CHECKING:
    from otpcli.cli.render import Env
    from otpcli.domain.models import Activation
    from otpcli.services.run import Ran, Settlement

EXIT_HELP = (
    "Exit code: CMD's own; 128+N if a signal N killed it; 124 if --timeout stopped it; "
    "127 if CMD was not found and 126 if it could not be executed (the number is refunded "
    "first); 130/143 if otp got SIGINT/SIGTERM (passed to CMD first, then the clean-up). "
    "If the number got no code and could not be refunded within --cleanup-timeout, the "
    "refusal's exit code instead (8: the provider still refuses the cancel, 9: provider "
    "or network failure): it is left cancel_pending for `otp cancel --pending --wait`. "
    "If the purchase fails, CMD is not run and the exit code is otp's usual one."
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


def run_cmd(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service code, e.g. tg or wa.")],
    command: Annotated[
        list[str] | None,
        typer.Argument(
            help="-- CMD [ARGS...]: the command to run, after `--`.",
            metavar="-- CMD [ARGS]...",
            show_default=False,
        ),
    ] = None,
    country: CountryOpt = None,
    operator: OperatorOpt = None,
    server: ServerOpt = None,
    max_price: Annotated[
        str | None, typer.Option("--max-price", help="Refuse to pay more than this.")
    ] = None,
    timeout: CmdTimeoutOpt = None,
    cleanup_timeout: CleanupOpt = CLEANUP_DEFAULT,
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
    argv = _command(ctx, command)
    limit = _max_price(max_price)
    _run(ctx, e, argv, service, country, operator, server, limit, timeout, cleanup_timeout)


def _run(
    ctx: typer.Context,
    e: Env,
    argv: list[str],
    service: str,
    country: str | None,
    operator: str | None,
    server: str | None,
    limit: Any,
    timeout: float | None,
    cleanup: float,
) -> None:
    from otpcli.cli.context import provider_for
    from otpcli.cli.deadline import clean_up
    from otpcli.services.names import resolve_target
    from otpcli.services.run import run_child, settle_after

    with provider_for(ctx) as (provider, settings):
        target = resolve_target(provider, settings, service, country=country, server=server)
        assert target.service is not None
        act: Activation = provider.buy(
            target.service,
            country=target.country,
            operator=operator or settings.operator.value,
            server=target.server,
            max_price=limit,
        )
        cost = f" for {act.price} {act.currency or ''}".rstrip() if act.price is not None else ""
        e.info(f"bought {act.service} number {act.number} (id {act.id}){cost}; running {argv[0]}")
        env = _child_env(ctx, act, settings)
        sys.stdout.flush()
        sys.stderr.flush()
        ran = run_child(
            argv,
            env,
            timeout=timeout,
            stdout=_stderr_fd() if e.json else None,
            own_group=not e.stdin_isatty,
        )
        _said_how_it_ended(e, argv, ran)
        provider.claim(act.id)  # a nested `otp wait` took it over, then let it go
        if ran.signal is not None:
            e.info(f"settling {act.id} (Ctrl-C again to skip) ...")
        settlement = settle_after(
            provider,
            act.id,
            lambda: clean_up(
                e, provider, act.id, after_signal=ran.signal is not None, budget=cleanup
            ),
        )
    _report(e, act, ran, settlement)


def _stderr_fd() -> int:
    """Where CMD's stdout goes with --json: otp's stderr (fd 2 when it has no file)."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return 2


def _child_env(ctx: typer.Context, act: Activation, settings: Any) -> dict[str, str]:
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
        base_url=opts.base_url,
    )


def _said_how_it_ended(e: Env, argv: list[str], ran: Ran) -> None:
    import signal

    if ran.error is not None:
        e.warn(f"cannot run {ran.error}")
    elif ran.signal is not None:
        e.info(f"{signal.Signals(ran.signal).name} passed to {argv[0]}; it exited {ran.exit_code}")
    elif ran.timed_out:
        e.info(f"{argv[0]} ran past --timeout and was stopped")


def _doc(act: Activation, ran: Ran, st: Settlement) -> dict[str, Any]:
    import signal

    return {
        **act.to_json(),
        "code": st.code,
        "text": st.text,
        "state": st.state,
        "settled": st.settled,
        "cmd_exit_code": ran.exit_code,
        "timed_out": ran.timed_out,
        "signal": None if ran.signal is None else signal.Signals(ran.signal).name,
    }


_SAID = {
    "finished": "a code came; {id} finished",
    "cancelled": "no code; {id} cancelled for a refund",
    "code_received": "a code came; {id} could not be marked finished ({why})",
    "cancel_pending": "no code; {id} could not be refunded yet ({why})",
}


def _report(e: Env, act: Activation, ran: Ran, st: Settlement) -> None:
    """The document (or the stderr line), then the exit code (see EXIT_HELP)."""
    import signal

    doc = _doc(act, ran, st)
    trouble = st.error or st.warning
    why = trouble.message if trouble is not None else ""
    line = _SAID.get(st.settled, "{id} is {state}").format(id=act.id, why=why, state=st.state)
    if ran.signal is not None:
        code = ExitCode.INTERRUPTED if ran.signal == signal.SIGINT else ExitCode.TERMINATED
        stop = Interrupted(f"interrupted; {line}", signal_exit=code)
        if st.error is not None:
            stop.hint = "it is marked cancel_pending: `otp cancel --pending --wait` settles it"
        stop.details = doc
        raise stop
    if st.error is not None:
        err = st.error.with_message(
            f"{line}; exit {st.error.status} instead of CMD's {ran.exit_code}",
            hint="it is marked cancel_pending: `otp cancel --pending --wait` settles it",
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


app = typer.Typer(add_completion=False)
app.command("run", epilog=EXIT_HELP)(run_cmd)
