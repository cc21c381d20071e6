"""The school-day profiles as Locust LoadTestShape classes: Morning, Deadline, Steady.

Each walks its curve from scenarios/load/profiles.yaml for a school of a size from sizes.yaml,
squeezed into `duration` seconds (the time factor is duration / the profile's real length), and
returns None at the end, so the run stops on its own. Configured by environment variables, so a
plain `locust -f scenarios/load/locustfile.py` gets them too.
"""

from __future__ import annotations

import os

from .shape_base import LoadTestShape

from . import ENV_CAPACITY, ENV_DURATION, ENV_PROFILE, ENV_SIZE, data


class SchoolDay(LoadTestShape):
    abstract = True
    profile_name = "steady"

    def __init__(self, size: str | None = None, duration: float | None = None):
        super().__init__()
        self.profile = data.profile(self.profile_name)
        self.size = data.size(size or os.environ.get(ENV_SIZE) or "S")
        self.duration = float(duration or os.environ.get(ENV_DURATION) or self.profile.seconds)
        self.users = self.size.users

    @property
    def time_factor(self) -> float:
        return self.duration / self.profile.seconds

    def users_at(self, t: float) -> int:
        return max(1, round(self.profile.share_at(t / self.duration) * self.users))

    def tick(self):
        t = self.get_run_time()
        if t >= self.duration:
            return None
        target = self.users_at(t)
        ahead = self.users_at(min(self.duration, t + 1))
        # spawn fast enough to follow the curve one second ahead, at least 10 users a second
        rate = max(10.0, abs(ahead - self.get_current_user_count()) * 1.0, abs(ahead - target) * 1.0)
        return max(target, ahead if ahead > target else target), rate


class Morning(SchoolDay):
    profile_name = "morning"


class Deadline(SchoolDay):
    profile_name = "deadline"


class Steady(SchoolDay):
    profile_name = "steady"


SHAPES = {"morning": Morning, "deadline": Deadline, "steady": Steady}


def shape_from_env() -> type[LoadTestShape]:
    """The one shape class a locustfile exposes: a capacity search or the profile named in the env."""
    if os.environ.get(ENV_CAPACITY):
        from .capacity import CapacitySearch
        return CapacitySearch
    name = os.environ.get(ENV_PROFILE) or "steady"
    data.profile(name)  # an unknown name says which ones exist
    return SHAPES[name]
