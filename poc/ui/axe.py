"""axe-core in the page: the accessibility audit of every page the scenarios visit.

axe-core comes from the npm registry, pinned in package.json / package-lock.json at the repository
root, and `npm ci` puts it in node_modules/. It is injected into the page (the audit contexts are
made with ``bypass_csp=True`` so a strict Content-Security-Policy cannot block it) and run with the
WCAG 2.1 A and AA rule sets.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from ..errors import PocError

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
IMPACTS = ("critical", "serious", "moderate", "minor")
MAX_NODES = 5  # elements kept per violated rule (the count of all is kept too)


class AxeMissing(PocError):
    """axe-core is not installed in node_modules/."""


def root() -> Path:
    return Path(__file__).resolve().parents[2]


@lru_cache(maxsize=1)
def source() -> str:
    path = root() / "node_modules" / "axe-core" / "axe.min.js"
    if not path.is_file():
        raise AxeMissing(f"axe-core is missing ({path}); install it with `npm ci` in {root()} "
                         "(it is pinned in package.json and package-lock.json)")
    return path.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def version() -> str:
    path = root() / "node_modules" / "axe-core" / "package.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return "unknown"


def run(page) -> dict:
    """Inject axe-core into ``page`` (if not there yet) and audit it; returns ``summarise``'s dict."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # evaluated through the DevTools protocol, so the page's own CSP does not stop the injection;
        # the audit contexts bypass CSP as well (bypass_csp=True) for pages that fight back
        page.evaluate(source())
    raw = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return {violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                        helpUrl: v.helpUrl, tags: v.tags,
                        nodes: v.nodes.map(n => ({target: n.target.map(String).join(' '), html: n.html.slice(0, 300),
                                                  summary: (n.failureSummary || '').slice(0, 400)}))})),
                    passes: r.passes.length, incomplete: r.incomplete.length, inapplicable: r.inapplicable.length,
                    engine: r.testEngine.version};
        }""", TAGS)
    return summarise(raw)


def summarise(raw: dict) -> dict:
    """Counts by impact (violated rules, and elements), with each rule's element list cut short."""
    violations = []
    for v in raw.get("violations", []):
        nodes = v.get("nodes", [])
        violations.append({"id": v["id"], "impact": v.get("impact") or "minor", "help": v.get("help", ""),
                           "help_url": v.get("helpUrl", ""), "tags": [t for t in v.get("tags", []) if t.startswith("wcag")],
                           "nodes": nodes[:MAX_NODES], "node_count": len(nodes)})
    counts = {i: sum(1 for v in violations if v["impact"] == i) for i in IMPACTS}
    elements = {i: sum(v["node_count"] for v in violations if v["impact"] == i) for i in IMPACTS}
    return {"engine": raw.get("engine") or version(), "tags": TAGS, "violations": violations, "counts": counts,
            "elements": elements, "passes": raw.get("passes", 0), "incomplete": raw.get("incomplete", 0)}
