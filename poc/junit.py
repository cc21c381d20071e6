"""reports/runs/<run-id>/junit.xml: a run's results in the JUnit XML format CI systems read (Jenkins,
GitLab, GitHub Actions, Azure DevOps), so a vendor's or the municipality's CI can show a run without
our report.

One <testcase> per line of results.jsonl (a scenario x requirement): classname = the requirement (or
the scenario's file when it names none), name = the scenario; a pass is a plain testcase, a fail a
<failure>, an error an <error>, unsupported and skipped (not verified) a <skipped>, each with the
run's message (masked by poc/redact.py). Testsuites are the kinds of scenario (api, ui, conformance,
load) under one <testsuites> named for the run.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

from .redact import redact

FILE = "junit.xml"
_ORDER = ("api", "ui", "conformance", "load")


def _records(run_dir: Path) -> list[dict]:
    out = []
    path = Path(run_dir) / "results.jsonl"
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue  # a torn last line of a run that was killed: the rest is still worth showing
    return out


def _clean(text) -> str:
    """Masked, and without the characters XML 1.0 cannot hold."""
    text = redact(str(text or ""))
    return "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20 and ch not in "\ufffe\uffff")


def build(run_dir: Path) -> ET.ElementTree:
    run_dir = Path(run_dir)
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    suite = (manifest.get("suite") or {}).get("name", "")
    records = _records(run_dir)
    kinds = sorted({r.get("kind") or "api" for r in records}, key=lambda k: (_ORDER.index(k) if k in _ORDER else 9, k))
    root = ET.Element("testsuites", name=f"os2skole-poc {suite} {manifest.get('run_id', run_dir.name)}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
    for kind in kinds:
        mine = [r for r in records if (r.get("kind") or "api") == kind]
        ts = ET.SubElement(root, "testsuite", name=f"{suite}.{kind}", timestamp=str(manifest.get("started") or ""))
        props = ET.SubElement(ts, "properties")
        for name, value in (("suite", suite), ("suite_version", (manifest.get("suite") or {}).get("version", "")),
                            ("run_id", manifest.get("run_id", run_dir.name)), ("status", manifest.get("status", "")),
                            ("harness_commit", (manifest.get("harness") or {}).get("commit", "")),
                            ("catalogue_sha256", (manifest.get("catalogue") or {}).get("sha256", ""))):
            ET.SubElement(props, "property", name=name, value=_clean(value))
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "time": 0.0}
        for r in mine:
            verdict, message = r.get("verdict", ""), _clean(r.get("message"))
            case = ET.SubElement(ts, "testcase", classname=_clean(r.get("requirement") or r.get("file") or kind),
                                 name=_clean(r.get("scenario")), time=f"{float(r.get('duration') or 0):.3f}")
            counts["tests"] += 1
            counts["time"] += float(r.get("duration") or 0)
            first = message.splitlines()[0][:500] if message else verdict
            if verdict == "fail":
                counts["failures"] += 1
                ET.SubElement(case, "failure", message=first, type="fail").text = message
            elif verdict == "error":
                counts["errors"] += 1
                ET.SubElement(case, "error", message=first, type="error").text = message
            elif verdict != "pass":  # unsupported, skipped (not verified), or anything newer
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=f"{verdict}: {first}" if message else verdict)
            if r.get("evidence"):
                ET.SubElement(case, "system-out").text = "evidence: " + ", ".join(map(_clean, r["evidence"]))
        for k, v in counts.items():
            ts.set(k, f"{v:.3f}" if k == "time" else str(v))
            totals[k] += v
    for k, v in totals.items():
        root.set(k, f"{v:.3f}" if k == "time" else str(v))
    ET.indent(root)
    return ET.ElementTree(root)


def write(run_dir: Path) -> Path:
    """Write (or rewrite) the run's junit.xml, whole or not at all."""
    path = Path(run_dir) / FILE
    tmp = path.with_suffix(".xml.tmp")
    build(run_dir).write(tmp, encoding="utf-8", xml_declaration=True)
    os.replace(tmp, path)
    return path
