"""`otp journal`, the journal URL's sources, and a shared journal that cannot be used:
exit 3 with the server named (password masked) and the fix, and nothing bought."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.cli_helpers import run

DOWN = "postgresql://ci:hunter2-secret@127.0.0.1:1/otp"  # nothing listens on port 1


def _balance() -> str:
    r = run(["--sandbox", "balance"])
    assert r.exit_code == 0, r.output
    return r.stdout


def test_journal_shows_the_local_journal_by_default(isolated_env: Path) -> None:
    r = run(["journal", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["backend"] == "sqlite" and doc["source"] == "default"
    assert doc["location"] == str(isolated_env / "state" / "journal.sqlite3")
    assert doc["schema_version"] >= 2 and doc["runner"]


def test_journal_shows_the_shared_journal_with_the_password_masked(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    parts = urlsplit(pg_url)  # a password whatever the user (trust auth ignores it)
    user = parts.username or "postgres"
    netloc = f"{user}:not-needed-pw@{parts.hostname or ''}" + (
        f":{parts.port}" if parts.port else ""
    )
    url = urlunsplit(parts._replace(netloc=netloc))
    assert url != pg_url
    monkeypatch.setenv("OTPCLI_JOURNAL_URL", url)
    monkeypatch.setenv("OTPCLI_RUNNER_ID", "ci-runner-7")
    r = run(["journal", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["backend"] == "postgresql" and doc["source"] == "env OTPCLI_JOURNAL_URL"
    assert doc["location"] == url.replace("not-needed-pw", "***")
    assert doc["runner"] == "ci-runner-7"
    r = run(["journal"])
    assert "not-needed-pw" not in r.output
    assert "backend         postgresql" in r.stdout


def test_a_profile_or_the_config_file_names_the_journal(pg_url: str) -> None:
    assert run(["profile", "add", "ci", "--provider", "sandbox"]).exit_code == 0
    assert run(["profile", "set", "ci", "journal_url", pg_url]).exit_code == 0
    doc = json.loads(run(["journal", "--json"]).stdout)
    assert (doc["backend"], doc["source"]) == ("postgresql", "profile ci")
    # The environment wins over the profile.
    r = run(["journal", "--json"], env={"OTPCLI_JOURNAL_URL": DOWN})
    assert r.exit_code == 3


def test_the_top_level_config_key(isolated_env: Path, pg_url: str) -> None:
    cfg = isolated_env / "config" / "config.toml"
    cfg.parent.mkdir(mode=0o700)
    cfg.write_text(f'journal_url = "{pg_url}"\n')
    cfg.chmod(0o600)
    r = run(["journal", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["backend"] == "postgresql"
    assert "unknown key" not in r.stderr


def test_an_unreachable_server_is_exit_3_and_nothing_is_bought(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = _balance()
    monkeypatch.setenv("OTPCLI_JOURNAL_URL", DOWN)
    r = run(["--sandbox", "buy", "tg"])
    assert r.exit_code == 3, r.output
    assert r.stdout == ""
    assert "postgresql://ci:***@127.0.0.1:1/otp" in r.stderr
    assert "hunter2" not in r.stderr
    assert "could not be opened" in r.stderr and "no purchase was sent" in r.stderr
    assert "OTPCLI_JOURNAL_URL" in r.stderr
    r = run(["--sandbox", "--json", "buy", "tg"])
    assert r.exit_code == 3 and json.loads(r.stdout)["error"] == "config"
    monkeypatch.delenv("OTPCLI_JOURNAL_URL")
    assert _balance() == before


def test_a_journal_that_cannot_be_opened_says_what_was_attempted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A wait (as `otp run`'s nested `otp wait` when the server went away) bought
    nothing and was about to send nothing: it is told the journal could not be opened,
    with the fix, and no purchase guarantee that does not belong to it."""
    monkeypatch.setenv("OTPCLI_JOURNAL_URL", DOWN)
    for args in (["wait", "5000000001"], ["orders"], ["cancel", "--pending"]):
        r = run(["--sandbox", *args])
        assert r.exit_code == 3, r.output
        assert "journal postgresql://ci:***@127.0.0.1:1/otp could not be opened" in r.stderr
        assert "OTPCLI_JOURNAL_URL" in r.stderr
        assert "sent" not in r.stderr and "purchase" not in r.stderr, r.stderr


def test_a_failed_login_is_exit_3_and_nothing_is_bought(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _balance()
    monkeypatch.setenv("OTPCLI_JOURNAL_URL", pg_url.rsplit("/", 1)[0] + "/no_such_db")
    r = run(["--sandbox", "buy", "tg", "--wait"])
    assert r.exit_code == 3, r.output
    assert 'database "no_such_db" does not exist' in r.stderr
    assert "no purchase was sent" in r.stderr
    monkeypatch.delenv("OTPCLI_JOURNAL_URL")
    assert _balance() == before


def test_a_missing_extra_is_exit_3_with_the_install_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = _balance()
    monkeypatch.setitem(sys.modules, "psycopg", None)  # `import psycopg` fails
    monkeypatch.setenv("OTPCLI_JOURNAL_URL", DOWN)
    r = run(["--sandbox", "buy", "tg"])
    assert r.exit_code == 3, r.output
    assert "pip install 'otpcli[postgres]'" in r.stderr and "hunter2" not in r.stderr
    assert "no purchase was sent" in r.stderr
    monkeypatch.delenv("OTPCLI_JOURNAL_URL")
    assert _balance() == before


def test_a_url_that_is_not_postgresql_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTPCLI_JOURNAL_URL", "mysql://u:pw@db/otp")
    r = run(["--sandbox", "buy", "tg"])
    assert r.exit_code == 3
    assert "not a PostgreSQL URL" in r.stderr and "pw@" not in r.stderr


def test_psycopg_is_imported_only_for_a_shared_journal() -> None:
    code = (
        "import sys, otpcli, otpcli.cli.app, otpcli.services.session as s;"
        "s.open_journal();"
        "assert 'psycopg' not in sys.modules, 'psycopg imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "otpcli", "--version"],
        capture_output=True,
        text=True,
        env={"OTPCLI_JOURNAL_URL": DOWN, "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert "psycopg" not in out.stderr and "journal_pg" not in out.stderr
