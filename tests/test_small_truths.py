"""Small truths of the CLI (issue 12, item 8): hints name the real id, `otp providers`
tells the sandbox apart, `sandbox serve` prints a line that can be pasted, and `cheap
buy` with a wrong server points to the list of servers."""

from __future__ import annotations

import json

from tests.cli_helpers import run


def test_hints_print_the_real_id() -> None:
    bought = run(["--sandbox", "buy", "never", "--json"])
    oid = json.loads(bought.stdout)["id"]
    r = run(["--sandbox", "cancel", oid])  # inside the early-cancel window
    assert r.exit_code == 8
    assert f"`otp cancel {oid}`" in r.stderr and " ID`" not in r.stderr


def test_providers_tell_the_sandbox_and_what_each_host_lists() -> None:
    r = run(["providers"])
    sandbox = next(line for line in r.stdout.splitlines() if line.strip().startswith("sandbox"))
    assert "started on demand" in sandbox
    rows = {d["name"]: d for d in json.loads(run(["providers", "--json"]).stdout)}
    assert "orders" not in rows["smshub"]["capabilities"]  # its dialect lists no orders
    assert "orders" in rows["herosms"]["capabilities"]


def test_serve_suggests_the_preset_of_its_dialect() -> None:
    from otpcli.cli.sandbox import _preset

    assert _preset("herosms") == "herosms"
    assert _preset(None) == "smsactivate"
    assert _preset("smsactivate") == "smsactivate"


def test_cheap_buy_of_an_unknown_server_points_to_the_servers() -> None:
    r = run(["--sandbox", "cheap", "buy", "99"])
    assert r.exit_code == 2
    assert "otp cheap servers" in r.stderr


def test_a_missing_argument_is_named_as_in_the_usage_line() -> None:
    r = run(["status"])
    assert r.exit_code == 2
    assert "missing argument ACTIVATION_ID" in r.stderr
    assert "ACTIVATION_ID" in r.stderr.split("hint:")[1]


def test_state_words_and_headers_are_one_way() -> None:
    from otpcli.cli.render import state_word

    assert state_word("Code Received") == "code_received"
    assert state_word("ACTIVE") == "active"
    assert state_word(None) == ""
    run(["--sandbox", "rent", "buy", "ca", "--hours", "24"])
    r = run(["--sandbox", "rent", "list"])
    header = r.stdout.splitlines()[0]
    assert "number" in header and "state" in header and "status" not in header
