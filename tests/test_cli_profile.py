"""`otp profile ...` through the real root app: streams, exit codes, and no key leaks."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from otpcli.cli import render
from otpcli.cli.app import app
from otpcli.services import config

KEY = "SENTINEL-7f3a9c1e5b2d4680-KEY"
OTHER_KEY = "SECOND-SENTINEL-0a1b2c3d4e5f"


def run(*args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(app, list(args), input=input)
    for secret in (KEY, OTHER_KEY):
        assert secret not in result.stdout, result.stdout
        assert secret not in result.stderr, result.stderr
    return result


def stored() -> dict[str, Any]:
    return tomllib.loads(config.config_path().read_text())


def add(name: str = "work", provider: str = "otpx", *extra: str, key: str = KEY) -> Result:
    result = run(
        "profile", "add", name, "--provider", provider, "--api-key-stdin", *extra, input=key + "\n"
    )
    assert result.exit_code == 0, result.stderr
    return result


# --- add -------------------------------------------------------------------------------


def test_add_from_stdin() -> None:
    result = add()
    assert result.stdout == ""
    assert "saved profile work for otpx" in result.stderr
    assert "(default)" in result.stderr
    doc = stored()
    assert doc["default"] == "work"
    assert doc["profiles"]["work"] == {"provider": "otpx", "api_key": KEY}


def test_add_strips_and_takes_first_line_of_stdin() -> None:
    result = run(
        "profile",
        "add",
        "w",
        "--provider",
        "otpget",
        "--api-key-stdin",
        input=f"  {KEY}  \nsecond line\n",
    )
    assert result.exit_code == 0, result.stderr
    assert stored()["profiles"]["w"]["api_key"] == KEY


def test_add_from_file(tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(KEY + "\nignored\n")
    result = run("profile", "add", "f", "--provider", "instaotp", "--api-key-file", str(key_file))
    assert result.exit_code == 0, result.stderr
    assert stored()["profiles"]["f"]["api_key"] == KEY


def test_add_from_missing_file_is_bad_input(tmp_path: Path) -> None:
    result = run("profile", "add", "f", "--provider", "otpx", "--api-key-file", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "cannot read the key file" in result.stderr
    assert not config.config_path().exists()


def test_add_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTPCLI_API_KEY", KEY)
    result = run("profile", "add", "ci", "--provider", "sastaotp", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"profile": "ci", "provider": "sastaotp", "default": True}
    assert "OTPCLI_API_KEY" in result.stderr
    assert stored()["profiles"]["ci"]["api_key"] == KEY


def test_add_prompts_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    real = render.Env.from_system

    def tty_env() -> render.Env:
        e = real()
        e.stdin_isatty = True
        return e

    monkeypatch.setattr(render.Env, "from_system", staticmethod(tty_env))
    result = run("profile", "add", "t", "--provider", "otpx", input=KEY + "\n")
    assert result.exit_code == 0, result.stderr
    # The prompt text goes to stderr. (CliRunner's stand-in for getpass echoes the
    # prompt's trailing space and a newline to stdout; real getpass uses the terminal.)
    assert result.stdout.strip() == ""
    assert "API key for otpx" in result.stderr
    assert stored()["profiles"]["t"]["api_key"] == KEY


def test_add_without_any_key_source_and_no_terminal() -> None:
    result = run("profile", "add", "w", "--provider", "otpx")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert "no API key" in result.stderr
    assert "--api-key-stdin" in result.stderr and "OTPCLI_API_KEY" in result.stderr
    assert not config.config_path().exists()


def test_add_json_error_document() -> None:
    result = run("profile", "add", "w", "--provider", "otpx", "--json")
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["error"] == "config" and doc["exit_code"] == 3


def test_key_is_never_taken_from_argv() -> None:
    result = run("profile", "add", "w", "--provider", "otpx", "--api-key", "abc")
    assert result.exit_code == 2
    assert not config.config_path().exists()


def test_add_unknown_provider_lists_choices() -> None:
    result = run("profile", "add", "w", "--provider", "nosuch", "--api-key-stdin", input="k\n")
    assert result.exit_code == 2
    assert "unknown provider 'nosuch'" in result.stderr
    assert "otpx" in result.stderr and "sandbox" in result.stderr


def test_add_invalid_name() -> None:
    result = run("profile", "add", "a b", "--provider", "otpx", "--api-key-stdin", input="k\n")
    assert result.exit_code == 2
    assert "invalid profile name" in result.stderr


def test_add_refuses_plain_http_base_url() -> None:
    result = run(
        "profile",
        "add",
        "w",
        "--provider",
        "otpx",
        "--base-url",
        "http://example.com/stubs",
        "--api-key-stdin",
        input=KEY + "\n",
    )
    assert result.exit_code == 3
    assert "http" in result.stderr
    assert not config.config_path().exists()


def test_add_smsactivate_needs_base_url() -> None:
    result = run("profile", "add", "s", "--provider", "smsactivate", "--api-key-stdin", input="k\n")
    assert result.exit_code == 3
    assert "--base-url" in result.stderr


def test_add_with_all_options_and_second_profile_not_default() -> None:
    add()
    result = add(
        "local",
        "smsactivate",
        "--base-url",
        "http://127.0.0.1:8080/stubs/",
        "-c",
        "22",
        "--operator",
        "any",
        "--server",
        "2",
        key=OTHER_KEY,
    )
    assert "otp profile use local" in result.stderr
    doc = stored()
    assert doc["default"] == "work"
    assert doc["profiles"]["local"] == {
        "provider": "smsactivate",
        "api_key": OTHER_KEY,
        "base_url": "http://127.0.0.1:8080/stubs",
        "country": "22",
        "operator": "any",
        "server": "2",
    }


def test_add_sandbox_needs_no_key_and_ignores_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTPCLI_API_KEY", KEY)
    result = run("profile", "add", "play", "--provider", "sandbox", "--default")
    assert result.exit_code == 0, result.stderr
    assert stored()["profiles"]["play"] == {"provider": "sandbox"}


# --- list ----------------------------------------------------------------------------


def test_list_empty() -> None:
    result = run("profile", "list")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "otp profile add" in result.stderr
    result = run("profile", "list", "--json")
    assert json.loads(result.stdout) == []


def test_list_table_and_json() -> None:
    add()
    add("cheap", "otpget", key=OTHER_KEY)
    result = run("profile", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    work = next(line for line in lines if " work " in line)
    assert "*" in work and "otpx" in work and "https://otpx.in/api/stubs" in work
    assert config.mask(KEY) in work
    assert any("cheap" in line and "otpget" in line for line in lines)
    assert result.stderr == ""

    result = run("--json", "profile", "list")
    doc = json.loads(result.stdout)
    assert [p["name"] for p in doc] == ["cheap", "work"]
    assert doc[1] == {
        "name": "work",
        "provider": "otpx",
        "base_url": None,
        "country": None,
        "operator": None,
        "server": None,
        "max_spend": None,
        "default": True,
        "api_key": config.mask(KEY),
    }


def test_list_warns_about_an_exposed_file() -> None:
    add()
    path = config.config_path()
    os.chmod(path, 0o644)
    result = run("profile", "list")
    assert result.exit_code == 0
    assert f"chmod 600 {path}" in result.stderr


def test_list_broken_file() -> None:
    path = config.config_path()
    path.parent.mkdir(parents=True)
    path.write_text("this is = = not toml")
    result = run("profile", "list")
    assert result.exit_code == 3
    assert str(path) in result.stderr
    assert path.read_text() == "this is = = not toml"


# --- use / remove --------------------------------------------------------------------


def test_use() -> None:
    add()
    add("b", "otpget", key=OTHER_KEY)
    result = run("profile", "use", "b")
    assert result.exit_code == 0
    assert result.stdout == "" and "default profile is now b" in result.stderr
    assert stored()["default"] == "b"
    result = run("profile", "use", "work", "--json")
    assert json.loads(result.stdout) == {"default": "work"}


def test_use_missing() -> None:
    add()
    result = run("profile", "use", "nope")
    assert result.exit_code == 3
    assert "no profile named 'nope'" in result.stderr and "work" in result.stderr
    result = run("profile", "use", "nope", "--json")
    assert json.loads(result.stdout)["exit_code"] == 3


def test_remove() -> None:
    add()
    add("b", "otpget", key=OTHER_KEY)
    result = run("profile", "remove", "work", "--json")
    assert result.exit_code == 0
    # The one left spends real money: it is not promoted, and stderr says so.
    assert json.loads(result.stdout) == {"removed": "work", "default": None}
    assert "no default profile now" in result.stderr
    assert stored().get("default") is None
    assert list(stored()["profiles"]) == ["b"]
    result = run("profile", "remove", "work")
    assert result.exit_code == 3
    result = run("profile", "remove", "b")
    assert result.exit_code == 0
    assert "no default" not in result.stderr  # b was not the default


def test_remove_default_keeps_a_lone_sandbox_as_default() -> None:
    add()
    add("play", "sandbox")
    result = run("profile", "remove", "work")
    assert result.exit_code == 0, result.stderr
    assert "'play'" in result.stderr and "sandbox" in result.stderr
    assert stored()["default"] == "play"


# --- show ----------------------------------------------------------------------------


def show_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_show_default_profile() -> None:
    add("work", "otpx", "-c", "22")
    result = run("profile", "show")
    assert result.exit_code == 0
    out = result.stdout
    assert "profile work" in out and "otpx" in out and config.mask(KEY) in out
    assert "https://otpx.in/api/stubs" in out and "default" in out
    doc = show_json("profile", "show")
    s = doc["settings"]
    assert s["profile"] == {"value": "work", "source": "default"}
    assert s["provider"] == {"value": "otpx", "source": "profile work"}
    assert s["api_key"] == {"value": config.mask(KEY), "source": "profile work"}
    assert s["base_url"] == {"value": "https://otpx.in/api/stubs", "source": "default"}
    assert s["country"] == {"value": "22", "source": "profile work"}
    assert s["server"] == {"value": None, "source": "unset"}
    assert doc["ready"] is True and doc["problems"] == []


def test_show_flags_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    add()
    add("b", "otpget", key=OTHER_KEY)
    monkeypatch.setenv("OTPCLI_BASE_URL", "https://env.example/x")
    s = show_json("-p", "b", "profile", "show")["settings"]
    assert s["profile"] == {"value": "b", "source": "flag"}
    assert s["base_url"] == {"value": "https://env.example/x", "source": "env OTPCLI_BASE_URL"}
    s = show_json("--base-url", "https://flag.example/y", "profile", "show", "-p", "b")["settings"]
    assert s["base_url"] == {"value": "https://flag.example/y", "source": "flag"}
    assert show_json("profile", "show", "b")["settings"]["provider"]["value"] == "otpget"


def test_show_sandbox() -> None:
    add()
    doc = show_json("--sandbox", "profile", "show")
    assert doc["settings"]["provider"] == {"value": "sandbox", "source": "flag"}
    assert doc["settings"]["api_key"]["value"] is None
    assert doc["ready"] is True


def test_show_env_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTPCLI_PROVIDER", "otpx")
    monkeypatch.setenv("OTPCLI_API_KEY", KEY)
    s = show_json("profile", "show")["settings"]
    assert s["provider"] == {"value": "otpx", "source": "env OTPCLI_PROVIDER"}
    assert s["api_key"] == {"value": config.mask(KEY), "source": "env OTPCLI_API_KEY"}
    assert not config.config_path().exists()


def test_show_reports_what_is_missing() -> None:
    result = run("profile", "show")
    assert result.exit_code == 0
    assert "no provider selected" in result.stderr
    doc = show_json("profile", "show")
    assert doc["ready"] is False
    assert "otp profile add NAME --provider otpx" in doc["problems"][0]


def test_show_missing_profile() -> None:
    add()
    result = run("profile", "show", "nope")
    assert result.exit_code == 3
    assert "work" in result.stderr


def test_no_args_shows_help() -> None:
    result = run("profile")
    assert "add" in result.stdout + result.stderr
