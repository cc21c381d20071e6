"""Manual assessments (suites/<name>/assessments.yaml): verdicts no test can give, written by
evaluators with who, when, evidence and a comment; validated like the catalogue."""

from __future__ import annotations

from pathlib import Path

from . import schema, yamlfile
from .errors import ConfigError

FILE = "assessments.yaml"


def load(suite_folder: Path, catalogue) -> list[dict]:
    path = Path(suite_folder) / FILE
    if not path.exists():
        return []
    located = yamlfile.load(path)
    if located.data is None:
        return []
    problems = schema.check(located, "assessments")
    if problems:
        raise ConfigError(problems)
    seen: dict[str, int] = {}
    for i, a in enumerate(located.data["assessments"]):
        where = ("assessments", i, "requirement")
        rid = a["requirement"]
        if rid not in catalogue.requirements:
            problems.append(located.problem(where, f"unknown requirement {rid!r}"))
        elif rid in seen:
            problems.append(located.problem(where, f"{rid} is assessed twice (first at line {seen[rid]})"))
        else:
            seen[rid] = located.line(("assessments", i))
        if a["verdict"] == "partial" and "share" not in a:
            problems.append(located.problem(("assessments", i, "share"), "a partial verdict needs a share (0..1)"))
    if problems:
        raise ConfigError(problems)
    return located.data["assessments"]
