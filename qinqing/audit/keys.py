"""The audit chain's keys: HMAC-SHA256 secrets kept outside the database, each named by a key id.

The keys live in a file of the data directory (`QINQING_AUDIT_KEY_FILE`, created on first use, mode
0600) or in the environment (`QINQING_AUDIT_KEY`: base64url secrets separated by commas, the first
one current). A key id is a fingerprint of its secret, stored on every record it sealed, so that a
rotated key keeps verifying the records it sealed while new records use the new key.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

KEY_BYTES = 32
FORMAT = "qinqing-audit-keys/1"


class KeyringError(Exception):
    """The keys cannot be read or changed as asked."""


@dataclass(frozen=True)
class Keyring:
    current: str
    secrets: dict[str, bytes]
    source: str  # "file" or "environment"

    def secret(self, key_id: str) -> bytes | None:
        return self.secrets.get(key_id)


def key_id_of(secret: bytes) -> str:
    """The public name of a secret: a fingerprint that reveals nothing of it."""
    return hashlib.sha256(b"qinqing-audit-key:" + secret).hexdigest()[:16]


def new_secret() -> str:
    """A fresh secret, base64url without padding, for the file or for `QINQING_AUDIT_KEY`."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode().rstrip("=")


def _decode(text: str) -> bytes:
    text = text.strip()
    try:
        secret = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("an audit key is not base64url") from exc
    if len(secret) < KEY_BYTES:
        raise ImproperlyConfigured(f"an audit key must hold at least {KEY_BYTES} bytes")
    return secret


_cache: tuple[object, Keyring] | None = None


def keyring() -> Keyring:
    """The keys, read again only when their file changed (a rotation reaches running processes)."""
    global _cache
    env = str(getattr(settings, "QINQING_AUDIT_KEY", "") or "")
    path = settings.QINQING_AUDIT_KEY_FILE
    path = path if isinstance(path, Path) else Path(path)
    if env:
        stamp: object = ("environment", env)
    else:
        try:
            st = path.stat()
        except FileNotFoundError:
            _create(path)
            st = path.stat()
        stamp = (str(path), st.st_ino, st.st_mtime_ns, st.st_size)
    if _cache is not None and _cache[0] == stamp:
        return _cache[1]
    ring = _from_environment(env) if env else _from_file(path)
    _cache = (stamp, ring)
    return ring


def _from_environment(env: str) -> Keyring:
    decoded = [_decode(part) for part in env.split(",") if part.strip()]
    if not decoded:
        raise ImproperlyConfigured("QINQING_AUDIT_KEY holds no key")
    return Keyring(key_id_of(decoded[0]), {key_id_of(s): s for s in decoded}, "environment")


def _from_file(path: Path) -> Keyring:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        keys = {kid: _decode(entry["secret"]) for kid, entry in document["keys"].items()}
        current = str(document["current"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ImproperlyConfigured(f"the audit key file {path} cannot be read: {exc}") from exc
    for kid, secret in keys.items():
        if key_id_of(secret) != kid:
            raise ImproperlyConfigured(f"the audit key file {path} names key {kid} wrongly")
    if current not in keys:
        raise ImproperlyConfigured(f"the audit key file {path} has no current key")
    return Keyring(current, keys, "file")


def _document(keys: dict[str, dict[str, str]], current: str) -> bytes:
    return json.dumps({"format": FORMAT, "current": current, "keys": keys}, indent=2).encode() + b"\n"


def _entry(secret: str) -> dict[str, str]:
    return {"secret": secret, "created": timezone.now().isoformat(timespec="seconds")}


def _write_private(path: Path, data: bytes) -> Path:
    """Write `data` to a fresh private file beside `path`; return its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return tmp


def _create(path: Path) -> None:
    """Create the key file with one key; when several processes start at once, exactly one wins."""
    secret = new_secret()
    kid = key_id_of(_decode(secret))
    tmp = _write_private(path, _document({kid: _entry(secret)}, kid))
    try:
        os.link(tmp, path)  # fails if another process created it first: never a half-written file
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path`'s lock file (one rotation or checkpoint at a time per machine)."""
    lock = path.with_name(path.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def rotate() -> str:
    """Add a new key to the file and make it current; keep the old ones for verification."""
    if getattr(settings, "QINQING_AUDIT_KEY", ""):
        raise KeyringError(
            "the audit keys come from QINQING_AUDIT_KEY: put a new secret first in that list "
            f"(for example {new_secret()}), keep the old ones after it, and restart the processes"
        )
    path = Path(settings.QINQING_AUDIT_KEY_FILE)
    keyring()  # create the file if it does not exist yet
    with locked(path):
        document = json.loads(path.read_text(encoding="utf-8"))
        secret = new_secret()
        kid = key_id_of(_decode(secret))
        document["keys"][kid] = _entry(secret)
        tmp = _write_private(path, _document(document["keys"], kid))
        os.replace(tmp, path)
    return kid
