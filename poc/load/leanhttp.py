"""The simulated pupils' and teachers' HTTP client: HTTP/1.1 over gevent sockets, one kept connection
per suite host and user, as a browser keeps them.

Why not Locust's FastHttpUser: its client (geventhttpclient with Locust's response wrappers) spends
about 75 µs of generator CPU on every request, so one generator core made about 10,000 requests a
second, half of what JMeter makes (`make bench`), and a generator that is the bottleneck measures
itself, not the suite. This client does what the school day's requests need and nothing more, in a
few microseconds of Python each:

- HTTP/1.1 with keep-alive; the connection is reused while the suite keeps it (an idle one is checked
  with poll(), which takes any file number, before reuse: poc/load/keepalive.py) and reopened when the
  suite ends it (HTTP/1.0, `Connection: close`) or has dropped it meanwhile; a request that failed on a
  reused connection before any byte of its answer came back is sent once more on a new one, as
  browsers do;
- bodies by Content-Length, chunked, or until the connection ends; no body for HEAD, 1xx, 204, 304;
- TLS with certificate checks (the system's trust store) on https URLs;
- cookies per host, as a browser keeps a session (Kolibri's session and CSRF cookies): `name=value`
  from Set-Cookie, removed by an empty value, `Max-Age=0` or an expiry in the past;
- redirects are not followed: an answer the action did not expect is the action's failure;
- a time-out per request (POC_LOAD_TIMEOUT, 60 s as Locust's), its failure named.

Every request is reported to Locust's statistics (events.request) with its name, time and length, and
counted into the stage's connections.json (opened, reused, found dead, ended after an answer)."""

from __future__ import annotations

import os
import time
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import gevent
from gevent import socket
from . import conncount as keepalive  # the counts and the idle check (no Locust import here)

TIMEOUT = float(os.environ.get("POC_LOAD_TIMEOUT") or 60)
USER_AGENT = b"os2skole-poc-harness (load)"
NO_BODY = (204, 304)
RECV = 65536


class HTTPError(Exception):
    """What went wrong with one request: the suite's answer or the connection (never the user's password)."""


class Response:
    __slots__ = ("status_code", "headers", "content", "url")

    def __init__(self, status_code: int, headers: dict, content: bytes, url: str):
        self.status_code, self.headers, self.content, self.url = status_code, headers, content, url

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self):
        import json
        return json.loads(self.content)


class _Connection:
    __slots__ = ("sock", "buf", "reused")

    def __init__(self, sock):
        self.sock, self.buf, self.reused = sock, b"", False


class Client:
    """One user's connections and cookies."""

    def __init__(self, fire, *, timeout: float = TIMEOUT):
        self.fire = fire
        self.timeout = timeout
        self.connections: dict[tuple, _Connection] = {}
        self.cookies: dict[str, dict[str, str]] = {}   # host -> name -> value
        self._ssl = None

    # -- cookies ---------------------------------------------------------------------------------
    def cookie(self, name: str, host: str | None = None) -> str:
        jars = [self.cookies.get(host, {})] if host else self.cookies.values()
        for jar in jars:
            if name in jar:
                return jar[name]
        return ""

    def _keep_cookies(self, host: str, values: list[str]) -> None:
        jar = self.cookies.setdefault(host, {})
        for raw in values:
            first, *attrs = raw.split(";")
            name, _, value = first.strip().partition("=")
            value = value.strip().strip('"')
            gone = not value
            for a in attrs:
                k, _, v = a.strip().partition("=")
                k = k.lower()
                if k == "max-age" and v.strip().lstrip("-").isdigit() and int(v) <= 0:
                    gone = True
                elif k == "expires":
                    try:
                        gone = gone or parsedate_to_datetime(v.strip()).timestamp() <= time.time()
                    except (TypeError, ValueError, IndexError, OverflowError):
                        pass
            if gone:
                jar.pop(name, None)
            elif name:
                jar[name] = value

    # -- connections -------------------------------------------------------------------------------
    def _connect(self, scheme: str, host: str, port: int) -> _Connection:
        sock = socket.create_connection((host, port), timeout=self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if scheme == "https":
            if self._ssl is None:
                from gevent import ssl as gssl
                self._ssl = gssl.create_default_context()
            sock = self._ssl.wrap_socket(sock, server_hostname=host)
        keepalive.COUNTS["opened"] += 1
        return _Connection(sock)

    def _connection(self, key) -> _Connection:
        conn = self.connections.get(key)
        if conn is not None:
            if not conn.buf and keepalive.alive(conn.sock):
                keepalive.COUNTS["reused"] += 1
                conn.reused = True
                return conn
            keepalive.COUNTS["stale"] += 1
            self._drop(key)
        conn = self.connections[key] = self._connect(*key)
        return conn

    def _drop(self, key) -> None:
        conn = self.connections.pop(key, None)
        if conn is not None:
            try:
                conn.sock.close()
            except OSError:
                pass

    def close(self) -> None:
        for key in list(self.connections):
            self._drop(key)

    # -- one exchange ------------------------------------------------------------------------------
    def request(self, method: str, url: str, *, name: str | None = None, data: bytes | None = None,
                headers: dict | None = None, expect=(200,)) -> Response:
        """Send one request and report it to Locust's statistics; a status not in `expect` (or a
        connection failure, a time-out) is reported as the request's failure. The answer is returned
        either way (status 0 and no content when there was none), as Locust's own clients do."""
        t0 = time.perf_counter()
        parts = urlsplit(url)
        scheme = parts.scheme
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, parts.hostname, port)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        head = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}"]
        jar = self.cookies.get(parts.hostname)
        if jar:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in jar.items()))
        for k, v in (headers or {}).items():
            head.append(f"{k}: {v}")
        body = data if isinstance(data, bytes) else (data.encode("utf-8") if data else b"")
        if body or method in ("POST", "PUT", "PATCH"):
            head.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(head) + "\r\n").encode("utf-8") + b"User-Agent: " + USER_AGENT + b"\r\n\r\n" + body
        response, error = None, None
        try:
            with gevent.Timeout(self.timeout, HTTPError(f"{method} timed out after {self.timeout:.0f} s")):
                response = self._exchange(key, method, raw, url)
        except HTTPError as exc:
            error = exc
        except OSError as exc:
            error = HTTPError(f"{method} failed: {type(exc).__name__}: {exc}")
        if error is None and response.status_code not in expect:
            error = HTTPError(f"{method} answered {response.status_code}, expected {'/'.join(map(str, expect))}")
        if response is None:
            response = Response(0, {}, b"", url)
        self.fire(request_type=method, name=name or path, response_time=(time.perf_counter() - t0) * 1000,
                  response_length=len(response.content), exception=error, context={}, url=url, response=response)
        return response

    def _exchange(self, key, method: str, raw: bytes, url: str) -> Response:
        for attempt in (1, 2):
            conn = self._connection(key)
            try:
                conn.sock.sendall(raw)
                status, headers, content, close = self._read(conn, method)
            except (OSError, HTTPError) as exc:
                self._drop(key)
                # a kept connection the suite had ended just before: once more on a new one, as browsers do
                if attempt == 1 and conn.reused and getattr(exc, "nothing_read", False):
                    continue
                raise
            if close:
                keepalive.COUNTS["closed"] += 1
                self._drop(key)
            if "set-cookie" in headers:
                self._keep_cookies(key[1], headers["set-cookie"])
            return Response(status, headers, content, url)
        raise HTTPError("unreachable")

    def _read(self, conn: _Connection, method: str):
        sock, buf = conn.sock, conn.buf
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            chunk = sock.recv(RECV)
            if not chunk:
                exc = HTTPError("the connection ended before an answer" if not buf else "the answer was cut off")
                exc.nothing_read = not buf
                raise exc
            buf += chunk
        lines = buf[:end].decode("latin-1").split("\r\n")
        buf = buf[end + 4:]
        version, _, rest = lines[0].partition(" ")
        try:
            status = int(rest[:3])
        except ValueError:
            raise HTTPError(f"not an HTTP answer: {lines[0][:80]!r}") from None
        headers: dict = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            k, v = k.strip().lower(), v.strip()
            if k == "set-cookie":
                headers.setdefault(k, []).append(v)
            else:
                headers[k] = v
        connection = headers.get("connection", "").lower()
        close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
        if method == "HEAD" or status in NO_BODY or 100 <= status < 200:
            content = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            content, buf = self._chunked(sock, buf)
        elif "content-length" in headers:
            length = int(headers["content-length"])
            while len(buf) < length:
                chunk = sock.recv(max(RECV, length - len(buf)))
                if not chunk:
                    raise HTTPError("the answer was cut off")
                buf += chunk
            content, buf = buf[:length], buf[length:]
        else:  # until the suite ends the connection
            parts = [buf]
            while True:
                chunk = sock.recv(RECV)
                if not chunk:
                    break
                parts.append(chunk)
            content, buf, close = b"".join(parts), b"", True
        conn.buf = buf
        return status, headers, content, close

    @staticmethod
    def _chunked(sock, buf: bytes) -> tuple[bytes, bytes]:
        out = []

        def need(n: int) -> None:
            nonlocal buf
            while len(buf) < n:
                chunk = sock.recv(RECV)
                if not chunk:
                    raise HTTPError("the chunked answer was cut off")
                buf += chunk

        while True:
            while b"\r\n" not in buf:
                need(len(buf) + 1)
            line, _, buf = buf.partition(b"\r\n")
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, up to the empty line
                    while b"\r\n" not in buf:
                        need(len(buf) + 1)
                    trailer, _, buf = buf.partition(b"\r\n")
                    if not trailer:
                        return b"".join(out), buf
            need(size + 2)
            out.append(buf[:size])
            buf = buf[size + 2:]
