"""Reading the caller's address behind the configured proxies (the lockout and the chart access log)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from clinic.http import client_ip


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no proxy configured: the header is the client's own text
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.1, 203.0.113.9", "203.0.113.9"),  # the client's own entry is not trusted
        (2, "198.51.100.1, 203.0.113.9", "198.51.100.1"),
        (2, "203.0.113.9", "10.0.0.2"),  # fewer entries than proxies: the proxy's address
        (1, "2001:db8::1", "2001:db8::1"),
        (1, "<script>", "10.0.0.2"),  # not an address: never handed to the lockout or the log
        (1, "999.1.1.1", "10.0.0.2"),
        (1, "", "10.0.0.2"),
    ],
)
def test_the_client_address_behind_the_configured_proxies(
    settings: Any, proxies: int, forwarded: str, expected: str
) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected
