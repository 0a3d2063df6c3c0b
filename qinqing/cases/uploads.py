"""Check uploaded materials by content, not by name; keep the Chinese name for display only."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from qinqing.cases.errors import UploadRefused

_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
_ZIP_KINDS = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "OFD.xml": ("application/ofd", "ofd"),
}
ACCEPTED_LABEL = "PDF, OFD, JPG, PNG, DOCX, XLSX"


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    extension: str
    display_name: str
    stored_name: str
    sha256: str


Upload = tuple[str, CheckedUpload]  # (requirement code or "", checked file)


def _sniff(head: bytes, content: bytes) -> tuple[str, str] | None:
    for magic, mime, ext in _SIGNATURES:
        if head.startswith(magic):
            return mime, ext
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(BytesIO(content)).namelist()
        except zipfile.BadZipFile:
            return None
        for marker, kind in _ZIP_KINDS.items():
            if any(n == marker or n.startswith(marker) for n in names):
                return kind
    return None


def display_name(raw: str) -> str:
    """Keep the user's file name for display: no directories, no control characters."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().lstrip(".")
    return (name or "file")[:200]


def check_upload(handle: IO[bytes], name: str, size: int | None = None) -> CheckedUpload:
    """Return the checked upload or raise UploadRefused naming the file."""
    limit = settings.QINQING_MAX_UPLOAD_BYTES
    shown = display_name(name)
    if size is not None and size > limit:
        raise UploadRefused(_("File too large."), errors={"file": [
            _("%(name)s is larger than %(mb)d MB.") % {"name": shown, "mb": limit // (1024 * 1024)}]})
    content = handle.read(limit + 1)
    if len(content) > limit:
        raise UploadRefused(_("File too large."), errors={"file": [
            _("%(name)s is larger than %(mb)d MB.") % {"name": shown, "mb": limit // (1024 * 1024)}]})
    if not content:
        raise UploadRefused(_("Empty file."), errors={"file": [_("%(name)s is empty.") % {"name": shown}]})
    kind = _sniff(content[:16], content)
    if kind is None:
        raise UploadRefused(_("File type not accepted."), errors={"file": [
            _("%(name)s is not an accepted document (%(types)s); the type is checked by content.")
            % {"name": shown, "types": ACCEPTED_LABEL}]})
    mime, ext = kind
    return CheckedUpload(
        content=content, content_type=mime, extension=ext, display_name=shown,
        stored_name=f"{secrets.token_hex(16)}.{ext}", sha256=hashlib.sha256(content).hexdigest(),
    )


def material_key(code: str) -> str:
    """The form field (and error key) of one material's upload."""
    return f"material_{code}"


def check_uploads(files: MultiValueDict[str, UploadedFile[bytes]], codes: Iterable[str]) -> tuple[list[Upload], dict[str, list[str]]]:
    """Check every uploaded file on its own: (accepted uploads, refusals keyed by the material's field)."""
    accepted: list[Upload] = []
    errors: dict[str, list[str]] = {}
    for code in codes:
        for handle in files.getlist(material_key(code)):
            try:
                accepted.append((code, check_upload(handle, handle.name or "file", handle.size)))
            except UploadRefused as exc:
                errors.setdefault(material_key(code), []).extend(
                    str(m) for messages in exc.errors.values() for m in messages)
    return accepted, errors
