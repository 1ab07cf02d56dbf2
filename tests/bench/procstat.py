"""CPU time of processes from /proc (Linux): by pid, and the pid listening on a local TCP port; the machine's CPU
model, and how much of its CPU time a hypervisor gave to other guests (steal)."""

from __future__ import annotations

import os

_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` (its threads included), 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14 and 15 of stat)


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            cols = row.split()
            if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(cols[9])
    return inodes


def pid_listening(port: int) -> int | None:
    """The process that listens on `port`, if this user may see it."""
    wanted = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not wanted:
        return None
    for name in os.listdir("/proc"):
        if name.isdigit() and _holds_any(name, wanted):
            return int(name)
    return None


def _holds_any(pid: str, sockets: set[str]) -> bool:
    """Whether process `pid` has one of `sockets` open. A busy process (Kafka's broker) opens and closes files
    while it is read: an fd gone between listing and reading is skipped, not the whole process."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") in sockets:
                return True
        except OSError:
            continue
    return False


def machine_ticks() -> list[int]:
    """The machine's CPU time so far, by kind (/proc/stat's first line: user, nice, system, idle, iowait, irq,
    softirq, steal, ...); empty when /proc does not say."""
    try:
        with open("/proc/stat") as f:
            return [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return []


def machine_shares(before: list[int], after: list[int]) -> tuple[float, float]:
    """Of the machine's CPU time between two `machine_ticks`: the share it used, and the share stolen (a virtual
    machine's cores given to other guests: the same work then takes more wall time and, as /proc counts it, more
    CPU time per process). Figures of runs with different steal are not comparable."""
    spent = [a - b for a, b in zip(after[:8], before[:8], strict=False)]
    if len(spent) < 8 or sum(spent) <= 0:
        return 0.0, 0.0
    total, idle, steal = sum(spent), spent[3] + spent[4], spent[7]
    return (total - idle - steal) / total, steal / total


def cpu_model() -> str:
    """The CPU's model name ("?" when /proc does not say)."""
    try:
        with open("/proc/cpuinfo") as f:
            return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "?")
    except OSError:
        return "?"


def port_of(address: str, default: int = 27017) -> int:
    """The port of `scheme://host:port/...` (the first host's), `default` when it names none."""
    first = address.split("://", 1)[-1].split("/", 1)[0].split(",", 1)[0]
    return int(first.rsplit(":", 1)[1]) if ":" in first else default
