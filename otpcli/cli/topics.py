"""`otp help [TOPIC]`: exit codes, environment, profiles, money safety; and the man page.

Contract: this module is the one source of the exit-code and environment tables. `otp
help TOPIC` prints them, `python -m otpcli.cli.topics` writes `docs/otp.1` from them and
from the Typer tree, and tests check that the README's tables and `docs/otp.1` match
(tests/test_help_topics.py). Every `ExitCode` has a row here. Never imported on the fast
paths (`otp --version`, `otp balance`): only `otp help` and the generator load it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from otpcli import providers

app = typer.Typer(add_completion=False)

# (the README's "code" cell, meaning, examples); the codes are ExitCode's values.
EXIT_CODES: list[tuple[str, str, str]] = [
    ("0", "success", ""),
    ("1", "internal error (a bug: please report it)", ""),
    ("2", "bad input or unsupported request", "unknown option, `BAD_SERVICE`, `BAD_COUNTRY`, a feature the provider does not offer, an argument that is not UTF-8"),  # noqa: E501
    ("3", "configuration problem", "no profile, no key, unreadable config file, a config folder or state dir that cannot be written, a journal that is not a database (the message names the path and the fix)"),  # noqa: E501
    ("4", "key rejected or account blocked", "`BAD_KEY`, `ACCOUNT_BANNED`, `CHANNELS_LIMIT`, HTTP 401/403"),  # noqa: E501
    ("5", "no such order", "`NO_ACTIVATION`, `BAD_ID`"),
    ("6", "not enough money, or the spending cap leaves no room", "`NO_BALANCE`, `MAX_PRICE_EXCEEDED`, `--max-spend` / `OTPCLI_MAX_SPEND` / `max_spend` reached (nothing sent)"),  # noqa: E501
    ("7", "nothing available", "`NO_NUMBERS`, `SERVICE_UNAVAILABLE`"),
    ("8", "the order cannot do that now", "cancelled, expired, `EARLY_CANCEL_DENIED`, `NO_SMS_RECEIVED`"),  # noqa: E501
    ("9", "provider or network failure (retry later)", "connection error, 5xx, garbage reply (also JSON nested thousands deep, an id or code with control characters), purchase outcome unknown, HTTP 4xx page (nothing bought)"),  # noqa: E501
    ("10", "a message arrived but otp found no code in it", '`STATUS_OK:<text without a code>`: the whole text is printed on stdout instead (`"code": null, "text"` with `--json`)'),  # noqa: E501
    ("74", "stdout could not be written (a full disk, a broken device)", "`otp buy tg > /dev/full`: told once on stderr; what was bought is in the journal (`otp orders`)"),  # noqa: E501
    ("124", "timed out waiting for a code", ""),
    ("130 / 143", "interrupted by SIGINT / SIGTERM", ""),
]  # fmt: skip

# From the registry, so a new provider is named here without anyone remembering to.
_PROVIDER_NAMES = ", ".join(f"`{name}`" for name in providers.PROVIDERS)
ENVIRONMENT: list[tuple[str, str]] = [
    ("OTPCLI_PROVIDER", f"provider name ({_PROVIDER_NAMES})"),
    ("OTPCLI_API_KEY", "the API key"),
    ("OTPCLI_BASE_URL", f"override the provider's base URL (required for `{providers.GENERIC}`)"),
    ("OTPCLI_PROFILE", "profile to use"),
    ("OTPCLI_CONFIG", "config file path"),
    ("OTPCLI_STATE_DIR", "where the sandbox (and the order journal) keep state"),
    ("OTPCLI_HTTP_TIMEOUT", "seconds to wait for a provider's reply (read timeout; default 30)"),
    ("OTPCLI_HTTP_BACKOFF", "backoff factor between retries of reads (default 0.5 s: 0.5, 1, 2 s with jitter; 0 retries at once)"),  # noqa: E501
    ("OTPCLI_MAX_SPEND", "spending cap for every purchase: `AMOUNT` or `AMOUNT/PERIOD` (`hour`, `day`, `week`, `month`; see Spending cap)"),  # noqa: E501
    ("OTPCLI_SANDBOX_FAULTS", "make the sandbox misbehave, e.g. `getNumber=reset_after_charge,getStatus=500x2` (see `otp sandbox fault --help`)"),  # noqa: E501
    ("NO_COLOR", "no colours"),
]  # fmt: skip

PROFILES = """\
A profile names a provider, its API key and your defaults (country, server, operator,
max_price, base_url, max_spend). The key is never taken from the command line: it comes from a
hidden prompt, --api-key-stdin or --api-key-file.

  otp profile add work --provider otpx --country 22   # hidden prompt for the key
  otp profile use work                                # the default profile
  otp profile set work country 22                     # change one setting, keep the key
  otp profile show                                    # every setting and where it came from

Precedence: command-line option > environment > profile > built-in default.
OTPCLI_PROVIDER + OTPCLI_API_KEY alone are enough to work without a config file.
The config file is ~/.config/otpcli/config.toml (or $OTPCLI_CONFIG), mode 0600."""

MONEY = """\
Every purchase costs real money, so otp is built never to lose it:

- A journal of every purchase, written before the request leaves: `otp orders`.
- Never bought twice: reads are retried, a purchase never is; an unknown outcome exits 9
  and stays `unknown` in the journal.
- No code, no charge: a wait that reaches its deadline cancels the number for a refund
  (--keep keeps it), waiting out an early-cancel refusal within --cleanup-timeout.
- A code that arrives while otp cancels is yours: it is printed, never cancelled away.
- Killed processes leave no money behind: `otp cancel --pending --wait` settles orphans
  and everything left `cancel_pending`.
- Ctrl-C and SIGTERM cancel a waiting number within about 5 s; a second Ctrl-C skips it.
- `otp run SERVICE -- CMD` settles its number when CMD ends: finished with a code, else
  refunded.
- Your key is never printed, logged or journaled."""


def exit_codes_text() -> str:
    width = max(len(c) for c, _, _ in EXIT_CODES)
    lines = [f"{c:>{width}}  {m}" + (f"  ({x})" if x else "") for c, m, x in EXIT_CODES]
    return "Exit codes (the same for every command):\n\n" + "\n".join(lines) + "\n\n" + RUN_EXIT


# `otp run` passes its command's exit code through; see `otp run --help`.
RUN_EXIT = """\
otp run SERVICE -- CMD exits with CMD's own code (127/126: CMD not found / not
executable, 124: --timeout stopped it, 130/143: otp was interrupted), unless a
number without a code could not be refunded: then 8 or 9 (left cancel_pending)."""


def environment_text() -> str:
    width = max(len(n) for n, _ in ENVIRONMENT)
    lines = [f"{n:<{width}}  {m}" for n, m in ENVIRONMENT]
    return "Environment variables:\n\n" + "\n".join(lines)


# topic -> (one line shown by `otp help`, the text)
TOPICS = {
    "exit-codes": ("what each exit status means", exit_codes_text),
    "environment": ("the environment variables otp reads", environment_text),
    "profiles": ("providers, keys and defaults by name", lambda: PROFILES),
    "money-safety": ("how otp never loses your money", lambda: MONEY),
}
ALIASES = {
    "exit": "exit-codes",
    "env": "environment",
    "profile": "profiles",
    "money": "money-safety",
}


def topic_list() -> str:
    width = max(len(t) for t in TOPICS)
    lines = [f"  {t:<{width}}  {line}" for t, (line, _) in TOPICS.items()]
    return "Topics (otp help TOPIC):\n\n" + "\n".join(lines)


@app.command("help")
def help_cmd(
    ctx: typer.Context,
    topic: Annotated[
        str | None, typer.Argument(help="exit-codes, environment, profiles or money-safety.")
    ] = None,
) -> None:
    """Read a help topic: exit codes, environment, profiles, money safety.

    Example: otp help exit-codes
    """
    from otpcli.cli.common import setup
    from otpcli.domain.errors import BadInput

    e = setup(ctx)  # the global options (-q, --json ...) as for every command
    if topic is None:
        e.result({"topics": list(TOPICS)}, topic_list())
        return
    key = ALIASES.get(topic.lower(), topic.lower().replace("_", "-").replace(" ", "-"))
    if key not in TOPICS:
        raise BadInput(f"no help topic {topic!r}", hint=f"topics: {', '.join(TOPICS)}")
    e.result({"topic": key, "text": TOPICS[key][1]()}, TOPICS[key][1]())


# --- the man page ---------------------------------------------------------------------


def _roff(text: str) -> str:
    # Backslashes and leading dots/quotes mean something to roff: neutralise them.
    text = text.replace("\\", "\\e").replace("`", "")
    return "\n".join(("\\&" + ln) if ln[:1] in ".'" else ln for ln in text.splitlines())


def man_page() -> str:
    """docs/otp.1: NAME, SYNOPSIS, DESCRIPTION, COMMANDS, EXIT STATUS, ENVIRONMENT."""
    from otpcli.cli.completion import Node, tree

    out = [
        '.TH OTP 1 "" "otpcli" "User Commands"',
        ".SH NAME",
        "otp \\- one-time codes from SMS-activation providers",
        ".SH SYNOPSIS",
        ".B otp",
        "[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR...]",
        ".SH DESCRIPTION",
        _roff(
            "otp buys virtual phone numbers from SMS-activation providers and waits for "
            "their codes. The result goes to stdout alone; progress, hints and errors go to "
            "stderr. Run `otp help` for the topics below, `otp COMMAND --help` for a command."
        ),
        ".SH COMMANDS",
    ]

    def walk(node: Node) -> None:
        for child in node.children.values():
            if child.children:
                walk(child)
                continue
            out.extend([".TP", f".B otp {' '.join(child.path)}", _roff(child.summary or "")])

    walk(tree())
    out.append(".SH EXIT STATUS")
    for code, meaning, examples in EXIT_CODES:
        out.extend([".TP", f".B {code}", _roff(meaning + (f" ({examples})" if examples else ""))])
    out.append(".SH ENVIRONMENT")
    for name, meaning in ENVIRONMENT:
        out.extend([".TP", f".B {name}", _roff(meaning)])
    out.extend([".SH PROFILES", ".nf", _roff(PROFILES), ".fi"])
    out.extend([".SH MONEY SAFETY", ".nf", _roff(MONEY), ".fi"])
    return "\n".join(out) + "\n"


MAN_PATH = Path(__file__).resolve().parents[2] / "docs" / "otp.1"


if __name__ == "__main__":  # python -m otpcli.cli.topics: regenerate docs/otp.1
    MAN_PATH.parent.mkdir(exist_ok=True)
    MAN_PATH.write_text(man_page(), encoding="utf-8")
    sys.stdout.write(f"wrote {MAN_PATH}\n")
