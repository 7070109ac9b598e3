"""Small truths of `otp rent` (issue 12, item 8), end to end in the sandbox: the hint of a
refused renewal names options `rent renew` has; an empty `rent stock` says whether the
other server has stock."""

from __future__ import annotations

from tests.cli_helpers import run


def test_a_server_2_renewal_hint_names_renew_options() -> None:
    bought = run(["--sandbox", "rent", "buy", "ca", "--hours", "720", "--server", "2"])
    assert bought.exit_code == 0, bought.stderr
    r = run(["--sandbox", "rent", "renew", "1", "--hours", "24"])
    assert r.exit_code == 2
    assert "--server" not in r.stderr  # renew has no --server: the rental's server is fixed
    assert "hint: otp rent renew 1 --hours 720" in r.stderr
    assert run(["--sandbox", "rent", "renew", "1", "--hours", "720"]).exit_code == 0


def test_an_empty_stock_names_the_server_that_has_some() -> None:
    r = run(["--sandbox", "rent", "stock", "ca"])
    assert r.exit_code == 0, r.stderr
    assert "Server 1; Server 2 has" in r.stderr
    assert "otp rent stock ca --server 2" in r.stderr


def test_an_empty_stock_everywhere_says_so() -> None:
    r = run(["--sandbox", "rent", "stock", "zz", "--server", "2"])
    assert r.exit_code == 0, r.stderr
    assert "no numbers in stock for zz on Server 2 or Server 1" in r.stderr


def test_json_stock_stays_one_document() -> None:
    r = run(["--sandbox", "rent", "stock", "ca", "--json"])
    assert r.stdout.strip() == '{"available": []}'


def test_provider_times_are_shown_with_their_zone() -> None:
    bought = run(["--sandbox", "rent", "buy", "ca", "--hours", "720", "--server", "2"])
    assert bought.exit_code == 0 and " UTC" in bought.stderr.split("until ")[1]
    listed = run(["--sandbox", "rent", "list"])
    assert " UTC " in listed.stdout
    renewed = run(["--sandbox", "rent", "renew", "1", "--hours", "720"])
    assert "until " in renewed.stderr and renewed.stderr.rstrip().endswith("UTC")
    assert run(["--sandbox", "email", "buy", "ig"]).exit_code == 0
    assert " UTC " in run(["--sandbox", "email", "history"]).stdout


def test_when_leaves_other_text_alone() -> None:
    from otpcli.cli.render import when

    assert when("2026-04-09T21:55:55Z") == "2026-04-09 21:55:55 UTC"
    assert when("soon") == "soon" and when(None) == ""
