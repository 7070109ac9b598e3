"""Click's usage errors in otp's own words: one `BadInput` (exit 2) per usage error.

`as_bad_input(exc)` turns a Click `UsageError` ("No such command 'buyy'.", "No such
option: --jsn", "Missing argument ...") into the `BadInput` that cli/failures.py reports
like every other error: `error: ...` and `hint: ...` on stderr, or the JSON error
document with --json. The hint names the closest commands or subcommands (difflib), or
the options Click found close, else the usage line, and always where help is.

Typer-free (duck-typed on the exception and its context): failures.py calls it only
for an exception that came from Click, whichever copy of Click (Typer vendors one).
Masking and escaping are not done here: `Env.error` masks every secret and escapes
terminal controls in everything it prints.
"""

from __future__ import annotations

import ast
import difflib
import re
from typing import Any

from otpcli.domain.errors import BadInput

# Click's wording (Typer's "Did you mean" suffix included), which we rephrase.
_NO_COMMAND = re.compile(r"^No such command (.+?)\.(?: Did you mean .*)?$", re.DOTALL)
_SUFFIX = re.compile(r"\s+(?:Did you mean |\(Possible options: ).*$", re.DOTALL)


def is_usage_error(exc: BaseException) -> bool:
    """True for Click's UsageError (any copy of Click), except "no arguments: show help",
    which is not an error (Click prints the help for it)."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return "UsageError" in names and "NoArgsIsHelpError" not in names


def as_bad_input(exc: Any) -> BadInput:
    """The BadInput telling what `exc` (a Click UsageError) means, with the next step."""
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None) or "otp"
    text = _upper_metavars(str(exc.format_message()))
    unknown = _NO_COMMAND.match(text)
    if unknown:
        name = _literal(unknown.group(1))
        close = _close_commands(ctx, name)
        return BadInput(
            f"no such command {name!r}",
            hint=_did_you_mean(close, f"'{path} -h' lists the commands"),
        )
    message = _SUFFIX.sub("", text).rstrip(".")
    message = message[:1].lower() + message[1:]
    possibilities = sorted(getattr(exc, "possibilities", None) or ())
    if possibilities:
        return BadInput(message, hint=_did_you_mean(possibilities, f"'{path} -h' lists them"))
    return BadInput(message, hint=f"{_usage(ctx)}see '{path} -h'")


def _did_you_mean(names: list[str], then: str) -> str:
    if not names:
        return then
    return f"did you mean {' or '.join(names)}? ({then})"


def _literal(quoted: str) -> str:
    """The name Click quoted with repr(), or the text itself if it is not a literal."""
    try:
        value = ast.literal_eval(quoted)
    except (ValueError, SyntaxError):
        return quoted
    return value if isinstance(value, str) else quoted


def _close_commands(ctx: Any, name: str) -> list[str]:
    """The commands of `ctx`'s group closest to `name`, quoted (`'buy'`); failing
    those, the subcommands of its groups (`otp stock` -> `'rent stock'`)."""
    group: Any = getattr(ctx, "command", None)
    if ctx is None or not hasattr(group, "list_commands"):
        return []
    commands = [c for c in group.list_commands(ctx) if not c.startswith("_")]
    close = difflib.get_close_matches(name, commands, n=3, cutoff=0.6)
    if close:
        return [repr(c) for c in close]
    nested: list[str] = []
    for command in commands:
        sub = _group(group, ctx, command)
        if sub is not None:
            nested += [f"{command} {s}" for s in sub.list_commands(ctx) if s == name]
    return [repr(n) for n in nested]


def _group(group: Any, ctx: Any, name: str) -> Any:
    """The subgroup `name` of `group`, or None (a broken module must not hide the typo)."""
    try:
        sub = group.get_command(ctx, name)
    except Exception:
        return None
    return sub if hasattr(sub, "list_commands") else None


def _upper_metavars(text: str) -> str:
    """Typer writes an argument as {name}, or 'name' in "Missing argument 'name'": the
    usual NAME reads better, and matches the usage line."""
    text = re.sub(r"\{(\w+)\}", lambda m: m.group(1).upper(), text)
    return re.sub(
        r"(?i)(missing argument )'([a-z_]+)'", lambda m: m.group(1) + m.group(2).upper(), text
    )


def _usage(ctx: Any) -> str:
    """`usage: otp buy [OPTIONS] SERVICE; ` for the command that failed, or nothing."""
    if ctx is None:
        return ""
    try:
        line = str(ctx.get_usage()).strip()
    except Exception:
        return ""
    line = _upper_metavars(re.sub(r"^Usage:\s*", "", line))
    return f"usage: {' '.join(line.split())}; " if line else ""
