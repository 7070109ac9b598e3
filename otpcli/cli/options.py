"""The global options of one invocation and the output `Env` they configure.

Typer-free, so the fast path of `otp balance`/`otp status` (cli/quick.py) and the Typer
commands set up a run the same way: `hoist` first moves every global option written
after the command name in front of it (DESIGN §3: global options go anywhere), `start`
applies the global options (streams, --debug logging, --proxy), and `merge` folds in a
command's own `--json`/`-p`, which win over the global ones.
`poll_interval` is the one place a waiting command turns `--interval` into seconds
between polls, warning when the user asks for more than the provider advises.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from otpcli.cli.render import Env

if TYPE_CHECKING:
    import typer

    from otpcli.services.waiting import Paced


class GlobalOptions:
    """The options given before the command name, and the output `Env` of the run they
    belong to (a plain class: see domain/models.py). The Env is passed in by whoever
    starts the run (`cli.app.main(argv, env)`), else read off this process's streams."""

    def __init__(
        self,
        *,
        profile: str | None = None,
        base_url: str | None = None,
        sandbox: bool = False,
        json: bool = False,
        debug: bool = False,
        quiet: bool = False,
        proxy: str | None = None,
        max_spend: str | None = None,
        env: Env | None = None,
    ) -> None:
        self.env = Env.from_system() if env is None else env
        self.proxy = proxy
        # The spending cap's text, parsed where the provider is opened (services/spending.py).
        self.max_spend = max_spend
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
    """This run's Env with the global flags applied."""
    e = opts.env
    e.json, e.quiet, e.debug = opts.json, opts.quiet, opts.debug
    # The key may come from the environment before any profile is read: mask it from the start.
    e.secrets.append(os.environ.get("OTPCLI_API_KEY", ""))
    if opts.proxy:
        _use_proxy(e, opts.proxy)
    _debug_logging(e, opts.debug)
    return e


def merge(opts: GlobalOptions, *, json_: bool = False, profile: str | None = None) -> Env:
    """Fold a command's own --json/--profile into the global options; return the Env."""
    if json_:
        opts.json = True
    if profile:
        opts.profile = profile
    e = opts.env
    e.json = opts.json
    e.quiet = opts.quiet or e.quiet
    e.debug = opts.debug
    return e


def poll_interval(e: Env, requested: float | None, providers: Iterable[Paced]) -> float:
    """Seconds between polls for one waiting command: `--interval` if given, else the
    providers' advice (the slowest of several), never under 1 s. When `--interval` is
    shorter than a provider's advice, one warning on stderr says so: hosts rate-limit or
    ban keys that poll too often. Call it once per command."""
    from otpcli.services.waiting import MIN_INTERVAL, effective_interval

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


# The root's options by spelling (app.py's callback declares the same ones): flags, and
# options that take a value. `--version` and `--help` are not here: they end the run.
GLOBAL_FLAGS = frozenset({"--json", "--sandbox", "-q", "--quiet", "--debug"})
GLOBAL_VALUES = frozenset({"-p", "--profile", "--base-url", "--proxy", "--max-spend"})


class Spec:
    """What one command level defines itself: its option spellings that are flags and
    those that take a value, and whether it is a group (its next word is a subcommand).
    A plain class: the fast path must not import dataclasses (tests/test_startup.py)."""

    def __init__(
        self,
        flags: frozenset[str] = frozenset(),
        values: frozenset[str] = frozenset(),
        *,
        group: bool = False,
    ) -> None:
        self.flags, self.values, self.group = flags, values, group


def _width(argv: list[str], i: int, flags: frozenset[str], values: frozenset[str]) -> int:
    """How many words the option at argv[i] uses if it is one of `flags`/`values`, else 0.
    `--opt=value` and `-pVALUE` are one word; a bare value option takes the next word,
    whatever it looks like, as Click does."""
    word = argv[i]
    name, eq, _ = word.partition("=")
    if name in flags and not eq:
        return 1
    if name in values:
        if eq:
            return 1
        if i + 1 >= len(argv):
            from otpcli.domain.errors import BadInput

            raise BadInput(f"option {name} needs a value", hint=f"e.g. {name} VALUE")
        return 2
    if len(word) > 2 and not word.startswith("--") and word[:2] in values:
        return 1  # -pwork
    return 0


def hoist(argv: list[str], lookup: Callable[[tuple[str, ...]], Spec | None]) -> list[str]:
    """`argv` with every global option written after the command name moved, with its
    value, to just before the command name, so that one parser (Typer's root callback,
    or the fast path) reads all of them. `lookup(path)` describes the command at `path`
    (None: not a command; the line is returned unchanged for Typer to report).

    Left where they are: options the command (or a group on its path) defines itself
    (`profile add --base-url` is the profile's URL; a command's own `--json`/`-p` are
    merged by `merge`), the value of the command's own options even when it looks like
    an option, and everything from a `--` on (`otp run ... -- CMD --debug` is CMD's)."""
    i, n = 0, len(argv)
    while i < n and argv[i].startswith("-") and argv[i] not in ("-", "--"):
        i += _width(argv, i, GLOBAL_FLAGS, GLOBAL_VALUES) or 1
    if i >= n or argv[i] in ("-", "--"):
        return argv
    path: tuple[str, ...] = (argv[i],)
    spec = lookup(path)
    if spec is None:
        return argv
    head, moved, rest = argv[:i], list[str](), [argv[i]]
    i += 1
    while i < n:
        word = argv[i]
        if word == "--":
            rest.extend(argv[i:])
            break
        if word.startswith("-") and word != "-":
            own = _width(argv, i, spec.flags, spec.values)
            theirs = 0 if own else _width(argv, i, GLOBAL_FLAGS, GLOBAL_VALUES)
            used = own or theirs or 1  # an unknown option stays: the command reports it
            (moved if theirs else rest).extend(argv[i : i + used])
            i += used
            continue
        if spec.group and (sub := lookup((*path, word))) is not None:
            path, spec = (*path, word), sub
        rest.append(word)
        i += 1
    return [*head, *moved, *rest]


def _use_proxy(e: Env, proxy: str) -> None:
    """--proxy: requests honours the standard variables; set them for this process only.
    Loopback (the sandbox) never goes through the proxy; the proxy's password is a secret."""
    from urllib.parse import urlsplit

    from otpcli.domain.errors import BadInput

    try:
        parts = urlsplit(proxy)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:  # e.g. "http://[::1": an unclosed IPv6 address
        parts = None
    if parts is None or parts.scheme not in ("http", "https", "socks5", "socks5h"):
        raise BadInput(f"--proxy needs a URL like http://HOST:PORT, not {e.redact(proxy)!r}")
    if not parts.hostname:
        raise BadInput(f"--proxy needs a URL like http://HOST:PORT, not {e.redact(proxy)!r}")
    if parts.password:
        # The password alone: fragments of the whole URL ("https://") are ordinary text.
        e.secrets.append(parts.password)
    os.environ["HTTPS_PROXY"] = os.environ["HTTP_PROXY"] = proxy
    loopback = "127.0.0.1,localhost,::1"
    current = os.environ.get("NO_PROXY") or os.environ.get("no_proxy")
    os.environ["NO_PROXY"] = f"{current},{loopback}" if current else loopback


_debug_handler: logging.Handler | None = None


def _debug_logging(e: Env, on: bool) -> None:
    """--debug: HTTP calls on stderr, with the key masked (one handler per invocation)."""
    global _debug_handler
    log = logging.getLogger("otpcli")
    if _debug_handler is not None:
        log.removeHandler(_debug_handler)
        _debug_handler = None
    if not on:
        return
    handler = logging.StreamHandler(e.stderr)
    handler.setFormatter(logging.Formatter("debug: %(name)s: %(message)s"))
    # The run's Env knows every secret, the profile's key too once it is resolved.
    handler.addFilter(_RedactFilter(e.redact))
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    _debug_handler = handler


class _RedactFilter(logging.Filter):
    def __init__(self, redact: Any) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._redact(record.getMessage())
        record.args = None
        return True
