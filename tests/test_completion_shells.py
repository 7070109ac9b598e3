"""The completion scripts in completions/, driven in the real bash, zsh and fish.

Each test gets a config file with two profiles (work, home) and a journal with three
orders (one finished, two waiting; ids 7001-7003), and asks the shell for the
candidates of one command line:

- bash: the script is sourced and `_otp` is called with COMP_WORDS/COMP_CWORD;
- zsh: an interactive `zsh -f` in a `zpty` loads the file from `$fpath` through
  `compinit`, TAB is sent, and a `compadd` wrapper prints what would be offered;
- fish: `complete -C 'LINE'` after sourcing the script.

The scripts call `otp __complete`, so PATH holds this environment's `otp`. A missing
shell fails the test (CI installs them in .ci/run): nothing is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from otpcli.domain.models import Activation
from otpcli.services.journal import Journal

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "completions"
BIN = Path(sys.executable).parent

CONFIG = """default = "work"

[profiles.work]
provider = "otpx"
api_key = "k1"

[profiles.home]
provider = "smsactivate"
base_url = "http://127.0.0.1:9/stubs"
"""

# Captures zsh's candidates: compprefuncs/comppostfuncs frame the output of one TAB.
ZSH_CAPTURE = r"""
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1=''; PROMPT=''; RPROMPT=''; fpath=(${(q)1} \$fpath)"
zpty -w z "autoload -U compinit; compinit -u -D"
zpty -w z "bindkey '^I' complete-word"
zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
zpty -w z '__cap_mark() { print -r -- "<<CAP>>" }'
zpty -w z 'compprefuncs=( __cap_mark ); comppostfuncs=( __cap_mark exit )'
# The wrapper is defined here and sent to the inner shell as text (tabs would complete).
compadd() {
    if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi
    local -a __hits
    builtin compadd -A __hits "$@"
    local h
    for h in $__hits; do print -r -- "CAND:$h"; done
}
zpty -w z "${$(functions compadd)//$'\t'/ }"
zpty -w z "print -r -- READY"
local line
repeat 50; do zpty -r z line; [[ $line == READY* ]] && break; done
zpty -w -n z "$2"$'\t'
zpty -r z out '*<<CAP>>*<<CAP>>*'
print -r -- "$out" | grep -a '^CAND:' | sed 's/^CAND://; s/\r$//'
zpty -d z
"""


def shell(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} is not installed: these tests run the completion scripts in the real "
            f"shell (apt-get install -y bash zsh fish; .ci/run does it)",
            pytrace=False,
        )
    return found


@pytest.fixture
def world(tmp_path: Path) -> dict[str, str]:
    """The environment of a user with two profiles and three orders; cwd holds a file
    that must never be offered where a value is not a file name."""
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir()
    config.write_text(CONFIG, encoding="utf-8")
    state = tmp_path / "state"
    journal = Journal(state)
    for n, service in ((7001, "tg"), (7002, "wa"), (7003, "ig")):
        row = journal.begin(
            provider="otpx", profile="work", base_url=None, service=service, country="22"
        )
        act = Activation(str(n), f"+9190000{n}", service, "22", Decimal("9.5"), "INR")
        journal.complete(row, act)
    journal.record("7003", "finished")
    journal.close()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "afile.txt").write_text("x", encoding="utf-8")
    return {
        "PATH": f"{BIN}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(tmp_path / "home"),
        "OTPCLI_CONFIG": str(config),
        "OTPCLI_STATE_DIR": str(state),
        "CWD": str(cwd),
    }


def _run(argv: list[str], world: dict[str, str]) -> list[str]:
    env = {k: v for k, v in world.items() if k != "CWD"}
    out = subprocess.run(
        argv, capture_output=True, text=True, timeout=30, env=env, cwd=world["CWD"], check=False
    )
    assert out.returncode == 0, out.stderr
    return [w for w in out.stdout.splitlines() if w]


def bash_complete(line: str, world: dict[str, str]) -> list[str]:
    words = line.split(" ")  # a trailing space makes the empty current word
    probe = (
        f"source {SCRIPTS / 'otp.bash'}; "
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}; "
        '_otp; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    return _run([shell("bash"), "--norc", "--noprofile", "-c", probe], world)


def zsh_complete(line: str, world: dict[str, str]) -> list[str]:
    capture = Path(world["HOME"]).parent / "capture.zsh"
    capture.write_text(ZSH_CAPTURE, encoding="utf-8")
    return _run([shell("zsh"), "-f", str(capture), str(SCRIPTS), line], world)


def fish_complete(line: str, world: dict[str, str]) -> list[str]:
    probe = f"source {SCRIPTS / 'otp.fish'}; complete -C '{line}'"
    # fish prints CANDIDATE<TAB>DESCRIPTION; the candidate is what completes.
    return [c.split("\t")[0] for c in _run([shell("fish"), "--no-config", "-c", probe], world)]


COMPLETERS = {"bash": bash_complete, "zsh": zsh_complete, "fish": fish_complete}
ACTIVE_FIRST = ["7002", "7001", "7003"]  # waiting ones newest first, then the finished one

CASES = [
    ("otp -p ", {"work", "home"}),
    ("otp --profile h", {"home"}),
    ("otp -p work wait ", set(ACTIVE_FIRST)),
    ("otp profile use ", {"work", "home"}),
    ("otp profile show w", {"work"}),
    ("otp profile remove ", {"work", "home"}),
    ("otp wait ", set(ACTIVE_FIRST)),
    ("otp status 700", set(ACTIVE_FIRST)),
    ("otp finish 7003", {"7003"}),
    ("otp cancel ", set(ACTIVE_FIRST)),
    ("otp again 7", set(ACTIVE_FIRST)),
    ("otp completion ", {"bash", "zsh", "fish"}),
    ("otp ba", {"balance"}),
    ("otp profile ", {"add", "list", "use", "remove", "show", "set"}),
    ("otp rent buy --hours ", set()),
]


@pytest.mark.parametrize("sh", sorted(COMPLETERS))
@pytest.mark.parametrize(("line", "expected"), CASES)
def test_shell_offers(sh: str, line: str, expected: set[str], world: dict[str, str]) -> None:
    got = COMPLETERS[sh](line, world)
    assert set(got) == expected, f"{sh}: {line!r}"
    assert "afile.txt" not in got


@pytest.mark.parametrize("sh", ["bash", "fish"])
def test_order_ids_come_active_first(sh: str, world: dict[str, str]) -> None:
    # zsh sorts what it shows; bash (COMPREPLY) and fish (-k) keep the journal's order.
    assert COMPLETERS[sh]("otp wait ", world) == ACTIVE_FIRST


@pytest.mark.parametrize("sh", sorted(COMPLETERS))
def test_no_data_means_no_candidates_and_no_noise(sh: str, world: dict[str, str]) -> None:
    gone = dict(world, OTPCLI_CONFIG=world["CWD"] + "/none.toml")
    gone["OTPCLI_STATE_DIR"] = world["CWD"] + "/no-state"
    assert COMPLETERS[sh]("otp -p ", gone) == []
    assert COMPLETERS[sh]("otp wait ", gone) == []
    assert not Path(gone["OTPCLI_STATE_DIR"]).exists()


def test_fish_api_key_file_still_completes_files(world: dict[str, str]) -> None:
    assert "afile.txt" in fish_complete("otp profile add x --api-key-file ", world)


def test_zsh_keeps_path_while_completing(world: dict[str, str]) -> None:
    # The old script's `local path` emptied $PATH inside the function: `otp` was not
    # found and `otp -p <TAB>` offered nothing. The function must not touch it.
    text = (SCRIPTS / "_otp").read_text(encoding="utf-8")
    assert "local path" not in text and "path=" not in text.replace("cmdpath=", "")
