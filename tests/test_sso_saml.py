"""Single sign-on with SAML 2.0 on a real SOGo (Debian's sogo, built with liblasso) through the
harness's own identity provider (pysaml2 + xmlsec1): the journey end to end, a wrong password
refused at the IdP, and a tampered SAML response (the user name inside the signed assertion
altered) refused by SOGo and recorded as such. One run of the SSO scenarios, about 30 s."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from poc.ui import launch

from .conftest import ROOT
from .processes import marked, new_mark

pytestmark = [
    pytest.mark.skipif(not shutil.which("/usr/sbin/sogod"),
                       reason="SOGo is not installed: apt-get install -y sogo postgresql memcached nginx-light"),
    pytest.mark.skipif(not shutil.which("xmlsec1"), reason="xmlsec1 is not installed: apt-get install -y xmlsec1"),
    pytest.mark.skipif(not launch.available(), reason=f"no browser at {launch.CHROMIUM}: {launch.INSTALL_HINT}"),
]

JOURNEYS = "saml and (sign_in or wrong_password or tampered)"


@pytest.fixture(scope="module")
def saml_run(tmp_path_factory):
    root = ROOT
    run_dir = tmp_path_factory.mktemp("sso") / "run"
    env = {**os.environ, **new_mark(), "POC_REPORTS_DIR": str(run_dir.parent / "reports")}
    env.pop("POC_SSO", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", str(root / "scenarios" / "ui" / "test_sso.py"), "--suite", "sogo",
         "--run-dir", str(run_dir), "-k", JOURNEYS, "-p", "no:cacheprovider", "-c",
         str(root / "scenarios" / "pytest.ini"), "--rootdir", str(root), "-q"],
        cwd=root, env=env, capture_output=True, text=True, timeout=240)
    results = [json.loads(line) for line in (run_dir / "results.jsonl").read_text(encoding="utf-8").splitlines()
               if line.strip()] if (run_dir / "results.jsonl").exists() else []
    return proc, run_dir, {r["scenario"].split("::")[-1]: r for r in results}, env


def _events(run_dir):
    path = run_dir / "evidence" / "sso" / "idp-events.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_saml_sign_in_on_sogo_end_to_end(saml_run):
    proc, run_dir, results, env = saml_run
    out = proc.stdout[-3000:] + proc.stderr[-3000:]
    r = results.get("test_sso_sign_in[saml]")
    assert r is not None, out
    assert r["requirement"] == "IAM-05" and r["verdict"] == "pass", (r, out)
    assert "Anna Østergård" in r["message"]
    # the IdP got a signed AuthnRequest from SOGo and answered with signed attributes, æøå included
    events = _events(run_dir)
    request = next(e for e in events if e["event"] == "authn-request")
    assert request["signed"] and request["sp"].endswith("/SOGo/saml2-metadata")
    sent = next(e for e in events if e["event"] == "authn-response" and e["user"] == "elev.anna")
    assert sent["signed_assertion"] and sent["attributes"]["displayName"] == ["Anna Østergård"]
    assert sent["attributes"]["role"] == ["pupil"]
    # every step left a screenshot
    journey = json.loads((run_dir / "evidence" / "ui" / "test_sso_sign_in-saml.json").read_text(encoding="utf-8"))
    assert journey["outcome"] == "passed" and len(journey["steps"]) >= 4
    assert all(s["ok"] and s["screenshot"] and (run_dir / s["screenshot"]).exists() for s in journey["steps"])
    # what SOGo was configured with and where the IdP published its metadata
    info = json.loads((run_dir / "evidence" / "sso" / "sso.json").read_text(encoding="utf-8"))["protocols"]["saml"]
    assert info["configured"]["SOGoAuthenticationType"] == "saml2"
    assert info["idp"]["metadata"].startswith("http://127.0.0.1:")
    # the run's private keys are gone, the suite is stopped
    assert not list(run_dir.rglob("*.key")), "a private key was left in the run folder"
    assert marked(env) == [], "a process of the run is still running"


def test_idp_refuses_a_wrong_password(saml_run):
    proc, run_dir, results, _ = saml_run
    r = results.get("test_sso_wrong_password_lets_nobody_in[saml]")
    assert r is not None and r["verdict"] == "pass", (r, proc.stdout[-2000:])
    refused = [e for e in _events(run_dir) if e["event"] == "login-refused"]
    assert refused and refused[0]["user"] == "elev.anna" and refused[0]["known"] is True
    # the refused attempt produced no answer to SOGo
    t = refused[0]["t"]
    later = [e for e in _events(run_dir) if e["t"] >= t]
    nxt = next((e for e in later if e["event"] in ("login", "authn-response")), None)
    assert nxt is None or nxt["event"] == "login", "the IdP answered SOGo after a wrong password"


def test_tampered_saml_response_is_refused_and_recorded(saml_run):
    proc, run_dir, results, _ = saml_run
    r = results.get("test_sso_tampered_answer_refused[saml]")
    assert r is not None and r["verdict"] == "pass", (r, proc.stdout[-2000:])
    assert "inside the signed Assertion" in r["message"] and "refused" in r["message"]
    record = json.loads((run_dir / "evidence" / "sso" / "saml-tampered.json").read_text(encoding="utf-8"))
    assert record["refused"] and record["answers"], record
    assert all(a["status"] != 302 for a in record["answers"]), "SOGo redirected as after a good sign-in"
    # SOGo's own log says why (lasso's signature check)
    log = (run_dir / "evidence" / "logs" / "sogod-sso.log").read_text(errors="replace")
    assert "SignatureVerificationFailed" in log
