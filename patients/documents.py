"""What an uploaded file really is, judged by its content and never by its name."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def sniff_content_type(uploaded: UploadedFile) -> str | None:
    """The content type of a PDF, JPEG or PNG file, or None for anything else.

    Checks both ends of the file where the format has a marker there, so a file that only starts
    like a PDF (a renamed script with a forged header, a truncated upload) is refused.
    """
    uploaded.seek(0)
    head = uploaded.read(16)
    size = uploaded.size or 0
    tail_length = min(size, 1024)
    uploaded.seek(max(size - tail_length, 0))
    tail = uploaded.read(tail_length)
    uploaded.seek(0)
    if head.startswith(b"%PDF-") and b"%%EOF" in tail:
        return PDF
    if head.startswith(b"\xff\xd8\xff") and tail.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9"):
        return JPEG
    if head.startswith(_PNG_SIGNATURE) and b"IEND" in tail[-16:]:
        return PNG
    return None


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
    content_type = sniff_content_type(uploaded)
    if content_type is None:
        raise ValidationError({"file": _("Only PDF, JPEG and PNG files are accepted, and this file is none of them.")})
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return CheckedFile(content_type=content_type, size=size, sha256=digest.hexdigest())
