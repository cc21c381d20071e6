"""Single sign-on with the school's own identity provider: SAML 2.0 (IAM-05) and OpenID Connect
(IAM-06), through the harness's IdP for the run (poc/sso) and the suite's ``sso:`` block.

A suite whose suite.yaml declares no such sign-in, or says it cannot (``support: unsupported``), is
`unsupported` with the reason; one that can but whose run brought no IdP for the protocol (an
external deployment evaluated without ``SSO=``) is not verified, with what to do."""

from __future__ import annotations

import json
import time

import pytest

from poc import sso
from poc.sso import journeys as sj
from poc.sso import web as idp_web
from poc.sso.directory import IDP_ONLY, idp_only_password
from poc.verdicts import unsupported

NAMES = {"saml": "SAML 2.0", "oidc": "OpenID Connect"}
PROTOCOLS = [pytest.param("saml", marks=pytest.mark.requirement("IAM-05"), id="saml"),
             pytest.param("oidc", marks=pytest.mark.requirement("IAM-06"), id="oidc")]
WRONG = "forkert-Adgangskode-æøå-42"
SENT = {"saml": "authn-response", "oidc": "token"}


def _spec(deployment, run_dir, protocol: str) -> sj.SsoSpec:
    suite = deployment.suite
    block = sso.block(suite).get(protocol)
    if not block:
        unsupported(f"{suite.name} declares no {NAMES[protocol]} sign-in (its suite.yaml has no sso.{protocol})")
    if block.get("support") == "unsupported":
        unsupported(block.get("reason") or f"{suite.name} cannot be set up for {NAMES[protocol]} sign-in")
    info = ((sso.info(run_dir) or {}).get("protocols") or {}).get(protocol)
    if info is None:
        pytest.skip(f"not verified: this run brought no {NAMES[protocol]} identity provider; register the harness's "
                    f"IdP on the deployment (README, vendors) and run make evaluate SUITE={suite.name} URL=... "
                    f"SSO={protocol}")
    return sj.SsoSpec(protocol, block, info, run_dir, suite.name)


def _person(spec: sj.SsoSpec, deployment, key: str) -> tuple[dict, str]:
    person = next(p for p in spec.info["directory"] if p["key"] == key)
    if person["known_to_suite"]:
        return person, deployment.accounts[key].own_password
    return person, idp_only_password(person["username"])


def _note(request, text: str) -> None:
    request.node.user_properties.append(("poc_note", text))


def _record(run_dir, protocol: str, name: str, data: dict) -> None:
    """evidence/sso/<protocol>-<name>.json: what the journey found (read by the report's identity section)."""
    folder = sso.evidence_dir(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{protocol}-{name}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")


def _sign_in(session, spec, journey, person: dict, password: str, who: str) -> tuple[str, float]:
    with journey.step(f"open {spec.suite} as {who}: sent to the identity provider"):
        sj.open_suite(session, spec)
        assert sj.at_idp(session.page, spec), f"{spec.suite} did not send the browser to the identity provider"
    t0 = time.time()
    with journey.step(f"sign in at the identity provider as {who} ({person['username']})"):
        sj.submit(session.page, person["username"], password)
    return sj.wait_outcome(session.page, spec), t0


@pytest.fixture
def sso_spec(request, suite_deployment, poc):
    return lambda protocol: _spec(suite_deployment, poc.run_dir, protocol)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_sso_sign_in(protocol, sso_spec, suite_deployment, open_as, journey, poc, request):
    """A pupil opens the suite, signs in at the school's identity provider and lands signed in as herself"""
    spec = sso_spec(protocol)
    person, password = _person(spec, suite_deployment, "pupil")
    session = open_as("pupil")
    outcome, t0 = _sign_in(session, spec, journey, person, password, "the pupil")
    with journey.step("back at the suite, signed in as the pupil (name with æøå on the page)") as step:
        assert outcome == "in", f"the pupil was not signed in after the identity provider's answer ({outcome})"
        text = sj.page_text(session.page)
        sent = spec.events(t0, SENT[protocol])
        attributes = (sent[-1].get("attributes") or sent[-1].get("claims") or {}) if sent else {}
        shown = {k: v for k, v in (("name", person["display_name"]), ("email", person["email"])) if v in text}
        step["note"] = f"shows {', '.join(f'{k} {v}' for k, v in shown.items()) or 'neither name nor e-mail'}"
        assert person["display_name"] in text, (
            f"the page does not show the pupil's name {person['display_name']!r} after the sign-in")
    with journey.step("single sign-on: the suite's session gone, the IdP's kept: in again without a password"):
        idp_cookies = [c for c in session.context.cookies() if c["name"] == idp_web.COOKIE]
        session.context.clear_cookies()
        session.context.add_cookies(idp_cookies)
        t1 = time.time()
        session.page.goto(spec.start_url, wait_until="load")
        if spec.spec.get("to_idp") and not sj.logged_in(session.page, spec):
            session.page.locator(spec.spec["to_idp"]).first.click()
        again = sj.wait_outcome(session.page, spec)
        asked = bool(spec.events(t1, "login"))
        assert again == "in" and not asked, (
            f"signed in at the IdP, the pupil did not get into the suite again without a password ({again})")
    _record(poc.run_dir, protocol, "sign-in", {
        "user": person["username"], "sent": attributes, "shown_on_page": shown,
        "used_by_suite": spec.spec.get("attributes", ""), "idp_events": [e["event"] for e in spec.events(t0)]})
    _note(request, f"{person['display_name']} signed in through the harness's {NAMES[protocol]} IdP; the page "
                   f"shows {', '.join(shown) or 'the name'}")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_sso_wrong_password_lets_nobody_in(protocol, sso_spec, suite_deployment, open_as, journey, poc):
    """A wrong password at the identity provider lets nobody into the suite"""
    spec = sso_spec(protocol)
    person, _ = _person(spec, suite_deployment, "pupil")
    session = open_as("pupil")
    outcome, t0 = _sign_in(session, spec, journey, person, WRONG, "the pupil, with a wrong password")
    with journey.step("the identity provider refuses; the suite lets nobody in"):
        assert outcome == "idp-error", f"after a wrong password the browser ended in {outcome!r}"
        answers = spec.events(t0, SENT[protocol]) + spec.events(t0, "authn-response")
        assert not answers, "the identity provider answered the suite after a wrong password"
        assert not sj.logged_in(session.page, spec)
    _record(poc.run_dir, protocol, "wrong-password", {"user": person["username"], "outcome": outcome,
                                                       "idp_events": [e["event"] for e in spec.events(t0)]})


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_sso_unknown_account(protocol, sso_spec, suite_deployment, open_as, journey, poc, request):
    """An account the suite does not know is refused, or created on the fly (which, and with which role)"""
    spec = sso_spec(protocol)
    person, password = _person(spec, suite_deployment, IDP_ONLY["role"])
    session = open_as("pupil")
    outcome, t0 = _sign_in(session, spec, journey, person, password, "a pupil the suite does not know")
    with journey.step("the suite refuses the unknown account, or creates it") as step:
        text = sj.page_text(session.page)
        if outcome == "in":
            assert person["display_name"] in text, (
                "the unknown account was let in, but the page does not show its name: signed in as someone else?")
            verdict = "created on the fly"
            role = spec.spec.get("new_account_role") or "the suite's default role for a new user"
            step["note"] = f"created on the fly ({role})"
        else:
            verdict = "refused"
            loop = bool(spec.events(t0, "redirect-loop"))
            step["note"] = ("refused: the suite took the IdP's answer but sent the browser back to the IdP again and "
                            "again (a redirect loop the IdP stopped), with no message" if loop else
                            f"refused ({outcome}): {text[:160]}")
            role = ""
    _record(poc.run_dir, protocol, "unknown-account", {"user": person["username"], "outcome": verdict,
                                                        "role": role, "detail": step.get("note", ""),
                                                        "idp_events": [e["event"] for e in spec.events(t0)]})
    _note(request, f"an account the suite does not know: {step.get('note', verdict)}")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_sso_sign_out(protocol, sso_spec, suite_deployment, open_as, journey, poc, request):
    """Sign-out ends the session at the suite (and at the identity provider where the suite does single logout)"""
    spec = sso_spec(protocol)
    if not spec.spec.get("logout"):
        unsupported(f"{spec.suite}'s {NAMES[protocol]} sign-in declares no way to sign out")
    person, password = _person(spec, suite_deployment, "pupil")
    session = open_as("pupil")
    outcome, _ = _sign_in(session, spec, journey, person, password, "the pupil")
    with journey.step("signed in"):
        assert outcome == "in", f"the pupil was not signed in ({outcome})"
    t1 = time.time()
    with journey.step("sign out at the suite"):
        sj.logout(session.page, spec)
        session.page.wait_for_timeout(2500)
    with journey.step("the suite's session has ended (the IdP unreachable meanwhile)"):
        session.context.route(f"{spec.idp_origin}/**", lambda route: route.abort())
        try:
            session.page.goto(spec.start_url, wait_until="load")
        except Exception:
            pass  # the start page may send straight on to the (blocked) IdP
        session.page.wait_for_timeout(1500)
        still = sj.logged_in(session.page, spec)
        session.context.unroute(f"{spec.idp_origin}/**")
        assert not still, "after signing out, the suite's page still shows the user signed in"
    with journey.step("at the identity provider: single logout?") as step:
        slo = [e for e in spec.events(t1) if e["event"] in ("logout-request", "end-session")]
        session.page.goto(spec.start_url, wait_until="load")
        if spec.spec.get("to_idp") and not sj.at_idp(session.page, spec):
            try:
                session.page.locator(spec.spec["to_idp"]).first.click(timeout=5000)
            except Exception:
                pass
        again = sj.wait_outcome(session.page, spec)
        ended = again in ("idp-login",)
        step["note"] = ("single logout: the suite told the IdP, whose session ended (the password is asked again)"
                        if slo and ended else
                        "no single logout: the IdP's session remains, so opening the suite signs the user in again"
                        if again == "in" else f"the IdP's session: {again}")
    _record(poc.run_dir, protocol, "sign-out", {"user": person["username"], "suite_session_ended": True,
                                                 "single_logout": bool(slo and ended), "detail": step["note"]})
    _note(request, "sign-out ends the suite's session; " + step["note"])


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_sso_tampered_answer_refused(protocol, sso_spec, suite_deployment, open_as, journey, poc, request):
    """A tampered answer from the identity provider is refused (SAML: signature broken; OIDC: a forged code)"""
    spec = sso_spec(protocol)
    person, password = _person(spec, suite_deployment, "pupil")
    other = suite_deployment.accounts.get("pupil2") or suite_deployment.accounts["teacher"]
    session = open_as("pupil")
    log: dict = {}
    statuses: list[dict] = []
    if protocol == "saml":
        sj.tamper_saml(session.context, person["username"], other.username, log)
        session.page.on("response", lambda r: statuses.append({"url": r.url.split("?")[0], "status": r.status})
                        if r.request.method == "POST" and r.url.split("?")[0] == log.get("acs") else None)
    else:
        sj.tamper_oidc(session.context, spec.idp_origin, [u for cl in spec.info["sp"].get("clients", {}).values()
                                                          for u in cl.get("redirect_uris", [])], log)
        session.page.on("response", lambda r: statuses.append({"url": r.url.split("?")[0], "status": r.status})
                        if log.get("redirect_uri") and r.url.startswith(log["redirect_uri"]) else None)
    outcome, t0 = _sign_in(session, spec, journey, person, password, "the pupil (the answer altered on the way)")
    with journey.step("the suite refuses the tampered answer: nobody signed in") as step:
        assert log.get("tampered"), f"the harness could not alter the answer: {log.get('error', 'none passed by')}"
        text = sj.page_text(session.page)
        assert outcome != "in" and not sj.logged_in(session.page, spec), (
            f"the suite accepted a tampered answer ({log['change']}) and signed the user in")
        assert other.display_name not in text
        step["note"] = f"{log['change']}; the suite answered " + (
            ", ".join(f"HTTP {s['status']}" for s in statuses[:3]) or "nothing") + f" and the browser ended in {outcome}"
    _record(poc.run_dir, protocol, "tampered", {"user": person["username"], "change": log.get("change"),
                                                 "answers": statuses[:5], "outcome": outcome, "refused": True})
    _note(request, "a tampered answer was refused: " + step["note"])


@pytest.mark.requirement("IAM-06")
def test_oidc_authorization_code_with_pkce(sso_spec, suite_deployment, open_as, journey, poc, request):
    """The relying party uses the authorization code flow with PKCE (a code challenge, then its verifier)"""
    spec = sso_spec("oidc")
    person, password = _person(spec, suite_deployment, "pupil")
    session = open_as("pupil")
    outcome, t0 = _sign_in(session, spec, journey, person, password, "the pupil")
    with journey.step("the authentication request carried a PKCE code challenge, the token request its verifier") as step:
        asked = spec.events(t0 - 30, "authentication-request")
        tokens = spec.events(t0, "token")
        challenge = asked[-1].get("pkce", "") if asked else ""
        verifier = bool(tokens and tokens[-1].get("pkce_verifier"))
        step["note"] = f"code challenge method: {challenge or 'none'}; verifier sent: {'yes' if verifier else 'no'}"
        assert outcome == "in", f"the pupil was not signed in ({outcome})"
        assert challenge and verifier, (
            f"{spec.suite} signs in with the authorization code flow without PKCE (no code_challenge in its "
            "authentication request)")
    _record(poc.run_dir, "oidc", "pkce", {"challenge": challenge, "verifier": verifier})
    _note(request, step["note"])
