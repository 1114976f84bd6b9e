"""How a message leaves the building: one interface, one provider per channel.

E-mail goes through Django's mail (``EMAIL_BACKEND``: files under var/mail in development, SMTP
in production). SMS and WhatsApp go through the provider named by ``MESSAGING_PROVIDER``:

- ``outbox`` (the development default) delivers by keeping the message in the site: staff read
  it, link included, on the outbox page.
- ``twilio`` posts to Twilio's REST API, or to any service that speaks it
  (``TWILIO_API_URL``); WhatsApp numbers are written ``whatsapp:+55...``.

A provider either returns a ``SendResult`` or raises ``RetryableError`` (try again later: a
timeout, the provider busy or down) or ``PermanentError`` (trying again cannot help: the address
is refused). ``find_sent`` answers whether an earlier attempt that ended without a clear answer
reached the provider after all, so a retry does not send the message a second time.
"""

from __future__ import annotations

import base64
import json
import re
import smtplib
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMessage

from messaging.models import Channel, Message

# Error texts are shown to staff and kept in clear: addresses in them (a provider may quote the
# recipient) are masked, since the recipient itself is stored encrypted.
_NUMBER = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_EMAIL = re.compile(r"[^\s'\"<>(){}\[\],:;]+@[^\s'\"<>(){}\[\],:;]+")


def _masked(text: str, limit: int = 480) -> str:
    text = _EMAIL.sub("[address]", " ".join(str(text).split()))
    return _NUMBER.sub("[number]", text)[:limit]


@dataclass(frozen=True)
class SendResult:
    provider_id: str
    # True when the provider's answer already means the recipient has the message.
    delivered: bool = False


class SendError(Exception):
    retryable = False

    def __init__(self, reason: str) -> None:
        super().__init__(_masked(reason))
        self.reason = _masked(reason)


class RetryableError(SendError):
    """Nothing is known to be wrong with the message itself: try again later."""

    retryable = True


class PermanentError(SendError):
    """The provider refused the message; sending it again would be refused again."""


class Provider(Protocol):
    def send(self, message: Message) -> SendResult: ...

    def find_sent(self, message: Message) -> SendResult | None:
        """The earlier attempt's result if one of them reached the provider; None if none did."""
        ...


class OutboxProvider:
    """Development: the message is delivered by being readable in the site (the outbox page)."""

    def send(self, message: Message) -> SendResult:
        return SendResult(provider_id=f"outbox-{message.key}", delivered=True)

    def find_sent(self, message: Message) -> SendResult | None:
        return None  # nothing leaves the process, so an attempt that failed did not deliver


class EmailProvider:
    """E-mail through Django's configured mail backend.

    Every attempt of one message carries the same Message-ID. An SMTP server cannot be asked
    whether it took an earlier attempt, so ``find_sent`` knows nothing; the stable Message-ID is
    what lets mail systems recognise a resend after an unclear failure as the same message.
    """

    def send(self, message: Message) -> SendResult:
        message_id = f"<{message.key}@{_mail_domain()}>"
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={"Message-ID": message_id},
        )
        try:
            email.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as error:
            raise PermanentError(f"recipient refused: {error.recipients}") from error
        except smtplib.SMTPResponseException as error:
            text = f"SMTP {error.smtp_code}: {error.smtp_error!r}"
            raise (PermanentError(text) if 500 <= error.smtp_code < 600 else RetryableError(text)) from error
        except (smtplib.SMTPException, OSError) as error:
            raise RetryableError(f"{type(error).__name__}: {error}") from error
        return SendResult(provider_id=message_id)

    def find_sent(self, message: Message) -> SendResult | None:
        return None


def _mail_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "clinica.localhost"


class TwilioProvider:
    """SMS and WhatsApp through Twilio's Messages API (``POST /2010-04-01/Accounts/{sid}/Messages.json``).

    Timeouts, refused connections, 5xx and 429 (too many requests) are retryable; any other 4xx
    is permanent (an invalid or blocked number). Before a retry the sender calls ``find_sent``,
    which lists the messages to the same number from the same sender since the first attempt
    and looks for this message's text (each reminder's text is unique: it holds its own link).
    """

    # How far back of the first attempt a message the provider dated is still ours (clock skew).
    CLOCK_SKEW = timedelta(minutes=5)
    MAX_PAGES = 10

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.base = settings.TWILIO_API_URL.rstrip("/")
        if not self.base.startswith(("https://", "http://")):
            raise PermanentError("TWILIO_API_URL must be an http(s) URL")
        self.account = settings.TWILIO_ACCOUNT_SID
        credentials = f"{self.account}:{settings.TWILIO_AUTH_TOKEN}".encode()
        self.authorization = "Basic " + base64.b64encode(credentials).decode()
        sender = settings.TWILIO_WHATSAPP_FROM if channel == Channel.WHATSAPP else settings.TWILIO_SMS_FROM
        if not sender:
            raise PermanentError(
                f"no sender number is configured for {channel} (TWILIO_SMS_FROM, TWILIO_WHATSAPP_FROM)"
            )
        self.sender = self._address(sender)
        self.timeout = settings.MESSAGING_TIMEOUT_SECONDS

    def _address(self, number: str) -> str:
        return f"whatsapp:{number}" if self.channel == Channel.WHATSAPP else number

    @property
    def _messages_url(self) -> str:
        return f"{self.base}/2010-04-01/Accounts/{urllib.parse.quote(self.account)}/Messages.json"

    def send(self, message: Message) -> SendResult:
        form = {"To": self._address(message.to), "From": self.sender, "Body": message.body}
        answer = self._request("POST", self._messages_url, urllib.parse.urlencode(form).encode())
        sid = answer.get("sid")
        if not isinstance(sid, str) or not sid:
            raise RetryableError("the provider's answer has no message id")
        return SendResult(provider_id=sid, delivered=answer.get("status") == "delivered")

    def find_sent(self, message: Message) -> SendResult | None:
        since = (message.first_attempt_at or message.created_at) - self.CLOCK_SKEW
        query = urllib.parse.urlencode({"To": self._address(message.to), "From": self.sender, "PageSize": 50})
        url: str | None = f"{self._messages_url}?{query}"
        for _page in range(self.MAX_PAGES):
            if url is None:
                break
            answer = self._request("GET", url)
            for item in answer.get("messages") or []:
                created = _twilio_date(item.get("date_created"))
                if created is not None and created < since:
                    return None  # newest first: everything after this is older than our first attempt
                if item.get("body") == message.body and item.get("sid"):
                    return SendResult(provider_id=item["sid"], delivered=item.get("status") == "delivered")
            next_page = answer.get("next_page_uri")
            url = urllib.parse.urljoin(self.base + "/", next_page) if next_page else None
        return None

    def _request(self, method: str, url: str, data: bytes | None = None) -> dict[str, Any]:
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 (scheme checked in __init__)
        request.add_header("Authorization", self.authorization)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = response.read()
        except urllib.error.HTTPError as error:
            text = _error_text(error)
            if error.code == 429 or error.code >= 500:
                raise RetryableError(f"HTTP {error.code}: {text}") from error
            raise PermanentError(f"HTTP {error.code}: {text}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise RetryableError(f"no answer from the provider ({type(reason).__name__}: {reason})") from error
        try:
            answer = json.loads(raw)
        except ValueError as error:
            raise RetryableError("the provider's answer is not JSON") from error
        if not isinstance(answer, dict):
            raise RetryableError("the provider's answer is not a JSON object")
        return answer


def _error_text(error: urllib.error.HTTPError) -> str:
    """Twilio's error body: ``{"code": 21211, "message": "...", "status": 400}``."""
    try:
        body = json.loads(error.read() or b"{}")
    except (ValueError, OSError):
        return str(error.reason)
    if not isinstance(body, dict):
        return str(error.reason)
    code = body.get("code")
    text = str(body.get("message") or error.reason)
    return f"{code} {text}" if code else text


def _twilio_date(value: object) -> datetime | None:
    """Twilio dates are RFC 2822: "Thu, 30 Jul 2015 20:12:31 +0000"."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def provider_for(channel: str) -> Provider:
    if channel == Channel.EMAIL:
        return EmailProvider()
    if channel not in (Channel.SMS, Channel.WHATSAPP):
        raise PermanentError(f"unknown channel {channel}")
    if settings.MESSAGING_PROVIDER == "twilio":
        return TwilioProvider(channel)
    return OutboxProvider()
