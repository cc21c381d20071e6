"""The harness's SAML 2.0 identity provider: pysaml2's ``saml2.server.Server`` does the protocol
(parsing and checking the AuthnRequest and its signature against the service provider's metadata,
building and signing the Response and its Assertion with xmlsec1, single logout); this module is
the web glue around it, on 127.0.0.1:

    GET  /saml/metadata            the IdP's metadata (entity id = this URL)
    GET  /saml/sso/redirect        SingleSignOnService, HTTP-Redirect binding
    POST /saml/sso/post            SingleSignOnService, HTTP-POST binding
    POST /saml/login               the sign-in form (the school's accounts, web.login_form)
    GET  /saml/slo/redirect        SingleLogoutService, HTTP-Redirect binding
    GET  /saml/logged-out          where a sign-out without a service provider ends

Attributes go out with their plain names in the ``basic`` name format (uid, mail, displayName, cn,
givenName, sn, eduPersonAffiliation, role, schoolClass, o), as SimpleSAMLphp sends them by default
and as SOGo's documented ``uid``/``mail`` lookup expects. The Response and the Assertion are both
signed (RSA-SHA256). Every request and answer is written to the event log."""

from __future__ import annotations

import hashlib
import shutil
import warnings
from pathlib import Path
from urllib.parse import urlsplit

from . import web
from .directory import Directory
from .keys import KeyPair

with warnings.catch_warnings():  # pysaml2 names a cipher mode cryptography has moved; harmless here
    warnings.simplefilter("ignore")
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml
    from saml2.attribute_converter import AttributeConverter
    from saml2.config import IdPConfig
    from saml2.metadata import create_metadata_string
    from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT
    from saml2.server import Server
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

XMLSEC = "/usr/bin/xmlsec1"
ATTRIBUTES = ("uid", "mail", "displayName", "cn", "givenName", "sn", "eduPersonAffiliation", "role",
              "schoolClass", "o")


class XmlsecMissing(RuntimeError):
    pass


def xmlsec_binary() -> str:
    path = shutil.which("xmlsec1") or (XMLSEC if Path(XMLSEC).exists() else None)
    if not path:
        raise XmlsecMissing("the SAML identity provider needs xmlsec1 (pysaml2 signs with it): "
                            "apt-get install -y xmlsec1")
    return path


def _basic_converter() -> AttributeConverter:
    conv = AttributeConverter(NAME_FORMAT_BASIC)
    conv.from_dict({"identifier": NAME_FORMAT_BASIC, "fro": {a: a for a in ATTRIBUTES},
                    "to": {a.lower(): a for a in ATTRIBUTES}})
    return conv


class SamlIdP:
    protocol = "saml"

    def __init__(self, base_url: str, directory: Directory, keys: KeyPair, events: web.EventLog,
                 workdir: Path):
        self.base = base_url.rstrip("/")
        self.directory, self.keys, self.events = directory, keys, events
        self.workdir = Path(workdir)
        self.sessions = web.Sessions()
        self.pending: dict[str, dict] = {}
        self.sp_metadata: list[str] = []
        self._server: Server | None = None

    # -- addresses ----------------------------------------------------------------------------
    @property
    def entity_id(self) -> str:
        return f"{self.base}/saml/metadata"

    @property
    def metadata_url(self) -> str:
        return self.entity_id

    def urls(self) -> dict[str, str]:
        return {"metadata": self.metadata_url, "sso_redirect": f"{self.base}/saml/sso/redirect",
                "sso_post": f"{self.base}/saml/sso/post", "slo_redirect": f"{self.base}/saml/slo/redirect"}

    # -- pysaml2 ------------------------------------------------------------------------------
    def _config(self) -> IdPConfig:
        conf = {
            "entityid": self.entity_id,
            "xmlsec_binary": xmlsec_binary(),
            "key_file": str(self.keys.key), "cert_file": str(self.keys.cert),
            "metadata": {"inline": list(self.sp_metadata)},
            "accepted_time_diff": 60,
            "service": {"idp": {
                "name": "OS2skole PoC identity provider",
                "endpoints": {
                    "single_sign_on_service": [(f"{self.base}/saml/sso/redirect", BINDING_HTTP_REDIRECT),
                                               (f"{self.base}/saml/sso/post", BINDING_HTTP_POST)],
                    "single_logout_service": [(f"{self.base}/saml/slo/redirect", BINDING_HTTP_REDIRECT)],
                },
                "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT],
                "want_authn_requests_signed": False,  # checked below, and recorded, when the SP signs
                "sign_response": True, "sign_assertion": True,
                "signing_algorithm": SIG_RSA_SHA256, "digest_algorithm": DIGEST_SHA256,
                "policy": {"default": {"lifetime": {"minutes": 15}, "attribute_restrictions": None,
                                       "name_form": NAME_FORMAT_BASIC}},
            }},
            "organization": {"name": "OS2skole PoC", "display_name": "OS2skole PoC harness", "url": self.base},
        }
        cfg = IdPConfig()
        cfg.load(conf)
        return cfg

    def server(self) -> Server:
        if self._server is None:
            workdir = self.workdir
            workdir.mkdir(parents=True, exist_ok=True)
            self._server = Server(config=self._config())
            self._server.config.attribute_converters.insert(0, _basic_converter())
        return self._server

    def metadata_xml(self) -> str:
        xml = create_metadata_string(None, config=self._config(), valid=24 * 30, sign=False)
        return xml.decode("utf-8") if isinstance(xml, bytes) else xml

    def register_sp(self, metadata_xml: str) -> str:
        """Trust a service provider from its metadata (as an IdP administrator registers one); its entity id."""
        self.sp_metadata.append(metadata_xml)
        self._server = None  # rebuilt with the new metadata on the next request
        srv = self.server()
        entity = [e for e in srv.metadata.keys()]
        self.events.add("sp-registered", entities=entity)
        return entity[-1] if entity else ""

    # -- the web app --------------------------------------------------------------------------
    def app(self):
        return web.wsgi(self.handle)

    def handle(self, rq: web.Request) -> web.Response:
        path = rq.path.rstrip("/")
        if path == "/saml/metadata":
            return web.Response(self.metadata_xml(), content_type="application/samlmetadata+xml")
        if path == "/saml/sso/redirect":
            return self._sso(rq, BINDING_HTTP_REDIRECT)
        if path == "/saml/sso/post":
            return self._sso(rq, BINDING_HTTP_POST)
        if path == "/saml/login" and rq.method == "POST":
            return self._login(rq)
        if path == "/saml/slo/redirect":
            return self._slo(rq)
        if path == "/saml/logged-out":
            return web.page(web.TITLE, "<h1>Du er logget ud</h1><p>Du er logget ud hos skolens identitetsudbyder.</p>")
        if path in ("", "/"):
            return web.page(web.TITLE, f'<h1>{web.TITLE}</h1><p>SAML 2.0 metadata: '
                                       f'<a href="{self.metadata_url}">{self.metadata_url}</a></p>')
        return web.page(web.TITLE, "<h1>Ikke fundet</h1>", "404 Not Found")

    def _sso(self, rq: web.Request, binding: str) -> web.Response:
        srv = self.server()
        saml_request = rq.arg("SAMLRequest")
        if not saml_request:
            self.events.add("authn-request-refused", reason="no SAMLRequest")
            return web.page(web.TITLE, "<h1>Ugyldig anmodning</h1><p>Der mangler en SAMLRequest.</p>", "400 Bad Request")
        sigalg, signature = rq.query.get("SigAlg"), rq.query.get("Signature")
        try:
            req = srv.parse_authn_request(saml_request, binding, relay_state=rq.query.get("RelayState"),
                                          sigalg=sigalg, signature=signature)
        except Exception as exc:
            self.events.add("authn-request-refused", binding=binding, reason=f"{type(exc).__name__}: {exc}"[:300])
            return web.page(web.TITLE, "<h1>Ugyldig anmodning</h1><p>Tjenestens login-anmodning blev afvist af "
                                       "identitetsudbyderen.</p>", "400 Bad Request")
        if req is None:
            self.events.add("authn-request-refused", binding=binding, reason="unparsable")
            return web.page(web.TITLE, "<h1>Ugyldig anmodning</h1>", "400 Bad Request")
        msg = req.message
        sp = msg.issuer.text if msg.issuer is not None else ""
        try:
            acs = msg.assertion_consumer_service_url or srv.config.metadata.assertion_consumer_service(
                sp, BINDING_HTTP_POST)[0]["location"]
        except Exception:
            acs = ""
        policy = msg.name_id_policy
        info = {"sp": sp, "request_id": msg.id, "acs": acs, "relay_state": rq.arg("RelayState"),
                "name_id_format": getattr(policy, "format", None) if policy is not None else None,
                "force_authn": str(getattr(msg, "force_authn", "") or "").lower() == "true"}
        self.events.add("authn-request", binding=binding, sp=sp, request_id=msg.id, acs=acs,
                        signed=bool(signature) or msg.signature is not None, sig_alg=sigalg or "",
                        name_id_format=info["name_id_format"] or "")
        if sp not in srv.metadata.keys():
            self.events.add("authn-request-refused", sp=sp, reason="unknown service provider")
            return web.page(web.TITLE, "<h1>Ukendt tjeneste</h1>", "403 Forbidden")
        sid, session = self.sessions.get(rq)
        if session and not info["force_authn"]:  # signed in here already: single sign-on, no password again
            person = self.directory.people.get(session["username"])
            if person:
                if web.looping(session, sp):  # the SP sends the signed-in user straight back, again and again
                    self.events.add("redirect-loop", sp=sp, user=person.username, answers=web.LOOP_COUNT,
                                    seconds=web.LOOP_SECONDS)
                    return web.loop_page(_host(sp))
                self.events.add("sso-session-reused", sp=sp, user=person.username)
                return self._answer(info, person, sid, session)
        rid = web.secrets.token_urlsafe(16)
        self.pending[rid] = info
        return web.login_form(f"{self.base}/saml/login", {"rid": rid}, who=_host(sp))

    def _login(self, rq: web.Request) -> web.Response:
        got = web.take_login(rq, self.pending, self.directory, self.events, f"{self.base}/saml/login",
                             lambda i: (_host(i["sp"]), {"sp": i["sp"]}))
        if isinstance(got, web.Response):
            return got
        info, person = got
        sid = self.sessions.new(person.username)
        _, session = self.sessions.get(_cookie_request(sid))
        return self._answer(info, person, sid, session, new_cookie=True)

    def name_id(self, person, sp: str) -> str:
        return hashlib.sha256(f"{self.entity_id}|{sp}|{person.username}".encode()).hexdigest()[:40]

    def _answer(self, info: dict, person, sid: str, session: dict, new_cookie: bool = False) -> web.Response:
        srv = self.server()
        sp = info["sp"]
        fmt = info["name_id_format"] or NAMEID_FORMAT_PERSISTENT
        if fmt not in (NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT):
            fmt = NAMEID_FORMAT_PERSISTENT
        value = self.name_id(person, sp) if fmt == NAMEID_FORMAT_PERSISTENT else web.secrets.token_hex(20)
        name_id = saml.NameID(format=fmt, sp_name_qualifier=sp, name_qualifier=self.entity_id, text=value)
        attributes = {k: v for k, v in person.attributes().items() if v}
        response = srv.create_authn_response(
            attributes, in_response_to=info["request_id"], destination=info["acs"], sp_entity_id=sp,
            name_id=name_id, userid=person.username, sign_response=True, sign_assertion=True,
            sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256,
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                   "authn_auth": self.entity_id})
        session["services"][sp] = {"name_id": value, "format": fmt}
        http = srv.apply_binding(BINDING_HTTP_POST, str(response), info["acs"], info["relay_state"], response=True)
        fields = _form_fields(http)
        self.events.add("authn-response", sp=sp, user=person.username, acs=info["acs"], name_id=value,
                        name_id_format=fmt, attributes=attributes, signed_response=True, signed_assertion=True,
                        in_response_to=info["request_id"])
        resp = web.autopost(info["acs"], fields)
        if new_cookie:
            resp.headers.append(web.set_cookie(sid))
        return resp

    def _slo(self, rq: web.Request) -> web.Response:
        srv = self.server()
        sid, session = self.sessions.get(rq)
        if "SAMLRequest" not in rq.query:
            self.sessions.end(sid)
            self.events.add("logout", user=session["username"] if session else "", initiated_by="idp")
            return web.redirect(f"{self.base}/saml/logged-out", [web.clear_cookie()])
        try:
            req = srv.parse_logout_request(rq.query["SAMLRequest"], BINDING_HTTP_REDIRECT,
                                           relay_state=rq.query.get("RelayState"), sigalg=rq.query.get("SigAlg"),
                                           signature=rq.query.get("Signature"))
        except Exception as exc:
            self.events.add("logout-request-refused", reason=f"{type(exc).__name__}: {exc}"[:300])
            return web.page(web.TITLE, "<h1>Ugyldig log ud-anmodning</h1>", "400 Bad Request")
        msg = req.message
        sp = msg.issuer.text if msg.issuer is not None else ""
        name_id = msg.name_id.text if msg.name_id is not None else ""
        ended = self.sessions.end(sid)
        user = ended["username"] if ended else ""
        if not ended and name_id:  # no cookie came along: end the person's sessions by the name id
            for person in self.directory.people.values():
                if self.name_id(person, sp) == name_id:
                    user = person.username
                    self.sessions.end_user(user)
        self.events.add("logout-request", sp=sp, user=user, name_id=name_id, session_ended=bool(ended or user),
                        signature_checked=bool(rq.query.get("Signature")))
        try:
            resp = srv.create_logout_response(msg, [BINDING_HTTP_REDIRECT], sign_alg=SIG_RSA_SHA256,
                                              digest_alg=DIGEST_SHA256)
            location = srv.metadata.single_logout_service(sp, BINDING_HTTP_REDIRECT, "spsso")[0]["location"]
            http = srv.apply_binding(BINDING_HTTP_REDIRECT, str(resp), location, rq.query.get("RelayState", ""),
                                     response=True, sign=True, sigalg=SIG_RSA_SHA256)
            to = dict(http["headers"])["Location"]
        except Exception as exc:  # no SLO endpoint at the SP: the sign-out ends here
            self.events.add("logout-response-not-sent", sp=sp, reason=f"{type(exc).__name__}: {exc}"[:200])
            return web.redirect(f"{self.base}/saml/logged-out", [web.clear_cookie()])
        self.events.add("logout-response", sp=sp, user=user, to=to.split("?")[0])
        return web.redirect(to, [web.clear_cookie()])


def _host(entity: str) -> str:
    parts = urlsplit(entity)
    return parts.netloc or entity


def _cookie_request(sid: str) -> web.Request:
    return web.Request({"HTTP_COOKIE": f"{web.COOKIE}={sid}", "REQUEST_METHOD": "GET"})


def _form_fields(http: dict) -> dict[str, str]:
    """SAMLResponse and RelayState from pysaml2's HTTP-POST binding answer (an HTML form)."""
    import re
    import html as _html
    text = http.get("data", "")
    fields = {}
    for m in re.finditer(r'<input[^>]+name="([^"]+)"[^>]+value="([^"]*)"', text):
        fields[m.group(1)] = _html.unescape(m.group(2))
    if "SAMLResponse" not in fields:
        raise RuntimeError("pysaml2 gave no SAMLResponse form field")
    return fields
