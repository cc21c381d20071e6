"""Single sign-on in the reports (IAM-05 SAML 2.0, IAM-06 OpenID Connect): per suite, the protocol,
what was configured on the suite and at the harness's identity provider (where the IdP published its
metadata or discovery document), the journeys step by step with thumbnails, the attributes the IdP
sent beside what the suite showed, and what it did with an unknown account, a sign-out and a tampered
answer; in the comparison one row per suite.

Read from the run folder: evidence/sso/sso.json and <protocol>-*.json (poc/sso, scenarios/ui/test_sso.py),
the journeys in evidence/ui/test_sso_*.json, and the suite's ``sso:`` block in suite.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2

from . import Section

PROTOCOLS = (("saml", "IAM-05", "SAML 2.0"), ("oidc", "IAM-06", "OpenID Connect"))
ASPECTS = ("sign-in", "wrong-password", "unknown-account", "sign-out", "tampered")

WORDS = {
    "en": {
        "title": "Identity: single sign-on (SAML 2.0, OpenID Connect)",
        "intro": ("The harness brings its own identity provider for the run (SAML 2.0: pysaml2; OpenID Connect: pyop), "
                  "on 127.0.0.1, with the school it provisions on the suite (the same accounts, names with æøå, role "
                  "and class as attributes) and a signing key made for the run. The suite is set up as its service "
                  "provider or relying party; the journeys below are real sign-ins in Chromium."),
        "protocol": "Protocol", "verdict": "Verdict", "support": "Support", "unsupported": "unsupported",
        "not_run": "not verified in this run (no identity provider was brought for it)",
        "configured": "Configured on the suite", "vendor": "What a vendor registers", "idp": "The harness's IdP",
        "sp": "The suite as service provider / relying party", "metadata": "metadata", "discovery": "discovery document",
        "fingerprint": "signing certificate (SHA-256)", "attributes": "Attributes", "sent": "sent by the IdP",
        "shown": "shown by the suite", "used": "used by the suite", "unknown": "An account the suite does not know",
        "signout": "Sign-out", "tampered": "Tampered answer", "journeys": "Journeys", "step": "Step",
        "screenshot": "Screenshot", "outcome": "Outcome", "changes": "Settings the harness changed for this test",
        "suite": "Suite", "slo": "single logout", "none": "–", "full_size": "open full size",
        "compare_intro": "From the latest run of each suite; details in each suite's report.",
        "reason": "Why",
    },
    "da": {
        "title": "Identitet: single sign-on (SAML 2.0, OpenID Connect)",
        "intro": ("Testværktøjet medbringer sin egen identitetsudbyder til kørslen (SAML 2.0: pysaml2; OpenID Connect: "
                  "pyop) på 127.0.0.1, med den skole det opretter på løsningen (de samme konti, navne med æøå, rolle og "
                  "klasse som attributter) og en signeringsnøgle lavet til kørslen. Løsningen sættes op som dens "
                  "tjenesteudbyder; brugerrejserne nedenfor er rigtige log ind i Chromium."),
        "protocol": "Protokol", "verdict": "Vurdering", "support": "Understøttelse", "unsupported": "ikke understøttet",
        "not_run": "ikke efterprøvet i denne kørsel (der blev ikke medbragt en identitetsudbyder til den)",
        "configured": "Sat op på løsningen", "vendor": "Hvad en leverandør registrerer", "idp": "Testværktøjets IdP",
        "sp": "Løsningen som tjenesteudbyder", "metadata": "metadata", "discovery": "discovery-dokument",
        "fingerprint": "signeringscertifikat (SHA-256)", "attributes": "Attributter", "sent": "sendt af IdP'en",
        "shown": "vist af løsningen", "used": "brugt af løsningen", "unknown": "En konto løsningen ikke kender",
        "signout": "Log ud", "tampered": "Manipuleret svar", "journeys": "Brugerrejser", "step": "Trin",
        "screenshot": "Skærmbillede", "outcome": "Udfald", "changes": "Indstillinger testværktøjet ændrede til testen",
        "suite": "Løsning", "slo": "single logout", "none": "–", "full_size": "åbn i fuld størrelse",
        "compare_intro": "Fra den seneste kørsel af hver løsning; detaljer i hver løsnings rapport.",
        "reason": "Hvorfor",
    },
}

_ENV = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

SUITE_TEMPLATE = _ENV.from_string("""
<p class="muted">{{ w.intro }}</p>
{% for p in protocols %}
<h3 id="sso-{{ p.key }}">{{ p.name }} ({{ p.rid }}): <span class="v-{{ p.verdict }}">{{ p.verdict }}</span></h3>
{% if p.support == "unsupported" %}<p><b>{{ w.unsupported }}</b>: {{ p.reason }}</p>
{% elif not p.info %}<p class="muted">{{ w.not_run }}{% if p.vendor %}. {{ w.vendor }}: {{ p.vendor }}{% endif %}</p>
{% else %}
<table>
<tr><th>{{ w.idp }}</th><td>{% if p.key == "saml" %}{{ w.metadata }}: <code>{{ p.info.idp.metadata }}</code>; entity id <code>{{ p.info.idp.entity_id }}</code>; {{ w.fingerprint }} <code>{{ p.info.idp.certificate_sha256[:32] }}…</code>; {{ p.info.idp.signing }}
{% else %}{{ w.discovery }}: <code>{{ p.info.idp.discovery }}</code>; issuer <code>{{ p.info.idp.issuer }}</code>; {{ p.info.idp.signing }}{% endif %}</td></tr>
<tr><th>{{ w.sp }}</th><td>{% if p.key == "saml" %}entity id <code>{{ p.info.sp.entity_id }}</code>, {{ w.metadata }} <code>{{ p.info.sp.metadata }}</code>
{% else %}{% for cid, c in (p.info.sp.clients or {}).items() %}client <code>{{ cid }}</code>, redirect URI {% for u in c.redirect_uris %}<code>{{ u }}</code> {% endfor %}{% endfor %}{% endif %}</td></tr>
<tr><th>{{ w.configured }}</th><td>{% if p.info.configured %}<ul>{% for k, v in p.info.configured.items() %}<li><code>{{ k }}</code> = <code>{{ v }}</code></li>{% endfor %}</ul>{% endif %}{{ p.configures }}</td></tr>
{% if p.changes %}<tr><th>{{ w.changes }}</th><td><ul>{% for c in p.changes %}<li>{{ c }}</li>{% endfor %}</ul></td></tr>{% endif %}
{% if p.vendor %}<tr><th>{{ w.vendor }}</th><td>{{ p.vendor }}</td></tr>{% endif %}
{% if p.found["sign-in"] %}<tr><th>{{ w.attributes }}</th><td>
<b>{{ w.sent }}</b>: {% for k, v in (p.found["sign-in"].sent or {}).items() %}<code>{{ k }}</code>={{ v|join(", ") if (v is iterable and v is not string and v is not mapping) else v }}{{ "; " if not loop.last }}{% endfor %}<br>
<b>{{ w.shown }}</b>: {% for k, v in (p.found["sign-in"].shown_on_page or {}).items() %}{{ k }} {{ v }}{{ "; " if not loop.last }}{% endfor %}
{% if p.found["sign-in"].api %}<br><b>API</b>: {% for k, v in p.found["sign-in"].api.items() %}{{ k }} {{ v }}{{ "; " if not loop.last }}{% endfor %}{% endif %}
{% if p.found["sign-in"].used_by_suite %}<br><b>{{ w.used }}</b>: {{ p.found["sign-in"].used_by_suite }}{% endif %}</td></tr>{% endif %}
{% if p.found["unknown-account"] %}<tr><th>{{ w.unknown }}</th><td>{{ p.found["unknown-account"].detail or p.found["unknown-account"].outcome }}</td></tr>{% endif %}
{% if p.found["sign-out"] %}<tr><th>{{ w.signout }}</th><td>{{ p.found["sign-out"].detail }}</td></tr>{% endif %}
{% if p.found["tampered"] %}<tr><th>{{ w.tampered }}</th><td>{{ p.found["tampered"].change }}: {{ "refused" if p.found["tampered"].refused else "accepted" }}{% for a in p.found["tampered"].answers or [] %} (HTTP {{ a.status }}){% endfor %}</td></tr>{% endif %}
</table>
{% endif %}
{% if p.journeys %}<h4>{{ w.journeys }}</h4>
{% for j in p.journeys %}
<details {% if j.outcome != "passed" %}open{% endif %}><summary><span class="v-{{ verdict_class(j.outcome) }}">{{ j.outcome }}</span> {{ j.title }}{% if j.message %}: {{ j.message }}{% endif %}</summary>
<ol class="steps">{% for s in j.steps %}<li>{% if s.screenshot %}<a href="{{ link(s.screenshot) }}" title="{{ w.full_size }}"><img src="{{ link(s.screenshot) }}" alt="{{ s.name }}" loading="lazy" style="width:180px;vertical-align:middle;border:1px solid #ccc"></a>{% endif %}
 {{ s.n }}. {{ s.name }} {% if s.ok %}✔{% elif s.ok is sameas false %}✘ {{ s.error }}{% endif %}{% if s.note %} <span class="muted">({{ s.note }})</span>{% endif %}</li>{% endfor %}</ol>
</details>
{% endfor %}{% endif %}
{% endfor %}
""")

COMPARISON_TEMPLATE = _ENV.from_string("""
<p class="muted">{{ w.compare_intro }}</p>
<table><tr><th>{{ w.suite }}</th>{% for key, rid, name in protocols %}<th>{{ name }} ({{ rid }})</th>{% endfor %}<th>{{ w.unknown }}</th><th>{{ w.signout }}</th><th>{{ w.tampered }}</th></tr>
{% for r in rows %}<tr><td><a href="{{ r.name }}.html#identity">{{ r.name }}</a></td>
{% for key, rid, name in protocols %}<td class="v-{{ r.verdicts[rid] }}">{{ r.verdicts[rid] }}</td>{% endfor %}
<td>{{ r.unknown or w.none }}</td><td>{{ r.signout or w.none }}</td><td>{{ r.tampered or w.none }}</td></tr>{% endfor %}
</table>
""")


def _read(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _suite_block(name: str) -> dict:
    try:
        from .. import suites
        return suites.load(name).config.get("sso") or {}
    except Exception:
        return {}


def gather(view) -> list[dict]:
    run_dir = Path(view.run.path)
    folder = run_dir / "evidence" / "sso"
    info = (_read(folder / "sso.json") or {}).get("protocols", {})
    block = _suite_block(view.name)
    journeys = [j for p in sorted((run_dir / "evidence" / "ui").glob("test_sso_*.json"))
                for j in [_read(p)] if isinstance(j, dict)]
    out = []
    for key, rid, name in PROTOCOLS:
        spec = block.get(key) or {}
        verdict = (view.req.get(rid) or {}).get("verdict", "not-tested")
        mine = [j for j in journeys if j.get("scenario", "").endswith(f"[{key}]") and j.get("steps")]
        out.append({"key": key, "rid": rid, "name": name, "verdict": verdict,
                    "support": spec.get("support") or ("unsupported" if not spec else ""),
                    "reason": spec.get("reason") or ("" if spec else f"{view.name} declares no {name} sign-in"),
                    "configures": spec.get("configures", ""), "vendor": spec.get("vendor", ""),
                    "changes": spec.get("changes") or [], "info": info.get(key),
                    "found": {a: _read(folder / f"{key}-{a}.json") for a in ASPECTS}, "journeys": mine})
    return out


def _verdict_class(outcome: str) -> str:
    return {"passed": "pass", "failed": "fail", "unsupported": "unsupported"}.get(outcome, "error")


def suite_section(ctx) -> Section | None:
    view, lang = ctx["view"], ctx.get("lang", "en")
    w = WORDS["da" if lang == "da" else "en"]
    protocols = gather(view)
    base = view.link_base.rstrip("/")

    def link(rel: str) -> str:
        return f"{base}/{rel}" if base else rel

    html = SUITE_TEMPLATE.render(w=w, protocols=protocols, link=link, verdict_class=_verdict_class)
    return Section(id="identity", title=w["title"], html=html, order=45)


def comparison_section(ctx) -> Section | None:
    lang = ctx.get("lang", "en")
    w = WORDS["da" if lang == "da" else "en"]
    rows = []
    for v in ctx.get("views", []):
        found = {p["key"]: p for p in gather(v)}
        first = next((p for p in found.values() if p["info"]), None)
        row = {"name": v.name, "verdicts": {p["rid"]: p["verdict"] for p in found.values()}}
        if first:
            f = first["found"]
            row["unknown"] = (f.get("unknown-account") or {}).get("outcome", "")
            row["signout"] = ("single logout" if (f.get("sign-out") or {}).get("single_logout") else
                              "suite only" if f.get("sign-out") else "")
            row["tampered"] = ("refused" if (f.get("tampered") or {}).get("refused") else "")
            row["protocol"] = first["name"]
        rows.append(row)
    if not rows:
        return None
    return Section(id="identity", title=w["title"], order=45,
                   html=COMPARISON_TEMPLATE.render(w=w, rows=rows, protocols=PROTOCOLS))
