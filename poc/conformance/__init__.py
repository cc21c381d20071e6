"""The protocols' own conformance suites, run against a suite as evidence beside the harness's verdicts.

litmus (WebDAV, RFC 4918; ``litmus.py``) and caldav-server-tester (CalDAV, RFC 4791; ``caldav_tester.py``)
each produce a ``ToolResult``: the tool and its version, what it was run against, and one ``Check`` per
test or feature, grouped as the tool groups them. The result is written as ``conformance.json`` in the
scenario's evidence folder beside the tool's raw output; the report reads it from there
(``poc/sections/conformance.py``). ``crosscheck.py`` holds which harness requirements overlap which
checks, and where the two disagree on a suite.

A conformance result is evidence, never a requirement verdict: it changes no score.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

# a check's outcome
PASS, FAIL, SKIPPED = "pass", "fail", "skipped"
# a tool run's status
COMPLETED, ERROR, NOT_APPLICABLE = "completed", "error", "not-applicable"

RESULT_FILE = "conformance.json"


@dataclass
class Check:
    """One test of litmus or one feature of caldav-server-tester, as the tool reported it."""

    group: str
    name: str
    outcome: str                 # pass | fail | skipped
    detail: str = ""             # the tool's reason, support level or warning
    n: int | None = None         # litmus's number of the test within its group (names repeat)

    @property
    def ref(self) -> str:
        """The name crosscheck.yaml uses: "<group>/<test>" for litmus, the feature for caldav-server-tester."""
        return f"{self.group}/{self.name}" if self.n is not None else self.name

    @property
    def key(self) -> str:
        """Stable across servers (for the side-by-side comparison): group, number and name."""
        return f"{self.group}/{self.n:02d} {self.name}" if self.n is not None else self.name


@dataclass
class ToolResult:
    tool: str                    # "litmus" | "caldav-server-tester"
    status: str                  # completed | error | not-applicable
    message: str = ""
    version: str = ""
    target: str = ""             # the URL it ran against (no credentials)
    account: str = ""            # the test account's username
    groups: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)     # evidence files, relative to the run folder
    seconds: float = 0.0

    def group_counts(self) -> dict[str, dict]:
        """Per group: passed, failed, skipped and the failing checks' names (with their reason)."""
        out: dict[str, dict] = {g: {"passed": 0, "failed": 0, "skipped": 0, "failing": []} for g in self.groups}
        for c in self.checks:
            row = out.setdefault(c.group, {"passed": 0, "failed": 0, "skipped": 0, "failing": []})
            if c.outcome == PASS:
                row["passed"] += 1
            elif c.outcome == FAIL:
                row["failed"] += 1
                row["failing"].append(f"{c.name} ({c.detail})" if c.detail else c.name)
            else:
                row["skipped"] += 1
        return out

    def counts(self) -> dict[str, int]:
        rows = self.group_counts().values()
        return {k: sum(r[k] for r in rows) for k in ("passed", "failed", "skipped")}

    def to_dict(self) -> dict:
        data = asdict(self)
        data["counts"] = self.counts()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "ToolResult":
        checks = [Check(**{k: v for k, v in c.items() if k in Check.__dataclass_fields__})
                  for c in data.get("checks", [])]
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "checks"}
        return cls(**fields, checks=checks)

    def write(self, folder: Path) -> Path:
        from ..redact import redact
        path = Path(folder) / RESULT_FILE
        path.write_text(redact(json.dumps(self.to_dict(), indent=2, ensure_ascii=False)), encoding="utf-8")
        return path


def read_results(run_dir: Path) -> list[ToolResult]:
    """Every conformance result written in a run's evidence folders, litmus first."""
    out = []
    for path in sorted(Path(run_dir).glob(f"evidence/*/{RESULT_FILE}")):
        try:
            out.append(ToolResult.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError, TypeError):
            continue
    from .litmus import GROUPS
    return sorted(out, key=lambda r: (r.tool != "litmus", r.tool,
                                      [GROUPS.index(g) if g in GROUPS else len(GROUPS) for g in r.groups], r.groups))


def by_tool(results: list[ToolResult]) -> dict[str, list[ToolResult]]:
    """The results grouped by tool (litmus's groups run as separate scenarios, one result each)."""
    out: dict[str, list[ToolResult]] = {}
    for r in results:
        out.setdefault(r.tool, []).append(r)
    return out
