"""SOGo as a SAML 2.0 service provider of the harness's identity provider (IAM-05).

SOGo from Debian is built with SAML 2.0 (sogod links liblasso). With ``SOGoAuthenticationType =
saml2`` its web interface no longer has a login form of its own: ``/SOGo/`` sends the browser to
the IdP, and the IdP's Response comes back to ``/SOGo/saml2-signon-post``. The other browser
scenarios sign in through SOGo's own form, so the launcher runs a second sogod for single sign-on
beside the first, on the same PostgreSQL, memcached and user source (the same school, the same
data), with only these settings added on its command line (the highest-precedence defaults):

    SOGoAuthenticationType        saml2
    SOGoSAML2PrivateKeyLocation   the SP's own key, made for the run (SOGo: "generated for each
    SOGoSAML2CertificateLocation  running SOGo service"), in the work folder, readable by sogo only
    SOGoSAML2IdpMetadataLocation  the IdP's metadata, as the IdP publishes it
    SOGoSAML2IdpCertificateLocation  the IdP's signing certificate
    SOGoSAML2LoginAttribute       uid (the IdP's user name; SOGo's fallback would be uid, then mail)
    SOGoSAML2LogoutEnabled        YES (the sign-out link sends a LogoutRequest to the IdP)
    SOGoSAML2LogoutURL            /SOGo/ of the SSO instance (back to the start: the IdP asks again)

and its own nginx in front (the same configuration as the first). SOGo publishes its service
provider metadata at ``/SOGo/saml2-metadata``; the harness registers it at the IdP as an IdP
administrator would. DAV keeps Basic authentication against the SQL user source (SOGo's
SOGoDAVAuthenticator does not look at SOGoAuthenticationType).
"""

from __future__ import annotations

from pathlib import Path

from poc.sso import keys as sso_keys

SSO_WORKERS = 2


def settings(sp_key: Path, sp_cert: Path, idp_metadata: Path, idp_cert: Path, logout_url: str) -> dict[str, str]:
    return {
        "SOGoAuthenticationType": "saml2",
        "SOGoSAML2PrivateKeyLocation": str(sp_key),
        "SOGoSAML2CertificateLocation": str(sp_cert),
        "SOGoSAML2IdpMetadataLocation": str(idp_metadata),
        "SOGoSAML2IdpCertificateLocation": str(idp_cert),
        "SOGoSAML2LoginAttribute": "uid",
        "SOGoSAML2LogoutEnabled": "YES",
        "SOGoSAML2LogoutURL": logout_url,
    }


def start(launcher, sso: dict) -> dict[str, str]:
    """Start the single sign-on sogod and its nginx; ``sso`` holds the IdP's metadata (XML) and
    certificate (PEM). Returns the endpoints and what was configured (for the report)."""
    owner = "sogo"
    folder = launcher.sogo_dir / "saml"
    folder.mkdir(mode=0o700)
    launcher._chown(folder, owner)
    sp = sso_keys.make(folder, "sogo-sp", "SOGo SAML SP (OS2skole PoC)", keepable=False)
    idp_metadata, idp_cert = folder / "idp-metadata.xml", folder / "idp.crt"
    idp_metadata.write_text(sso["idp_metadata"], encoding="utf-8")
    idp_cert.write_text(sso["idp_cert"], encoding="utf-8")
    for path in (sp.key, sp.cert, idp_metadata, idp_cert):
        path.chmod(0o600)
        launcher._chown(path, owner)

    launcher.sso_web_port = launcher.free_port()
    launcher.sso_sogo_port = launcher.free_port()
    base = f"http://127.0.0.1:{launcher.sso_web_port}"
    configured = settings(sp.key, sp.cert, idp_metadata, idp_cert, f"{base}/SOGo/")
    conf = launcher.sogo_dir / "GNUstep.conf"  # the first sogod's: the same defaults file, plus the above
    home = launcher.sogo_dir / "home"
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "TZ": "Europe/Copenhagen", "GNUSTEP_CONFIG_FILE": str(conf)}
    argv = [type(launcher).start.__globals__["SOGOD"], "-WONoDetach", "YES", "-WOLogFile", "-",
            "-WOPidFile", str(launcher.sogo_dir / "sogod-sso.pid"),
            "-WOPort", f"127.0.0.1:{launcher.sso_sogo_port}", "-WOWorkersCount", str(SSO_WORKERS)]
    for key, value in configured.items():
        argv += [f"-{key}", value]
    proc = launcher.spawn("sogod-sso", argv, env=env, cwd=str(home), user=owner)
    launcher._procs_by_role["sogod-sso"] = proc
    launcher.wait_http(f"http://127.0.0.1:{launcher.sso_sogo_port}/SOGo/saml2-metadata", proc, timeout=60)

    nginx_dir = launcher.nginx_dir / "sso"
    nginx_dir.mkdir(mode=0o700)
    launcher._chown(nginx_dir, "www-data")
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (nginx_dir / sub).mkdir(mode=0o700)
        launcher._chown(nginx_dir / sub, "www-data")
    text = launcher._nginx_conf()
    text = (text.replace(str(launcher.nginx_dir) + "/", str(nginx_dir) + "/")
                .replace(f"listen 127.0.0.1:{launcher.web_port};", f"listen 127.0.0.1:{launcher.sso_web_port};")
                .replace(f"http://127.0.0.1:{launcher.sogo_port}", f"http://127.0.0.1:{launcher.sso_sogo_port}"))
    nginx_conf = nginx_dir / "nginx.conf"
    nginx_conf.write_text(text)
    nginx_conf.chmod(0o644)
    which = type(launcher).start.__globals__["_which"]
    argv = [which("nginx"), "-p", str(nginx_dir), "-c", str(nginx_conf), "-e", "stderr", "-g", "daemon off;"]
    launcher.run(argv[:-2] + ["-t"], user="www-data", cwd=str(nginx_dir), name="nginx-sso")
    launcher._procs_by_role["nginx-sso"] = launcher.spawn("nginx-sso", argv, user="www-data", cwd=str(nginx_dir))
    launcher.wait_http(f"{base}/SOGo/saml2-metadata", launcher._procs_by_role["nginx-sso"], timeout=30)
    shown = dict(configured)
    for k in ("SOGoSAML2PrivateKeyLocation", "SOGoSAML2CertificateLocation", "SOGoSAML2IdpMetadataLocation",
              "SOGoSAML2IdpCertificateLocation"):
        shown[k] = "<work folder>/sogo/saml/" + Path(shown[k]).name
    return {"endpoints": {"sogo_sso": f"{base}/SOGo", "sso_sp_metadata": f"{base}/SOGo/saml2-metadata"},
            "sp_metadata_url": f"{base}/SOGo/saml2-metadata", "configured": shown,
            "start_url": f"{base}/SOGo/"}
