"""A breach measured while other work kept the machine busy is not blamed on the suite: the stage's
verdict is an `error` naming the split (suite, generators, other work); a pass stays a pass, and a
breach on a machine busy with the suite itself stays the suite's fail."""

from __future__ import annotations

from poc.load import results

LEVEL = {"profile": "morning", "size": "XS", "p95_ms": 1000, "error_rate": 0.01}


def _summary(p95, host):
    return {"exit_code": 0, "total": {"requests": 5000, "p95_ms": p95}, "error_rate": 0.0, "profile": "morning",
            "size": "XS", "peak_users": 27, "planned_users": 27, "duration_s": 1800, "time_factor": 1.0, "host": host}


def test_a_breach_on_a_machine_busy_with_other_work_is_an_error():
    verdict, why = results.judge(_summary(2500, {"cpus": 2, "busy_mean_pct": 99, "suite_pct": 30,
                                                 "generators_pct": 9, "others_pct": 60}), LEVEL)
    assert verdict == results.ERROR and "60 % busy besides the suite" in why and "quiet machine" in why


def test_a_breach_while_the_suite_itself_is_busy_is_the_suites_fail():
    verdict, why = results.judge(_summary(2500, {"cpus": 2, "busy_mean_pct": 95, "suite_pct": 85,
                                                 "generators_pct": 5, "others_pct": 5}), LEVEL)
    assert verdict == results.FAIL and "p95 2500 ms is above 1000 ms" in why


def test_a_pass_on_a_busy_machine_stays_a_pass():
    verdict, _ = results.judge(_summary(300, {"cpus": 2, "busy_mean_pct": 99, "suite_pct": 10,
                                              "generators_pct": 9, "others_pct": 80}), LEVEL)
    assert verdict == results.PASS
