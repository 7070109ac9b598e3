"""`otp journal`: which order journal is in use; `otp journal push` fills a shared one.

`otp journal` names the backend (sqlite or postgresql), its location (a file, or the
URL with the password masked), where that choice came from, the schema version (the
journal is opened, and migrated if it is older) and this runner's id. `--json` gives
the same as one document. A shared journal that cannot be opened is exit 3, with the fix.

`otp journal push [--from PATH]` copies the open orders of a local SQLite journal (a
runner that worked offline) into the shared one, skipping those already there (same
provider, order id and kind at the same place: base URL, and for an order without one
the runner, whose in-process simulator numbers orders like every other's:
`Journal.copy_in`), and says how many it copied. Pushed rows keep the runner that
bought them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from otpcli.cli.common import JsonOpt, ProfileOpt, setup

app = typer.Typer(
    add_completion=False,
    invoke_without_command=True,
    help="The order journal: which one is in use; copy a local one into a shared one.",
)


def _describe(profile: str | None) -> dict[str, Any]:
    from otpcli.services import config, owner
    from otpcli.services.session import journal_backend

    source = config.journal_url(profile=profile)
    backend = journal_backend(profile=profile)
    from otpcli.services.journal import Journal

    journal = Journal(backend=backend)
    try:
        version = journal.schema_version()
    finally:
        journal.close()
    return {
        "backend": backend.name,
        "location": backend.location,
        "source": source.source if source.value else "default",
        "schema_version": version,
        "runner": owner.runner_id(),
    }


@app.callback()
def journal_cmd(ctx: typer.Context, json_: JsonOpt = False, profile: ProfileOpt = None) -> None:
    """Show which order journal is in use: backend, location, schema version, runner id.

    Set OTPCLI_JOURNAL_URL=postgresql://USER:PASSWORD@HOST/DB (or a profile's
    journal_url) to share one journal between many machines.

    Example: otp journal --json | jq -r .backend
    """
    if ctx.invoked_subcommand is not None:
        return
    from otpcli.cli.options import global_options

    e = setup(ctx, json_=json_, profile=profile)
    doc = _describe(global_options(ctx).profile)
    width = max(len(k) for k in doc)
    e.result(doc, "\n".join(f"{k.replace('_', ' '):<{width}}  {v}" for k, v in doc.items()))


@app.command("push")
def push_cmd(
    ctx: typer.Context,
    from_: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="The local journal to copy: its file or its state dir "
            "(default: this state dir's journal.sqlite3).",
            show_default=False,
        ),
    ] = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Copy a local journal's open orders into the shared journal (after working offline).

    Orders already there (same provider, id and kind at the same base URL, or of the
    same runner when there is none) are skipped, so a second push copies nothing;
    orders without an id (purchase outcome unknown) cannot be matched and stay local.

    Example: OTPCLI_JOURNAL_URL=postgresql://ci@db/otp otp journal push
    """
    from otpcli.cli.options import global_options
    from otpcli.domain.errors import ConfigError
    from otpcli.services import config
    from otpcli.services.journal import ACTIVE_STATES, FILE_NAME, Journal
    from otpcli.services.session import journal_backend
    from otpcli.sqlite import SqliteBackend

    e = setup(ctx, json_=json_, profile=profile)
    target = journal_backend(profile=global_options(ctx).profile)
    if target.name == "sqlite":
        raise ConfigError(
            "there is no shared journal to push to",
            hint="set OTPCLI_JOURNAL_URL=postgresql://... (or a profile's journal_url)",
        )
    source = from_ if from_ is not None else config.state_dir()
    path = source / FILE_NAME if source.is_dir() else source
    if not path.is_file():
        raise ConfigError(f"no local journal at {path}", hint="give its file: --from PATH")
    local = Journal(backend=SqliteBackend(path))
    try:
        rows = [o for o in local.iter_orders(newest_first=False) if o.state in ACTIVE_STATES]
    finally:
        local.close()
    shared = Journal(backend=target)
    try:
        copied = shared.copy_in(rows, note=f"pushed from {path}")
    finally:
        shared.close()
    doc = {"from": str(path), "to": target.location, "open": len(rows), "copied": copied}
    e.done(doc, f"{copied} of {len(rows)} open order(s) copied to {target.location}")
