"""The load users' own HTTP client (poc/load/leanhttp.py): against a real WebDAV server (WsgiDAV on
127.0.0.1) it keeps one connection for many requests, sends UTF-8 Basic credentials, reports every
request with its failure when the status was not expected, and reopens a connection the server ended;
its parsing of chunked bodies and its cookie rules are checked directly."""

from __future__ import annotations

import base64
import gevent
import pytest
from gevent import socket

from poc.lifecycle.local import free_port
from poc.load import conncount as keepalive
from poc.load import leanhttp

PASSWORD = "Ærø-kode-7"


@pytest.fixture
def dav(wsgidav_server):
    return wsgidav_server(PASSWORD)


def _auth(password=PASSWORD):
    return {"Authorization": "Basic " + base64.b64encode(f"elev:{password}".encode()).decode()}


def test_one_kept_connection_utf8_credentials_and_failures_reported(dav):
    fired = []
    client = leanhttp.Client(lambda **kw: fired.append(kw))
    before = dict(keepalive.COUNTS)
    body = "Aflevering: æbler, øer og åer\n".encode() * 500
    r = client.request("PUT", dav + "aflevering.txt", name="put", data=body, headers=_auth(), expect=(201, 204))
    assert r.status_code in (201, 204), r.status_code
    for _ in range(5):
        r = client.request("GET", dav + "aflevering.txt", name="get", headers=_auth())
        assert r.status_code == 200 and r.content == body
    r = client.request("PROPFIND", dav, name="list", headers={**_auth(), "Depth": "1"}, expect=(207,))
    assert b"aflevering.txt" in r.content
    assert keepalive.COUNTS["opened"] - before["opened"] == 1, "seven requests over one kept connection"
    assert keepalive.COUNTS["reused"] - before["reused"] == 6
    wrong = client.request("GET", dav + "aflevering.txt", name="get", headers=_auth("forkert"))
    assert wrong.status_code == 401
    assert fired[-1]["exception"] is not None and "answered 401" in str(fired[-1]["exception"])
    assert all(f["exception"] is None for f in fired[:-1]) and [f["name"] for f in fired][:2] == ["put", "get"]
    client.close()


def test_a_connection_the_server_ended_is_reopened(dav):
    client = leanhttp.Client(lambda **kw: None)
    assert client.request("GET", dav, headers=_auth(), expect=(200,)).status_code == 200
    conn = next(iter(client.connections.values()))
    conn.sock.shutdown(socket.SHUT_RDWR)  # as if the server had ended it while the user was thinking
    before = dict(keepalive.COUNTS)
    assert client.request("GET", dav, headers=_auth(), expect=(200,)).status_code == 200
    assert keepalive.COUNTS["opened"] - before["opened"] == 1
    client.close()


def test_nothing_listening_is_a_reported_failure_with_status_0():
    fired = []
    client = leanhttp.Client(lambda **kw: fired.append(kw))
    r = client.request("GET", f"http://127.0.0.1:{free_port()}/", name="x")
    assert r.status_code == 0 and "failed" in str(fired[-1]["exception"])


def test_chunked_bodies_and_trailers():
    a, b = socket.socketpair()
    answer = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: kolibri_csrftoken=abc; Path=/\r\n\r\n"
              b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\n"
              b"HTTP/1.1 204 No Content\r\n\r\n")
    gevent.spawn(b.sendall, answer)
    conn = leanhttp._Connection(a)
    status, headers, content, close = leanhttp.Client(lambda **kw: None)._read(conn, "GET")
    assert (status, content, close) == (200, b"hello, world", False)
    assert headers["set-cookie"] == ["kolibri_csrftoken=abc; Path=/"]
    status, _, content, _ = leanhttp.Client(lambda **kw: None)._read(conn, "GET")
    assert (status, content) == (204, b""), "the next answer on the same connection"
    a.close()
    b.close()


def test_cookies_are_kept_per_host_and_removed_as_browsers_remove_them():
    c = leanhttp.Client(lambda **kw: None)
    c._keep_cookies("127.0.0.1", ["kolibri_session=s1; HttpOnly; Path=/", "kolibri_csrftoken=t1; Path=/"])
    assert c.cookie("kolibri_session") == "s1" and c.cookie("kolibri_csrftoken", "127.0.0.1") == "t1"
    c._keep_cookies("127.0.0.1", ['kolibri_session=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/'])
    assert c.cookie("kolibri_session") == "" and c.cookie("kolibri_csrftoken") == "t1"
    assert c.cookie("kolibri_csrftoken", "other.host") == ""
