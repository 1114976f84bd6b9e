"""What stops password guessing at the sign-in, without letting anyone lock staff out.

Three rules decide whether a sign-in attempt is tried at all (issue 11):

1. **One lockout per account.** django-axes counts failures against the account the typed
   identifier names, whichever identifier it is: user name or e-mail address, in any case, with
   spaces around it (``account_key``). An identifier that names no account counts against itself,
   so an unknown name is locked like a known one and the lockout tells nothing about which names
   exist. The count does not depend on the address, so another address does not start a fresh
   one: ``AXES_FAILURE_LIMIT`` failures within ``AXES_COOLOFF_HOURS`` lock the account for that
   long (429, ``account/lockout.html``).
2. **A throttle per client address.** ``SIGNIN_ADDRESS_FAILURE_LIMIT`` failed attempts from one
   address within a cool-off window refuse further attempts from it until the window ends (429,
   ``429.html``), before any password is checked. The address is ``clinic.http.client_ip`` (the
   N-th from the right of X-Forwarded-For behind ``AXES_PROXY_COUNT`` proxies), the same rule
   axes, allauth's own rate limits and the chart access log use; IPv6 addresses count per /64.
3. **Known browsers** (OWASP's "device cookie"). A browser that has signed in to an account
   carries a signed cookie naming it (``browser_remember``). Its attempts at that account are not
   refused by the address throttle nor counted toward, or stopped by, the account lockout: a
   clinic's staff behind one NAT address, or a person whose name a stranger is guessing, keep
   signing in from their own computers. Such a browser has a budget of its own instead
   (``AXES_FAILURE_LIMIT`` failures per window, counted by a random id the cookie carries); past
   it, it is a stranger again. The cookie names up to ``_MAX_ACCOUNTS`` accounts (shared
   computers), each for ``SIGNIN_KNOWN_BROWSER_DAYS`` after its last sign-in there, and is bound to
   the account's password: a new password forgets every browser.

A successful sign-in clears the account's failures (axes, ``AXES_RESET_ON_SUCCESS``) and that
browser's, and renews its cookie. It does not clear the address count: otherwise anyone with an
account of their own could wipe it between guesses at others.

Counts live in the cache (Redis) in fixed windows as long as the cool-off; the account lockout
lives in axes' tables. The hooks: the account adapter (``staff.adapters``) calls
``attempt_check`` before authenticating, ``failure_record`` after a failure and
``browser_remember`` after a sign-in; axes calls ``axes_account_key`` and ``axes_known_browser``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import time
from dataclasses import dataclass
from typing import Any

from allauth.account.utils import filter_users_by_email, filter_users_by_username
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.ratelimit import respond_429
from axes.helpers import get_cool_off
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase
from django.utils.crypto import constant_time_compare, salted_hmac

from clinic.http import client_ip
from staff.models import User

KNOWN_BROWSER_COOKIE = "clinic_known_browser"
_SALT = "staff.signin.known-browser"
_MAX_ACCOUNTS = 20  # a reception desk's shared computer is used by a whole team


# Accounts -------------------------------------------------------------------------------------
def typed_identifier(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """What the person typed to name the account: allauth passes the form's "login" on as
    "username" (and also as "email" when it has an @); reauthentication passes the account's own."""
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email") or credentials.get("login")
    if not value and request is not None and request.method == "POST":
        value = request.POST.get("login")
    return str(value or "").strip() or None


def account_for(request: HttpRequest | None, identifier: str) -> User | None:
    """The account ``identifier`` signs in to, looked up as allauth's backend does (e-mail first,
    then user name, both case-insensitive); remembered on the request, which asks several times."""
    found: dict[str, User | None] = getattr(request, "_signin_accounts", {})
    if identifier not in found:
        found[identifier] = _account_lookup(identifier)
        if request is not None:
            request._signin_accounts = found  # type: ignore[attr-defined]
    return found[identifier]


def _account_lookup(identifier: str) -> User | None:
    if "@" in identifier:
        by_email = filter_users_by_email(identifier, prefer_verified=True)
        if by_email:
            return min(by_email, key=lambda user: user.pk)
    return filter_users_by_username(identifier).order_by("pk").first()  # type: ignore[return-value]


def account_key(request: HttpRequest | None, identifier: str) -> str:
    """The name failures are counted under: the account's user name, or for an identifier that
    names no account, the identifier itself in one case."""
    user = account_for(request, identifier)
    return user.get_username() if user is not None else identifier.casefold()


def axes_account_key(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: one lockout per account whatever identifier was typed."""
    identifier = typed_identifier(request, credentials)
    return account_key(request, identifier) if identifier else None


def axes_known_browser(request: HttpRequest | None, credentials: dict[str, Any] | None) -> bool:
    """``AXES_WHITELIST_CALLABLE``: a known browser's attempts are neither stopped by the account
    lockout nor counted toward it (they have their own budget, see ``failure_record``)."""
    return _known_browser_of(request, credentials) is not None


def _known_browser_of(
    request: HttpRequest | None, credentials: dict[str, Any] | None
) -> tuple[_KnownBrowser, User] | None:
    """This browser and the attempt's account, if the browser is known to it and within its budget."""
    identifier = typed_identifier(request, credentials)
    if request is None or identifier is None:
        return None
    user = account_for(request, identifier)
    browser = _browser(request)
    if user is None or browser is None or not browser.knows(user):
        return None
    if _count(_browser_counter(browser, user)) >= settings.AXES_FAILURE_LIMIT:
        return None
    return browser, user


# The adapter's hooks --------------------------------------------------------------------------
def attempt_check(request: HttpRequest, credentials: dict[str, Any]) -> None:
    """Refuses (429) an attempt from a throttled address unless this browser is known to the account.

    Raises ``ImmediateHttpResponse``, which allauth's middleware turns into the answer.
    """
    if _known_browser_of(request, credentials) is not None:
        return
    address = _address_counter(request)
    if address and _count(address) >= settings.SIGNIN_ADDRESS_FAILURE_LIMIT:
        raise ImmediateHttpResponse(respond_429(request))


def failure_record(request: HttpRequest, credentials: dict[str, Any]) -> None:
    """Counts a failed attempt against this browser's budget if it is known to the account, else
    against the address (axes has counted it against the account)."""
    known = _known_browser_of(request, credentials)
    if known is not None:
        _count_one(_browser_counter(*known))
        return
    address = _address_counter(request)
    if address:
        _count_one(address)


def browser_remember(request: HttpRequest, response: HttpResponseBase, user: User) -> None:
    """After a sign-in: this browser is known to ``user`` from now on, with a clean budget."""
    now = int(time.time())
    browser = _browser(request) or _KnownBrowser(nonce=secrets.token_urlsafe(16), accounts={})
    accounts = {pk: entry for pk, entry in browser.accounts.items() if pk != user.pk and now - entry[1] < _max_age()}
    accounts[user.pk] = (_password_stamp(user), now)
    kept = sorted(accounts.items(), key=lambda item: item[1][1])[-_MAX_ACCOUNTS:]
    value = signing.dumps(
        {"n": browser.nonce, "a": [[pk, stamp, at] for pk, (stamp, at) in kept]}, salt=_SALT, compress=True
    )
    response.set_cookie(
        KNOWN_BROWSER_COOKIE,
        value,
        max_age=_max_age(),
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    _count_clear(_browser_counter(browser, user))


# Known browsers -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _KnownBrowser:
    nonce: str
    accounts: dict[int, tuple[str, int]]  # account pk -> (password stamp, last sign-in, Unix time)

    def knows(self, user: User) -> bool:
        entry = self.accounts.get(user.pk)
        return (
            entry is not None
            and constant_time_compare(entry[0], _password_stamp(user))
            and time.time() - entry[1] < _max_age()
        )


def _browser(request: HttpRequest) -> _KnownBrowser | None:
    value = request.COOKIES.get(KNOWN_BROWSER_COOKIE)
    if not value:
        return None
    try:
        data = signing.loads(value, salt=_SALT, max_age=_max_age())
        return _KnownBrowser(
            nonce=str(data["n"]), accounts={int(pk): (str(stamp), int(at)) for pk, stamp, at in data["a"]}
        )
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def _password_stamp(user: User) -> str:
    return salted_hmac(_SALT, user.password, algorithm="sha256").hexdigest()[:20]


def _max_age() -> int:
    return int(settings.SIGNIN_KNOWN_BROWSER_DAYS) * 24 * 60 * 60


# Counters -------------------------------------------------------------------------------------
def _address_counter(request: HttpRequest) -> str | None:
    address = client_ip(request)
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        pass
    else:
        # One IPv6 subscriber holds a whole /64.
        address = str(ipaddress.ip_network(f"{parsed}/64", strict=False)) if parsed.version == 6 else str(parsed)
    return "signin:address:" + hashlib.sha256(address.encode()).hexdigest()


def _browser_counter(browser: _KnownBrowser, user: User) -> str:
    return f"signin:browser:{hashlib.sha256(browser.nonce.encode()).hexdigest()}:{user.pk}"


def _window() -> tuple[int, int]:
    """The current counting window (index, length in seconds): as long as the lockout's cool-off."""
    cool_off = get_cool_off()
    if cool_off is None:
        raise ImproperlyConfigured("AXES_COOLOFF_HOURS must be set: sign-in failures are counted for that long.")
    seconds = max(1, int(cool_off.total_seconds()))
    return int(time.time()) // seconds, seconds


def _count(counter: str) -> int:
    index, _ = _window()
    return int(cache.get(f"{counter}:{index}", 0))


def _count_clear(counter: str) -> None:
    index, _ = _window()
    cache.delete(f"{counter}:{index}")


def _count_one(counter: str) -> None:
    index, seconds = _window()
    key = f"{counter}:{index}"
    cache.add(key, 0, timeout=seconds)
    try:
        cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout=seconds)
