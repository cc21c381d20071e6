"""The report's browser section is built from the evidence in the run folder alone: screenshots
linked relative to the report, page content escaped, nothing fetched when the report opens."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

from poc.sections import ui as section
from poc.ui import observatory


def _run(tmp_path):
    run = tmp_path / "runs" / "r1"
    (run / "evidence" / "ui" / "judgements").mkdir(parents=True)
    (run / "evidence" / "t").mkdir()
    (run / "evidence" / "t" / "01-open.png").write_bytes(b"\x89PNG")
    evil = '<img src="https://tracker.example/x.png" onerror="alert(1)">'
    doc = {"url": "http://127.0.0.1:1/", "headers": {"x-frame-options": "DENY"}}
    page = {"name": "start", "url": "http://127.0.0.1:1/", "title": "Start", "lang": "da",
            "timing": {"ttfb_ms": 12, "dom_content_loaded_ms": 80, "load_ms": 95},
            "axe": {"violations": [{"id": "image-alt", "impact": "critical", "help": "Images must have alternate text",
                                    "help_url": "https://dequeuniversity.com/rules/axe/4.14/image-alt",
                                    "tags": ["wcag2a"], "nodes": [{"target": "img", "html": evil}], "node_count": 1}],
                    "counts": {"critical": 1, "serious": 0, "moderate": 0, "minor": 0}},
            "document": {"url": doc["url"], "headers": doc["headers"]}, "observatory": observatory.grade(doc)}
    tour = {"kind": "tour", "title": "Tour", "scenario": "tour", "outcome": "passed", "message": "", "seconds": 1.0,
            "steps": [{"n": 1, "name": "open", "ok": True, "url": "http://127.0.0.1:1/",
                       "screenshot": "evidence/t/01-open.png"}],
            "pages": [page], "hosts": [{"origin": "http://127.0.0.1:1", "third_party": False, "requests": 3, "types": ["document"]},
                                       {"origin": "https://tracker.example:443", "third_party": True, "requests": 1, "types": ["image"]}],
            "cookies": [{"name": "sid", "domain": "127.0.0.1", "session": True, "lifetime_s": None, "secure": False,
                         "http_only": True, "same_site": "Lax"}], "axe_version": "4.14.1"}
    (run / "evidence" / "ui" / "tour.json").write_text(json.dumps(tour))
    (run / "evidence" / "ui" / "judgements" / "PRI-01.json").write_text(json.dumps(
        {"requirement": "PRI-01", "rule": {"third_party_hosts_max": 0}, "ok": False,
         "message": "1 third-party host(s) contacted"}))
    return run


def _view(run):
    return SimpleNamespace(run=SimpleNamespace(path=run), link_base="runs/r1", name="fake",
                           manifest={"suite": {"capabilities": {"web-ui": {}}}})


def test_suite_section_shows_steps_axe_privacy_and_timings(tmp_path):
    run = _run(tmp_path)
    sec = section.suite_section({"view": _view(run), "lang": "en"})
    html = sec.html
    assert sec.id == "ui"
    assert '<a href="runs/r1/evidence/t/01-open.png"' in html and 'src="runs/r1/evidence/t/01-open.png"' in html
    assert "image-alt" in html and "Images must have alternate text" in html
    assert "https://dequeuniversity.com/rules/axe/4.14/image-alt" in html  # written, not loaded
    assert "&lt;img src=&#34;https://tracker.example/x.png&#34;" in html and '<img src="https://tracker' not in html
    assert "https://tracker.example:443" in html and "third party" in html
    assert "sid" in html and "PRI-01" in html and "1 third-party host(s) contacted" in html
    assert ">95<" in html  # load time in ms
    assert "x-frame-options-sameorigin-or-deny" in html and "csp-not-implemented" in html
    # nothing the browser would fetch on opening, other than the relative screenshot files
    assert not re.findall(r'\bsrc="https?:', html)


def test_danish_words_and_comparison(tmp_path):
    run = _run(tmp_path)
    da = section.suite_section({"view": _view(run), "lang": "da"})
    assert "Tilgængelighed" in da.html and "tredjepart" in da.html
    comp = section.comparison_section({"views": [_view(run)], "lang": "en"})
    assert comp is not None and 'href="fake.html#ui"' in comp.html and ">1<" in comp.html


def test_no_evidence_and_no_web_ui_means_no_section(tmp_path):
    view = SimpleNamespace(run=SimpleNamespace(path=tmp_path), link_base=".", name="x", manifest={"suite": {}})
    assert section.suite_section({"view": view, "lang": "en"}) is None
    assert section.comparison_section({"views": [view], "lang": "en"}) is None
