"""UI scenarios on baseline: the wall time of `poc evaluate --suite baseline --only ui` and the share
of the scenarios' time spent inside the browser (Playwright calls: contexts, navigation, waits,
screenshots, axe-core) versus in the harness (fixtures, evidence writing, judging, recording).

The browser time is what poc.ui.clock counted in each journey (and the tour), as written in
evidence/ui/*.json; the scenarios' time is the sum of their durations in results.jsonl. Runs in a
temporary reports folder; the suite is started and stopped by the evaluate command itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = os.environ.get("POC_BENCH_UI_SUITE", "baseline")


def measure(workers: int = 0) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        env = dict(os.environ, POC_REPORTS_DIR=tmp)
        cmd = [sys.executable, "-m", "poc", "evaluate", "--suite", SUITE, "--only", "ui"]
        if workers:
            cmd += ["--workers", str(workers)]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        runs = sorted((Path(tmp) / "runs").glob(f"*-{SUITE}-*"))
        if not runs:
            raise RuntimeError(f"evaluate wrote no run (exit {proc.returncode}): {proc.stderr[-400:]}")
        run = runs[-1]
        records = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines() if line.strip()]
        per_scenario = {}
        for r in records:
            per_scenario[r["scenario"]] = (r["duration"], r["verdict"])
        scenarios_s = sum(d for d, _ in per_scenario.values())
        browser_s = 0.0
        for path in (run / "evidence" / "ui").glob("*.json"):
            data = json.loads(path.read_text())
            browser_s += float(data.get("browser_seconds") or 0)
        verdicts = {}
        for _, v in per_scenario.values():
            verdicts[v] = verdicts.get(v, 0) + 1
        screenshots = len(list((run / "evidence").rglob("*.png")))
        return {"wall_s": wall, "scenarios": len(per_scenario), "scenarios_s": scenarios_s, "browser_s": browser_s,
                "verdicts": verdicts, "screenshots": screenshots, "exit": proc.returncode}


def main() -> None:
    for workers in (0, 2):
        m = measure(workers)
        harness = max(0.0, m["scenarios_s"] - m["browser_s"])
        share = (m["browser_s"] / m["scenarios_s"] * 100) if m["scenarios_s"] else 0.0
        label = "sequential" if not workers else f"--workers {workers}"
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted(m["verdicts"].items()))
        print(f"   ui on {SUITE} ({label}): wall {m['wall_s']:.1f} s for `evaluate --only ui` "
              f"(suite start, {m['scenarios']} scenarios, report); scenarios {m['scenarios_s']:.1f} s "
              f"({'summed over workers' if workers else 'in one process'})", flush=True)
        print(f"      inside the browser {m['browser_s']:.1f} s ({share:.0f} %), harness {harness:.1f} s "
              f"({100 - share:.0f} %); {m['screenshots']} screenshots; verdicts: {verdicts}", flush=True)


if __name__ == "__main__":
    main()
