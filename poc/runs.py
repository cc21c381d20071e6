"""The run folder: reports/runs/<run-id>/ with manifest.json, results.jsonl, evidence/ and load/."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .suites import repo_root

MANIFEST, RESULTS = "manifest.json", "results.jsonl"


def reports_dir() -> Path:
    return Path(os.environ.get("POC_REPORTS_DIR") or repo_root() / "reports")


def runs_dir() -> Path:
    return reports_dir() / "runs"


def new_run_id(suite: str) -> str:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{suite}-{secrets.token_hex(2)}"


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def write_json(path: Path, data) -> None:
    """Write whole or not at all: a temporary file renamed into place."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False), encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class Run:
    path: Path
    manifest: dict

    @property
    def id(self) -> str:
        return self.manifest["run_id"]

    @property
    def suite(self) -> str:
        return self.manifest["suite"]["name"]

    def results(self) -> pd.DataFrame:
        return read_results(self.path / RESULTS)


COLUMNS = ["scenario", "requirement", "verdict", "duration", "message", "evidence", "kind", "file"]


def read_results(path: Path) -> pd.DataFrame:
    rows = []
    if path.exists():
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    rows.append(json.loads(line))
                except ValueError:
                    raise ValueError(f"{path}:{n}: not a JSON line") from None
    df = pd.DataFrame(rows)
    for col in COLUMNS:
        if col not in df:
            df[col] = pd.Series(dtype="object")
    return df


def load(path: Path) -> Run:
    path = Path(path)
    manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    return Run(path, manifest)


def all_runs(root: Path | None = None) -> list[Run]:
    root = root or runs_dir()
    out = []
    for m in sorted(root.glob(f"*/{MANIFEST}")):
        try:
            out.append(load(m.parent))
        except (OSError, ValueError):
            continue
    return out


def scope_of(run: Run) -> dict:
    """The part of the scenarios the run covered (manifest "scope"; older runs: from their pytest args)."""
    from .manifest import scope_from_args
    return run.manifest.get("scope") or scope_from_args((run.manifest.get("options") or {}).get("args"))


def is_complete(run: Run) -> bool:
    """A complete run: it finished (status `completed`) and covered the API and UI scenarios with
    nothing narrowed by ONLY=, -k or the like (the load stage may be left out)."""
    return run.manifest.get("status") == "completed" and bool(scope_of(run).get("complete"))


# which attempt stands in for a suite that has no complete run: one that finished its scenarios,
# then one cut short or interrupted (it recorded something), then one whose suite did not start
_ATTEMPT_RANK = {"completed": 0, "cut-short": 1, "interrupted": 1, "start-failed": 2}


@dataclass
class SuiteRuns:
    """What the comparison shows of one suite: its latest complete run, and the attempts made after
    it (runs that did not start, were cut short or interrupted, or covered only part of the
    scenarios), newest first. Attempts never replace the complete run."""

    suite: str
    complete: Run | None
    attempts: list[Run]

    @property
    def shown(self) -> Run | None:
        """The run in the suite's column: the complete run, or else its best attempt (marked as such)."""
        if self.complete is not None:
            return self.complete
        if not self.attempts:
            return None
        # attempts are newest first, and min() keeps the first of the best: the newest of the best kind
        return min(self.attempts, key=lambda r: _ATTEMPT_RANK.get(r.manifest.get("status"), 3))

    @property
    def newest(self) -> Run | None:
        every = ([self.complete] if self.complete else []) + self.attempts
        return max(every, key=lambda r: r.manifest.get("started", ""), default=None)


def comparison_runs(root: Path | None = None, extra: list[Run] | tuple = ()) -> dict[str, SuiteRuns]:
    """Per suite: its latest complete run and the attempts newer than it (all of them when it has no
    complete run). Runs still going on are left out. `extra` adds runs kept outside the runs folder."""
    everything = all_runs(root)
    seen = {r.path.resolve() for r in everything}
    everything += [r for r in extra if r.path.resolve() not in seen]
    by_suite: dict[str, list[Run]] = {}
    for run in everything:
        if run.manifest.get("status") == "running":
            continue
        by_suite.setdefault(run.suite, []).append(run)
    out = {}
    for name, found in sorted(by_suite.items()):
        found.sort(key=lambda r: r.manifest.get("started", ""), reverse=True)
        complete = next((r for r in found if is_complete(r)), None)
        newer = found[:found.index(complete)] if complete is not None else found
        out[name] = SuiteRuns(name, complete, newer)
    return out


def latest_per_suite(root: Path | None = None) -> dict[str, Run]:
    """The latest complete run of every suite (see is_complete); suites with none are left out."""
    return {name: s.complete for name, s in comparison_runs(root).items() if s.complete is not None}
