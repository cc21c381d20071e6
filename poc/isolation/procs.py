"""Which process owns a socket, from /proc: the answer to "who tried to reach that host?".

Read from inside the namespace, /proc/net/{tcp,udp}[6] list the namespace's own sockets; the
socket's inode is then looked up among the file descriptors of the processes in the same network
namespace. Each owner is kept with its chain of parents (pid and program name, up to pid 1) and
whether it carries the mark the harness puts in the environment of a suite's processes
(poc/lifecycle/local.py, POC_SUITE_PROCESS), so the verdict can later tell the suite's processes
from the harness's own."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

SUITE_MARK = b"POC_SUITE_PROCESS="


def _own_netns() -> str:
    try:
        return os.readlink("/proc/self/ns/net")
    except OSError:
        return ""


def _endpoint(field: str) -> tuple[str | None, int | None]:
    """An address:port of /proc/net/{tcp,udp}{,6} (hex, host byte order) as (address, port)."""
    try:
        hex_addr, hex_port = field.rsplit(":", 1)
        raw = bytes.fromhex(hex_addr)
        if len(raw) == 4:
            address = ipaddress.IPv4Address(raw[::-1])
        else:  # four 32-bit words, each in host (little-endian) order
            address = ipaddress.IPv6Address(b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4)))
            address = address.ipv4_mapped or address
        return str(address), int(hex_port, 16)
    except (ValueError, IndexError):
        return None, None


def _matches(have: str | None, want: str | None) -> bool:
    """An address in the socket table matches the one seen on the wire; an unbound one
    (0.0.0.0, ::) matches any."""
    return want is None or have is None or have in ("0.0.0.0", "::") or have == want


def socket_inodes(proto: str, local_port: int, local_addr: str | None = None, remote_addr: str | None = None,
                  remote_port: int | None = None) -> list[int]:
    """Inodes of the namespace's sockets of `proto` (tcp|udp) bound to local_port; where the frame's
    addresses are known they must match too (the same port number is free to be in use on
    another address at once: a suite's loopback connection must not be taken for the browser's)."""
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
            l_addr, port = _endpoint(f[1])
            r_addr, r_port = _endpoint(f[2])
            if port != local_port or f[9] == "0":
                continue
            if not _matches(l_addr, local_addr):
                continue
            if remote_addr is not None and r_port not in (0, None) and (r_addr != remote_addr or r_port != remote_port):
                continue
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
    """pid, program (no arguments), whether it carries the suite mark, and its parents."""
    if pid is None:
        return None
    info = {"pid": pid, "comm": _comm(pid), "program": program(pid), "suite_mark": _marked(pid), "chain": []}
    seen, p = set(), pid
    while p and p not in seen and len(seen) < 40:
        seen.add(p)
        info["chain"].append({"pid": p, "comm": _comm(p)})
        p = _ppid(p)
    return info


def owner(proto: str, local_port: int | None, local_addr: str | None = None, remote_addr: str | None = None,
          remote_port: int | None = None) -> dict | None:
    if local_port is None:
        return None
    return describe(pid_of_inode(socket_inodes(proto, local_port, local_addr, remote_addr, remote_port)))


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


INTERPRETERS = ("python", "node", "perl", "ruby", "php", "java", "sh", "bash")


def program(pid: int) -> str:
    """The program a process runs: its executable, and for an interpreter the script or module.
    Never the rest of the command line (a password may be on it: litmus takes one there)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return ""
    argv = [a.decode("utf-8", "replace") for a in argv if a]
    if not argv:
        return ""
    out = [argv[0].split(" ", 1)[0]]  # a program that rewrote its title (Chromium) has it all in argv[0]
    if Path(argv[0]).name.startswith(INTERPRETERS) and len(argv) > 1:
        rest = argv[1:]
        if rest[0] == "-m" and len(rest) > 1:
            out += rest[:2]
        elif not rest[0].startswith("-"):
            out.append(rest[0])
    return " ".join(a[:120] for a in out)


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
