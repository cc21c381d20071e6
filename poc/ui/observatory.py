"""A document's security headers graded with the Mozilla HTTP Observatory scoring rules.

Source: mozilla/http-observatory, httpobs/docs/scoring.md ("HTTP Observatory Scoring Methodology",
updated 2024-02-27) and the SCORE_TABLE of httpobs/scanner/grader/grade.py. Every site starts at 100;
each test adds its modifier; bonuses (positive modifiers) count only when the score without them is
90 (A) or more; the score never goes below 0; the grade comes from the published chart.

Graded here, from what the browser received: Content-Security-Policy, Strict-Transport-Security
(only for documents served over HTTPS: a local test deployment on plain HTTP is not the suite's
choice, and TLS is judged by PRI-09), X-Content-Type-Options, Referrer-Policy, framing protection
(CSP frame-ancestors or X-Frame-Options) and the cookies' flags. The Observatory's other tests
(redirection, CORS, Subresource Integrity, Cross-Origin-Resource-Policy) are not part of this grade.
"""

from __future__ import annotations

SOURCE = ("Mozilla HTTP Observatory scoring methodology (mozilla/http-observatory, httpobs/docs/scoring.md, "
          "2024-02-27; httpobs/scanner/grader/grade.py)")

GRADE_CHART = [(100, "A+"), (90, "A"), (85, "A-"), (80, "B+"), (70, "B"), (65, "B-"), (60, "C+"), (50, "C"),
               (45, "C-"), (40, "D+"), (30, "D"), (25, "D-"), (0, "F")]
GRADES = [g for _, g in GRADE_CHART]  # best first
MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90
SIX_MONTHS = 15768000

MODIFIERS = {
    # Content Security Policy
    "csp-implemented-with-no-unsafe-default-src-none": 10,
    "csp-implemented-with-no-unsafe": 5,
    "csp-implemented-with-unsafe-inline-in-style-src-only": 0,
    "csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
    "csp-implemented-with-unsafe-eval": -10,
    "csp-implemented-with-unsafe-inline": -20,
    "csp-implemented-with-insecure-scheme": -20,
    "csp-header-invalid": -25,
    "csp-not-implemented": -25,
    # Cookies
    "cookies-secure-with-httponly-sessions-and-samesite": 5,
    "cookies-secure-with-httponly-sessions": 0,
    "cookies-not-found": 0,
    "cookies-without-secure-flag-but-protected-by-hsts": -5,
    "cookies-session-without-secure-flag-but-protected-by-hsts": -10,
    "cookies-without-secure-flag": -20,
    "cookies-samesite-flag-invalid": -20,
    "cookies-anticsrf-without-samesite-flag": -20,
    "cookies-session-without-httponly-flag": -30,
    "cookies-session-without-secure-flag": -40,
    # Referrer Policy
    "referrer-policy-private": 5,
    "referrer-policy-no-referrer-when-downgrade": 0,
    "referrer-policy-not-implemented": 0,
    "referrer-policy-unsafe": -5,
    "referrer-policy-header-invalid": -5,
    # Strict Transport Security
    "hsts-implemented-max-age-at-least-six-months": 0,
    "hsts-implemented-max-age-less-than-six-months": -10,
    "hsts-not-implemented": -20,
    "hsts-header-invalid": -20,
    # X-Content-Type-Options
    "x-content-type-options-nosniff": 0,
    "x-content-type-options-not-implemented": -5,
    "x-content-type-options-header-invalid": -5,
    # X-Frame-Options
    "x-frame-options-implemented-via-csp": 5,
    "x-frame-options-sameorigin-or-deny": 0,
    "x-frame-options-allow-from-origin": 0,
    "x-frame-options-not-implemented": -20,
    "x-frame-options-header-invalid": -20,
}
NOT_APPLICABLE = "hsts-not-applicable-over-http"  # ours: the test deployment has no TLS (see above)

REFERRER_PRIVATE = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
REFERRER_UNSAFE = {"origin", "origin-when-cross-origin", "unsafe-url"}
REFERRER_ALL = REFERRER_PRIVATE | REFERRER_UNSAFE | {"no-referrer-when-downgrade"}
BROAD_SOURCES = {"*", "http:", "https:", "http://*", "https://*", "data:", "blob:", "filesystem:"}


def grade_of(score: int) -> str:
    for floor, grade in GRADE_CHART:
        if score >= floor:
            return grade
    return "F"


def at_least(grade: str, minimum: str) -> bool:
    """True when ``grade`` is ``minimum`` or better (``B+`` is at least ``B``)."""
    return GRADES.index(grade) <= GRADES.index(minimum)


def parse_csp(value: str) -> dict[str, list[str]] | None:
    """Directive -> sources; several policies (comma or newline joined) are merged the strict way:
    the first occurrence of a directive wins, as browsers do within one policy."""
    if value is None:
        return None
    policy: dict[str, list[str]] = {}
    for part in value.replace("\n", ",").split(","):
        for directive in part.split(";"):
            tokens = directive.strip().split()
            if not tokens:
                continue
            name = tokens[0].lower()
            if not all(c.isalnum() or c == "-" for c in name):
                return {}
            policy.setdefault(name, [t.lower() for t in tokens[1:]])
    return policy


def _csp(headers: dict, https: bool) -> tuple[str, dict | None]:
    value = headers.get("content-security-policy")
    if value is None:
        return "csp-not-implemented", None
    policy = parse_csp(value)
    if not policy:
        return "csp-header-invalid", policy
    default = policy.get("default-src")
    script = policy.get("script-src", default)
    obj = policy.get("object-src", default)
    style = policy.get("style-src", default)

    def broad(sources):
        return sources is None or any(s in BROAD_SOURCES for s in sources)

    script_ignores_inline = script is not None and any(
        s.startswith(("'nonce-", "'sha256-", "'sha384-", "'sha512-")) or s == "'strict-dynamic'" for s in script)
    if (script is None or obj is None or broad(script) or broad(obj)
            or ("'unsafe-inline'" in script and not script_ignores_inline)):
        return "csp-implemented-with-unsafe-inline", policy
    if https:
        active = [s for d in ("script-src", "object-src", "style-src", "default-src", "connect-src", "frame-src")
                  for s in policy.get(d, [])]
        passive = [s for d in ("img-src", "media-src") for s in policy.get(d, [])]
        if any(s.startswith("http:") for s in active):
            return "csp-implemented-with-insecure-scheme", policy
        if "'unsafe-eval'" in script:
            return "csp-implemented-with-unsafe-eval", policy
        if any(s.startswith("http:") for s in passive):
            return "csp-implemented-with-insecure-scheme-in-passive-content-only", policy
    elif "'unsafe-eval'" in script:
        return "csp-implemented-with-unsafe-eval", policy
    if style is not None and ("'unsafe-inline'" in style or broad(style)):
        return "csp-implemented-with-unsafe-inline-in-style-src-only", policy
    if default == ["'none'"]:
        return "csp-implemented-with-no-unsafe-default-src-none", policy
    return "csp-implemented-with-no-unsafe", policy


def _hsts(headers: dict, https: bool) -> str:
    if not https:
        return NOT_APPLICABLE
    value = headers.get("strict-transport-security")
    if value is None:
        return "hsts-not-implemented"
    for part in value.split(";"):
        key, _, val = part.strip().partition("=")
        if key.strip().lower() == "max-age":
            try:
                age = int(val.strip().strip('"'))
            except ValueError:
                return "hsts-header-invalid"
            return "hsts-implemented-max-age-at-least-six-months" if age >= SIX_MONTHS else \
                "hsts-implemented-max-age-less-than-six-months"
    return "hsts-header-invalid"


def _xcto(headers: dict) -> str:
    value = headers.get("x-content-type-options")
    if value is None:
        return "x-content-type-options-not-implemented"
    return "x-content-type-options-nosniff" if value.strip().lower() == "nosniff" else \
        "x-content-type-options-header-invalid"


def _referrer(headers: dict) -> str:
    value = headers.get("referrer-policy")
    if value is None:
        return "referrer-policy-not-implemented"
    tokens = [t.strip().lower() for t in value.replace("\n", ",").split(",") if t.strip()]
    known = [t for t in tokens if t in REFERRER_ALL]
    if not known:
        return "referrer-policy-header-invalid"
    last = known[-1]  # browsers use the last policy they understand
    if last in REFERRER_PRIVATE:
        return "referrer-policy-private"
    if last == "no-referrer-when-downgrade":
        return "referrer-policy-no-referrer-when-downgrade"
    return "referrer-policy-unsafe"


def _framing(headers: dict, policy: dict | None) -> str:
    if policy and "frame-ancestors" in policy and not any(s in ("*", "http:", "https:") for s in policy["frame-ancestors"]):
        return "x-frame-options-implemented-via-csp"
    value = headers.get("x-frame-options")
    if value is None:
        return "x-frame-options-not-implemented"
    v = value.strip().lower()
    if v in ("deny", "sameorigin"):
        return "x-frame-options-sameorigin-or-deny"
    if v.startswith("allow-from "):
        return "x-frame-options-allow-from-origin"
    return "x-frame-options-header-invalid"


def _cookies(cookies: list[dict], hsts: bool) -> str:
    """The worst result over the cookies, as the Observatory reports one result per test. Session
    identifiers are recognised by name ('login', 'sess'), anti-CSRF tokens by 'csrf', as the
    Observatory does. SameSite "None" (or unset: the browser does not tell them apart) counts as no
    SameSite restriction."""
    if not cookies:
        return "cookies-not-found"
    results = []
    for c in cookies:
        name = c["name"].lower()
        session = any(k in name for k in ("login", "sess"))
        anticsrf = "csrf" in name
        samesite = (c.get("same_site") or "None").capitalize()
        if not c["secure"]:
            if session:
                results.append("cookies-session-without-secure-flag-but-protected-by-hsts" if hsts
                               else "cookies-session-without-secure-flag")
            else:
                results.append("cookies-without-secure-flag-but-protected-by-hsts" if hsts
                               else "cookies-without-secure-flag")
        if session and not c["http_only"]:
            results.append("cookies-session-without-httponly-flag")
        if anticsrf and samesite not in ("Lax", "Strict"):
            results.append("cookies-anticsrf-without-samesite-flag")
    if results:
        return min(results, key=lambda r: MODIFIERS[r])
    if all((c.get("same_site") or "None").capitalize() in ("Lax", "Strict") for c in cookies):
        return "cookies-secure-with-httponly-sessions-and-samesite"
    return "cookies-secure-with-httponly-sessions"


def grade(document: dict, cookies: list[dict] | None = None) -> dict:
    """Grade one document: ``{"url", "headers"}`` as poc.ui.capture records it; ``cookies`` as
    Capture.cookies() gives them (those of the document's site are graded)."""
    url = document.get("url", "")
    https = url.lower().startswith("https://")
    headers = {k.lower(): v for k, v in (document.get("headers") or {}).items()}
    csp_result, policy = _csp(headers, https)
    hsts_result = _hsts(headers, https)
    host = url.split("://", 1)[-1].split("/", 1)[0].split(":")[0].lower()
    own_cookies = [c for c in (cookies or []) if host and (host == c["domain"].lstrip(".").lower()
                                                          or host.endswith("." + c["domain"].lstrip(".").lower()))]
    tests = [
        ("content-security-policy", csp_result),
        ("cookies", _cookies(own_cookies, hsts_result.startswith("hsts-implemented"))),
        ("referrer-policy", _referrer(headers)),
        ("strict-transport-security", hsts_result),
        ("x-content-type-options", _xcto(headers)),
        ("x-frame-options", _framing(headers, policy)),
    ]
    modifiers = [{"test": t, "result": r, "modifier": MODIFIERS.get(r, 0)} for t, r in tests]
    penalties = 100 + sum(m["modifier"] for m in modifiers if m["modifier"] < 0)
    bonus = sum(m["modifier"] for m in modifiers if m["modifier"] > 0)
    score = penalties + bonus if penalties >= MINIMUM_SCORE_FOR_EXTRA_CREDIT else penalties
    score = max(0, score)
    return {"url": url, "score": score, "grade": grade_of(score), "https": https, "modifiers": modifiers,
            "bonus_counted": penalties >= MINIMUM_SCORE_FOR_EXTRA_CREDIT, "source": SOURCE}
