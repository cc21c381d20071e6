"""The network evidence in the reports: what a suite looked up and tried to reach from its network
namespace during the run (PRI-07, poc/isolation), and the TLS probe of its HTTPS origins (PRI-09,
poc/tlsprobe.py).

Read from the run folder: evidence/isolation/ (namespace.json, dns.jsonl, connections.jsonl,
counts.json, judged.json) and the PRI-09 scenario's evidence (tls.json)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from ..isolation import FOLDER, judge
from . import Section

WORDS = {
    "en": {
        "title": "Network: what the suite tried to reach, and TLS",
        "pri07": "What the suite tried to reach (PRI-07)",
        "pri09": "TLS (PRI-09)",
        "ns": ("The suite, and the scenarios with the browser, ran in the network namespace {name}: loopback and a "
               "veth pair with both ends inside and no link to the host's network; a DNS answerer inside logged every "
               "lookup (outside names got an address of 198.18.0.0/15 that leads nowhere) and every frame sent into "
               "the link was recorded."),
        "proof": ("Self-check before the scenarios: a connection to {to} from inside {result}; frames of it seen on "
                  "the host's interfaces ({ifs}): {n}."),
        "proof_failed": "failed as it must", "proof_ok": "did not fail",
        "as_shipped": "Network defaults: {note}",
        "changed": "The harness changed these of the suite's defaults for this run: {items}.",
        "unchanged": "The harness changed none of the suite's network defaults for this run (as shipped).",
        "not_isolated": "Not isolated in this run: {why}",
        "nothing": "The suite looked up no outside name and tried to reach no outside host.",
        "outside": "Outside hosts", "local": "Local names and addresses (not outside hosts; listed only)",
        "time": "Time (UTC)", "who": "By", "what": "What", "target": "Host, port", "process": "Process",
        "frames": "Frames", "lookup": "lookup", "connection": "connection",
        "suite": "the suite", "harness": "the harness (not counted)", "unknown": "process not known",
        "after": "after the verdict (shutdown)",
        "no_tls": "No TLS probe in this run: {why}",
        "origin": "Origin", "versions": "Versions", "certificate": "Certificate", "weak": "Weak cipher suites",
        "hsts": "HSTS", "http": "Plain HTTP", "faults": "Faults", "notes": "Notes", "none": "none",
        "accepted": "accepted", "refused": "refused", "weak_source": "Weak list: {src}",
        "cmp_suite": "Suite", "cmp_pri07": "PRI-07", "cmp_tried": "Outside hosts the suite tried to reach",
        "cmp_harness": "Tried by the harness's own processes", "cmp_pri09": "PRI-09",
        "cmp_not": "not isolated", "cmp_intro": "From each suite's run in this comparison; details in each suite's report.",
    },
    "da": {
        "title": "Netværk: hvad løsningen forsøgte at nå, og TLS",
        "pri07": "Hvad løsningen forsøgte at nå (PRI-07)",
        "pri09": "TLS (PRI-09)",
        "ns": ("Løsningen, og scenarierne med browseren, kørte i netværksnavnerummet {name}: loopback og et veth-par "
               "med begge ender indenfor og ingen forbindelse til værtens netværk; en DNS-besvarer indenfor logførte "
               "hvert opslag (navne udenfor fik en adresse i 198.18.0.0/15, der ikke fører nogen steder hen), og hver "
               "pakke sendt ud på forbindelsen blev registreret."),
        "proof": ("Selvtjek før scenarierne: en forbindelse til {to} indefra {result}; pakker fra den set på værtens "
                  "netkort ({ifs}): {n}."),
        "proof_failed": "mislykkedes som den skal", "proof_ok": "mislykkedes ikke",
        "as_shipped": "Netværksstandarder: {note}",
        "changed": "Testværktøjet ændrede disse af løsningens standarder i denne kørsel: {items}.",
        "unchanged": "Testværktøjet ændrede ingen af løsningens netværksstandarder i denne kørsel (som leveret).",
        "not_isolated": "Ikke isoleret i denne kørsel: {why}",
        "nothing": "Løsningen slog intet navn udenfor op og forsøgte ikke at nå nogen vært udenfor.",
        "outside": "Værter udenfor", "local": "Lokale navne og adresser (ikke værter udenfor; kun vist)",
        "time": "Tid (UTC)", "who": "Af", "what": "Hvad", "target": "Vært, port", "process": "Proces",
        "frames": "Pakker", "lookup": "opslag", "connection": "forbindelse",
        "suite": "løsningen", "harness": "testværktøjet (tæller ikke)", "unknown": "ukendt proces",
        "after": "efter vurderingen (nedlukning)",
        "no_tls": "Ingen TLS-undersøgelse i denne kørsel: {why}",
        "origin": "Oprindelse", "versions": "Versioner", "certificate": "Certifikat", "weak": "Svage krypteringssæt",
        "hsts": "HSTS", "http": "Ukrypteret HTTP", "faults": "Fejl", "notes": "Bemærkninger", "none": "ingen",
        "accepted": "accepteret", "refused": "afvist", "weak_source": "Listen over svage: {src}",
        "cmp_suite": "Løsning", "cmp_pri07": "PRI-07", "cmp_tried": "Værter udenfor som løsningen forsøgte at nå",
        "cmp_harness": "Forsøgt af testværktøjets egne processer", "cmp_pri09": "PRI-09",
        "cmp_not": "ikke isoleret", "cmp_intro": "Fra hver løsnings kørsel i sammenligningen; detaljer i løsningens rapport.",
    },
}


def _w(ctx) -> dict:
    return WORDS.get(ctx.get("lang"), WORDS["en"])


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _message(view, rid: str) -> tuple[str, str]:
    rows = view.scenarios_of(rid)
    if not rows:
        return "", ""
    return str(rows[0].get("verdict") or ""), str(rows[0].get("message") or "")


def network(view) -> dict:
    """What the run's capture holds: the namespace, the judged attempts and the defaults changed."""
    folder = Path(view.run.path) / "evidence" / FOLDER
    ns = _json(folder / judge.NAMESPACE_FILE)
    if not ns:
        return {"isolated": False}
    judged = _json(folder / "judged.json")
    capture = judge.read(folder, suite_pids=set(judged.get("suite_pids") or []), until=judged.get("t"))
    return {"isolated": True, "namespace": ns, "judged": judged, "attempts": capture.attempts,
            "defaults": judged.get("defaults") or {}}


def _grouped(attempts) -> list[dict]:
    """One row per who, host and process: first time, the lookups, the ports tried, the frames."""
    groups: dict[tuple, dict] = {}
    for a in attempts:
        proc = a.process or {}
        key = (a.who, a.host, proc.get("comm") or "", a.after)
        g = groups.setdefault(key, {"first": a.time, "who": a.who, "host": a.host, "after": a.after, "lookups": set(),
                                    "ports": set(), "addresses": set(), "connections": 0, "frames": 0,
                                    "pids": set(), "program": proc.get("program") or ""})
        if a.kind == "lookup":
            g["lookups"].add(a.proto)
        else:
            g["connections"] += 1
            g["frames"] += a.frames
            g["ports"].add(f"{a.port}/{a.proto}" if a.port is not None else a.proto)
            if a.address and a.address != a.host:
                g["addresses"].add(a.address)
        if proc.get("pid"):
            g["pids"].add(str(proc["pid"]))
        g["program"] = g["program"] or proc.get("program") or ""
    order = {"suite": 0, "unknown": 1, "harness": 2}
    return sorted(groups.values(), key=lambda g: (order.get(g["who"], 3), g["first"]))


def _attempt_rows(attempts, w) -> str:
    rows = [f"<table><tr><th>{w['time']}</th><th>{w['who']}</th><th>{w['target']}</th><th>{w['what']}</th>"
            f"<th>{w['process']}</th></tr>"]
    for g in _grouped(attempts):
        note = f"<br><span class=\"muted\">{escape(w['after'])}</span>" if g["after"] else ""
        what = []
        if g["lookups"]:
            what.append(f"{w['lookup']} ({', '.join(sorted(g['lookups']))})")
        if g["connections"]:
            what.append(f"{g['connections']} × {w['connection']} {', '.join(sorted(g['ports']))} "
                        f"({g['frames']} {w['frames'].lower()})")
        via = f" <span class=\"muted\">= {escape(', '.join(sorted(g['addresses'])))}</span>" if g["addresses"] else ""
        pids = f" (pid {', '.join(sorted(g['pids']))})" if g["pids"] else ""
        proc = (escape(g["program"] or "") + pids) if (g["program"] or pids) else escape(w["unknown"])
        rows.append(f"<tr><td>{escape((g['first'] or '')[11:23])}</td><td>{escape(w.get(g['who'], g['who']))}{note}</td>"
                    f"<td><code>{escape(g['host'])}</code>{via}</td><td>{escape('; '.join(what))}</td>"
                    f"<td>{proc}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def _pri07_html(view, w) -> str:
    data = network(view)
    parts = [f"<h3>{escape(w['pri07'])}</h3>"]
    if not data["isolated"]:
        verdict, message = _message(view, "PRI-07")
        why = message or "no PRI-07 scenario in this run"
        return "".join(parts) + f"<p class=\"muted\">{escape(w['not_isolated'].format(why=why))}</p>"
    ns = data["namespace"]
    proof = ns.get("proof") or {}
    parts.append(f"<p>{escape(w['ns'].format(name=ns.get('name', '?')))}</p>")
    if proof:
        conn = proof.get("connection") or {}
        parts.append("<p>" + escape(w["proof"].format(
            to=conn.get("to", "?"), result=w["proof_failed"] if conn.get("failed") else w["proof_ok"],
            ifs=", ".join(i for i in proof.get("host_interfaces_watched", []) if i != "lo"),
            n=proof.get("frames_of_it_on_the_host", "?"))) + "</p>")
    defaults = data["defaults"]
    changed = defaults.get("changed_defaults") or {}
    if changed:
        parts.append("<p>" + escape(w["changed"].format(items=", ".join(f"{k}={v}" for k, v in changed.items())))
                     + "</p>")
    elif defaults:
        parts.append(f"<p>{escape(w['unchanged'])}</p>")
    if defaults.get("note"):
        parts.append(f"<p class=\"muted\">{escape(w['as_shipped'].format(note=defaults['note']))}</p>")
    verdict, message = _message(view, "PRI-07")
    if message:
        parts.append(f"<p><strong>{escape(verdict)}</strong>: {escape(message)}</p>")
    outside = [a for a in data["attempts"] if a.scope == "outside"]
    local = [a for a in data["attempts"] if a.scope != "outside"]
    if not any(a.who == "suite" for a in outside):
        parts.append(f"<p>{escape(w['nothing'])}</p>")
    if outside:
        parts.append(f"<h4>{escape(w['outside'])}</h4>" + _attempt_rows(outside, w))
    if local:
        parts.append(f"<h4>{escape(w['local'])}</h4>" + _attempt_rows(local, w))
    return "".join(parts)


def _tls_files(view) -> list[dict]:
    return [d for p in sorted((Path(view.run.path) / "evidence").glob("*/tls.json")) for d in [_json(p)] if d]


def _pri09_html(view, w) -> str:
    parts = [f"<h3>{escape(w['pri09'])}</h3>"]
    found = _tls_files(view)
    if not found or not (found[0].get("origins") or found[0].get("plain_http")):
        verdict, message = _message(view, "PRI-09")
        return "".join(parts) + f"<p class=\"muted\">{escape(w['no_tls'].format(why=message or verdict or '-'))}</p>"
    data = found[-1]
    for origin, r in (data.get("origins") or {}).items():
        versions = ", ".join(f"{n}: {w['accepted'] if v.get('accepted') else w['refused']}"
                             for n, v in (r.get("versions") or {}).items())
        cert = r.get("certificate") or {}
        weak = [f"{g}: {c}" for g, c in (r.get("weak") or {}).items() if c]
        hsts = (r.get("hsts") or {}).get("header") or w["none"]
        http = (r.get("http") or {}).get("detail") or (r.get("http") or {}).get("status") or "-"
        parts.append(
            f"<h4>{escape(origin)}</h4><table>"
            f"<tr><th>{w['versions']}</th><td>{escape(versions)}</td></tr>"
            f"<tr><th>{w['certificate']}</th><td>{escape(', '.join(cert.get('names') or []))}; "
            f"{escape(str(cert.get('not_before', '')))} – {escape(str(cert.get('not_after', '')))}; "
            f"{escape(cert.get('issuer', ''))}</td></tr>"
            f"<tr><th>{w['weak']}</th><td>{escape('; '.join(weak) or w['none'])}</td></tr>"
            f"<tr><th>{w['hsts']}</th><td><code>{escape(str(hsts))}</code></td></tr>"
            f"<tr><th>{w['http']}</th><td>{escape(str(http))}</td></tr>"
            f"<tr><th>{w['faults']}</th><td>{escape('; '.join(r.get('faults') or []) or w['none'])}</td></tr>"
            f"<tr><th>{w['notes']}</th><td>{escape('; '.join(r.get('notes') or []) or w['none'])}</td></tr>"
            "</table>")
    for origin in data.get("plain_http") or []:
        parts.append(f"<p>{escape(origin)}: plain HTTP</p>")
    if data.get("weak_list_source"):
        parts.append(f"<p class=\"muted\">{escape(w['weak_source'].format(src=data['weak_list_source']))}</p>")
    return "".join(parts)


def suite_section(ctx) -> Section | None:
    view = ctx.get("view")
    if view is None:
        return None
    w = _w(ctx)
    if not (view.scenarios_of("PRI-07") or view.scenarios_of("PRI-09")
            or (Path(view.run.path) / "evidence" / FOLDER).exists()):
        return None
    return Section("network", w["title"], _pri07_html(view, w) + _pri09_html(view, w), order=58)


def tried(view) -> dict:
    """The outside hosts the suite and the harness tried in a run: {'suite': [...], 'harness': [...], ...}."""
    data = network(view)
    if not data["isolated"]:
        return {}
    out = {}
    for who in ("suite", "unknown", "harness"):
        out[who] = judge.hosts([a for a in data["attempts"] if a.scope == "outside" and a.who == who])
    return out


def comparison_section(ctx) -> Section | None:
    views = ctx.get("views") or []
    if not any(v.scenarios_of("PRI-07") or v.scenarios_of("PRI-09") for v in views):
        return None
    w = _w(ctx)
    rows = [f"<p>{escape(w['cmp_intro'])}</p><table><tr><th>{w['cmp_suite']}</th><th>{w['cmp_pri07']}</th>"
            f"<th>{w['cmp_tried']}</th><th>{w['cmp_harness']}</th><th>{w['cmp_pri09']}</th></tr>"]
    for v in views:
        t = tried(v)
        v07 = (v.req.get("PRI-07") or {}).get("verdict", "")
        v09 = (v.req.get("PRI-09") or {}).get("verdict", "")
        _, m09 = _message(v, "PRI-09")
        suite_hosts = "; ".join(t.get("suite", []) + t.get("unknown", [])) if t else w["cmp_not"]
        rows.append(f"<tr><td>{escape(v.name)}</td><td class=\"v-{escape(v07)}\">{escape(v07)}</td>"
                    f"<td>{escape(suite_hosts or w['none'])}</td>"
                    f"<td class=\"muted\">{escape('; '.join(t.get('harness', [])) or ('' if not t else w['none']))}</td>"
                    f"<td class=\"v-{escape(v09)}\" title=\"{escape(m09)}\">{escape(v09)}</td></tr>")
    rows.append("</table>")
    return Section("network", w["title"], "".join(rows), order=58)
