"""Ed25519 signatures on e-licences: anyone holding the public key verifies them offline."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings


def canonical(payload: Any) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@lru_cache(maxsize=1)
def _private_key() -> Ed25519PrivateKey:
    path = settings.QINQING_SIGNING_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: when several server processes start at once, exactly one creates the key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        data = path.read_bytes()
        key = serialization.load_pem_private_key(data, password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return key
    key = Ed25519PrivateKey.generate()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ))
    return key


def public_key_pem() -> str:
    """The public key, to publish for offline verification."""
    return _private_key().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def sign(payload: dict[str, Any]) -> str:
    """Sign a payload; return the signature as URL-safe base64."""
    return base64.urlsafe_b64encode(_private_key().sign(canonical(payload))).decode().rstrip("=")


def key_id(public: Ed25519PublicKey) -> str:
    """A short stable id of a public key: the first 16 hex digits of SHA-256 over its raw 32 bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def current_key_id() -> str:
    return key_id(_private_key().public_key())


def retired_public_keys() -> list[Ed25519PublicKey]:
    """Ed25519 public keys rotated out (PEM files in the retired folder): what they signed still verifies."""
    folder = Path(settings.QINQING_RETIRED_KEYS_DIR)
    out = []
    for path in sorted(folder.glob("*.pem")) if folder.is_dir() else []:
        try:
            loaded = serialization.load_pem_public_key(path.read_bytes())
        except ValueError:
            continue  # a retired X.509 certificate, not a bare public key
        if isinstance(loaded, Ed25519PublicKey):
            out.append(loaded)
    return out


_KEEP_VERIFIED = 10_000
_verified: OrderedDict[tuple[str, bytes], None] = OrderedDict()
_verified_lock = threading.Lock()


def verify_kept(payload: Any, signature: str) -> bool:
    """`verify` against the platform's keys, a signature the current key made checked once per process.

    Kept by the signature and the exact signed bytes, so a changed payload is checked afresh; what a
    retired key signed is checked every time (the retired folder may change while the process runs).
    """
    try:
        message = canonical(payload)
    except (ValueError, TypeError):
        return False
    key = (signature, message)
    with _verified_lock:
        if key in _verified:
            _verified.move_to_end(key)
            return True
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        _private_key().public_key().verify(raw, message)
    except (ValueError, TypeError, InvalidSignature):
        return verify(payload, signature)
    with _verified_lock:
        _verified[key] = None
        if len(_verified) > _KEEP_VERIFIED:
            _verified.popitem(last=False)
    return True


def verify(payload: Any, signature: str, public_pem: str | None = None) -> bool:
    """Check a signature against the platform's keys (current, then retired) or a given public key."""
    if public_pem is None:
        keys = [_private_key().public_key(), *retired_public_keys()]
    else:
        try:
            loaded = serialization.load_pem_public_key(public_pem.encode())
        except ValueError:
            return False
        if not isinstance(loaded, Ed25519PublicKey):
            return False
        keys = [loaded]
    try:
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        message = canonical(payload)
    except (ValueError, TypeError):
        return False
    for public in keys:
        try:
            public.verify(raw, message)
        except InvalidSignature:
            continue
        return True
    return False
