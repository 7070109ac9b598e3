"""`otp sandbox serve/reset/deliver/scenarios`: run and steer the built-in simulator.

Contract:

- `serve [--port N] [--host H] [--dialect NAME] [--time-scale X] [--sms-delay S]
  [--early-cancel S] [--lifetime S]` listens on 127.0.0.1 (port 0: any free port) unless
  `--host` is given; a host that is not loopback gets a warning, because anyone who
  reaches it can use the simulator. `--dialect` (else `OTPCLI_SANDBOX_DIALECT`, else the
  default sandbox) makes it answer as that host family does (`otpcli.sandbox.dialects`);
  the time options override `OTPCLI_SANDBOX_TIME_SCALE`, `_SMS_DELAY`, `_EARLY_CANCEL` and
  `_LIFETIME` (sandbox seconds; see `otpcli.sandbox`). Once listening it prints the base
  URL alone on stdout (with `--json`: `{"base_url": URL, "dialect": NAME}`) and a hint
  line on stderr, then serves until Ctrl-C (exit 0) or SIGTERM (exit 143). A port in use
  is bad input (exit 2); an unknown dialect a configuration error (exit 3).
- `reset` forgets every order and refills the wallet: one line on stderr; stdout is empty,
  or `{"reset": true}` with `--json`.
- `deliver ID [CODE]` makes an SMS arrive now (a random code when CODE is left out) and
  prints the code on stdout (`{"id", "code"}` with `--json`). Unknown id: exit 5; an
  order that is finished, cancelled or expired: exit 8.
- `fault ACTION KIND [--count N]` plans a fault for the next N requests of ACTION (all of
  them without --count; ACTION `*` means every action; KIND `none` removes ACTION's fault);
  `fault --clear` removes every planned fault; `fault` alone prints the plan (a table on
  stdout, or a JSON list of `{"action", "fault", "remaining", "source"}`). Kinds and how
  the plan is shared are in `otpcli.sandbox.faults`; a bad ACTION or KIND is exit 2.
- `scenarios` prints the special service codes (`otpcli.sandbox.SCENARIOS`) as a table
  on stdout, or a JSON list of `{"service", "kind", "behaviour"}`.

Every command works on the state dir of `otpcli.services.config.state_dir()` (`OTPCLI_STATE_DIR`),
the same one `otp --sandbox ...` uses. The simulator (sqlite3, http.server) is imported
inside the commands so that `otp --help` does not pay for it.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Annotated, Any

import typer

from otpcli.cli.common import JsonOpt, id_argument, setup
from otpcli.cli.render import Listing
from otpcli.services import config

if TYPE_CHECKING:
    from otpcli.cli.render import Env

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Run and steer the built-in simulator."
)


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


# serve's dialect and time options (None: the OTPCLI_SANDBOX_* variable, else the default)
_Dialect = Annotated[
    str | None,
    typer.Option(
        "--dialect",
        help="Answer as this host family does: smsactivate, herosms, grizzlysms, smshub "
        "(default: OTPCLI_SANDBOX_DIALECT, else the plain sandbox).",
        show_default=False,
    ),
]
_TimeScale = Annotated[
    float | None,
    typer.Option("--time-scale", min=0.001, help="Sandbox seconds per real second (default: 1)."),
]
_SmsDelay = Annotated[
    float | None,
    typer.Option("--sms-delay", min=0, help="Sandbox seconds from purchase to the SMS."),
]
_EarlyCancel = Annotated[
    float | None,
    typer.Option(
        "--early-cancel", min=0, help="Sandbox seconds after purchase a cancel is refused."
    ),
]
_Lifetime = Annotated[
    float | None,
    typer.Option("--lifetime", min=0.001, help="Sandbox seconds from purchase to expiry."),
]


def _preset(dialect: str | None) -> str:
    """The provider name that speaks `dialect` (a preset where there is one)."""
    from otpcli import providers

    return dialect if dialect and dialect in providers.PROVIDERS else providers.GENERIC


@app.command()
def serve(
    ctx: typer.Context,
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to listen on (0: any free).")
    ] = 0,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help="Address to listen on (default: 127.0.0.1). Anything but loopback exposes "
            "the simulator to the network.",
            show_default=False,
        ),
    ] = None,
    dialect: _Dialect = None,
    time_scale: _TimeScale = None,
    sms_delay: _SmsDelay = None,
    early_cancel: _EarlyCancel = None,
    lifetime: _Lifetime = None,
    json_: JsonOpt = False,
) -> None:
    """Run the simulator standalone; print its base URL; stop with Ctrl-C.

    Example: otp sandbox serve --port 8080 --dialect herosms --early-cancel 1
    """
    e = setup(ctx, json_=json_)
    from otpcli.sandbox.httpd import rendering
    from otpcli.sandbox.httpd import serve as run
    from otpcli.sandbox.state import Timing

    if host is not None and not _is_loopback(host):
        e.warn(f"listening on {host}: anyone who can reach it can use the sandbox")
    speech = rendering(dialect)  # an unknown name stops here, before listening

    def ready(base_url: str) -> None:
        e.result({"base_url": base_url, "dialect": speech.name or None}, base_url)
        # A line to paste as it is into another shell; the comment is the shell's.
        e.info(
            f"export OTPCLI_PROVIDER={_preset(speech.name)} OTPCLI_BASE_URL={base_url} "
            "OTPCLI_API_KEY=play  # paste in another shell; Ctrl-C here stops the sandbox"
        )

    timing = Timing(time_scale, sms_delay, early_cancel, lifetime)
    run(
        config.state_dir(),
        host=host or "127.0.0.1",
        port=port,
        ready=ready,
        dialect=speech.name,
        timing=timing,
    )
    e.info("sandbox stopped")


@app.command()
def reset(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Forget every sandbox order and refill the play-money wallet.

    Example: otp sandbox reset
    """
    e = setup(ctx, json_=json_)
    from otpcli.sandbox import CURRENCY, START_BALANCE
    from otpcli.sandbox.state import SandboxState

    state = SandboxState(config.state_dir())
    try:
        state.reset()
    finally:
        state.close()
    e.done({"reset": True}, f"sandbox reset: no orders, balance {START_BALANCE} {CURRENCY}")


@app.command()
def deliver(
    ctx: typer.Context,
    activation_id: Annotated[str, id_argument("Sandbox activation id.", metavar="ID")],
    code: Annotated[
        str | None,
        typer.Argument(help="The code to send (default: a random one).", show_default=False),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Make the SMS of a sandbox activation arrive now; print its code.

    Example: otp sandbox deliver "$ID" 123456
    """
    e = setup(ctx, json_=json_)
    from otpcli.sandbox.state import SandboxState

    state = SandboxState(config.state_dir())
    try:
        sent = state.deliver(activation_id, code)
    finally:
        state.close()
    e.result({"id": activation_id, "code": sent}, sent)


@app.command()
def fault(
    ctx: typer.Context,
    action: Annotated[
        str | None,
        typer.Argument(help="Protocol action, e.g. getNumber; * for all.", show_default=False),
    ] = None,
    kind: Annotated[
        str | None,
        typer.Argument(
            help="500, html, hang, reset, empty, garbage, reset_after_charge; none removes.",
            show_default=False,
        ),
    ] = None,
    count: Annotated[
        int | None,
        # The bound keeps N within SQLite's integers (a larger one was an OverflowError).
        typer.Option(
            "--count",
            min=1,
            max=1_000_000_000,
            help="Only the next N matching requests (default: all).",
        ),
    ] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove every planned fault.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Make the simulator misbehave on purpose; alone: show the fault plan.

    Example: otp sandbox fault getNumber reset_after_charge --count 1
    """
    e = setup(ctx, json_=json_)
    from otpcli.domain.errors import BadInput
    from otpcli.sandbox import faults

    if clear and (action or kind or count):
        raise BadInput("give either --clear or ACTION KIND, not both")
    if action is not None and kind is None:
        raise BadInput(
            f"which fault for {action}? `otp sandbox fault {action} KIND`",
            hint=f"KIND is one of: {', '.join(faults.KINDS)}, or {faults.NONE}",
        )
    planned = faults.check(action, kind, count) if action and kind else None
    plan = _apply_fault(clear=clear, planned=planned)
    _show_fault(e, clear=clear, planned=planned, plan=plan)


def _apply_fault(*, clear: bool, planned: Any) -> list[tuple[str, str, int | None, str]]:
    """Clear the plan or set/remove one fault; the plan as it then stands."""
    from otpcli.sandbox import faults
    from otpcli.sandbox.state import SandboxState

    state = SandboxState(config.state_dir())
    try:
        if clear:
            state.clear_faults()
        elif planned is not None:
            removing = planned.kind == faults.NONE
            state.set_fault(planned.action, None if removing else planned.kind, planned.count)
        return list(state.fault_plan())
    finally:
        state.close()


def _show_fault(
    e: Env, *, clear: bool, planned: Any, plan: list[tuple[str, str, int | None, str]]
) -> None:
    from otpcli.sandbox import faults

    if clear:
        e.done({"cleared": True}, "sandbox: no faults planned")
    elif planned is not None:
        removed = planned.kind == faults.NONE
        times = "every request" if planned.count is None else f"the next {planned.count}"
        e.done(
            {
                "action": planned.action,
                "fault": None if removed else planned.kind,
                "count": planned.count,
            },
            f"sandbox: {planned.action}: "
            + ("no fault" if removed else f"{planned.kind} on {times}"),
        )
    else:
        e.show(
            Listing(
                [{"action": a, "fault": k, "remaining": r, "source": src} for a, k, r, src in plan],
                ["action", "fault", "remaining", "from"],
                [(a, k, "always" if r is None else str(r), src) for a, k, r, src in plan],
                empty="no faults planned",
            )
        )


@app.command()
def scenarios(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """List the special service codes that make the simulator misbehave on purpose.

    Example: otp sandbox scenarios
    """
    e = setup(ctx, json_=json_)
    from otpcli.sandbox import SCENARIOS

    rows = [
        (s.service if s.kind == "service" else f"{s.service} ({s.kind})", s.behaviour)
        for s in SCENARIOS
    ]
    e.show(
        Listing(
            [{"service": s.service, "kind": s.kind, "behaviour": s.behaviour} for s in SCENARIOS],
            ["service", "what happens"],
            rows,
        )
    )
