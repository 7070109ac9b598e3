"""OTPCLI_HTTP_TIMEOUT and OTPCLI_HTTP_BACKOFF: parsed once, bad values are exit 3."""

from __future__ import annotations

import pytest

from otpcli.domain.errors import ConfigError
from otpcli.services.session import http_backoff, http_timeout


def test_defaults_and_values() -> None:
    assert http_timeout({}) == 30
    assert http_timeout({"OTPCLI_HTTP_TIMEOUT": "2.5"}) == 2.5
    assert http_backoff({"OTPCLI_HTTP_BACKOFF": "0"}) == 0
    assert http_backoff({"OTPCLI_HTTP_BACKOFF": "1.5"}) == 1.5


@pytest.mark.parametrize(
    ("var", "raw"),
    [
        ("OTPCLI_HTTP_TIMEOUT", "0"),
        ("OTPCLI_HTTP_TIMEOUT", "-1"),
        ("OTPCLI_HTTP_TIMEOUT", "soon"),
        ("OTPCLI_HTTP_BACKOFF", "-0.1"),
        ("OTPCLI_HTTP_BACKOFF", "inf"),
    ],
)
def test_bad_values_are_configuration_errors(var: str, raw: str) -> None:
    read = http_timeout if var.endswith("TIMEOUT") else http_backoff
    with pytest.raises(ConfigError) as info:
        read({var: raw})
    assert info.value.status == 3
    assert var in info.value.message
