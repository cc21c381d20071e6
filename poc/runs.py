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


def latest_per_suite(root: Path | None = None) -> dict[str, Run]:
    """The newest finished run of every suite (runs still going on are left out)."""
    latest: dict[str, Run] = {}
    for run in all_runs(root):
        if run.manifest.get("status") == "running":
            continue
        current = latest.get(run.suite)
        if current is None or run.manifest.get("started", "") >= current.manifest.get("started", ""):
            latest[run.suite] = run
    return dict(sorted(latest.items()))
