"""The one place that turns what went wrong into an exit code and a message.

`report` maps an exception raised by a command to its exit code (DESIGN §3) after telling
the user on stderr (and on stdout as JSON with --json); `guarded` runs a whole invocation,
Typer's or the fast path's, with SIGTERM turned into an exception so clean-up runs
(DESIGN §4), a quiet end when stdout's reader goes away, and never a traceback.
Typer-free: the fast path (cli/quick.py) must not pay for importing it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Any

from otpcli.core.errors import ExitCode, Interrupted, OtpError
from otpcli.render import env


def report(exc: BaseException) -> int:
    """Tell the user about `exc` (an OtpError, an interrupt, or a bug); return the exit code."""
    e = env()
    if isinstance(exc, OtpError):
        e.error(exc)
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


def _raise_on_signal(signum: int, _frame: Any) -> None:
    code = ExitCode.INTERRUPTED if signum == signal.SIGINT else ExitCode.TERMINATED
    raise Interrupted(f"interrupted by {signal.Signals(signum).name}", signal_exit=code)


def guarded(run: Callable[[], int | None]) -> int:
    """Run one invocation and return its exit code, whatever it raises."""
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
        return report(exc)
