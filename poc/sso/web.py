"""What the identity providers share: a small WSGI server on 127.0.0.1 in a thread of the harness's
own process, the sign-in page (Danish, one form) and the IdP's session cookie, and the event log
(evidence/sso/idp-events.jsonl: every request and answer, the attributes sent; never a password).

The protocols themselves are done by maintained libraries (pysaml2 for SAML 2.0, pyop for OpenID
Connect); this module is only the web glue around them."""

from __future__ import annotations

import html
import json
import secrets
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs

from ..redact import redact

COOKIE = "poc_idp_session"
TITLE = "OS2skole PoC – identitetsudbyder"


class Request:
    """The parts of a WSGI request the IdPs use."""

    def __init__(self, environ: dict):
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET")
        self.path = environ.get("PATH_INFO", "/")
        self.query_string = environ.get("QUERY_STRING", "")
        self.query = {k: v[0] for k, v in parse_qs(self.query_string, keep_blank_values=True).items()}
        body = b""
        if self.method == "POST":
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            body = environ["wsgi.input"].read(length) if length else b""
        self.body = body
        self.form = ({k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
                     if "application/x-www-form-urlencoded" in environ.get("CONTENT_TYPE", "") else {})
        cookies = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        self.cookies = {k: m.value for k, m in cookies.items()}
        self.headers = {k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            self.headers["Content-Type"] = environ["CONTENT_TYPE"]

    def arg(self, name: str, default: str = "") -> str:
        return self.form.get(name, self.query.get(name, default))


class Response:
    def __init__(self, body: str | bytes = "", status: str = "200 OK", content_type: str = "text/html; charset=utf-8",
                 headers: list[tuple[str, str]] | None = None):
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.status = status
        self.headers = [("Content-Type", content_type), ("Cache-Control", "no-store"),
                        ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer")] + (headers or [])

    def __call__(self, start_response):
        start_response(self.status, self.headers + [("Content-Length", str(len(self.body)))])
        return [self.body]


def redirect(location: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response("", "302 Found", headers=[("Location", location)] + (headers or []))


def set_cookie(sid: str) -> tuple[str, str]:
    return ("Set-Cookie", f"{COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax")


def clear_cookie() -> tuple[str, str]:
    return ("Set-Cookie", f"{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")


def page(title: str, body: str, status: str = "200 OK") -> Response:
    doc = f"""<!doctype html>
<html lang="da"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a}}
h1{{font-size:1.4rem}}label{{display:block;margin-top:1rem}}input{{width:100%;padding:.5rem;font-size:1rem;
box-sizing:border-box}}button{{margin-top:1.2rem;padding:.6rem 1.4rem;font-size:1rem;background:#0b5394;
color:#fff;border:0}}button:focus,input:focus{{outline:3px solid #f4b400}}.error{{color:#a00000;
border:1px solid #a00000;padding:.6rem;margin-top:1rem}}.muted{{color:#555;font-size:.9rem}}</style>
</head><body><main>{body}</main></body></html>"""
    return Response(doc, status, headers=[("Content-Security-Policy",
                                           "default-src 'none'; style-src 'unsafe-inline'; form-action *; "
                                           "frame-ancestors 'none'")])


def login_form(action: str, hidden: dict[str, str], *, who: str, error: str = "", username: str = "") -> Response:
    fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in hidden.items())
    err = f'<p class="error" id="idp-error" role="alert">{html.escape(error)}</p>' if error else ""
    body = f"""<h1>Log ind på skolen</h1>
<p class="muted">{html.escape(TITLE)}: {html.escape(who)}</p>{err}
<form method="post" action="{html.escape(action)}" id="idp-login">{fields}
<label for="username">Brugernavn</label><input id="username" name="username" autocomplete="username"
 value="{html.escape(username)}" required>
<label for="password">Adgangskode</label><input id="password" name="password" type="password"
 autocomplete="current-password" required>
<button type="submit" id="idp-submit">Log ind</button></form>"""
    return page(TITLE, body, "200 OK")


def take_login(rq: "Request", pending: dict, directory, events, action: str, party) -> "tuple[dict, object] | Response":
    """The IdP's login form, posted: (the waiting request's info, the person) when the password is
    right, else the page to answer with (expired request, or the form again with its error).
    `party(info)` gives who asked (shown on the form) and the fields that name it in the events."""
    rid = rq.form.get("rid", "")
    info = pending.get(rid)
    if info is None:
        return page(TITLE, "<h1>Sessionen er udløbet</h1><p>Start forfra fra tjenesten.</p>", "400 Bad Request")
    who, fields = party(info)
    username = rq.form.get("username", "").strip()
    person = directory.check(username, rq.form.get("password", ""))
    if person is None:
        events.add("login-refused", **fields, user=username, known=username in directory.people)
        return login_form(action, {"rid": rid}, who=who, error="Forkert brugernavn eller adgangskode.",
                          username=username)
    del pending[rid]
    events.add("login", **fields, user=person.username)
    return info, person


def autopost(action: str, fields: dict[str, str]) -> Response:
    """An HTML form that posts itself (the SAML HTTP-POST binding, form_post)."""
    inputs = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in fields.items())
    body = (f'<form method="post" action="{html.escape(action)}" id="idp-autopost">{inputs}'
            '<noscript><button type="submit">Fortsæt</button></noscript></form>'
            '<script>document.getElementById("idp-autopost").submit()</script>')
    doc = f'<!doctype html><html lang="da"><head><meta charset="utf-8"><title>{TITLE}</title></head><body>{body}</body></html>'
    return Response(doc, headers=[("Content-Security-Policy",
                                   "default-src 'none'; script-src 'unsafe-inline'; form-action *")])


LOOP_COUNT, LOOP_SECONDS = 4, 15.0


def looping(session: dict, service: str) -> bool:
    """True when the IdP has answered ``service`` for this session LOOP_COUNT times in LOOP_SECONDS:
    the service takes the sign-in but sends the browser back for another (as an account it does not
    know can make it do); the IdP then stops the loop with a page that says so, as IdPs do."""
    now = time.time()
    seen = [t for t in session.setdefault("answers", {}).get(service, []) if now - t < LOOP_SECONDS]
    seen.append(now)
    session["answers"][service] = seen
    return len(seen) > LOOP_COUNT


def loop_page(service: str) -> Response:
    return page(TITLE, f'<h1>Tjenesten tog ikke imod dit login</h1><p id="idp-loop">{html.escape(service)} sendte '
                       f"dig tilbage til identitetsudbyderen {LOOP_COUNT} gange på {LOOP_SECONDS:.0f} sekunder, "
                       "selv om du er logget ind her. Identitetsudbyderen har stoppet omdirigeringerne.</p>")


class Sessions:
    """The IdP's own sign-in sessions (a cookie on the IdP's origin): who is signed in there, and at
    which service providers (for single logout)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._by_sid: dict[str, dict] = {}

    def new(self, username: str) -> str:
        sid = secrets.token_urlsafe(24)
        with self._lock:
            self._by_sid[sid] = {"username": username, "since": time.time(), "services": {}}
        return sid

    def get(self, request: Request) -> tuple[str, dict] | tuple[None, None]:
        sid = request.cookies.get(COOKIE)
        with self._lock:
            s = self._by_sid.get(sid or "")
        return (sid, s) if s else (None, None)

    def end(self, sid: str | None) -> dict | None:
        with self._lock:
            return self._by_sid.pop(sid or "", None)

    def end_user(self, username: str) -> int:
        with self._lock:
            gone = [sid for sid, s in self._by_sid.items() if s["username"] == username]
            for sid in gone:
                del self._by_sid[sid]
        return len(gone)

    def active(self) -> int:
        with self._lock:
            return len(self._by_sid)


class EventLog:
    """Every request the IdP got and what it answered, as JSON lines (redacted)."""

    def __init__(self, path: Path | None):
        self.path = path
        self.events: list[dict] = []
        self._lock = threading.Lock()
        if path:
            path.parent.mkdir(parents=True, exist_ok=True)

    def add(self, event: str, **data) -> dict:
        record = {"t": round(time.time(), 3), "event": event, **data}
        with self._lock:
            self.events.append(record)
            if self.path:
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(redact(json.dumps(record, ensure_ascii=False, default=str)) + "\n")
        return record

    def last(self, event: str, **match) -> dict | None:
        with self._lock:
            for e in reversed(self.events):
                if e["event"] == event and all(e.get(k) == v for k, v in match.items()):
                    return e
        return None


class Server:
    """A threaded WSGI server on 127.0.0.1 (werkzeug's), started and stopped by the harness."""

    def __init__(self, app, port: int, host: str = "127.0.0.1", tls: tuple[str, str] | None = None):
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):  # the event log says what happened; no access log on stderr
            def log_request(self, *args, **kwargs):
                pass

            def log(self, *args, **kwargs):
                pass

        ssl_context = None
        if tls:  # (certificate, key): HTTPS, as OpenID Connect requires (Moodle refuses http:// endpoints)
            import ssl
            ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ssl_context.minimum_version = ssl.TLSVersion.TLSv1_2
            ssl_context.load_cert_chain(*tls)
        self.httpd = make_server(host, port, app, threaded=True, request_handler=Quiet, ssl_context=ssl_context)
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"poc-idp-{port}", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


def wsgi(handler):
    """Wrap handler(Request) -> Response as a WSGI app; an exception is a 500 that names it."""
    def app(environ, start_response):
        request = Request(environ)
        try:
            response = handler(request)
        except Exception as exc:  # the page says what broke; the harness's log too
            response = page(TITLE, f"<h1>Fejl hos identitetsudbyderen</h1><p>{html.escape(type(exc).__name__)}: "
                                   f"{html.escape(redact(str(exc))[:400])}</p>", "500 Internal Server Error")
        return response(start_response)
    return app
