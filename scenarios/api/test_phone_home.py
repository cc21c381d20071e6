"""PRI-07, no telemetry by default: what the suite, run as shipped, tried to reach from its network
namespace during the whole evaluation (poc/isolation).

`python -m poc evaluate` runs a local suite, and these scenarios, inside a network namespace whose
only link leads nowhere, with a DNS answerer that logs every query and a capture of every frame
sent into the link. This scenario runs after every other one (``poc_last``) and judges everything
the suite's processes looked up or tried to reach until then: any outside host fails PRI-07, named
with its port and the process. In external mode nothing of the kind is observable from here; a run
without the namespace (not root, ``--isolate off``, a compose suite) says why; both are not tested.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict

import pytest

from poc import isolation
from poc.isolation import judge


class CaptureBroken(RuntimeError):
    """The namespace's capture did not log the harness's own marked traffic: no verdict can be given."""


@pytest.mark.poc_last
@pytest.mark.requirement("PRI-07")
def test_suite_tries_to_reach_no_outside_host(suite_deployment, evidence):
    """As shipped, the suite looks up no outside name and connects to no outside host"""
    d = suite_deployment
    launcher = getattr(d, "launcher", None)
    defaults = {"suite": d.suite.name, "mode": d.mode, "isolated": isolation.attached() is not None,
                "changed_defaults": getattr(launcher, "changed_defaults", None) or {},
                "note": getattr(launcher, "as_shipped_note", "")}
    (evidence / "defaults.json").write_text(json.dumps(defaults, indent=2), encoding="utf-8")
    if d.mode == "external":
        pytest.skip("external mode: what the deployment tries to reach is not observable from the harness "
                    "(a manual assessment may settle PRI-07)")
    folder = isolation.attached()
    if folder is None:
        pytest.skip(f"not isolated: {isolation.not_isolated_reason()}")
    missing = isolation.confirm_capture(folder)
    if missing:
        raise CaptureBroken(f"no verdict: {missing}; see {folder}/capture.log")
    until = time.time()
    suite_pids = set(d.pids().values())
    capture = judge.read(folder, suite_pids=suite_pids, until=until)
    verdict, message = judge.judgement(capture, d.suite.name)
    judged = {"verdict": verdict, "message": message, "t": round(until, 3), "suite_pids": sorted(suite_pids),
              "defaults": defaults, "attempts": [asdict(a) for a in capture.attempts]}
    for path in (evidence / "attempts.json", folder / "judged.json"):
        path.write_text(json.dumps(judged, indent=2, ensure_ascii=False), encoding="utf-8")
    if verdict == "error":
        raise CaptureBroken(message)
    assert verdict == "pass", message
