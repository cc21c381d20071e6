"""Which load stage judges which service level.

`make evaluate` runs a short stage (POC_LOAD_STAGE unset or `short`): every profile once, at one small
size (POC_LOAD_STAGE_SIZE, default XS) squeezed into seconds (POC_LOAD_STAGE_SECONDS): it can fail a
suite that breaks even then, never pass one for a school it did not simulate.

`make evaluate LOAD=full` (POC_LOAD_STAGE=full) runs, for every service level in the catalogue, its own
profile at its own size and its real length (the morning at size S: 600 pupils and their teachers,
30 minutes), once per profile and size, so PRF-01 and PRF-02 get real verdicts. `LOAD_ONLY=PRF-01,PRF-02`
(POC_LOAD_REQUIREMENTS) runs only the stages those need; the others are recorded as left out. Such a run's
verdicts are kept for the comparison until a newer real-length run replaces them (poc/load/kept.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import data

ENV_MODE = "POC_LOAD_STAGE"              # short (default) | full
ENV_ONLY = "POC_LOAD_REQUIREMENTS"       # full: only these requirements' stages (comma-separated ids)
ENV_SIZE = "POC_LOAD_STAGE_SIZE"         # short: the size of every stage (default XS)
ENV_SECONDS = "POC_LOAD_STAGE_SECONDS"   # short: the length of every stage (default 6 s)
SHORT, FULL = "short", "full"


def mode() -> str:
    value = (os.environ.get(ENV_MODE) or SHORT).strip().lower()
    if value not in (SHORT, FULL):
        from ..errors import PocError
        raise PocError(f"{ENV_MODE}={value!r}: expected {SHORT} or {FULL} (make evaluate LOAD=full)")
    return value


def only() -> list[str]:
    return [x.strip() for x in (os.environ.get(ENV_ONLY) or "").split(",") if x.strip()]


@dataclass(frozen=True)
class Plan:
    profile: str
    size: str
    seconds: float
    mode: str

    @property
    def folder(self) -> str:
        """The stage's folder under <run>/load/: the profile (short), or profile-size (full)."""
        return self.profile if self.mode == SHORT else f"{self.profile}-{self.size}"


def level_size(level: dict) -> str:
    """The school size a service level names, or the smallest one with its min_users."""
    if level.get("size"):
        return str(level["size"])
    if level.get("min_users"):
        return data.size_for_users(int(level["min_users"])).name
    return "S"


def plan(level: dict, how: str | None = None) -> Plan:
    how = how or mode()
    profile = str(level["profile"])
    if how == FULL:
        return Plan(profile, level_size(level), data.profile(profile).seconds, FULL)
    return Plan(profile, os.environ.get(ENV_SIZE) or "XS", float(os.environ.get(ENV_SECONDS) or 6), SHORT)


def left_out(rid: str, how: str | None = None) -> str | None:
    """Why a requirement's stage is not run in this real-length run (LOAD_ONLY names others), or None."""
    chosen = only()
    if (how or mode()) == FULL and chosen and rid not in chosen:
        return (f"left out of this real-length run (LOAD_ONLY={','.join(chosen)}); the comparison keeps {rid}'s "
                "verdict from the latest real-length run that judged it")
    return None
