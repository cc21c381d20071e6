"""How an outcome becomes a verdict: failed assertion -> fail; refused connection or 5xx -> error."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest
import requests

from poc.protocols._http import Refused, ServerFault, Session
from poc.redact import add, redact
from poc.verdicts import ERROR, FAIL, classify


def _raise(exc_factory):
    try:
        exc_factory()
    except BaseException as exc:  # noqa: BLE001
        return exc
    raise AssertionError("did not raise")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1 answering /500 with 500 and /403 with 403."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            code = int(self.path.strip("/") or 200)
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_assertion_is_fail():
    assert classify(_raise(lambda: (_ for _ in ()).throw(AssertionError("x")))) == FAIL


def test_refused_connection_is_error():
    port = free_port()
    exc = _raise(lambda: Session().get(f"http://127.0.0.1:{port}/"))
    assert isinstance(exc, requests.ConnectionError)
    assert classify(exc) == ERROR


def test_5xx_is_error_and_4xx_where_success_was_needed_is_fail(server):
    exc = _raise(lambda: Session().get(server + "/500"))
    assert isinstance(exc, ServerFault) and classify(exc) == ERROR
    exc = _raise(lambda: Session().get(server + "/403", expect=200))
    assert isinstance(exc, Refused) and classify(exc) == FAIL
    assert Session().get(server + "/403").status_code == 403  # no expectation: the scenario judges


def test_harness_bug_is_error_not_fail():
    assert classify(_raise(lambda: {}["missing"])) == ERROR


def test_caldav_errors_are_fail_unless_5xx():
    from caldav.lib import error
    assert classify(error.NotFoundError("404 Not Found")) == FAIL
    assert classify(error.PutError("500 Internal Server Error")) == ERROR


def test_redact_masks_secrets_and_their_encodings():
    add("S3cret/Pass+word")
    text = "pw=S3cret/Pass+word url=https://u:S3cret%2FPass%2Bword@h/ Authorization: Basic dTpTM2NyZXQ="
    out = redact(text)
    assert "S3cret" not in out and "Pass" not in out
    assert out.count("********") == 3
