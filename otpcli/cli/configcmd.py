"""`otp config path`: where otp keeps its configuration and its state."""

from __future__ import annotations

import typer

from otpcli.cli.common import JsonOpt, setup

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Where otp keeps its files.")


@app.command("path")
def path_cmd(ctx: typer.Context, json_: JsonOpt = False) -> None:
    """Print the config file's path (and, with --json, the state dir too).

    Example: $EDITOR "$(otp config path)"
    """
    from otpcli.services import config

    e = setup(ctx, json_=json_)
    cfg = config.config_path()
    state = config.state_dir()
    e.result({"config": str(cfg), "config_exists": cfg.exists(), "state_dir": str(state)}, str(cfg))
    e.info(f"state (journal, sandbox): {state}")


@app.callback()
def _group() -> None:
    """Where otp keeps its files."""
