"""`otp __complete` (otpcli/_complete.py): the values the completion scripts read from
the user's config and journal, its paths (the same as otpcli.services.config's), its silence on
every failure, its read-only use of the journal, and its small import footprint."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from otpcli import _complete
from otpcli.domain.models import Activation
from otpcli.services import config
from otpcli.services import journal as journal_mod
from otpcli.services.journal import Journal


def complete(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "otpcli", "__complete", *args],
        capture_output=True,
        text=True,
        timeout=30,
        env=env if env is not None else dict(os.environ),
        check=False,
    )


def buy(journal: Journal, order_id: str, service: str = "tg") -> None:
    row = journal.begin(provider="otpx", profile=None, base_url=None, service=service, country="1")
    journal.complete(row, Activation(order_id, "+15550000", service, "1", Decimal("1"), "USD"))


def test_constants_agree_with_the_journal() -> None:
    assert _complete.JOURNAL == journal_mod.FILE_NAME
    assert _complete.ACTIVE_STATES == journal_mod.ACTIVE_STATES


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"XDG_CONFIG_HOME": "/x/conf", "XDG_STATE_HOME": "/x/state"},
        {"XDG_CONFIG_HOME": "relative", "XDG_STATE_HOME": ""},
        {"OTPCLI_CONFIG": "~/c.toml", "OTPCLI_STATE_DIR": "~/st"},
        {"OTPCLI_CONFIG": "  ", "OTPCLI_STATE_DIR": ""},
        {"HOME": "/"},
        {"HOME": "rel/home"},
    ],
)
def test_paths_agree_with_config(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OTPCLI_CONFIG", "OTPCLI_STATE_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert Path(_complete.config_path()) == config.config_path()
    assert Path(_complete.state_dir()) == config.state_dir()


def test_profiles_in_file_order_with_prefix(isolated_env: Path) -> None:
    path = Path(os.environ["OTPCLI_CONFIG"])
    path.parent.mkdir()
    path.write_text(
        '[profiles.work]\nprovider = "otpx"\n[profiles.home]\nprovider = "smsactivate"\n'
        '[profiles."bad name"]\nprovider = "otpx"\n[profiles."$(x)"]\nprovider = "otpx"\n',
        encoding="utf-8",
    )
    assert complete("profiles").stdout == "work\nhome\n"
    assert complete("profiles", "h", "--describe").stdout == "home\tsmsactivate\n"


def test_orders_active_first_newest_first_capped(isolated_env: Path) -> None:
    journal = Journal(os.environ["OTPCLI_STATE_DIR"])
    for n in range(60):
        buy(journal, str(1000 + n))
    for n in range(55):  # all but the 5 newest are settled
        journal.record(str(1000 + n), "finished")
    buy(journal, "id;rm -rf ~")  # a hostile id is never offered
    journal.close()
    ids = complete("orders").stdout.split()
    assert ids[:5] == ["1059", "1058", "1057", "1056", "1055"]
    assert ids[5:8] == ["1054", "1053", "1052"] and len(ids) == _complete.CAP
    assert complete("orders", "105", "--describe").stdout.splitlines()[0] == (
        "1059\twaiting tg +15550000"
    )


def test_the_journal_is_read_only(isolated_env: Path) -> None:
    state = Path(os.environ["OTPCLI_STATE_DIR"])
    assert complete("orders").stdout == "" and not state.exists()
    journal = Journal(state)
    buy(journal, "42")
    journal.close()
    before = sorted(p.name for p in state.iterdir())
    data = (state / "journal.sqlite3").read_bytes()
    assert complete("orders").stdout == "42\n"
    assert sorted(p.name for p in state.iterdir()) == before  # no -wal/-shm left behind
    assert (state / "journal.sqlite3").read_bytes() == data
    # While another process holds it open (WAL), the newest rows are seen too.
    live = Journal(state)
    buy(live, "43")
    try:
        assert complete("orders").stdout == "43\n42\n"
    finally:
        live.close()


@pytest.mark.parametrize(
    "args", [("profiles",), ("orders",), ("nonsense",), (), ("profiles", "a", "b")]
)
def test_broken_files_give_nothing_and_say_nothing(isolated_env: Path, args: tuple) -> None:
    cfg = Path(os.environ["OTPCLI_CONFIG"])
    cfg.parent.mkdir()
    cfg.write_bytes(b"[profiles.work\n\xff")
    state = Path(os.environ["OTPCLI_STATE_DIR"])
    state.mkdir()
    (state / "journal.sqlite3").write_bytes(b"not a database" * 100)
    r = complete(*args)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_imports_no_typer_rich_requests_or_app(isolated_env: Path) -> None:
    probe = (
        "import sys; sys.argv = ['otp', '__complete', 'orders']; "
        "from otpcli.__main__ import main; main(); "
        "sys.stdout.write(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('typer', 'rich', 'requests', 'click', 'platformdirs') or m.startswith('otpcli.'))))"
    )
    Journal(os.environ["OTPCLI_STATE_DIR"]).orders()
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=30
    )
    # otpcli._version: the one line the package root itself runs (no library, no CLI).
    assert out.stdout.split() == ["otpcli.__main__", "otpcli._complete", "otpcli._version"]
