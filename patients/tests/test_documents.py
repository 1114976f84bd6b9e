"""Uploading and downloading patient documents through the pages reception uses."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage, storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import FileResponse, HttpResponse
from django.test import Client
from django.utils.html import escape
from django.utils.translation import gettext, override
from pypdf import PdfWriter

from patients.documents import sniff_content_type
from patients.models import ChartAccess, Patient, PatientDocument
from staff import roles
from staff.models import User
from tests.factories import make_patient, pdf_bytes

pytestmark = pytest.mark.django_db


def _minimal_pdf(comment: bytes = b"") -> bytes:
    """A one-page PDF with a correct cross-reference table; ``comment`` pads it after the header."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    body = b"%PDF-1.4\n" + (b"%" + comment + b"\n" if comment else b"")
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj " % number + content + b" endobj\n"
    xref = b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    trailer = b"trailer << /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % len(body)
    return body + xref + trailer


PDF = _minimal_pdf()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


# A 1x1 white RGB image.
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    + _png_chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
    + _png_chunk(b"IEND", b"")
)

# A 1x1 JFIF image (quantisation table, frame header, scan, end of image).
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010101004800480000"
    "ffdb004300030202020202030202020303030304060404040404080606050609080a0a090809090a0c0f0c0a0b0e0b09090d110d0e0f101011100a0c12131210130f101010"
    "ffc9000b080001000101011100"
    "ffcc000600101005"
    "ffda0008010100003f00d2cf20"
    "ffd9"
)

HOSTILE_HTML = b"<html><body><script>fetch('/patients/').then(r => r.text())</script></body></html>"

# Files that start (and end) like a document, and are not one.
HTML_BETWEEN_PDF_MARKERS = b"%PDF-1.4\n" + HOSTILE_HTML + b"\n%%EOF\n"
PNG_SIGNATURE_ONLY = b"\x89PNG\r\n\x1a\n"
PNG_SIGNATURE_AND_IEND = PNG_SIGNATURE_ONLY + HOSTILE_HTML + _png_chunk(b"IEND", b"")
JPEG_SOI_EOI_ONLY = b"\xff\xd8\xff\xd9"
HTML_BETWEEN_JPEG_MARKERS = b"\xff\xd8\xff" + HOSTILE_HTML + b"\xff\xd9"


def _pdf_without_pages() -> bytes:
    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    return buffer.getvalue()


def _pdf_with_a_password() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes()))
    writer.encrypt(user_password="52998", owner_password="clinica", algorithm="AES-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def private_storage() -> FileSystemStorage:
    """The test's private storage (conftest points the document field at it)."""
    storage = storages["private"]
    assert isinstance(storage, FileSystemStorage)
    assert PatientDocument._meta.get_field("file").storage is storage
    return storage


def stored_files(storage: FileSystemStorage) -> list[Path]:
    return [path for path in Path(storage.location).rglob("*") if path.is_file()]


@pytest.fixture
def patient(reception: User) -> Patient:
    return make_patient(by=reception)


@pytest.fixture
def upload(
    client_for: Callable[[User], Client], reception: User, patient: Patient
) -> Callable[[str, bytes], HttpResponse]:
    client = client_for(reception)

    def send(name: str, content: bytes, content_type: str = "application/pdf") -> HttpResponse:
        return client.post(  # type: ignore[return-value]
            f"/patients/{patient.pk}/documents/new/",
            {
                "kind": PatientDocument.Kind.EXAM,
                "title": "Hemograma março",
                "file": SimpleUploadedFile(name, content, content_type=content_type),
            },
        )

    return send


def _translated(message: str, **values: Any) -> str:
    with override("pt-br"):
        text = gettext(message)
    return escape(text % values if values else text)


@pytest.mark.parametrize(
    ("name", "content", "content_type", "extension"),
    [
        ("exame.pdf", PDF, "application/pdf", "pdf"),
        ("laudo.pdf", pdf_bytes(pages=2), "application/pdf", "pdf"),
        ("raio-x.png", PNG, "image/png", "png"),
        ("foto.jpg", JPEG, "image/jpeg", "jpg"),
        ("../../etc/passwd.pdf", PNG, "image/png", "png"),
    ],
    ids=["pdf", "pdf-written-by-pypdf", "png", "jpeg", "png-named-as-pdf-with-path"],
)
def test_document_upload_and_download(
    upload: Callable[[str, bytes], HttpResponse],
    client_for: Callable[[User], Client],
    reception: User,
    patient: Patient,
    private_storage: FileSystemStorage,
    name: str,
    content: bytes,
    content_type: str,
    extension: str,
) -> None:
    response = upload(name, content)

    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"
    document = PatientDocument.objects.get()
    assert (document.patient, document.uploaded_by, document.title) == (patient, reception, "Hemograma março")
    assert (document.content_type, document.size) == (content_type, len(content))
    # The stored name is chosen by the server from the content, never taken from the upload.
    stored_name = document.file.name or ""
    assert stored_name.endswith(f".{extension}")
    assert ".." not in stored_name and "passwd" not in stored_name
    assert [path.read_bytes() for path in stored_files(private_storage)] == [content]

    download = client_for(reception).get(f"/patients/documents/{document.pk}/download/")

    assert isinstance(download, FileResponse)
    assert download.status_code == 200
    assert download["Content-Type"] == content_type
    assert download["Content-Disposition"] == f'attachment; filename="exam-{document.pk}.{extension}"'
    assert download["Cache-Control"] == "private, no-store"
    # Reading the whole stream closes the file (the test client closes the response after the last chunk).
    assert b"".join(download.streaming_content) == content  # type: ignore[arg-type]


NOT_A_DOCUMENT = "Only PDF, JPEG and PNG files are accepted, and this file is none of them."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("exam.pdf", HOSTILE_HTML, "Only PDF, JPEG and PNG files are accepted, and this file is none of them."),
        (
            "exam.pdf",
            PDF.replace(b"%%EOF", b""),
            "Only PDF, JPEG and PNG files are accepted, and this file is none of them.",
        ),
        (
            "exam.pdf",
            b"%PDF-1.4\n<script>alert(1)</script>",
            "Only PDF, JPEG and PNG files are accepted, and this file is none of them.",
        ),
        ("image.png", PNG[:-12], "Only PDF, JPEG and PNG files are accepted, and this file is none of them."),
        ("photo.jpg", JPEG[:-2], "Only PDF, JPEG and PNG files are accepted, and this file is none of them."),
        ("exam.pdf", b"", "The submitted file is empty."),
        ("exam.pdf", HTML_BETWEEN_PDF_MARKERS, NOT_A_DOCUMENT),
        ("exam.pdf", PDF[: len(PDF) // 2] + b"\n%%EOF\n", NOT_A_DOCUMENT),
        ("exam.pdf", _pdf_without_pages(), NOT_A_DOCUMENT),
        (
            "exam.pdf",
            _pdf_with_a_password(),
            "This PDF opens only with a password: upload a copy that opens without one.",
        ),
        ("image.png", PNG_SIGNATURE_ONLY, NOT_A_DOCUMENT),
        ("image.png", PNG_SIGNATURE_AND_IEND, NOT_A_DOCUMENT),
        ("image.png", PNG.replace(b"IDAT", b"IDAx"), NOT_A_DOCUMENT),
        ("photo.jpg", JPEG_SOI_EOI_ONLY, NOT_A_DOCUMENT),
        ("photo.jpg", HTML_BETWEEN_JPEG_MARKERS, NOT_A_DOCUMENT),
    ],
    ids=[
        "html-named-pdf",
        "pdf-without-eof",
        "pdf-header-then-script",
        "truncated-png",
        "truncated-jpeg",
        "empty",
        "html-between-pdf-header-and-trailer",
        "pdf-cut-in-half-with-a-trailer",
        "pdf-without-pages",
        "pdf-with-a-password",
        "png-signature-only",
        "png-signature-then-html-then-iend",
        "png-chunk-checksum-wrong",
        "jpeg-start-and-end-only",
        "html-between-jpeg-markers",
    ],
)
def test_document_upload_refuses_what_is_not_a_document(
    upload: Callable[[str, bytes], HttpResponse],
    private_storage: FileSystemStorage,
    name: str,
    content: bytes,
    message: str,
) -> None:
    response = upload(name, content)

    assert response.status_code == 200
    html = response.content.decode()
    assert _translated(message) in html
    assert "Hemograma março" in html  # the form keeps what was typed
    assert not PatientDocument.objects.exists()
    assert stored_files(private_storage) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("exam.pdf", HTML_BETWEEN_PDF_MARKERS),
        ("exam.pdf", _pdf_with_a_password()),
        ("image.png", PNG_SIGNATURE_AND_IEND),
        ("photo.jpg", HTML_BETWEEN_JPEG_MARKERS),
    ],
    ids=["html-as-pdf", "pdf-with-a-password", "html-as-png", "html-as-jpeg"],
)
def test_a_refused_upload_leaves_the_stored_documents_as_they_were(
    upload: Callable[[str, bytes], HttpResponse],
    reception: User,
    patient: Patient,
    private_storage: FileSystemStorage,
    name: str,
    content: bytes,
) -> None:
    assert upload("exame.pdf", PDF).status_code == 302
    columns = [f.attname for f in PatientDocument._meta.concrete_fields]
    rows_before = list(PatientDocument.objects.values(*columns))
    files_before = {path: path.read_bytes() for path in stored_files(private_storage)}

    response = upload(name, content)

    assert response.status_code == 200
    assert 'class="invalid-feedback"' in response.content.decode()
    assert list(PatientDocument.objects.values(*columns)) == rows_before
    assert {path: path.read_bytes() for path in stored_files(private_storage)} == files_before


def test_document_upload_refuses_a_file_over_the_limit(
    upload: Callable[[str, bytes], HttpResponse], private_storage: FileSystemStorage, settings: Any
) -> None:
    settings.DOCUMENT_MAX_UPLOAD_MB = 1
    big_pdf = _minimal_pdf(comment=b"0" * 1100 * 1024)
    assert 1.05 * 1024 * 1024 < len(big_pdf) < 1.1 * 1024 * 1024
    assert sniff_content_type(SimpleUploadedFile("big.pdf", big_pdf)) == "application/pdf"

    response = upload("big.pdf", big_pdf)

    assert response.status_code == 200
    assert _translated("The file is larger than %(limit)s MB.", limit=1) in response.content.decode()
    assert not PatientDocument.objects.exists()
    assert stored_files(private_storage) == []


def test_document_upload_without_a_file_or_kind_says_so(
    client_for: Callable[[User], Client], reception: User, patient: Patient, private_storage: FileSystemStorage
) -> None:
    response = client_for(reception).post(
        f"/patients/{patient.pk}/documents/new/", {"kind": "selfie", "title": "Hemograma março"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert _translated("This field is required.") in html
    assert "selfie" in html  # the invalid-choice message names the value
    assert not PatientDocument.objects.exists()
    assert stored_files(private_storage) == []


@pytest.fixture
def document(upload: Callable[[str, bytes], HttpResponse]) -> PatientDocument:
    assert upload("exame.pdf", PDF).status_code == 302
    return PatientDocument.objects.get()


def test_each_download_is_logged(client_for: Callable[[User], Client], doctor: User, document: PatientDocument) -> None:
    client = client_for(doctor)
    for address in ("203.0.113.7", "198.51.100.20"):
        response = client.get(
            f"/patients/documents/{document.pk}/download/", REMOTE_ADDR=address, headers={"user-agent": "Firefox/140"}
        )
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]

    entries = list(ChartAccess.objects.order_by("id"))
    assert [(e.action, e.user, e.patient, e.document, e.ip_address, e.user_agent) for e in entries] == [
        (ChartAccess.Action.DOWNLOAD_DOCUMENT, doctor, document.patient, document, "203.0.113.7", "Firefox/140"),
        (ChartAccess.Action.DOWNLOAD_DOCUMENT, doctor, document.patient, document, "198.51.100.20", "Firefox/140"),
    ]


def test_download_refused_to_a_role_without_permission(
    client_for: Callable[[User], Client],
    make_user: Callable[..., User],
    document: PatientDocument,
) -> None:
    billing = make_user(roles.BILLING)

    response = client_for(billing).get(f"/patients/documents/{document.pk}/download/")

    assert response.status_code == 403
    assert not isinstance(response, FileResponse)
    assert not ChartAccess.objects.exists()


def test_upload_refused_to_a_role_without_permission(
    client_for: Callable[[User], Client],
    make_user: Callable[..., User],
    patient: Patient,
    private_storage: FileSystemStorage,
) -> None:
    response = client_for(make_user(roles.BILLING)).post(
        f"/patients/{patient.pk}/documents/new/",
        {"kind": "exam", "title": "x", "file": SimpleUploadedFile("exame.pdf", PDF)},
    )
    assert response.status_code == 403
    assert not PatientDocument.objects.exists()
    assert stored_files(private_storage) == []


def test_download_of_a_missing_document_is_not_found(client_for: Callable[[User], Client], reception: User) -> None:
    assert client_for(reception).get("/patients/documents/999999999/download/").status_code == 404
    assert not ChartAccess.objects.exists()
