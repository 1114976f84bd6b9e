"""What an uploaded file really is, judged by its content and never by its name."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Bit depths each PNG colour type allows (greyscale, RGB, palette, grey + alpha, RGBA).
_PNG_DEPTHS = {0: {1, 2, 4, 8, 16}, 2: {8, 16}, 3: {1, 2, 4, 8}, 4: {8, 16}, 6: {8, 16}}
_JPEG_SOI = b"\xff\xd8"
_JPEG_EOI = 0xD9
_JPEG_SOS = 0xDA
# Markers without a length: TEM and the restart markers RST0-RST7.
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}
# Start-of-frame markers (SOF0-SOF15 less DHT, JPG and DAC, which share the range).
_JPEG_FRAMES = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


class LockedPdf(Exception):
    """A PDF that opens only with a password: nobody reading the chart could open it."""


def sniff_content_type(uploaded: UploadedFile) -> str | None:
    """The content type of a PDF, JPEG or PNG file, or None for anything else.

    The file's structure is read, not only its first and last bytes, so an HTML page between a
    forged PDF header and trailer, a truncated upload or a bare PNG signature is refused. Raises
    ``LockedPdf`` for a PDF that needs a password to open. The caller has checked the size.
    """
    uploaded.seek(0)
    content = uploaded.read()
    uploaded.seek(0)
    if content.startswith(b"%PDF-"):
        return PDF if _is_pdf(content) else None
    if content.startswith(_JPEG_SOI):
        return JPEG if _is_jpeg(content) else None
    if content.startswith(_PNG_SIGNATURE):
        return PNG if _is_png(content) else None
    return None


def _is_pdf(content: bytes) -> bool:
    """The end-of-file marker is where the format puts it, and pypdf reads at least one page."""
    if b"%%EOF" not in content[-1024:]:
        return False
    try:
        return len(PdfReader(io.BytesIO(content)).pages) > 0
    except FileNotDecryptedError as error:
        raise LockedPdf from error
    # pypdf parses bytes from outside: a malformed file may fail in any layer (a syntax error, a
    # missing key, a page tree that loops), and each such failure means "not a PDF we can show".
    except Exception:
        return False


def _is_png(content: bytes) -> bool:
    """The signature, a valid IHDR first, chunks whose lengths and checksums hold, image data, and
    IEND where the file ends. The image data is not decompressed."""
    position = len(_PNG_SIGNATURE)
    view = memoryview(content)
    first, has_image_data = True, False
    while position + 12 <= len(content):
        length, kind = struct.unpack_from(">I4s", content, position)
        data_end = position + 8 + length
        if not kind.isalpha() or data_end + 4 > len(content):
            return False
        (checksum,) = struct.unpack_from(">I", content, data_end)
        if zlib.crc32(view[position + 4 : data_end]) != checksum:
            return False
        if first and (kind != b"IHDR" or not _png_header_is_valid(content[position + 8 : data_end])):
            return False
        first = False
        has_image_data = has_image_data or kind == b"IDAT"
        position = data_end + 4
        if kind == b"IEND":
            return has_image_data and position == len(content)
    return False


def _png_header_is_valid(header: bytes) -> bool:
    if len(header) != 13:
        return False
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", header)
    return (
        0 < width < 2**31
        and 0 < height < 2**31
        and depth in _PNG_DEPTHS.get(colour, set())
        and (compression, filtering, interlace) in {(0, 0, 0), (0, 0, 1)}
    )


def _is_jpeg(content: bytes) -> bool:
    """Start of image, then marker segments whose lengths hold, a frame header and a scan before the
    end-of-image marker, which also ends the file (images stored after the first are allowed, as a
    camera's MPO files have). The scan is not decoded."""
    position, has_frame, has_scan = len(_JPEG_SOI), False, False
    while position + 2 <= len(content):
        if content[position] != 0xFF:
            return False
        marker = content[position + 1]
        if marker == 0xFF:  # fill bytes may pad before a marker
            position += 1
            continue
        if marker == _JPEG_EOI:
            return has_frame and has_scan and content.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")
        if marker in _JPEG_STANDALONE:
            position += 2
            continue
        if marker in (0x00, _JPEG_SOI[1]) or position + 4 > len(content):
            return False
        length = int.from_bytes(content[position + 2 : position + 4], "big")
        segment = content[position + 4 : position + 2 + length]
        if length < 2 or len(segment) != length - 2:
            return False
        if marker in _JPEG_FRAMES:
            if not _jpeg_frame_is_valid(segment):
                return False
            has_frame = True
        position += 2 + length
        if marker == _JPEG_SOS:
            if not has_frame:
                return False
            has_scan = True
            position = _jpeg_scan_end(content, position)
    return False


def _jpeg_frame_is_valid(frame: bytes) -> bool:
    """Precision, height, a width and the components, each described in three bytes."""
    if len(frame) < 6:
        return False
    width, components = int.from_bytes(frame[3:5], "big"), frame[5]
    return width > 0 and components > 0 and len(frame) == 6 + 3 * components


def _jpeg_scan_end(content: bytes, position: int) -> int:
    """Where the entropy-coded data that starts at ``position`` ends: at the first marker that is
    not a stuffed zero byte or a restart marker; the end of ``content`` when there is none."""
    while True:
        position = content.find(b"\xff", position)
        if position < 0 or position + 1 >= len(content):
            return len(content)
        following = content[position + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:
            position += 2
        elif following == 0xFF:
            position += 1
        else:
            return position


EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks: what it is, how big, and its SHA-256 (which names it in storage)."""

    content_type: str
    size: int
    sha256: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]

    @property
    def stored_name(self) -> str:
        """Ours, never the uploader's: no path tricks, no misleading extension."""
        return f"{self.sha256[:16]}.{self.extension}"


def max_upload_bytes() -> int:
    return int(settings.DOCUMENT_MAX_UPLOAD_MB) * 1024 * 1024


def check_upload(uploaded: UploadedFile) -> CheckedFile:
    """Refuse an empty, too large or unknown file (a ``file`` field error); else what it is, read from
    its content. Chart documents and exam attachments take the same files."""
    size = uploaded.size or 0
    if size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if size > max_upload_bytes():
        raise ValidationError(
            {"file": _("The file is larger than %(limit)s MB.") % {"limit": settings.DOCUMENT_MAX_UPLOAD_MB}}
        )
    try:
        content_type = sniff_content_type(uploaded)
    except LockedPdf as error:
        raise ValidationError(
            {"file": _("This PDF opens only with a password: upload a copy that opens without one.")}
        ) from error
    if content_type is None:
        raise ValidationError({"file": _("Only PDF, JPEG and PNG files are accepted, and this file is none of them.")})
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return CheckedFile(content_type=content_type, size=size, sha256=digest.hexdigest())
