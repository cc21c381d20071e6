"""The harness's OpenID Connect provider: pyop's ``Provider`` (IdentityPython) does the protocol
(checking the authentication request against the registered client and redirect URI, authorization
codes, PKCE, client authentication at the token endpoint, the ID token signed RS256, userinfo); this
module is the web glue around it, on 127.0.0.1:

    GET  /.well-known/openid-configuration   the discovery document (issuer = the base URL)
    GET  /oidc/jwks                           the signing key (JWKS)
    GET  /oidc/authorize                      authentication request: the sign-in form (web.login_form)
    POST /oidc/login                          the form's answer
    POST /oidc/token                          code -> tokens (client_secret_post or client_secret_basic)
    GET/POST /oidc/userinfo                   the claims (bearer token)
    GET  /oidc/logout                         end_session_endpoint (RP-initiated logout)

Claims: the OpenID Connect standard claims (preferred_username, name, given_name, family_name,
email, locale) plus ``role`` and ``school_class``; scopes openid, profile, email and ``school``."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import urlencode

from . import web
from .directory import Directory
from .keys import KeyPair

CLAIM_SCOPES = {"profile": ["name", "given_name", "family_name", "preferred_username", "locale"],
                "email": ["email", "email_verified"], "school": ["role", "school_class"]}


class OidcIdP:
    protocol = "oidc"

    def __init__(self, base_url: str, directory: Directory, keys: KeyPair, events: web.EventLog,
                 clients: dict[str, dict]):
        self.base = base_url.rstrip("/")
        self.directory, self.keys, self.events = directory, keys, events
        self.sessions = web.Sessions()
        self.pending: dict[str, dict] = {}
        self._clients = clients
        self._lock = threading.Lock()
        self._provider = None

    @property
    def issuer(self) -> str:
        return self.base

    @property
    def discovery_url(self) -> str:
        return f"{self.base}/.well-known/openid-configuration"

    @property
    def jwks_url(self) -> str:
        return f"{self.base}/oidc/jwks"

    @property
    def metadata_url(self) -> str:
        return self.discovery_url

    def public_clients(self) -> dict:
        return {cid: {"redirect_uris": c["redirect_uris"]} for cid, c in self._clients.items()}

    def provider(self):
        if self._provider is None:
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from jwkest.jwk import RSAKey, import_rsa_key
                from pyop.authz_state import AuthorizationState
                from pyop.provider import Provider
                from pyop.subject_identifier import HashBasedSubjectIdentifierFactory
                from pyop.userinfo import Userinfo
            key = RSAKey(key=import_rsa_key(self.keys.key.read_text()), alg="RS256", use="sig",
                         kid=self.keys.fingerprint[:16])
            config = {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.base}/oidc/authorize",
                "token_endpoint": f"{self.base}/oidc/token",
                "userinfo_endpoint": f"{self.base}/oidc/userinfo",
                "jwks_uri": self.jwks_url,
                "end_session_endpoint": f"{self.base}/oidc/logout",
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "grant_types_supported": ["authorization_code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "profile", "email", "school"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "claims_supported": ["sub"] + [c for cs in CLAIM_SCOPES.values() for c in cs],
                "code_challenge_methods_supported": ["S256", "plain"],
                "claims_parameter_supported": True,
            }
            clients = {cid: {"client_secret": c["client_secret"], "redirect_uris": c["redirect_uris"],
                             "response_types": ["code"], "token_endpoint_auth_method": "client_secret_post",
                             "client_id": cid} for cid, c in self._clients.items()}
            userinfo = Userinfo({p.username: {**p.claims(), "sub": p.username} for p in self.directory.people.values()})
            state = AuthorizationState(HashBasedSubjectIdentifierFactory(self.keys.fingerprint))
            self._provider = Provider(key, config, state, clients, userinfo,
                                      extra_scopes={"school": ["role", "school_class"]})
            self._clients_db = clients
        return self._provider

    def client_methods(self, client_id: str, method: str) -> None:
        """Accept the client's authentication method as it arrived (Moodle posts its secret in the body)."""
        c = self._clients_db.get(client_id)
        if c is not None:
            c["token_endpoint_auth_method"] = method

    # -- the web app ----------------------------------------------------------------------------
    def app(self):
        self.provider()
        return web.wsgi(self.handle)

    def handle(self, rq: web.Request) -> web.Response:
        path = rq.path.rstrip("/")
        if path == "/.well-known/openid-configuration":
            return web.Response(self.provider().provider_configuration.to_json(), content_type="application/json")
        if path == "/oidc/jwks":
            return web.Response(json.dumps(self.provider().jwks), content_type="application/json")
        if path == "/oidc/authorize":
            return self._authorize(rq)
        if path == "/oidc/login" and rq.method == "POST":
            return self._login(rq)
        if path == "/oidc/token" and rq.method == "POST":
            return self._token(rq)
        if path == "/oidc/userinfo":
            return self._userinfo(rq)
        if path == "/oidc/logout":
            return self._logout(rq)
        if path in ("", "/"):
            return web.page(web.TITLE, f'<h1>{web.TITLE}</h1><p>OpenID Connect: <a href="{self.discovery_url}">'
                                       f"{self.discovery_url}</a></p>")
        return web.page(web.TITLE, "<h1>Ikke fundet</h1>", "404 Not Found")

    def _authorize(self, rq: web.Request) -> web.Response:
        from pyop.exceptions import InvalidAuthenticationRequest
        provider = self.provider()
        query = rq.query_string if rq.method == "GET" else rq.body.decode("utf-8", "replace")
        try:
            request = provider.parse_authentication_request(query, rq.headers)
        except InvalidAuthenticationRequest as exc:
            self.events.add("authentication-request-refused", reason=str(exc)[:300])
            return web.page(web.TITLE, "<h1>Ugyldig anmodning</h1><p>Tjenestens login-anmodning blev afvist af "
                                       "identitetsudbyderen.</p>", "400 Bad Request")
        client = request["client_id"]
        info = {"request": request, "client": client, "query": query}
        self.events.add("authentication-request", client=client, redirect_uri=request["redirect_uri"],
                        scope=" ".join(request.get("scope", [])), pkce=request.get("code_challenge_method", ""),
                        has_state="state" in request, has_nonce="nonce" in request)
        sid, session = self.sessions.get(rq)
        if session and request.get("prompt") != "login":
            person = self.directory.people.get(session["username"])
            if person:
                if web.looping(session, client):
                    self.events.add("redirect-loop", client=client, user=person.username)
                    return web.loop_page(client)
                self.events.add("sso-session-reused", client=client, user=person.username)
                return self._answer(info, person)
        rid = web.secrets.token_urlsafe(16)
        self.pending[rid] = info
        return web.login_form(f"{self.base}/oidc/login", {"rid": rid}, who=client)

    def _login(self, rq: web.Request) -> web.Response:
        got = web.take_login(rq, self.pending, self.directory, self.events, f"{self.base}/oidc/login",
                             lambda i: (i["client"], {"client": i["client"]}))
        if isinstance(got, web.Response):
            return got
        info, person = got
        sid = self.sessions.new(person.username)
        resp = self._answer(info, person)
        resp.headers.append(web.set_cookie(sid))
        return resp

    def _answer(self, info: dict, person) -> web.Response:
        from pyop.util import should_fragment_encode
        provider = self.provider()
        request = info["request"]
        response = provider.authorize(request, person.username)
        location = response.request(request["redirect_uri"], should_fragment_encode(request))
        self.events.add("authorization-code", client=info["client"], user=person.username,
                        redirect_uri=request["redirect_uri"])
        return web.redirect(location)

    def _token(self, rq: web.Request) -> web.Response:
        from pyop.exceptions import InvalidClientAuthentication, OAuthError
        provider = self.provider()
        body = rq.body.decode("utf-8", "replace")
        client = rq.form.get("client_id", "")
        if "Authorization" not in rq.headers and client:
            self.client_methods(client, "client_secret_post")
        elif "Authorization" in rq.headers:
            for cid in self._clients_db:
                self.client_methods(cid, "client_secret_basic")
        try:
            response = provider.handle_token_request(body, rq.headers)
        except InvalidClientAuthentication as exc:
            self.events.add("token-refused", client=client, reason=f"client authentication: {exc}"[:200])
            return web.Response(json.dumps({"error": "invalid_client"}), "401 Unauthorized", "application/json")
        except OAuthError as exc:
            self.events.add("token-refused", client=client, reason=f"{exc.oauth_error}: {exc}"[:200],
                            pkce_verifier="code_verifier" in rq.form)
            return web.Response(json.dumps({"error": exc.oauth_error, "error_description": str(exc)}),
                                "400 Bad Request", "application/json")
        data = response.to_dict()
        user = ""
        try:
            from jwkest.jws import factory
            user = json.loads(factory(data["id_token"]).jwt.part[1]).get("sub", "")
        except Exception:
            pass
        person = self.directory.people.get(user)
        self.events.add("token", client=client or "(basic)", user=user, pkce_verifier="code_verifier" in rq.form,
                        claims=person.claims() if person else {}, id_token="signed RS256")
        return web.Response(json.dumps(data), content_type="application/json")

    def _userinfo(self, rq: web.Request) -> web.Response:
        from pyop.exceptions import BearerTokenError, InvalidAccessToken
        provider = self.provider()
        body = rq.body.decode("utf-8", "replace") if rq.method == "POST" else rq.query_string
        try:
            response = provider.handle_userinfo_request(body, rq.headers)
        except (BearerTokenError, InvalidAccessToken) as exc:
            self.events.add("userinfo-refused", reason=str(exc)[:200])
            return web.Response(json.dumps({"error": "invalid_token"}), "401 Unauthorized", "application/json",
                                headers=[("WWW-Authenticate", 'Bearer error="invalid_token"')])
        data = response.to_dict()
        self.events.add("userinfo", user=data.get("preferred_username", data.get("sub", "")),
                        claims={k: v for k, v in data.items() if k != "sub"})
        return web.Response(json.dumps(data), content_type="application/json")

    def _logout(self, rq: web.Request) -> web.Response:
        sid, session = self.sessions.get(rq)
        ended = self.sessions.end(sid)
        self.events.add("end-session", user=ended["username"] if ended else "", session_ended=bool(ended))
        target = rq.arg("post_logout_redirect_uri")
        if target and any(target.startswith(u.split("/admin/")[0]) for c in self._clients.values()
                          for u in c["redirect_uris"]):
            return web.redirect(target + (("&" if "?" in target else "?") + urlencode({"state": rq.arg("state")})
                                          if rq.arg("state") else ""), [web.clear_cookie()])
        resp = web.page(web.TITLE, "<h1>Du er logget ud</h1><p>Du er logget ud hos skolens identitetsudbyder.</p>")
        resp.headers.append(web.clear_cookie())
        return resp


def _now() -> int:
    return int(time.time())
