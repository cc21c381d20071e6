"""Scoring and rendering for 10 suites x 500 requirements x 5 scenarios (target: under 3 s together),
and one whole `make evaluate` on baseline once set up (target: under 60 s)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SUITES, REQUIREMENTS, SCENARIOS, CATEGORIES = 10, 500, 5, 10


def make_catalogue(folder: Path) -> Path:
    caps = ["files", "calendar", "contacts", "learning", "web-ui", "platform"]
    data = {"version": "bench", "specification": {"title": {"da": "B", "en": "B"}, "date": "2026-01-01"},
            "categories": [{"id": f"cat{i}", "title": {"da": f"Kategori {i}", "en": f"Category {i}"}, "weight": i + 1}
                           for i in range(CATEGORIES)],
            "capabilities": [{"id": c, "description": c, "implicit": c == "platform"} for c in caps],
            "requirements": [{"id": f"REQ-{i:03d}", "title": {"da": f"Krav {i}", "en": f"Requirement {i}"},
                              "category": f"cat{i % CATEGORIES}", "priority": ["must", "should", "could"][i % 3],
                              "weight": 1 + i % 5, "capability": caps[i % len(caps)],
                              "acceptance": {"da": ["a"], "en": ["a"]}, "source": f"Afsnit {i}"}
                             for i in range(REQUIREMENTS)]}
    path = folder / "requirements.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def make_runs(reports: Path) -> None:
    rng = random.Random(7)
    for s in range(SUITES):
        run = reports / "runs" / f"20260101T0000{s:02d}Z-suite{s}"
        run.mkdir(parents=True)
        manifest = {"run_id": run.name, "status": "completed", "message": "", "started": f"2026-01-01T00:00:{s:02d}",
                    "finished": "2026-01-01T00:01:00", "options": {},
                    "suite": {"name": f"suite{s}", "title": {"da": f"Løsning {s}", "en": f"Suite {s}"}, "mode": "local",
                              "version": "1", "suite_yaml_sha256": "0" * 64, "folder": str(reports / "nosuite"),
                              "capabilities": {c: "x" for c in ["files", "calendar", "contacts", "learning", "web-ui"]
                                               if rng.random() < 0.8}},
                    "harness": {"version": "bench", "commit": "0" * 40, "dirty": False},
                    "catalogue": {"file": "requirements.yaml", "version": "bench", "sha256": "0" * 64},
                    "scenarios": {}, "python": "3", "platform": "bench", "packages": {}}
        (run / "manifest.json").write_text(json.dumps(manifest))
        with open(run / "results.jsonl", "w") as f:
            for r in range(REQUIREMENTS):
                for k in range(SCENARIOS):
                    v = rng.choices(["pass", "fail", "error", "unsupported"], [70, 20, 5, 5])[0]
                    f.write(json.dumps({"scenario": f"scenarios/api/test_{r}.py::test_{k}", "requirement": f"REQ-{r:03d}",
                                        "verdict": v, "duration": 0.1, "message": "" if v == "pass" else "assert x",
                                        "evidence": [], "kind": "api", "file": f"scenarios/api/test_{r}.py"}) + "\n")


def scoring_and_rendering() -> None:
    from poc import catalogue as catalogue_mod, report, runs, scoring
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        reports = tmp / "reports"
        os.environ["POC_REPORTS_DIR"] = str(reports)
        cat = catalogue_mod.load(make_catalogue(tmp))
        make_runs(reports)
        t0 = time.perf_counter()
        frame = scoring.catalogue_frame(cat)
        views = [report.run_view(r, cat, reports, frame=frame) for r in runs.latest_per_suite().values()]
        t1 = time.perf_counter()
        for v in views:
            report.render_suite(v, cat, "en", reports / f"{v.name}.html")
        report.render_comparison(views, cat, "en", reports)
        t2 = time.perf_counter()
        size = (reports / "comparison.html").stat().st_size
        print(f"   scoring   {SUITES} suites x {REQUIREMENTS} requirements x {SCENARIOS} scenarios "
              f"({SUITES * REQUIREMENTS * SCENARIOS} records): {t1 - t0:.2f} s")
        print(f"   rendering {SUITES} suite reports + comparison ({size / 1e6:.1f} MB): {t2 - t1:.2f} s")
        total = t2 - t0
        print(f"   scoring + rendering: {total:.2f} s (target < 3 s: {'met' if total < 3 else 'NOT met'})")


def whole_evaluate() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "POC_REPORTS_DIR": tmp}
        t0 = time.perf_counter()
        proc = subprocess.run(["make", "--no-print-directory", "evaluate", "SUITE=baseline"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=900)
        took = time.perf_counter() - t0
        last = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
        print(f"   make evaluate SUITE=baseline: {took:.1f} s, exit {proc.returncode} "
              f"(target < 60 s: {'met' if took < 60 and proc.returncode == 0 else 'NOT met'})")
        print(f"   {last}")


def main() -> None:
    scoring_and_rendering()
    whole_evaluate()


if __name__ == "__main__":
    main()
