"""`otp profile add/list/use/remove/show`: manage the profiles in the config file.

Contract:

- `add NAME --provider P` takes the key from `--api-key-stdin` (first line of stdin),
  `--api-key-file PATH` (first line), `OTPCLI_API_KEY`, or a hidden prompt when stdin is
  a terminal, in that order. Never from argv: there is no `--api-key` option, because
  argv ends up in shell history and `ps`. Without a terminal or another source, a
  provider that needs a key is a ConfigError (exit 3) naming the fix. An unknown
  provider is bad input (exit 2); an unsafe base URL a ConfigError (exit 3, as for
  every other command).
- Changes print one confirmation line on stderr; with `--json` one document on stdout.
- `list` and `show` print tables on stdout. Keys are always masked (`config.mask`).
- `max_spend` (`add --max-spend`, `set NAME max_spend 50/day`) is the spending cap
  (services/spending.py); a malformed one is refused (exit 2) and never stored.
- `show [NAME]` resolves settings exactly as other commands do (honouring the global
  `-p`, `--base-url` and `--sandbox`), but lists what is missing instead of failing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from otpcli.cli.common import JsonOpt, ProfileOpt, global_options, setup
from otpcli.cli.render import Env
from otpcli.domain.errors import BadInput, ConfigError
from otpcli.services import config

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="Manage profiles (provider, key, defaults)."
)

NameArg = Annotated[str, typer.Argument(help="Profile name.", show_default=False)]


def _store() -> config.ConfigStore:
    return config.ConfigStore(config.config_path())


def _done(e: Env, doc: dict[str, Any], line: str) -> None:
    """A change's confirmation: JSON on stdout with --json, else one line on stderr."""
    if e.json:
        e.json_doc(doc)
    else:
        e.info(line)


def _first_line(text: str, where: str) -> str:
    key = text.splitlines()[0].strip() if text else ""
    if not key:
        raise BadInput(f"no API key found in {where}", hint="put the key on the first line")
    return key


KeyStdinOpt = Annotated[
    bool, typer.Option("--api-key-stdin", help="Read the key from the first line of stdin.")
]
KeyFileOpt = Annotated[
    Path | None,
    typer.Option(
        "--api-key-file", help="Read the key from a file's first line.", show_default=False
    ),
]


def _read_key(
    *, provider: str, name: str, needs_key: bool, from_stdin: bool, key_file: Path | None, e: Env
) -> str | None:
    if from_stdin and key_file is not None:
        raise BadInput("give either --api-key-stdin or --api-key-file, not both")
    if from_stdin:
        return _first_line(sys.stdin.readline(), "stdin")
    if key_file is not None:
        try:
            with open(key_file, encoding="utf-8") as fh:
                return _first_line(fh.readline(), str(key_file))
        except OSError as exc:
            raise BadInput(
                f"cannot read the key file {key_file}: {exc.strerror or exc}",
                hint="check the path given to --api-key-file",
            ) from None
    if not needs_key:
        # A key-less provider (the sandbox) never picks up OTPCLI_API_KEY, which
        # most likely belongs to a real provider.
        return None
    env_key = os.environ.get(config.ENV_API_KEY, "").strip()
    if env_key:
        e.info(f"using the API key from {config.ENV_API_KEY}")
        return env_key
    if e.stdin_isatty:
        key = typer.prompt(f"API key for {provider}", hide_input=True, err=True)
        return _first_line(str(key), "the prompt")
    raise ConfigError(
        f"no API key given for {provider} and no terminal to ask on",
        hint=f"pipe it in: `printf '%s\\n' \"$KEY\" | otp profile add {name} --provider "
        f"{provider} --api-key-stdin`, or use --api-key-file PATH, or set "
        f"{config.ENV_API_KEY}",
    )


# The options of `profile add`.
ProviderOpt = Annotated[
    str, typer.Option("--provider", help="Provider name (see `otp providers`).")
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option("--base-url", help="Override the provider's base URL.", show_default=False),
]
CountryDefaultOpt = Annotated[
    str | None, typer.Option("--country", "-c", help="Default country.", show_default=False)
]
OperatorDefaultOpt = Annotated[
    str | None, typer.Option("--operator", help="Default operator.", show_default=False)
]
ServerDefaultOpt = Annotated[
    str | None, typer.Option("--server", help="Default server / type.", show_default=False)
]
MaxSpendOpt = Annotated[
    str | None,
    typer.Option(
        "--max-spend",
        help="Spending cap: AMOUNT or AMOUNT/PERIOD (hour, day, week, month).",
        show_default=False,
    ),
]
DefaultOpt = Annotated[bool, typer.Option("--default", help="Make this the default profile.")]
ForceOpt = Annotated[
    bool, typer.Option("--force", help="Replace a profile of that name (and its key).")
]


@app.command("add")
def add(
    ctx: typer.Context,
    name: NameArg,
    provider: ProviderOpt,
    base_url: BaseUrlOpt = None,
    country: CountryDefaultOpt = None,
    operator: OperatorDefaultOpt = None,
    server: ServerDefaultOpt = None,
    max_spend: MaxSpendOpt = None,
    make_default: DefaultOpt = False,
    api_key_stdin: KeyStdinOpt = False,
    api_key_file: KeyFileOpt = None,
    force: ForceOpt = False,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Add a profile (`--force` replaces one). The key is asked for, never taken from argv.

    Example: printf '%s\\n' "$KEY" | otp profile add work --provider otpx --api-key-stdin
    """
    e = setup(ctx, json_=json_, profile=profile)
    config.validate_name(name)
    if max_spend is not None:
        max_spend = _cap_text(max_spend, "--max-spend")
    info = _provider_info(provider)
    base_url = _checked_base_url(e, name, info, base_url)
    key = _read_key(
        provider=info.name,
        name=name,
        needs_key=info.needs_key,
        from_stdin=api_key_stdin,
        key_file=api_key_file,
        e=e,
    )
    store = _store()
    is_default = store.add(
        config.Profile(
            name=name,
            provider=info.name,
            api_key=key,
            base_url=base_url,
            country=country or None,
            operator=operator or None,
            server=server or None,
            max_spend=max_spend or None,
        ),
        make_default=make_default,
        replace=force,
    )
    suffix = " (default)" if is_default else f"; make it the default: `otp profile use {name}`"
    _done(
        e,
        {"profile": name, "provider": info.name, "default": is_default},
        f"saved profile {name} for {info.name} in {store.path}{suffix}",
    )


def _provider_info(provider: str) -> Any:
    """The registry's entry for a provider named on `profile add` (exit 2 if unknown)."""
    from otpcli import providers

    info = providers.PROVIDERS.get(provider)
    if info is None:
        raise BadInput(
            f"unknown provider {provider!r}",
            hint="choose one of: " + ", ".join(providers.PROVIDERS),
        )
    return info


def _checked_base_url(e: Env, name: str, info: Any, base_url: str | None) -> str | None:
    """A profile's base URL, checked and shortened to its folder (with a note); a
    provider that has no default host needs one (exit 3)."""
    from otpcli.http import check_base_url, normalise_base_url

    if base_url is not None:
        checked = check_base_url(base_url)
        note = normalise_base_url(base_url)[1]
        if note:
            e.info(f"note: {note}")
        return checked
    if info.needs_base_url:
        raise ConfigError(
            f"the {info.name} provider needs a base URL",
            hint=f"`otp profile add {name} --provider {info.name} --base-url https://HOST/stubs`",
        )
    return None


def _default_url(provider: str) -> str | None:
    from otpcli import providers

    info = providers.PROVIDERS.get(provider)
    return info.default_base_url if info else None


@app.command("list")
def list_(
    ctx: typer.Context,
    names_only: Annotated[
        bool,
        typer.Option("--names", help="Only the names, one per line (for shell completion)."),
    ] = False,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """List profiles (keys masked); * marks the default.

    Example: otp profile list --json
    """
    e = setup(ctx, json_=json_, profile=profile)
    store = _store()
    if names_only:
        for name in sorted(store.load().profiles):
            e.out(name)
        return
    config.warn_if_exposed(store.path, e.warn)
    data = store.load()
    names = sorted(data.profiles)
    if e.json:
        e.json_doc(
            [
                {
                    "name": n,
                    "provider": (p := data.profiles[n]).provider,
                    "base_url": p.base_url,
                    "country": p.country,
                    "operator": p.operator,
                    "server": p.server,
                    "max_spend": p.max_spend,
                    "default": n == data.default,
                    "api_key": config.mask(p.api_key) or None,
                }
                for n in names
            ]
        )
        return
    if not names:
        e.info("no profiles yet; add one: `otp profile add NAME --provider otpx`")
        return
    rows = []
    for n in names:
        p = data.profiles[n]
        url = p.base_url or _default_url(p.provider) or ""
        rows.append(
            (
                "*" if n == data.default else "",
                n,
                p.provider,
                url,
                p.country or "",
                config.mask(p.api_key) or "(none)",
            )
        )
    e.table(("default", "name", "provider", "base URL", "country", "key"), rows)


@app.command("set")
def set_(
    ctx: typer.Context,
    name: NameArg,
    key: Annotated[str, typer.Argument(help=f"Setting: {', '.join(config.PROFILE_FIELDS)}.")],
    value: Annotated[
        str | None, typer.Argument(help="New value (not for api_key).", show_default=False)
    ] = None,
    unset: Annotated[bool, typer.Option("--unset", help="Remove the setting.")] = False,
    api_key_stdin: KeyStdinOpt = False,
    api_key_file: KeyFileOpt = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Change one setting of profile NAME; `api_key` rotates the key (prompt, stdin, file).

    Example: otp profile set work country 22;  otp profile set ci api_key --api-key-stdin
    """
    e = setup(ctx, json_=json_, profile=profile)
    store = _store()
    current = store.load().profiles.get(name)
    if current is None:
        raise config.missing_profile(name, store.load().profiles, store.path)
    new = _new_value(
        e,
        current,
        key.strip().lower().replace("-", "_"),
        value,
        unset=unset,
        from_stdin=api_key_stdin,
        key_file=api_key_file,
    )
    field = key.strip().lower().replace("-", "_")
    store.update(name, field, new)
    shown = "(removed)" if new is None else ("(key stored)" if field == "api_key" else new)
    _done(
        e,
        {"profile": name, "key": field, "value": None if field == "api_key" else new},
        f"profile {name}: {field} {shown}",
    )


def _new_value(
    e: Env,
    current: config.Profile,
    field: str,
    value: str | None,
    *,
    unset: bool,
    from_stdin: bool,
    key_file: Path | None,
) -> str | None:
    """The checked value `profile set` stores for `field` (None: remove it)."""
    from otpcli import providers
    from otpcli.http import check_base_url, normalise_base_url

    if field == "api_key":
        if value is not None:
            raise BadInput(
                "the key is never taken from the command line (it would land in your "
                "shell history)",
                hint=f"`otp profile set {current.name} api_key --api-key-stdin` (or "
                "--api-key-file PATH, or answer the prompt)",
            )
        info = providers.get_info(current.provider)
        return _read_key(
            provider=info.name,
            name=current.name,
            needs_key=True,
            from_stdin=from_stdin,
            key_file=key_file,
            e=e,
        )
    if unset or value is None:
        if not unset:
            raise BadInput(f"give a value for {field}, or --unset to remove it")
        return None
    value = value.strip()
    if field == "provider":
        providers.get_info(value)  # unknown: exit 3 with the list
    elif field == "base_url":
        checked = check_base_url(value)
        note = normalise_base_url(value)[1]
        if note:
            e.info(f"note: {note}")
        return checked
    if not value:
        raise BadInput(f"{field} cannot be empty; use --unset to remove it")
    if field == "max_spend":
        return _cap_text(value, f"profile {current.name}'s max_spend")
    return value


def _cap_text(value: str, source: str) -> str:
    """A spending cap as stored: checked (BadInput naming it), spaces removed."""
    from otpcli.services.spending import parse_cap

    cap = parse_cap(value, source=source)
    return cap.text


@app.command("use")
def use(
    ctx: typer.Context, name: NameArg, json_: JsonOpt = False, profile: ProfileOpt = None
) -> None:
    """Make NAME the default profile.

    Example: otp profile use work
    """
    e = setup(ctx, json_=json_, profile=profile)
    _store().set_default(name)
    _done(e, {"default": name}, f"default profile is now {name}")


@app.command("remove")
def remove(
    ctx: typer.Context, name: NameArg, json_: JsonOpt = False, profile: ProfileOpt = None
) -> None:
    """Remove profile NAME (and its key) from the config file.

    Example: otp profile remove old
    """
    e = setup(ctx, json_=json_, profile=profile)
    store = _store()
    was_default = store.load().default == name
    default = store.remove(name)
    _done(e, {"removed": name, "default": default}, f"removed profile {name}")
    # Said on stderr even with --json or -q: which profile spends money next matters.
    if was_default and default is None:
        e.warn("no default profile now: choose one with `otp profile use NAME`")
    elif was_default:
        e.warn(f"the default profile is now {default!r} (the sandbox: play money only)")


@app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Argument(help="Profile to show (default: the one in effect).", show_default=False),
    ] = None,
    json_: JsonOpt = False,
    profile: ProfileOpt = None,
) -> None:
    """Show every setting in effect and where it comes from (key masked).

    Example: otp -p work profile show
    """
    from otpcli.providers import SANDBOX

    e = setup(ctx, json_=json_, profile=profile)
    opts = global_options(ctx)
    kwargs: dict[str, Any] = {
        "profile": name or opts.profile,
        "provider": SANDBOX if opts.sandbox else None,
        "base_url": opts.base_url,
        "max_spend": opts.max_spend,
    }
    settings = config.resolve_settings(**kwargs, warn=e.warn, require_key=False)
    problems: list[str] = []
    try:  # the same check a real command makes, so the advice is the same too
        config.resolve_settings(**kwargs, require_key=True)
    except ConfigError as exc:
        problems.append(exc.message + (f" ({exc.hint})" if exc.hint else ""))

    values: dict[str, config.Sourced] = settings._asdict()
    fields = list(values)
    shown = {
        f: (config.mask(s.value) or None) if f == "api_key" else s.value for f, s in values.items()
    }
    if e.json:
        e.json_doc(
            {
                "settings": {f: {"value": shown[f], "source": values[f].source} for f in fields},
                "ready": not problems,
                "problems": problems,
            }
        )
        return
    e.table(
        ("setting", "value", "source"),
        [(f.replace("_", " "), shown[f] or "", values[f].source) for f in fields],
    )
    for problem in problems:
        e.warn(problem)
