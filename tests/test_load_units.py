"""The load package's logic without servers: profiles, verdicts, safety, comparison, capacity maths."""

from __future__ import annotations

import pytest

from poc.load import capacity, compare, data, profiles, results, safety
from poc.load.target import Target
from poc.suites import Account


def test_sizes_and_profiles_come_from_the_data_files():
    assert data.size("XS").pupils == 25 and data.size("S").pupils == 600 and data.size("XL").pupils == 520_000
    assert all(s.source for s in data.sizes().values())
    morning = data.profile("morning")
    assert morning.share_at(0) == pytest.approx(0.05) and morning.share_at(1) == 1.0
    assert morning.share_at(10 / 30) == pytest.approx(0.25)


def test_a_squeezed_profile_walks_the_same_curve_and_ends():
    shape = profiles.Morning(size="S", duration=30)
    assert shape.time_factor == pytest.approx(30 / 1800)
    assert shape.users_at(0) == round(0.05 * shape.users)
    assert shape.users_at(15) == shape.users  # minute 15 of 30: everyone is in


def _summary(size="XS", p95=120.0, failures=0, requests=1000, users=27, profile="morning", code=0, **kw):
    return {"profile": profile, "size": size, "peak_users": users, "duration_s": 6, "time_factor": 0.003,
            "exit_code": code, "total": {"requests": requests, "failures": failures, "p95_ms": p95},
            "error_rate": failures / requests if requests else 0, **kw}


def test_a_smaller_stage_that_holds_is_not_verified_never_passed():
    verdict, why = results.judge(_summary(size="XS"), {"profile": "morning", "size": "S", "p95_ms": 1000,
                                                        "error_rate": 0.01})
    assert verdict == results.NOT_VERIFIED and "size S" in why


def test_a_smaller_stage_that_breaks_fails():
    verdict, why = results.judge(_summary(size="XS", p95=1500), {"size": "S", "p95_ms": 1000, "error_rate": 0.01})
    assert verdict == results.FAIL and "1500" in why


def test_the_right_size_passes_and_errors_fail():
    level = {"size": "S", "p95_ms": 1000, "error_rate": 0.01}
    assert results.judge(_summary(size="S", users=648), level)[0] == results.PASS
    assert results.judge(_summary(size="S", users=648, failures=50), level)[0] == results.FAIL


def test_min_users_must_be_reached():
    level = {"p95_ms": 1000, "error_rate": 0.01, "min_users": 600}
    assert results.judge(_summary(size="S", users=500), level)[0] == results.NOT_VERIFIED
    assert results.judge(_summary(size="S", users=648), level)[0] == results.PASS


def test_a_broken_stage_or_saturated_generator_is_an_error():
    level = {"p95_ms": 1000, "error_rate": 0.01}
    assert results.judge(_summary(code=2), level)[0] == results.ERROR
    assert results.judge(_summary(requests=0), level)[0] == results.ERROR
    assert results.judge(_summary(generator_saturated=True, generator_cpu_peak=100), level)[0] == results.ERROR


def _target(url="http://127.0.0.1:8080"):
    return Target("baseline", {"files": url}, {"files": {"protocol": "webdav", "url": "{files}/{user}/"}},
                  {"pupil": Account("pupil", "elev", "x" * 8)})


def test_load_only_goes_to_declared_hosts():
    t = _target()
    assert safety.check_target(t, ["files"]) == ["http://127.0.0.1:8080"]
    with pytest.raises(safety.LoadRefused, match="not a host baseline declares"):
        safety.check_target(t, ["files"], host="http://127.0.0.1:9999")
    with pytest.raises(safety.LoadRefused):
        safety.check_url("http://example.org/", t.hosts(), "baseline")
    bad = _target()
    bad.capabilities["files"]["url"] = "http://10.0.0.1/{user}/"
    with pytest.raises(safety.LoadRefused, match="10.0.0.1"):
        safety.check_target(bad, ["files"])


def test_load_is_bounded_in_users_and_time():
    safety.check_bounds(600, 60)
    with pytest.raises(safety.LoadRefused, match="bound"):
        safety.check_bounds(data.size("XL").users, 60)
    with pytest.raises(safety.LoadRefused):
        safety.check_bounds(10, safety.MAX_SECONDS + 1)


def test_percentile_of_a_histogram():
    times = {10: 90, 20: 5, 500: 5}
    assert capacity.percentile(times, 100, 0.5) == 10
    assert capacity.percentile(times, 100, 0.95) == 20
    assert capacity.percentile(times, 100, 0.96) == 500


def test_a_step_is_measured_from_its_own_requests():
    plan = capacity.Plan(p95_ms=100, error_rate=0.01)
    before = (1000, 0, {10: 1000})
    after = (1100, 0, {10: 1010, 300: 90})  # the step: 100 requests, 90 of them slow
    step = capacity.measure(50, before, after, 10.0, plan)
    assert step.requests == 100 and step.p95_ms == 300 and not step.ok and "p95" in step.reason
    ok = capacity.measure(50, before, (1100, 0, {10: 1100}), 10.0, plan)
    assert ok.ok and ok.rps == 10.0


def _run(p95, started, **kw):
    s = {"suite": "baseline", "stage": "morning", "size": "XS", "started": started, "total": {"p95_ms": p95},
         "comparable": {"profile": "morning", "size": "XS", "duration_s": 6, "harness": "0.1.0"}}
    s["comparable"].update(kw)
    return s


def test_regressions_only_between_comparable_runs():
    assert compare.regression(_run(100, "1"), _run(115, "2")) == pytest.approx(1.15)
    assert compare.regression(_run(100, "1"), _run(109, "2")) is None
    assert compare.regression(_run(100, "1"), _run(200, "2", duration_s=60)) is None  # not comparable
    assert compare.regression(_run(100, "1"), _run(200, "2", harness="0.2.0")) is None
    flagged = compare.regressions([_run(100, "1"), _run(150, "2"), _run(100, "3", size="S")])
    assert len(flagged) == 1 and flagged[0]["ratio"] == pytest.approx(1.5)
