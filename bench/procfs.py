"""Reading a process tree's CPU time and memory from /proc (Linux only).

CPU is utime + stime (clock ticks, usually 10 ms) of every process in the tree, plus the
root's cutime + cstime (children it has already reaped, e.g. a gunicorn worker that was
restarted). Memory is VmRSS from /proc/<pid>/status.
"""

from __future__ import annotations

import os

TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after its ")".
    return raw[raw.rindex(")") + 2 :].split()


def parent_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def children(pid: int) -> list[int]:
    """Direct children of `pid` (scans /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and parent_of(int(entry)) == pid:
            found.append(int(entry))
    return sorted(found)


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            parent = parent_of(int(entry))
            if parent is not None:
                parents.setdefault(parent, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(parents.get(current, []))
    return out


def cpu_seconds(pid: int, reaped: bool = False) -> float:
    """utime + stime of one process (+ cutime + cstime of its reaped children)."""
    fields = _stat_fields(pid)
    if not fields:
        return 0.0
    # After the command: state=0, ppid=1, ..., utime=11, stime=12, cutime=13, cstime=14.
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICK


def tree_cpu_seconds(pids: list[int], root: int) -> float:
    return sum(cpu_seconds(pid, reaped=pid == root) for pid in pids)


def sched_seconds(pids: list[int]) -> float:
    """On-CPU time from /proc/<pid>/schedstat (nanoseconds, not ticks), living processes only:
    a finer cross-check of `tree_cpu_seconds`."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/schedstat", "rb") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


def cpu_times() -> dict[int, dict[str, float]]:
    """Per core, seconds busy (user + nice + system + irq + softirq, and each), idle and
    stolen by the hypervisor, from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu") and line[3].isdigit():
                name, *values = line.split()
                user, nice, system, idle, iowait, irq, softirq, steal = map(int, values[:8])
                out[int(name[3:])] = {
                    "busy": (user + nice + system + irq + softirq) / TICK,
                    "user": (user + nice) / TICK,
                    "system": system / TICK,
                    "irq": (irq + softirq) / TICK,
                    "idle": (idle + iowait) / TICK,
                    "steal": steal / TICK,
                }
    return out


def rss_kb(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def affinity(pid: int) -> list[int] | None:
    try:
        return sorted(os.sched_getaffinity(pid))
    except OSError:
        return None
