"""A pytest plugin for the harness's own fault tests, loaded with PYTEST_PLUGINS=poc_fault_injection.

POC_TEST_KILL=<process>:<after N scenarios>  SIGKILLs that suite process (a real server) after N scenarios.
POC_TEST_PAUSE=<after N scenarios>           sleeps 60 s after N scenarios, so a test can interrupt the run.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

_done = 0


def _run_dir() -> Path:
    value = os.environ["POC_TEST_RUN_DIR"]
    if value == "__newest__":  # the run folder `poc evaluate` made for this run
        runs = Path(os.environ["POC_REPORTS_DIR"]) / "runs"
        return max(runs.iterdir(), key=lambda p: p.stat().st_mtime)
    return Path(value)


def pytest_runtest_logfinish(nodeid, location):
    global _done
    _done += 1
    kill = os.environ.get("POC_TEST_KILL")
    if kill:
        name, after = kill.split(":")
        if _done == int(after):
            state = json.loads((_run_dir() / "suite-state.json").read_text())
            pid = state["pids"][name]
            os.kill(pid, signal.SIGKILL)
            for _ in range(100):
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        if f.read().split(")")[-1].split()[0] == "Z":
                            break
                except FileNotFoundError:
                    break
                time.sleep(0.05)
    pause = os.environ.get("POC_TEST_PAUSE")
    if pause and _done == int(pause):
        (_run_dir() / "paused").write_text("paused")
        time.sleep(60)
