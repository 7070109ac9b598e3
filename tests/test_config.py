"""The profile store and settings resolution: precedence, sources, safety of the file."""

from __future__ import annotations

import multiprocessing
import os
import stat
import tomllib
from pathlib import Path

import pytest

from otpcli.domain.errors import BadInput, ConfigError, ExitCode
from otpcli.services import config
from otpcli.services.config import ConfigStore, Profile, Sourced, mask, resolve_settings

KEY = "SENTINEL-KEY-0123456789abcdef"


def cfg_path() -> Path:
    return config.config_path()


def store() -> ConfigStore:
    return ConfigStore(cfg_path())


def write_raw(text: str, mode: int = 0o600) -> Path:
    path = cfg_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)
    return path


def env(**values: str) -> dict[str, str]:
    base = {"OTPCLI_CONFIG": str(cfg_path())}
    base.update({f"OTPCLI_{k.upper()}": v for k, v in values.items()})
    return base


# --- paths ---------------------------------------------------------------------------


def test_paths_come_from_environment(tmp_path: Path) -> None:
    assert config.config_path({"OTPCLI_CONFIG": str(tmp_path / "c.toml")}) == tmp_path / "c.toml"
    assert config.state_dir({"OTPCLI_STATE_DIR": str(tmp_path / "s")}) == tmp_path / "s"
    assert not (tmp_path / "s").exists()


def test_paths_default_to_platform_dirs(tmp_path: Path) -> None:
    path = config.config_path({})
    assert path.name == "config.toml"
    assert "otpcli" in path.parts
    assert "otpcli" in config.state_dir({}).parts
    assert not config.state_dir({}).exists()


# --- precedence ----------------------------------------------------------------------


def _work_profile() -> None:
    store().add(
        Profile(
            "work",
            "otpx",
            api_key="profile-key-aaaaaaaa",
            base_url="https://profile.example/stubs",
            country="22",
            operator="jio",
            server="2",
        )
    )


@pytest.mark.parametrize(
    ("flags", "environ", "field", "expected"),
    [
        # base_url: flag > env > profile > default
        (
            {"base_url": "https://flag.example/s/"},
            {"base_url": "https://env.example/s"},
            "base_url",
            Sourced("https://flag.example/s", "flag"),
        ),
        (
            {},
            {"base_url": "https://env.example/s"},
            "base_url",
            Sourced("https://env.example/s", "env OTPCLI_BASE_URL"),
        ),
        ({}, {}, "base_url", Sourced("https://profile.example/stubs", "profile work")),
        # api_key: env > profile
        ({}, {"api_key": "env-key"}, "api_key", Sourced("env-key", "env OTPCLI_API_KEY")),
        ({}, {}, "api_key", Sourced("profile-key-aaaaaaaa", "profile work")),
        # provider: flag > env > profile (same provider, so the profile still applies)
        ({"provider": "otpx"}, {"provider": "otpx"}, "provider", Sourced("otpx", "flag")),
        ({}, {"provider": "otpx"}, "provider", Sourced("otpx", "env OTPCLI_PROVIDER")),
        ({}, {}, "provider", Sourced("otpx", "profile work")),
        # country / operator / server: flag > profile
        ({"country": "7"}, {}, "country", Sourced("7", "flag")),
        ({}, {}, "country", Sourced("22", "profile work")),
        ({"operator": "any"}, {}, "operator", Sourced("any", "flag")),
        ({}, {}, "server", Sourced("2", "profile work")),
        # profile: flag > env > the file's default
        ({"profile": "work"}, {"profile": "nope"}, "profile", Sourced("work", "flag")),
        ({}, {"profile": "work"}, "profile", Sourced("work", "env OTPCLI_PROFILE")),
        ({}, {}, "profile", Sourced("work", "default")),
    ],
)
def test_precedence(
    flags: dict[str, str], environ: dict[str, str], field: str, expected: Sourced
) -> None:
    _work_profile()
    settings = resolve_settings(**flags, environ=env(**environ))  # type: ignore[arg-type]
    assert getattr(settings, field) == expected


def test_builtin_default_base_url() -> None:
    store().add(Profile("p", "otpget", api_key="k"))
    s = resolve_settings(environ=env())
    assert s.base_url == Sourced("https://www.otpget.com/stubs", "default")
    assert s.country == Sourced(None, "unset")


def test_env_only_without_config_file() -> None:
    path = cfg_path()
    assert not path.exists()
    s = resolve_settings(environ=env(provider="instaotp", api_key="ci-key"))
    assert s.provider == Sourced("instaotp", "env OTPCLI_PROVIDER")
    assert s.api_key == Sourced("ci-key", "env OTPCLI_API_KEY")
    assert s.base_url == Sourced("https://instaotp.in/api/v1", "default")
    assert s.profile == Sourced(None, "unset")
    assert not path.exists() and not path.parent.exists()

    s = resolve_settings(
        environ=env(provider="smsactivate", api_key="k", base_url="http://127.0.0.1:9/x")
    )
    assert s.base_url == Sourced("http://127.0.0.1:9/x", "env OTPCLI_BASE_URL")


def test_empty_env_values_count_as_unset() -> None:
    _work_profile()
    s = resolve_settings(environ=env(profile="", provider="", api_key="", base_url=""))
    assert s.profile == Sourced("work", "default")
    assert s.api_key.source == "profile work"


def test_default_profile_skipped_for_another_provider() -> None:
    _work_profile()  # otpx, the default
    s = resolve_settings(environ=env(provider="otpget", api_key="other"))
    assert s.profile == Sourced(None, "unset")
    assert s.api_key == Sourced("other", "env OTPCLI_API_KEY")
    assert s.base_url == Sourced("https://www.otpget.com/stubs", "default")
    assert s.country.value is None
    # Without a key of its own, the otpx key is never borrowed.
    with pytest.raises(ConfigError) as exc:
        resolve_settings(environ=env(provider="otpget"))
    assert "no API key for otpget" in exc.value.message
    assert "profile-key" not in str(exc.value.to_json())


def test_sandbox_flag_skips_default_profile_and_needs_nothing() -> None:
    _work_profile()
    s = resolve_settings(provider="sandbox", environ=env())
    assert s.provider == Sourced("sandbox", "flag")
    assert s.api_key.value is None
    assert s.base_url.value is None
    assert s.profile.value is None


def test_explicit_profile_for_another_provider_is_ignored_with_warning() -> None:
    _work_profile()
    warnings: list[str] = []
    s = resolve_settings(profile="work", provider="sandbox", environ=env(), warn=warnings.append)
    assert s.api_key.value is None and s.profile.value is None
    assert warnings and "not using the profile" in warnings[0]


# --- errors --------------------------------------------------------------------------


def test_no_provider_anywhere() -> None:
    with pytest.raises(ConfigError) as exc:
        resolve_settings(environ=env())
    err = exc.value
    assert err.exit_code == ExitCode.CONFIG == 3
    assert err.hint == config.NO_PROVIDER_HINT
    assert "otp profile add NAME --provider otpx" in err.hint
    assert "OTPCLI_PROVIDER" in err.hint and "--sandbox" in err.hint


def test_named_profile_missing_lists_existing() -> None:
    _work_profile()
    store().add(Profile("home", "otpget", api_key="k"))
    with pytest.raises(ConfigError) as exc:
        resolve_settings(profile="nope", environ=env())
    assert "nope" in exc.value.message and str(cfg_path()) in exc.value.message
    assert exc.value.hint is not None and "home, work" in exc.value.hint
    with pytest.raises(ConfigError):
        resolve_settings(environ=env(profile="nope"))


def test_missing_key_names_the_fix() -> None:
    store().add(Profile("w", "otpx"))
    with pytest.raises(ConfigError) as exc:
        resolve_settings(environ=env())
    assert exc.value.hint is not None
    assert "otp profile add w --provider otpx" in exc.value.hint
    assert "OTPCLI_API_KEY" in exc.value.hint
    s = resolve_settings(environ=env(), require_key=False)
    assert s.api_key == Sourced(None, "unset")


def test_smsactivate_needs_base_url() -> None:
    with pytest.raises(ConfigError) as exc:
        resolve_settings(environ=env(provider="smsactivate", api_key="k"))
    assert exc.value.hint is not None and "--base-url" in exc.value.hint


def test_unknown_provider() -> None:
    with pytest.raises(ConfigError) as exc:
        resolve_settings(environ=env(provider="nosuch", api_key="k"))
    assert "nosuch" in exc.value.message and "env OTPCLI_PROVIDER" in exc.value.message
    assert exc.value.hint is not None and "otpx" in exc.value.hint


def test_lenient_resolution_with_nothing_configured() -> None:
    s = resolve_settings(environ=env(), require_key=False)
    assert s.provider == Sourced(None, "unset")


@pytest.mark.parametrize(
    "url",
    ["http://example.com/stubs", "http://10.0.0.1/x", "ftp://example.com", "example.com"],
)
def test_unsafe_base_url_refused(url: str) -> None:
    with pytest.raises(ConfigError) as exc:
        resolve_settings(base_url=url, environ=env(provider="otpx", api_key="k"))
    assert exc.value.exit_code == 3


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/s", "http://localhost/s", "http://[::1]/"])
def test_loopback_http_allowed(url: str) -> None:
    s = resolve_settings(base_url=url, environ=env(provider="otpx", api_key="k"))
    assert s.base_url.value == url.rstrip("/")


@pytest.mark.parametrize(
    "text",
    [
        "default = \n",  # not TOML
        "[profiles.x]\nprovider = 5\n",  # wrong type
        "[profiles.x]\ncountry = '22'\n",  # no provider
        "profiles = 'nope'\n",
    ],
)
def test_broken_file_is_reported_and_left_untouched(text: str) -> None:
    path = write_raw(text)
    with pytest.raises(ConfigError) as exc:
        resolve_settings(environ=env(provider="otpx", api_key="k"))
    assert exc.value.exit_code == 3
    assert str(path) in exc.value.message
    assert exc.value.hint is not None and str(path) in exc.value.hint
    with pytest.raises(ConfigError):
        store().load()
    with pytest.raises(ConfigError):
        store().add(Profile("y", "otpx", api_key="k"))
    assert path.read_text() == text


def test_unreadable_file(tmp_path: Path) -> None:
    path = cfg_path()
    path.mkdir(parents=True)  # a folder where the file should be: reading fails
    with pytest.raises(ConfigError) as exc:
        store().load()
    assert str(path) in exc.value.message


def test_dangling_default() -> None:
    write_raw('default = "gone"\n[profiles.a]\nprovider = "otpx"\napi_key = "k"\n')
    with pytest.raises(ConfigError) as exc:
        resolve_settings(environ=env())
    assert exc.value.hint is not None and "otp profile use a" in exc.value.hint
    # Not needed when the provider comes from elsewhere.
    assert resolve_settings(environ=env(provider="sandbox")).provider.value == "sandbox"


# --- file safety ---------------------------------------------------------------------


def test_file_mode_0600_in_folder_0700() -> None:
    path = cfg_path()
    old = os.umask(0o022)
    try:
        store().add(Profile("a", "otpx", api_key=KEY))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path.with_name(path.name + ".lock")).st_mode) == 0o600


def test_existing_folder_mode_is_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    ConfigStore(folder / "c.toml").add(Profile("a", "otpx", api_key="k"))
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o755
    assert stat.S_IMODE(os.stat(folder / "c.toml").st_mode) == 0o600


def test_warning_on_exposed_file() -> None:
    path = write_raw('default = "a"\n[profiles.a]\nprovider = "otpx"\napi_key = "k"\n', mode=0o644)
    warnings: list[str] = []
    resolve_settings(environ=env(), warn=warnings.append)
    assert warnings == [f"config file {path} is readable by others; run: chmod 600 {path}"]
    os.chmod(path, 0o600)
    warnings.clear()
    resolve_settings(environ=env(), warn=warnings.append)
    assert warnings == []


def test_rewrite_keeps_mode_and_unknown_keys() -> None:
    path = write_raw('future = 1\n[profiles.a]\nprovider = "otpx"\nextra = "x"\n', mode=0o644)
    store().add(Profile("b", "otpget", api_key="k"))
    doc = tomllib.loads(path.read_text())
    assert doc["future"] == 1
    assert doc["profiles"]["a"] == {"provider": "otpx", "extra": "x"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_atomic_write_leaves_old_file_on_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    store().add(Profile("a", "otpx", api_key="k"))
    path = cfg_path()
    before = path.read_bytes()

    def boom(src: object, dst: object) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(ConfigError, match="disk on fire"):
        store().add(Profile("b", "otpx", api_key="k"))
    assert path.read_bytes() == before
    # No temp file left behind.
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.toml", "config.toml.lock"]


def test_write_goes_through_temp_file_and_replace(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    real = os.replace

    def spy(src: str, dst: str) -> None:
        calls.append((str(src), str(dst)))
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    store().add(Profile("a", "otpx", api_key="k"))
    [(src, dst)] = calls
    assert dst == str(cfg_path())
    assert Path(src).parent == cfg_path().parent and src != dst


def test_write_through_symlink(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "otp.toml"
    real.parent.mkdir()
    real.write_text("")
    link = cfg_path()
    link.parent.mkdir(parents=True)
    link.symlink_to(real)
    store().add(Profile("a", "otpx", api_key="k"))
    assert link.is_symlink()
    assert "a" in tomllib.loads(real.read_text())["profiles"]


def _add_one(path: str, i: int, barrier: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    ConfigStore(Path(path)).add(Profile(f"p{i:02d}", "otpx", api_key=f"key-{i}"))


def test_concurrent_adds_from_processes() -> None:
    path = cfg_path()
    ctx = multiprocessing.get_context("fork")
    n = 20
    barrier = ctx.Barrier(n)
    procs = [ctx.Process(target=_add_one, args=(str(path), i, barrier)) for i in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0] * n
    data = store().load()
    assert sorted(data.profiles) == [f"p{i:02d}" for i in range(n)]
    assert all(data.profiles[f"p{i:02d}"].api_key == f"key-{i}" for i in range(n))
    assert data.default in data.profiles
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


# --- the store -----------------------------------------------------------------------


def test_first_profile_becomes_default_and_set_default() -> None:
    s = store()
    assert s.add(Profile("a", "otpx", api_key="k")) is True
    assert s.add(Profile("b", "otpget", api_key="k")) is False
    assert s.load().default == "a"
    assert s.add(Profile("c", "otpget", api_key="k"), make_default=True) is True
    s.set_default("b")
    assert s.load().default == "b"
    with pytest.raises(ConfigError) as exc:
        s.set_default("zz")
    assert exc.value.hint is not None and "a, b, c" in exc.value.hint


def test_replace_and_no_replace() -> None:
    s = store()
    s.add(Profile("a", "otpx", api_key="old", country="1"))
    s.add(Profile("a", "otpget", api_key="new"))
    assert s.load().profiles["a"] == Profile("a", "otpget", api_key="new")
    with pytest.raises(BadInput):
        s.add(Profile("a", "otpx"), replace=False)


def test_remove() -> None:
    s = store()
    s.add(Profile("a", "otpx", api_key="k"))
    s.add(Profile("b", "otpx", api_key="k"))
    s.add(Profile("c", "otpx", api_key="k"))
    assert s.remove("b") == "a"
    assert s.remove("a") is None  # one left, but it spends money: never promoted
    assert s.remove("c") is None
    assert s.load().profiles == {}
    with pytest.raises(ConfigError) as exc:
        s.remove("c")
    assert exc.value.exit_code == 3


def test_remove_default_promotes_only_a_lone_sandbox() -> None:
    s = store()
    s.add(Profile("real", "otpx", api_key="k"))
    s.add(Profile("play", "sandbox"))
    s.add(Profile("other", "otpx", api_key="k"))
    assert s.remove("real") is None  # two left: no default
    s.set_default("other")
    assert s.remove("other") == "play"  # the one left costs nothing
    assert s.load().default == "play"


def test_remove_default_with_several_left_clears_it() -> None:
    s = store()
    for name in "abc":
        s.add(Profile(name, "otpx", api_key="k"))
    assert s.remove("a") is None
    assert s.load().default is None


def test_missing_file_loads_empty() -> None:
    data = store().load()
    assert data.profiles == {} and data.default is None


@pytest.mark.parametrize("name", ["a", "work-1", "A.b_c", "9", "x" * 64])
def test_valid_names(name: str) -> None:
    store().add(Profile(name, "otpx", api_key="k"))


@pytest.mark.parametrize("name", ["", "-a", ".a", "a b", "a/b", "x" * 65, "ä", "a]"])
def test_invalid_names(name: str) -> None:
    with pytest.raises(BadInput) as exc:
        store().add(Profile(name, "otpx", api_key="k"))
    assert exc.value.exit_code == 2
    assert not cfg_path().exists()


def test_unknown_provider_in_store_is_bad_input() -> None:
    with pytest.raises(BadInput):
        store().add(Profile("a", "nosuch"))


# --- mask ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "shown"),
    [
        (None, ""),
        ("", ""),
        ("short", "****"),
        ("x" * 11, "****"),
        ("abcdefghijkl", "ab…kl"),
        ("abcdefghijklmnopqrstuvwxyz", "abcd…wxyz"),
    ],
)
def test_mask(key: str | None, shown: str) -> None:
    assert mask(key) == shown


@pytest.mark.parametrize("length", range(1, 80))
def test_mask_never_reveals_key(length: int) -> None:
    key = "".join(chr(ord("a") + i % 26) + str(i % 10) for i in range(length))[:length]
    masked = mask(key)
    assert key not in masked
    revealed = sum(ch != "…" for ch in masked) if "…" in masked else 0
    assert revealed <= 8 and revealed * 3 <= length
    # Every character but the mask's own `*` and `…` comes from the key: count them all,
    # whether or not the masked form has an ellipsis.
    shown = sum(ch not in "*…" for ch in masked)
    assert shown <= 8 and shown * 3 <= length, (key, masked)
