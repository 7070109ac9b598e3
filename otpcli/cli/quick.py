"""The fast path: `otp balance` and `otp status ID` without importing Typer.

Scripts run these two over and over, and Typer's import and its conversion of the
commands cost about 30 ms of every start (DESIGN §5 allows `otp balance` 1.3x a bare
`requests.get`). `parse` first moves global options written after the command name in
front of it with the same `hoist` as the Typer path (cli/options.py), then accepts only
the plain form: the global options (`--json`, `-q/--quiet`, `--sandbox`, `--debug`,
`-p/--profile NAME`, `--base-url URL`, `--proxy URL`), the command name, and its own
`--json`, `-p/--profile NAME` and id. Anything else (help, an unknown, repeated-short or
malformed option, a value that looks like an option) returns None, and Typer parses the
line and owns every usage message.

Both paths run the same bodies below, the same set-up (cli/options.py) and the same
error mapping (cli/failures.py); tests/test_quick.py runs each accepted line both ways and
compares stdout, stderr and exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from otpcli.cli.context import provider_for
from otpcli.cli.options import GlobalOptions, Spec, hoist, merge, start
from otpcli.cli.render import Env
from otpcli.domain.errors import OtpError
from otpcli.domain.ids import check_id


def show_balance(opts: GlobalOptions) -> None:
    """The body of `otp balance`: one line like `150.50 INR`, or its JSON."""
    with provider_for(opts) as (provider, _settings):
        bal = provider.balance()
    opts.env.result(bal.to_json(), str(bal))


def show_status(opts: GlobalOptions, activation_id: str) -> None:
    """The body of `otp status ID`: `STATE [CODE]`, or its JSON."""
    check_id(activation_id)  # Typer's path checks it too (cli/common.py): nothing sent
    with provider_for(opts, activation_id) as (provider, _settings):
        st = provider.status(activation_id)
    human = " ".join(x for x in (st.state.value, st.code or "") if x)
    if st.code is None and st.text:
        # A message with no code found in it: shown, but never where a code would be.
        opts.env.info(f"message: {st.text}")
    opts.env.result(st.to_json(), human)


# Each command: how many ids it takes, and its body.
COMMANDS: dict[str, tuple[int, Callable[..., None]]] = {
    "balance": (0, show_balance),
    "status": (1, show_status),
}
# Options by spelling -> the GlobalOptions field they set. Flags take no value.
GLOBAL_FLAGS = {
    "--json": "json",
    "-q": "quiet",
    "--quiet": "quiet",
    "--sandbox": "sandbox",
    "--debug": "debug",
}
GLOBAL_VALUES = {
    "-p": "profile",
    "--profile": "profile",
    "--base-url": "base_url",
    "--proxy": "proxy",
}
COMMAND_FLAGS = {"--json": "json"}
COMMAND_VALUES = {"-p": "profile", "--profile": "profile"}
# What the commands define themselves, for `hoist` (their Typer twins define the same).
SPEC = Spec(frozenset(COMMAND_FLAGS), frozenset(COMMAND_VALUES))


def _option(
    argv: list[str], i: int, flags: dict[str, str], values: dict[str, str], into: dict[str, Any]
) -> int | None:
    """Read the option at argv[i] into `into`; the number of words it used, or None."""
    name, eq, value = argv[i].partition("=")
    if name in flags and not eq:
        into[flags[name]] = True
        return 1
    if name not in values:
        return None
    if eq and not name.startswith("--"):
        return None  # `-p=x`: Click would take "=x" as the value; leave it to Typer
    used = 1
    if not eq:
        if i + 1 >= len(argv):
            return None
        value, used = argv[i + 1], 2
    if not value or value.startswith("-"):
        return None
    into[values[name]] = value  # repeated: the last one wins, as in Click
    return used


class QuickRun:
    """One accepted fast-path line: call it to run; `env` is the run's output Env."""

    def __init__(
        self, opts: GlobalOptions, body: Callable[..., None], ids: list[str], local: dict[str, Any]
    ) -> None:
        self.opts, self.body, self.ids, self.local = opts, body, ids, local
        self.env = opts.env

    def __call__(self) -> None:
        start(self.opts)
        merge(self.opts, json_=bool(self.local.get("json")), profile=self.local.get("profile"))
        self.body(self.opts, *self.ids)


def parse(argv: list[str], env: Env | None = None) -> QuickRun | None:
    """A runner for a plain `balance`/`status` line (output through `env`, default this
    process's streams), or None to let Typer handle it."""
    try:
        argv = hoist(argv, lambda path: SPEC if path[0] in COMMANDS else None)
    except OtpError:
        return None  # e.g. a value missing: Typer's path reports it, through the same hoist
    glob: dict[str, Any] = {}
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        used = _option(argv, i, GLOBAL_FLAGS, GLOBAL_VALUES, glob)
        if used is None:
            return None
        i += used
    if i >= len(argv) or argv[i] not in COMMANDS:
        return None
    nargs, body = COMMANDS[argv[i]]
    local: dict[str, Any] = {}
    ids: list[str] = []
    i += 1
    while i < len(argv):
        if argv[i].startswith("-"):  # "-" and "--" too: Typer's business
            used = _option(argv, i, COMMAND_FLAGS, COMMAND_VALUES, local)
            if used is None:
                return None
            i += used
        else:
            ids.append(argv[i])
            i += 1
    if len(ids) != nargs:
        return None
    return QuickRun(GlobalOptions(**glob, env=env), body, ids, local)
