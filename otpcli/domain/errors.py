"""The one exception hierarchy and the exit codes of DESIGN §3.

Every failure a user can meet is an `OtpError` subclass carrying its exit code, a
stable string code for `--json`, a message, an optional hint (the next step) and the
provider's own word. `otpcli.cli.app` is the one place that turns these into output.
Messages must never contain an API key: `otpcli.http` redacts before raising.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    OK = 0
    INTERNAL = 1
    BAD_INPUT = 2
    CONFIG = 3
    AUTH = 4
    NOT_FOUND = 5
    NO_BALANCE = 6
    UNAVAILABLE = 7
    ORDER_STATE = 8
    PROVIDER = 9
    NO_CODE = 10
    OUTPUT = 74  # sysexits' EX_IOERR: stdout could not be written
    TIMEOUT = 124
    INTERRUPTED = 130
    TERMINATED = 143


class OtpError(Exception):
    """Base of every error otpcli reports to the user."""

    exit_code: ClassVar[ExitCode] = ExitCode.INTERNAL
    code: ClassVar[str] = "internal"

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        provider_word: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.provider_word = provider_word
        # Extra fields for the --json error document (e.g. what a batch did settle).
        self.details: dict[str, object] = {}

    @property
    def status(self) -> int:
        return int(self.exit_code)

    def with_message(self, message: str, *, hint: str | None = None) -> OtpError:
        """The same error (class, exit code, provider word) with a new message: for
        summaries of several failures, whatever the subclass's constructor takes."""
        # Not copy.copy: that rebuilds through the constructor, whose arguments differ
        # per subclass (NetworkError needs maybe_sent, Interrupted signal_exit).
        clone = type(self).__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.args = (message,)
        clone.message = message
        if hint is not None:
            clone.hint = hint
        return clone

    def to_json(self) -> dict[str, object]:
        doc: dict[str, object] = {
            "error": self.code,
            "message": self.message,
            "exit_code": self.status,
        }
        if self.hint:
            doc["hint"] = self.hint
        if self.provider_word:
            doc["provider_word"] = self.provider_word
        doc.update(self.details)
        return doc


class BadInput(OtpError):
    exit_code = ExitCode.BAD_INPUT
    code = "bad_input"


class Unsupported(BadInput):
    """The provider does not offer what was asked; nothing was sent."""


class ConfigError(OtpError):
    exit_code = ExitCode.CONFIG
    code = "config"


class AuthError(OtpError):
    exit_code = ExitCode.AUTH
    code = "auth"


class NotFound(OtpError):
    exit_code = ExitCode.NOT_FOUND
    code = "not_found"


class NoBalance(OtpError):
    exit_code = ExitCode.NO_BALANCE
    code = "no_balance"


class SpendCapReached(NoBalance):
    """The spending cap (`--max-spend`, `OTPCLI_MAX_SPEND`, a profile's `max_spend`)
    leaves no room for this purchase: refused before anything was sent (exit 6, like an
    empty wallet; `details["spend_cap"]` tells the two apart in `--json`)."""


class Unavailable(OtpError):
    exit_code = ExitCode.UNAVAILABLE
    code = "unavailable"


class OrderStateError(OtpError):
    exit_code = ExitCode.ORDER_STATE
    code = "order_state"


class ProviderError(OtpError):
    exit_code = ExitCode.PROVIDER
    code = "provider"


class ProtocolError(ProviderError):
    """A reply we do not understand; the message quotes at most 200 characters of it."""

    @classmethod
    def unexpected(cls, reply: str, *, what: str = "reply") -> ProtocolError:
        shown = reply.strip()[:200] or "(empty)"
        return cls(f"unexpected {what} from the provider: {shown!r}")


class Refused(ProviderError):
    """The provider definitely did not carry the request out (an HTTP 4xx error page,
    a rate limit, a wrong URL): exit 9 like any provider failure, but a purchase
    refused this way cost nothing, so it is never "outcome unknown". `retryable` tells
    whether asking again later can help (a rate limit) or not (a wrong URL)."""

    retryable: bool = False
    http_status: int | None = None  # the status that refused it, where one did


class NetworkError(ProviderError):
    """The provider could not be reached or did not answer in time.

    `maybe_sent` is true when the request may have reached the server (read timeout,
    connection reset after sending): for a purchase that means the outcome is unknown.
    """

    def __init__(self, message: str, *, maybe_sent: bool, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.maybe_sent = maybe_sent


class PurchaseUnknown(ProviderError):
    """A purchase may or may not have happened; it is never re-sent automatically."""


class NoCode(OtpError):
    """A message arrived (and was paid for) but holds no code otp can find with
    confidence: its full text was printed on stdout instead, and this says so."""

    exit_code = ExitCode.NO_CODE
    code = "no_code"


class OutputError(OtpError):
    """stdout could not be written (a full disk, a closed or broken device): the result
    is lost, so the error goes to stderr alone; what the command bought is in the journal."""

    exit_code = ExitCode.OUTPUT
    code = "output"


class WaitTimeout(OtpError):
    exit_code = ExitCode.TIMEOUT
    code = "timeout"


class Interrupted(OtpError):
    """SIGINT (130) or SIGTERM (143) arrived; clean-up has been done or recorded."""

    code = "interrupted"

    def __init__(self, message: str, *, signal_exit: ExitCode, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.signal_exit = signal_exit

    @property
    def status(self) -> int:
        return int(self.signal_exit)

    @staticmethod
    def exit_of(exc: BaseException) -> ExitCode:
        """The exit code an interruption calls for: its signal's, or SIGINT's for Ctrl-C."""
        return exc.signal_exit if isinstance(exc, Interrupted) else ExitCode.INTERRUPTED
