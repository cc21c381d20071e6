"""The conformance suites in the reports: what litmus (WebDAV) and caldav-server-tester (CalDAV) found
on a suite, beside the harness's own verdicts, and where the two disagree.

reports/<suite>.html gets, per tool and group, the passed, failed and skipped checks with the
failing checks named and the raw output linked, and the cross-check (scenarios/conformance/
crosscheck.yaml): per overlapping requirement both answers, agree or *disputed*, and the agreement
figure. reports/comparison.html shows the suites side by side, per group and per check (the way
wpt.fyi shows one test across implementations), and counts the disputed verdicts per suite.

The figures are also left in ``view.extra["conformance"]`` (so they reach comparison.json and the
suite page's requirement rows, which flag a disputed verdict). Conformance results are evidence:
they change no score.
"""

from __future__ import annotations

import os
from pathlib import Path

import jinja2

from .. import conformance, runs
from ..conformance import crosscheck
from . import Section

WORDS = {
    "en": {
        "title": "Conformance suites: litmus and caldav-server-tester",
        "intro": ("The protocols' own test suites, run against the same server as the pupil test account on the "
                  "pupil's own data (cleaned up after): litmus, the WebDAV suite Nextcloud's own CI runs, and "
                  "caldav-server-tester, the probe behind python-caldav's per-server compatibility hints. They "
                  "are evidence beside the harness's verdicts and change no score; where they contradict a "
                  "verdict of the harness, the requirement is marked disputed and both sides are shown."),
        "tool": "Tool", "group": "Group", "passed": "passed", "failed": "failed", "skipped": "skipped",
        "failing": "Failing checks", "raw": "Raw output", "version": "Version", "result": "Result",
        "not_applicable": "not applicable", "error": "error", "none": "No conformance stage in this run "
        "(make evaluate ONLY=conformance SUITE={suite}).", "from_run": "From run {run} of the same suite.",
        "crosscheck": "Cross-check with the harness's verdicts",
        "crosscheck_intro": ("Which requirement verdicts overlap which conformance checks, and why, is data: "
                             "scenarios/conformance/crosscheck.yaml. A requirement is disputed when the harness "
                             "says pass and a listed check fails, or the harness says fail, partial or unsupported "
                             "and the listed checks pass."),
        "requirement": "Requirement", "harness": "Harness", "checks": "Conformance checks",
        "conformance": "Conformance", "agreement": "Agreement", "why": "Why they overlap",
        "agree": "agree", "disputed": "disputed", "not-compared": "not compared",
        "figure": "The harness and the conformance suites agree on {agree} of {compared} compared verdicts.",
        "figure_none": "No verdict could be compared in this run.",
        "disputed_list": "Disputed", "suite": "Suite", "compared": "Compared", "side_by_side": "Side by side",
        "side_intro": ("Each check of each tool across the suites (from each suite's run in the comparison). "
                       "The suites' counts per group are in the summary of each group."),
        "check": "Check", "compare_intro": ("From the run of each suite in the comparison; a disputed verdict is one "
                                            "the protocol's own suite contradicts on the same server."),
        "ran_as": "as {account} against {target}", "seconds": "s",
        "fresh_folder": "each group in a fresh folder of its own, removed after",
    },
    "da": {
        "title": "Konformitetstests: litmus og caldav-server-tester",
        "intro": ("Protokollernes egne testsæt, kørt mod den samme server som elevens testkonto på elevens egne data "
                  "(ryddet op bagefter): litmus, WebDAV-testsættet som Nextclouds egen CI kører, og "
                  "caldav-server-tester, værktøjet bag python-caldavs kompatibilitetsnoter pr. server. De er "
                  "dokumentation ved siden af testværktøjets vurderinger og ændrer ingen score; hvor de modsiger en "
                  "vurdering, markeres kravet som omstridt, og begge sider vises."),
        "tool": "Værktøj", "group": "Gruppe", "passed": "bestået", "failed": "fejlet", "skipped": "sprunget over",
        "failing": "Fejlede tjek", "raw": "Rå uddata", "version": "Version", "result": "Resultat",
        "not_applicable": "ikke relevant", "error": "fejl", "none": "Ingen konformitetstest i denne kørsel "
        "(make evaluate ONLY=conformance SUITE={suite}).", "from_run": "Fra kørsel {run} af samme løsning.",
        "crosscheck": "Krydstjek med testværktøjets vurderinger",
        "crosscheck_intro": ("Hvilke kravvurderinger der overlapper hvilke konformitetstjek, og hvorfor, er data: "
                             "scenarios/conformance/crosscheck.yaml. Et krav er omstridt, når testværktøjet siger "
                             "bestået og et af tjekkene fejler, eller testværktøjet siger ikke bestået, delvist "
                             "eller ikke understøttet og tjekkene består."),
        "requirement": "Krav", "harness": "Testværktøjet", "checks": "Konformitetstjek",
        "conformance": "Konformitet", "agreement": "Enighed", "why": "Hvorfor de overlapper",
        "agree": "enige", "disputed": "omstridt", "not-compared": "ikke sammenlignet",
        "figure": "Testværktøjet og konformitetstestene er enige om {agree} af {compared} sammenlignede vurderinger.",
        "figure_none": "Ingen vurdering kunne sammenlignes i denne kørsel.",
        "disputed_list": "Omstridte", "suite": "Løsning", "compared": "Sammenlignet", "side_by_side": "Side om side",
        "side_intro": ("Hvert tjek i hvert værktøj på tværs af løsningerne (fra hver løsnings kørsel i "
                       "sammenligningen)."),
        "check": "Tjek", "compare_intro": ("Fra hver løsnings kørsel i sammenligningen; en omstridt vurdering er én, "
                                           "som protokollens eget testsæt modsiger på samme server."),
        "ran_as": "som {account} mod {target}", "seconds": "s",
        "fresh_folder": "hver gruppe i sin egen nye mappe, fjernet bagefter",
    },
}

_ENV = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

SUITE_TEMPLATE = _ENV.from_string("""
<p class="muted">{{ w.intro }}</p>
{% if not results %}<p>{{ w.none.format(suite=suite) }}</p>{% else %}
{% if source %}<p class="muted">{{ w.from_run.format(run=source) }}</p>{% endif %}
{% for tool, rs in tools.items() %}{% set first = rs[0] %}
<h4>{{ tool }}{% if first.version %} <span class="muted">{{ first.version }}</span>{% endif %}</h4>
{% if first.account %}<p class="muted">{{ w.ran_as.format(account=first.account, target=where(rs)) }}{% if rs|length > 1 %} ({{ w.fresh_folder }}){% endif %}</p>{% endif %}
<table><tr><th>{{ w.group }}</th><th>{{ w.result }}</th><th>{{ w.failing }}</th><th>{{ w.raw }}</th></tr>
{% for r in rs %}{% set counts = r.group_counts() %}
{% if r.status == "not-applicable" %}
<tr><td>{{ r.groups|join(", ") or "–" }}</td><td><span class="v v-not-tested">{{ w.not_applicable }}</span></td><td class="muted" colspan="2">{{ r.message }}</td></tr>
{% else %}
{% if r.status == "error" %}<tr><td>{{ r.groups|join(", ") or "–" }}</td><td colspan="3"><span class="v v-error">{{ w.error }}</span><div class="msg">{{ r.message }}</div></td></tr>{% endif %}
{% for g in r.groups %}{% set c = counts[g] %}
<tr><td>{{ g }}</td>
<td><span class="v v-pass">{{ c.passed }} {{ w.passed }}</span> <span class="v v-{{ 'fail' if c.failed else 'pass' }}">{{ c.failed }} {{ w.failed }}</span>{% if c.skipped %} <span class="v v-skipped">{{ c.skipped }} {{ w.skipped }}</span>{% endif %}</td>
<td>{% for f in c.failing %}<div class="msg">{{ f }}</div>{% endfor %}</td>
<td>{% if loop.first %}{% for p in r.raw %}<a href="{{ link(p) }}">{{ p.split("/")[-1] }}</a>{{ " · " if not loop.last }}{% endfor %} <span class="muted">{{ "%.1f"|format(r.seconds) }} {{ w.seconds }}</span>{% endif %}</td></tr>
{% endfor %}
{% if r.status != "error" and r.message %}<tr><td></td><td colspan="3" class="muted">{{ r.message }}</td></tr>{% endif %}
{% endif %}
{% endfor %}
</table>
{% endfor %}
{% endif %}
<h3 id="conformance-crosscheck">{{ w.crosscheck }}</h3>
<p class="muted">{{ w.crosscheck_intro }}</p>
<p><strong>{% if summary.compared %}{{ w.figure.format(agree=summary.agree, compared=summary.compared) }}{% else %}{{ w.figure_none }}{% endif %}</strong>
{% if summary.disputed %} {{ w.disputed_list }}: {% for rid in summary.disputed %}<a href="#req-{{ rid }}">{{ rid }}</a>{{ ", " if not loop.last }}{% endfor %}.{% endif %}</p>
<table><tr><th>{{ w.requirement }}</th><th>{{ w.harness }}</th><th>{{ w.checks }}</th><th>{{ w.conformance }}</th><th>{{ w.agreement }}</th><th>{{ w.why }}</th></tr>
{% for c in comparisons %}
<tr id="crosscheck-{{ c.requirement }}-{{ c.tool }}"{% if c.status == "disputed" %} class="disputed"{% endif %}><td><a href="#req-{{ c.requirement }}">{{ c.requirement }}</a></td>
<td><span class="v v-{{ c.harness }}">{{ t[c.harness] if c.harness in t else c.harness }}</span></td>
<td>{{ c.tool }}{% for x in c.checks %}<div class="msg"><span class="v v-{{ 'pass' if x.outcome == 'pass' else ('fail' if x.outcome == 'fail' else 'skipped') }}">{{ x.outcome }}</span> {{ x.key }}{% if x.detail %} – {{ x.detail }}{% endif %}</div>{% endfor %}</td>
<td>{% if c.conformance_side %}<span class="v v-{{ c.conformance_side }}">{{ c.conformance_side }}</span>{% else %}–{% endif %}</td>
<td>{% if c.status == "disputed" %}<strong class="v v-fail">⚑ {{ w.disputed }}</strong>{% elif c.status == "agree" %}<span class="v v-pass">{{ w.agree }}</span>{% else %}<span class="muted">{{ w["not-compared"] }}</span><div class="muted">{{ c.why }}</div>{% endif %}</td>
<td class="muted">{{ c.reason }}</td></tr>
{% endfor %}
</table>
""")

COMPARISON_TEMPLATE = _ENV.from_string("""
<p class="muted">{{ w.compare_intro }}</p>
<table><tr><th>{{ w.suite }}</th>{% for tool in tools %}<th>{{ tool }}</th>{% endfor %}<th>{{ w.compared }}</th><th>{{ w.agree }}</th><th>{{ w.disputed }}</th><th>{{ w.agreement }}</th></tr>
{% for s in suites %}<tr><td><a href="{{ s.name }}.html#conformance">{{ s.name }}</a></td>
{% for tool in tools %}{% set x = s.tools.get(tool) %}<td>{% if not x %}–{% elif x.status == "not-applicable" %}<span class="muted">{{ w.not_applicable }}</span>{% else %}{% if x.status == "error" %}<span class="v v-error">{{ w.error }}</span> {% endif %}{{ x.passed }}/{{ x.passed + x.failed }} {{ w.passed }}{% endif %}</td>{% endfor %}
<td>{{ s.summary.compared }}</td><td>{{ s.summary.agree }}</td>
<td>{% if s.summary.disputed %}<strong class="v v-fail">⚑ {{ s.summary.disputed|length }}</strong> <span class="muted">{{ s.summary.disputed|join(", ") }}</span>{% else %}0{% endif %}</td>
<td>{{ "%.0f %%"|format(100 * s.summary.agreement) if s.summary.agreement is not none else "–" }}</td></tr>{% endfor %}
</table>
{% if grid %}
<h3 id="conformance-side-by-side">{{ w.side_by_side }}</h3>
<p class="muted">{{ w.side_intro }}</p>
{% for tool, groups in grid.items() %}
{% for group, block in groups.items() %}
<details><summary><strong>{{ tool }} · {{ group }}</strong>{% for s in suites %} · {{ s.name }}: {{ block.counts[s.name] or (w.not_applicable if (s.tools.get(tool) or {}).get("status") == "not-applicable" else "–") }}{% endfor %}</summary>
<table><tr><th>{{ w.check }}</th>{% for s in suites %}<th>{{ s.name }}</th>{% endfor %}</tr>
{% for key, cells in block.rows.items() %}<tr><td class="msg">{{ key }}</td>
{% for s in suites %}{% set cell = cells.get(s.name) %}<td{% if cell %} class="cell-{{ 'pass' if cell.outcome == 'pass' else ('fail' if cell.outcome == 'fail' else 'not-tested') }}" title="{{ cell.detail }}"{% endif %}>{{ cell.outcome if cell else ("n/a" if (s.tools.get(tool) or {}).get("status") == "not-applicable" else "–") }}{% if cell and cell.detail and cell.outcome != "pass" %}<div class="muted">{{ cell.detail[:120] }}</div>{% endif %}</td>{% endfor %}</tr>
{% endfor %}</table></details>
{% endfor %}{% endfor %}
{% endif %}
""")


def _w(ctx) -> dict:
    return WORDS["da" if ctx.get("lang") == "da" else "en"]


def results_of(view) -> tuple[list, str | None]:
    """The conformance results of the view's run; where that run had no conformance stage (an API
    run, say), those of the newest run of the same suite that had one, with that run's id."""
    own = conformance.read_results(view.run.path)
    if own:
        return own, None
    folder = Path(view.run.path).parent
    for run in sorted(runs.all_runs(folder), key=lambda r: r.manifest.get("started", ""), reverse=True):
        if run.suite == view.name and run.path != view.run.path and run.manifest.get("status") != "running":
            found = conformance.read_results(run.path)
            if found:
                return found, run.id
    return [], None


def _table() -> list:
    try:
        return crosscheck.load()
    except Exception:  # `make validate` names what is wrong with it; the report goes on without it
        return []


def analyse(view) -> dict:
    """The view's conformance results, the cross-check and its summary (computed once per view)."""
    cached = getattr(view, "_poc_conformance", None)
    if cached is not None:
        return cached
    results, source = results_of(view)
    verdicts = {rid: row["verdict"] for rid, row in view.req.items()}
    order = {crosscheck.DISPUTED: 0, crosscheck.AGREE: 1, crosscheck.NOT_COMPARED: 2}  # what needs a look first
    comparisons = sorted(crosscheck.compare(_table(), verdicts, results), key=lambda c: order[c.status])
    summary = crosscheck.summary(comparisons)
    tools = {}
    for tool, rs in conformance.by_tool(results).items():
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        for r in rs:
            for k, v in r.counts().items():
                counts[k] += v
        status = ("error" if any(r.status == conformance.ERROR for r in rs) else
                  "not-applicable" if all(r.status == conformance.NOT_APPLICABLE for r in rs) else "completed")
        tools[tool] = {**counts, "status": status, "version": next((r.version for r in rs if r.version), "")}
    data = {"results": results, "source": source, "comparisons": comparisons, "summary": summary, "tools": tools}
    view._poc_conformance = data  # not in view.extra: that goes into comparison.json as it is
    if results:  # only what is JSON goes into comparison.json
        view.extra["conformance"] = {**summary, "tools": tools, "run_id": source or view.run.id,
                                     "disputes": [c.to_dict() for c in comparisons if c.status == crosscheck.DISPUTED]}
    return data


def suite_section(ctx) -> Section | None:
    view = ctx.get("view")
    if view is None:
        return None
    w = _w(ctx)
    data = analyse(view)
    offered = set((view.manifest.get("suite") or {}).get("capabilities") or {})
    if not data["results"] and not offered & set(crosscheck.TOOL_CAPABILITY.values()):
        return None  # nothing ran and nothing could have: no section for a suite without DAV
    base = view.link_base.rstrip("/")
    if data["source"]:
        base = str(Path(base).parent / data["source"])

    def link(rel: str) -> str:
        return f"{base}/{rel}" if base else rel

    def where(rs) -> str:  # the URL the tool ran under: litmus's groups each had a folder of their own
        targets = [r.target for r in rs if r.target]
        common = os.path.commonprefix(targets) if len(targets) > 1 else (targets[0] if targets else "")
        return common[:common.rfind("/") + 1] if len(targets) > 1 else common

    html = SUITE_TEMPLATE.render(where=where, w=w, t=ctx.get("t") or {}, results=data["results"], source=data["source"],
                                 tools=_one_row_when_not_applicable(conformance.by_tool(data["results"])),
                                 suite=view.name, comparisons=data["comparisons"], summary=data["summary"],
                                 link=link)
    return Section("conformance", w["title"], html, order=55)


def _one_row_when_not_applicable(tools: dict) -> dict:
    """A tool with no endpoint on the suite is one row, not one per litmus group."""
    out = {}
    for tool, rs in tools.items():
        if len(rs) > 1 and all(r.status == conformance.NOT_APPLICABLE for r in rs):
            rs = [conformance.ToolResult(tool, conformance.NOT_APPLICABLE, rs[0].message,
                                         groups=[g for r in rs for g in r.groups])]
        out[tool] = rs
    return out


def _grid(views: list, data: dict) -> dict:
    """tool -> group -> {"rows": {check key: {suite: check}}, "counts": {suite: "p/t"}}."""
    grid: dict = {}
    for v in views:
        for r in data[v.name]["results"]:
            if r.status == conformance.NOT_APPLICABLE:
                continue
            for c in r.checks:
                block = grid.setdefault(r.tool, {}).setdefault(c.group, {"rows": {}, "counts": {}})
                block["rows"].setdefault(c.key, {})[v.name] = c
    for tool, groups in grid.items():
        for group, block in groups.items():
            for v in views:
                cells = [row[v.name] for row in block["rows"].values() if v.name in row]
                judged = [c for c in cells if c.outcome in (conformance.PASS, conformance.FAIL)]
                block["counts"][v.name] = (f"{sum(c.outcome == conformance.PASS for c in judged)}/{len(judged)}"
                                           if judged else "")
    return grid


def comparison_section(ctx) -> Section | None:
    views = ctx.get("views") or []
    data = {v.name: analyse(v) for v in views}
    if not any(d["results"] for d in data.values()):
        return None
    w = _w(ctx)
    tools = sorted({t for d in data.values() for t in d["tools"]}, key=lambda t: (t != "litmus", t))
    suites = [{"name": v.name, "tools": data[v.name]["tools"], "summary": data[v.name]["summary"]} for v in views]
    html = COMPARISON_TEMPLATE.render(w=w, tools=tools, suites=suites, grid=_grid(views, data))
    return Section("conformance", w["title"], html, order=55)
