"""`otp completion bash|zsh|fish`: static completion scripts generated from the app.

The scripts list every command, subcommand and option, so completing them starts no
Python at all; only values from the user's data call `otp __complete profiles|orders`
(otpcli/_complete.py: reads the config file or the journal, starts no Typer; DESIGN §5
allows it 2x a bare `python -c pass`): profile names for `-p/--profile` and `profile
use|show|remove|set`, order ids for `wait|status|finish|cancel|again`. Service codes,
country codes, providers and shells come from the bundled tables, also static. Option
values are never completed as file names, except `--api-key-file`.
The generated files in `completions/` are checked against this generator by a test,
so they cannot drift from the app. Regenerate with `python -m otpcli.cli.completion`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

SHELLS = ("bash", "zsh", "fish")
FILES = {"bash": "otp.bash", "zsh": "_otp", "fish": "otp.fish"}


@dataclass
class Node:
    path: tuple[str, ...]
    help: str = ""  # cut for a completion menu
    options: list[tuple[list[str], bool, str]] = field(default_factory=list)  # names, takes value
    children: dict[str, Node] = field(default_factory=dict)
    summary: str = ""  # the first line of the help, whole (the man page)


def _short(text: str | None) -> str:
    first = (text or "").strip().split("\n")[0]
    return first.replace("'", "").replace('"', "").replace("`", "")[:70]


def _walk(cmd: Any, ctx: Any, path: tuple[str, ...]) -> Node:
    text = getattr(cmd, "help", "") or ""
    node = Node(path, _short(text), summary=text.strip().split("\n")[0].strip())
    for param in cmd.params:
        names = [n for n in (*param.opts, *param.secondary_opts) if n.startswith("-")]
        if names:
            node.options.append((names, not param.is_flag, _short(getattr(param, "help", ""))))
    node.options.append((["--help", "-h"], False, "Show help"))
    if hasattr(cmd, "list_commands"):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not getattr(sub, "hidden", False):
                node.children[name] = _walk(sub, ctx, (*path, name))
    return node


def tree() -> Node:
    from otpcli.cli.app import app

    root = typer.main.get_command(app)
    ctx = typer.Context(root, info_name="otp")
    return _walk(root, ctx, ())


def _nodes(node: Node) -> list[Node]:
    out = [node]
    for child in node.children.values():
        out.extend(_nodes(child))
    return out


def _value_options(root: Node) -> list[str]:
    return sorted(
        {n for node in _nodes(root) for names, takes, _ in node.options if takes for n in names}
    )


def _provider_names() -> list[str]:
    from otpcli.providers import PROVIDERS

    return list(PROVIDERS)


def _static_values() -> tuple[list[str], list[str]]:
    from otpcli.data.countries import COUNTRIES
    from otpcli.data.services import SERVICES

    return sorted(SERVICES), sorted(c.iso for c in COUNTRIES)


# Positional values read from the user's data by `otp __complete` (otpcli/_complete.py,
# no Typer): commands that take order ids, and commands that take a profile name.
ORDER_COMMANDS = (("wait",), ("status",), ("finish",), ("cancel",), ("again",))
PROFILE_COMMANDS = (
    ("profile", "use"),
    ("profile", "show"),
    ("profile", "remove"),
    ("profile", "set"),
)
PROFILES = "otp __complete profiles"
ORDERS = "otp __complete orders"


def _key(path: tuple[str, ...]) -> str:
    return "".join(f"/{p}" for p in path)


def _bash_positional(node: Node, services: list[str]) -> str:
    """The shell words offered for a non-option word at `node` (bash syntax)."""
    if node.path in ORDER_COMMANDS:
        return f'$({ORDERS} "$cur" 2>/dev/null)'
    if node.path in PROFILE_COMMANDS:
        return f'$({PROFILES} "$cur" 2>/dev/null)'
    if node.path == ("completion",):
        return " ".join(SHELLS)
    extra = f" {' '.join(services)}" if node.path in (("buy",), ("prices",)) else ""
    return " ".join(node.children) + extra


def _bash_walk(root: Node) -> list[str]:
    """The loop that finds the (sub)command path in the words before the cursor.

    The variable is `cmdpath`, not `path`: zsh runs this function too (bashcompinit),
    and there `path` is tied to `$PATH`, so `local path` would hide every command.
    """
    lines = [
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        w="${COMP_WORDS[i]}"',
        "        if ((skip)); then skip=0; continue; fi",
        '        case "$w" in',
        '        -*) [[ "$valopts" == *" $w "* ]] && skip=1; continue ;;',
        "        esac",
        '        case "$cmdpath/$w" in',
    ]
    for node in _nodes(root):
        for name in node.children:
            lines.append(f'        "{_key(node.path)}/{name}") cmdpath="$cmdpath/{name}" ;;')
    lines += ["        *) break ;;", "        esac", "    done"]
    return lines


def _bash_function(root: Node, name: str) -> list[str]:
    services, countries = _static_values()
    lines = [
        f"{name}() {{",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    local cmdpath="" i w skip=0 cands',
        f"    local valopts=' {' '.join(_value_options(root))} '",
        *_bash_walk(root),
        '    case "$prev" in',
        f'    -p|--profile) COMPREPLY=($(compgen -W "$({PROFILES} "$cur" 2>/dev/null)"'
        ' -- "$cur")); return ;;',
        f'    -c|--country) COMPREPLY=($(compgen -W "{" ".join(countries)}" -- "$cur")); return ;;',
        f'    --provider) COMPREPLY=($(compgen -W "{" ".join(_provider_names())}" -- "$cur"));'
        " return ;;",
        '    --api-key-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;',
        "    esac",
        '    [[ "$valopts" == *" $prev "* ]] && return',
        '    case "$cmdpath" in',
    ]
    for node in _nodes(root):
        opts = " ".join(n for names, _, _ in node.options for n in names)
        lines.append(f'    "{_key(node.path)}")')
        lines.append(
            f'        if [[ "$cur" == -* ]]; then cands="{opts}";'
            f' else cands="{_bash_positional(node, services)}"; fi ;;'
        )
    lines += ["    esac", '    COMPREPLY=($(compgen -W "$cands" -- "$cur"))', "}"]
    return lines


def bash(root: Node) -> str:
    return "\n".join(
        [
            "# bash completion for otp. Generated by `otp completion bash`; do not edit.",
            "# Install: otp completion bash > ~/.local/share/bash-completion/completions/otp",
            *_bash_function(root, "_otp"),
            "complete -F _otp otp otpcli",
            "",
        ]
    )


def zsh(root: Node) -> str:
    # The bash function through zsh's bashcompinit. Autoloaded from $fpath, this file is
    # the body of `_otp` and runs on the first TAB: it defines `__otp_bash`, registers
    # it, and then completes that first TAB too (`compstate` exists only inside a
    # completion). Sourced (`source <(otp completion zsh)`), it only registers.
    return "\n".join(
        [
            "#compdef otp otpcli",
            "# zsh completion for otp. Generated by `otp completion zsh`; do not edit.",
            '# Install: otp completion zsh > "${fpath[1]}/_otp"  (then restart zsh)',
            "autoload -U +X bashcompinit && bashcompinit",
            *_bash_function(root, "__otp_bash"),
            "complete -F __otp_bash otp otpcli",
            "(( ${+compstate} )) && _bash_complete -F __otp_bash",
            "",
        ]
    )


def _fish_path_function(root: Node) -> list[str]:
    """`__otp_path`: the (sub)command path of the command line, like the bash loop.

    Conditions built on it name one exact node, so `otp profile use <TAB>` is at
    /profile/use (profile names) and no longer also "somewhere after `profile`" (which
    offered the subcommands again), and `cheap buy` is not `buy`.
    """
    paths = " ".join(_key(n.path) for n in _nodes(root) if n.path)
    valopts = " ".join(f"'{o}'" for o in _value_options(root))
    return [
        "function __otp_path --description 'The otp (sub)command being completed'",
        "    set -l words (commandline -opc)",
        "    set -e words[1]",
        "    set -l cmdpath ''",
        "    set -l skip 0",
        "    for w in $words",
        "        if test $skip = 1",
        "            set skip 0",
        "            continue",
        "        end",
        "        switch $w",
        f"            case {valopts}",
        "                set skip 1",
        "                continue",
        "            case '-*'",
        "                continue",
        "        end",
        '        switch "$cmdpath/$w"',
        f"            case {paths}",
        '                set cmdpath "$cmdpath/$w"',
        "            case '*'",
        "                break",
        "        end",
        "    end",
        '    echo "$cmdpath"',
        "end",
        "function __otp_at --description 'Is otp completing at this (sub)command path?'",
        "    set -l here (__otp_path)",
        '    test "$here" = "$argv[1]"',
        "end",
    ]


def _fish_option(names: list[str], takes: bool, countries: list[str]) -> str:
    """Spec, value kind and values of one option. A value is never a file (`-x`), except
    for `--api-key-file` (`-r -F`)."""
    spec = " ".join(f"-l {n[2:]}" if n.startswith("--") else f"-s {n[1:]}" for n in names)
    if not takes:
        return spec
    if "--api-key-file" in names:
        return f"{spec} -r -F"
    if "--profile" in names:
        return f"{spec} -x -a '({PROFILES} --describe)'"
    if "--country" in names:
        return f"{spec} -x -a '{' '.join(countries)}'"
    if "--provider" in names:
        return f"{spec} -x -a '{' '.join(_provider_names())}'"
    return f"{spec} -x"


def _fish_positional(node: Node, services: list[str]) -> str | None:
    """The `-a` of the values for a non-option word at `node`, if any."""
    if node.path in ORDER_COMMANDS:  # -k: keep active-first, newest-first
        return f"'({ORDERS} --describe)' -k"
    if node.path in PROFILE_COMMANDS:
        return f"'({PROFILES} --describe)'"
    if node.path == ("completion",):
        return f"'{' '.join(SHELLS)}'"
    if node.path in (("buy",), ("prices",)):
        return f"'{' '.join(services)}'"
    return None


def fish(root: Node) -> str:
    services, countries = _static_values()
    out = [
        "# fish completion for otp. Generated by `otp completion fish`; do not edit.",
        "# Install: otp completion fish > ~/.config/fish/completions/otp.fish",
        "complete -c otp -f",
        "complete -c otpcli -w otp",
        *_fish_path_function(root),
    ]
    for node in _nodes(root):
        cond = f"__otp_at '{_key(node.path)}'"
        for name, child in node.children.items():
            out.append(f"complete -c otp -n \"{cond}\" -a {name} -d '{child.help}'")
        values = _fish_positional(node, services)
        if values:
            out.append(f'complete -c otp -n "{cond}" -a {values}')
        for names, takes, help_ in node.options:
            option = _fish_option(names, takes, countries)
            out.append(f"complete -c otp -n \"{cond}\" {option} -d '{help_}'")
    out.append("")
    return "\n".join(out)


def script(shell: str) -> str:
    root = tree()
    return {"bash": bash, "zsh": zsh, "fish": fish}[shell](root)


app = typer.Typer(add_completion=False)


@app.command("completion")
def completion_cmd(
    shell: Annotated[str, typer.Argument(help="bash, zsh or fish.")],
) -> None:
    """Print a completion script for SHELL (commands and options complete without Python).

    Example: otp completion bash > ~/.local/share/bash-completion/completions/otp
    """
    from otpcli.domain.errors import BadInput

    if shell not in SHELLS:
        raise BadInput(f"unknown shell {shell!r}", hint=f"choose one of: {', '.join(SHELLS)}")
    sys.stdout.write(script(shell))


def write_all(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    for shell, name in FILES.items():
        (folder / name).write_text(script(shell), encoding="utf-8")


if __name__ == "__main__":
    write_all(Path(__file__).resolve().parents[2] / "completions")
