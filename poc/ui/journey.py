"""A UI journey step by step: a screenshot after every step, an audit of every page (axe-core,
navigation timing, language, the document's security headers), and on a failure a screenshot and
the page's HTML, with a message that names the step. Everything ends up as JSON in
<run>/evidence/ui/<journey>.json, which the report's UI section reads.

No password reaches these files: the JSON passes through poc.redact, screenshots are named after
steps, and password fields show as dots.
"""

from __future__ import annotations

import json
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path

from ..redact import redact
from . import axe, clock, observatory

TIMING_JS = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  if (!n) return null;
  const r = (v) => v > 0 ? Math.round(v) : null;
  return {ttfb_ms: r(n.responseStart), dom_content_loaded_ms: r(n.domContentLoadedEventEnd),
          load_ms: r(n.loadEventEnd), transfer_bytes: n.transferSize || 0, type: n.type};
}"""
PAGE_JS = """() => ({lang: document.documentElement.getAttribute('lang') || '', title: document.title,
                    text: (document.body ? document.body.innerText : '').replace(/\\s+/g, ' ').trim().slice(0, 200)})"""


class StepFailed(Exception):
    """A journey step that failed or timed out; the cause (chained) decides fail or error."""


def slug(text: str, limit: int = 60) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-").lower()[:limit] or "step"


class Journey:
    def __init__(self, title: str, *, run_dir: Path, folder: Path, scenario: str, role: str = "",
                 kind: str = "journey", requirements: list[str] | None = None):
        self.title, self.run_dir, self.folder = title, Path(run_dir), Path(folder)
        self.scenario, self.role, self.kind = scenario, role, kind
        self.requirements = requirements or []
        self.steps: list[dict] = []
        self.pages: list[dict] = []
        self.sessions: list = []
        self.session = None
        self.outcome = "running"
        self.message = ""
        self.t0 = time.perf_counter()
        self.browser_s0 = clock.browser_seconds()
        self.folder.mkdir(parents=True, exist_ok=True)

    def use(self, session):
        """The session (context + page) the next steps drive."""
        self.session = session
        if session not in self.sessions:
            self.sessions.append(session)
        return session

    # -- steps ----------------------------------------------------------------------------------
    @contextmanager
    def step(self, name: str, *, screenshot: bool = True):
        n = len(self.steps) + 1
        record = {"n": n, "name": name, "ok": None, "url": "", "screenshot": None, "seconds": None}
        self.steps.append(record)
        t0 = time.perf_counter()
        try:
            with clock.in_browser():
                yield record
        except BaseException as exc:
            if _is_skip(exc):  # `unsupported` inside a step: keep what the page showed
                record.update(ok=None, seconds=round(time.perf_counter() - t0, 3), note=str(getattr(exc, "msg", exc)))
                self._shoot(record, n, name)
                raise
            record.update(ok=False, seconds=round(time.perf_counter() - t0, 3),
                          error=redact(f"{type(exc).__name__}: {_first_line(exc)}"))
            self._shoot(record, n, name, failed=True)
            message = f"step {n} ({name}) failed: {_first_line(exc)}"
            if self.outcome != "failed":  # the first failure is the journey's
                self.outcome, self.message = "failed", message
            self.write()
            if isinstance(exc, AssertionError):
                raise AssertionError(message) from exc
            raise StepFailed(message) from exc
        record.update(ok=True, seconds=round(time.perf_counter() - t0, 3))
        if screenshot:
            self._shoot(record, n, name)
        elif self.session is not None:
            try:
                record["url"] = redact(self.session.page.url)
            except Exception:
                pass

    def _shoot(self, record: dict, n: int, name: str, failed: bool = False) -> None:
        page = self.session.page if self.session else None
        if page is None:
            return
        base = f"{n:02d}-{slug(name)}" + ("-failed" if failed else "")
        try:
            record["url"] = redact(page.url)
            with clock.in_browser():
                path = self.folder / f"{base}.png"
                page.screenshot(path=str(path), timeout=5000)
            record["screenshot"] = self._rel(path)
        except Exception as exc:  # a crashed page cannot be photographed; say so
            record["screenshot_error"] = _first_line(exc)
        if failed:
            try:
                html = page.content()
                path = self.folder / f"{base}.html"
                path.write_text(redact(html), encoding="utf-8")
                record["html"] = self._rel(path)
            except Exception as exc:
                record["html_error"] = _first_line(exc)

    def _rel(self, path: Path) -> str:
        return os.path.relpath(path, self.run_dir)

    # -- page audits ----------------------------------------------------------------------------
    def audit(self, name: str, *, run_axe: bool = True) -> dict:
        """Audit the page the session shows now: timings, language, axe-core, security headers."""
        page, capture = self.session.page, self.session.capture
        record = {"name": name, "url": redact(page.url), "step": len(self.steps), "role": self.session.role,
                  "audit_context": self.session.audit}
        with clock.in_browser():
            try:
                page.wait_for_load_state("load", timeout=5000)
            except Exception:
                pass
            try:
                record["timing"] = page.evaluate(TIMING_JS)
            except Exception as exc:
                record["timing"] = None
                record["timing_error"] = _first_line(exc)
            try:
                info = page.evaluate(PAGE_JS)
                record.update(lang=info["lang"], title=info["title"], text=redact(info["text"]))
            except Exception as exc:
                record.update(lang="", title="", text="", page_error=_first_line(exc))
            if run_axe:
                try:
                    record["axe"] = axe.run(page)
                except axe.AxeMissing:
                    raise
                except Exception as exc:
                    record["axe"] = None
                    record["axe_error"] = _first_line(exc)
        doc = _document_for(capture.documents, page.url)
        if doc is not None:
            record["document"] = {"url": doc["url"], "status": doc["status"], "headers": doc["headers"],
                                  "content_language": doc["headers"].get("content-language", "")}
            record["observatory"] = observatory.grade(doc, capture.cookies())
        self.pages.append(record)
        return record

    # -- the evidence file ----------------------------------------------------------------------
    def data(self) -> dict:
        captures = [s.capture.snapshot() for s in self.sessions]
        return {
            "kind": self.kind, "title": self.title, "scenario": self.scenario, "role": self.role,
            "requirements": self.requirements, "outcome": self.outcome, "message": self.message,
            "seconds": round(time.perf_counter() - self.t0, 3),
            "browser_seconds": round(clock.browser_seconds() - self.browser_s0, 3),
            "axe_version": axe.version(), "steps": self.steps, "pages": self.pages,
            "own_origins": sorted({o for c in captures for o in c["own_origins"]}),
            "hosts": _merge_hosts([c["hosts"] for c in captures]),
            "cookies": [dict(c, session_role=s.role) for s, cap in zip(self.sessions, captures) for c in cap["cookies"]],
            "documents": [d for c in captures for d in c["documents"]],
            "auth_prompts": [p for c in captures for p in c.get("auth_prompts", [])],
            "requests": [r for c in captures for r in c["requests"]][:2000],
        }

    def path(self) -> Path:
        return self.run_dir / "evidence" / "ui" / f"{slug(self.scenario.split('::')[-1], 100)}.json"

    def write(self) -> Path:
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(redact(json.dumps(self.data(), indent=1, ensure_ascii=False, default=str)), encoding="utf-8")
        os.replace(tmp, path)
        return path

    def finish(self, outcome: str = "passed", message: str = "") -> Path:
        if self.outcome == "running":
            self.outcome, self.message = outcome, message
        return self.write()


def _is_skip(exc: BaseException) -> bool:
    import pytest
    return isinstance(exc, pytest.skip.Exception)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def _document_for(documents: list[dict], url: str) -> dict | None:
    from .actions import same_document
    from .capture import short_url
    want = short_url(url)
    for doc in reversed(documents):
        if doc.get("main_frame") and (doc["url"] == want or same_document(doc["url"], want)):
            return doc
    return None


def _merge_hosts(lists: list[list[dict]]) -> list[dict]:
    out: dict[str, dict] = {}
    for hosts in lists:
        for h in hosts:
            row = out.setdefault(h["origin"], {**h, "requests": 0, "types": []})
            row["requests"] += h["requests"]
            row["types"] = sorted(set(row["types"]) | set(h["types"]))
    return sorted(out.values(), key=lambda h: (not h["third_party"], h["origin"]))
