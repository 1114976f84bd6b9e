"""A local HTTP server that speaks Twilio's Messages API, for testing the HTTP provider for real.

It answers as Twilio documents it: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with
form fields To, From and Body under HTTP basic auth returns 201 and the message resource
(``sid``, ``status``, ``date_created`` in RFC 2822...); ``GET`` on the same path lists messages
newest first, filtered by To and From, ``PageSize`` at a time with ``next_page_uri``; errors
are ``{"code", "message", "more_info", "status"}``.

``script`` decides what the next POSTs meet: ``"ok"``, an HTTP status such as ``"503"`` or
``"400"`` (nothing stored), or ``"stall"``: the message is accepted and stored, but the answer
waits until the test calls ``release()``, long after the client has given up.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.utils import timezone

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token"
SMS_FROM = "+5511930000000"
WHATSAPP_FROM = "+5511940000000"
_ADDRESS = re.compile(r"^(whatsapp:)?\+[1-9]\d{7,14}$")

ERRORS = {
    "400": (21610, "Attempt to send to unsubscribed recipient +5511987654321"),
    "401": (20003, "Authenticate"),
    "429": (20429, "Too Many Requests"),
    "500": (20500, "Internal Server Error"),
    "503": (20503, "Service Unavailable"),
}


class FakeTwilio:
    def __init__(self, page_size_limit: int = 1000) -> None:
        self.messages: list[dict[str, Any]] = []  # every message accepted, oldest first
        self.posts = 0
        self.gets = 0
        self.script: list[str] = []
        self.page_size_limit = page_size_limit
        self._release = threading.Event()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def release(self) -> None:
        self._release.set()

    def add_message(self, *, to: str, sender: str, body: str, created: Any = None) -> dict[str, Any]:
        """A message the account sent some other way (another system, an earlier day)."""
        with self._lock:
            return self._store(to, sender, body, created or timezone.now())

    def _store(self, to: str, sender: str, body: str, created: Any) -> dict[str, Any]:
        sid = "SM" + uuid.uuid4().hex
        resource = {
            "sid": sid,
            "account_sid": ACCOUNT_SID,
            "to": to,
            "from": sender,
            "body": body,
            "status": "queued",
            "direction": "outbound-api",
            "num_segments": "1",
            "date_created": format_datetime(created.astimezone(UTC), usegmt=False),
            "date_updated": format_datetime(created.astimezone(UTC), usegmt=False),
            "date_sent": None,
            "error_code": None,
            "error_message": None,
            "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
        }
        self.messages.append(resource)
        return resource

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self
        path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        expected_auth = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up waiting (the "stall" case)

            def _error(self, status: int, code: int, message: str) -> None:
                more = f"https://www.twilio.com/docs/errors/{code}"
                self._answer(status, {"code": code, "message": message, "more_info": more, "status": status})

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") != expected_auth:
                    self._error(401, 20003, "Authenticate")
                    return False
                return True

            def do_POST(self) -> None:
                if urlsplit(self.path).path != path:
                    self._error(404, 20404, "The requested resource was not found")
                    return
                if not self._authorised():
                    return
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with fake._lock:
                    fake.posts += 1
                    step = fake.script.pop(0) if fake.script else "ok"
                to, sender, body = form.get("To", ""), form.get("From", ""), form.get("Body", "")
                if not _ADDRESS.match(to):
                    self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
                    return
                if not _ADDRESS.match(sender) or not body:
                    self._error(400, 21603, "The 'From' number and a 'Body' are required.")
                    return
                if step in ERRORS:
                    code, message = ERRORS[step]
                    self._error(int(step), code, message)
                    return
                with fake._lock:
                    resource = fake._store(to, sender, body, timezone.now())
                if step == "stall":
                    fake._release.wait(timeout=30)
                self._answer(201, resource)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != path:
                    self._error(404, 20404, "The requested resource was not found")
                    return
                if not self._authorised():
                    return
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                size = min(int(query.get("PageSize", 50)), fake.page_size_limit)
                page = int(query.get("Page", 0))
                with fake._lock:
                    fake.gets += 1
                    found = [
                        m
                        for m in reversed(fake.messages)
                        if m["to"] == query.get("To", m["to"]) and m["from"] == query.get("From", m["from"])
                    ]
                chunk = found[page * size : (page + 1) * size]
                more = (page + 1) * size < len(found)
                rest = urlencode({**query, "PageSize": size, "Page": page + 1})
                next_uri = f"{path}?{rest}" if more else None
                self._answer(200, {"messages": chunk, "next_page_uri": next_uri, "page": page, "page_size": size})

        return Handler

    def start(self) -> FakeTwilio:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@contextmanager
def fake_twilio(settings: Any, *, timeout: float = 5.0) -> Iterator[FakeTwilio]:
    """Run the server and point the project's settings at it (``settings``: pytest-django's fixture)."""
    server = FakeTwilio().start()
    settings.MESSAGING_PROVIDER = "twilio"
    settings.TWILIO_API_URL = server.url
    settings.TWILIO_ACCOUNT_SID = ACCOUNT_SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_SMS_FROM = SMS_FROM
    settings.TWILIO_WHATSAPP_FROM = WHATSAPP_FROM
    settings.MESSAGING_TIMEOUT_SECONDS = timeout
    try:
        yield server
    finally:
        server.stop()
