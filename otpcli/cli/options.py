"""The global options of one invocation and the output `Env` they configure.

Typer-free, so the fast path of `otp balance`/`otp status` (cli/quick.py) and the Typer
commands set up a run the same way: `start` for the options before the command name,
`merge` for a command's own `--json`/`-p`, which win over the global ones.
`poll_interval` is the one place a waiting command turns `--interval` into seconds
between polls, warning when the user asks for more than the provider advises.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from otpcli.render import Env, env, set_env

if TYPE_CHECKING:
    import typer

    from otpcli.core.waiting import Paced


class GlobalOptions:
    """The options given before the command name (a plain class: see core/models.py)."""

    def __init__(
        self,
        *,
        profile: str | None = None,
        base_url: str | None = None,
        sandbox: bool = False,
        json: bool = False,
        debug: bool = False,
        quiet: bool = False,
    ) -> None:
        self.profile = profile
        self.base_url = base_url
        self.sandbox = sandbox
        self.json = json
        self.debug = debug
        self.quiet = quiet


def global_options(ctx: typer.Context) -> GlobalOptions:
    """The options the root callback stored on the root context (defaults if it did not run)."""
    root = ctx.find_root()
    if not isinstance(root.obj, GlobalOptions):
        root.obj = GlobalOptions()
    return root.obj


def start(opts: GlobalOptions) -> Env:
    """A fresh Env for this run (its streams and TTY flags) with the global flags applied."""
    e = set_env(Env.from_system())
    e.json, e.quiet, e.debug = opts.json, opts.quiet, opts.debug
    # The key may come from the environment before any profile is read: mask it from the start.
    e.secrets.append(os.environ.get("OTPCLI_API_KEY", ""))
    return e


def merge(opts: GlobalOptions, *, json_: bool = False, profile: str | None = None) -> Env:
    """Fold a command's own --json/--profile into the global options; return the Env."""
    if json_:
        opts.json = True
    if profile:
        opts.profile = profile
    e = env()
    e.json = opts.json
    e.quiet = opts.quiet or e.quiet
    e.debug = opts.debug
    return e


def poll_interval(e: Env, requested: float | None, providers: Iterable[Paced]) -> float:
    """Seconds between polls for one waiting command: `--interval` if given, else the
    providers' advice (the slowest of several), never under 1 s. When `--interval` is
    shorter than a provider's advice, one warning on stderr says so: hosts rate-limit or
    ban keys that poll too often. Call it once per command."""
    from otpcli.core.waiting import MIN_INTERVAL, effective_interval

    paced = list(providers)
    step = max(effective_interval(requested, p) for p in paced)
    if requested is None:
        return step
    strictest = max(paced, key=lambda p: p.poll_interval)
    advice = strictest.poll_interval
    if requested < advice:
        title = getattr(strictest, "title", "the provider")
        floor = f" (the minimum {MIN_INTERVAL:g} s)" if requested < MIN_INTERVAL else ""
        e.warn(
            f"--interval {requested:g} is shorter than the {advice:g} s between polls that "
            f"{title} advises; polling every {step:g} s{floor} may get the key rate-limited"
        )
    return step
