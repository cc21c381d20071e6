"""List the suites (folders under suites/) with their mode and capabilities."""

from __future__ import annotations

from .. import suites


def add_arguments(p):
    pass


def run(args) -> int:
    for s in suites.load_all():
        caps = ", ".join(f"{c}:{v['protocol']}" for c, v in s.capabilities.items())
        if s.is_reference:
            caps = "no server: assessed from public sources only, shown in the comparison (python -m poc assess " + s.name + ")"
        print(f"{s.name:<16} {s.mode:<9} {s.title('en')}\n{'':<26}{caps}")
    return 0
