"""`import otpcli` stays cheap: no Typer, Click or Rich (nor requests) until a client
is made, and the public names load on first use."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("typer", "click", "rich")


def loaded(code: str) -> set[str]:
    probe = code + "\nimport json, sys; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return {m.split(".")[0] for m in json.loads(out.splitlines()[-1])}


def test_import_otpcli_loads_no_cli_framework_nor_requests() -> None:
    mods = loaded("import otpcli")
    assert not mods & {*HEAVY, "requests"}, mods & {*HEAVY, "requests"}


def test_public_names_load_no_cli_framework() -> None:
    mods = loaded(
        "import otpcli\n"
        "otpcli.Client, otpcli.OtpError, otpcli.WaitTimeout, otpcli.Activation, otpcli.Code"
    )
    assert not mods & set(HEAVY), mods & set(HEAVY)


def test_all_names_resolve() -> None:
    import otpcli

    for name in otpcli.__all__:
        assert getattr(otpcli, name) is not None
    errors = [getattr(otpcli, n) for n in otpcli.__all__ if n.endswith(("Error", "Timeout"))]
    assert all(issubclass(e, otpcli.OtpError) for e in errors if e is not otpcli.ExitCode)
    for name in ("NoBalance", "PurchaseUnknown", "WaitTimeout", "NoCode", "Interrupted"):
        assert issubclass(getattr(otpcli, name), otpcli.OtpError)
    assert json.dumps(otpcli.WaitTimeout.exit_code) == "124"
