"""Shared fixtures: every test gets its own config and state dir and no OTPCLI_* env."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("OTPCLI_") or name in ("NO_COLOR", "FORCE_COLOR"):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("OTPCLI_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("OTPCLI_STATE_DIR", str(tmp_path / "state"))
    # Real sleeps between HTTP read retries would make the suite slow.
    from otpcli.core import session

    monkeypatch.setattr(session, "READ_BACKOFF", 0.0)
    return tmp_path
