"""Shared option aliases and the per-invocation context of every command.

Options that mean the same thing are spelled the same everywhere (DESIGN §3).
`--json` and `-p/--profile` are accepted both before and after the command name:
`setup()` merges a command's own values with the root callback's (cli/options.py).
Every order id argument is `id_argument`: checked before anything is sent (domain/ids.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from otpcli.cli.options import global_options, merge
from otpcli.cli.render import Env

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
JsonlOpt = Annotated[
    bool,
    typer.Option(
        "--jsonl",
        help="Print each result as one JSON object per line as soon as it is known "
        "(an error ends the stream as its last line).",
    ),
]
ProfileOpt = Annotated[
    str | None, typer.Option("--profile", "-p", help="Profile to use.", show_default=False)
]
CountryOpt = Annotated[
    str | None, typer.Option("--country", "-c", help="Country id or code.", show_default=False)
]
OperatorOpt = Annotated[
    str | None, typer.Option("--operator", help="Operator (where the provider offers one).")
]
ServerOpt = Annotated[
    str | None,
    typer.Option("--server", help="Provider server / type (where the provider has several)."),
]


def _finite(option: str) -> Callable[[float | None], float | None]:
    """A callback refusing NaN, infinities, negatives and absurd seconds (exit 2)."""

    def check(value: float | None) -> float | None:
        from otpcli.cli.deadline import finite_seconds

        return finite_seconds(value, option)

    return check


TimeoutOpt = Annotated[
    float | None,
    typer.Option(
        "--timeout",
        help="Give up after this many seconds (default 600).",
        callback=_finite("--timeout"),
    ),
]
IntervalOpt = Annotated[
    float | None,
    typer.Option(
        "--interval",
        help="Seconds between status checks (default: the provider's advice; at least 1).",
        callback=_finite("--interval"),
    ),
]


def _checked_ids(value: Any) -> Any:
    """A callback refusing an empty, absurdly long or whitespace-holding id (exit 2)
    before the command runs, so nothing is sent (domain/ids.py)."""
    from otpcli.domain.ids import check_id

    if isinstance(value, list | tuple):
        return [check_id(v) for v in value]
    return value if value is None else check_id(value)


def id_argument(help: str, **kwargs: Any) -> Any:
    """The argument of a command that takes an order id, checked by `_checked_ids`."""
    return typer.Argument(help=help, callback=_checked_ids, **kwargs)


def not_with_sandbox(ctx: typer.Context, option: str, instead: str) -> None:
    """Refuse `option` (a comparison across the configured profiles) with --sandbox.

    The sandbox is one simulated provider and the comparison asks real profiles, with
    real keys: doing both printed the sandbox's promise next to real prices. Refused
    (exit 2) before anything is sent, with the sandbox's own command as the hint."""
    if global_options(ctx).sandbox:
        from otpcli.domain.errors import BadInput

        raise BadInput(
            f"{option} compares your configured profiles; --sandbox is one simulated "
            "provider, with nothing to compare",
            hint=f"drop {option} to use the sandbox: `{instead}`",
        )


def setup(ctx: typer.Context, *, json_: bool = False, profile: str | None = None) -> Env:
    """Merge per-command --json/--profile into the global options; return the output Env."""
    return merge(global_options(ctx), json_=json_, profile=profile)
