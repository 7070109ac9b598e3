"""`otp journal`: which order journal is in use; `otp journal push` fills a shared one.

`otp journal` names the backend (sqlite or postgresql), its location (a file, or the
URL with the password masked), where that choice came from, the schema version (the
journal is opened, and migrated if it is older) and this runner's id. `--json` gives
the same as one document. A shared journal that cannot be opened is exit 3, with the fix.
"""

from __future__ import annotations

from typing import Any

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
