"""The built-in sandbox provider: the generic sms-activate driver against the simulator.

With no base URL (the usual case: `otp --sandbox ...`, `OTPCLI_PROVIDER=sandbox`) the
driver starts the simulator in this process on an ephemeral loopback port for the
lifetime of the driver; state is on disk in `state_dir`, so separate `otp` processes see
the same orders. With a base URL (e.g. from `otp sandbox serve`) it talks to that
server instead. Play money: the currency is `PLAY`. No key is needed; a key starting
with `bad` makes the simulator answer BAD_KEY (a scenario for scripts' error paths).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from otpcli.core.errors import ConfigError
from otpcli.core.provider import ProviderOptions
from otpcli.providers.smsactivate import SmsActivateDriver

if TYPE_CHECKING:
    from otpcli.sandbox.server import SandboxServer


class SandboxDriver(SmsActivateDriver):
    name = "sandbox"
    title = "Sandbox"
    currency = "PLAY"
    # SMS arrive about 3 s after purchase; a 1 s poll shows the code promptly.
    poll_interval = 1.0

    def __init__(self, options: ProviderOptions) -> None:
        self._server: SandboxServer | None = None
        if not options.base_url:
            if not options.state_dir:
                raise ConfigError("the sandbox needs a state directory (set OTPCLI_STATE_DIR)")
            from otpcli.sandbox.server import start_background

            self._server = start_background(options.state_dir)
            options = replace(options, base_url=self._server.base_url)
        super().__init__(replace(options, api_key=options.api_key or "sandbox"))

    def close(self) -> None:
        super().close()
        if self._server is not None:
            self._server.stop()
            self._server = None


Driver = SandboxDriver
