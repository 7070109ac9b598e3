"""Entry point for `otp`, `otpcli` and `python -m otpcli`.

The commands scripts call most start without Typer (DESIGN §5): `otp --version` (and
its twins `otp -V`, `otp version`) is answered before anything is imported (the budget
is twice a bare interpreter start), and a plain `otp balance` or `otp status ID` runs
through cli/quick.py. Every other command line goes to the Typer app.
`otp __complete KIND ...` (hidden; the completion scripts call it for profile names and
order ids) runs otpcli/_complete.py alone.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from otpcli.cli.render import Env


def main(argv: list[str] | None = None, env: Env | None = None) -> int:
    """Run `otp` with `argv` (default: this process's arguments) writing through `env`
    (default: this process's streams); return the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if argv in (["--version"], ["-V"], ["version"]):
        from otpcli import __version__

        sys.stdout.write(f"otp {__version__}\n")
        return 0
    if argv[:1] == ["__complete"]:
        from otpcli._complete import main as complete

        return complete(argv[1:])
    from otpcli.cli.quick import parse

    run = parse(argv, env)
    if run is not None:
        from otpcli.cli.failures import guarded

        return guarded(run, run.env)
    from otpcli.cli.app import main as app_main

    return app_main(argv, env)


if __name__ == "__main__":
    sys.exit(main())
