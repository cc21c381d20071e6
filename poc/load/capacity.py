"""The capacity search: a stepped ramp that stops when a service level breaks.

Each step adds `step` users, waits until they are all running, lets them settle, then holds for
`hold` seconds; the step's p95 and error rate are computed from the requests of the hold alone
(the difference of Locust's cumulative statistics at its start and end). The first step above a
limit stops the search; the capacity is the largest number of users held through a whole step
within the limits, with the step size as its precision. Written to capacity.json after each step,
so a search cut short keeps what it found.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .shape_base import LoadTestShape

from . import CAPACITY, ENV_CAPACITY, ENV_OUT


@dataclass
class Plan:
    step: int = 50
    hold: float = 10.0      # seconds each step is held and measured
    settle: float = 2.0     # seconds after the users are up before the measurement starts
    start: int = 0          # first step (default: one step)
    max_users: int = 5000
    max_seconds: float = 600.0
    p95_ms: float = 1000.0
    error_rate: float = 0.01
    spawn_rate: float = 100.0

    @classmethod
    def from_env(cls) -> "Plan":
        return cls(**json.loads(os.environ.get(ENV_CAPACITY) or "{}"))

    def levels(self) -> list[int]:
        first = self.start or self.step
        return list(range(first, self.max_users + 1, self.step))


@dataclass
class Step:
    users: int
    requests: int
    failures: int
    p95_ms: float | None
    p50_ms: float | None
    rps: float
    ok: bool
    reason: str = ""


@dataclass
class Result:
    plan: Plan
    steps: list[Step] = field(default_factory=list)
    capacity: int = 0
    stopped_by: str = ""

    def to_dict(self) -> dict:
        return {"capacity": self.capacity, "precision": self.plan.step, "stopped_by": self.stopped_by,
                "plan": asdict(self.plan), "steps": [asdict(s) for s in self.steps],
                "text": text(self.capacity, self.plan.step, self.stopped_by)}


def text(capacity: int, step: int, stopped_by: str) -> str:
    if capacity == 0:
        return f"capacity below {step} users (the first step broke: {stopped_by})"
    if stopped_by.startswith("the largest step planned"):
        return f"capacity at least {capacity:,} users (no service level broke up to the bound; step {step})"
    return f"capacity {capacity:,} users ±{step} (step {step}; stopped by {stopped_by})"


def percentile(times: dict, n: int, q: float) -> float | None:
    """The q-percentile of a Locust response-time histogram {rounded ms: count} of n requests."""
    if n <= 0:
        return None
    rank = q * n
    seen = 0
    for ms in sorted(times):
        seen += times[ms]
        if seen >= rank:
            return float(ms)
    return float(max(times))


def snapshot(entry) -> tuple[int, int, dict]:
    return entry.num_requests, entry.num_failures, dict(entry.response_times)


def measure(users: int, before, after, seconds: float, plan: Plan) -> Step:
    n = after[0] - before[0]
    failures = after[1] - before[1]
    times = {k: v - before[2].get(k, 0) for k, v in after[2].items() if v - before[2].get(k, 0) > 0}
    p95, p50 = percentile(times, n, 0.95), percentile(times, n, 0.50)
    err = failures / n if n else 1.0
    reasons = []
    if n == 0:
        reasons.append("no request was answered")
    if p95 is not None and p95 > plan.p95_ms:
        reasons.append(f"p95 {p95:.0f} ms > {plan.p95_ms:.0f} ms")
    if n and err > plan.error_rate:
        reasons.append(f"error rate {err:.1%} > {plan.error_rate:.1%}")
    return Step(users, n, failures, p95, p50, round(n / seconds, 2) if seconds else 0.0, not reasons,
                "; ".join(reasons))


class CapacitySearch(LoadTestShape):
    """The stepped ramp, run by Locust's master (or the only process)."""

    def __init__(self, plan: Plan | None = None, out: Path | None = None):
        super().__init__()
        self.plan = plan or Plan.from_env()
        self.out = Path(out or os.environ.get(ENV_OUT) or ".")
        self.result = Result(self.plan)
        self.levels = self.plan.levels()
        self.index = 0
        self.phase = "ramp"
        self.phase_started = 0.0
        self.before = None
        self.done = False

    def _finish(self, why: str):
        self.result.stopped_by = why
        self.done = True
        self._write()
        return None

    def _write(self):
        self.out.mkdir(parents=True, exist_ok=True)
        tmp = self.out / (CAPACITY + ".tmp")
        tmp.write_text(json.dumps(self.result.to_dict(), indent=2), encoding="utf-8")
        os.replace(tmp, self.out / CAPACITY)

    def tick(self):
        if self.done:
            return None
        t = self.get_run_time()
        if not self.levels:
            return self._finish("a plan with no steps")
        if t > self.plan.max_seconds:
            return self._finish(f"the time bound of {self.plan.max_seconds:.0f} s")
        level = self.levels[self.index]
        runner = self.runner
        if self.phase == "ramp":
            if runner.user_count >= level and runner.state != "spawning":
                self.phase, self.phase_started = "settle", t
            elif t - self.phase_started > max(30.0, 4 * self.plan.step / self.plan.spawn_rate):
                self.result.steps.append(Step(level, 0, 0, None, None, 0.0, False,
                                              f"only {runner.user_count} of {level} users started"))
                return self._finish("the load generator could not start the users")
        elif self.phase == "settle" and t - self.phase_started >= self.plan.settle:
            self.phase, self.phase_started = "hold", t
            self.before = snapshot(runner.stats.total)
            self.hold_clock = time.monotonic()
        elif self.phase == "hold" and t - self.phase_started >= self.plan.hold:
            step = measure(level, self.before, snapshot(runner.stats.total), time.monotonic() - self.hold_clock,
                           self.plan)
            self.result.steps.append(step)
            if not step.ok:
                return self._finish(step.reason)
            self.result.capacity = level
            self._write()
            self.index += 1
            if self.index >= len(self.levels):
                return self._finish(f"the largest step planned ({level} users) held")
            level = self.levels[self.index]
            self.phase, self.phase_started = "ramp", t
        return level, self.plan.spawn_rate
