"""The load results in the reports: per stage its figures and charts (users, requests per second,
p50/p95 over time) in reports/<suite>.html; the capacity per suite and the p95 regressions
between comparable runs in reports/comparison.html. Charts are inline SVG (poc/charts.py)."""

from __future__ import annotations

from html import escape
from pathlib import Path

from .. import charts, runs
from ..load import compare, runner
from . import Section

WORDS = {
    "en": {"title": "Load and capacity", "stage": "Stage", "size": "Size", "users": "Peak users",
           "duration": "Duration", "requests": "Requests", "rps": "Req/s", "errors": "Errors",
           "cpu": "Generator CPU", "capacity": "Capacity (concurrent users)",
           "connections": "New connections (per user)", "accounts": "Accounts",
           "acc_school": "{n:,} own ({pupils:,} pupils, {teachers:,} teachers of school {school})",
           "handins": "{n:,} acknowledged hand-ins read back after the stage, {lost:,} lost.",
           "acc_shared": "{n} shared", "acc_used": "{n:,} different ones signed in", "host": "Machine",
           "host_note": "Machine: {cpus} cores, on average {busy:.0f} % busy during the stage{split}, load average "
                        "{load} at its end.",
           "host_split": " (the suite {suite:.0f} %, the generators {gen:.0f} %, other work {others:.0f} %)",
           "per_process": "One generator process holds up to {n:,} users here (open files {files:,}).",
           "conn_note": "A simulated user keeps one connection to each suite host, as a browser does; new "
                        "connections near the users times the hosts mean none was reopened needlessly.", "suite": "Suite", "run": "Run",
           "level": "Service level", "none": "No load stage in this run.",
           "intro": "Locust users acting as pupils and teachers over the suite's own protocols. A stage smaller "
                    "than a requirement's school size verifies nothing about that size; see the requirement rows.",
           "squeezed": "profile squeezed to {f:.2g} of its real length", "left_out": "Left out (capability missing)",
           "users_rps": "Users and requests per second", "latency": "Response time (ms, last 10 s)",
           "steps": "Capacity search: p95 per step", "no_capacity": "no capacity search yet (make load CAPACITY=1)",
           "regressions": "p95 regressions between comparable runs (same profile, size, duration and harness; more than {p:.0%})",
           "no_regressions": "No p95 regression between comparable runs.",
           "cap_intro": "The largest number of concurrent users held through a whole step of the stepped ramp "
                        "within the service level; ± the step size."},
    "da": {"title": "Belastning og kapacitet", "stage": "Forløb", "size": "Størrelse", "users": "Maks. brugere",
           "duration": "Varighed", "requests": "Forespørgsler", "rps": "Forespørgsler/s", "errors": "Fejl",
           "cpu": "Generatorens CPU", "capacity": "Kapacitet (samtidige brugere)",
           "connections": "Nye forbindelser (pr. bruger)", "accounts": "Konti",
           "acc_school": "{n:,} egne ({pupils:,} elever, {teachers:,} lærere på skolen {school})",
           "handins": "{n:,} kvitterede afleveringer læst tilbage efter forløbet, {lost:,} tabt.",
           "acc_shared": "{n} delte", "acc_used": "{n:,} forskellige loggede ind", "host": "Maskine",
           "host_note": "Maskine: {cpus} kerner, i gennemsnit {busy:.0f} % optaget under forløbet{split}, "
                        "belastningsgennemsnit {load} ved afslutningen.",
           "host_split": " (løsningen {suite:.0f} %, generatorerne {gen:.0f} %, andet arbejde {others:.0f} %)",
           "per_process": "Én generatorproces kan holde op til {n:,} brugere her (åbne filer {files:,}).",
           "conn_note": "En simuleret bruger holder én forbindelse til hver af løsningens værter, som en browser; "
                        "nye forbindelser tæt på brugere gange værter betyder, at ingen blev genåbnet unødigt.", "suite": "Løsning",
           "run": "Kørsel", "level": "Serviceniveau", "none": "Ingen belastningstest i denne kørsel.",
           "intro": "Locust-brugere der agerer elever og lærere over løsningens egne protokoller. Et forløb med en "
                    "mindre skole end kravets størrelse verificerer intet om den størrelse; se kravrækkerne.",
           "squeezed": "profilen presset til {f:.2g} af sin rigtige længde",
           "left_out": "Udeladt (kapabilitet mangler)", "users_rps": "Brugere og forespørgsler pr. sekund",
           "latency": "Svartid (ms, seneste 10 s)", "steps": "Kapacitetssøgning: p95 pr. trin",
           "no_capacity": "ingen kapacitetssøgning endnu (make load CAPACITY=1)",
           "regressions": "p95-forværringer mellem sammenlignelige kørsler (samme profil, størrelse, varighed og "
                          "testværktøj; mere end {p:.0%})",
           "no_regressions": "Ingen p95-forværring mellem sammenlignelige kørsler.",
           "cap_intro": "Det største antal samtidige brugere der blev holdt et helt trin af den trinvise optrapning "
                        "inden for serviceniveauet; ± trinstørrelsen."},
}


def _w(ctx) -> dict:
    return WORDS.get(ctx.get("lang"), WORDS["en"])


def _ms(v) -> str:
    return "–" if v is None else f"{v:,.0f} ms"


def _stage_table(stages: list[dict], w: dict) -> str:
    rows = [f"<table><tr><th>{w['stage']}</th><th>{w['size']}</th><th>{w['users']}</th><th>{w['duration']}</th>"
            f"<th>{w['requests']}</th><th>{w['rps']}</th><th>p50</th><th>p95</th><th>{w['errors']}</th>"
            f"<th>{w['cpu']}</th><th>{w['connections']}</th><th>{w['accounts']}</th></tr>"]
    for s in stages:
        t = s.get("total") or {}
        note = f" <span class=\"muted\">({escape(w['squeezed'].format(f=s['time_factor']))})</span>" \
            if s.get("time_factor") and s["time_factor"] < 0.999 else ""
        rows.append(f"<tr><td>{escape(str(s.get('stage')))}{note}</td><td>{escape(str(s.get('size')))}</td>"
                    f"<td>{s.get('peak_users', 0):,}</td><td>{s.get('duration_s', 0):.0f} s</td>"
                    f"<td>{t.get('requests', 0):,}</td><td>{s.get('rps', 0):.1f}</td><td>{_ms(t.get('p50_ms'))}</td>"
                    f"<td>{_ms(t.get('p95_ms'))}</td><td>{s.get('error_rate', 0):.2%}</td>"
                    f"<td>{s.get('generator_cpu_peak', 0):.0f} %</td><td>{_connections(s)}</td>"
                    f"<td>{_accounts(s, w)}</td></tr>")
    rows.append("</table>")
    for s in stages:
        hi = s.get("handins") or {}
        if hi.get("checked"):
            rows.append(f"<p>{escape(str(s.get('stage')))}: " + escape(w["handins"].format(
                n=hi["checked"], lost=hi.get("lost_count", 0))) + "".join(
                f"<br><code>{escape(x)}</code>" for x in hi.get("lost", [])[:5]) + "</p>")
        h = s.get("host") or {}
        if h.get("busy_mean_pct") is not None:
            split = w["host_split"].format(suite=h["suite_pct"], gen=h.get("generators_pct", 0),
                                           others=h.get("others_pct", 0)) if h.get("suite_pct") is not None else ""
            rows.append(f"<p class=\"muted\">{escape(str(s.get('stage')))}: " + escape(w["host_note"].format(
                cpus=h.get("cpus"), busy=h["busy_mean_pct"], split=split,
                load=" / ".join(str(x) for x in h.get("loadavg_end", [])))) + "</p>")
    if any(s.get("connections") for s in stages):
        per = next((s for s in stages if s.get("users_per_process")), None)
        held = (" " + w["per_process"].format(n=per["users_per_process"], files=per.get("open_files", 0))) if per else ""
        rows.append(f"<p class=\"muted\">{escape(w['conn_note'] + held)}</p>")
    return "".join(rows)


def _accounts(s: dict, w: dict) -> str:
    """Whose accounts the stage's users signed in as: a school of their own, or the suite's shared test accounts."""
    a = s.get("accounts")
    if not a:
        return "–"
    if a.get("mode") == "school":
        text = w["acc_school"].format(n=a.get("accounts", 0), pupils=a.get("pupils", 0), teachers=a.get("teachers", 0),
                                      school=a.get("school", ""))
    else:
        text = w["acc_shared"].format(n=a.get("accounts", 0))
    if a.get("distinct_used") is not None:
        text += "; " + w["acc_used"].format(n=a["distinct_used"])
    note = a.get("note")
    return escape(text) + (f' <span class="muted">({escape(note)})</span>' if note else "")


def _connections(s: dict) -> str:
    c = s.get("connections")
    if not c:
        return "–"
    return f"{c.get('opened', 0):,} ({c.get('per_user', 0):.2g})"


def stage_charts(s: dict, w: dict) -> str:
    h = s.get("history") or []
    if not h:
        return ""
    name = escape(str(s.get("stage")))
    a = charts.lines({"users": [(p["t"], p["users"]) for p in h], "req/s": [(p["t"], p["rps"]) for p in h]},
                     title=f"{name}: {w['users_rps']}", x_label="s", y_label=w["users_rps"], height=180)
    b = charts.lines({"p50": [(p["t"], p["p50_ms"]) for p in h], "p95": [(p["t"], p["p95_ms"]) for p in h]},
                     title=f"{name}: {w['latency']}", x_label="s", y_label=w["latency"], height=180)
    return a + b


def _capacity_html(s: dict, w: dict) -> str:
    cap = s.get("capacity") or {}
    steps = cap.get("steps") or []
    chart = charts.lines({"p95 (ms)": [(st["users"], st["p95_ms"] or 0) for st in steps]},
                         title=w["steps"], x_label="users", y_label="p95 ms", height=160) if steps else ""
    return f"<p><strong>{escape(cap.get('text', ''))}</strong></p>{chart}"


def latest_capacity(suite: str, root: Path | None = None) -> dict | None:
    found = [s for s in compare.all_summaries(root or runs.runs_dir())
             if s.get("suite") == suite and s.get("capacity") and s["capacity"].get("steps")]
    return found[-1] if found else None


def suite_section(ctx) -> Section | None:
    view = ctx.get("view")
    if view is None:
        return None
    w = _w(ctx)
    stages = runner.summaries(view.run.path)
    cap = latest_capacity(view.name, Path(view.run.path).parent)
    if not stages and not cap:
        return None
    parts = [f"<p>{escape(w['intro'])}</p>"]
    profiles = [s for s in stages if s.get("kind") != "capacity"]
    if profiles:
        parts.append(_stage_table(profiles, w))
        for s in profiles:
            if s.get("left_out"):
                parts.append(f"<p class=\"muted\">{escape(w['left_out'])}: {escape('; '.join(s['left_out']))}</p>")
                break
        parts += [stage_charts(s, w) for s in profiles]
    else:
        parts.append(f"<p class=\"muted\">{escape(w['none'])}</p>")
    parts.append(f"<h3>{escape(w['capacity'])}</h3><p>{escape(w['cap_intro'])}</p>")
    parts.append(_capacity_html(cap, w) if cap else f"<p class=\"muted\">{escape(w['no_capacity'])}</p>")
    flagged = [r for r in compare.regressions(compare.all_summaries(Path(view.run.path).parent))
               if r["suite"] == view.name]
    parts.append(_regressions_html(flagged, w))
    return Section("load", w["title"], "".join(parts), order=60)


def _regressions_html(flagged: list[dict], w: dict) -> str:
    head = f"<h3>{escape(w['regressions'].format(p=compare.FACTOR - 1))}</h3>"
    if not flagged:
        return head + f"<p>{escape(w['no_regressions'])}</p>"
    rows = ["<table class=\"regressions\"><tr><th>Suite</th><th>Stage</th><th>Size</th><th>p95 before</th>"
            "<th>p95 after</th><th>Change</th></tr>"]
    for r in flagged:
        rows.append(f"<tr class=\"regression\"><td>{escape(str(r['suite']))}</td><td>{escape(str(r['stage']))}</td>"
                    f"<td>{escape(str(r['size']))}</td><td>{_ms(compare.p95(r['before']))}</td>"
                    f"<td>{_ms(compare.p95(r['after']))}</td><td>⚠ +{r['ratio'] - 1:.0%}</td></tr>")
    rows.append("</table>")
    return head + "".join(rows)


def comparison_section(ctx) -> Section | None:
    views = ctx.get("views") or []
    if not views:
        return None
    w = _w(ctx)
    root = runs.runs_dir()
    every = compare.all_summaries(root)
    if not every:
        return None
    rows = [f"<p>{escape(w['cap_intro'])}</p><table><tr><th>{w['suite']}</th><th>{w['capacity']}</th>"
            f"<th>{w['level']}</th><th>{w['run']}</th></tr>"]
    for v in views:
        cap = latest_capacity(v.name, root)
        if cap:
            c = cap["capacity"]
            plan = c.get("plan", {})
            rows.append(f"<tr><td>{escape(v.name)}</td><td><strong>{c['capacity']:,} ± {c['precision']}</strong></td>"
                        f"<td>p95 ≤ {plan.get('p95_ms', 0):.0f} ms, errors ≤ {plan.get('error_rate', 0):.1%}</td>"
                        f"<td>{escape(cap.get('run_id', ''))}</td></tr>")
        else:
            rows.append(f"<tr><td>{escape(v.name)}</td><td class=\"muted\">{escape(w['no_capacity'])}</td>"
                        f"<td></td><td></td></tr>")
    rows.append("</table>")
    bars = [(v.name, latest_capacity(v.name, root)) for v in views]
    bars = [(n, c) for n, c in bars if c]
    if bars:
        top = max(c["capacity"]["capacity"] for _, c in bars) or 1
        rows.append(charts.bars([w["capacity"]], {n: [c["capacity"]["capacity"] / top] for n, c in bars},
                                title=w["capacity"] + " / max"))
    names = {v.name for v in views}
    rows.append(_regressions_html([r for r in compare.regressions(every) if r["suite"] in names], w))
    return Section("load", w["title"], "".join(rows), order=60)
