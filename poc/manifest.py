"""manifest.json: what a run was made from, so it can be read, repeated and verified."""

from __future__ import annotations

import hashlib
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from . import __version__
from .suites import repo_root

PACKAGES = ("pytest", "requests", "caldav", "icalendar", "vobject", "pandas", "jinja2", "jsonschema", "pyyaml",
            "locust", "playwright", "radicale", "wsgidav", "urllib3", "urllib3-future", "niquests")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def scenario_files(root: Path | None = None) -> list[Path]:
    root = root or repo_root()
    base = root / "scenarios"
    return sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix in {".py", ".yaml", ".yml", ".json", ".csv", ".html", ".js", ".txt"})


def scenario_hashes(root: Path | None = None) -> dict[str, str]:
    root = root or repo_root()
    return {str(p.relative_to(root)): sha256(p) for p in scenario_files(root)}


def harness_commit(root: Path | None = None) -> dict:
    root = root or repo_root()
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=10).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                    capture_output=True, text=True, timeout=10).stdout.strip())
    except (OSError, subprocess.TimeoutExpired):
        commit, dirty = "", False
    return {"version": __version__, "commit": commit or "unknown", "dirty": dirty}


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def build(run_id: str, suite, catalogue, *, started: str, options: dict) -> dict:
    return {
        "run_id": run_id,
        "status": "running",
        "message": "",
        "started": started,
        "finished": None,
        "suite": {"name": suite.name, "title": suite.config["title"], "mode": suite.mode, "version": "unknown",
                  "suite_yaml_sha256": suite.sha256(),
                  "capabilities": {c: v["protocol"] for c, v in suite.capabilities.items()}},
        "harness": harness_commit(),
        "catalogue": {"file": catalogue.path.name, "version": catalogue.version, "sha256": catalogue.sha256()},
        "scenarios": scenario_hashes(),
        "options": options,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
    }
