"""The load data in scenarios/load/: sizes.yaml, profiles.yaml and behaviour.yaml.

Numbers live in those files, not here; this module reads them and says which file and key is
wrong when one is."""

from __future__ import annotations

import dataclasses
import functools
import math
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import yamlfile
from ..errors import ConfigError, Problem

FOLDER = Path(__file__).resolve().parents[2] / "scenarios" / "load"


def _read(name: str) -> dict:
    path = FOLDER / name
    try:
        data = yamlfile.safe_load(path.read_text(encoding="utf-8"), path)  # bounded: refused with file and line
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(Problem(path, None, None, f"cannot read: {exc}")) from None
    if not isinstance(data, dict):
        raise ConfigError(Problem(path, None, None, "expected a mapping"))
    return data


@dataclass(frozen=True)
class Size:
    name: str
    pupils: int
    teachers: int
    label: dict
    source: str

    @property
    def users(self) -> int:
        return self.pupils + self.teachers


@dataclass(frozen=True)
class Profile:
    name: str
    title: dict
    minutes: float
    curve: tuple  # ((minute, share), ...)

    def share_at(self, fraction: float) -> float:
        """The share of the users active at `fraction` (0..1) of the profile, drawn straight."""
        minute = max(0.0, min(1.0, fraction)) * self.minutes
        pts = self.curve
        for (m0, s0), (m1, s1) in zip(pts, pts[1:]):
            if m0 <= minute <= m1:
                return s0 if m1 == m0 else s0 + (s1 - s0) * (minute - m0) / (m1 - m0)
        return pts[-1][1]

    @property
    def seconds(self) -> float:
        return self.minutes * 60


@functools.lru_cache(maxsize=None)
def behaviour() -> dict:
    data = _read("behaviour.yaml")
    path = FOLDER / "behaviour.yaml"
    for role, spec in data.get("roles", {}).items():
        for profile, weights in spec.items():
            for action in weights:
                if action not in data.get("actions", {}):
                    raise ConfigError(Problem(path, None, f"roles.{role}.{profile}.{action}",
                                              f"unknown action; known: {', '.join(data.get('actions', {}))}"))
    return data


@functools.lru_cache(maxsize=None)
def sizes() -> dict[str, Size]:
    ratio = float(behaviour().get("teachers_per_pupil", 0))
    out = {}
    for name, spec in _read("sizes.yaml")["sizes"].items():
        pupils = int(spec["pupils"])
        out[name] = Size(name, pupils, max(1, math.ceil(pupils * ratio)) if ratio else 0, spec.get("label", {}),
                         str(spec.get("source", "")).strip())
    return out


@functools.lru_cache(maxsize=None)
def profiles() -> dict[str, Profile]:
    path = FOLDER / "profiles.yaml"
    out = {}
    for name, spec in _read("profiles.yaml")["profiles"].items():
        curve = tuple((float(m), float(s)) for m, s in spec["curve"])
        if [m for m, _ in curve] != sorted(m for m, _ in curve) or not all(0 <= s <= 1 for _, s in curve):
            raise ConfigError(Problem(path, None, f"profiles.{name}.curve",
                                      "points must be in time order with shares between 0 and 1"))
        out[name] = Profile(name, spec.get("title", {}), float(spec["minutes"]), curve)
    return out


def size(name: str) -> Size:
    known = sizes()
    if name not in known:
        raise ConfigError(Problem(FOLDER / "sizes.yaml", None, name, f"unknown size; known: {', '.join(known)}"))
    return known[name]


# For the harness's own tests only: every profile's real length in seconds, so that a real-length run
# (LOAD=full) can be proven in seconds. A stage run with it records `length_override` and says so.
ENV_PROFILE_SECONDS = "POC_LOAD_PROFILE_SECONDS"


def length_override() -> float | None:
    value = os.environ.get(ENV_PROFILE_SECONDS)
    return float(value) if value else None


def profile(name: str) -> Profile:
    known = profiles()
    if name not in known:
        raise ConfigError(Problem(FOLDER / "profiles.yaml", None, name,
                                  f"unknown profile; known: {', '.join(known)}"))
    override = length_override()
    if not override:
        return known[name]
    real = known[name]
    factor = override / real.seconds  # the same curve, drawn over the shorter length
    return dataclasses.replace(real, minutes=override / 60, curve=tuple((m * factor, s) for m, s in real.curve))


def size_for_users(users: int) -> Size:
    """The smallest school size with at least `users` users (pupils and teachers)."""
    for s in sizes().values():
        if s.users >= users:
            return s
    return list(sizes().values())[-1]


def weights(role: str, profile_name: str | None) -> dict[str, float]:
    spec = behaviour()["roles"][role]
    return dict(spec.get(profile_name or "default") or spec["default"])


def size_rank(name: str) -> int:
    return list(sizes()).index(name)
