"""The sandbox provider's drivers: the family's base driver against the simulator,
and OTPGet-format drivers for its cheap numbers, rentals and temporary e-mail.

The registry in `providers/` names this module by string (as it names every driver), so
the drivers package never imports the simulator; this module sits above both.

With no base URL (the usual case: `otp --sandbox ...`, `OTPCLI_PROVIDER=sandbox`) the
driver starts the simulator in this process on an ephemeral loopback port for the
lifetime of the driver; state is on disk in `state_dir`, so separate `otp` processes see
the same orders. With a base URL (e.g. from `otp sandbox serve`) it talks to that
server instead. Play money: the currency is `PLAY`. No key is needed; a key starting
with `bad` makes the simulator answer BAD_KEY (a scenario for scripts' error paths).

`CheapDriver`, `RentalDriver` and `EmailDriver` are OTPGet's product drivers pointed at
the same simulator (`/stubs/cheap_handler.php`, `rental-handler.php`, `email_handler.php`)
with the same play-money wallet; `on_demand()` is the one place that starts it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from otpcli.domain.errors import ConfigError
from otpcli.domain.models import Activation
from otpcli.domain.provider import Capability, ProviderOptions
from otpcli.providers.base import ProtocolDriver
from otpcli.providers.otpget_cheap import OtpGetCheapDriver
from otpcli.providers.otpget_email import OtpGetEmailDriver
from otpcli.providers.otpget_rental import OtpGetRentalDriver

if TYPE_CHECKING:
    from otpcli.sandbox.httpd import SandboxServer

CURRENCY = "PLAY"
# SMS and e-mails arrive about 3 s after purchase; a 1 s poll shows the code promptly.
POLL = 1.0


def on_demand(options: ProviderOptions) -> tuple[ProviderOptions, SandboxServer | None]:
    """Options pointing at the simulator: started in this process when no base URL is
    given (stop the returned server when done), else the given one. A key is always set."""
    server: SandboxServer | None = None
    if not options.base_url:
        if not options.state_dir:
            raise ConfigError("the sandbox needs a state directory (set OTPCLI_STATE_DIR)")
        from otpcli.sandbox.httpd import start_background

        server = start_background(options.state_dir)
        options = options._replace(base_url=server.base_url)
    return options._replace(api_key=options.api_key or "sandbox"), server


class _OnDemand:
    """Starts the simulator for the driver's lifetime; mixed in before the driver."""

    _sandbox: SandboxServer | None = None

    def __init__(self, options: ProviderOptions) -> None:
        options, self._sandbox = on_demand(options)
        super().__init__(options)  # type: ignore[call-arg]

    def close(self) -> None:
        try:
            super().close()  # type: ignore[misc]
        finally:
            if self._sandbox is not None:
                self._sandbox.stop()
                self._sandbox = None


class SandboxDriver(_OnDemand, ProtocolDriver):
    name = "sandbox"
    title = "Sandbox"
    currency = CURRENCY
    poll_interval = POLL
    rate_capped = False  # a simulator on this machine: no host to be polite to
    # The products below are other drivers; listed here so `otp providers` shows them.
    capabilities = ProtocolDriver.capabilities | {
        Capability.CHEAP,
        Capability.RENT,
        Capability.EMAIL,
    }

    # The simulator speaks the family's getNumberV2 (the base driver's default), whose
    # JSON reply tells the price: the journal and `otp orders` then show what the play
    # money bought. Whatever currency a dialect reports, the money here is play money.
    def _priced(self, act: Activation) -> Activation:
        return act._replace(currency=CURRENCY) if act.price is not None else act


class CheapDriver(_OnDemand, OtpGetCheapDriver):
    name = "sandbox"
    title = "Sandbox cheap numbers"
    currency = CURRENCY
    poll_interval = POLL


class RentalDriver(_OnDemand, OtpGetRentalDriver):
    name = "sandbox"
    title = "Sandbox rentals"
    currency = CURRENCY
    poll_interval = POLL


class EmailDriver(_OnDemand, OtpGetEmailDriver):
    name = "sandbox"
    title = "Sandbox temporary e-mail"
    currency = CURRENCY
    poll_interval = POLL


Driver = SandboxDriver
