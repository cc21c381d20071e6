"""The cross-check of the harness's verdicts against the conformance suites: the table of which
requirement overlaps which checks (scenarios/conformance/crosscheck.yaml, data with a reason per row),
its validation for `make validate`, and the comparison on one suite.

On one suite a row compares two answers: the harness's verdict of the requirement (pass; or fail,
partial, unsupported: not met) and the tool's outcome of the listed checks (fail when any of them
failed, else pass when any passed). They agree or the requirement is *disputed*; a side without an
answer (the harness's error or not-tested, a tool that did not run, skipped checks) leaves the row
not compared. A dispute is shown with both sides and changes no score.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import schema, yamlfile
from ..errors import ConfigError, Problem
from ..verdicts import FAIL as V_FAIL, PARTIAL, PASS as V_PASS, UNSUPPORTED
from . import ERROR, FAIL, NOT_APPLICABLE, PASS, Check, ToolResult

AGREE, DISPUTED, NOT_COMPARED = "agree", "disputed", "not-compared"
#: the capability whose endpoint each tool tests
TOOL_CAPABILITY = {"litmus": "files", "caldav-server-tester": "calendar"}
HARNESS_SIDE = {V_PASS: PASS, V_FAIL: FAIL, PARTIAL: FAIL, UNSUPPORTED: FAIL}


def table_path(root: Path | None = None) -> Path:
    from ..suites import repo_root
    return (root or repo_root()) / "scenarios" / "conformance" / "crosscheck.yaml"


@dataclass(frozen=True)
class Row:
    requirement: str
    tool: str
    checks: tuple
    reason: str
    line: int | None = None


def _located(path: Path) -> yamlfile.Located:
    located = yamlfile.load(path)
    problems = schema.check(located, "crosscheck")
    if problems:
        raise ConfigError(problems)
    return located


def load(path: Path | None = None) -> list[Row]:
    """The table's rows; a ConfigError naming file and line when it is malformed."""
    located = _located(path or table_path())
    return [Row(r["requirement"], r["tool"], tuple(r["checks"]), " ".join(r["reason"].split()),
                located.line(("rows", i))) for i, r in enumerate(located.data["rows"])]


def _known_check(tool: str, ref: str) -> bool:
    if tool == "litmus":
        from .litmus import TESTS
        group, _, name = ref.partition("/")
        return group in TESTS and (name == "*" or name in TESTS[group])
    try:
        from caldav.compatibility_hints import FeatureSet
    except ImportError:  # without python-caldav the names cannot be checked; the run says so itself
        return True
    base = ref[:-2] if ref.endswith(".*") else ref
    return base in FeatureSet.FEATURES


def problems(catalogue, path: Path | None = None) -> list[Problem]:
    """Everything wrong with the table, each with file, line and field (empty when it is valid)."""
    path = path or table_path()
    try:
        located = yamlfile.load(path)
    except ConfigError as exc:
        return exc.problems
    out = schema.check(located, "crosscheck")
    rows = located.data.get("rows") if isinstance(located.data, dict) else None
    seen = set()
    for i, row in enumerate(rows if isinstance(rows, list) else []):
        if not (isinstance(row, dict) and isinstance(row.get("requirement"), str)
                and row.get("tool") in TOOL_CAPABILITY and isinstance(row.get("checks"), list)):
            continue  # the schema's problems above say what is wrong with it
        rid, tool = row["requirement"], row["tool"]
        req = catalogue.requirements.get(rid)
        if req is None:
            out.append(located.problem(("rows", i, "requirement"), f"unknown requirement {rid!r}"))
        elif req.capability != TOOL_CAPABILITY[tool]:
            out.append(located.problem(("rows", i, "tool"),
                                       f"{tool} tests the {TOOL_CAPABILITY[tool]} capability; {rid} is about "
                                       f"{req.capability!r}"))
        if (rid, tool) in seen:
            out.append(located.problem(("rows", i), f"a second row for {rid} and {tool}: put the checks in one row"))
        seen.add((rid, tool))
        for j, ref in enumerate(row["checks"]):
            if isinstance(ref, str) and not _known_check(tool, ref):
                hint = ("litmus tests are named <group>/<test>, e.g. basic/put_get" if tool == "litmus" else
                        "a feature name from python-caldav's compatibility_hints.py, e.g. save-load.event")
                out.append(located.problem(("rows", i, "checks", j), f"{tool} has no check {ref!r} ({hint})"))
    return out


def matches(pattern: str, check: Check) -> bool:
    ref = check.ref
    if pattern.endswith("/*"):
        return ref.startswith(pattern[:-1])
    if pattern.endswith(".*"):
        return ref == pattern[:-2] or ref.startswith(pattern[:-1])
    return ref == pattern


@dataclass
class Comparison:
    requirement: str
    tool: str
    reason: str
    harness: str                   # the harness's verdict of the requirement on this suite
    harness_side: str | None       # pass | fail | None (no answer)
    conformance_side: str | None   # pass | fail | None
    status: str                    # agree | disputed | not-compared
    why: str = ""                  # for not-compared: which side had no answer, and why
    checks: list = field(default_factory=list)  # [{"ref", "key", "outcome", "detail"}] of the listed checks

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _conformance_side(row: Row, results: list[ToolResult]) -> tuple[str | None, list[Check], str]:
    mine = [r for r in results if r.tool == row.tool]
    if not mine:
        return None, [], f"{row.tool} did not run in this run"
    if all(r.status == NOT_APPLICABLE for r in mine):
        return None, [], mine[0].message or f"{row.tool}: not applicable"
    found = [c for r in mine for c in r.checks if any(matches(p, c) for p in row.checks)]
    if not found:
        errors = [r.message for r in mine if r.status == ERROR]
        return None, [], (f"{row.tool} broke: {errors[0]}" if errors else f"{row.tool} did not report these checks")
    if any(c.outcome == FAIL for c in found):
        return FAIL, found, ""
    if any(c.outcome == PASS for c in found):
        return PASS, found, ""
    return None, found, f"{row.tool} skipped these checks"


def compare(rows: list[Row], verdicts: dict[str, str], results: list[ToolResult]) -> list[Comparison]:
    """One comparison per table row, on one suite: its requirement verdicts and conformance results."""
    out = []
    for row in rows:
        verdict = verdicts.get(row.requirement, "not-tested")
        h = HARNESS_SIDE.get(verdict)
        c, found, why = _conformance_side(row, results)
        if h is None:
            why = f"the harness's verdict is {verdict}" + (f"; {why}" if why else "")
        status = NOT_COMPARED if h is None or c is None else (AGREE if h == c else DISPUTED)
        out.append(Comparison(row.requirement, row.tool, row.reason, verdict, h, c, status,
                              why if status == NOT_COMPARED else "",
                              [{"ref": x.ref, "key": x.key, "outcome": x.outcome, "detail": x.detail} for x in found]))
    return out


def summary(comparisons: list[Comparison]) -> dict:
    """The agreement figure: of the rows where both sides answered, how many agree; the disputed ids."""
    compared = [c for c in comparisons if c.status != NOT_COMPARED]
    agree = sum(1 for c in compared if c.status == AGREE)
    disputed = sorted({c.requirement for c in compared if c.status == DISPUTED})
    return {"compared": len(compared), "agree": agree, "disputed_rows": len(compared) - agree,
            "disputed": disputed, "agreement": (agree / len(compared)) if compared else None}
