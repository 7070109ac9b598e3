"""Profiles change without re-entering the key (`otp profile set`), a key rotates from
stdin or a file, `profile add` never silently replaces a profile, and the config file
takes `country = 7` and warns about keys it does not know."""

from __future__ import annotations

from pathlib import Path

from otpcli.services import config
from tests.test_cli_profile import KEY, OTHER_KEY, add, run, stored


def test_set_changes_one_setting_and_keeps_the_key() -> None:
    add("work", "otpx")
    r = run("profile", "set", "work", "country", "22")
    assert r.exit_code == 0, r.stderr
    table = stored()["profiles"]["work"]
    assert table["country"] == "22" and table["api_key"] == KEY
    r = run("profile", "set", "work", "country", "--unset")
    assert r.exit_code == 0, r.stderr
    assert "country" not in stored()["profiles"]["work"]


def test_set_base_url_is_checked_and_normalised() -> None:
    add("h", "smsactivate", "--base-url", "https://h.example/stubs")
    r = run("profile", "set", "h", "base_url", "https://other.example/stubs/handler_api.php")
    assert r.exit_code == 0, r.stderr
    assert stored()["profiles"]["h"]["base_url"] == "https://other.example/stubs"
    r = run("profile", "set", "h", "base_url", "http://plain.example/stubs")
    assert r.exit_code == 3  # plain http is refused for a remote host
    assert stored()["profiles"]["h"]["base_url"] == "https://other.example/stubs"


def test_set_refuses_unknown_settings_and_providers() -> None:
    add("work", "otpx")
    r = run("profile", "set", "work", "contry", "22")
    assert r.exit_code == 2 and "country" in r.stderr
    r = run("profile", "set", "work", "provider", "nosuch")
    assert r.exit_code == 3 and "otpx" in r.stderr
    r = run("profile", "set", "nobody", "country", "22")
    assert r.exit_code == 3
    r = run("profile", "set", "work", "country")
    assert r.exit_code == 2 and "--unset" in r.stderr


def test_key_rotation_from_stdin_and_file(tmp_path: Path) -> None:
    add("work", "otpx")
    r = run("profile", "set", "work", "api_key", "--api-key-stdin", input=OTHER_KEY + "\n")
    assert r.exit_code == 0, r.stderr
    assert stored()["profiles"]["work"]["api_key"] == OTHER_KEY
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    r = run("profile", "set", "work", "api_key", "--api-key-file", str(key_file))
    assert r.exit_code == 0, r.stderr
    assert stored()["profiles"]["work"]["api_key"] == KEY


def test_key_is_never_taken_from_argv_by_set() -> None:
    add("work", "otpx")
    r = run("profile", "set", "work", "api_key", "NEW-KEY-ON-ARGV")
    assert r.exit_code == 2
    assert stored()["profiles"]["work"]["api_key"] == KEY


def test_add_refuses_an_existing_name_unless_forced() -> None:
    add("work", "otpx")
    r = run("profile", "add", "work", "--provider", "sastaotp", "--api-key-stdin", input="X\n")
    assert r.exit_code == 2
    assert "--force" in r.stderr and "profile set" in r.stderr
    assert stored()["profiles"]["work"]["provider"] == "otpx"
    r = run(
        "profile",
        "add",
        "work",
        "--provider",
        "sastaotp",
        "--api-key-stdin",
        "--force",
        input=OTHER_KEY + "\n",
    )
    assert r.exit_code == 0, r.stderr
    assert stored()["profiles"]["work"]["provider"] == "sastaotp"


def test_config_numbers_and_unknown_keys() -> None:
    path = config.config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        'default = "w"\n[profiles.w]\nprovider = "otpx"\napikey = "x"\ncountry = 7\ncontry = 22\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    r = run("profile", "show", "--json")
    assert r.exit_code == 0, r.stderr
    assert '"7"' in r.stdout  # `country = 7` is the country "7"
    assert "unknown key `apikey`" in r.stderr and "`api_key`" in r.stderr
    assert "unknown key `contry`" in r.stderr and "`country`" in r.stderr
