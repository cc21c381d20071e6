"""Checks of everything a run depends on, before anything runs: the catalogue, every suite file,
every assessment file, every scenario's requirement markers and the conformance cross-check table
(scenarios/conformance/crosscheck.yaml)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from . import assessments, catalogue as catalogue_mod, suites
from .errors import ConfigError, Problem


@dataclass
class Summary:
    catalogue: "catalogue_mod.Catalogue"
    suites: list
    markers: dict  # requirement id -> list of "file:line test"


def scenario_markers(root: Path) -> list[tuple[Path, int, str, str]]:
    """(file, line, test name, requirement id) for every requirement marker in the scenarios."""
    out = []
    for path in sorted((root / "scenarios").rglob("test_*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        except SyntaxError as exc:
            raise ConfigError(Problem(path, exc.lineno, None, f"syntax error: {exc.msg}")) from None
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                targets = [(d, node.name) for d in node.decorator_list]
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "pytestmark" for t in node.targets):
                values = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
                targets = [(v, "pytestmark") for v in values]
            for deco, name in targets:
                if isinstance(deco, ast.Call) and getattr(deco.func, "attr", "") == "requirement":
                    for arg in deco.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            out.append((path, arg.lineno, name, arg.value))
    return out


def validate(root: Path | None = None, catalogue_path: Path | None = None, suites_folder: Path | None = None) -> Summary:
    """Raise one ConfigError with every problem found, or return what was checked."""
    root = root or suites.repo_root()
    problems: list[Problem] = []
    catalogue = catalogue_mod.load(catalogue_path or root / "requirements.yaml")  # stops here if broken
    loaded = []
    folder = suites_folder or suites.suites_dir(root)
    for name in suites.names(folder):
        try:
            suite = suites.load(name, folder, set(catalogue.capabilities))
            loaded.append(suite)
            assessments.load(suite.folder, catalogue)
            problems += _privacy_problems(suite, catalogue)
        except ConfigError as exc:
            problems += exc.problems
    markers: dict[str, list[str]] = {}
    for path, line, name, rid in scenario_markers(root):
        rel = path.relative_to(root) if path.is_relative_to(root) else path
        if rid not in catalogue.requirements:
            problems.append(Problem(rel, line, name, f"marker names unknown requirement {rid!r}"))
        markers.setdefault(rid, []).append(f"{rel}:{line} {name}")
    from .conformance import crosscheck  # which verdicts the conformance suites can dispute
    if (root / "scenarios" / "conformance").is_dir():  # (a scenarios folder of a test's own may have none)
        problems += crosscheck.problems(catalogue, crosscheck.table_path(root))
    if problems:
        raise ConfigError(problems)
    return Summary(catalogue, loaded, markers)


def _privacy_problems(suite, catalogue) -> list[Problem]:
    """suite.yaml's harness_changes name known requirements; its admin module exists (poc/privacy.py)."""
    out = []
    path = suite.file("suite.yaml")
    for i, change in enumerate(suite.config.get("harness_changes") or []):
        for j, rid in enumerate(change.get("requirements") or []):
            if rid not in catalogue.requirements:
                out.append(Problem(path, suite.located.line(("harness_changes", i, "requirements", j)),
                                   f"harness_changes[{i}]", f"names unknown requirement {rid!r}"))
    module = (suite.config.get("admin") or {}).get("module")
    if module and not suite.file(module).exists():
        out.append(Problem(path, suite.located.line(("admin", "module")), "admin.module", f"{module} not found beside it"))
    return out
