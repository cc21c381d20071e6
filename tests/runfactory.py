"""Run folders made with the harness's own writers (manifest.build, runs.write_json, results.jsonl lines as
the plugin writes them), for tests of scoring, reports and the comparison without servers."""

from __future__ import annotations

import json

from poc import manifest, runs, suites

from .conftest import ROOT

SCEN = ROOT / "scenarios"
WHOLE = [str(SCEN / "api"), str(SCEN / "ui"), str(SCEN / "load")]


def make_run(cat, suite: str, started: str, *, records=(), status="completed", paths=WHOLE, extra=None,
             run_id: str | None = None) -> runs.Run:
    """records: dicts with scenario, requirement, verdict and optionally message and kind (default api)."""
    s = suites.load(suite, capabilities=set(cat.capabilities))
    run_id = run_id or f"{started.replace('-', '').replace(':', '')[:15]}Z-{suite}-{len(records):04x}"
    folder = runs.runs_dir() / run_id
    folder.mkdir(parents=True)
    m = manifest.build(run_id, s, cat, started=started, options={"args": [*paths, "--suite", suite]},
                       scope=manifest.scope(paths))
    m.update(status=status, message="", finished=started, **(extra or {}))
    runs.write_json(folder / runs.MANIFEST, m)
    with open(folder / runs.RESULTS, "w", encoding="utf-8") as f:
        for r in records:
            kind = r.get("kind", "api")
            f.write(json.dumps({"run_id": run_id, "suite": suite, "scenario": r["scenario"],
                                "requirement": r["requirement"], "verdict": r["verdict"], "duration": 0.1,
                                "message": r.get("message", ""), "evidence": [], "kind": kind,
                                "file": r["scenario"].split("::")[0]}, ensure_ascii=False) + "\n")
    return runs.load(folder)


def prf_records(verdicts: dict[str, str], message: str = "") -> list[dict]:
    """Load-stage records as scenarios/load/test_service_levels.py leaves them: one per requirement."""
    out = []
    for rid, verdict in verdicts.items():
        msg = message or (f"not verified: held the service level at a smaller load" if verdict == "skipped" else "")
        out.append({"scenario": f"scenarios/load/test_service_levels.py::test_service_level[{rid}]",
                    "requirement": rid, "verdict": verdict, "message": msg, "kind": "load"})
    return out
