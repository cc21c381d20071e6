"""PRI-09, TLS 1.2 or newer: every HTTPS origin the deployment declares, probed by poc/tlsprobe.py
(TLS 1.0 and 1.1 refused, 1.2 or 1.3 accepted, a certificate valid for the host and in date, no cipher
suite of the weak list (RFC 9325 / BCP 195), HSTS, and plain HTTP on port 80 redirected to HTTPS).

A suite the harness runs here (local processes or Compose) is served over plain HTTP on 127.0.0.1:
TLS in front of it would be the harness's or the operator's proxy, not the suite's, so PRI-09 is
not the suite's to pass there and is not tested; it is judged on a deployment at its https:// address
(external mode). A private CA is given in POC_TLS_CAFILE.
"""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlsplit

import pytest

from poc import tlsprobe


def _loopback(origin: str) -> bool:
    host = urlsplit(origin).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _page_on(origin: str, deployment) -> str:
    """The URL the HSTS header is read from: the suite's web page, or its base URL, on that origin."""
    candidates = []
    if "web-ui" in deployment.suite.capabilities:
        try:
            candidates.append(deployment.url_for("web-ui"))
        except (KeyError, ValueError):
            pass
    candidates.append(deployment.url or "")
    for url in candidates:
        if url and url.startswith(origin):
            return url
    return origin + "/"


@pytest.mark.requirement("PRI-09")
def test_tls_1_2_or_newer_with_a_valid_certificate_and_hsts(suite_deployment, evidence):
    """HTTPS only, TLS 1.2 or newer, a valid certificate, no weak cipher, HSTS"""
    d = suite_deployment
    origins = d.hosts()
    https = [o for o in origins if o.startswith("https://")]
    plain = [o for o in origins if o.startswith("http://")]
    if not https and d.mode != "external":
        pytest.skip(f"not the suite's to pass here: the harness serves {d.suite.name} ({d.mode} mode) over plain "
                    "HTTP on 127.0.0.1, and TLS in front of it would be the harness's or the operator's proxy; "
                    "PRI-09 is judged on a deployment at its https:// address (make evaluate URL=https://...)")
    if not https and all(_loopback(o) for o in plain):
        pytest.skip(f"the deployment was given at a loopback address over plain HTTP ({', '.join(plain)}), which "
                    "says nothing about its TLS: evaluate it at its https:// address")
    faults = [f"{o} is reached over plain HTTP, without TLS" for o in plain if not _loopback(o)]
    reports = {}
    for origin in https:
        report = tlsprobe.probe(_page_on(origin, d), cafile=getattr(getattr(d, "launcher", None), "tls_cafile", None))
        reports[origin] = report.as_dict()
        faults += [f"{origin}: {f}" for f in report.faults]
    (evidence / "tls.json").write_text(json.dumps({"origins": reports, "plain_http": plain, "faults": faults,
                                                   "weak_list_source": tlsprobe.SOURCE}, indent=2), encoding="utf-8")
    assert not faults, "; ".join(faults)
