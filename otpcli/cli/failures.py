"""The one place that turns what went wrong into an exit code and a message.

`report` maps an exception raised by a command to its exit code (DESIGN §3) after telling
the user on stderr (and on stdout as JSON with --json); `guarded` runs a whole invocation,
Typer's or the fast path's, with SIGTERM turned into an exception so clean-up runs
(DESIGN §4), a quiet end when stdout's reader goes away, and never a traceback.
Typer-free: the fast path (cli/quick.py) must not pay for importing it.

Exit 1 is for bugs only. Exceptions that are the environment's or the input's fault are
mapped here to their `OtpError` by `known` (Click's usage errors: 2, worded by
cli/usage.py, so that they have one look and one --json document; a journal that is not
a database or a state dir that cannot be written: 3, with the path and the fix; text
that is not UTF-8 or a number that is not one: 2). A stdout that cannot be written
(`OutputError`, 74) is told once on stderr, and stdout is then pointed at /dev/null so
that Python's own last flush at exit does not print a second report.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

from otpcli.cli.render import Env
from otpcli.domain.errors import BadInput, ConfigError, ExitCode, Interrupted, OtpError, OutputError


def report(exc: BaseException, e: Env) -> int:
    """Tell the user about `exc` (an OtpError, an interrupt, or a bug) through this run's
    Env; return the exit code."""
    if not isinstance(exc, OtpError | KeyboardInterrupt):
        exc = known(exc) or exc
    if isinstance(exc, OtpError):
        e.error(exc)
        if isinstance(exc, OutputError):
            _detach_stdout()
        return exc.status
    if isinstance(exc, KeyboardInterrupt):
        e.error(Interrupted("interrupted", signal_exit=ExitCode.INTERRUPTED))
        return int(ExitCode.INTERRUPTED)
    # A bug: say so plainly, the traceback only with --debug.
    if e.debug:
        traceback.print_exception(exc, file=e.stderr)
    e.error(
        OtpError(
            f"internal error: {type(exc).__name__}: {exc}",
            hint="this is a bug in otpcli; run again with --debug and report the traceback",
        )
    )
    return int(ExitCode.INTERNAL)


def known(exc: BaseException) -> OtpError | None:
    """The OtpError for an exception that is not a bug but the environment's or the
    input's fault, or None. Modules are looked up, not imported: only an exception
    from them can need them."""
    from otpcli.cli.usage import as_bad_input, is_usage_error

    if is_usage_error(exc):
        return as_bad_input(exc)
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(exc, sqlite3.DatabaseError):
        return _state_error(str(exc))
    psycopg = sys.modules.get("psycopg")  # a shared journal (services/journal_pg.py)
    if psycopg is not None and isinstance(exc, psycopg.Error):
        from otpcli.services.journal_pg import failure

        return failure(exc)
    if isinstance(exc, OSError) and exc.filename and not isinstance(exc, BrokenPipeError):
        return _file_error(exc)
    if isinstance(exc, UnicodeError) and "surrogates" in str(exc):
        # Bytes that are not UTF-8 in an argument or a variable reach us as surrogates.
        return BadInput(
            "an argument or environment variable is not valid UTF-8 text",
            hint="give ids, services and names as plain text",
        )
    decimal = sys.modules.get("decimal")
    if decimal is not None and isinstance(exc, decimal.InvalidOperation):
        return BadInput(
            "a number given is not usable (not a number, infinite or far too large)",
            hint="give an ordinary decimal number, e.g. --max-price 15.5",
        )
    return None


def _state_error(detail: str) -> ConfigError:
    from otpcli.services.config import state_dir
    from otpcli.services.journal import FILE_NAME

    folder = state_dir()
    path = folder / FILE_NAME
    if "not a database" in detail or "malformed" in detail:
        hint = (
            f"move it aside (mv {path} {path}.broken) and run again, "
            "or set OTPCLI_STATE_DIR to another folder"
        )
    else:
        hint = (
            f"make {folder} a writable folder (chmod u+rwx {folder}) or set OTPCLI_STATE_DIR to one"
        )
    return ConfigError(f"the order journal {path} cannot be used: {detail}", hint=hint)


def _file_error(exc: OSError) -> ConfigError:
    from otpcli.services.config import ENV_STATE_DIR, state_dir

    path = str(exc.filename)
    folder = str(state_dir())
    where = "the state dir" if path.startswith(folder) else "the file"
    return ConfigError(
        f"{where} {path} cannot be used: {exc.strerror or exc}",
        hint=f"make {folder} a writable folder (not a file), or set {ENV_STATE_DIR} to one"
        if where == "the state dir"
        else f"check that {path} and its folder exist and are writable",
    )


def _detach_stdout() -> None:
    """Point stdout at /dev/null: what it still buffers is lost anyway, and Python's
    flush at exit would otherwise print the same failure again, as a traceback."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stdout.flush()


def _raise_on_signal(signum: int, _frame: Any) -> None:
    code = ExitCode.INTERRUPTED if signum == signal.SIGINT else ExitCode.TERMINATED
    raise Interrupted(f"interrupted by {signal.Signals(signum).name}", signal_exit=code)


def guarded(run: Callable[[], int | None], e: Env) -> int:
    """Run one invocation and return its exit code, whatever it raises; `e` is the run's
    Env (failures outside any command are told through it)."""
    signal.signal(signal.SIGTERM, _raise_on_signal)
    try:
        return run() or 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BrokenPipeError:
        # `otp ... | head`: the reader went away; end quietly like any Unix tool. (Not
        # SIG_DFL for SIGPIPE: that would also kill otp on a dropped provider socket.)
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except (Exception, KeyboardInterrupt) as exc:  # e.g. SIGTERM before a command started
        return report(exc, e)
