"""The profile store and settings resolution (DESIGN §3 precedence, §4 secrets).

The config file is TOML::

    default = "work"

    [profiles.work]
    provider = "otpx"          # required
    api_key = "..."            # optional; the rest too
    base_url = "https://..."
    country = "22"
    operator = "any"
    server = "1"
    max_spend = "50/day"       # the spending cap (services/spending.py)

Contract:

- `config_path()` is `OTPCLI_CONFIG`, else `<user config dir>/otpcli/config.toml`;
  `state_dir()` is `OTPCLI_STATE_DIR`, else the user state dir (never created here).
- `resolve_settings()` gives every setting with its source. Per field: command-line
  option > environment (`OTPCLI_PROVIDER`, `OTPCLI_API_KEY`, `OTPCLI_BASE_URL`,
  `OTPCLI_MAX_SPEND`) >
  profile > built-in default. The profile is `--profile` > `OTPCLI_PROFILE` > the file's
  `default`. A profile whose provider differs from the one a flag or `OTPCLI_PROVIDER`
  names is not used at all (a key for one provider is never sent to another); for an
  explicitly chosen profile that is said through `warn`. The file is read only when it
  exists, so `OTPCLI_PROVIDER` + `OTPCLI_API_KEY` work with no config file at all.
  Empty environment variables count as unset. Every failure is a `ConfigError`
  (exit 3) whose hint is the command that fixes it.
- `ConfigStore` changes the file with read-modify-write under an exclusive `flock` on
  `PATH.lock`, writing atomically (temp file, fsync, `os.replace`) with mode 0600 in a
  folder created 0700. A broken file is reported with its path and never overwritten.
  Keys in the file that otpcli does not know are kept as they are.
- `mask()` shows at most a few characters of each end of a long key, never the key.

Records here are NamedTuples and plain classes, not dataclasses: every command reads
its settings, and dataclass code generation is a start-up cost (see domain/models.py).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from otpcli.domain.errors import BadInput, ConfigError

if TYPE_CHECKING:
    from otpcli.providers import ProviderInfo

PROFILE_FIELDS = (
    "provider",
    "api_key",
    "base_url",
    "country",
    "operator",
    "server",
    "max_spend",
    "journal_url",
)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

ENV_CONFIG = "OTPCLI_CONFIG"
ENV_STATE_DIR = "OTPCLI_STATE_DIR"
ENV_PROFILE = "OTPCLI_PROFILE"
ENV_PROVIDER = "OTPCLI_PROVIDER"
ENV_API_KEY = "OTPCLI_API_KEY"
ENV_BASE_URL = "OTPCLI_BASE_URL"
ENV_MAX_SPEND = "OTPCLI_MAX_SPEND"
ENV_JOURNAL_URL = "OTPCLI_JOURNAL_URL"

NO_PROVIDER_HINT = (
    "add a profile: `otp profile add NAME --provider otpx`, or set OTPCLI_PROVIDER and "
    "OTPCLI_API_KEY; try `otp --sandbox ...` for play money"
)

Warn = Callable[[str], None]


# --- paths -------------------------------------------------------------------------


def _env(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def _get(environ: Mapping[str, str], name: str) -> str | None:
    # `OTPCLI_PROFILE=` in a CI file means "not set", not "a profile named ''".
    value = environ.get(name, "").strip()
    return value or None


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    explicit = _get(_env(environ), ENV_CONFIG)
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs  # lazily: `otp --version` should not pay for it

    return Path(platformdirs.user_config_dir("otpcli")) / "config.toml"


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    explicit = _get(_env(environ), ENV_STATE_DIR)
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir("otpcli"))


# --- values ------------------------------------------------------------------------


class Sourced(NamedTuple):
    """A setting and where it came from.

    `source` is "flag", "env OTPCLI_X", "profile NAME", "default" (the built-in default;
    for the `profile` setting itself: the config file's `default = ...`) or "unset";
    `CLIENT_SOURCE` for a value given to `otpcli.Client` (the library's "flag").
    """

    value: str | None
    source: str


UNSET = Sourced(None, "unset")
CLIENT_SOURCE = "client"  # given as an argument of otpcli.Client


class Profile(NamedTuple):
    name: str
    provider: str
    api_key: str | None = None
    base_url: str | None = None
    country: str | None = None
    operator: str | None = None
    server: str | None = None
    max_spend: str | None = None
    journal_url: str | None = None  # the shared journal (services/journal_pg.py)

    def to_toml(self) -> dict[str, str]:
        return {k: v for k in PROFILE_FIELDS if (v := getattr(self, k)) is not None}


class Settings(NamedTuple):
    profile: Sourced
    provider: Sourced
    api_key: Sourced
    base_url: Sourced
    country: Sourced
    operator: Sourced
    server: Sourced
    # The spending cap's text (services/spending.py parses it); last, with a default,
    # so code that builds Settings by position keeps working.
    max_spend: Sourced = UNSET

    def __repr__(self) -> str:
        # Printed settings (`Client.settings`, a traceback's locals) never show the key.
        shown = self._replace(api_key=self.api_key._replace(value=mask(self.api_key.value)))
        fields = ", ".join(f"{k}={v!r}" for k, v in shown._asdict().items())
        return f"Settings({fields})"


class ConfigData:
    """The file's profiles by name and its `default`; `notes` are warnings about keys
    otp does not know (a typo such as `contry` silently ignored would cost money)."""

    def __init__(
        self,
        profiles: dict[str, Profile] | None = None,
        default: str | None = None,
        notes: tuple[str, ...] = (),
    ):
        self.profiles: dict[str, Profile] = {} if profiles is None else profiles
        self.default = default
        self.notes = notes

    def __repr__(self) -> str:
        return f"ConfigData(profiles={self.profiles!r}, default={self.default!r})"


def mask(key: str | None) -> str:
    """A key for display: `abcd…wxyz` for long keys, `****` otherwise, "" for none.

    At most a third of the key is shown (4 characters per end from 24 characters on),
    so a short key is never mostly revealed.
    """
    if not key:
        return ""
    if len(key) < 12:
        return "****"
    shown = min(4, len(key) // 6)
    return f"{key[:shown]}…{key[-shown:]}"


def validate_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise BadInput(
            f"invalid profile name {name!r}",
            hint="use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit",
        )
    return name


# --- reading -----------------------------------------------------------------------


def exposed_mode(path: Path) -> int | None:
    """The file's permission bits when group or others can access it, else None."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return mode if mode & 0o077 else None


def warn_if_exposed(path: Path, warn: Warn | None) -> None:
    if warn is not None and exposed_mode(path) is not None:
        warn(f"config file {path} is readable by others; run: chmod 600 {path}")


def _read_raw(path: Path) -> dict[str, Any] | None:
    """The parsed TOML document, or None when the file does not exist."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file {path}: {exc.strerror or exc}",
            hint=f"fix its permissions (chmod 600 {path}) or point OTPCLI_CONFIG elsewhere",
        ) from None
    import tomllib  # only when there is a file: env-only runs never pay for the parser

    try:
        return tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML: {exc}",
            hint=f"fix or move {path} (otpcli will not overwrite it)",
        ) from None


def _broken(path: Path, what: str) -> ConfigError:
    return ConfigError(
        f"config file {path}: {what}", hint=f"fix or move {path} (otpcli will not overwrite it)"
    )


def _parse(path: Path, raw: Mapping[str, Any] | None) -> ConfigData:
    if raw is None:
        return ConfigData()
    default = raw.get("default")
    if default is not None and not isinstance(default, str):
        raise _broken(path, "`default` must be a string (a profile name)")
    tables = raw.get("profiles", {})
    if not isinstance(tables, dict):
        raise _broken(path, "`profiles` must be a table of [profiles.NAME] tables")
    profiles: dict[str, Profile] = {}
    notes = [_unknown_key(path, "", k, ("default", "profiles", "journal_url")) for k in raw]
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise _broken(path, f"[profiles.{name}] must be a table")
        values = {k: v for k in PROFILE_FIELDS if (v := _field(path, name, k, table.get(k)))}
        notes += [_unknown_key(path, f"[profiles.{name}] ", k, PROFILE_FIELDS) for k in table]
        if "provider" not in values:
            raise _broken(path, f"[profiles.{name}] has no provider")
        profiles[name] = Profile(name=name, **values)
    return ConfigData(
        profiles=profiles, default=default or None, notes=tuple(n for n in notes if n)
    )


# Fields a number may stand for: `country = 7` means the provider's country "7".
_NUMERIC_FIELDS = ("country", "server", "operator", "max_spend")


def _field(path: Path, name: str, key: str, value: Any) -> str | None:
    if value is None:
        return None
    if key in _NUMERIC_FIELDS and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if key == "max_spend" and isinstance(value, float):
        return repr(value)  # `max_spend = 12.5`
    if not isinstance(value, str):
        raise _broken(path, f"[profiles.{name}] {key} must be a string")
    return value or None


def _unknown_key(path: Path, where: str, key: str, known: tuple[str, ...]) -> str:
    """A warning for a key otp ignores, naming the likely one; "" for a known key."""
    if key in known:
        return ""
    import difflib

    close = difflib.get_close_matches(key.lower().replace("-", "_"), known, n=1, cutoff=0.6)
    alias = {"apikey": "api_key", "key": "api_key", "url": "base_url", "baseurl": "base_url"}
    likely = close[0] if close else alias.get(key.lower().replace("_", "").replace("-", ""))
    guess = f"; did you mean `{likely}`?" if likely else f" (known: {', '.join(known)})"
    return f"config file {path}: {where}unknown key `{key}` is ignored{guess}"


# --- the store ---------------------------------------------------------------------


def _make_private_dirs(folder: Path) -> None:
    """Create `folder` and any missing parents with mode 0700.

    Only folders created here are chmod-ed: an existing one (say /tmp) is left alone.
    """
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:  # another process won the race
            continue
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask


class ConfigStore:
    """The config file, read and changed safely by many processes at once."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def load(self) -> ConfigData:
        return _parse(self.path, _read_raw(self.path))

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        """Yield the raw document under the lock; write it back when the block succeeds."""
        import fcntl

        try:
            _make_private_dirs(self.path.parent)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise self._unwritable(exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = _read_raw(self.path)
            _parse(self.path, raw)  # refuse to rewrite a file we cannot understand
            doc: dict[str, Any] = dict(raw or {})
            doc["profiles"] = dict(doc.get("profiles") or {})
            yield doc
            try:
                self._write(doc)
            except OSError as exc:
                raise self._unwritable(exc) from None
        finally:
            os.close(fd)  # closing releases the flock

    def _unwritable(self, exc: OSError) -> ConfigError:
        """The exit-3 error for a config folder that cannot be written (read-only, a
        file where a folder should be, a full disk), with the path and the fix."""
        folder = self.path.parent
        return ConfigError(
            f"cannot write the config file {self.path}: {exc.strerror or exc}"
            + (
                f" ({exc.filename})" if exc.filename and str(exc.filename) != str(self.path) else ""
            ),
            hint=f"make {folder} a writable folder (chmod 700 {folder}), "
            "or point OTPCLI_CONFIG at a file in one",
        )

    def _write(self, doc: dict[str, Any]) -> None:
        import tempfile

        import tomli_w

        if doc.get("default") is None:
            doc.pop("default", None)
        # `default` first so a person reading the file sees it at the top.
        ordered = {k: doc[k] for k in ("default",) if k in doc}
        ordered.update({k: v for k, v in doc.items() if k != "default"})
        data = tomli_w.dumps(ordered).encode("utf-8")
        # Write through a symlink (dotfile managers) instead of replacing the link.
        target = self.path.resolve() if self.path.is_symlink() else self.path
        folder = target.parent
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                os.fchmod(fh.fileno(), 0o600)  # mkstemp is 0600 already; be explicit
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        # Make the rename itself durable.
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def add(self, profile: Profile, *, make_default: bool = False, replace: bool = True) -> bool:
        """Add or replace a profile; return whether it is now the default.

        The first profile becomes the default. With `replace=False` an existing profile
        of that name is a BadInput.
        """
        validate_name(profile.name)
        from otpcli import providers

        if profile.provider not in providers.PROVIDERS:
            raise BadInput(
                f"unknown provider {profile.provider!r}",
                hint="choose one of: " + ", ".join(providers.PROVIDERS),
            )
        with self._locked() as doc:
            profiles = doc["profiles"]
            if profile.name in profiles and not replace:
                raise BadInput(
                    f"profile {profile.name!r} already exists",
                    hint=f"change one setting with `otp profile set {profile.name} KEY VALUE`,"
                    f" or replace it whole with `otp profile add {profile.name} ... --force`",
                )
            profiles[profile.name] = profile.to_toml()
            if make_default or not doc.get("default") or doc["default"] not in profiles:
                doc["default"] = profile.name
            return bool(doc["default"] == profile.name)

    def update(self, name: str, field: str, value: str | None) -> None:
        """Set one field of an existing profile (None removes it); the key stays as it
        is unless `field` is `api_key`. BadInput for a field otp does not know."""
        validate_name(name)
        if field not in PROFILE_FIELDS:
            raise BadInput(
                f"a profile has no setting {field!r}",
                hint=f"settings: {', '.join(PROFILE_FIELDS)}",
            )
        if field == "provider" and not value:
            raise BadInput("a profile must keep a provider", hint="set another one instead")
        with self._locked() as doc:
            profiles = doc["profiles"]
            if name not in profiles:
                raise missing_profile(name, profiles, self.path)
            table = dict(profiles[name])
            if value is None:
                table.pop(field, None)
            else:
                table[field] = value
            profiles[name] = table

    def remove(self, name: str) -> str | None:
        """Remove a profile; return the default afterwards.

        Removing the default leaves no default: another profile may spend real money,
        and choosing it must be the user's act (`otp profile use NAME`). The one
        exception is a single remaining profile that costs nothing (the sandbox).
        """
        from otpcli.providers import SANDBOX

        validate_name(name)
        with self._locked() as doc:
            profiles = doc["profiles"]
            if name not in profiles:
                raise missing_profile(name, profiles, self.path)
            del profiles[name]
            if doc.get("default") == name:
                rest = list(profiles.values())
                free = len(rest) == 1 and rest[0].get("provider") == SANDBOX
                doc["default"] = next(iter(profiles)) if free else None
            default: str | None = doc.get("default")
            return default

    def set_default(self, name: str) -> None:
        validate_name(name)
        with self._locked() as doc:
            if name not in doc["profiles"]:
                raise missing_profile(name, doc["profiles"], self.path)
            doc["default"] = name


def missing_profile(name: str, existing: Mapping[str, Any], path: Path) -> ConfigError:
    if existing:
        hint = f"existing profiles: {', '.join(sorted(existing))}; or add it: "
    else:
        hint = "there are no profiles yet; add one: "
    hint += f"`otp profile add {name} --provider otpx`"
    return ConfigError(f"no profile named {name!r} in {path}", hint=hint)


# --- resolution --------------------------------------------------------------------


def resolve_settings(
    *,
    profile: str | None = None,
    provider: str | None = None,
    base_url: str | None = None,
    country: str | None = None,
    operator: str | None = None,
    server: str | None = None,
    environ: Mapping[str, str] | None = None,
    warn: Warn | None = None,
    require_key: bool = True,
    max_spend: str | Sourced | None = None,
) -> Settings:
    """Every setting with its source; raise ConfigError (exit 3) with the fix.

    The steps, each a function below: which profile the line or environment names, which
    provider is forced outside any profile, the config file, the profile that applies,
    then provider, key and base URL (flag > environment > profile > default).
    `max_spend` may come already `Sourced` (the library names its own source).
    With `require_key=False` (for `otp profile show`) nothing that is merely missing
    (provider, key, smsactivate's base URL) is an error; unknown providers, missing
    named profiles, broken files and unsafe base URLs still are.
    """
    env = _env(environ)
    path = config_path(env)
    chosen = _named(profile, env, ENV_PROFILE)
    forced = _named(provider, env, ENV_PROVIDER)
    data = _load(path, warn)
    prof, profile_src = _applying_profile(data, path, chosen, forced, warn)
    pick = _Picker(env, prof).pick
    provider_s = forced or (Sourced(prof.provider, f"profile {prof.name}") if prof else UNSET)
    info = _provider_info(provider_s, data, require_key=require_key)
    api_key = pick(None, ENV_API_KEY, "api_key")
    if info is not None and require_key:
        _require_key(info, api_key, prof)
    return Settings(
        profile=profile_src,
        provider=provider_s,
        api_key=api_key,
        base_url=_base_url(pick(base_url, ENV_BASE_URL, "base_url"), info, prof, warn, require_key),
        country=pick(country, None, "country"),
        operator=pick(operator, None, "operator"),
        server=pick(server, None, "server"),
        max_spend=pick(max_spend, ENV_MAX_SPEND, "max_spend"),
    )


def _named(flag: str | None, env: Mapping[str, str], env_name: str) -> Sourced | None:
    """A name given on the command line, else by the environment variable, else None."""
    if flag:
        return Sourced(flag, "flag")
    if value := _get(env, env_name):
        return Sourced(value, f"env {env_name}")
    return None


def _load(path: Path, warn: Warn | None) -> ConfigData:
    """The config file's profiles (empty when there is none), its notes told via `warn`."""
    raw = _read_raw(path)
    if raw is not None:
        warn_if_exposed(path, warn)
    data = _parse(path, raw)
    if warn is not None:
        for key_note in data.notes:
            warn(key_note)
    return data


def _applying_profile(
    data: ConfigData,
    path: Path,
    chosen: Sourced | None,
    forced: Sourced | None,
    warn: Warn | None,
) -> tuple[Profile | None, Sourced]:
    """The profile whose values apply, and where its name came from. A profile of another
    provider than the one forced is not used: its key must never reach that provider."""
    if chosen is not None:
        assert chosen.value is not None
        prof = data.profiles.get(chosen.value)
        if prof is None:
            raise missing_profile(chosen.value, data.profiles, path)
        if forced is None or forced.value == prof.provider:
            return prof, chosen
        if warn is not None:
            warn(
                f"profile {prof.name} is for {prof.provider}, but {forced.value} was "
                f"chosen by {_describe(forced)}; not using the profile"
            )
        return None, UNSET
    if data.default is None:
        return None, UNSET
    prof = data.profiles.get(data.default)
    if prof is None and forced is None:
        raise ConfigError(
            f"the default profile {data.default!r} in {path} does not exist",
            hint=_choose_hint(data),
        )
    if prof is None or (forced is not None and forced.value != prof.provider):
        return None, UNSET  # the default profile holds another provider's key
    return prof, Sourced(prof.name, "default")


class _Picker:
    """One setting by precedence: flag > environment variable > the applying profile."""

    def __init__(self, env: Mapping[str, str], prof: Profile | None) -> None:
        self.env, self.prof = env, prof

    def pick(self, flag: str | Sourced | None, env_name: str | None, attr: str) -> Sourced:
        if isinstance(flag, Sourced):
            if flag.value:
                return flag
            flag = None
        if flag:
            return Sourced(flag, "flag")
        if env_name and (value := _get(self.env, env_name)):
            return Sourced(value, f"env {env_name}")
        if self.prof is not None and (value := getattr(self.prof, attr)):
            return Sourced(value, f"profile {self.prof.name}")
        return UNSET


def _provider_info(
    provider_s: Sourced, data: ConfigData, *, require_key: bool
) -> ProviderInfo | None:
    """The registry's entry for the selected provider; None when none is selected and
    none is required."""
    from otpcli import providers

    if provider_s.value is None:
        if not require_key:
            return None
        hint = NO_PROVIDER_HINT
        if data.profiles:
            hint = _choose_hint(data) + "; or " + hint
        raise ConfigError("no provider selected", hint=hint)
    try:
        return providers.get_info(provider_s.value)
    except ConfigError as exc:
        raise ConfigError(
            f"unknown provider {provider_s.value!r} (from {_describe(provider_s)})",
            hint=exc.hint,
        ) from None


def _require_key(info: ProviderInfo, api_key: Sourced, prof: Profile | None) -> None:
    if info.needs_key and api_key.value is None:
        name = prof.name if prof else info.name
        raise ConfigError(
            f"no API key for {info.name}",
            hint=f"store one: `otp profile add {name} --provider {info.name}` "
            f"(it asks for the key), or set {ENV_API_KEY}",
        )


def _base_url(
    base: Sourced,
    info: ProviderInfo | None,
    prof: Profile | None,
    warn: Warn | None,
    require_key: bool,
) -> Sourced:
    """The base URL to use, checked (exit 3 when unsafe) and shortened to its folder."""
    from otpcli.http import check_base_url, normalise_base_url

    if base.value is None and info is not None and info.default_base_url:
        base = Sourced(info.default_base_url, "default")
    if base.value is not None:
        try:
            checked = check_base_url(base.value)
        except ConfigError as exc:
            raise ConfigError(f"{exc.message} (from {_describe(base)})", hint=exc.hint) from None
        note = normalise_base_url(base.value)[1]
        if note and warn is not None:
            warn(note)
        return Sourced(checked, base.source)
    if info is not None and info.needs_base_url and require_key:
        name = prof.name if prof else "NAME"
        raise ConfigError(
            f"the {info.name} provider needs a base URL",
            hint=f"`otp profile add {name} --provider {info.name} --base-url "
            f"https://HOST/stubs`, or set {ENV_BASE_URL} or pass --base-url",
        )
    return base


def journal_url(environ: Mapping[str, str] | None = None, profile: str | None = None) -> Sourced:
    """Where the order journal lives, when not in the state dir: `OTPCLI_JOURNAL_URL`,
    else the chosen profile's `journal_url` (the flag's, `OTPCLI_PROFILE`'s or the
    default one), else the config file's top-level `journal_url`; UNSET means the local
    SQLite journal. Never raises for a missing profile: settings resolution says that."""
    env = _env(environ)
    if value := _get(env, ENV_JOURNAL_URL):
        return Sourced(value, f"env {ENV_JOURNAL_URL}")
    path = config_path(env)
    raw = _read_raw(path)
    if raw is None:
        return UNSET
    data = _parse(path, raw)
    name = profile or _get(env, ENV_PROFILE) or data.default
    prof = data.profiles.get(name) if name else None
    if prof is not None and prof.journal_url:
        return Sourced(prof.journal_url, f"profile {prof.name}")
    top = raw.get("journal_url")
    if isinstance(top, str) and top:
        return Sourced(top, f"config file {path}")
    return UNSET


def _describe(s: Sourced) -> str:
    return {
        "flag": "a command-line option",
        "default": "the built-in default",
        CLIENT_SOURCE: "an argument of otpcli.Client",
    }.get(s.source, s.source)


def _choose_hint(data: ConfigData) -> str:
    if data.profiles:
        first = sorted(data.profiles)[0]
        return (
            f"choose one: `otp profile use {first}` (profiles: {', '.join(sorted(data.profiles))})"
        )
    return NO_PROVIDER_HINT
