"""Shared option aliases and the per-invocation context of every command.

Options that mean the same thing are spelled the same everywhere (DESIGN §3).
`--json` and `-p/--profile` are accepted both before and after the command name:
`setup()` merges a command's own values with the root callback's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import typer

from otpcli.render import Env, env

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
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
TimeoutOpt = Annotated[
    float | None,
    typer.Option("--timeout", help="Give up after this many seconds (default 600).", min=0),
]
IntervalOpt = Annotated[
    float | None,
    typer.Option(
        "--interval",
        help="Seconds between status checks (default: the provider's advice; at least 1).",
        min=0,
    ),
]


@dataclass
class GlobalOptions:
    profile: str | None = None
    base_url: str | None = None
    sandbox: bool = False
    json: bool = False
    debug: bool = False
    quiet: bool = False


def global_options(ctx: typer.Context) -> GlobalOptions:
    root = ctx.find_root()
    if not isinstance(root.obj, GlobalOptions):
        root.obj = GlobalOptions()
    return root.obj


def setup(ctx: typer.Context, *, json_: bool = False, profile: str | None = None) -> Env:
    """Merge per-command --json/--profile into the global options; return the output Env."""
    opts = global_options(ctx)
    if json_:
        opts.json = True
    if profile:
        opts.profile = profile
    e: Env = env()
    e.json = opts.json
    e.quiet = opts.quiet or e.quiet
    e.debug = opts.debug
    return e
