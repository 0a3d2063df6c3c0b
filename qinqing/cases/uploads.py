"""Check uploaded materials by content, not by name; keep the Chinese name for display only."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qinqing.cases.archives import DOCX, OFD, XLSX, ArchiveRefused, inspect_archive
from qinqing.cases.errors import UploadRefused
from qinqing.cases.models import Material

_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)
# What a browser would take for a web page: never accepted, whatever the file's first bytes say
# (a PDF polyglot carrying a page would run its script if ever shown inline).
_MARKUP = (b"<script", b"<html", b"<!doctype html", b"<body", b"<iframe", b"<svg", b"<object", b"<embed",
           b"<meta", b"javascript:")
_SNIFF_WINDOW = 1024
ACCEPTED_LABEL = "PDF, OFD, JPG, PNG, DOCX, XLSX"


_ARCHIVE_MESSAGES = {
    "file_type": gettext_lazy("%(name)s 不是可接受的文档（按内容检查类型）。"),
    "corrupt": gettext_lazy("%(name)s 已损坏，无法打开。"),
    "content_types": gettext_lazy("%(name)s 不是有效的 Word、Excel 或 OFD 文档（内容类型不符）。"),
    "executable": gettext_lazy("%(name)s 内含可执行程序，不予接收。"),
    "macro": gettext_lazy("%(name)s 含有宏或嵌入对象，请另存为不含宏的 .docx 或 .xlsx。"),
    "too_many_entries": gettext_lazy("%(name)s 内含文件过多，不予接收。"),
    "too_large_uncompressed": gettext_lazy("%(name)s 解压后过大，不予接收。"),
    "path": gettext_lazy("%(name)s 内含不安全的路径，不予接收。"),
    "encrypted": gettext_lazy("%(name)s 已加密，请上传未加密的文件。"),
}


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
    """(MIME type, extension) from the bytes; an Office or OFD archive is opened and checked (archives.py)."""
    for magic, mime, ext in _SIGNATURES:
        if head.startswith(magic):
            return mime, ext
    if head.startswith(b"PK\x03\x04"):
        return inspect_archive(content)
    return None


def _looks_like_markup(content: bytes) -> bool:
    window = content[:_SNIFF_WINDOW].lower()
    return any(marker in window for marker in _MARKUP)


def served_name(display: str, extension: str) -> str:
    """The file name shown and sent on download: the user's name, the extension of the detected type.

    "report.bat" holding a PDF becomes "report.pdf"; the name never decides how a file is opened.
    """
    stem = display.rsplit(".", 1)[0] if "." in display else display
    stem = stem.strip().strip(".") or "file"
    return f"{stem[:190]}.{extension}"


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
    try:
        kind = None if _looks_like_markup(content) else _sniff(content[:16], content)
    except ArchiveRefused as refused:
        raise UploadRefused(_("File type not accepted."), errors={"file": [
            _ARCHIVE_MESSAGES.get(refused.code, _ARCHIVE_MESSAGES["file_type"]) % {"name": shown}]}) from None
    if kind is None:
        raise UploadRefused(_("File type not accepted."), errors={"file": [
            _("%(name)s is not an accepted document (%(types)s); the type is checked by content.")
            % {"name": shown, "types": ACCEPTED_LABEL}]})
    mime, ext = kind
    return CheckedUpload(
        content=content, content_type=mime, extension=ext, display_name=served_name(shown, ext),
        stored_name=f"{secrets.token_hex(16)}.{ext}", sha256=hashlib.sha256(content).hexdigest(),
    )


_TYPES_BY_EXTENSION = {ext: mime for _magic, mime, ext in _SIGNATURES} | {"docx": DOCX, "xlsx": XLSX, "ofd": OFD}


def material_download(material: Material) -> FileResponse:
    """Send an uploaded material as an attachment, typed and named by what its content was found to be.

    The extension of the stored file (given by the detected type at upload) decides both the
    Content-Type and the extension of the name sent; `nosniff` and a sandboxing CSP stop a browser
    from ever running it as a page.
    """
    ext = material.stored_name.rsplit(".", 1)[-1].lower() if "." in material.stored_name else ""
    mime = _TYPES_BY_EXTENSION.get(ext, "application/octet-stream")
    response = FileResponse(material.file.open("rb"), as_attachment=True,
                            filename=served_name(display_name(material.original_name), ext or "bin"),
                            content_type=mime)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


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
