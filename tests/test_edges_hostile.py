"""Issue 11, items 4-6: no input gives exit 1, nothing from a provider reaches a
terminal raw, and a key is masked however it is echoed.

Each test runs the real app (CliRunner, isolated config and state by conftest) against
the sandbox or a `responses`-mocked OTPX; the /dev/full cases run the installed `otp`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
import typer

from otpcli.cli.render import Env
from otpcli.domain.errors import ProtocolError
from otpcli.domain.masking import Masker, escape_controls
from otpcli.http import Redactor
from otpcli.providers import _protocol as proto
from otpcli.providers import otpget_email, otpget_rental, sastaotp
from tests.cli_helpers import OTPX_BASE, mocked_otpx, run

KEY = "Sk9vQ2xYzT4pLmN8rW1aBcDe"  # mixed case: echoes in one case must still be masked
HANDLER = f"{OTPX_BASE}/handler_api.php"
DEEP = '{"balance":' * 100_000 + "1" + "}" * 100_000


@pytest.fixture
def otpx(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    yield from mocked_otpx(monkeypatch, KEY)


def _reply(rsps: responses.RequestsMock, body: str, status: int = 200) -> None:
    rsps.add(responses.GET, HANDLER, body=body.encode("utf-8", "surrogatepass"), status=status)


# --- item 4: exit 1 only for bugs ------------------------------------------------------


def test_deeply_nested_json_reply_is_provider_garbage(otpx: responses.RequestsMock) -> None:
    _reply(otpx, DEEP)
    r = run(["balance"])
    assert r.exit_code == 9, r.stderr
    assert "internal error" not in r.stderr


@pytest.mark.parametrize("deep", [DEEP, '{"activationId":' * 50_000 + "1" + "}" * 50_000])
def test_deeply_nested_json_purchase_is_outcome_unknown(
    otpx: responses.RequestsMock, deep: str
) -> None:
    _reply(otpx, deep)
    r = run(["buy", "tg", "--json"])
    assert r.exit_code == 9, r.stderr
    assert json.loads(r.stdout)["exit_code"] == 9
    rows = json.loads(run(["orders", "--json"]).stdout)
    rows = rows if isinstance(rows, list) else rows.get("orders", rows.get("local", []))
    assert any("unknown" in json.dumps(row) for row in rows), rows


@pytest.mark.parametrize(
    "args",
    [
        ["--sandbox", "--proxy", "http://[::1", "balance"],
        ["--sandbox", "--proxy", "http://[::1]:99999", "balance"],
    ],
)
def test_malformed_proxy_url_is_bad_input(args: list[str]) -> None:
    r = run(args)
    assert r.exit_code == 2, (r.exit_code, r.stderr)
    assert "--proxy" in r.stderr


@pytest.mark.parametrize("flag", ["--base-url", "env"])
def test_malformed_ipv6_base_url_is_a_config_error(flag: str) -> None:
    env = {"OTPCLI_PROVIDER": "otpx", "OTPCLI_API_KEY": KEY}
    args = ["balance"]
    if flag == "env":
        env["OTPCLI_BASE_URL"] = "http://[::1"
    else:
        args = ["--base-url", "http://[::1", "balance"]
    r = run(args, env=env)
    assert r.exit_code == 3, r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--sandbox", "status", "\udcff\udcfe"],
        ["--sandbox", "buy", "\udcff"],
        ["--sandbox", "wait", "12\udc80"],
        ["--sandbox", "prices", "--search", "\udcc3"],
    ],
)
def test_non_utf8_arguments_are_bad_input(args: list[str]) -> None:
    r = run(args)
    assert r.exit_code == 2, (r.exit_code, r.stderr)
    assert "UTF-8" in r.stderr


def test_non_utf8_id_on_the_fast_path_is_bad_input() -> None:
    from otpcli.cli import quick
    from otpcli.cli.failures import guarded

    runner = quick.parse(["--sandbox", "status", "\udcff"])
    code = guarded(runner, runner.env) if runner is not None else None
    if runner is None:  # left to Typer: the app answers
        code = run(["--sandbox", "status", "\udcff"]).exit_code
    assert code == 2


@pytest.mark.parametrize("value", ["NaN", "nan", "sNaN", "inf", "-Infinity", "1e999999"])
def test_non_finite_max_price_never_exits_1(value: str) -> None:
    r = run(["--sandbox", "buy", "tg", "--max-price", value])
    assert r.exit_code not in (0, 1), (value, r.exit_code, r.stderr)
    assert "internal error" not in r.stderr


def test_huge_sandbox_fault_count_is_bad_input() -> None:
    r = run(["sandbox", "fault", "getNumber", "500", "--count", "9" * 30])
    assert r.exit_code == 2, (r.exit_code, r.stderr)


def test_state_dir_that_is_a_file(tmp_path: Path) -> None:
    state = tmp_path / "statefile"
    state.write_text("not a folder")
    r = run(["--sandbox", "orders"], env={"OTPCLI_STATE_DIR": str(state)})
    assert r.exit_code == 3, (r.exit_code, r.stderr)
    assert str(state) in r.stderr and "OTPCLI_STATE_DIR" in r.stderr


def test_state_dir_journal_cannot_be_opened(tmp_path: Path) -> None:
    state = tmp_path / "state"
    (state / "journal.sqlite3").mkdir(parents=True)  # sqlite: "unable to open database file"
    r = run(["--sandbox", "orders"], env={"OTPCLI_STATE_DIR": str(state)})
    assert r.exit_code == 3, (r.exit_code, r.stderr)
    assert str(state) in r.stderr


def test_journal_that_is_not_a_database(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "journal.sqlite3").write_bytes(b"garbage, not SQLite" * 100)
    for args in (["--sandbox", "orders"], ["--sandbox", "buy", "tg"]):
        r = run(args, env={"OTPCLI_STATE_DIR": str(state)})
        assert r.exit_code == 3, (args, r.exit_code, r.stderr)
        assert "journal.sqlite3" in r.stderr and "move it aside" in r.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["profile", "add", "x", "--provider", "sandbox"],
        ["profile", "use", "x"],
        ["profile", "remove", "x"],
    ],
)
def test_config_folder_that_cannot_be_written(tmp_path: Path, args: list[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    r = run(args, env={"OTPCLI_CONFIG": str(blocker / "config.toml")})
    assert r.exit_code == 3, (r.exit_code, r.stderr)
    assert str(blocker) in r.stderr and "OTPCLI_CONFIG" in r.stderr


def _prompt_raising(exc: type[BaseException]) -> object:
    def prompt(*_a: object, **_k: object) -> str:
        # What Click's prompt does with Ctrl-C and Ctrl-D.
        try:
            raise exc
        except exc:
            raise typer.Abort() from None

    return prompt


@pytest.mark.parametrize(("raised", "code"), [(KeyboardInterrupt, 130), (EOFError, 2)])
def test_ctrl_c_at_the_hidden_key_prompt(
    monkeypatch: pytest.MonkeyPatch, raised: type[BaseException], code: int
) -> None:
    from otpcli.cli import render

    system = render.Env.from_system

    def with_tty() -> Env:
        e = system()
        e.stdin_isatty = True
        return e

    monkeypatch.setattr(render.Env, "from_system", staticmethod(with_tty))
    monkeypatch.setattr(typer, "prompt", _prompt_raising(raised))
    r = run(["profile", "add", "real", "--provider", "otpx"])
    assert r.exit_code == code, (r.exit_code, r.stderr)
    assert "Aborted" not in r.stderr


def _otp(*args: str) -> list[str]:
    return [sys.executable, "-m", "otpcli", *args]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [["--sandbox", "orders", "--json"], ["--sandbox", "balance"], ["--sandbox", "orders"]],
)
def test_stdout_that_cannot_be_written(tmp_path: Path, args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        p = subprocess.run(_otp(*args), stdout=full, stderr=subprocess.PIPE, text=True, check=False)
    assert p.returncode == 74, p.stderr
    assert "Traceback" not in p.stderr and "Exception ignored" not in p.stderr
    assert p.stderr.count("error:") == 1, p.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_purchase_with_stdout_full_is_in_the_journal() -> None:
    with open("/dev/full", "w") as full:
        p = subprocess.run(
            _otp("--sandbox", "buy", "tg"), stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert p.returncode == 74, p.stderr
    assert "otp orders" in p.stderr and "internal error" not in p.stderr
    listed = subprocess.run(_otp("--sandbox", "orders", "--json"), capture_output=True, text=True)
    assert "5000000001" in listed.stdout


# --- item 5: nothing from a provider is trusted by the terminal ---------------------------


@pytest.mark.parametrize(
    "reply",
    [
        "ACCESS_NUMBER:12\x1b[2J34:919000000001",
        "ACCESS_NUMBER:1234:9190\x07000001",
        "ACCESS_NUMBER:\u202e4321:919000000001",
        "ACCESS_NUMBER:1234:919000000001\x9b",
    ],
)
def test_a_purchase_never_succeeds_with_a_non_printable_id(
    otpx: responses.RequestsMock, reply: str
) -> None:
    _reply(otpx, reply)
    r = run(["buy", "tg"])
    assert r.exit_code == 9, (r.exit_code, r.stdout, r.stderr)
    assert r.stdout == ""
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr and "\u202e" not in r.stderr


@pytest.mark.parametrize(
    "parse",
    [
        proto.parse_balance,
        proto.parse_json,
        proto.active_rows,
        lambda d: proto.parse_number_v2(d, service="tg", country=None),
        lambda d: sastaotp.parse_activation(
            d, 200, service="tg", country=None, prefix="ACCESS_NUMBER"
        ),
    ],
)
def test_deep_json_is_a_protocol_error_in_every_parser(parse: object) -> None:
    with pytest.raises(ProtocolError):
        parse(DEEP)  # type: ignore[operator]


@pytest.mark.parametrize(
    "parse",
    [
        lambda: proto.parse_number("ACCESS_NUMBER:1\x1b2:919"),
        lambda: proto.parse_number_v2(
            '{"activationId": "1\\u001b2", "phoneNumber": "919"}', service="tg", country=None
        ),
        lambda: otpget_rental.parse_message({"code": "12\x1b34", "text": "x"}),
        lambda: otpget_email.parse_message({"code": "\x1b]0;pwn\x07", "body": "x"}),
        lambda: proto.code_status("1", "x", text=None) and proto.checked_code("12\r34"),
    ],
)
def test_parsers_refuse_non_printable_ids_and_codes(parse: object) -> None:
    with pytest.raises(ProtocolError):
        parse()  # type: ignore[operator]


def test_sms_text_is_escaped_and_unicode_kept(otpx: responses.RequestsMock) -> None:
    _reply(otpx, "STATUS_OK:\x1b[31mКод не пришёл 验证码 🎉\x9b2J\u202e")
    r = run(["status", "123"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "code_received\n"  # no code in it: the message is shown on stderr
    shown = r.stderr
    assert "\x1b" not in shown and "\x9b" not in shown and "\u202e" not in shown
    assert "\\x1b" in shown and "Код" in shown and "验证码" in shown and "🎉" in shown


def test_json_output_escapes_what_a_terminal_acts_on(otpx: responses.RequestsMock) -> None:
    _reply(otpx, "STATUS_OK:code 4821 \x9b2J\u202e\x1b]0;x\x07")
    r = run(["status", "123", "--json"])
    assert r.exit_code == 0, r.stderr
    assert all(c not in r.stdout for c in "\x1b\x07\x9b\u202e")
    assert "\x9b2J" in json.loads(r.stdout)["text"]  # the same JSON, escaped


def test_error_replies_are_escaped(otpx: responses.RequestsMock) -> None:
    _reply(otpx, "WEIRD\x1b[2J\x1b]0;owned\x07 reply")
    r = run(["balance"])
    assert r.exit_code == 9
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr


def test_escape_controls_keeps_text_and_newlines() -> None:
    assert escape_controls("Код: 1234 ✅ 認証\n\tok") == "Код: 1234 ✅ 認証\n\tok"
    assert escape_controls("a\x1b[31mb\rc\x00\x7f") == "a\\x1b[31mb\\x0dc\\x00\\x7f"
    # Emoji joined by ZWJ stay one emoji; the bidi override does not.
    assert escape_controls("👩\u200d💻\u202e") == "👩\u200d💻\\u202e"


def test_env_lines_are_escaped() -> None:
    import io

    out, err = io.StringIO(), io.StringIO()
    e = Env(stdout=out, stderr=err)
    e.out("id\x1b[2J")
    e.info("note\x1b]0;t\x07")
    e.table(["a"], [["x\x1by"]])
    assert "\x1b" not in out.getvalue() + err.getvalue()


# --- item 6: masking that survives echoes ------------------------------------------------


@pytest.mark.parametrize(
    "echo",
    [KEY.lower(), KEY.upper(), KEY[:12], KEY[5:13], KEY.swapcase()[3:20]],
)
def test_key_echoes_are_masked_on_stderr_and_json(otpx: responses.RequestsMock, echo: str) -> None:
    _reply(otpx, f"ERROR something about {echo} here")
    r = run(["balance", "--json"])
    assert r.exit_code == 9
    for form in (echo, echo.lower(), echo.upper()):
        assert form not in r.stdout and form not in r.stderr


def test_key_echo_in_a_purchase_reply_stays_out_of_the_journal(
    otpx: responses.RequestsMock,
) -> None:
    _reply(otpx, f"garbage echoing {KEY.lower()[:14]} back")
    r = run(["buy", "tg"])
    assert r.exit_code == 9
    orders = run(["orders", "--json"])
    assert KEY.lower()[:14] not in orders.stdout.lower()
    db = Path(os.environ["OTPCLI_STATE_DIR"]) / "journal.sqlite3"
    dump = "\n".join(sqlite3.connect(db).iterdump())
    assert KEY.lower()[:10] not in dump.lower()


def test_usage_errors_mask_the_env_key() -> None:
    env = {"OTPCLI_PROVIDER": "otpx", "OTPCLI_API_KEY": KEY}
    for args in ([KEY], [f"x{KEY[:12]}"], ["buy", "--nope", KEY.lower()], ["--json", KEY]):
        r = run(args, env=env)
        assert r.exit_code == 2, (args, r.exit_code)
        text = (r.stdout + r.stderr).lower()
        assert KEY.lower()[:9] not in text, (args, text)


def test_usage_errors_mask_a_profile_key() -> None:
    added = run(["profile", "add", "p", "--provider", "otpx", "--api-key-stdin"], input=KEY + "\n")
    assert added.exit_code == 0, added.stderr
    r = run([f"{KEY}"])
    assert r.exit_code == 2
    assert KEY[:9] not in r.stdout + r.stderr


def test_redactor_masks_case_variants_and_fragments() -> None:
    redact = Redactor([KEY])
    assert redact(f"a {KEY.lower()} b") == "a *** b"
    assert redact(f"prefix={KEY[:12]}&x") == "prefix=***&x"
    assert (
        redact(f"{KEY[:7]} is too short to be a fragment")
        == f"{KEY[:7]} is too short to be a fragment"
    )
    assert redact("İ" + KEY.upper()) == "İ***"
    # URL-encoded keys with special characters, in any case.
    special = "ab/cd+ef==gh12"
    assert Masker([special])("k=ab%2Fcd%2Bef%3D%3Dgh12".lower()) == "k=***"


def test_debug_log_masks_a_profile_key(otpx: responses.RequestsMock) -> None:
    _reply(otpx, f"ACCESS_BALANCE:1.00 {KEY.lower()}")
    r = run(["--debug", "balance"])
    assert KEY.lower()[:9] not in r.stderr.lower()
