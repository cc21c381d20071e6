"""PRI-09, TLS 1.2 or newer: a probe of one HTTPS origin.

What it checks, each a *fault* when it does not hold:

- **versions**: TLS 1.0 and 1.1 are refused, TLS 1.2 or 1.3 is accepted. Each version gets a handshake
  of its own, with a client pinned to it (the old ones at OpenSSL security level 0, so that it is the
  server, not Debian's client defaults, that refuses them);
- **certificate**: in date, valid for the host (its subjectAltName), and trusted (the system's
  certificate store, or ``cafile``: ``POC_TLS_CAFILE`` for a municipality's own CA);
- **ciphers**: no cipher suite of the weak list :data:`WEAK` is accepted. Each group is offered on its
  own in a hand-made TLS 1.2 ClientHello (so it does not matter which ciphers this machine's OpenSSL
  still has: Debian's has no RC4, DES or 3DES) and the server's ServerHello says which it chose, if any.
  The list follows RFC 9325 (BCP 195, "Recommendations for Secure Use of TLS and DTLS", 2022),
  section 4.1: NULL encryption, RC4, and less than 112 bits (export, DES) MUST NOT be negotiated;
  3DES (less than 128 bits; the SWEET32 attack, CVE-2016-2183) SHOULD NOT; anonymous key exchange
  authenticates no server at all and every configuration of Mozilla's Server Side TLS guidelines
  (https://wiki.mozilla.org/Security/Server_Side_TLS) leaves it out. Static RSA key transport, which
  RFC 9325 also says SHOULD NOT be negotiated, is reported as a note (:data:`DISCOURAGED`), not a fault;
- **HSTS**: the HTTPS answer carries ``Strict-Transport-Security`` with a max-age of at least six
  months (15768000 s, the threshold of the Mozilla HTTP Observatory's HSTS test);
- **HTTP to HTTPS**: on port 80 of the same host (when the origin is on 443, or ``http_port`` is
  given) plain HTTP is either not served or redirected to ``https://`` (PRI-09's second criterion).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import struct
import tempfile
import warnings
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

HSTS_MIN_AGE = 15768000  # six months: the Mozilla HTTP Observatory's threshold
SOURCE = ("RFC 9325 (BCP 195) section 4.1; anonymous suites: Mozilla Server Side TLS guidelines; "
          "3DES: SWEET32, CVE-2016-2183")

# group -> (why, IANA cipher suite codes with their names), offered one group at a time
WEAK: dict[str, tuple[str, dict[int, str]]] = {
    "NULL encryption": ("RFC 9325 4.1: MUST NOT", {
        0x0001: "TLS_RSA_WITH_NULL_MD5", 0x0002: "TLS_RSA_WITH_NULL_SHA", 0x003B: "TLS_RSA_WITH_NULL_SHA256",
        0xC006: "TLS_ECDHE_ECDSA_WITH_NULL_SHA", 0xC010: "TLS_ECDHE_RSA_WITH_NULL_SHA",
        0xC015: "TLS_ECDH_anon_WITH_NULL_SHA"}),
    "RC4": ("RFC 9325 4.1 and RFC 7465: MUST NOT", {
        0x0004: "TLS_RSA_WITH_RC4_128_MD5", 0x0005: "TLS_RSA_WITH_RC4_128_SHA",
        0xC007: "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", 0xC011: "TLS_ECDHE_RSA_WITH_RC4_128_SHA",
        0x0018: "TLS_DH_anon_WITH_RC4_128_MD5"}),
    "export and DES (less than 112 bits)": ("RFC 9325 4.1: MUST NOT", {
        0x0003: "TLS_RSA_EXPORT_WITH_RC4_40_MD5", 0x0006: "TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5",
        0x0008: "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", 0x0009: "TLS_RSA_WITH_DES_CBC_SHA",
        0x0014: "TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", 0x0015: "TLS_DHE_RSA_WITH_DES_CBC_SHA"}),
    "3DES (less than 128 bits)": ("RFC 9325 4.1: SHOULD NOT; SWEET32", {
        0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", 0x0016: "TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA",
        0xC008: "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", 0xC012: "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"}),
    "anonymous (no server authentication)": ("no authentication; excluded by every Mozilla configuration", {
        0x0034: "TLS_DH_anon_WITH_AES_128_CBC_SHA", 0x003A: "TLS_DH_anon_WITH_AES_256_CBC_SHA",
        0x00A6: "TLS_DH_anon_WITH_AES_128_GCM_SHA256", 0x00A7: "TLS_DH_anon_WITH_AES_256_GCM_SHA384",
        0xC018: "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", 0xC019: "TLS_ECDH_anon_WITH_AES_256_CBC_SHA"}),
}
DISCOURAGED: dict[str, tuple[str, dict[int, str]]] = {
    "static RSA key transport": ("RFC 9325 4.1: SHOULD NOT", {
        0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA", 0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
        0x003C: "TLS_RSA_WITH_AES_128_CBC_SHA256", 0x003D: "TLS_RSA_WITH_AES_256_CBC_SHA256",
        0x009C: "TLS_RSA_WITH_AES_128_GCM_SHA256", 0x009D: "TLS_RSA_WITH_AES_256_GCM_SHA384"}),
}
VERSIONS = (("TLS 1.0", ssl.TLSVersion.TLSv1), ("TLS 1.1", ssl.TLSVersion.TLSv1_1),
            ("TLS 1.2", ssl.TLSVersion.TLSv1_2), ("TLS 1.3", ssl.TLSVersion.TLSv1_3))
REFUSED_VERSIONS, ACCEPTED_VERSIONS = ("TLS 1.0", "TLS 1.1"), ("TLS 1.2", "TLS 1.3")


@dataclass
class Report:
    url: str
    host: str
    port: int
    versions: dict = field(default_factory=dict)      # name -> {"accepted": bool, "detail": str}
    certificate: dict = field(default_factory=dict)
    weak: dict = field(default_factory=dict)          # group -> the suite the server chose, or None
    discouraged: dict = field(default_factory=dict)
    hsts: dict = field(default_factory=dict)
    http: dict = field(default_factory=dict)
    faults: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    source: str = SOURCE

    @property
    def ok(self) -> bool:
        return not self.faults

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def probe(url: str, *, cafile: str | None = None, timeout: float = 5.0, http_port: int | None = None) -> Report:
    """Probe the HTTPS origin of `url` (its path is used for the HSTS request)."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ValueError(f"not an https URL: {url}")
    host, port = parts.hostname or "", parts.port or 443
    cafile = cafile or os.environ.get("POC_TLS_CAFILE") or None
    r = Report(url, host, port)
    sni = None if _is_ip(host) else host

    # versions
    for name, version in VERSIONS:
        r.versions[name] = _version(host, port, sni, version, timeout)
    for name in REFUSED_VERSIONS:
        if r.versions[name]["accepted"]:
            r.faults.append(f"{name} is accepted (it must be refused)")
    if not any(r.versions[n]["accepted"] for n in ACCEPTED_VERSIONS):
        r.faults.append("neither TLS 1.2 nor TLS 1.3 is accepted: "
                        + "; ".join(f"{n}: {r.versions[n]['detail']}" for n in ACCEPTED_VERSIONS))
        return r  # nothing more can be asked of it

    # the certificate
    r.certificate = _certificate(host, port, sni, cafile, timeout)
    r.faults += r.certificate.pop("faults")

    # ciphers
    for group, (why, suites) in WEAK.items():
        chosen = _server_choice(host, port, sni, suites, timeout)
        r.weak[group] = chosen
        if chosen:
            r.faults.append(f"weak cipher suite accepted: {chosen} ({group}; {why})")
    for group, (why, suites) in DISCOURAGED.items():
        chosen = _server_choice(host, port, sni, suites, timeout)
        r.discouraged[group] = chosen
        if chosen:
            r.notes.append(f"{chosen} is accepted ({group}; {why}): discouraged, not counted as a fault")

    # HSTS
    r.hsts = _hsts(url, cafile, timeout)
    if r.hsts.get("fault"):
        r.faults.append(r.hsts["fault"])

    # plain HTTP on the same host
    if http_port is None and port == 443:
        http_port = 80
    if http_port is not None:
        r.http = _http_redirect(host, http_port, parts.path or "/", timeout)
        if r.http.get("fault"):
            r.faults.append(r.http["fault"])
    else:
        r.notes.append(f"plain HTTP not checked: the origin is on port {port}, so its HTTP port is not known")
    return r


# -- versions ---------------------------------------------------------------------------------

def _version(host: str, port: int, sni: str | None, version, timeout: float) -> dict:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1 pinned on purpose
        ctx.minimum_version = version
        ctx.maximum_version = version
    if version < ssl.TLSVersion.TLSv1_3:
        try:
            ctx.set_ciphers("ALL:@SECLEVEL=0")  # let the server, not this client, refuse what is old
        except ssl.SSLError:
            pass
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                ctx.wrap_socket(raw, server_hostname=sni) as s:
            cipher = s.cipher()
            return {"accepted": True, "detail": f"{s.version()} {cipher[0] if cipher else ''}".strip()}
    except (ssl.SSLError, OSError) as exc:
        return {"accepted": False, "detail": _short(exc)}


# -- the certificate ----------------------------------------------------------------------------

def _certificate(host: str, port: int, sni: str | None, cafile: str | None, timeout: float) -> dict:
    out: dict = {"faults": []}
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                ctx.wrap_socket(raw, server_hostname=sni) as s:
            der = s.getpeercert(binary_form=True)
    except (ssl.SSLError, OSError) as exc:
        out["faults"].append(f"the certificate could not be read: {_short(exc)}")
        return out
    info = _decode(der)
    names = [v for k, v in info.get("subjectAltName", ()) if k in ("DNS", "IP Address")]
    out.update(subject=_flat(info.get("subject")), issuer=_flat(info.get("issuer")), names=names,
               not_before=info.get("notBefore"), not_after=info.get("notAfter"))
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    try:
        if info.get("notAfter") and ssl.cert_time_to_seconds(info["notAfter"]) < now:
            out["faults"].append(f"the certificate expired on {info['notAfter']}")
        if info.get("notBefore") and ssl.cert_time_to_seconds(info["notBefore"]) > now:
            out["faults"].append(f"the certificate is not valid before {info['notBefore']}")
    except ValueError:
        out["faults"].append("the certificate's dates could not be read")
    if not _matches(host, names):
        out["faults"].append(f"the certificate is not valid for {host} (it names {', '.join(names) or 'no host'})")
    # trust: the chain to a trusted root (dates and host are judged above)
    vctx = ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()
    vctx.check_hostname = False
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                vctx.wrap_socket(raw, server_hostname=sni):
            out["trusted"] = True
    except ssl.SSLCertVerificationError as exc:
        out["trusted"] = False
        out["verify"] = exc.verify_message
        if exc.verify_code not in (9, 10):  # not yet valid / expired: said above
            where = f" (CA file {cafile})" if cafile else " (the system's certificate store)"
            out["faults"].append(f"the certificate is not trusted{where}: {exc.verify_message}")
    except (ssl.SSLError, OSError) as exc:
        out["trusted"] = False
        out["faults"].append(f"the certificate could not be verified: {_short(exc)}")
    return out


def _decode(der: bytes) -> dict:
    """The certificate's fields as ssl.getpeercert() gives them (Python's own decoder, through a file)."""
    fd, path = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(ssl.DER_cert_to_PEM_cert(der))
        return ssl._ssl._test_decode_cert(path)  # type: ignore[attr-defined]
    except Exception:
        return {}
    finally:
        os.unlink(path)


def _flat(rdns) -> str:
    if not rdns:
        return ""
    return ", ".join(f"{k}={v}" for rdn in rdns for k, v in rdn)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        return False


def _matches(host: str, names: list[str]) -> bool:
    """RFC 6125: an IP address against the IP entries, a name against the DNS entries, a wildcard
    only as the whole leftmost label."""
    host = host.lower().rstrip(".")
    if _is_ip(host):
        return any(_is_ip(n) and ipaddress.ip_address(n) == ipaddress.ip_address(host) for n in names)
    for n in (n.lower().rstrip(".") for n in names if not _is_ip(n)):
        if n == host:
            return True
        if n.startswith("*.") and "." in host and host.split(".", 1)[1] == n[2:]:
            return True
    return False


# -- which cipher suite the server chooses ---------------------------------------------------------

def client_hello(suites, sni: str | None, version: int = 0x0303) -> bytes:
    """A TLS ClientHello (RFC 5246 7.4.1.2) offering exactly `suites`, in a TLS record."""
    body = struct.pack("!H", version) + os.urandom(32) + b"\x00"
    cs = b"".join(struct.pack("!H", c) for c in suites)
    body += struct.pack("!H", len(cs)) + cs + b"\x01\x00"
    ext = b""
    if sni:
        name = sni.encode("idna")
        entry = b"\x00" + struct.pack("!H", len(name)) + name
        ext += _ext(0x0000, struct.pack("!H", len(entry)) + entry)
    groups = struct.pack("!5H", 0x001D, 0x0017, 0x0018, 0x0019, 0x0100)
    ext += _ext(0x000A, struct.pack("!H", len(groups)) + groups)            # supported_groups
    ext += _ext(0x000B, b"\x01\x00")                                         # ec_point_formats
    sigs = struct.pack("!10H", 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0201, 0x0203)
    ext += _ext(0x000D, struct.pack("!H", len(sigs)) + sigs)                # signature_algorithms
    ext += _ext(0xFF01, b"\x00")                                             # renegotiation_info
    body += struct.pack("!H", len(ext)) + ext
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def _ext(kind: int, data: bytes) -> bytes:
    return struct.pack("!HH", kind, len(data)) + data


def _server_choice(host: str, port: int, sni: str | None, suites: dict[int, str], timeout: float) -> str | None:
    """The cipher suite the server picks from `suites` alone (a TLS 1.2 hello), or None if it refuses."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(client_hello(list(suites), sni))
            head = _read(s, 5)
            if len(head) < 5 or head[0] != 22:  # an alert, or nothing: refused
                return None
            length = struct.unpack("!H", head[3:5])[0]
            rec = _read(s, min(length, 16384))
    except OSError:
        return None
    if len(rec) < 4 + 2 + 32 + 1 or rec[0] != 2:  # not a ServerHello
        return None
    i = 4 + 2 + 32
    sid = rec[i]
    i += 1 + sid
    if len(rec) < i + 2:
        return None
    code = struct.unpack("!H", rec[i:i + 2])[0]
    return suites.get(code, f"0x{code:04X} (not offered!)")


def _read(s: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


# -- HSTS and plain HTTP ------------------------------------------------------------------------

def _hsts(url: str, cafile: str | None, timeout: float) -> dict:
    import requests
    import urllib3
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
            resp = requests.get(url, timeout=timeout, allow_redirects=False, verify=False,
                                headers={"User-Agent": "os2skole-poc-harness (TLS probe)"})
    except requests.RequestException as exc:
        return {"fault": f"no HTTPS answer to read HSTS from: {_short(exc)}"}
    header = resp.headers.get("Strict-Transport-Security")
    out = {"status": resp.status_code, "header": header}
    if not header:
        out["fault"] = "no Strict-Transport-Security (HSTS) header"
        return out
    age = None
    for part in header.split(";"):
        k, _, v = part.strip().partition("=")
        if k.lower() == "max-age":
            try:
                age = int(v.strip().strip('"'))
            except ValueError:
                pass
    out["max_age"] = age
    if age is None or age < HSTS_MIN_AGE:
        out["fault"] = (f"HSTS max-age is {age} s, less than six months ({HSTS_MIN_AGE} s)" if age is not None
                        else f"the HSTS header has no max-age: {header!r}")
    return out


def _http_redirect(host: str, port: int, path: str, timeout: float) -> dict:
    import requests
    netloc = f"[{host}]" if ":" in host else host
    url = f"http://{netloc}{'' if port == 80 else f':{port}'}{path}"
    try:
        resp = requests.get(url, timeout=timeout, allow_redirects=False,
                            headers={"User-Agent": "os2skole-poc-harness (TLS probe)"})
    except requests.ConnectionError as exc:
        return {"url": url, "served": False, "detail": f"plain HTTP not served ({_short(exc)})"}
    except requests.RequestException as exc:
        return {"url": url, "served": None, "detail": _short(exc)}
    location = resp.headers.get("Location", "")
    out = {"url": url, "served": True, "status": resp.status_code, "location": location}
    if not (resp.status_code in (301, 302, 303, 307, 308) and location.lower().startswith("https://")):
        out["fault"] = (f"{url} answers HTTP {resp.status_code} over plain HTTP"
                        + (f" (to {location})" if location else "") + " instead of redirecting to https://")
    return out


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", "") or exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:200]
