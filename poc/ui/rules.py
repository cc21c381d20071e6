"""A requirement's ``evidence_rule`` (requirements.yaml) applied to the UI evidence.

The thresholds live in the catalogue only; this module knows what each rule key means:

    third_party_hosts_max: N      at most N origins outside the suite's own were contacted
    cookie_flags: true            every cookie is Secure, SameSite Lax/Strict and HttpOnly (CSRF
                                  tokens, which scripts must read, are exempt from HttpOnly) and lasts
                                  no longer than ``cookie_max_lifetime_s`` (default: the browser session)
    observatory_grade_min: "B"    every document visited grades at least this (poc.ui.observatory)
    axe_max: {impact: N, ...}     at most N violated axe rules of that impact, summed over the pages
    ui_language: "da"             every page's <html lang> is this language
    page_load_ms_max: N           every page finished loading (the load event) within N ms

``judge(rule, evidence)`` returns a Judgement: ``ok``, a one-line ``message`` for the verdict, and
the ``findings`` behind it. ``evidence`` is {"pages": [...], "hosts": [...], "cookies": [...]}
as poc.ui.journey writes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import observatory
from .axe import IMPACTS


@dataclass
class Judgement:
    ok: bool
    message: str
    findings: list = field(default_factory=list)


class RuleError(ValueError):
    """An evidence_rule this module does not know, or evidence that cannot be judged."""


def judge(rule: dict, evidence: dict) -> Judgement:
    if not rule:
        raise RuleError("the requirement has no evidence_rule")
    results = []
    for key, value in rule.items():
        fn = JUDGES.get(key)
        if fn is None:
            if key in MODIFIERS:
                continue
            raise RuleError(f"unknown evidence_rule key {key!r}; known: {', '.join(sorted(JUDGES))}")
        results.append(fn(value, evidence, rule))
    ok = all(r.ok for r in results)
    message = "; ".join(r.message for r in results)
    return Judgement(ok, message, [f for r in results for f in r.findings])


def _pages(evidence: dict) -> list[dict]:
    pages = evidence.get("pages") or []
    if not pages:
        raise RuleError("no page was visited, so there is no evidence to judge")
    return pages


def third_party_hosts(limit, evidence, rule) -> Judgement:
    third = [h for h in evidence.get("hosts", []) if h.get("third_party")]
    own = [h["origin"] for h in evidence.get("hosts", []) if not h.get("third_party")]
    if third:
        listed = ", ".join(f"{h['origin']} ({h['requests']} requests)" for h in third[:5])
        msg = f"{len(third)} third-party host(s) contacted (at most {limit} allowed): {listed}"
    else:
        msg = f"no third-party host contacted; the pages used only {', '.join(own) or 'no host'}"
    return Judgement(len(third) <= int(limit), msg, third)


def cookie_flags(required, evidence, rule) -> Judgement:
    cookies = evidence.get("cookies", [])
    if not required:
        return Judgement(True, "cookie flags not required")
    max_life = rule.get("cookie_max_lifetime_s")
    # A cookie cannot be Secure on a plain-HTTP origin, as a local test deployment is served; there
    # the flag is not judged (as HSTS is not) and the message says so: TLS itself is PRI-09's matter.
    own = [h["origin"] for h in evidence.get("hosts", []) if not h.get("third_party")]
    plain_http = bool(own) and all(o.startswith("http://") for o in own)
    bad, unjudged = [], []
    for c in cookies:
        problems = []
        if not c["secure"] and plain_http:
            unjudged.append(c["name"])
        elif not c["secure"]:
            problems.append("not Secure")
        if (c.get("same_site") or "None").capitalize() not in ("Lax", "Strict"):
            problems.append(f"SameSite={c.get('same_site') or 'None'}")
        if not c["http_only"] and "csrf" not in c["name"].lower() and "xsrf" not in c["name"].lower():
            problems.append("not HttpOnly")
        if not c["session"]:
            if max_life is None:
                problems.append(f"persistent ({c['lifetime_s']} s)")
            elif c["lifetime_s"] > int(max_life):
                problems.append(f"lasts {c['lifetime_s']} s > {max_life} s")
        if problems:
            bad.append({"cookie": c["name"], "domain": c["domain"], "problems": problems})
    if not cookies:
        return Judgement(True, "no cookies were set")
    note = (f"; Secure not judged for {', '.join(unjudged)}: the suite was served over plain HTTP here"
            if unjudged else "")
    if bad:
        listed = "; ".join(f"{b['cookie']} ({b['domain']}): {', '.join(b['problems'])}" for b in bad[:5])
        return Judgement(False, f"{len(bad)} of {len(cookies)} cookie(s) lack the required flags: {listed}{note}", bad)
    flags = "HttpOnly, SameSite and session-length" if unjudged else "Secure, HttpOnly, SameSite and session-length"
    return Judgement(True, f"all {len(cookies)} cookie(s) are {flags}{note}")


def observatory_grade(minimum, evidence, rule) -> Judgement:
    graded = {}
    for p in _pages(evidence):
        o = p.get("observatory")
        if o:
            graded.setdefault(o["url"], o)
    if not graded:
        raise RuleError("no document's headers were captured, so nothing could be graded")
    below = [o for o in graded.values() if not observatory.at_least(o["grade"], str(minimum))]
    grades = ", ".join(f"{o['url']}: {o['grade']} ({o['score']})" for o in graded.values())
    if below:
        worst = min(below, key=lambda o: o["score"])
        lost = ", ".join(f"{m['result']} {m['modifier']}" for m in worst["modifiers"] if m["modifier"] < 0)
        return Judgement(False, f"{len(below)} of {len(graded)} document(s) grade below {minimum}: {grades}; "
                                f"worst loses on {lost}", below)
    return Judgement(True, f"all {len(graded)} document(s) grade {minimum} or better: {grades}")


def axe_max(limits: dict, evidence, rule) -> Judgement:
    pages = _pages(evidence)
    audited = [p for p in pages if p.get("axe")]
    if not audited:
        raise RuleError("no page was audited with axe-core: " + "; ".join(
            f"{p['name']}: {p.get('axe_error', 'not run')}" for p in pages))
    seen, counts, findings = set(), {i: 0 for i in IMPACTS}, []
    for p in audited:
        for v in p["axe"]["violations"]:
            key = (p["url"], p.get("title"), v["id"])
            if key in seen:
                continue
            seen.add(key)
            counts[v["impact"]] = counts.get(v["impact"], 0) + 1
            if v["impact"] in limits:
                findings.append({"page": p["name"], "url": p["url"], "rule": v["id"], "impact": v["impact"],
                                 "elements": v["node_count"], "help": v["help"]})
    over = {i: counts.get(i, 0) for i, n in limits.items() if counts.get(i, 0) > int(n)}
    summary = ", ".join(f"{counts.get(i, 0)} {i}" for i in limits)
    if over:
        rules = sorted({f"{f['rule']} ({f['impact']})" for f in findings if f["impact"] in over})
        return Judgement(False, f"axe-core found {summary} violation(s) on {len(audited)} page(s), above "
                                f"{', '.join(f'{i} {limits[i]}' for i in over)}: {', '.join(rules[:8])}", findings)
    return Judgement(True, f"axe-core found {summary} violation(s) on {len(audited)} page(s), within the limits")


def ui_language(lang: str, evidence, rule) -> Judgement:
    pages = _pages(evidence)
    want = str(lang).lower()
    bad = [p for p in pages if (p.get("lang") or "").lower().split("-")[0] != want]
    if bad:
        listed = ", ".join(f"{p['name']} lang={p.get('lang') or '(none)'!s}" for p in bad[:6])
        return Judgement(False, f"{len(bad)} of {len(pages)} page(s) are not marked as {want!r} "
                                f"with the browser set to da-DK: {listed}", bad)
    return Judgement(True, f"all {len(pages)} page(s) are in {want!r} (<html lang>)")


def page_load(limit, evidence, rule) -> Judgement:
    pages = _pages(evidence)
    timed = [p for p in pages if (p.get("timing") or {}).get("load_ms") is not None]
    if not timed:
        raise RuleError("no page's navigation timing was captured")
    slow = [p for p in timed if p["timing"]["load_ms"] > int(limit)]
    worst = max(timed, key=lambda p: p["timing"]["load_ms"])
    if slow:
        return Judgement(False, f"{len(slow)} of {len(timed)} page(s) took longer than {limit} ms to load; slowest "
                                f"{worst['name']} {worst['timing']['load_ms']} ms", slow)
    return Judgement(True, f"all {len(timed)} page(s) loaded within {limit} ms; slowest {worst['name']} "
                           f"{worst['timing']['load_ms']} ms")


JUDGES = {"third_party_hosts_max": third_party_hosts, "cookie_flags": cookie_flags,
          "observatory_grade_min": observatory_grade, "axe_max": axe_max, "ui_language": ui_language,
          "page_load_ms_max": page_load}
MODIFIERS = {"cookie_max_lifetime_s"}  # refine another key; judged with it
