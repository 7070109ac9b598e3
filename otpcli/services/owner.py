"""Which process owns a journal row, and whether that process still lives.

Contract:
- `this_process()` names the running process: host name, kernel boot id, pid and the
  process start time (clock ticks since boot, from /proc/PID/stat). Where /proc is
  missing (macOS, Windows) the boot id and start time are None.
- `alive(owner)` answers True (the owner still runs), False (it is gone for certain) or
  None (cannot be told from here: another host, i.e. another machine or another
  container's name, or another runner id). Rules, in order: another host or runner ->
  None; another boot id -> False (the machine rebooted); the pid does not exist ->
  False; the pid exists but started at another time -> False (the pid was reused, e.g.
  by a restarted container); else True.
- `runner_id()` names the runner (a CI machine, a container) a process belongs to:
  `OTPCLI_RUNNER_ID`, else the host name. Rows of a shared journal carry it, so
  `alive()` says None (cannot tell) for another runner's process, even on this host.
- `lease_seconds()`: how long a process of another runner may go unseen before its rows
  count as orphans for `otp cancel --pending --all-runners` (`OTPCLI_RUNNER_LEASE`,
  default 120 s). A process refreshes the rows it owns (services/journal.py heartbeat)
  four times per lease, so only a runner that died, hung or lost the database for a
  whole lease loses them. Clocks of the runners are assumed to agree within seconds.
- Nothing here writes anything. `alive` is not cached (an owner may die while a library
  process runs); a listing asks once per distinct owner (`Liveness`).
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path
from typing import NamedTuple

_BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
ENV_RUNNER_ID = "OTPCLI_RUNNER_ID"
ENV_LEASE = "OTPCLI_RUNNER_LEASE"
DEFAULT_LEASE = 120.0


class Owner(NamedTuple):
    host: str
    boot: str | None
    pid: int
    start: int | None
    runner: str | None = None  # None: a row written before runners were recorded


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace")
    except OSError:
        return None


def start_time(pid: int) -> int | None:
    """Field 22 of /proc/PID/stat (start time in ticks since boot), or None."""
    stat = _read(Path(f"/proc/{pid}/stat"))
    return None if stat is None else parse_start(stat)


def parse_start(stat: str) -> int | None:
    # The command name (field 2) is in parentheses and may itself hold spaces or ')'.
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        return int(fields[19])  # field 22 counted from field 3
    except (IndexError, ValueError):
        return None


@functools.cache
def boot_id() -> str | None:
    raw = _read(_BOOT_ID)
    return raw.strip() or None if raw else None


@functools.cache
def host_name() -> str:
    return socket.gethostname()


def runner_id() -> str:
    """`OTPCLI_RUNNER_ID`, else the host name (read each time: tests and a library
    process may change it)."""
    return os.environ.get(ENV_RUNNER_ID, "").strip() or host_name()


def lease_seconds() -> float:
    raw = os.environ.get(ENV_LEASE, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_LEASE
    except ValueError:
        value = DEFAULT_LEASE
    return value if value > 0 and value == value and value != float("inf") else DEFAULT_LEASE


def this_process() -> Owner:
    # Not cached: a forked child is another owner.
    pid = os.getpid()
    return Owner(host_name(), boot_id(), pid, start_time(pid), runner_id())


def _pid_exists(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    except OSError:
        return False
    return True


def alive(owner: Owner) -> bool | None:
    if owner.host != host_name() or (owner.runner and owner.runner != runner_id()):
        return None
    here = boot_id()
    if owner.boot and here and owner.boot != here:
        return False
    if owner.pid == os.getpid():
        return owner.start is None or owner.start == start_time(owner.pid)
    if not _pid_exists(owner.pid):
        return False
    if owner.start is not None:
        now = start_time(owner.pid)
        if now is not None and now != owner.start:
            return False
    return True


class Liveness:
    """`alive()` asked once per distinct owner, for one listing or one settling run."""

    def __init__(self) -> None:
        self._seen: dict[Owner, bool | None] = {}

    def __call__(self, owner: Owner) -> bool | None:
        if owner not in self._seen:
            self._seen[owner] = alive(owner)
        return self._seen[owner]
