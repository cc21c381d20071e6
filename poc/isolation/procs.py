"""Which process owns a socket, from /proc: the answer to "who tried to reach that host?".

Read from inside the namespace, /proc/net/{tcp,udp}[6] list the namespace's own sockets; the
socket's inode is then looked up among the file descriptors of the processes in the same network
namespace. Each owner is kept with its chain of parents (pid and program name, up to pid 1) and
whether it carries the mark the harness puts in the environment of a suite's processes
(poc/lifecycle/local.py, POC_SUITE_PROCESS), so the verdict can later tell the suite's processes
from the harness's own."""

from __future__ import annotations

import os
from pathlib import Path

SUITE_MARK = b"POC_SUITE_PROCESS="


def _own_netns() -> str:
    try:
        return os.readlink("/proc/self/ns/net")
    except OSError:
        return ""


def socket_inodes(proto: str, local_port: int) -> list[int]:
    """Inodes of the namespace's sockets of `proto` (tcp|udp) bound to local_port."""
    out = []
    for suffix in ("", "6"):
        try:
            lines = Path(f"/proc/net/{proto}{suffix}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if len(f) < 10:
                continue
            try:
                port = int(f[1].rsplit(":", 1)[1], 16)
            except (IndexError, ValueError):
                continue
            if port == local_port and f[9] != "0":
                out.append(int(f[9]))
    return out


def pid_of_inode(inodes: list[int]) -> int | None:
    if not inodes:
        return None
    wanted = {f"socket:[{i}]" for i in inodes}
    mine = _own_netns()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if mine and os.readlink(entry / "ns" / "net") != mine:
                continue
            for fd in (entry / "fd").iterdir():
                try:
                    if os.readlink(fd) in wanted:
                        return int(entry.name)
                except OSError:
                    continue
        except OSError:
            continue
    return None


def describe(pid: int | None) -> dict | None:
    """pid, program, command line (shortened), whether it carries the suite mark, and its parents."""
    if pid is None:
        return None
    info = {"pid": pid, "comm": _comm(pid), "cmdline": _cmdline(pid)[:300], "suite_mark": _marked(pid),
            "chain": []}
    seen, p = set(), pid
    while p and p not in seen and len(seen) < 40:
        seen.add(p)
        info["chain"].append({"pid": p, "comm": _comm(p)})
        p = _ppid(p)
    return info


def owner(proto: str, local_port: int | None) -> dict | None:
    if local_port is None:
        return None
    return describe(pid_of_inode(socket_inodes(proto, local_port)))


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _marked(pid: int) -> bool:
    try:
        return any(v.startswith(SUITE_MARK) for v in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"))
    except OSError:
        return False


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None
