"""The UI evidence turned into verdicts without a browser: the Observatory grading, the catalogue's
evidence rules, origins, and the suite's ui block."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from poc import catalogue as catalogue_mod
from poc import suites
from poc.errors import ConfigError
from poc.ui import launch, observatory, rules
from poc.ui.spec import UiSpec, origin_of

ROOT = Path(__file__).resolve().parents[1]


def _doc(url="http://127.0.0.1:8000/", **headers):
    return {"url": url, "headers": {k.replace("_", "-"): v for k, v in headers.items()}}


def test_no_security_headers_over_http_grades_c():
    g = observatory.grade(_doc())
    results = {m["test"]: (m["result"], m["modifier"]) for m in g["modifiers"]}
    assert results["content-security-policy"] == ("csp-not-implemented", -25)
    assert results["x-frame-options"] == ("x-frame-options-not-implemented", -20)
    assert results["x-content-type-options"] == ("x-content-type-options-not-implemented", -5)
    assert results["referrer-policy"] == ("referrer-policy-not-implemented", 0)
    assert results["strict-transport-security"][1] == 0  # plain HTTP: not graded here (PRI-09 judges TLS)
    assert (g["score"], g["grade"]) == (50, "C")


def test_strong_headers_over_https_earn_the_bonuses():
    g = observatory.grade(_doc("https://skole.example.dk/",
                               content_security_policy="default-src 'none'; img-src 'self'; frame-ancestors 'none'",
                               strict_transport_security="max-age=31536000; includeSubDomains",
                               x_content_type_options="nosniff", referrer_policy="no-referrer"))
    # 100 + csp default-src 'none' (+10) + frame-ancestors via CSP (+5) + private referrer (+5)
    assert (g["score"], g["grade"]) == (120, "A+")


def test_bonuses_only_count_from_90_up():
    g = observatory.grade(_doc("https://skole.example.dk/", content_security_policy="default-src 'none'",
                               x_content_type_options="nosniff", referrer_policy="no-referrer"))
    # HSTS missing -20 and no framing protection -20 leave 60 before bonuses: the bonuses do not count
    assert g["bonus_counted"] is False
    assert (g["score"], g["grade"]) == (60, "C+")


@pytest.mark.parametrize("csp, result", [
    ("default-src 'self'; script-src 'self' 'unsafe-inline'", "csp-implemented-with-unsafe-inline"),
    ("default-src 'self'; script-src 'self' 'nonce-abc' 'unsafe-inline'", "csp-implemented-with-no-unsafe"),
    ("default-src 'self'; script-src 'self' 'unsafe-eval'", "csp-implemented-with-unsafe-eval"),
    ("default-src 'self'; style-src 'self' 'unsafe-inline'", "csp-implemented-with-unsafe-inline-in-style-src-only"),
    ("img-src 'self'", "csp-implemented-with-unsafe-inline"),  # scripts not restricted at all
    ("default-src *", "csp-implemented-with-unsafe-inline"),
    ("default-src https: 'self'", "csp-implemented-with-unsafe-inline"),
])
def test_csp_results(csp, result):
    g = observatory.grade(_doc(content_security_policy=csp))
    assert g["modifiers"][0]["result"] == result


def test_referrer_policy_uses_the_last_known_token_and_xfo_variants():
    unsafe = observatory.grade(_doc(referrer_policy="no-referrer, unsafe-url", x_frame_options="DENY"))
    mods = {m["test"]: m["result"] for m in unsafe["modifiers"]}
    assert mods["referrer-policy"] == "referrer-policy-unsafe"
    assert mods["x-frame-options"] == "x-frame-options-sameorigin-or-deny"
    assert observatory.grade(_doc(x_frame_options="ALLOWALL"))["modifiers"][5]["result"] == \
        "x-frame-options-header-invalid"


def test_session_cookie_without_flags_costs_most():
    cookies = [{"name": "sessionid", "domain": "127.0.0.1", "secure": False, "http_only": False, "same_site": "Lax"}]
    g = observatory.grade(_doc(), cookies)
    mods = {m["test"]: (m["result"], m["modifier"]) for m in g["modifiers"]}
    assert mods["cookies"] == ("cookies-session-without-secure-flag", -40)
    assert g["score"] == 10 and g["grade"] == "F"


def test_grade_comparison():
    assert observatory.at_least("B+", "B") and observatory.at_least("A+", "B")
    assert not observatory.at_least("B-", "B") and not observatory.at_least("C", "B")


# -- evidence rules -----------------------------------------------------------------------------

def _page(name="login", url="http://a/", lang="da", load=500, axe=None, grade_doc=None):
    p = {"name": name, "url": url, "title": name, "lang": lang, "timing": {"load_ms": load},
         "axe": axe if axe is not None else {"violations": [], "counts": {}}}
    if grade_doc:
        p["observatory"] = observatory.grade(grade_doc)
    return p


def _violation(rule, impact, nodes=1):
    return {"id": rule, "impact": impact, "help": rule, "help_url": "", "nodes": [], "node_count": nodes}


def test_third_party_rule_counts_origins_outside_the_suite():
    ev = {"pages": [_page()], "hosts": [{"origin": "http://127.0.0.1:1", "third_party": False, "requests": 4},
                                        {"origin": "http://127.0.0.1:2", "third_party": True, "requests": 1}]}
    j = rules.judge({"third_party_hosts_max": 0}, ev)
    assert not j.ok and "http://127.0.0.1:2" in j.message
    assert rules.judge({"third_party_hosts_max": 1}, ev).ok


def test_axe_rule_reads_its_limits_from_the_rule():
    axe = {"violations": [_violation("image-alt", "critical", 2), _violation("color-contrast", "serious"),
                          _violation("region", "moderate")]}
    ev = {"pages": [_page(axe=axe), _page(axe=axe)]}  # the same page (url + title) twice: counted once
    j = rules.judge({"axe_max": {"critical": 0, "serious": 0}}, ev)
    assert not j.ok and "1 critical, 1 serious" in j.message and "image-alt" in j.message
    assert rules.judge({"axe_max": {"critical": 1, "serious": 1}}, ev).ok
    assert not rules.judge({"axe_max": {"moderate": 0}}, ev).ok
    clean = {"pages": [_page(axe={"violations": []})]}
    assert rules.judge({"axe_max": {"critical": 0, "serious": 0}}, clean).ok


def test_cookie_rule():
    good = {"name": "sid", "domain": "a", "secure": True, "http_only": True, "same_site": "Strict",
            "session": True, "lifetime_s": None}
    csrf = dict(good, name="csrftoken", http_only=False)
    assert rules.judge({"cookie_flags": True}, {"cookies": [good, csrf]}).ok
    assert rules.judge({"cookie_flags": True}, {"cookies": []}).ok
    bad = dict(good, name="tracker", secure=False, same_site="None", session=False, lifetime_s=86400 * 365)
    j = rules.judge({"cookie_flags": True}, {"cookies": [good, bad]})
    assert not j.ok and "tracker" in j.message and "not Secure" in j.message and "persistent" in j.message
    long = dict(good, session=False, lifetime_s=3600)
    assert rules.judge({"cookie_flags": True, "cookie_max_lifetime_s": 7200}, {"cookies": [long]}).ok
    assert not rules.judge({"cookie_flags": True}, {"cookies": [long]}).ok


def test_language_load_and_grade_rules():
    ev = {"pages": [_page(lang="da-DK", load=400, grade_doc=_doc("http://a/")),
                    _page("files", "http://b/", lang="en", load=2500, grade_doc=_doc("http://b/", x_frame_options="DENY",
                                                                                      content_security_policy="default-src 'self'"))]}
    lang = rules.judge({"ui_language": "da"}, ev)
    assert not lang.ok and "files lang=en" in lang.message
    slow = rules.judge({"page_load_ms_max": 2000}, ev)
    assert not slow.ok and "2500" in slow.message
    assert rules.judge({"page_load_ms_max": 3000}, ev).ok
    grades = rules.judge({"observatory_grade_min": "B"}, ev)
    assert not grades.ok and "http://a/: C (50)" in grades.message
    assert rules.judge({"observatory_grade_min": "C"}, ev).ok


def test_unknown_rule_and_missing_evidence_are_errors_not_passes():
    with pytest.raises(rules.RuleError):
        rules.judge({"no_such_rule": 1}, {"pages": [_page()]})
    with pytest.raises(rules.RuleError):
        rules.judge({"ui_language": "da"}, {"pages": []})


def test_every_evidence_rule_in_the_catalogue_is_known():
    cat = catalogue_mod.load(ROOT / "requirements.yaml")
    with_rules = {rid: r.evidence_rule for rid, r in cat.requirements.items() if r.evidence_rule}
    assert {"PRI-01", "PRI-02", "PRI-03", "ACC-01", "ACC-02", "LOC-01", "PRF-04"} <= set(with_rules)
    for rid, rule in with_rules.items():
        unknown = set(rule) - set(rules.JUDGES) - rules.MODIFIERS
        assert not unknown, f"{rid}: evidence_rule keys {unknown} are not judged by poc.ui.rules"


# -- origins and the ui block -------------------------------------------------------------------

def test_origins_compare_with_their_ports():
    assert origin_of("http://127.0.0.1:8000/x?y") == "http://127.0.0.1:8000"
    assert origin_of("https://Skole.example.dk/a") == "https://skole.example.dk:443"
    assert origin_of("wss://skole.example.dk/ws") == "https://skole.example.dk:443"
    assert origin_of("http://127.0.0.1:8000/") != origin_of("http://127.0.0.1:8001/")


def test_baseline_ui_block_is_valid_and_resolves():
    cat = catalogue_mod.load(ROOT / "requirements.yaml")
    suite = suites.load("baseline", capabilities=set(cat.capabilities))
    acc = suites.Account("pupil", "elev.anna", "x" * 12)
    dep = SimpleNamespace(endpoints={"dav": "http://127.0.0.1:5232", "files": "http://127.0.0.1:8080"},
                          url=None, accounts={"pupil": acc},
                          hosts=lambda: ["http://127.0.0.1:5232", "http://127.0.0.1:8080"])
    spec = UiSpec(suite, dep)
    assert spec.login_method == "form"
    assert spec.url(spec.page("files").url, "pupil") == "http://127.0.0.1:8080/elev.anna/"
    assert spec.basic_origins() == ["http://127.0.0.1:8080"]
    assert spec.own_origins() == ["http://127.0.0.1:5232", "http://127.0.0.1:8080"]


def test_sogo_ui_block_is_valid_and_resolves():
    cat = catalogue_mod.load(ROOT / "requirements.yaml")
    suite = suites.load("sogo", capabilities=set(cat.capabilities))
    acc = suites.Account("pupil", "elev.anna", "x" * 12)
    web = "http://127.0.0.1:8443"
    dep = SimpleNamespace(endpoints={"web": web, "sogo": f"{web}/SOGo", "dav": f"{web}/SOGo/dav"},
                          url=None, accounts={"pupil": acc}, hosts=lambda: [web])
    spec = UiSpec(suite, dep)
    assert spec.login_method == "form" and spec.basic_origins() == []
    assert spec.url(spec.page("calendar").url, "pupil") == f"{web}/SOGo/so/elev.anna/Calendar/view"
    assert spec.journey("calendar")["months"][9] == "Okt" and not spec.journey("files").get("page")


def test_kolibri_ui_block_is_valid_and_resolves():
    cat = catalogue_mod.load(ROOT / "requirements.yaml")
    suite = suites.load("kolibri", capabilities=set(cat.capabilities))
    acc = suites.Account("pupil", "elev_anna", "x" * 12)
    web = "http://127.0.0.1:8765"
    dep = SimpleNamespace(endpoints={"web": web}, url=None, accounts={"pupil": acc}, hosts=lambda: [web])
    spec = UiSpec(suite, dep)
    assert spec.login_method == "form" and spec.login["next"] and isinstance(spec.login["logout"], list)
    assert spec.url(spec.page("start").url, "pupil") == f"{web}/learn/#/home"
    assert not spec.journey("files").get("page") and spec.journey("files")["note"]
    assert not spec.journey("calendar").get("page") and spec.journey("calendar")["note"]


def test_login_after_and_logout_steps_are_checked():
    login = {"method": "form", "url": "{url}", "username": "#u", "password": "#p", "submit": "#s", "logged_in": "#w"}
    for extra, message in (({"after": {"click": "#ok"}}, "after must be a list of steps"),
                           ({"logout": {"click": "#out"}}, "logout must be a selector or a list of steps"),
                           ({"logout": []}, "logout must be a selector or a list of steps")):
        bad = SimpleNamespace(name="x", folder=Path("/tmp/x"), located=None, config={"ui": {"login": {**login, **extra}}})
        with pytest.raises(ConfigError, match=message):
            UiSpec(bad)
    good = SimpleNamespace(name="x", folder=Path("/tmp/x"), located=None, config={"ui": {"login": {
        **login, "next": "#n", "after": [{"click": "#ok", "optional": True}], "logout": [{"click": "#menu"}]}}})
    assert UiSpec(good).login["next"] == "#n"


def test_calendar_months_must_be_twelve():
    bad = SimpleNamespace(name="x", folder=Path("/tmp/x"), located=None,
                          config={"ui": {"calendar": {"months": ["jan", "feb"]}}})
    with pytest.raises(ConfigError, match="12 month names"):
        UiSpec(bad)


def test_a_broken_ui_block_names_the_problem():
    bad = SimpleNamespace(name="x", folder=Path("/tmp/x"), located=None,
                          config={"ui": {"login": {"method": "sms", "url": "{url}"},
                                         "pages": {"start": {"url": "{url}", "auth": "magic"}}}})
    with pytest.raises(ConfigError) as exc:
        UiSpec(bad)
    text = str(exc.value)
    assert "unknown login method 'sms'" in text and "auth must be one of" in text


def test_a_missing_browser_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(launch, "CHROMIUM", "/nonexistent/chromium")
    assert not launch.available()
    with pytest.raises(launch.BrowserMissing, match=r"/nonexistent/chromium.*apt-get install -y chromium"):
        launch.start()


def test_secure_flag_is_not_judged_over_plain_http_but_said():
    plain = {"name": "sid", "domain": "127.0.0.1", "secure": False, "http_only": True, "same_site": "Lax",
             "session": True, "lifetime_s": None}
    over_http = {"hosts": [{"origin": "http://127.0.0.1:8080", "third_party": False, "requests": 3}]}
    j = rules.judge({"cookie_flags": True}, {**over_http, "cookies": [plain]})
    assert j.ok and "Secure not judged for sid" in j.message
    over_https = {"hosts": [{"origin": "https://skole.example.dk", "third_party": False, "requests": 3}]}
    j = rules.judge({"cookie_flags": True}, {**over_https, "cookies": [plain]})
    assert not j.ok and "not Secure" in j.message
    # the other flags still count over plain HTTP
    j = rules.judge({"cookie_flags": True}, {**over_http, "cookies": [dict(plain, http_only=False)]})
    assert not j.ok and "not HttpOnly" in j.message
