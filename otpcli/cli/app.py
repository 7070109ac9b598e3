"""The root Typer app: global options, command registration, and the error boundary
(`OtpGroup.invoke`) that hands every exception to the one mapping in cli/failures.py.
Global options written after the command name are moved in front of it before Click
parses the line (`OtpGroup.parse_args`, with cli/options.py's `hoist`, the fast path's too).

Click's own usage errors ("No such command 'X'") are reported like every other error
(cli/usage.py words them, with the closest commands; cli/failures.py prints them): they
quote the command line, which may hold a key, so every key this run knows (the config's
profiles' included) is masked. Ctrl-C at a prompt (Click's Abort) is exit 130;
an argument that is not UTF-8 is refused (exit 2) before it is parsed.

Command modules are imported here but must stay light: no requests, sqlite3 or
rich.live at their top level.
"""

from __future__ import annotations

import functools
import importlib
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from otpcli._version import __version__
from otpcli.cli.failures import guarded, report
from otpcli.cli.options import GlobalOptions, Spec, global_options, hoist, start
from otpcli.cli.render import Env

EXIT_CODE_HELP = (
    "Exit codes: 0 ok, 1 internal error, 2 bad input or unsupported, 3 configuration, "
    "4 key rejected, 5 no such order, 6 not enough money or spending cap reached, "
    "7 nothing available, "
    "8 the order cannot do that now, 9 provider or network failure, "
    "10 a message came but held no code (its text is printed), 74 stdout could not be "
    "written, 124 timed out, 130/143 interrupted."
)
EXAMPLES_HELP = (
    "Try it with play money: otp --sandbox buy tg --wait. "
    'In a script: read -r ID NUMBER < <(otp buy wa -c 22); CODE=$(otp wait "$ID").'
)


RAW_ARGS = "otpcli.raw_args"


@functools.cache
def _converted(module_name: str, sub: str | None) -> Any:
    """The Click command for one command (or a whole sub-app when `sub` is None).

    Only the command being run is converted: Typer's conversion inspects every
    parameter of every function it is given, which costs start-up time (DESIGN §5).
    """
    app: typer.Typer = importlib.import_module(module_name).app
    if sub is not None:
        for info in app.registered_commands:
            if info.name == sub:
                single = typer.Typer(add_completion=False)
                single.registered_commands = [info]
                return typer.main.get_command(single)
    return typer.main.get_command(app)


class OtpGroup(TyperGroup):
    """Runs every command inside the single error-to-exit-code mapping."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in COMMANDS:
            return found
        module_name, sub, panel = COMMANDS[cmd_name]
        cmd = _converted(module_name, sub)
        if cmd is not None:
            cmd.name = cmd_name
            cmd.rich_help_panel = panel
        return cmd

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        ctx.meta[RAW_ARGS] = tuple(args)
        # The run's Env came in with `main(argv, env)` (as ctx.obj), else it is read off
        # this process's streams now: the streams (and their TTY flags) are this run's.
        e = start(global_options(ctx))
        try:
            _refuse_undecodable(args)
            args = hoist(args, functools.partial(self._spec, ctx))
            return super().parse_args(ctx, args)
        except typer.TyperException as exc:
            raise _usage_failure(ctx, exc) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # before any command: the same one mapping
            raise typer.Exit(report(exc, e)) from None

    def _spec(self, ctx: Any, path: tuple[str, ...]) -> Spec | None:
        """What the command at `path` defines itself (for `hoist`), or None."""
        cmd: Any = self
        for name in path:
            cmd = cmd.get_command(ctx, name) if hasattr(cmd, "get_command") else None
            if cmd is None:
                return None
        flags: set[str] = set()
        values: set[str] = set()
        for param in cmd.params:
            if param.param_type_name == "option":
                names = [*param.opts, *param.secondary_opts]
                (flags if param.is_flag or param.count else values).update(names)
        return Spec(frozenset(flags), frozenset(values), group=hasattr(cmd, "get_command"))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except typer.Exit:
            raise
        except typer.Abort as exc:
            # Click's prompt turns Ctrl-C (and Ctrl-D) into Abort, which Click ends with 1.
            raise typer.Exit(report(_aborted(exc), global_options(ctx).env)) from None
        except typer.TyperException as exc:
            raise _usage_failure(ctx, exc) from None
        except BrokenPipeError:
            raise  # stdout's reader went away: guarded() ends quietly
        except (Exception, KeyboardInterrupt) as exc:  # the one mapping: cli/failures.py
            from otpcli.domain.errors import BadInput

            if isinstance(exc, BadInput):
                # Refused while parsing (an id callback), before the command merged its
                # own --json: the line's --json still asks for the JSON document.
                _json_if_asked(ctx)
            raise typer.Exit(report(exc, global_options(ctx).env)) from None


def _json_if_asked(ctx: Any) -> None:
    """--json anywhere on the line before a `--` turns on the JSON error document."""
    args = ctx.meta.get(RAW_ARGS, ())
    if "--json" in args[: args.index("--") if "--" in args else len(args)]:
        global_options(ctx).env.json = True


def _refuse_undecodable(args: list[str]) -> None:
    """Bytes that are not UTF-8 reach Python as lone surrogates, which no stream can
    print and no provider can be sent: refuse the line at once (exit 2)."""
    for n, arg in enumerate(args, 1):
        if not arg.isascii():
            try:
                arg.encode("utf-8")
            except UnicodeEncodeError:
                from otpcli.domain.errors import BadInput

                raise BadInput(
                    f"argument {n} ({arg.encode('utf-8', 'backslashreplace').decode()!r}) "
                    "is not valid UTF-8 text",
                    hint="give ids, services and names as plain text",
                ) from None


def _aborted(exc: BaseException) -> BaseException:
    """What an Abort stands for: end of input at a prompt is bad input, else Ctrl-C."""
    if isinstance(exc.__context__, EOFError):
        from otpcli.domain.errors import BadInput

        return BadInput(
            "the prompt got no answer (end of input)",
            hint="pass the value another way, e.g. --api-key-stdin for a key",
        )
    return KeyboardInterrupt()


def _usage_failure(ctx: Any, exc: Exception) -> BaseException:
    """What to raise for a Click exception: a usage error goes through the one mapping
    (cli/failures.py: `error:`/`hint:` lines, or the JSON document with --json anywhere
    on the line, exit 2); anything else Click raises (help for a bare group) is Click's.

    Click quotes the offending argument, which may be a key mistyped into the wrong
    place: every key this run knows, the config's profiles' included, is masked."""
    from otpcli.cli.usage import is_usage_error

    if not is_usage_error(exc):
        return exc
    e = global_options(ctx).env
    e.secrets.extend(_profile_keys())
    # `otp buyy --json`: --json after an unknown command was never parsed as an option.
    _json_if_asked(ctx)
    return typer.Exit(report(exc, e))


def _profile_keys() -> list[str]:
    """Every key in the config file: a usage error comes before any profile is chosen."""
    try:
        from otpcli.services import config

        data = config.ConfigStore(config.config_path()).load()
    except Exception:  # a broken config must not hide the usage error
        return []
    return [p.api_key for p in data.profiles.values() if p.api_key]


app = typer.Typer(
    cls=OtpGroup,
    name="otp",
    help="Buy virtual numbers and get the one-time code.\n\n"
    + EXAMPLES_HELP
    + "\n\n"
    + EXIT_CODE_HELP,
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(ctx: typer.Context, value: bool) -> None:
    """--version/-V: eager, so it answers before anything else is parsed."""
    if not value:
        return
    _print_version(debug="--debug" in ctx.meta.get(RAW_ARGS, ()))
    raise typer.Exit()


def _print_version(*, debug: bool) -> None:
    """`otp X.Y.Z`; with --debug, Python and the libraries too (for bug reports)."""
    typer.echo(f"otp {__version__}")
    if debug:
        import platform
        from importlib.metadata import PackageNotFoundError, version

        typer.echo(f"Python {platform.python_version()} ({platform.platform()})")
        for dist in ("typer", "rich", "requests", "urllib3", "platformdirs", "tomli-w"):
            try:
                typer.echo(f"{dist} {version(dist)}")
            except PackageNotFoundError:
                typer.echo(f"{dist} (not installed)")


@app.callback()
def root(
    ctx: typer.Context,
    profile: Annotated[
        str | None, typer.Option("--profile", "-p", help="Profile to use.", show_default=False)
    ] = None,
    sandbox: Annotated[
        bool, typer.Option("--sandbox", help="Use the built-in simulator (play money, no key).")
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="Override the provider's base URL.", show_default=False),
    ] = None,
    json_: Annotated[
        bool, typer.Option("--json", help="Print one JSON document on stdout.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Fewer messages on stderr.")] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Log HTTP calls; show tracebacks.")
    ] = False,
    proxy: Annotated[
        str | None,
        typer.Option(
            "--proxy",
            help="Route provider requests through this proxy URL (HTTPS_PROXY works too).",
            show_default=False,
        ),
    ] = None,
    max_spend: Annotated[
        str | None,
        typer.Option(
            "--max-spend",
            help="Spending cap for every purchase: AMOUNT or AMOUNT/PERIOD (hour, day, week,"
            " month: rolling windows), counted from the journal (OTPCLI_MAX_SPEND works too).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version,
            is_eager=True,
            help="Show the version (with --debug: Python and libraries too).",
        ),
    ] = False,
) -> None:
    opts = global_options(ctx)  # made by parse_args, holding this run's Env
    opts.profile, opts.base_url, opts.sandbox = profile, base_url, sandbox
    opts.json, opts.debug, opts.quiet, opts.proxy = json_, debug, quiet, proxy
    opts.max_spend = max_spend
    start(opts)


@app.command("version", rich_help_panel="Setup")
def version_cmd(ctx: typer.Context) -> None:
    """Show the version (the same as --version and -V; with --debug: libraries too).

    Example: otp version --debug
    """
    _print_version(debug=global_options(ctx).debug)


ACTIVATIONS = "Numbers and codes"
ACCOUNT = "Account and catalog"
PRODUCTS = "Cheap numbers, rentals and e-mail"
SETUP = "Setup"

# Commands by name -> (module, the command in its Typer app or None for the whole
# sub-app, help panel). Only the module of the command being run is imported, so `otp balance`
# pays for neither the other commands' imports nor their conversion to Click.
COMMANDS: dict[str, tuple[str, str | None, str]] = {
    "buy": ("otpcli.cli.activation", "buy", ACTIVATIONS),
    "wait": ("otpcli.cli.activation", "wait", ACTIVATIONS),
    "status": ("otpcli.cli.activation", "status", ACTIVATIONS),
    "finish": ("otpcli.cli.activation", "finish", ACTIVATIONS),
    "cancel": ("otpcli.cli.activation", "cancel", ACTIVATIONS),
    "again": ("otpcli.cli.activation", "again", ACTIVATIONS),
    "orders": ("otpcli.cli.orders", "orders", ACTIVATIONS),
    "run": ("otpcli.cli.run", "run", ACTIVATIONS),
    "balance": ("otpcli.cli.catalog", "balance", ACCOUNT),
    "prices": ("otpcli.cli.catalog", "prices", ACCOUNT),
    "services": ("otpcli.cli.catalog", "services", ACCOUNT),
    "countries": ("otpcli.cli.catalog", "countries", ACCOUNT),
    "providers": ("otpcli.cli.catalog", "providers", ACCOUNT),
    "cheap": ("otpcli.cli.cheap", None, PRODUCTS),
    "rent": ("otpcli.cli.rent", None, PRODUCTS),
    "email": ("otpcli.cli.email", None, PRODUCTS),
    "profile": ("otpcli.cli.profile", None, SETUP),
    "config": ("otpcli.cli.configcmd", None, SETUP),
    "journal": ("otpcli.cli.journalcmd", None, SETUP),
    "sandbox": ("otpcli.cli.sandbox", None, SETUP),
    "completion": ("otpcli.cli.completion", "completion", SETUP),
    "help": ("otpcli.cli.topics", "help", SETUP),
}


def main(argv: list[str] | None = None, env: Env | None = None) -> int:
    """Run `otp` with `argv` (default: this process's arguments) and return the exit code.

    `env` is the run's output environment (streams, TTY flags); by default this process's
    own. Nothing else is global: tests and embedders pass their own Env."""
    opts = GlobalOptions(env=env)
    return guarded(lambda: app(args=argv, prog_name="otp", obj=opts), opts.env)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
