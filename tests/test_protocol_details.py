"""Details of the protocols that decide verdicts: hrefs compared as URLs, Basic credentials in
UTF-8, and a method the server does not implement (501) as the suite's `fail`, not an `error`."""

from __future__ import annotations

import base64

import pytest
import requests

from poc.protocols._http import NotImplementedByServer, ServerFault, Utf8BasicAuth, basic_authorization
from poc.protocols.webdav import resource_key
from poc.verdicts import ERROR, FAIL, classify


@pytest.mark.parametrize("a, b", [
    ("/remote.php/dav/files/elev/Mine%20filer%20%c3%a6%c3%b8%c3%a5/", "/remote.php/dav/files/elev/Mine%20filer%20%C3%A6%C3%B8%C3%A5"),
    ("http://127.0.0.1/dav/Mine filer æøå/", "http://127.0.0.1:80/dav/Mine%20filer%20%C3%A6%C3%B8%C3%A5"),
    ("HTTP://LOCALHOST:8080/a%2fb/", "http://localhost:8080/a%2Fb"),
])
def test_the_same_resource_written_two_ways(a, b):
    assert resource_key(a) == resource_key(b)


@pytest.mark.parametrize("a, b", [
    ("/dav/Mine filer æøå/", "/dav/Mine filer aeoa/"),
    ("/dav/folder/", "/dav/folder/child"),
    ("http://127.0.0.1:8080/dav/", "http://127.0.0.1:8081/dav/"),
])
def test_different_resources_stay_different(a, b):
    assert resource_key(a) != resource_key(b)


def test_basic_credentials_are_utf8():
    header = basic_authorization("elev.bjørn", "Æblekage-ø-å")
    assert base64.b64decode(header.removeprefix("Basic ")).decode("utf-8") == "elev.bjørn:Æblekage-ø-å"
    prepared = requests.Request("GET", "http://127.0.0.1/", auth=Utf8BasicAuth("a", "Æ")).prepare()
    assert prepared.headers["Authorization"] == "Basic " + base64.b64encode("a:Æ".encode()).decode()
    assert prepared.headers["Authorization"] != requests.auth._basic_auth_str("a", "Æ")  # requests' Latin-1


def _response(status: int, method: str = "LOCK", reason: str = "Not Implemented") -> requests.Response:
    r = requests.Response()
    r.status_code, r.reason, r.url, r._content = status, reason, "http://127.0.0.1/x", b""
    r.request = requests.Request(method, "http://127.0.0.1/x").prepare()
    return r


def test_not_implemented_is_the_suites_fail_with_its_reason():
    exc = NotImplementedByServer(_response(501), "LOCK not implemented (501); no class 2 (locking)")
    assert classify(exc) == FAIL
    assert str(exc).startswith("LOCK not implemented (501); no class 2")
    assert classify(ServerFault(_response(500, reason="Internal Server Error"))) == ERROR
    assert classify(ServerFault(_response(503, reason="Service Unavailable"))) == ERROR
