"""End-to-end: `otp --sandbox run SERVICE -- CMD` with the installed `otp` (DESIGN §8).

Each test writes a small shell script that plays a CI job's sign-up step: it reads the
code with a nested `otp wait "$OTP_ID"` (or does not), exits with some code, or is
interrupted. Afterwards the journal, `otp orders --json` and `otp balance` show how the
number was settled: finished when a code came, else cancelled for a refund (or left
`cancel_pending` for `otp cancel --pending`). The sandbox's `never` service sends no
SMS; `OTPCLI_SANDBOX_EARLY_CANCEL=0` removes the early-cancel window where a test does
not exercise it. The wallet starts at 1000.00 PLAY; a `tg` number costs 12.50, a `never` one 5.00.
"""

from __future__ import annotations

import os
import signal
import textwrap
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import Otp, Result
from tests.e2e.test_signals import end_early_cancel_windows

FULL = "1000.00 PLAY\n"
ONE_SPENT = "987.50 PLAY\n"
NO_WINDOW = {"OTPCLI_SANDBOX_EARLY_CANCEL": "0"}


@pytest.fixture
def run(otp: Otp) -> Otp:
    """`otp` whose children find the same `otp` on PATH (the scripts call it)."""
    otp.env["PATH"] = f"{otp.exe.parent}{os.pathsep}{otp.env.get('PATH', '')}"
    return otp


def script(tmp: Path, body: str, name: str = "job.sh") -> str:
    path = tmp / name
    path.write_text("#!/bin/sh\n" + textwrap.dedent(body))
    path.chmod(0o755)
    return str(path)


def only_order(otp: Otp) -> dict[str, object]:
    rows = otp("orders", "--json").expect(0).json()
    orders = rows["orders"] if isinstance(rows, dict) else rows
    assert len(orders) == 1, orders
    return dict(orders[0])


READS_CODE = """\
    echo "id=$OTP_ID number=$OTP_NUMBER service=$OTP_SERVICE country=$OTP_COUNTRY" > "$0.env"
    echo "profile=[$OTP_PROFILE]" >> "$0.env"
    CODE=$(otp wait "$OTP_ID") || exit 99
    echo "got $CODE"
    otp status "$OTP_ID" >> "$0.env" || exit 98
    exit {code}
"""


def test_a_script_that_reads_the_code_and_succeeds(run: Otp, tmp_path: Path) -> None:
    job = script(tmp_path, READS_CODE.format(code=0))
    res = run("--sandbox", "run", "tg", "--", job).expect(0)
    assert res.stdout.startswith("got "), res  # CMD's stdout is the user's stdout
    assert res.stdout.count("\n") == 1, res  # and otp writes nothing else there
    oid = res.stderr.split("(id ")[1].split(")")[0]
    env = Path(job + ".env").read_text()
    assert f"id={oid} number=" in env and "service=tg country=22" in env, env
    assert "profile=[]" in env
    assert "code_received" in env  # the nested `otp status` found the order by its id
    row = only_order(run)
    assert (row["id"], row["state"]) == (oid, "finished")
    assert row["code"] == res.stdout.split()[1]
    assert run.balance() == ONE_SPENT


def test_a_script_that_fails_after_the_code(run: Otp, tmp_path: Path) -> None:
    job = script(tmp_path, READS_CODE.format(code=3))
    res = run("--sandbox", "run", "tg", "--json", "--", job).expect(3)
    doc = res.json()  # CMD's "got CODE" went to stderr: stdout is one document
    assert "got " in res.stderr
    assert doc["cmd_exit_code"] == 3
    assert (doc["state"], doc["settled"]) == ("finished", "finished")
    assert doc["code"] and f"got {doc['code']}" in res.stderr
    assert only_order(run)["state"] == "finished"
    assert run.balance() == ONE_SPENT


def test_a_script_that_fails_without_the_code_is_refunded(run: Otp, tmp_path: Path) -> None:
    job = script(tmp_path, "echo trying >&2\nexit 5\n")
    res = run("--sandbox", "run", "never", "--", job, env=NO_WINDOW).expect(5)
    assert res.stdout == ""
    assert "trying" in res.stderr and "cancelled for a refund" in res.stderr, res
    assert only_order(run)["state"] == "cancelled"
    assert run.balance() == FULL


def test_a_script_that_never_asks_is_refunded(run: Otp, tmp_path: Path) -> None:
    job = script(tmp_path, "exit 0\n")
    res = run("--sandbox", "run", "never", "--json", "--", job, env=NO_WINDOW).expect(0)
    doc = res.json()
    assert (doc["code"], doc["state"], doc["settled"]) == (None, "cancelled", "cancelled")
    assert run.balance() == FULL


def test_a_code_nobody_read_is_delivered_and_finished(run: Otp, tmp_path: Path) -> None:
    # The SMS arrives 50 ms after purchase; the script ignores it.
    job = script(tmp_path, "sleep 0.5\n")
    res = run("--sandbox", "run", "tg", "--json", "--", job, env=NO_WINDOW).expect(0)
    doc = res.json()
    assert doc["code"] and (doc["state"], doc["settled"]) == ("finished", "finished")
    assert only_order(run)["code"] == doc["code"]
    assert run.balance() == ONE_SPENT


def test_json_document_shape(run: Otp, tmp_path: Path) -> None:
    job = script(tmp_path, 'echo "{not json"\nexit 4\n')
    res = run("--sandbox", "run", "never", "--json", "--", job, env=NO_WINDOW).expect(4)
    doc = res.json()
    assert set(doc) >= {
        "id",
        "number",
        "service",
        "country",
        "price",
        "currency",
        "code",
        "text",
        "state",
        "settled",
        "cmd_exit_code",
        "timed_out",
        "signal",
    }
    assert (doc["service"], doc["price"], doc["currency"]) == ("never", "5.00", "PLAY")
    assert (doc["cmd_exit_code"], doc["timed_out"], doc["signal"]) == (4, False, None)
    assert "{not json" in res.stderr


@pytest.mark.parametrize(("cmd", "code"), [("no-such-command-here", 127), (".", 126)])
def test_a_command_that_cannot_run_is_refunded(run: Otp, cmd: str, code: int) -> None:
    res = run("--sandbox", "run", "never", "--json", "--", cmd, env=NO_WINDOW).expect(code)
    doc = res.json()
    assert (doc["cmd_exit_code"], doc["settled"]) == (code, "cancelled")
    assert "cannot run" in res.stderr
    assert run.balance() == FULL


def test_a_failed_purchase_runs_nothing(run: Otp, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    job = script(tmp_path, f"touch {marker}\n")
    res = run("--sandbox", "run", "tg", "--max-price", "1", "--", job).expect(6)
    assert not marker.exists()
    assert "MAX_PRICE" in res.stderr or "price" in res.stderr, res
    assert run.balance() == FULL


def test_timeout_stops_the_command_and_refunds(run: Otp, tmp_path: Path) -> None:
    job = script(tmp_path, "sleep 30\n")
    res = run("--sandbox", "run", "never", "--timeout", "0.5", "--", job, env=NO_WINDOW)
    res.expect(124)
    assert "--timeout" in res.stderr
    assert only_order(run)["state"] == "cancelled"
    assert run.balance() == FULL


TRAPS_TERM = """\
    trap 'echo "got TERM" > "$0.sig"; exit 7' TERM
    sleep 30 &
    echo ready >&2
    wait $!
"""


def test_sigterm_reaches_the_command_then_refunds(run: Otp, tmp_path: Path) -> None:
    job = script(tmp_path, TRAPS_TERM)
    child = run.popen("--sandbox", "run", "never", "--json", "--", job, env=NO_WINDOW)
    child.err.until("ready", 20)
    child.proc.send_signal(signal.SIGTERM)
    res = child.finish(20)
    assert res.returncode == 143, res
    assert Path(job + ".sig").read_text() == "got TERM\n"
    doc = res.json()  # the interruption's document carries the run
    assert (doc["error"], doc["exit_code"]) == ("interrupted", 143)
    assert (doc["signal"], doc["cmd_exit_code"], doc["settled"]) == ("SIGTERM", 7, "cancelled")
    assert only_order(run)["state"] == "cancelled"
    assert run.balance() == FULL


def test_sigterm_inside_the_window_leaves_cancel_pending(run: Otp, tmp_path: Path) -> None:
    job = script(tmp_path, TRAPS_TERM)
    slow = {"OTPCLI_SANDBOX_TIME_SCALE": "2"}  # the 2-minute window lasts 60 s
    child = run.popen("--sandbox", "run", "never", "--", job, env=slow)
    child.err.until("ready", 20)
    child.proc.send_signal(signal.SIGTERM)
    res = child.finish(20)
    assert res.returncode == 143, res
    assert "otp cancel --pending" in res.stderr, res
    assert only_order(run)["state"] == "cancel_pending"
    assert run.balance() == "995.00 PLAY\n"

    end_early_cancel_windows(run)
    run("cancel", "--pending", "--wait").expect(0)
    assert only_order(run)["state"] == "cancelled"
    assert run.balance() == FULL


def test_the_early_cancel_window_is_waited_out(run: Otp, tmp_path: Path) -> None:
    # The window lasts 1.2 s; the clean-up retries within --cleanup-timeout.
    scale = {"OTPCLI_SANDBOX_TIME_SCALE": "100"}
    res = run("--sandbox", "run", "never", "--cleanup-timeout", "5", "--", "true", env=scale)
    res.expect(0)
    assert "early cancel refused" in res.stderr, res
    assert only_order(run)["state"] == "cancelled"
    assert run.balance() == FULL


def test_a_window_longer_than_the_cleanup_bound_is_exit_8(run: Otp, tmp_path: Path) -> None:
    res = run("--sandbox", "run", "never", "--cleanup-timeout", "0", "--json", "--", "true")
    res.expect(8)
    doc = res.json()
    assert (doc["error"], doc["exit_code"]) == ("order_state", 8)
    assert (doc["settled"], doc["cmd_exit_code"]) == ("cancel_pending", 0)
    assert "otp cancel --pending" in res.stderr
    assert only_order(run)["state"] == "cancel_pending"


def test_a_stopped_commands_leftover_jobs_are_killed(run: Otp, tmp_path: Path) -> None:
    """A background job that ignores SIGTERM would hold the step's stdout open: after
    the grace it is killed with the rest of the command's process group."""
    job = script(
        tmp_path,
        """\
        (trap '' TERM; sleep 30; echo survived > "$0.left") &
        echo ready >&2
        wait
    """,
    )
    res = run("--sandbox", "run", "never", "--timeout", "0.5", "--", job, env=NO_WINDOW)
    res.expect(124)  # returns at all: nothing holds its pipes
    assert not Path(job + ".left").exists()
    assert only_order(run)["state"] == "cancelled"


def test_a_nested_otp_plays_in_the_same_sandbox(run: Otp, tmp_path: Path) -> None:
    job = script(
        tmp_path,
        """\
        otp balance
        otp orders --json > /dev/null && echo "journal ok"
    """,
    )
    res = run("--sandbox", "run", "never", "--", job, env=NO_WINDOW).expect(0)
    assert res.stdout == "995.00 PLAY\njournal ok\n", res


def test_count_runs_the_command_once_per_number(run: Otp, tmp_path: Path) -> None:
    # Number 0 reads its code and succeeds; number 1 ignores it and fails with 4.
    job = script(
        tmp_path,
        """\
        echo "$OTP_INDEX $OTP_ID" >> "$0.seen"
        if [ "$OTP_INDEX" = 0 ]; then otp wait "$OTP_ID" > /dev/null; exit 0; fi
        exit 4
    """,
    )
    res = run("--sandbox", "run", "tg", "-n", "2", "--json", "--", job).expect(4)
    results = res.json()["results"]
    assert [r["cmd_exit_code"] for r in results] == [0, 4]
    seen = sorted(Path(job + ".seen").read_text().splitlines())
    assert seen == [f"{i} {r['id']}" for i, r in enumerate(results)]
    # A code came for both (the sandbox sends one 50 ms after purchase): both finished.
    assert [r["settled"] for r in results] == ["finished", "finished"]
    assert run.balance() == "975.00 PLAY\n"


def test_count_with_codes_finishes_each(run: Otp, tmp_path: Path) -> None:
    job = script(tmp_path, 'otp wait "$OTP_ID" > /dev/null && sleep 1\n')
    t0 = time.monotonic()
    res = run("--sandbox", "run", "tg", "-n", "3", "--json", "--", job).expect(0)
    took = time.monotonic() - t0
    results = res.json()["results"]
    assert [r["settled"] for r in results] == ["finished"] * 3
    assert all(r["code"] for r in results)
    assert len({r["id"] for r in results}) == 3
    assert run.balance() == "962.50 PLAY\n"
    assert took < 3 + 2.5, "the commands ran one after the other"  # 3 x 1 s, at once


def test_count_sigterm_reaches_every_command(run: Otp, tmp_path: Path) -> None:
    each = TRAPS_TERM.replace('"$0.sig"', '"$0.sig.$OTP_INDEX"')
    job = script(tmp_path, each.replace("echo ready", 'echo "ready $OTP_INDEX"'))
    child = run.popen("--sandbox", "run", "never", "-n", "2", "--json", "--", job, env=NO_WINDOW)
    child.err.until("ready 0", 20)
    child.err.until("ready 1", 20)
    child.proc.send_signal(signal.SIGTERM)
    res = child.finish(20)
    assert res.returncode == 143, res
    for i in (0, 1):
        assert Path(f"{job}.sig.{i}").read_text() == "got TERM\n"
    doc = res.json()
    assert doc["error"] == "interrupted"
    assert [r["settled"] for r in doc["results"]] == ["cancelled", "cancelled"]
    assert run.balance() == FULL


# --- -n N when a purchase fails after some were bought ----------------------------
# A cap of 10 PLAY allows exactly 2 `never` numbers (5.00 each) of -n 4; 25 PLAY
# allows 2 `tg` numbers in India (12.50 each). The 3rd purchase is refused: CMD never
# runs, and the 2 bought are settled and listed with how each ended.


def bought_then_refused(res: Result, marker: Path) -> list[dict[str, object]]:
    """The checks every case shares; the 2 numbers' documents."""
    doc = res.json()
    assert "the 3rd purchase was refused (nothing sent for it)" in doc["message"], doc
    assert "nothing was sent" not in doc["message"]
    assert doc["spend_cap"]["source"] == "OTPCLI_MAX_SPEND"  # the refusal's own details
    results = doc["results"]
    assert len(results) == 2 and len({r["id"] for r in results}) == 2
    for r in results:
        assert {"id", "number", "price", "code", "state", "settled", "cmd_exit_code"} <= set(r)
        assert r["cmd_exit_code"] is None  # CMD never ran for it
        assert r["id"] in doc["message"] and r["id"] in res.stderr
    assert "bought 2 of 4" in res.stderr
    assert not marker.exists()
    return list(results)


def test_count_refused_by_the_cap_refunds_and_lists_the_bought(run: Otp, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    env = {**NO_WINDOW, "OTPCLI_MAX_SPEND": "10"}
    res = run("--sandbox", "run", "never", "-n", "4", "--json", "--", "touch", str(marker), env=env)
    res.expect(6)
    assert res.json()["error"] == "no_balance"
    results = bought_then_refused(res, marker)
    assert [(r["state"], r["settled"], r["code"]) for r in results] == [
        ("cancelled", "cancelled", None)
    ] * 2
    assert "the 2 bought were settled" in res.json()["message"]
    assert "cancelled for a refund" in res.stderr
    rows = run("orders", "--json").expect(0).json()["orders"]
    assert sorted(o["state"] for o in rows) == ["cancelled", "cancelled"]
    assert run.balance() == FULL


def test_count_refused_a_code_arriving_during_clean_up_is_finished_and_shown(
    run: Otp, tmp_path: Path
) -> None:
    # The code comes 1 s after purchase, inside a 12 s early-cancel window: the first
    # cancel is refused, the retry 2 s later finds the code instead.
    env = {
        "OTPCLI_SANDBOX_TIME_SCALE": "100",
        "OTPCLI_SANDBOX_SMS_DELAY": "100",
        "OTPCLI_SANDBOX_EARLY_CANCEL": "1200",
        "OTPCLI_MAX_SPEND": "25",
    }
    marker = tmp_path / "ran"
    argv = ["run", "tg", "-c", "india", "-n", "4", "--cleanup-timeout", "2"]
    res = run("--sandbox", *argv, "--json", "--", "touch", str(marker), env=env).expect(6)
    results = bought_then_refused(res, marker)
    assert [(r["state"], r["settled"]) for r in results] == [("finished", "finished")] * 2
    for r in results:
        assert r["code"] and f"{r['id']} finished with code {r['code']}" in res.json()["message"]
        assert f"a code came: {r['code']}" in res.stderr  # the human lines show it too
    rows = {o["id"]: o for o in run("orders", "--json").expect(0).json()["orders"]}
    assert {i: (o["state"], o["code"]) for i, o in rows.items()} == {
        r["id"]: ("finished", r["code"]) for r in results
    }
    assert run.balance() == "975.00 PLAY\n"  # both paid for: the codes are the user's


def test_count_refused_a_refund_refused_is_exit_8_and_cancel_pending(
    run: Otp, tmp_path: Path
) -> None:
    env = {"OTPCLI_MAX_SPEND": "10"}  # the 2-minute window; no time to wait it out
    marker = tmp_path / "ran"
    argv = ["run", "never", "-n", "4", "--cleanup-timeout", "0", "--json"]
    res = run("--sandbox", *argv, "--", "touch", str(marker), env=env).expect(8)
    results = bought_then_refused(res, marker)
    doc = res.json()
    assert doc["error"] == "order_state"
    assert [r["settled"] for r in results] == ["cancel_pending"] * 2
    assert "otp cancel --pending" in doc["hint"] and "otp cancel --pending" in res.stderr
    end_early_cancel_windows(run)
    run("cancel", "--pending", "--wait").expect(0)
    assert run.balance() == FULL
