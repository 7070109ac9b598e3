"""The commands against a hero-sms-style host (a preset), answered by `responses`:
refusals are refusals in the journal and the exit code, the code is a code, and the base
URL may be given as the full script URL the documents print."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses

from tests.cli_helpers import run

KEY = "hero-key-0123456789"
FOLDER = "https://hero.test/stubs"
URL = f"{FOLDER}/handler_api.php"


@pytest.fixture
def hero(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    monkeypatch.setenv("OTPCLI_PROVIDER", "herosms")
    monkeypatch.setenv("OTPCLI_API_KEY", KEY)
    monkeypatch.setenv("OTPCLI_BASE_URL", FOLDER)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def orders() -> list[dict[str, object]]:
    r = run(["orders", "--json"])
    assert r.exit_code == 0, r.stderr
    rows: list[dict[str, object]] = json.loads(r.stdout)["orders"]
    return rows


def test_json_refusal_is_failed_not_unknown(hero: responses.RequestsMock) -> None:
    hero.get(URL, json={"title": "NO_BALANCE", "details": "Not enough funds"}, status=402)
    r = run(["buy", "tg", "-c", "6"])
    assert r.exit_code == 6
    assert r.stdout == ""
    assert "may have gone through" not in r.stderr
    assert [o["state"] for o in orders()] == ["failed"]


def test_refusal_json_document(hero: responses.RequestsMock) -> None:
    hero.get(URL, json={"title": "BAD_KEY", "details": "Unauthorized"}, status=401)
    r = run(["buy", "tg", "--json"])
    assert r.exit_code == 4
    doc = json.loads(r.stdout)  # exactly one document
    assert doc["error"] == "auth" and doc["provider_word"] == "BAD_KEY"
    assert KEY not in r.stdout + r.stderr


def test_a_5xx_purchase_stays_unknown(hero: responses.RequestsMock) -> None:
    hero.get(URL, body="<html>502</html>", status=502)
    r = run(["buy", "tg"])
    assert r.exit_code == 9
    assert "may have gone through" in r.stderr
    assert [o["state"] for o in orders()] == ["unknown"]


def test_wait_prints_the_code_not_the_sentence(hero: responses.RequestsMock) -> None:
    hero.get(URL, body="STATUS_OK:Dein OpenAI API Sicherheitscode lautet: 194130")
    r = run(["wait", "77"])
    assert r.exit_code == 0
    assert r.stdout == "194130\n"
    r = run(["wait", "77", "--json"])
    doc = json.loads(r.stdout)
    assert doc["code"] == "194130"
    assert doc["text"] == "Dein OpenAI API Sicherheitscode lautet: 194130"


def test_wait_without_a_code_prints_the_text_and_exits_10(
    hero: responses.RequestsMock,
) -> None:
    hero.get(URL, body="STATUS_OK:Welcome aboard, enjoy the service")
    r = run(["wait", "77"])
    assert r.exit_code == 10
    assert r.stdout == "Welcome aboard, enjoy the service\n"
    assert "no code" in r.stderr
    r = run(["wait", "77", "--json"])
    assert r.exit_code == 10
    doc = json.loads(r.stdout)  # one document: the error, with the text
    assert doc["error"] == "no_code" and doc["exit_code"] == 10
    assert doc["code"] is None and doc["text"] == "Welcome aboard, enjoy the service"


def test_wait_on_a_404_exits_5_at_once(hero: responses.RequestsMock) -> None:
    hero.get(URL, json={"title": "NOT_FOUND", "details": "Activation Not Found"}, status=404)
    r = run(["wait", "404404", "--timeout", "600"])
    assert r.exit_code == 5
    assert len(hero.calls) == 1


def test_wait_on_a_wrong_url_stops_at_once(hero: responses.RequestsMock) -> None:
    hero.get(URL, body="<html><h1>Not Found</h1></html>", status=404)
    r = run(["wait", "5", "--timeout", "600"])
    assert r.exit_code == 9
    assert "base URL" in r.stderr
    assert len(hero.calls) == 1


@pytest.mark.parametrize("given", [f"{FOLDER}/handler_api.php", f"{FOLDER}/handler_api.php/"])
def test_full_script_url_is_normalised(
    hero: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    monkeypatch.setenv("OTPCLI_BASE_URL", given)
    hero.get(URL, body="ACCESS_BALANCE:2.225")  # [usa] recorded hero-sms balance
    r = run(["balance"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "2.225 USD\n"
    assert hero.calls[0].request.url.startswith(URL + "?")
    assert "base URL taken as https://hero.test/stubs" in r.stderr


def test_profile_add_with_a_preset_and_a_script_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for var in ("OTPCLI_PROVIDER", "OTPCLI_API_KEY", "OTPCLI_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    r = run(
        ["profile", "add", "h", "--provider", "herosms", "--api-key-stdin"],
        input=KEY + "\n",
    )
    assert r.exit_code == 0, r.stderr
    r = run(["profile", "show", "h", "--json"])
    assert "https://hero-sms.com/stubs" in r.stdout
    r = run(
        [
            "profile",
            "add",
            "g",
            "--provider",
            "smsactivate",
            "--base-url",
            "https://otpx.in/api/stubs/handler_api.php",
            "--api-key-stdin",
        ],
        input=KEY + "\n",
    )
    assert r.exit_code == 0, r.stderr
    assert "note: base URL taken as https://otpx.in/api/stubs" in r.stderr
    r = run(["profile", "show", "g", "--json"])
    assert "handler_api.php" not in r.stdout


def test_status_never_puts_a_message_where_the_code_goes(hero: responses.RequestsMock) -> None:
    hero.get(URL, body="STATUS_OK:Welcome aboard, enjoy the service")
    r = run(["status", "77"])
    assert r.exit_code == 0
    assert r.stdout == "code_received\n"
    assert "Welcome aboard" in r.stderr
