"""What an uploaded file really is, judged by its content and never by its name."""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile

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
