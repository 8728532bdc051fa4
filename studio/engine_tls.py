"""TLS client material of a Docker engine reached over tcp://: checked, summarised, never shown back.

A compute keeps a CA certificate (to verify the engine), a client certificate and its private key
(to be let in), all PEM, encrypted together in one field (`studio.encryption`). What anyone can
read back is `summary()`: which parts are set, the client certificate's SHA-256 fingerprint, its
subject and expiry.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from studio.encryption import decrypt, encrypt

# A PEM bundle bigger than this is not TLS client material.
MAX_PEM_CHARS = 64 * 1024
FIELDS = ("tls_ca", "tls_cert", "tls_key")


@dataclass(frozen=True)
class EngineTLS:
    """PEM text of an engine's CA certificate, client certificate and client key ('' when absent)."""

    ca: str = ""
    cert: str = ""
    key: str = ""

    def sealed(self) -> str:
        """The material encrypted for the database."""
        return encrypt(json.dumps(asdict(self)))

    @classmethod
    def unsealed(cls, token: str) -> EngineTLS:
        """The material `sealed()` stored."""
        values = json.loads(decrypt(token))
        return cls(ca=values.get("ca", ""), cert=values.get("cert", ""), key=values.get("key", ""))

    def fingerprint(self) -> str:
        """`sha256:<hex>` of the client certificate (else of the CA certificate)."""
        pem = self.cert or self.ca
        return "sha256:" + _certificate(pem).fingerprint(hashes.SHA256()).hex() if pem else ""

    def summary(self) -> dict:
        """What may be shown: which parts are set, the fingerprint, subject and expiry; no PEM."""
        shown = self.cert or self.ca
        certificate = _certificate(shown) if shown else None
        return {
            "set": bool(self.ca or self.cert),
            "ca": bool(self.ca),
            "client_certificate": bool(self.cert),
            "fingerprint": self.fingerprint(),
            "subject": certificate.subject.rfc4514_string() if certificate else "",
            "expires": certificate.not_valid_after_utc.isoformat() if certificate else "",
        }


def _certificate(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def tls_problems(ca: str, cert: str, key: str) -> dict[str, str]:
    """Why this material cannot be used, by field (`tls_ca`, `tls_cert`, `tls_key`); empty when fine.

    A client certificate comes with its key (and the key must be the certificate's); a CA alone
    verifies the engine without a client certificate.
    """
    problems: dict[str, str] = {}
    for field, text in zip(FIELDS, (ca, cert, key), strict=True):
        if len(text) > MAX_PEM_CHARS:
            problems[field] = f"longer than {MAX_PEM_CHARS} characters; give one PEM file"
    if problems:
        return problems
    if not (ca or cert or key):
        return {"tls_cert": "give a CA certificate, a client certificate and key, or both"}
    certificate = None
    for field, text in (("tls_ca", ca), ("tls_cert", cert)):
        if not text:
            continue
        try:
            loaded = _certificate(text)
        except ValueError:
            problems[field] = "not a PEM X.509 certificate (-----BEGIN CERTIFICATE-----)"
            continue
        if field == "tls_cert":
            certificate = loaded
    if bool(cert) != bool(key):
        missing = "tls_key" if cert else "tls_cert"
        problems.setdefault(missing, "a client certificate and its key go together: give both")
        return problems
    if key:
        try:
            private = serialization.load_pem_private_key(key.encode(), password=None)
        except (ValueError, TypeError):
            problems["tls_key"] = "not an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)"
            return problems
        if certificate is not None and _public(private.public_key()) != _public(certificate.public_key()):
            problems["tls_key"] = "this key does not belong to the client certificate"
    return problems


def _public(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
