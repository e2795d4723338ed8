"""CPU seconds used by a process and all its descendants, read from /proc.

CPU time per request is steadier than requests per second on a small shared machine: it
does not depend on how much CPU the load generator and the subgraphs leave over. A gateway
may run helper processes (workers, a launcher), so the whole tree counts: utime + stime of
every live process under the root, plus the root's cutime + cstime (children it has reaped).
"""

from __future__ import annotations

import os
from pathlib import Path

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (which may contain spaces), or None
    if the process is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return text[text.rindex(")") + 2 :].split()


def _children_by_parent() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def descendants(pid: int) -> list[int]:
    """`pid` and every live process below it."""
    children = _children_by_parent()
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid`'s process tree so far (see the module docstring)."""
    ticks = 0
    for member in descendants(pid):
        fields = _stat_fields(member)
        if fields is None:
            continue
        # After the command name: state=0, ppid=1, ... utime=11, stime=12, cutime=13, cstime=14.
        ticks += int(fields[11]) + int(fields[12])
        if member == pid:
            ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS_PER_SECOND


def tree_rss_bytes(pid: int) -> int:
    """Resident memory of `pid`'s process tree (sum of each member's RSS)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for member in descendants(pid):
        fields = _stat_fields(member)
        if fields is not None:
            total += int(fields[21]) * page  # rss (pages) is field 24 of /proc/PID/stat
    return total
