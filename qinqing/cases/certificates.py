"""The X.509 material that signs licence PDFs: an issuing CA and a signing certificate, made on first use.

The licence payload is signed with the platform's Ed25519 key (`signing.py`); a PDF reader checks a PDF
signature against an X.509 certificate instead, so the platform keeps a second key pair (ECDSA P-256,
which every PDF reader and poppler's NSS verify) with a certificate issued by its own self-signed CA.
All four files live in one folder (`settings.QINQING_PDF_SIGNING_DIR`), written into a temporary folder
and renamed into place: when several server processes start at once exactly one set wins and every
process loads that one. An operator may put a certificate from the government CA in the folder instead
(`ca.pem`, `signing.pem`, `signing.key`), see docs/security/sec-licence.md for rotation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

CA_CERT, CA_KEY, SIGNING_CERT, SIGNING_KEY = "ca.pem", "ca.key", "signing.pem", "signing.key"
ORGANISATION = "亲清在线"


@dataclass(frozen=True)
class SigningMaterial:
    """The PDF signing certificate and key with the CA certificate that issued it (all PEM bytes)."""

    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_pem)

    @property
    def ca_certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.ca_pem)


def fingerprint(cert: x509.Certificate) -> str:
    """The certificate's SHA-256 fingerprint as colon-separated hex, as certificate viewers show it."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _issue(now: dt.datetime) -> tuple[SigningMaterial, bytes]:
    """Make a fresh CA (20 years) and a signing certificate it issues (5 years); also answer the CA's key."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("亲清在线电子证照根证书 Qinqing e-licence CA")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=20 * 365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(_name("亲清在线电子证照签章 Qinqing e-licence signing"))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=5 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    material = SigningMaterial(ca_pem=ca.public_bytes(serialization.Encoding.PEM),
                               cert_pem=cert.public_bytes(serialization.Encoding.PEM), key_pem=_pem_key(key))
    return material, _pem_key(ca_key)


def _write(folder: Path, name: str, data: bytes, mode: int) -> None:
    fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _create(folder: Path) -> None:
    """Write a fresh set into a temporary sibling folder and rename it into place (atomic; one winner)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        material, ca_key = _issue(dt.datetime.now(dt.UTC))
        _write(temporary, CA_CERT, material.ca_pem, 0o644)
        _write(temporary, CA_KEY, ca_key, 0o600)
        _write(temporary, SIGNING_CERT, material.cert_pem, 0o644)
        _write(temporary, SIGNING_KEY, material.key_pem, 0o600)
        os.rename(temporary, folder)
    except OSError:
        if not (folder / SIGNING_KEY).exists():
            raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


@lru_cache(maxsize=1)
def signing_material() -> SigningMaterial:
    """The PDF signing certificate, its key and the CA certificate; created in the data folder on first use."""
    folder = Path(settings.QINQING_PDF_SIGNING_DIR)
    if not (folder / SIGNING_KEY).exists():
        _create(folder)
    return SigningMaterial(ca_pem=(folder / CA_CERT).read_bytes(), cert_pem=(folder / SIGNING_CERT).read_bytes(),
                           key_pem=(folder / SIGNING_KEY).read_bytes())


def retired_certificates() -> list[x509.Certificate]:
    """CA and signing certificates rotated out (PEM files in the retired folder): old PDFs still check."""
    folder = Path(settings.QINQING_RETIRED_KEYS_DIR)
    out = []
    for path in sorted(folder.glob("*.pem")) if folder.is_dir() else []:
        try:
            out.append(x509.load_pem_x509_certificate(path.read_bytes()))
        except ValueError:
            continue  # a retired Ed25519 public key, not a certificate
    return out


def certificate_id(cert: x509.Certificate) -> str:
    """A short stable id of a certificate: the first 16 hex digits of its SHA-256 fingerprint."""
    return hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest()[:16]
