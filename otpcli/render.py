"""Output: the result on stdout, everything else on stderr.

`Env` owns the streams and their TTY flags (tests flip the flags instead of patching
`sys`). Human text that comes from a provider is printed with Rich markup off. With
`--json`, stdout gets exactly one JSON document (or one per line for streams of results).
Rich is imported only when a table or the live view is drawn.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any

from otpcli.core.errors import OtpError

if TYPE_CHECKING:
    from rich.console import Console


class Env:
    """This run's streams, their TTY flags, the output flags and the secrets to mask.

    A plain class, not a dataclass: it is built on every start (see core/models.py).
    """

    def __init__(
        self,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        *,
        stdout_isatty: bool = False,
        stderr_isatty: bool = False,
        stdin_isatty: bool = False,
        json: bool = False,
        quiet: bool = False,
        debug: bool = False,
        no_color: bool = False,
        secrets: list[str] | None = None,
    ) -> None:
        self.stdout: IO[str] = sys.stdout if stdout is None else stdout
        self.stderr: IO[str] = sys.stderr if stderr is None else stderr
        self.stdout_isatty = stdout_isatty
        self.stderr_isatty = stderr_isatty
        self.stdin_isatty = stdin_isatty
        self.json = json
        self.quiet = quiet
        self.debug = debug
        self.no_color = no_color
        self.secrets: list[str] = [] if secrets is None else secrets

    @classmethod
    def from_system(cls) -> Env:
        def tty(stream: Any) -> bool:
            try:
                return bool(stream.isatty())
            except (AttributeError, ValueError):
                return False

        return cls(
            stdout=sys.stdout,
            stderr=sys.stderr,
            stdout_isatty=tty(sys.stdout),
            stderr_isatty=tty(sys.stderr),
            stdin_isatty=tty(sys.stdin),
            no_color="NO_COLOR" in os.environ,
        )

    # --- plain lines -------------------------------------------------------------

    def out(self, line: str) -> None:
        """One line of result on stdout."""
        self.stdout.write(line + "\n")
        self.stdout.flush()

    def info(self, line: str) -> None:
        """A progress or hint line on stderr (silenced by -q)."""
        if not self.quiet:
            # Progress lines quote provider errors too: mask once more, as for errors.
            self.stderr.write(self.redact(line) + "\n")
            self.stderr.flush()

    def warn(self, line: str) -> None:
        self.stderr.write(self.redact(f"warning: {line}\n"))
        self.stderr.flush()

    def json_doc(self, doc: Any) -> None:
        self.stdout.write(json.dumps(doc, ensure_ascii=False, default=str) + "\n")
        self.stdout.flush()

    def result(self, doc: dict[str, Any], human: str) -> None:
        """The command's result: `doc` as JSON with --json, else the human line."""
        if self.json:
            self.json_doc(doc)
        else:
            self.out(human)

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret and len(secret) >= 3:
                text = text.replace(secret, "***")
        return text

    def redact_doc(self, doc: Any) -> Any:
        """`doc` with every string in it masked (JSON built from error text)."""
        if isinstance(doc, str):
            return self.redact(doc)
        if isinstance(doc, dict):
            return {k: self.redact_doc(v) for k, v in doc.items()}
        if isinstance(doc, list | tuple):
            return [self.redact_doc(v) for v in doc]
        return doc

    def error(self, err: OtpError) -> None:
        # Errors are built from text we did not write (replies, library messages): mask
        # every secret this run knows once more, whatever the layers below did.
        if self.json:
            self.json_doc(self.redact_doc(err.to_json()))
        word = f" [{err.provider_word}]" if err.provider_word else ""
        self.stderr.write(self.redact(f"error: {err.message}{word}\n"))
        if err.hint:
            self.stderr.write(self.redact(f"hint: {err.hint}\n"))
        self.stderr.flush()

    # --- rich ----------------------------------------------------------------------

    def console(self, *, stderr: bool) -> Console:
        from rich.console import Console

        stream = self.stderr if stderr else self.stdout
        isatty = self.stderr_isatty if stderr else self.stdout_isatty
        return Console(
            file=stream,
            force_terminal=isatty,
            no_color=self.no_color or not isatty,
            highlight=False,
            soft_wrap=not isatty,
            # Piped output is read by programs: never cut a row to fit 80 columns.
            width=None if isatty else 10_000,
        )

    def table(
        self,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        *,
        title: str | None = None,
        stderr: bool = False,
        no_wrap: Sequence[str] = (),
    ) -> None:
        """A human table; listing commands print theirs on stdout (DESIGN §3). Columns
        named in `no_wrap` (ids, numbers, addresses) are never wrapped mid-value."""
        from rich import box
        from rich.table import Table
        from rich.text import Text

        isatty = self.stderr_isatty if stderr else self.stdout_isatty
        table = Table(title=title, box=box.SIMPLE_HEAD if isatty else box.ASCII2, show_edge=False)
        cells = [["" if v is None else str(v) for v in row] for row in rows]
        for col in columns:
            # Ids and numbers are copied from here: wrap them, never cut them with "…".
            table.add_column(col, overflow="fold", no_wrap=col in no_wrap)
        for line in cells:
            table.add_row(*(Text(v) for v in line))
        console = self.console(stderr=stderr)
        # A terminal too narrow for the unwrappable values gets longer lines (the terminal
        # folds them) rather than values cut short.
        keep = [i for i, col in enumerate(columns) if col in no_wrap]
        need = sum(max((len(line[i]) for line in cells), default=0) for i in keep)
        need += 3 * len(columns) + 4 * (len(columns) - len(keep))
        if need > console.width:
            console.width = need
        console.print(table)


_current = Env()


def env() -> Env:
    return _current


def set_env(new: Env) -> Env:
    global _current
    _current = new
    return new


class WaitView:
    """Progress while a code is awaited, always on stderr.

    On a TTY: a Rich live panel (number, service, elapsed, remaining, status, polls),
    closed before the code is printed. Without a TTY: a few plain lines, no animation.
    """

    def __init__(
        self,
        e: Env,
        activation_id: str,
        *,
        number: str | None = None,
        service: str | None = None,
        timeout: float,
        life_left: float | None = None,
        label: str = "activation",
    ) -> None:
        self.e = e
        # Seconds the number itself still lives when the wait starts (a cheap number's
        # 15 minutes); shown counting down beside the wait's own deadline.
        self.life_left = life_left
        self.label = label
        self.id = activation_id
        self.number = number
        self.service = service
        self.timeout = timeout
        self.polls = 0
        self.elapsed = 0.0
        self.state = "waiting"
        self.note = ""
        self._live: Any = None
        self._last_plain = ""
        self._clock: Any = None
        self._t0 = 0.0

    @property
    def animated(self) -> bool:
        return self.e.stderr_isatty and not self.e.quiet

    def __enter__(self) -> WaitView:
        if self.animated:
            from rich.live import Live

            from otpcli.core import clock

            self._clock = clock.current()
            self._t0 = self._clock.now()
            # Live is given the view itself: each refresh calls __rich__, so the clocks
            # and the spinner move between polls too.
            self._live = Live(
                self,
                console=self.e.console(stderr=True),
                refresh_per_second=4,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.__enter__()
        else:
            who = f" on {self.number}" if self.number else ""
            what = f" ({self.service})" if self.service else ""
            life = ""
            if self.life_left is not None:
                life = f"; the number lives {max(self.life_left, 0) / 60:.0f} more min"
            self.e.info(
                f"waiting for the code of {self.id}{who}{what}, up to {self.timeout:g} s{life} ..."
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    def update(self, event: Any) -> None:
        """Take a `core.waiting.PollEvent`."""
        self.polls = event.poll
        self.elapsed = event.elapsed
        if event.status is not None:
            self.state = event.status.state.value
            self.note = event.status.detail or ""
        elif event.error is not None:
            self.note = f"retrying: {event.error.message}"
        self._refresh()

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.refresh()
            return
        line = f"{self.state}{': ' + self.note if self.note else ''}"
        if line != self._last_plain and (self.note or self.polls == 1):
            self._last_plain = line
            self.e.info(f"  {line} (poll {self.polls}, {self.elapsed:.0f} s)")

    def __rich__(self) -> Any:
        return self._render()

    def _render(self) -> Any:
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        elapsed = self.elapsed
        if self._clock is not None:
            elapsed = max(elapsed, self._clock.now() - self._t0)
        remaining = max(0.0, self.timeout - elapsed)
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column()
        grid.add_row(self.label, Text(self.id))
        grid.add_row("number", Text(self.number or "-"))
        grid.add_row("service", Text(self.service or "-"))
        grid.add_row("time", Text(f"{elapsed:.0f} s elapsed, {remaining:.0f} s left"))
        if self.life_left is not None:
            left = max(self.life_left - elapsed, 0)
            grid.add_row(
                "life", Text(f"{left // 60:.0f}:{left % 60:02.0f} left of the number's life")
            )
        status = Text(f"{self.state}  {self.note}".rstrip())
        grid.add_row("status", Spinner("dots", text=status) if self.state == "waiting" else status)
        grid.add_row("polls", Text(str(self.polls)))
        return grid
