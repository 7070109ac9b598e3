"""Command tests of the spending cap: where it is set (flag anywhere on the line,
environment, profile), how a malformed one is refused, the refusal of a purchase
(exit 6, nothing on stdout, nothing bought), and what `otp orders` says about it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tests.cli_helpers import run


def _balance() -> Decimal:
    res = run(["--sandbox", "balance"])
    assert res.exit_code == 0, res.output
    return Decimal(res.stdout.split()[0])


def test_profile_stores_a_checked_cap() -> None:
    res = run(["profile", "add", "ci", "--provider", "sandbox", "--max-spend", "50/day"])
    assert res.exit_code == 0, res.stderr
    res = run(["profile", "set", "ci", "max_spend", " 20 / Week "])
    assert res.exit_code == 0, res.stderr
    assert "max_spend 20/week" in res.stderr
    res = run(["profile", "set", "ci", "max_spend", "lots"])
    assert res.exit_code == 2
    assert "'lots'" in res.stderr and "max_spend" in res.stderr
    res = run(["profile", "add", "bad", "--provider", "sandbox", "--max-spend", "-5"])
    assert res.exit_code == 2 and "'-5'" in res.stderr
    res = run(["profile", "show", "ci", "--json"])
    doc = json.loads(res.stdout)["settings"]["max_spend"]
    assert doc == {"value": "20/week", "source": "profile ci"}
    res = run(["profile", "show", "ci", "--json"], env={"OTPCLI_MAX_SPEND": "3"})
    assert json.loads(res.stdout)["settings"]["max_spend"]["source"] == "env OTPCLI_MAX_SPEND"
    listed = json.loads(run(["profile", "list", "--json"]).stdout)
    assert [p["max_spend"] for p in listed] == ["20/week"]


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "5/fortnight"])
def test_a_malformed_cap_is_bad_input_and_nothing_is_bought(value: str) -> None:
    res = run(["--sandbox", "buy", "tg", "--json"], env={"OTPCLI_MAX_SPEND": value})
    assert res.exit_code == 2, res.output
    doc = json.loads(res.stdout)
    assert doc["error"] == "bad_input"
    assert repr(value) in doc["message"] and "OTPCLI_MAX_SPEND" in doc["message"]
    assert _balance() == Decimal("1000")


def test_the_flag_after_the_command_refuses_with_exit_6() -> None:
    res = run(["--sandbox", "buy", "tg", "-c", "india", "--max-spend", "20/day"])
    assert res.exit_code == 0, res.stderr
    res = run(["--sandbox", "buy", "tg", "-c", "india", "--max-spend", "20/day"])
    assert res.exit_code == 6, res.output
    assert res.stdout == ""
    assert "spending cap reached: 12.50 PLAY spent in the last 24 hours" in res.stderr
    assert "room frees up at" in res.stderr
    assert _balance() == Decimal("987.50")
    # The flag wins over the environment and the profile.
    res = run(
        ["--sandbox", "buy", "tg", "-c", "india", "--max-spend", "25"],
        env={"OTPCLI_MAX_SPEND": "1"},
    )
    assert res.exit_code == 0, res.stderr


def test_orders_shows_the_cap_and_what_is_left() -> None:
    assert run(["--sandbox", "buy", "tg", "-c", "india"]).exit_code == 0
    res = run(["--sandbox", "orders", "--json", "--max-spend", "30/day"])
    assert res.exit_code == 0, res.stderr
    cap = json.loads(res.stdout)["spend_cap"]
    assert cap["amount"] == "30" and cap["period"] == "day" and cap["currency"] == "PLAY"
    assert (cap["spent"], cap["left"], cap["source"]) == ("12.50", "17.50", "--max-spend")
    assert cap["frees_at"] is not None
    assert json.loads(run(["--sandbox", "orders", "--json"]).stdout)["spend_cap"] is None
    res = run(["--sandbox", "orders"], env={"OTPCLI_MAX_SPEND": "30/day"})
    assert res.exit_code == 0
    assert (
        "spending cap 30 PLAY/day (from OTPCLI_MAX_SPEND): 12.50 PLAY spent in the last"
        " 24 hours, 17.50 PLAY left" in res.stderr
    )


def test_email_and_cheap_buys_are_capped() -> None:
    env = {"OTPCLI_MAX_SPEND": "10"}
    res = run(["--sandbox", "email", "buy", "tg"], env=env)  # 9.50
    assert res.exit_code == 0, res.stderr
    res = run(["--sandbox", "email", "buy", "tg", "--json"], env=env)
    assert res.exit_code == 6
    doc = json.loads(res.stdout)
    assert doc["spend_cap"]["spent"] == "9.50" and doc["spend_cap"]["reserve"] == "9.50"
    # Cheap numbers have no price list: the bound must be given.
    res = run(["--sandbox", "cheap", "buy", "1"], env={"OTPCLI_MAX_SPEND": "100"})
    assert res.exit_code == 2 and "--max-price" in res.stderr, res.output
    res = run(["--sandbox", "cheap", "buy", "1", "--max-price", "1"], env=env)
    assert res.exit_code == 6 and "9.50 PLAY spent in total" in res.stderr, res.output
    assert _balance() == Decimal("990.50")
