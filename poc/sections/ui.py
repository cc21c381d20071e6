"""The browser evidence in the reports: the UI journeys step by step with screenshots, the
accessibility audit (axe-core), the privacy findings (hosts, cookies, security headers graded by the
Mozilla HTTP Observatory rules) and the page timings.

Everything is read from the run folder (evidence/ui/*.json, written by poc.ui.journey, and
evidence/ui/judgements/*.json, written by the evidence scenarios). Screenshots are linked relative
to the report (RunView.link_base + the evidence path): no request leaves the machine when the
report opens, and the help links of axe-core are written out, never followed.
"""

from __future__ import annotations

import json
from pathlib import Path

import jinja2

from . import Section

IMPACTS = ("critical", "serious", "moderate", "minor")

WORDS = {
    "en": {
        "title": "Browser: journeys, accessibility, privacy and timings",
        "intro": ("The UI scenarios drive Debian's Chromium (Playwright) with the browser set to Danish (da-DK, "
                  "Europe/Copenhagen). The verdicts of the privacy, accessibility, language and timing requirements "
                  "are judged on the tour of the suite's declared pages; pages seen during the journeys are listed too."),
        "summary": "Summary", "journeys": "Journeys", "accessibility": "Accessibility (axe-core, WCAG 2.1 A/AA)",
        "privacy": "Privacy", "timings": "Page timings", "hosts": "Hosts contacted", "cookies": "Cookies",
        "headers": "Security headers", "judgements": "Evidence behind the verdicts", "requirement": "Requirement",
        "rule": "Rule in the catalogue", "result": "Result", "step": "Step", "page": "Page", "screenshot": "Screenshot",
        "ok": "ok", "failed": "failed", "not_done": "stopped here", "outcome": "Outcome", "origin": "Origin",
        "requests": "Requests", "kinds": "Kinds", "third_party": "third party", "own": "own",
        "name": "Name", "domain": "Domain", "lifetime": "Lifetime", "session": "browser session",
        "grade": "Grade", "score": "Score", "modifiers": "Modifiers", "document": "Document",
        "ttfb": "Time to first byte", "dcl": "DOM content loaded", "load": "Load", "ms": "ms",
        "impact": "Impact", "elements": "Elements", "help": "Help (not opened by this report)",
        "no_evidence": "No browser evidence in this run (the UI scenarios did not run, or the suite has no web interface).",
        "no_cookies": "No cookies were set.", "no_violations": "no violations", "pages_audited": "pages audited",
        "third_parties": "third-party hosts", "worst_grade": "lowest grade", "slowest": "slowest load",
        "lang": "Page language", "tour": "tour", "full_size": "open full size", "source": "Grading rules",
        "auth_prompts": "HTTP login prompts the browser would have shown (dismissed by the harness)",
        "suite": "Suite", "violations": "axe violations (rules)", "not_https": "not HTTPS: not graded",
        "compare_intro": "From the latest run of each suite; details in each suite's report.",
    },
    "da": {
        "title": "Browser: brugerrejser, tilgængelighed, privatliv og svartider",
        "intro": ("UI-scenarierne styrer Debians Chromium (Playwright) med browseren sat til dansk (da-DK, "
                  "Europe/Copenhagen). Kravene om privatliv, tilgængelighed, sprog og svartider vurderes på en "
                  "rundtur på løsningens erklærede sider; sider set under brugerrejserne vises også."),
        "summary": "Overblik", "journeys": "Brugerrejser", "accessibility": "Tilgængelighed (axe-core, WCAG 2.1 A/AA)",
        "privacy": "Privatliv", "timings": "Svartider", "hosts": "Kontaktede værter", "cookies": "Cookies",
        "headers": "Sikkerhedsheadere", "judgements": "Dokumentationen bag vurderingerne", "requirement": "Krav",
        "rule": "Regel i kravkataloget", "result": "Resultat", "step": "Trin", "page": "Side", "screenshot": "Skærmbillede",
        "ok": "ok", "failed": "fejlede", "not_done": "stoppede her", "outcome": "Udfald", "origin": "Oprindelse",
        "requests": "Forespørgsler", "kinds": "Typer", "third_party": "tredjepart", "own": "egen",
        "name": "Navn", "domain": "Domæne", "lifetime": "Levetid", "session": "browsersession",
        "grade": "Karakter", "score": "Point", "modifiers": "Justeringer", "document": "Dokument",
        "ttfb": "Tid til første byte", "dcl": "DOM indlæst", "load": "Indlæst", "ms": "ms",
        "impact": "Alvor", "elements": "Elementer", "help": "Hjælp (åbnes ikke af rapporten)",
        "no_evidence": "Ingen browserdokumentation i denne kørsel (UI-scenarierne kørte ikke, eller løsningen har ingen webgrænseflade).",
        "no_cookies": "Der blev ikke sat nogen cookies.", "no_violations": "ingen fejl", "pages_audited": "sider gennemgået",
        "third_parties": "tredjepartsværter", "worst_grade": "laveste karakter", "slowest": "langsomste indlæsning",
        "lang": "Sidens sprog", "tour": "rundtur", "full_size": "åbn i fuld størrelse", "source": "Bedømmelsesregler",
        "auth_prompts": "HTTP-loginvinduer browseren ville have vist (lukket af testværktøjet)",
        "suite": "Løsning", "violations": "axe-fejl (regler)", "not_https": "ikke HTTPS: ikke bedømt",
        "compare_intro": "Fra den seneste kørsel af hver løsning; detaljer i hver løsnings rapport.",
    },
}

_ENV = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)  # missing keys render empty

SUITE_TEMPLATE = _ENV.from_string("""
<p class="muted">{{ w.intro }}</p>
{% if not ev.journeys and not ev.tour %}<p>{{ w.no_evidence }}</p>{% else %}
<h3 id="ui-summary">{{ w.summary }}</h3>
<div class="cards">
<div class="card"><div class="big">{{ s.pages }}</div>{{ w.pages_audited }}</div>
<div class="card"><div class="big">{{ s.third }}</div>{{ w.third_parties }}</div>
<div class="card"><div class="big">{% for i in impacts %}{{ s.axe[i] }}{{ " / " if not loop.last }}{% endfor %}</div>{{ w.violations }}: {{ impacts|join(" / ") }}</div>
<div class="card"><div class="big">{{ s.worst_grade or "–" }}</div>{{ w.worst_grade }} (Observatory)</div>
<div class="card"><div class="big">{{ s.slowest if s.slowest is not none else "–" }} {{ w.ms }}</div>{{ w.slowest }}</div>
</div>
{% if ev.judgements %}
<h3 id="ui-judgements">{{ w.judgements }}</h3>
<table><tr><th>{{ w.requirement }}</th><th>{{ w.rule }}</th><th>{{ w.result }}</th></tr>
{% for j in ev.judgements %}<tr><td><a href="#req-{{ j.requirement }}">{{ j.requirement }}</a></td><td><code>{{ j.rule|tojson }}</code></td>
<td><span class="v v-{{ 'pass' if j.ok else 'fail' }}">{{ 'pass' if j.ok else 'fail' }}</span> {{ j.message }}</td></tr>{% endfor %}
</table>{% endif %}

<h3 id="ui-journeys">{{ w.journeys }}</h3>
{% for jr in ev.all %}
<details{% if jr.outcome == "failed" %} open{% endif %}><summary><strong>{{ jr.title }}</strong>
 <span class="v v-{{ verdict_class(jr.outcome) }}">{{ jr.outcome }}</span>{% if jr.kind == "tour" %} <span class="muted">({{ w.tour }})</span>{% endif %}
 <span class="muted">{{ jr.scenario }} · {{ "%.1f"|format(jr.seconds or 0) }} s</span></summary>
{% if jr.message %}<div class="msg">{{ jr.message }}</div>{% endif %}
<table><tr><th>{{ w.step }}</th><th>{{ w.outcome }}</th><th>{{ w.page }}</th><th>{{ w.screenshot }}</th></tr>
{% for st in jr.steps %}<tr><td>{{ st.n }}. {{ st.name }}{% if st.error %}<div class="msg">{{ st.error }}</div>{% endif %}{% if st.note %}<div class="muted">{{ st.note }}</div>{% endif %}</td>
<td>{% if st.ok %}{{ w.ok }}{% elif st.ok is none %}{{ w.not_done }}{% else %}<strong>{{ w.failed }}</strong>{% endif %}</td>
<td class="msg">{{ st.url }}</td>
<td>{% if st.screenshot %}<a href="{{ link(st.screenshot) }}" title="{{ w.full_size }}"><img class="thumb" loading="lazy" src="{{ link(st.screenshot) }}" alt="{{ st.name }}"></a>{% endif %}
{% if st.html %}<a href="{{ link(st.html) }}">HTML</a>{% endif %}</td></tr>{% endfor %}
</table>
{% if jr.auth_prompts %}<p class="muted">{{ w.auth_prompts }}: {% for p in jr.auth_prompts %}{{ p.url }} ({{ p.challenge }}){{ ", " if not loop.last }}{% endfor %}</p>{% endif %}
</details>
{% endfor %}

<h3 id="ui-accessibility">{{ w.accessibility }}</h3>
<p class="muted">axe-core {{ ev.axe_version }} · wcag2a, wcag2aa, wcag21a, wcag21aa</p>
<table><tr><th>{{ w.page }}</th>{% for i in impacts %}<th>{{ i }}</th>{% endfor %}</tr>
{% for p in ev.pages %}<tr><td>{{ p.name }}{% if p.source == "tour" %} <span class="muted">({{ w.tour }})</span>{% endif %}<div class="msg">{{ p.url }}</div>
{% if p.axe and p.axe.violations %}<details><summary>{{ p.axe.violations|length }} {{ w.violations }}</summary>
<table><tr><th>{{ w.rule }}</th><th>{{ w.impact }}</th><th>{{ w.elements }}</th><th>{{ w.help }}</th></tr>
{% for v in p.axe.violations %}<tr><td><code>{{ v.id }}</code> {{ v.help }}<div class="muted">{{ v.tags|join(", ") }}</div></td><td>{{ v.impact }}</td>
<td>{{ v.node_count }}{% for n in v.nodes %}<div class="msg"><code>{{ n.target }}</code> {{ n.html }}</div>{% endfor %}</td>
<td class="msg"><a href="{{ v.help_url }}" rel="noreferrer noopener">{{ v.help_url }}</a></td></tr>{% endfor %}
</table></details>{% elif p.axe %}<div class="muted">{{ w.no_violations }}</div>{% elif p.axe_error %}<div class="msg">{{ p.axe_error }}</div>{% endif %}</td>
{% for i in impacts %}<td>{{ p.axe.counts[i] if p.axe else "–" }}</td>{% endfor %}</tr>{% endfor %}
</table>

<h3 id="ui-privacy">{{ w.privacy }}</h3>
<h4>{{ w.hosts }}</h4>
<table><tr><th>{{ w.origin }}</th><th></th><th>{{ w.requests }}</th><th>{{ w.kinds }}</th></tr>
{% for h in ev.hosts %}<tr><td class="msg">{{ h.origin }}</td><td>{% if h.third_party %}<span class="v v-fail">{{ w.third_party }}</span>{% else %}<span class="v v-pass">{{ w.own }}</span>{% endif %}</td>
<td>{{ h.requests }}</td><td>{{ h.types|join(", ") }}</td></tr>{% endfor %}
</table>
<h4>{{ w.cookies }}</h4>
{% if ev.cookies %}<table><tr><th>{{ w.name }}</th><th>{{ w.domain }}</th><th>{{ w.lifetime }}</th><th>Secure</th><th>HttpOnly</th><th>SameSite</th></tr>
{% for c in ev.cookies %}<tr><td><code>{{ c.name }}</code></td><td>{{ c.domain }}</td><td>{{ w.session if c.session else c.lifetime_s|string + " s" }}</td>
<td>{{ "✓" if c.secure else "✗" }}</td><td>{{ "✓" if c.http_only else "✗" }}</td><td>{{ c.same_site }}</td></tr>{% endfor %}
</table>{% else %}<p>{{ w.no_cookies }}</p>{% endif %}
<h4>{{ w.headers }}</h4>
<table><tr><th>{{ w.document }}</th><th>{{ w.grade }}</th><th>{{ w.modifiers }}</th><th>Headers</th></tr>
{% for d in ev.documents %}<tr><td class="msg">{{ d.url }}</td><td><strong>{{ d.observatory.grade }}</strong> ({{ d.observatory.score }})</td>
<td>{% for m in d.observatory.modifiers %}<div class="msg">{{ m.result }} {{ "%+d"|format(m.modifier) }}</div>{% endfor %}</td>
<td>{% for k, v in d.headers.items() %}<div class="msg">{{ k }}: {{ v }}</div>{% endfor %}</td></tr>{% endfor %}
</table>
<p class="muted">{{ w.source }}: {{ ev.observatory_source }}</p>

<h3 id="ui-timings">{{ w.timings }}</h3>
<table><tr><th>{{ w.page }}</th><th>{{ w.lang }}</th><th>{{ w.ttfb }}</th><th>{{ w.dcl }}</th><th>{{ w.load }}</th></tr>
{% for p in ev.pages %}<tr><td>{{ p.name }}{% if p.source == "tour" %} <span class="muted">({{ w.tour }})</span>{% endif %}<div class="msg">{{ p.url }}</div></td><td>{{ p.lang or "–" }}</td>
{% set tm = p.timing or {} %}<td>{{ tm.ttfb_ms if tm.ttfb_ms is not none else "–" }}</td><td>{{ tm.dom_content_loaded_ms if tm.dom_content_loaded_ms is not none else "–" }}</td><td>{{ tm.load_ms if tm.load_ms is not none else "–" }}</td></tr>{% endfor %}
</table>
{% endif %}
""")

COMPARISON_TEMPLATE = _ENV.from_string("""
<p class="muted">{{ w.compare_intro }}</p>
<table><tr><th>{{ w.suite }}</th><th>{{ w.pages_audited }}</th><th>{{ w.third_parties }}</th><th>{{ w.cookies }}</th>
{% for i in impacts %}<th>axe {{ i }}</th>{% endfor %}<th>{{ w.worst_grade }}</th><th>{{ w.lang }}</th><th>{{ w.slowest }}</th></tr>
{% for r in rows %}<tr><td><a href="{{ r.name }}.html#ui">{{ r.name }}</a></td>
{% if r.s %}<td>{{ r.s.pages }}</td><td>{{ r.s.third }}</td><td>{{ r.s.cookies }}</td>{% for i in impacts %}<td>{{ r.s.axe[i] }}</td>{% endfor %}
<td>{{ r.s.worst_grade or "–" }}</td><td>{{ r.s.langs|join(", ") or "–" }}</td><td>{{ r.s.slowest if r.s.slowest is not none else "–" }} {{ w.ms }}</td>
{% else %}<td colspan="{{ 7 + impacts|length }}" class="muted">{{ w.no_evidence }}</td>{% endif %}</tr>{% endfor %}
</table>
""")


def _read(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load_evidence(run_dir: Path) -> dict:
    """The UI evidence of one run, gathered for the report."""
    folder = Path(run_dir) / "evidence" / "ui"
    journeys, tour = [], None
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = _read(path)
        if not isinstance(data, dict) or "steps" not in data:
            continue
        if data.get("kind") == "tour":
            tour = data
        else:
            journeys.append(data)
    judgements = [j for p in sorted((folder / "judgements").glob("*.json")) if (folder / "judgements").is_dir()
                  for j in [_read(p)] if isinstance(j, dict)]
    pages = []
    for source, data in ([("tour", tour)] if tour else []) + [("journey", j) for j in journeys]:
        for p in data.get("pages", []):
            pages.append({**p, "source": source})
    hosts: dict[str, dict] = {}
    for data in ([tour] if tour else []) + journeys:
        for h in data.get("hosts", []):
            row = hosts.setdefault(h["origin"], {**h, "requests": 0, "types": []})
            row["requests"] += h.get("requests", 0)
            row["types"] = sorted(set(row["types"]) | set(h.get("types", [])))
    cookies: dict[tuple, dict] = {}
    for data in ([tour] if tour else []) + journeys:
        for c in data.get("cookies", []):
            cookies.setdefault((c["name"], c["domain"], c.get("path", "/")), c)
    documents: dict[str, dict] = {}
    for p in pages:
        if p.get("observatory") and p.get("document"):
            documents.setdefault(p["observatory"]["url"], {"url": p["observatory"]["url"], "observatory": p["observatory"],
                                                           "headers": p["document"].get("headers", {})})
    axe_version = next((d.get("axe_version") for d in ([tour] if tour else []) + journeys if d.get("axe_version")), "")
    from ..ui.observatory import SOURCE
    return {"tour": tour, "journeys": journeys, "all": ([tour] if tour else []) + journeys, "judgements": judgements,
            "pages": pages, "hosts": sorted(hosts.values(), key=lambda h: (not h.get("third_party"), h["origin"])),
            "cookies": list(cookies.values()), "documents": list(documents.values()), "axe_version": axe_version,
            "observatory_source": SOURCE}


def summary(ev: dict) -> dict | None:
    if not ev["all"]:
        return None
    from ..ui.observatory import GRADES
    basis = [p for p in ev["pages"] if p["source"] == "tour"] or ev["pages"]
    axe_counts = {i: 0 for i in IMPACTS}
    seen = set()
    for p in basis:
        for v in (p.get("axe") or {}).get("violations", []):
            key = (p["url"], p.get("title"), v["id"])
            if key not in seen:
                seen.add(key)
                axe_counts[v["impact"]] = axe_counts.get(v["impact"], 0) + 1
    grades = [d["observatory"]["grade"] for d in ev["documents"]]
    loads = [p["timing"]["load_ms"] for p in basis if (p.get("timing") or {}).get("load_ms") is not None]
    return {"pages": len(basis), "third": sum(1 for h in ev["hosts"] if h.get("third_party")),
            "cookies": len(ev["cookies"]), "axe": axe_counts,
            "worst_grade": max(grades, key=GRADES.index) if grades else None,
            "slowest": max(loads) if loads else None,
            "langs": sorted({p.get("lang") or "–" for p in basis})}


def _verdict_class(outcome: str) -> str:
    return {"passed": "pass", "failed": "fail", "unsupported": "unsupported"}.get(outcome, "error")


def suite_section(ctx) -> Section | None:
    view, lang = ctx["view"], ctx.get("lang", "en")
    w = WORDS["da" if lang == "da" else "en"]
    ev = load_evidence(view.run.path)
    if not ev["all"] and "web-ui" not in (view.manifest.get("suite", {}).get("capabilities") or {}):
        return None
    base = view.link_base.rstrip("/")

    def link(rel: str) -> str:
        return f"{base}/{rel}" if base else rel

    html = SUITE_TEMPLATE.render(w=w, ev=ev, s=summary(ev) or {}, impacts=IMPACTS, link=link,
                                 verdict_class=_verdict_class)
    return Section(id="ui", title=w["title"], html=html, order=40)


def comparison_section(ctx) -> Section | None:
    lang = ctx.get("lang", "en")
    w = WORDS["da" if lang == "da" else "en"]
    rows = [{"name": v.name, "s": summary(load_evidence(v.run.path))} for v in ctx.get("views", [])]
    if not any(r["s"] for r in rows):
        return None
    return Section(id="ui", title=w["title"], html=COMPARISON_TEMPLATE.render(w=w, rows=rows, impacts=IMPACTS),
                   order=40)
