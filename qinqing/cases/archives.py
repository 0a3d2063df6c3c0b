"""Open a ZIP-based document (DOCX, XLSX, OFD) and check it before anyone else opens it.

A name inside the archive proves nothing: `word/evil.exe` is not a Word document. The archive is
accepted only when its declared content types say what it is, it holds no executable, macro or
path outside itself, and its entries are few and small enough once uncompressed (a zip bomb of a
few kilobytes that expands to gigabytes is refused before anything decompresses it).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.conf import settings

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OFD = "application/ofd"
# The main part each kind must declare in [Content_Types].xml (a macro-enabled one is refused).
_MAIN_PARTS = {
    "docx": ("/word/document.xml", DOCX + ".main+xml", DOCX),
    "xlsx": ("/xl/workbook.xml", XLSX + ".main+xml", XLSX),
}
_EXECUTABLE_SUFFIXES = (
    ".exe", ".dll", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".msp", ".cpl", ".jar", ".js", ".jse",
    ".vbs", ".vbe", ".wsf", ".wsh", ".hta", ".ps1", ".psm1", ".sh", ".lnk", ".reg", ".so", ".dylib", ".app",
    ".apk", ".elf", ".html", ".htm", ".svg", ".xhtml",
)
_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"#!")
_MACRO_PARTS = ("vbaproject.bin", "vbadata.xml", "activex", "oleobject")
_FORBIDDEN_TYPES = ("macroenabled", "vbaproject", "activex", "oleobject", "x-msdownload", "x-executable")
_CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"
# [Content_Types].xml is small; a huge one is an attack on the parser.
_MAX_CONTENT_TYPES_BYTES = 256 * 1024


class ArchiveRefused(Exception):
    """The archive is not an acceptable document; `code` says why (empty, bomb, executable, type…)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Limits:
    entries: int
    uncompressed: int
    ratio: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            entries=int(getattr(settings, "QINQING_UPLOAD_MAX_ZIP_ENTRIES", 2000)),
            uncompressed=int(getattr(settings, "QINQING_UPLOAD_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024)),
            ratio=int(getattr(settings, "QINQING_UPLOAD_MAX_COMPRESSION_RATIO", 200)),
        )


def _open(content: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise ArchiveRefused("corrupt") from None


def _check_entries(archive: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    entries = archive.infolist()
    if not entries:
        raise ArchiveRefused("corrupt")
    if len(entries) > limits.entries:
        raise ArchiveRefused("too_many_entries")
    total = 0
    for info in entries:
        name = info.filename.replace("\\", "/")
        lowered = name.lower()
        if name.startswith("/") or ".." in name.split("/") or ":" in name.split("/", 1)[0]:
            raise ArchiveRefused("path")
        if info.flag_bits & 0x1:
            raise ArchiveRefused("encrypted")
        if lowered.endswith(_EXECUTABLE_SUFFIXES):
            raise ArchiveRefused("executable")
        if any(part in lowered for part in _MACRO_PARTS):
            raise ArchiveRefused("macro")
        total += info.file_size
        if total > limits.uncompressed:
            raise ArchiveRefused("too_large_uncompressed")
        if info.file_size > 1024 * 1024 and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise ArchiveRefused("too_large_uncompressed")
    return entries


def _check_content(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    """Look at the first bytes of every entry: no program hides under an innocent name."""
    for info in entries:
        if info.is_dir() or info.file_size == 0:
            continue
        try:
            with archive.open(info) as handle:
                head = handle.read(4)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError):
            raise ArchiveRefused("corrupt") from None
        if head.startswith(_EXECUTABLE_MAGIC):
            raise ArchiveRefused("executable")


def _content_types(archive: zipfile.ZipFile) -> tuple[dict[str, str], dict[str, str]]:
    """(defaults by extension, overrides by part name) declared in [Content_Types].xml."""
    try:
        info = archive.getinfo("[Content_Types].xml")
    except KeyError:
        raise ArchiveRefused("content_types") from None
    if info.file_size > _MAX_CONTENT_TYPES_BYTES:
        raise ArchiveRefused("content_types")
    try:
        raw = archive.read(info)
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError, EOFError):
        raise ArchiveRefused("corrupt") from None
    try:
        root = fromstring(raw, forbid_dtd=True)  # no DTD, no entity expansion, ever
    except (ParseError, DefusedXmlException):
        raise ArchiveRefused("content_types") from None
    defaults = {(e.get("Extension") or "").lower(): (e.get("ContentType") or "").lower()
                for e in root.iter(f"{_CT_NS}Default")}
    overrides = {(e.get("PartName") or ""): (e.get("ContentType") or "").lower()
                 for e in root.iter(f"{_CT_NS}Override")}
    return defaults, overrides


def _office_kind(archive: zipfile.ZipFile, names: set[str]) -> tuple[str, str]:
    defaults, overrides = _content_types(archive)
    declared = [*defaults.values(), *overrides.values()]
    if any(marker in t for t in declared for marker in _FORBIDDEN_TYPES):
        raise ArchiveRefused("macro")
    for ext, (part, main_type, mime) in _MAIN_PARTS.items():
        if overrides.get(part) == main_type.lower():
            if part.lstrip("/") not in names:
                raise ArchiveRefused("content_types")
            return mime, ext
    raise ArchiveRefused("content_types")


def inspect_archive(content: bytes, limits: Limits | None = None) -> tuple[str, str]:
    """Return (MIME type, extension) of an acceptable DOCX, XLSX or OFD, or raise ArchiveRefused."""
    limits = limits or Limits.from_settings()
    with _open(content) as archive:
        entries = _check_entries(archive, limits)
        _check_content(archive, entries)
        names = {info.filename for info in entries}
        if "[Content_Types].xml" in names:
            return _office_kind(archive, names)
        if "OFD.xml" in names:
            return OFD, "ofd"
    raise ArchiveRefused("file_type")
