"""A profile naming a provider otpcli does not know (a hand-edited config file) is one
error in the comparison, not the end of it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import responses

from tests.cli_helpers import run


def test_unknown_provider_in_one_profile_does_not_stop_the_comparison() -> None:
    r = run(["profile", "add", "cheap", "--provider", "sandbox", "--country", "6"])
    assert r.exit_code == 0, r.stderr
    config = Path(os.environ["OTPCLI_CONFIG"])
    config.write_text(config.read_text() + '\n[profiles.typo]\nprovider = "otpxx"\n')
    with responses.RequestsMock(
        assert_all_requests_are_fired=False, passthru_prefixes=("http://127.0.0.1",)
    ):
        r = run(["prices", "tg", "--all-profiles", "--json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert [(o["profile"], o["price"]) for o in doc["offers"]] == [("cheap", "10.00")]
    assert list(doc["errors"]) == ["typo"]
