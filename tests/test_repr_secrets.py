"""Objects that carry the API key never show it when printed: a traceback's locals,
`pytest -l`, or a user's `print(client.settings)` must not leak it."""

from __future__ import annotations

from otpcli.domain.provider import ProviderOptions
from otpcli.services import config

KEY = "k3y-0123456789abcdef-SECRET"


def test_provider_options_repr_masks_the_key_and_extra_secrets() -> None:
    shown = repr(ProviderOptions(KEY, "https://host.example/stubs", extra_secrets=("pw-xyz",)))
    assert KEY not in shown and "pw-xyz" not in shown
    assert "https://host.example/stubs" in shown


def test_settings_repr_masks_the_key() -> None:
    s = config.Settings(
        config.UNSET,
        config.Sourced("otpx", "flag"),
        config.Sourced(KEY, "env OTPCLI_API_KEY"),
        config.UNSET,
        config.UNSET,
        config.UNSET,
        config.UNSET,
    )
    assert KEY not in repr(s) and KEY not in str(s)
    assert "otpx" in repr(s)
