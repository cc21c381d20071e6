"""The school day's verdicts at real length, kept per suite.

A real-length run (`make evaluate LOAD=full`, manifest "load": {"mode": "full"}) judges the service
levels (PRF-01 the 08:00 login storm, PRF-02 the hand-in deadline, ...) at their own size and length,
which takes half an hour per profile; a later short run cannot judge them and must not throw them
away. So the comparison takes, per suite and requirement, the verdict of the latest real-length run
that judged it (pass, fail or error; a stage left out with LOAD_ONLY= does not count), with that run's
date, profile and size, until a newer real-length run replaces it (DESIGN.md, "Runs and the comparison").

    for_suite(suite, catalogue, all_runs) -> {rid: kept verdict}
    merge(results, kept) -> results with the kept verdicts in place of the short stage's
"""

from __future__ import annotations

import json

import pandas as pd

from .. import runs
from . import SUMMARY, stages

JUDGED = ("pass", "fail", "error")
SCENARIO = "scenarios/load/test_service_levels.py::test_service_level[{rid}]"


def is_real_length(run: runs.Run) -> bool:
    return (run.manifest.get("load") or {}).get("mode") == stages.FULL


def _stage(run: runs.Run, level: dict) -> dict:
    folder = run.path / "load" / stages.plan(level, stages.FULL).folder
    try:
        return json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def for_suite(suite: str, catalogue, every: list[runs.Run] | None = None) -> dict[str, dict]:
    """Per service-level requirement, the verdict of the suite's latest real-length run that judged it."""
    every = runs.all_runs() if every is None else every
    candidates = sorted((r for r in every if r.suite == suite and is_real_length(r)
                         and r.manifest.get("status") != "running"),
                        key=lambda r: r.manifest.get("started", ""), reverse=True)
    levels = {r.id: r.service_level for r in catalogue.requirements.values() if r.service_level.get("profile")}
    out: dict[str, dict] = {}
    for run in candidates:
        try:
            res = run.results()
        except (OSError, ValueError):
            continue
        if not len(res):
            continue
        res = res[(res["kind"] == "load") & res["verdict"].isin(JUDGED) & res["requirement"].isin(list(levels))]
        for row in res.to_dict("records"):
            rid = row["requirement"]
            if rid in out:
                continue
            stage = _stage(run, levels[rid])
            total = stage.get("total") or {}
            out[rid] = {"verdict": row["verdict"], "message": row.get("message") or "", "run_id": run.id,
                        "started": run.manifest.get("started"), "finished": run.manifest.get("finished"),
                        "profile": levels[rid]["profile"], "size": stage.get("size") or stages.level_size(levels[rid]),
                        "peak_users": stage.get("peak_users"), "duration_s": stage.get("duration_s"),
                        "real_length": bool(stage.get("real_length")),
                        "length_override_s": stage.get("length_override_s"),
                        "p95_ms": total.get("p95_ms"), "error_rate": stage.get("error_rate"),
                        "connections": (stage.get("connections") or {}).get("opened"),
                        "accounts": {k: (stage.get("accounts") or {}).get(k) for k in ("mode", "accounts", "distinct_used")}
                        if stage.get("accounts") else None,
                        "stage_started": stage.get("started")}
        if len(out) == len(levels):
            break
    return out


def merge(results: pd.DataFrame, kept: dict[str, dict]) -> pd.DataFrame:
    """The run's results with each kept requirement's load record replaced by the kept verdict (marked
    with the run it comes from), so the comparison scores what the real-length run judged."""
    if not kept:
        return results
    drop = results["requirement"].isin(list(kept)) & (results["kind"] == "load")
    rows = [{"scenario": SCENARIO.format(rid=rid) + f" (real-length run {k['run_id']})", "requirement": rid,
             "verdict": k["verdict"], "duration": k.get("duration_s") or 0.0,
             "message": f"{k['message']} [kept from the real-length run {k['run_id']} of {k['started']}, "
                        f"{k['profile']} at size {k['size']}]",
             "evidence": [], "kind": "load", "file": "scenarios/load/test_service_levels.py", "kept_from": k["run_id"]}
            for rid, k in kept.items()]
    return pd.concat([results[~drop], pd.DataFrame(rows)], ignore_index=True)
