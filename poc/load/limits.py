"""How many users one load-generator process can hold: each simulated user keeps one connection to each
suite host it uses (keepalive.py), and every connection is an open file. The harness raises a generator's
open-files limit (RLIMIT_NOFILE) to the machine's hard limit and says what that allows; past it, the
stage needs more generator processes (workers, here or on other hosts)."""

from __future__ import annotations

import math
import resource

RESERVE_FILES = 200  # file numbers a Locust process needs besides its users' connections


def raise_open_files() -> tuple[int, int]:
    """Raise this process's open-files limit to its hard limit (children inherit it); returns (soft, hard)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def users_per_process(open_files: int, hosts: int) -> int:
    """Users one generator process can hold with `open_files` file numbers and `hosts` suite hosts."""
    return max(0, (open_files - RESERVE_FILES) // max(1, hosts))


def processes_needed(users: int, open_files: int, hosts: int) -> int:
    per = users_per_process(open_files, hosts)
    return math.ceil(users / per) if per else 0


def describe(open_files: int, hard: int, hosts: int) -> str:
    per = users_per_process(open_files, hosts)
    return (f"open files: {open_files:,} per process (hard limit {hard:,}): one generator process holds up to "
            f"{per:,} users here ({hosts} suite host(s), one kept connection to each per user)")
