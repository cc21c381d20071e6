"""Single sign-on (IAM-05 SAML 2.0, IAM-06 OpenID Connect): the harness brings a real identity
provider for the run, on 127.0.0.1, with the school it provisions on the suite (the same accounts
and passwords, display names with æøå, the role and the class as attributes) and a signing key
made for the run; the suite is set up as its service provider (SAML) or relying party (OIDC).

- SAML 2.0: pysaml2's ``saml2.server.Server`` (``idp_saml.py``); metadata at ``/saml/metadata``.
- OpenID Connect: pyop's ``Provider`` (``idp_oidc.py``); discovery at
  ``/.well-known/openid-configuration``.

Which protocols a run brings: ``POC_SSO`` (``make evaluate SSO=saml|oidc|off``; ``--sso``); unset,
a local suite gets every protocol its ``sso:`` block in suite.yaml says the harness configures
(``harness: local``), an external deployment none (the vendor registers the IdP first: README).

Everything public about the run's single sign-on (the IdP's addresses and certificate fingerprint,
what the suite was configured with, the directory without passwords) is written to
``<run>/evidence/sso/sso.json``; every request the IdP got and its answer to
``evidence/sso/idp-events.jsonl``. The private keys are in ``<run>/sso-keys/`` while the run lasts
and removed at its end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import requests

from ..errors import SuiteStartError
from ..redact import redact

ENV = "POC_SSO"
PORT_ENV = "POC_SSO_IDP_PORT"  # a fixed port for the IdP (external mode: the URLs a vendor registered)
PROTOCOLS = ("saml", "oidc")
INFO = "sso.json"
EVENTS = "idp-events.jsonl"


def evidence_dir(run_dir: Path) -> Path:
    return Path(run_dir) / "evidence" / "sso"


def block(suite) -> dict:
    return suite.config.get("sso") or {}


def wanted(suite, external: bool) -> list[str]:
    """The protocols this run brings an IdP for."""
    choice = (os.environ.get(ENV) or "").strip().lower()
    if choice in ("off", "0", "no", "none"):
        return []
    declared = block(suite)
    if choice:
        asked = [p for p in choice.replace("+", ",").split(",") if p]
        unknown = [p for p in asked if p not in PROTOCOLS]
        if unknown:
            raise SuiteStartError(f"SSO={choice}: unknown protocol {unknown[0]!r}; use saml, oidc or off")
        return [p for p in asked if (declared.get(p) or {}).get("support") != "unsupported"]
    if external:
        return []
    return [p for p in PROTOCOLS if (declared.get(p) or {}).get("harness") == "local"]


class Running:
    """One identity provider serving for the run."""

    def __init__(self, protocol: str, idp, port: int, keys):
        self.protocol, self.idp, self.port, self.keys = protocol, idp, port, keys
        self.server = None
        self.record: dict = {}

    def serve(self) -> None:
        from .web import Server
        tls = (str(self.keys.cert), str(self.keys.key)) if self.protocol == "oidc" else None
        self.server = Server(self.idp.app(), self.port, tls=tls)
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        self.keys.forget()


def _port(offset: int) -> int:
    fixed = os.environ.get(PORT_ENV)
    if fixed:
        return int(fixed) + offset
    from ..lifecycle.local import free_port
    return free_port()


def prepare(deployment) -> dict[str, Running]:
    """Before the suite starts: an IdP per wanted protocol (keys, port, metadata), not yet serving.
    A local launcher finds what it needs in ``launcher.sso`` (the IdP's metadata and certificate)."""
    from . import keys, web
    from .directory import Directory
    external = deployment.mode != "local"
    protocols = wanted(deployment.suite, external)
    if not protocols:
        return {}
    directory = Directory.from_accounts(deployment.accounts)
    folder = evidence_dir(deployment.run_dir)
    key_dir = Path(deployment.run_dir) / "sso-keys"
    events = web.EventLog(folder / EVENTS)
    out: dict[str, Running] = {}
    for i, protocol in enumerate(protocols):
        port = _port(i)
        # OpenID Connect over HTTPS (its certificate the same run key; a relying party must trust it: README)
        base = f"{'https' if protocol == 'oidc' else 'http'}://127.0.0.1:{port}"
        kp = keys.make(key_dir, f"idp-{protocol}", f"OS2skole PoC IdP ({protocol}) 127.0.0.1:{port}")
        if protocol == "saml":
            from .idp_saml import SamlIdP
            idp = SamlIdP(base, directory, kp, events, key_dir / "saml-work")
        else:
            from .idp_oidc import OidcIdP
            idp = OidcIdP(base, directory, kp, events, clients=oidc_clients(deployment))
        out[protocol] = Running(protocol, idp, port, kp)
    handed = {}
    for protocol, r in out.items():
        if protocol == "saml":
            handed["saml"] = {"idp_metadata": r.idp.metadata_xml(), "idp_cert": r.keys.cert_pem,
                              "idp_urls": r.idp.urls()}
        else:
            handed["oidc"] = {"issuer": r.idp.issuer, "discovery": r.idp.discovery_url,
                              "clients": r.idp.public_clients()}
    launcher = getattr(deployment, "launcher", None)
    if launcher is not None:
        launcher.sso = handed
    return out


def oidc_clients(deployment) -> dict:
    """The relying parties the OIDC IdP knows: one per suite, its id and secret from the environment
    (POC_SSO_OIDC_CLIENT_ID / POC_SSO_OIDC_CLIENT_SECRET; a local suite gets fresh ones), its
    redirect URIs from the suite's ``sso.oidc.redirect_uris`` (templates with the endpoints)."""
    import secrets
    from ..redact import add as add_secret
    spec = block(deployment.suite).get("oidc") or {}
    client_id = os.environ.get("POC_SSO_OIDC_CLIENT_ID") or f"os2skole-poc-{deployment.suite.name}"
    secret = os.environ.get("POC_SSO_OIDC_CLIENT_SECRET") or secrets.token_urlsafe(24)
    add_secret(secret)
    names = {**deployment.endpoints, "url": (deployment.url or "").rstrip("/")}
    uris = [u.format_map(names) for u in spec.get("redirect_uris", [])]
    return {client_id: {"client_secret": secret, "redirect_uris": uris}}


def finish(deployment, running: dict[str, Running]) -> dict | None:
    """After the suite is up: register the service provider at the IdP (its metadata, as an IdP
    administrator does), start serving, and write evidence/sso/sso.json."""
    if not running:
        return None
    launcher = getattr(deployment, "launcher", None)
    suite_info = getattr(launcher, "sso_info", None) or {}
    record = {"suite": deployment.suite.name, "mode": deployment.mode, "protocols": {}}
    for protocol, r in running.items():
        spec = block(deployment.suite).get(protocol) or {}
        entry: dict = {"idp": {}, "sp": {}, "configured": {}, "harness": spec.get("harness", "")}
        if protocol == "saml":
            sp_url = suite_info.get("sp_metadata_url") or _template(spec.get("sp_metadata", ""), deployment)
            entity = ""
            if sp_url:
                try:
                    xml = requests.get(sp_url, timeout=15).text
                except requests.RequestException as exc:
                    raise SuiteStartError(f"the SAML service provider's metadata at {sp_url} could not be read: "
                                          f"{type(exc).__name__}: {exc}") from None
                entity = r.idp.register_sp(xml)
            for path in spec.get("sp_metadata_files", []):
                entity = r.idp.register_sp(Path(path).read_text(encoding="utf-8"))
            entry["idp"] = {"entity_id": r.idp.entity_id, **r.idp.urls(), "certificate_sha256": r.keys.fingerprint,
                            "signing": "Response and Assertion signed, RSA-SHA256", "name_format": "basic"}
            entry["sp"] = {"entity_id": entity, "metadata": sp_url}
            folder = evidence_dir(deployment.run_dir)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "idp-saml-metadata.xml").write_text(r.idp.metadata_xml(), encoding="utf-8")
            entry["idp"]["metadata_file"] = "evidence/sso/idp-saml-metadata.xml"
            if sp_url:
                (folder / "sp-metadata.xml").write_text(xml, encoding="utf-8")
            entry["configured"] = suite_info.get("configured") or {}
            entry["start_url"] = suite_info.get("start_url") or _template(spec.get("start", ""), deployment)
        else:
            entry["idp"] = {"issuer": r.idp.issuer, "discovery": r.idp.discovery_url, "jwks": r.idp.jwks_url,
                            "key_sha256": r.keys.fingerprint, "signing": "ID token RS256; HTTPS with the same key"}
            folder = evidence_dir(deployment.run_dir)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "idp-oidc.crt").write_text(r.keys.cert_pem, encoding="utf-8")
            entry["sp"] = {"clients": r.idp.public_clients()}
            entry["configured"] = (suite_info.get("oidc") or {}).get("configured") or spec.get("configured") or {}
            entry["start_url"] = _template(spec.get("start", ""), deployment)
        r.serve()
        entry["directory"] = r.idp.directory.public()
        record["protocols"][protocol] = entry
        r.record = entry
    from .directory import export_idp_only  # after the suite's processes started: they never see it
    export_idp_only(next(iter(running.values())).idp.directory)
    folder = evidence_dir(deployment.run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / INFO).write_text(redact(json.dumps(record, indent=1, ensure_ascii=False)), encoding="utf-8")
    for protocol, r in running.items():
        deployment.progress(f"{protocol.upper()} identity provider for the run: "
                            + (r.idp.metadata_url if protocol == "saml" else r.idp.discovery_url))
    return record


def _template(text: str, deployment) -> str:
    if not text:
        return ""
    return text.format_map({**deployment.endpoints, "url": (deployment.url or "").rstrip("/")})


def stop(running: dict[str, Running] | None, deployment=None) -> None:
    for r in (running or {}).values():
        try:
            r.stop()
        except Exception:
            pass
    if deployment is not None and running and deployment.mode != "local":
        # an account the suite created on the fly for the IdP-only person stays on the vendor's deployment: name it
        for protocol in running:
            found = evidence_dir(deployment.run_dir) / f"{protocol}-unknown-account.json"
            try:
                data = json.loads(found.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if data.get("outcome") == "created on the fly":
                deployment.left_behind.append({
                    "what": f"the account {data['user']} that {deployment.suite.name} created at its first "
                            f"{protocol.upper()} sign-in", "why": "made by the suite itself, not by the harness",
                    "how": f"delete the user {data['user']!r} as an administrator of {deployment.suite.name}"})


def info(run_dir: Path) -> dict | None:
    """evidence/sso/sso.json of a run, or None."""
    path = evidence_dir(run_dir) / INFO
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def events(run_dir: Path) -> list[dict]:
    path = evidence_dir(run_dir) / EVENTS
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
