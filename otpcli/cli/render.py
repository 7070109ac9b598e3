"""Output: the result on stdout, everything else on stderr.

`Env` owns the streams and their TTY flags (tests flip the flags instead of patching
`sys`). Human text that comes from a provider is printed with Rich markup off. With
`--json`, stdout gets exactly one JSON document (or one per line for streams of results).
Rich is imported only when a table or the live view is drawn. `when` is the one way a
provider's time is shown (with its zone).

Nothing reaches a terminal raw: every line, table cell and JSON document written here
has control characters and escape sequences escaped (domain/masking.py; real Unicode text
stays readable), and everything on stderr, and every error document, has the run's
secrets masked, also lower/upper-cased or cut to a fragment of 8+ characters. A stdout
that cannot be written raises `OutputError` (exit 74); a reader that went away
(BrokenPipeError) is left to cli/failures.py to end quietly.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterable, Sequence
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from otpcli.domain.errors import OtpError, OutputError
from otpcli.domain.masking import Masker, escape_controls, json_safe

if TYPE_CHECKING:
    from rich.console import Console


class Listing(NamedTuple):
    """A listing command's typed result: one JSON document and the same rows as a table.

    `Env.show` renders it; commands never choose between the two forms themselves."""

    doc: Any
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    empty: str | None = None  # said on stderr when a human table has no rows
    title: str | None = None
    no_wrap: Sequence[str] = ()


class Env:
    """This run's streams, their TTY flags, the output flags and the secrets to mask.

    A plain class, not a dataclass: it is built on every start (see domain/models.py).
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
        # Built on first use and rebuilt when a secret is added (the profile's key is
        # known only once the settings are resolved).
        self._masker: Masker | None = None
        self._masked: tuple[str, ...] = ()
        # Lines written to stderr so far: render.NoteLine rewrites its own line only
        # when nothing else was written after it.
        self.err_writes = 0

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

    def _write_out(self, text: str) -> None:
        """Write to stdout; a device that refuses it (full, I/O error) is an OutputError."""
        self.write_raw(text, flush=True)

    def write_raw(self, text: str, *, flush: bool = False) -> None:
        """A piece of a document streamed to stdout as it is produced (JSON text, already
        escaped); the same OutputError as any result when stdout refuses it."""
        try:
            self.stdout.write(text)
            if flush:
                self.stdout.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise _output_error(exc) from None

    def _write_err(self, text: str) -> None:
        # Secrets masked, then controls escaped: the order matters for a key that the
        # escaping would cut into pieces.
        self.stderr.write(escape_controls(self.redact(text)))
        self.stderr.flush()
        self.err_writes += 1

    def out(self, line: str) -> None:
        """One line of result on stdout."""
        self._write_out(escape_controls(line) + "\n")

    def info(self, line: str) -> None:
        """A progress or hint line on stderr (silenced by -q)."""
        if not self.quiet:
            # Progress lines quote provider errors too: mask once more, as for errors.
            self._write_err(line + "\n")

    def warn(self, line: str) -> None:
        self._write_err(f"warning: {line}\n")

    def json_doc(self, doc: Any) -> None:
        self._write_out(json_safe(json.dumps(doc, ensure_ascii=False, default=str)) + "\n")

    def result(self, doc: dict[str, Any], human: str) -> None:
        """The command's result: `doc` as JSON with --json, else the human line."""
        if self.json:
            self.json_doc(doc)
        else:
            self.out(human)

    def done(self, doc: dict[str, Any], note: str) -> None:
        """An action's result: its JSON document with --json; the note (stderr) always."""
        if self.json:
            self.json_doc(doc)
        self.info(note)

    def show(self, listing: Listing) -> None:
        """The one way a listing command's result goes out: its JSON document with
        --json, else its table on stdout (and `empty`, on stderr, when it has no rows)."""
        if self.json:
            self.json_doc(listing.doc)
            return
        self.table(listing.columns, listing.rows, title=listing.title, no_wrap=listing.no_wrap)
        if not listing.rows and listing.empty:
            self.info(listing.empty)

    def redact(self, text: str) -> str:
        """`text` with every secret of this run masked (domain/masking.py's rules)."""
        if self._masker is None or tuple(self.secrets) != self._masked:
            self._masked = tuple(self.secrets)
            self._masker = Masker(self._masked)
        return self._masker(text)

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
        """Report `err`: its JSON document on stdout with --json, its lines on stderr.

        Never raises: it runs while something already went wrong, and a stdout or
        stderr that cannot be written must not turn an error into a traceback."""
        # Errors are built from text we did not write (replies, library messages): mask
        # every secret this run knows once more, whatever the layers below did.
        if self.json and not isinstance(err, OutputError):
            with contextlib.suppress(OSError, OtpError):  # the stderr lines below still tell
                self.json_doc(self.redact_doc(err.to_json()))
        word = f" [{err.provider_word}]" if err.provider_word else ""
        hint = f"hint: {err.hint}\n" if err.hint else ""
        with contextlib.suppress(OSError):  # stderr gone too: the exit code is all that is left
            self._write_err(f"error: {err.message}{word}\n{hint}")

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
        # Provider text reaches a terminal here: control characters are shown escaped.
        cells = [[escape_controls("" if v is None else str(v)) for v in row] for row in rows]
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
        try:
            console.print(table)
        except BrokenPipeError:
            raise
        except OSError as exc:
            if stderr:
                raise
            raise _output_error(exc) from None


def state_word(text: str | None) -> str:
    """A provider's state word as otp shows every state: lower case, words joined by
    `_` (`Code Received` and `CODE-RECEIVED` read `code_received`, as `otp orders`)."""
    import re

    return re.sub(r"[\s-]+", "_", (text or "").strip()).lower()


def when(text: str | None) -> str:
    """A provider's time as otp shows every time: `2026-04-09 21:55:55 UTC`.

    Providers send these without a zone (services/products.py's `provider_time` reads them
    as UTC); the zone is written out so that nobody takes them for local time. Text that
    is not a time is shown as it came; nothing is shown for none."""
    if not text:
        return ""
    import time

    from otpcli.services.products import provider_time

    epoch = provider_time(text)
    if epoch is None:
        return text
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch))


def _output_error(exc: OSError) -> OutputError:
    return OutputError(
        f"could not write the result to stdout: {exc.strerror or exc}",
        hint="free some space or fix the redirection of stdout, then look the result up: "
        "anything this command bought is in the journal (`otp orders`)",
    )


HEARTBEAT = 30.0  # seconds between progress lines when stderr is not a TTY


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
        number_label: str = "number",
    ) -> None:
        self.e = e
        # Seconds the number itself still lives when the wait starts (a cheap number's
        # 15 minutes); shown counting down beside the wait's own deadline.
        self.life_left = life_left
        self.label = label
        # What the "number" row holds: a phone number, or an e-mail order's address.
        self.number_label = number_label
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
        self._beat = 0.0  # elapsed seconds at the last plain line (the 30 s heartbeat)
        self.arrived_at: float | None = None

    @property
    def animated(self) -> bool:
        return self.e.stderr_isatty and not self.e.quiet

    def __enter__(self) -> WaitView:
        if self.animated:
            from rich.live import Live

            from otpcli.domain import clock

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
            who = f" {'at' if self.number_label == 'address' else 'on'} {self.number}"
            who = who if self.number else ""
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
        # Said after the live block closed, on stderr; the code itself goes to stdout
        # alone, printed by the caller after this.
        if self.arrived_at is not None and exc[0] is None:
            what = "a message" if self.label == "rental" else "the code"
            self.e.info(f"{what} arrived for {self.id} after {self.arrived_at:.0f} s")

    def update(self, event: Any) -> None:
        """Take a `services.waiting.PollEvent`."""
        self.polls = event.poll
        self.elapsed = event.elapsed
        if event.status is not None:
            self.state = event.status.state.value
            self.note = event.status.detail or ""
            if self.state == "code_received":
                self.arrived_at = event.elapsed
        elif event.error is not None:
            self.note = f"retrying: {event.error.message}"
        self._refresh()

    def _refresh(self) -> None:
        if self._live is not None:
            self._live.refresh()
            return
        if self.arrived_at is not None:
            return  # __exit__ says it, once
        line = f"{self.state}{': ' + self.note if self.note else ''}"
        if line != self._last_plain and (self.note or self.polls == 1):
            self._last_plain = line
            self._beat = self.elapsed
            self.e.info(f"  {line} (poll {self.polls}, {self.elapsed:.0f} s)")
        elif self.elapsed - self._beat >= HEARTBEAT:
            # A CI log must show the job is alive: one line per HEARTBEAT, not per poll.
            self._beat = self.elapsed
            left = max(0.0, self.timeout - self.elapsed)
            self.e.info(
                f"  still {self.state} for {self.id}: {self.elapsed:.0f} s elapsed, "
                f"{left:.0f} s left (poll {self.polls})"
            )

    def __rich__(self) -> Any:
        return self._render()

    def _safe(self, text: str) -> str:
        return escape_controls(self.e.redact(text))

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
        # The live view bypasses _write_err: provider text is made safe here.
        safe = self._safe
        grid.add_row(self.label, Text(safe(self.id)))
        grid.add_row(self.number_label, Text(safe(self.number or "-")))
        grid.add_row("service", Text(safe(self.service or "-")))
        grid.add_row("time", Text(f"{elapsed:.0f} s elapsed, {remaining:.0f} s left"))
        if self.life_left is not None:
            left = max(self.life_left - elapsed, 0)
            grid.add_row(
                "life", Text(f"{left // 60:.0f}:{left % 60:02.0f} left of the number's life")
            )
        status = Text(safe(f"{self.state}  {self.note}".rstrip()))
        grid.add_row("status", Spinner("dots", text=status) if self.state == "waiting" else status)
        grid.add_row("polls", Text(str(self.polls)))
        return grid


class NoteLine:
    """A `services.cleanup.Note` for repeated notes ("early cancel refused; retrying ...").

    On a TTY the notes of one order are one line that is rewritten in place, as long as
    nothing else was written to stderr since; without a TTY an order gets at most one
    line per HEARTBEAT (the first at once), so a log shows it is alive, not each retry.
    Thread-safe: many-order clean-ups note from several threads.
    """

    def __init__(self, e: Env) -> None:
        import threading

        self.e = e
        self._lock = threading.Lock()
        self._said: dict[str, float] = {}  # order id -> clock time of its last line
        self._last: tuple[str, int] | None = None  # (order id, Env.err_writes) of our line

    def __call__(self, order_id: str, what: str) -> None:
        from otpcli.domain import clock

        if self.e.quiet:
            return
        now = clock.current().now()
        with self._lock:
            if self.e.stderr_isatty:
                if self._last == (order_id, self.e.err_writes):
                    # Cursor up one line and clear it: the retry replaces its own line
                    # (still the last one on the screen: nothing was written since).
                    self.e.stderr.write("\x1b[1A\x1b[2K")
                self.e.info(f"  {order_id}: {what}")
                self._last = (order_id, self.e.err_writes)
                return
            last = self._said.get(order_id)
            if last is not None and now - last < HEARTBEAT:
                return
            self._said[order_id] = now
            self.e.info(f"  {order_id}: {what}")


class ManyWaitView:
    """Progress of a many-activation wait (`otp wait ID ID ...`, `buy -n N --wait`),
    always on stderr.

    On a TTY: a Rich live table, one row per activation (id, number, state, time, code
    as it arrives); stdout lines printed meanwhile go through `suspended()` so the table
    never overwrites them. Without a TTY: one progress line per HEARTBEAT, not per round.
    """

    def __init__(self, e: Env, rows: Sequence[tuple[str, str | None]], *, timeout: float) -> None:
        self.e = e
        self.timeout = timeout
        self.order = [i for i, _ in rows]
        self.number = dict(rows)
        self.state = {i: "waiting" for i in self.order}
        self.code: dict[str, str] = {}
        self.ended_at: dict[str, float] = {}
        self._live: Any = None
        self._clock: Any = None
        self._t0 = 0.0
        self._beat = 0.0

    @property
    def animated(self) -> bool:
        return self.e.stderr_isatty and not self.e.quiet

    def elapsed(self) -> float:
        return self._clock.now() - self._t0 if self._clock is not None else 0.0

    def __enter__(self) -> ManyWaitView:
        from otpcli.domain import clock

        self._clock = clock.current()
        self._t0 = self._clock.now()
        if self.animated:
            self._live = self._new_live()
            self._live.__enter__()
        return self

    def _new_live(self) -> Any:
        from rich.live import Live

        return Live(
            self,
            console=self.e.console(stderr=True),
            refresh_per_second=4,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)
            self._live = None

    @contextlib.contextmanager
    def suspended(self) -> Any:
        """Stop drawing while something else is written (a code on a terminal's stdout,
        a line on stderr), then draw again below it."""
        if self._live is None:
            yield
            return
        self._live.stop()
        try:
            yield
        finally:
            self._live = self._new_live()
            self._live.start()

    def ended(self, activation_id: str, state: str, code: str | None = None) -> None:
        """An activation's outcome: `code_received` with its code, or why it ended."""
        self.state[activation_id] = state
        self.ended_at[activation_id] = self.elapsed()
        if code:
            self.code[activation_id] = code
        if self._live is not None:
            self._live.refresh()

    def round(self, pending: int) -> None:
        """A round of looks ended (services.waiting.wait_for_codes' on_round)."""
        if self._live is not None:
            self._live.refresh()
            return
        now = self.elapsed()
        # Not at the deadline itself: the timeout's own line follows at once.
        if pending and now - self._beat >= HEARTBEAT and now < self.timeout:
            self._beat = now
            got = sum(1 for s in self.state.values() if s == "code_received")
            left = max(0.0, self.timeout - now)
            self.e.info(
                f"  still waiting: {pending} of {len(self.order)} pending, {got} code(s); "
                f"{now:.0f} s elapsed, {left:.0f} s left"
            )

    def __rich__(self) -> Any:
        from rich import box
        from rich.table import Table
        from rich.text import Text

        now = self.elapsed()
        table = Table(box=box.SIMPLE_HEAD, show_edge=False)
        for col in ("id", "number", "state", "time", "code"):
            table.add_column(col, no_wrap=col in ("id", "number", "code"))
        for i in self.order:
            t = self.ended_at.get(i, now)
            cells = (i, self.number.get(i) or "-", self.state[i], f"{t:.0f} s", self.code.get(i))
            # The live view bypasses _write_err: provider text is made safe here.
            table.add_row(*(Text(escape_controls(self.e.redact(c or ""))) for c in cells))
        return table
