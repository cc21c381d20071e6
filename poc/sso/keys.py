"""Signing keys for the harness's identity provider: an RSA key and a self-signed certificate made
for the run (``cryptography``), written with mode 0600 into the run's sso/keys/ folder and the
private key removed again when the run ends (the certificate stays as evidence). Nothing here is
ever committed: reports/ is ignored by git.

For a vendor's deployment that must trust the IdP across several runs in the market dialogue,
``POC_SSO_KEYS=<folder>`` keeps one key pair there instead (made on first use, reused after)."""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

KEEP_ENV = "POC_SSO_KEYS"


@dataclass
class KeyPair:
    key: Path
    cert: Path
    kept: bool  # a folder the operator chose (POC_SSO_KEYS): not removed at the end of the run

    @property
    def cert_pem(self) -> str:
        return self.cert.read_text()

    @property
    def cert_body(self) -> str:
        """The certificate's base64 body, as metadata's X509Certificate element holds it."""
        return "".join(line for line in self.cert_pem.splitlines() if line and not line.startswith("-----"))

    @property
    def fingerprint(self) -> str:
        der = x509.load_pem_x509_certificate(self.cert.read_bytes()).public_bytes(serialization.Encoding.DER)
        return hashlib.sha256(der).hexdigest()

    def forget(self) -> None:
        """Remove the private key (a per-run key is useless afterwards and must not travel in a bundle)."""
        if not self.kept:
            try:
                self.key.unlink()
            except FileNotFoundError:
                pass


def make(folder: Path, name: str, common_name: str, *, days: int = 30, keepable: bool = True) -> KeyPair:
    """An RSA-2048 key and a self-signed certificate <folder>/<name>.key/.crt (0600 / 0644); with
    ``keepable`` (the IdP's own keys) POC_SSO_KEYS may name a folder that keeps them across runs."""
    kept_dir = os.environ.get(KEEP_ENV) if keepable else None
    if kept_dir:
        folder = Path(kept_dir)
    folder.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.crt"
    if kept_dir and key_path.exists() and cert_path.exists():
        return KeyPair(key_path, cert_path, kept=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "OS2skole PoC harness")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    cert_path.chmod(0o644)
    return KeyPair(key_path, cert_path, kept=bool(kept_dir))
