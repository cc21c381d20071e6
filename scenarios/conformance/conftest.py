"""Fixtures for the conformance stage: the protocols' own test suites (litmus for WebDAV,
caldav-server-tester for CalDAV) run against the suite's endpoint as its pupil test account, on the
pupil's own data (a fresh folder, or the tool's own calendars), cleaned up after.

A scenario here verifies no requirement and changes no score: what the tool found is kept as
evidence (poc/conformance), and the report shows where it contradicts the harness's verdicts
(scenarios/conformance/crosscheck.yaml). Its verdict says how the tool did: pass when every check
passed, fail naming the failing checks, error when the tool is missing or broke, unsupported
("not applicable") when the suite has no endpoint for the protocol.
"""

from __future__ import annotations

import contextlib
import uuid

import pytest

from poc.conformance import ERROR, FAIL, NOT_APPLICABLE, ToolResult
from poc.verdicts import unsupported

PROTOCOL_NAMES = {"webdav": "WebDAV", "caldav": "CalDAV"}


class ConformanceToolBroke(RuntimeError):
    """The conformance tool is missing or did not finish: an `error`, not the suite's failure."""


class Endpoint:
    def __init__(self, deployment, client_for, evidence, run_dir, capability, protocol, tool, group):
        self.deployment, self.client_for, self.evidence, self.run_dir = deployment, client_for, evidence, run_dir
        self.capability, self.protocol, self.tool, self.group = capability, protocol, tool, group
        suite = deployment.suite
        spec = suite.capabilities.get(capability)
        self.account = deployment.accounts.get("pupil")
        why = None
        if not spec or spec.get("protocol") != protocol:
            over = f"its {capability} capability is over {spec.get('protocol')}" if spec else f"no {capability} capability"
            why = f"not applicable: {suite.name} has no {PROTOCOL_NAMES[protocol]} endpoint ({over})"
        elif self.account is None:
            why = f"not applicable: {suite.name} has no pupil test account to run {tool} as"
        if why:
            ToolResult(tool=tool, status=NOT_APPLICABLE, message=why, groups=[group] if group else []).write(evidence)
            unsupported(why)
        self.url = deployment.url_for(capability, self.account)
        self.left: list[str] = []

    @contextlib.contextmanager
    def fresh_folder(self, prefix: str):
        """A new, empty WebDAV collection in the pupil's files, removed afterwards; yields its URL."""
        client = self.client_for(self.capability)
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        client.mkcol(name)
        try:
            yield client.url(name) + "/"
        finally:
            try:
                client.delete(name + "/", expect=(200, 204, 404))
            except Exception as exc:  # said in the result and the evidence, not hidden
                self.left.append(f"{client.url(name)}/ could not be removed ({exc}); remove it with DELETE as "
                                 f"{self.account.username}")
                (self.evidence / "left-behind.txt").write_text(self.left[-1] + "\n", encoding="utf-8")

    def verify(self, result: ToolResult) -> None:
        """Keep the result and give the scenario its verdict."""
        if self.left:
            result.message = "; ".join(filter(None, [result.message, *self.left]))
        result.write(self.evidence)
        if result.status == ERROR:
            raise ConformanceToolBroke(result.message)
        failed = [c for c in result.checks if c.outcome == FAIL]
        name = f"{result.tool} {' '.join(result.groups)}" if self.group else result.tool
        if failed:
            raise AssertionError(f"{name}: {len(failed)} of {len(result.checks)} checks failed: " + "; ".join(
                f"{c.name} ({_short(c.detail)})" if c.detail else c.name for c in failed))


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


@pytest.fixture
def endpoint(suite_deployment, client_for, evidence, poc):
    """endpoint(capability, protocol, tool, group=None): the pupil's endpoint for the tool, or the
    scenario ends as not applicable (recorded in the evidence) when the suite has none."""
    def make(capability: str, protocol: str, tool: str, group: str | None = None) -> Endpoint:
        return Endpoint(suite_deployment, client_for, evidence, poc.run_dir, capability, protocol, tool, group)
    return make
