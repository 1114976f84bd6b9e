"""What the logs say about a request: a refusal is one line, a server error one traceback, each once;
and the favicon browsers ask for on every page is no longer a "Not Found" line.

The URLs are the site's own plus two views that fail on purpose, with the site's error handlers.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from clinic import urls as site_urls


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


urlpatterns = [path("forbidden/", _forbidden), path("broken/", _broken), *site_urls.urlpatterns]
handler403 = site_urls.handler403
handler404 = site_urls.handler404
handler500 = site_urls.handler500

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What the console handler (the process's log output) writes during the test."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    assert isinstance(handler, logging.StreamHandler)
    written = io.StringIO()
    previous = handler.setStream(written)
    yield written
    handler.setStream(previous)


def _request_records(caplog: Any) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name.startswith(("django.request", "django.security"))]


def _printing_handlers(record: logging.LogRecord) -> list[logging.Handler]:
    """The handlers that would write ``record`` (pytest's own capture left aside)."""
    handlers: list[logging.Handler] = []
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None:
        handlers += [
            handler
            for handler in logger.handlers
            if not type(handler).__module__.startswith("_pytest")
            and record.levelno >= handler.level
            and handler.filter(record)
        ]
        logger = logger.parent if logger.propagate else None
    return handlers


def test_a_refusal_is_one_line_without_traceback(caplog: Any, console: io.StringIO) -> None:
    response = Client().get("/forbidden/")
    assert response.status_code == 403
    [record] = _request_records(caplog)
    assert record.exc_info is None
    assert record.levelno == logging.WARNING
    assert console.getvalue() == "Forbidden (Permission denied): /forbidden/\n"


def test_a_server_error_is_one_record_with_its_traceback(caplog: Any, console: io.StringIO) -> None:
    response = Client(raise_request_exception=False).get("/broken/")
    assert response.status_code == 500
    [record] = _request_records(caplog)
    assert record.exc_info is not None
    assert record.levelno == logging.ERROR
    output = console.getvalue()
    assert output.startswith("Internal Server Error: /broken/\nTraceback")
    assert output.count("Traceback") == 1
    assert "RuntimeError: a bug in a view" in output


def test_not_found_is_one_line(caplog: Any, console: io.StringIO) -> None:
    assert Client().get("/no/such/page/").status_code == 404
    [record] = _request_records(caplog)
    assert record.exc_info is None
    assert console.getvalue() == "Not Found: /no/such/page/\n"


def test_a_request_for_another_host_is_one_warning_line(console: io.StringIO) -> None:
    """Bots knocking with a wrong Host: Django reports a security event with a traceback."""
    assert Client().get("/", HTTP_HOST="attacker.example").status_code == 400
    lines = console.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Invalid HTTP_HOST header: 'attacker.example'")


@pytest.mark.parametrize(("url", "status"), [("/forbidden/", 403), ("/broken/", 500)])
def test_each_record_is_written_once_in_development_too(url: str, status: int, settings: Any, caplog: Any) -> None:
    settings.DEBUG = True  # Django's own handlers of the "django" logger would write in development
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == status
    [record] = _request_records(caplog)
    assert [handler.name for handler in _printing_handlers(record)] == ["console"]


def test_the_favicon_is_served_without_signing_in_instead_of_a_not_found_line(settings: Any) -> None:
    settings.WHITENOISE_USE_FINDERS = True  # as in development; production serves the collected file
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"
    assert "max-age=86400" in response["Cache-Control"]
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert b"".join(icon.streaming_content).startswith(b"\x00\x00\x01\x00")  # an ICO file
