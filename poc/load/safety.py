"""What load may be sent where, and how much. Load goes only to the hosts a suite declares, is
bounded in users and in time, and stops on its own; anything else is refused with a message."""

from __future__ import annotations

import os

from ..errors import PocError
from . import ENV_MAX_SECONDS, ENV_MAX_USERS
from .target import Target, origin

MAX_USERS = 30_000     # one load run; more needs workers on more machines and a raised bound
MAX_SECONDS = 3_600    # one load run never lasts longer than an hour
GRACE_SECONDS = 30     # after its planned end a run is stopped by force


class LoadRefused(PocError):
    """Load that the harness will not send."""

    exit_code = 2


def max_users() -> int:
    return int(os.environ.get(ENV_MAX_USERS) or MAX_USERS)


def max_seconds() -> float:
    return float(os.environ.get(ENV_MAX_SECONDS) or MAX_SECONDS)


def check_url(url: str, allowed: list[str] | set[str], suite: str = "the suite") -> None:
    if origin(url) not in {a.lower() for a in allowed}:
        raise LoadRefused(f"refused: {origin(url)} is not a host {suite} declares "
                          f"(declared: {', '.join(sorted(allowed)) or 'none'}); load goes only to declared hosts")


def check_target(target: Target, capabilities, host: str | None = None) -> list[str]:
    """Every URL the users will use is on a declared host; returns the declared hosts."""
    allowed = target.hosts()
    if not allowed:
        raise LoadRefused(f"refused: suite {target.suite} declares no host (no endpoints in its state)")
    if host:
        check_url(host, allowed, target.suite)
    for cap in capabilities:
        if cap in target.capabilities:
            for account in target.accounts.values():
                check_url(target.url_for(cap, account), allowed, target.suite)
    return allowed


def check_bounds(users: int, seconds: float) -> None:
    if users < 1:
        raise LoadRefused("refused: a load run needs at least one user")
    if users > max_users():
        raise LoadRefused(f"refused: {users:,} users is more than the bound of {max_users():,} for one run "
                          f"(raise it with {ENV_MAX_USERS} when the generators and the suite are sized for it)")
    if not 0 < seconds <= max_seconds():
        raise LoadRefused(f"refused: a load run of {seconds:.0f} s is outside 1 s .. {max_seconds():.0f} s "
                          f"(raise the bound with {ENV_MAX_SECONDS})")
