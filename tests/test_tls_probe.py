"""The PRI-09 TLS probe (poc/tlsprobe.py) against local HTTPS fronts made good and made bad on purpose:
a test CA and certificates made here with `openssl`, Python ssl servers with chosen versions,
ciphers and headers. The good front passes; each bad one fails, naming its fault and only it."""

from __future__ import annotations

import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import warnings
from pathlib import Path

import pytest

from poc import tlsprobe

pytestmark = pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command (apt-get install -y openssl)")

HSTS = "max-age=31536000; includeSubDomains"


def _openssl(*args, cwd: Path):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    """A test CA and three server certificates signed by it: good (127.0.0.1 and localhost, in date),
    expired (2020) and wrong-host (wrong.example)."""
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "30",
             "-subj", "/CN=OS2skole PoC test CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    (d / "newcerts").mkdir()
    (d / "index.txt").write_text("")
    (d / "serial").write_text("1000\n")
    (d / "ca.cnf").write_text(f"""[ca]
default_ca = test
[test]
dir = {d}
database = {d}/index.txt
new_certs_dir = {d}/newcerts
serial = {d}/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
""")
    out = {"ca": d / "ca.pem"}
    for name, san, dates in (("good", "IP:127.0.0.1,DNS:localhost", ["-days", "30"]),
                             ("expired", "IP:127.0.0.1,DNS:localhost",
                              ["-startdate", "20200101000000Z", "-enddate", "20200201000000Z"]),
                             ("wronghost", "DNS:wrong.example", ["-days", "30"])):
        _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}", cwd=d)
        _openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.pem", "-keyfile", "ca.key", "-in", f"{name}.csr",
                 "-out", f"{name}.pem", "-notext", *dates, cwd=d)
        out[name] = d / f"{name}.pem"
        out[name + ".key"] = d / f"{name}.key"
    return out


class _Front(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ctx: ssl.SSLContext, headers: dict):
        self.ctx, self.headers = ctx, headers
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                for k, v in front.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def finish_request(self, request, client_address):
        request.settimeout(5)
        try:
            request = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # a refused handshake: what the probe is testing
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass


@pytest.fixture
def front(pki):
    started = []

    def start(cert="good", minimum=ssl.TLSVersion.TLSv1_2, ciphers=None, headers=None) -> str:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(pki[cert], pki[cert + ".key"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 on purpose
            ctx.minimum_version = minimum
        if ciphers or minimum < ssl.TLSVersion.TLSv1_2:
            ctx.set_ciphers(ciphers or "DEFAULT:@SECLEVEL=0")  # old versions, and nothing weak
        server = _Front(ctx, {"Strict-Transport-Security": HSTS} if headers is None else headers)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        started.append(server)
        return f"https://127.0.0.1:{server.server_address[1]}/"

    yield start
    for s in started:
        s.shutdown()
        s.server_close()


def _faults(report) -> str:
    return " | ".join(report.faults)


def test_a_good_front_passes(front, pki):
    report = tlsprobe.probe(front(), cafile=str(pki["ca"]))
    assert report.ok, _faults(report)
    assert not report.versions["TLS 1.0"]["accepted"] and not report.versions["TLS 1.1"]["accepted"]
    assert report.versions["TLS 1.2"]["accepted"] and report.versions["TLS 1.3"]["accepted"]
    assert report.certificate["trusted"] and "127.0.0.1" in report.certificate["names"]
    assert all(v is None for v in report.weak.values())
    assert report.hsts["max_age"] == 31536000
    assert any("HTTP not checked" in n for n in report.notes)  # a random port: its HTTP port is unknown


def test_tls_1_0_allowed_fails(front, pki):
    report = tlsprobe.probe(front(minimum=ssl.TLSVersion.TLSv1), cafile=str(pki["ca"]))
    assert report.faults and all("TLS 1.0" in f or "TLS 1.1" in f for f in report.faults), _faults(report)
    assert "TLS 1.0 is accepted" in _faults(report)


def test_an_expired_certificate_fails(front, pki):
    report = tlsprobe.probe(front(cert="expired"), cafile=str(pki["ca"]))
    assert report.faults == ["the certificate expired on Feb  1 00:00:00 2020 GMT"], _faults(report)


def test_a_certificate_for_another_host_fails(front, pki):
    report = tlsprobe.probe(front(cert="wronghost"), cafile=str(pki["ca"]))
    assert report.faults == ["the certificate is not valid for 127.0.0.1 (it names wrong.example)"], _faults(report)


def test_an_untrusted_certificate_fails(front):
    report = tlsprobe.probe(front())  # the test CA is not in the system's store
    assert len(report.faults) == 1 and "not trusted (the system's certificate store)" in report.faults[0], \
        _faults(report)


def test_a_weak_cipher_fails(front, pki):
    # NULL encryption offered beside a good suite: a hello offering only NULL suites gets one
    url = front(ciphers="ECDHE-RSA-AES128-GCM-SHA256:NULL-SHA256:@SECLEVEL=0")
    report = tlsprobe.probe(url, cafile=str(pki["ca"]))
    assert report.faults == ["weak cipher suite accepted: TLS_RSA_WITH_NULL_SHA256 (NULL encryption; "
                             "RFC 9325 4.1: MUST NOT)"], _faults(report)


def test_no_hsts_fails(front, pki):
    report = tlsprobe.probe(front(headers={}), cafile=str(pki["ca"]))
    assert report.faults == ["no Strict-Transport-Security (HSTS) header"], _faults(report)
    short = tlsprobe.probe(front(headers={"Strict-Transport-Security": "max-age=3600"}), cafile=str(pki["ca"]))
    assert short.faults == ["HSTS max-age is 3600 s, less than six months (15768000 s)"], _faults(short)


def test_plain_http_must_redirect_to_https(front, pki):
    url = front()

    class Plain(http.server.BaseHTTPRequestHandler):
        target = None

        def do_GET(self):
            if self.target:
                self.send_response(301)
                self.send_header("Location", self.target)
            else:
                self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    for target, fault in ((None, True), (url, False)):
        Plain.target = target
        plain = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Plain)
        threading.Thread(target=plain.serve_forever, args=(0.05,), daemon=True).start()
        try:
            report = tlsprobe.probe(url, cafile=str(pki["ca"]), http_port=plain.server_address[1])
        finally:
            plain.shutdown()
            plain.server_close()
        assert bool(report.faults) == fault, _faults(report)
        if fault:
            assert "answers HTTP 200 over plain HTTP" in report.faults[0]
    with socket.socket() as s:  # a port where nothing listens: plain HTTP is not served, which is fine
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    report = tlsprobe.probe(url, cafile=str(pki["ca"]), http_port=closed)
    assert report.ok and report.http["served"] is False, _faults(report)


def test_a_plain_http_url_is_refused():
    with pytest.raises(ValueError):
        tlsprobe.probe("http://127.0.0.1:1/")
