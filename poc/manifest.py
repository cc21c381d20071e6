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
            "locust", "playwright", "radicale", "wsgidav", "urllib3", "urllib3-future", "niquests",
            "caldav-server-tester")


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


KINDS = ("api", "ui", "load", "conformance")
# pytest options whose value is the next argument (to read the scope of a run recorded before "scope")
_VALUED = {"-k", "-m", "-c", "-p", "-o", "-n", "--rootdir", "--suite", "--run-dir", "--catalogue", "--url",
           "--deselect", "--tb", "--maxfail", "--basetemp", "--confcutdir", "--ignore", "--ignore-glob"}


def scope(paths, *, keyword: str | None = None, markers: str | None = None, deselected=()) -> dict:
    """Which part of the scenarios a run covered, from the paths pytest was given and its -k / -m.

    A run is *complete* when it ran the API and the UI scenarios with nothing narrowed (no -k, -m,
    single file or test, --deselect); the load stage may be left out (LOAD=0, --no-load), which the
    scope says. ONLY=api|ui|load, -k and the like make a partial run: an attempt in the comparison."""
    kinds, selection = set(), []
    for p in paths or [""]:
        text = str(p)
        parts = Path(text.split("::")[0]).parts
        if "scenarios" not in parts:  # the checkout itself (or nothing): every kind below it
            kinds.update(KINDS)
            continue
        rest = parts[len(parts) - parts[::-1].index("scenarios"):]
        if not rest:
            kinds.update(KINDS)
        elif rest[0] in KINDS:
            kinds.add(rest[0])
            if len(rest) > 1 or "::" in text:
                selection.append(text)
    deselected = [str(d) for d in deselected or []]
    ordered = [k for k in KINDS if k in kinds]
    narrowed = bool(keyword or markers or selection or deselected)
    return {"kinds": ordered, "only": ordered[0] if len(ordered) == 1 else None, "load": "load" in kinds,
            "keyword": keyword or None, "markers": markers or None, "selection": selection,
            "deselected": deselected, "complete": {"api", "ui"} <= kinds and not narrowed}


def scope_from_args(args) -> dict:
    """The scope of a run from the pytest arguments it recorded (options.args), for runs made
    before the manifest had a "scope"; only arguments naming a path under scenarios/ count as paths."""
    paths, keyword, markers, deselected = [], None, None, []
    it = iter(str(a) for a in args or [])
    for a in it:
        if a == "-k":
            keyword = next(it, None)
        elif a.startswith("-k") and not a.startswith("--"):
            keyword = a[2:]
        elif a == "-m":
            markers = next(it, None)
        elif a.startswith("--deselect"):
            deselected.append(a.split("=", 1)[1] if "=" in a else next(it, ""))
        elif a in _VALUED:
            next(it, None)
        elif not a.startswith("-") and "scenarios" in Path(a.split("::")[0]).parts:
            paths.append(a)
    return scope(paths, keyword=keyword, markers=markers, deselected=deselected)


def build(run_id: str, suite, catalogue, *, started: str, options: dict, scope: dict | None = None) -> dict:
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
        "scope": scope if scope is not None else scope_from_args(options.get("args")),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
    }
