"""Which load runs may be compared, and the p95 regressions between them.

As moodle-performance-comparison does it: two runs are compared only when the profile, the size,
the duration and the harness version are the same (for a capacity search: the same plan); then
a p95 that grew by more than FACTOR is a regression."""

from __future__ import annotations

import json
from pathlib import Path

from . import SUMMARY

FACTOR = 1.10  # p95 more than 10 % above the previous comparable run's is flagged


def key(summary: dict) -> str:
    return json.dumps({"suite": summary.get("suite"), **summary.get("comparable", {})}, sort_keys=True)


def all_summaries(runs_root: Path) -> list[dict]:
    out = []
    for path in sorted(Path(runs_root).glob(f"*/load/*/{SUMMARY}")):
        try:
            s = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        s["folder"] = str(path.parent)
        s["run_id"] = path.parent.parent.parent.name
        out.append(s)
    return sorted(out, key=lambda s: s.get("started", ""))


def previous_comparable(summary: dict, runs_root: Path) -> dict | None:
    k, started = key(summary), summary.get("started", "")
    earlier = [s for s in all_summaries(runs_root)
               if key(s) == k and s.get("started", "") < started and s.get("total")]
    return earlier[-1] if earlier else None


def p95(summary: dict) -> float | None:
    return (summary.get("total") or {}).get("p95_ms")


def regression(before: dict, after: dict, factor: float = FACTOR) -> float | None:
    """The p95 ratio after/before when it is above `factor` and the runs are comparable, else None."""
    if key(before) != key(after):
        return None
    a, b = p95(after), p95(before)
    if not a or not b:
        return None
    ratio = a / b
    return ratio if ratio > factor else None


def regressions(summaries: list[dict], factor: float = FACTOR) -> list[dict]:
    """For each comparable series, the latest run against the one before it, when p95 regressed."""
    series: dict[str, list[dict]] = {}
    for s in sorted(summaries, key=lambda s: s.get("started", "")):
        if s.get("total"):
            series.setdefault(key(s), []).append(s)
    out = []
    for runs in series.values():
        if len(runs) >= 2:
            ratio = regression(runs[-2], runs[-1], factor)
            if ratio is not None:
                out.append({"suite": runs[-1].get("suite"), "stage": runs[-1].get("stage"),
                            "size": runs[-1].get("size"), "before": runs[-2], "after": runs[-1], "ratio": ratio})
    return out


def describe(before: dict, after: dict, factor: float = FACTOR) -> str:
    ratio = regression(before, after, factor)
    b, a = p95(before) or 0, p95(after) or 0
    head = f"compared with run {before.get('run_id', '?')} (same profile, size, duration and harness): p95 {b:.0f} -> {a:.0f} ms"
    if ratio is not None:
        return head + f": REGRESSION of {ratio - 1:.0%} (more than {factor - 1:.0%})"
    return head + f" (within {factor - 1:.0%})"
