"""What the platform publishes so anyone can verify a licence offline: keys, certificates, how to check."""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from qinqing.cases.certificates import certificate_id, fingerprint, retired_certificates, signing_material
from qinqing.cases.signing import current_key_id, key_id, public_key_pem, retired_public_keys

ED25519_FILE = "licence-signing-ed25519.pem"
CERTIFICATE_FILE = "pdf-signing-certificate.pem"
CA_FILE = "ca-certificate.pem"


def _public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _certificate(cert: x509.Certificate) -> dict[str, Any]:
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "fingerprint_sha256": fingerprint(cert), "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(), "certificate_pem": _cert_pem(cert)}


def _retired() -> dict[str, str]:
    """Retired keys and certificates by published file name."""
    out = {f"retired-ed25519-{key_id(key)}.pem": _public_pem(key) for key in retired_public_keys()}
    out.update({f"retired-certificate-{certificate_id(cert)}.pem": _cert_pem(cert) for cert in retired_certificates()})
    return out


def published_pem(name: str) -> str | None:
    """The PEM text published under a file name, or None."""
    material = signing_material()
    current = {ED25519_FILE: public_key_pem(), CERTIFICATE_FILE: material.cert_pem.decode(),
               CA_FILE: material.ca_pem.decode()}
    return current.get(name) or _retired().get(name)


def published_keys(*, base: str) -> dict[str, Any]:
    """Everything a verifier needs, with the address of each PEM file under `base`."""
    material = signing_material()
    return {
        "licence_signature": {
            "algorithm": "Ed25519", "key_id": current_key_id(), "public_key_pem": public_key_pem(),
            "url": base + ED25519_FILE,
            "signed_bytes": "the licence's payload as JSON: keys sorted, no spaces, UTF-8 (ensure_ascii off)",
            "signature_encoding": "URL-safe base64 without padding",
        },
        "pdf_signature": {
            "format": "PAdES (ETSI.CAdES.detached), ECDSA P-256 with SHA-256",
            "certificate": {**_certificate(material.certificate), "url": base + CERTIFICATE_FILE},
            "ca_certificate": {**_certificate(material.ca_certificate), "url": base + CA_FILE},
        },
        "retired": [{"url": base + name, "pem": pem} for name, pem in sorted(_retired().items())],
    }
