"""Names, not ids: country and service resolution per provider scheme and catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import responses

from otpcli import providers
from otpcli.domain.errors import BadInput
from otpcli.domain.provider import Provider, ProviderOptions
from otpcli.services.names import resolve_country, resolve_service


def make(name: str, tmp_path: Path, base: str = "https://p.test/stubs") -> Provider:
    return providers.create(
        name, ProviderOptions(api_key="k-123456", base_url=base, state_dir=str(tmp_path), backoff=0)
    )


@pytest.mark.parametrize("typed", ["india", "India", "IN", "in", "22"])
def test_otpx_country_without_catalog_uses_smsactivate_ids(tmp_path: Path, typed: str) -> None:
    with responses.RequestsMock() as rsps:  # no request may be sent
        assert resolve_country(make("otpx", tmp_path), typed) == "22"
        assert len(rsps.calls) == 0


@pytest.mark.parametrize(("typed", "code"), [("telegram", "tg"), ("WhatsApp", "wa"), ("tg", "tg")])
def test_otpx_service_names(tmp_path: Path, typed: str, code: str) -> None:
    with responses.RequestsMock():
        assert resolve_service(make("otpx", tmp_path), typed) == code


def test_unknown_country_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as info:
        resolve_country(make("otpx", tmp_path), "atlantis")
    assert info.value.status == 2


SASTA_COUNTRIES = {
    "status": "OK",
    "countries": [
        {"id": 91, "eng": "India", "code": "91"},
        {"id": 1, "eng": "United States", "code": "1"},
        {"id": 44, "eng": "United Kingdom", "code": "44"},
    ],
    "total": 3,
}


def test_sastaotp_country_from_its_catalog_is_cached(tmp_path: Path) -> None:
    url = "https://p.test/stubs/handler_api.php"
    with responses.RequestsMock() as rsps:
        rsps.get(url, json=SASTA_COUNTRIES)
        p = make("sastaotp", tmp_path)
        assert resolve_country(p, "india") == "91"
        assert resolve_country(p, "IN") == "91"
        assert resolve_country(p, "GB") == "44"
        assert resolve_country(p, "uk") == "44"
        assert len(rsps.calls) == 1  # the country list was fetched once, then cached


OTPGET_COUNTRIES = {
    "1": [
        {"id": "21", "name": "India"},
        {"id": "61", "name": "Pakistan"},
        {"id": "5", "name": "Philippines"},
        {"id": "50", "name": "Philippines"},
    ],
    "2": [{"id": "77", "name": "India"}],
}


def test_otpget_names_use_its_catalog_and_its_default_server(tmp_path: Path) -> None:
    url = "https://p.test/stubs/handler_api.php"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.get(url, json=OTPGET_COUNTRIES)
        p = make("otpget", tmp_path)
        assert resolve_country(p, "pakistan") == "61"
        # Listed by both servers: without --server the purchase uses type 1, so its id.
        assert resolve_country(p, "india") == "21"
        assert resolve_country(p, "IN", server="2") == "77"
        with pytest.raises(BadInput) as info:
            resolve_country(p, "philippines")  # two ids on the same server
        assert "5" in info.value.message and "50" in info.value.message


def test_otpget_service_name_to_numeric_id(tmp_path: Path) -> None:
    url = "https://p.test/stubs/handler_api.php"
    with responses.RequestsMock() as rsps:
        rsps.get(url, json={"101": "Telegram - 45 PKR", "102": "WhatsApp - 60 PKR"})
        p = make("otpget", tmp_path)
        assert resolve_service(p, "Telegram", country="61", server="1") == "101"
        assert resolve_service(p, "tg", country="61", server="1") == "101"
        assert resolve_service(p, "102", country="61", server="1") == "102"
        with pytest.raises(BadInput):
            resolve_service(p, "netflix", country="61", server="1")


def test_buy_with_country_name_end_to_end(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    from tests.cli_helpers import run

    monkeypatch.setenv("OTPCLI_SANDBOX_SMS_DELAY", "0")
    r = run(["--sandbox", "buy", "telegram", "-c", "india", "--json"])
    assert r.exit_code == 0, r.stderr
    assert '"service": "tg"' in r.stdout
    assert '"number": "91' in r.stdout


def test_generic_catalog_gets_well_known_names(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.cli_helpers import run

    r = run(["--sandbox", "services", "--search", "tele", "--json"])
    assert r.exit_code == 0, r.stderr
    names = {(row["service"], row["name"]) for row in json.loads(r.stdout)}
    assert names == {("tg", "Telegram")}
    r = run(["--sandbox", "prices", "whatsapp", "-c", "IN", "--json"])
    (row,) = json.loads(r.stdout)
    assert (row["name"], row["country"], row["country_name"]) == ("WhatsApp", "22", "India")


@pytest.mark.parametrize("name", ["!!!", "_._", "   .  ", "x" * 65])
def test_a_name_without_letters_or_digits_is_unknown_not_ambiguous(name: str) -> None:
    from tests.cli_helpers import run

    for args in (["--sandbox", "buy", name], ["--sandbox", "buy", "tg", "-c", name]):
        r = run(args)
        assert r.exit_code == 2, r.stderr
        assert "unknown" in r.stderr and "ambiguous" not in r.stderr
    r = run(["--sandbox", "orders", "--json"])
    assert '"id"' not in r.stdout  # nothing was bought


@pytest.mark.parametrize("given", ["in", "IN", "india", "India", "ind"])
def test_rentals_take_a_country_name(given: str) -> None:
    from tests.cli_helpers import run

    r = run(["--sandbox", "rent", "prices", given, "--json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["pricing"], r.stdout  # India's prices, not an empty list
    r = run(["--sandbox", "rent", "buy", given, "--hours", "24"])
    assert r.exit_code == 0, r.stderr


def test_rentals_refuse_a_country_the_server_does_not_list() -> None:
    from tests.cli_helpers import run

    r = run(["--sandbox", "rent", "buy", "atlantis", "--hours", "24"])
    assert r.exit_code == 2 and "rent countries" in r.stderr
    r = run(["--sandbox", "orders", "--json"])
    assert '"id"' not in r.stdout  # nothing was bought
