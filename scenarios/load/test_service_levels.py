"""The catalogue's performance requirements (those with a service_level), verified by a short
Locust stage per profile: p95 and error rate against the level's limits, at the level's size
(short and small in `make evaluate`; each level's own profile, size and real length with LOAD=full).

A stage run at a smaller size than the requirement's, or with fewer users than its min_users,
that holds the level is recorded as `skipped` with what it did hold (the requirement stays
`not-tested`); one that breaks the level fails it. A stage that could not run is an `error`.
"""

from __future__ import annotations

import pytest

from poc.load import results, stages


class LoadStageBroke(RuntimeError):
    """The harness's load stage did not produce figures (an `error`, not the suite's failure)."""


def test_service_level(service_level, load_stage, request):
    level = service_level.service_level
    why_not = stages.left_out(service_level.id)
    if why_not:
        pytest.skip(f"not verified: {why_not}")
    summary = load_stage(level)
    verdict, why = results.judge(summary, level)
    load_stage.record(service_level.id, verdict, why, level)
    if verdict == results.ERROR:
        raise LoadStageBroke(why)
    if verdict == results.NOT_VERIFIED:
        pytest.skip(f"not verified: {why}")
    assert verdict == results.PASS, f"{service_level.id} {why}"
    request.node.user_properties.append(("poc_note", why))  # a pass keeps its figures (poc.plugin records them)
