"""The sign-in guard (staff/signin.py): one lockout per account whatever identifier is typed, a
throttle per client address read behind the proxies, and known browsers that neither stops."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from allauth.account.adapter import get_adapter
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.test import Client, RequestFactory
from django.utils import timezone

from staff import roles
from staff.demo import DEMO_PASSWORD
from staff.models import User
from staff.signin import KNOWN_BROWSER_COOKIE

pytestmark = pytest.mark.django_db

WRONG = "not-the-password-1"
PROXY = "10.0.0.2"  # the reverse proxy: the connection's address of every request behind it
ATTACKER = "203.0.113.7"
COLLEAGUE = "198.51.100.20"


@pytest.fixture(autouse=True)
def _behind_one_proxy(settings: Any) -> None:
    """As docs/production.md prescribes: one proxy that appends the client's address."""
    settings.TRUSTED_PROXY_COUNT = 1


@pytest.fixture
def user(make_user: Callable[..., User]) -> User:
    return make_user(roles.RECEPTION, username="ana.souza", email="ana.souza@clinica.test")


def _sign_in(
    client: Client, login: str, password: str = DEMO_PASSWORD, *, address: str = COLLEAGUE, **extra: Any
) -> Any:
    return client.post(
        "/accounts/login/",
        {"login": login, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"192.0.2.99, {address}",  # the left one is whatever the client claimed
        **{"HTTP_ACCEPT_LANGUAGE": "en", **extra},
    )


def _signed_in(client: Client) -> bool:
    return bool(client.get("/", REMOTE_ADDR=PROXY).wsgi_request.user.is_authenticated)


def _assert_locked(response: Any) -> None:
    assert response.status_code == 429
    assert "account/lockout.html" in [t.name for t in response.templates]


def _known_browser(user: User) -> Client:
    """A browser that has signed in to ``user`` (and signed out again)."""
    client = Client()
    assert _sign_in(client, user.username).status_code == 302
    assert KNOWN_BROWSER_COOKIE in client.cookies
    client.post("/accounts/logout/", REMOTE_ADDR=PROXY)
    assert not _signed_in(client)
    return client


def _lock_out(login: str, *, address: str = ATTACKER, limit: int = 5) -> None:
    stranger = Client()
    for _ in range(limit):
        _sign_in(stranger, login, WRONG, address=address)


# One lockout per account ------------------------------------------------------------------------
@pytest.mark.parametrize(("failed_with", "signed_in_with"), [("username", "email"), ("email", "username")])
def test_failures_through_one_identifier_lock_the_other_too(user: User, failed_with: str, signed_in_with: str) -> None:
    client = Client()
    for _ in range(5):
        _sign_in(client, getattr(user, failed_with), WRONG)
    _assert_locked(_sign_in(client, getattr(user, signed_in_with)))
    assert not _signed_in(client)


def test_upper_case_and_padded_identifiers_count_against_the_same_account(user: User) -> None:
    client = Client()
    for login in ["  ANA.SOUZA ", "Ana.Souza@Clinica.TEST", " ana.souza@clinica.test\t", "ANA.souza", "ana.souza"]:
        _sign_in(client, login, WRONG)
    _assert_locked(_sign_in(client, "ana.souza@clinica.test"))


def test_another_address_does_not_get_a_fresh_count(user: User) -> None:
    _lock_out(user.username, address=ATTACKER)
    client = Client()
    _assert_locked(_sign_in(client, user.email, address="198.51.100.77"))
    assert not _signed_in(client)


def test_an_unknown_identifier_counts_against_itself_from_any_address(user: User) -> None:
    client = Client()
    for number in range(5):
        _sign_in(client, "Ninguem@Clinica.test", WRONG, address=f"198.51.100.{number + 1}")
    _assert_locked(_sign_in(client, "ninguem@clinica.test", WRONG, address="198.51.100.9"))
    # Only that name: the people sharing those addresses are not concerned.
    assert _sign_in(client, user.username, address="198.51.100.1").status_code == 302


def test_a_successful_sign_in_clears_the_account_count_whatever_identifier_it_used(user: User) -> None:
    client = Client()
    for _ in range(4):
        _sign_in(client, user.username, WRONG)
    assert _sign_in(client, user.email.upper()).status_code == 302
    stranger = Client()  # not the browser that signed in: its failures count for the account
    for _ in range(4):
        assert _sign_in(stranger, user.username, WRONG).status_code == 200
    assert _sign_in(stranger, user.username).status_code == 302


def test_the_lockout_ends_after_the_cool_off(settings: Any, user: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        _lock_out(user.email)
        _assert_locked(_sign_in(Client(), user.username))
    with time_machine.travel(start + timedelta(hours=settings.AXES_COOLOFF_TIME, seconds=1), tick=False):
        assert _sign_in(Client(), user.username).status_code == 302


# The throttle per address -----------------------------------------------------------------------
def test_bogus_sign_ins_from_one_address_do_not_stop_a_colleague_behind_the_same_proxy(user: User) -> None:
    attacker = Client()
    answers = [_sign_in(attacker, f"bogus{n}@example.org", WRONG, address=ATTACKER).status_code for n in range(35)]
    assert answers == [200] * 30 + [429] * 5
    colleague = Client()
    assert _sign_in(colleague, user.username, address=COLLEAGUE).status_code == 302
    assert _signed_in(colleague)


def test_a_throttled_address_is_refused_before_any_password_is_checked(settings: Any, user: User) -> None:
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        _sign_in(Client(), f"bogus{n}", WRONG, address=ATTACKER)
    client = Client()
    response = _sign_in(client, user.username, address=ATTACKER)
    assert response.status_code == 429
    assert "429.html" in [t.name for t in response.templates]
    assert not _signed_in(client)


def test_the_throttle_page_is_in_the_site_look_and_the_clients_language(settings: Any, user: User) -> None:
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        _sign_in(Client(), f"bogus{n}", WRONG, address=ATTACKER)
    response = _sign_in(Client(), user.username, address=ATTACKER, HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9")
    assert response.status_code == 429
    page = response.content.decode()
    assert '<html lang="pt-br">' in page
    assert "Pular para o conteúdo" in page  # base.html's layout, in Portuguese
    assert 'data-testid="too-many-requests"' in page
    assert "Too Many Requests" not in page  # not allauth's bare fallback page


def test_the_lockout_page_is_in_the_site_look_and_the_clients_language(user: User) -> None:
    _lock_out(user.username)
    response = _sign_in(Client(), user.email, HTTP_ACCEPT_LANGUAGE="pt-BR")
    _assert_locked(response)
    page = response.content.decode()
    assert '<html lang="pt-br">' in page
    assert "Muitas tentativas de acesso sem sucesso" in page


def test_the_throttle_lifts_after_its_window(settings: Any, user: User) -> None:
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 3
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for n in range(3):
            _sign_in(Client(), f"bogus{n}", WRONG, address=ATTACKER)
        assert _sign_in(Client(), user.username, address=ATTACKER).status_code == 429
    with time_machine.travel(start + timedelta(hours=settings.AXES_COOLOFF_TIME, seconds=1), tick=False):
        assert _sign_in(Client(), user.username, address=ATTACKER).status_code == 302


def test_allauths_own_rate_limits_read_the_client_behind_the_proxy() -> None:
    request = RequestFactory().post(
        "/accounts/password/reset/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {COLLEAGUE}"
    )
    assert get_adapter(request).get_client_ip(request) == COLLEAGUE


def test_refusals_are_logged_without_the_identifier_typed(settings: Any, user: User, caplog: Any) -> None:
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 6
    caplog.set_level(logging.INFO)
    _lock_out(user.email)
    _sign_in(Client(), user.email, address=ATTACKER)
    _sign_in(Client(), user.email, address=ATTACKER)
    assert [r.getMessage() for r in caplog.records if r.name == "django.request"] == [
        "Too Many Requests: /accounts/login/"
    ] * 3
    assert "ana.souza" not in caplog.text
    assert all(record.exc_info is None for record in caplog.records)


# Known browsers ---------------------------------------------------------------------------------
def test_a_known_browser_signs_in_while_strangers_have_locked_the_account(user: User) -> None:
    browser = _known_browser(user)
    _lock_out(user.username, address=COLLEAGUE)
    _assert_locked(_sign_in(Client(), user.username, address=COLLEAGUE))
    assert _sign_in(browser, user.email, address=COLLEAGUE).status_code == 302
    assert _signed_in(browser)


def test_a_known_browser_signs_in_from_a_throttled_address(settings: Any, user: User) -> None:
    """A whole clinic behind one NAT address: a stranger there does not lock its staff out."""
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 3
    browser = _known_browser(user)
    for n in range(3):
        _sign_in(Client(), f"bogus{n}", WRONG, address=COLLEAGUE)
    assert _sign_in(Client(), user.username, address=COLLEAGUE).status_code == 429
    assert _sign_in(browser, user.username, address=COLLEAGUE).status_code == 302


def test_a_known_browsers_failures_do_not_lock_the_account_until_its_own_budget_is_spent(user: User) -> None:
    browser = _known_browser(user)
    for _ in range(5):
        assert _sign_in(browser, user.username, WRONG).status_code == 200
    assert _sign_in(Client(), user.username, address=ATTACKER).status_code == 302
    # Its budget spent, the browser is a stranger: its next failures count for the account.
    for _ in range(5):
        _sign_in(browser, user.username, WRONG)
    _assert_locked(_sign_in(browser, user.username))


def test_a_sign_in_restores_the_known_browsers_budget(user: User) -> None:
    browser = _known_browser(user)
    for _ in range(4):
        _sign_in(browser, user.username, WRONG)
    assert _sign_in(browser, user.username).status_code == 302
    browser.post("/accounts/logout/", REMOTE_ADDR=PROXY)
    for _ in range(4):
        _sign_in(browser, user.username, WRONG)
    _lock_out(user.username)
    assert _sign_in(browser, user.username).status_code == 302


def test_a_browser_is_known_only_to_the_accounts_that_signed_in_on_it(
    make_user: Callable[..., User], user: User
) -> None:
    colleague = make_user(roles.RECEPTION)
    browser = _known_browser(user)
    _lock_out(colleague.username)
    _assert_locked(_sign_in(browser, colleague.username))
    assert _sign_in(browser, user.username).status_code == 302


def test_a_shared_computer_knows_each_account_that_signed_in_on_it(make_user: Callable[..., User], user: User) -> None:
    colleague = make_user(roles.RECEPTION)
    browser = _known_browser(user)
    assert _sign_in(browser, colleague.username).status_code == 302
    browser.post("/accounts/logout/", REMOTE_ADDR=PROXY)
    _lock_out(user.username)
    _lock_out(colleague.username)
    assert _sign_in(browser, user.username).status_code == 302
    browser.post("/accounts/logout/", REMOTE_ADDR=PROXY)
    assert _sign_in(browser, colleague.username).status_code == 302


def test_a_new_password_forgets_every_browser(user: User) -> None:
    browser = _known_browser(user)
    user.set_password("Another-password-42")
    user.save(update_fields=["password"])
    _lock_out(user.username)
    _assert_locked(_sign_in(browser, user.username, "Another-password-42"))


def test_a_tampered_cookie_is_a_stranger(user: User) -> None:
    browser = _known_browser(user)
    value = browser.cookies[KNOWN_BROWSER_COOKIE].value
    browser.cookies[KNOWN_BROWSER_COOKIE] = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    _lock_out(user.username)
    _assert_locked(_sign_in(browser, user.username))


def test_a_browser_is_forgotten_after_the_configured_days(settings: Any, user: User) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        browser = _known_browser(user)
    with time_machine.travel(start + timedelta(days=settings.SIGNIN_KNOWN_BROWSER_DAYS, seconds=1), tick=False):
        _lock_out(user.username)
        _assert_locked(_sign_in(browser, user.username))


def test_a_browser_becomes_known_only_after_the_second_factor(make_user: Callable[..., User]) -> None:
    admin = make_user(roles.ADMIN, is_staff=True)
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)
    client = Client()
    assert _sign_in(client, admin.username)["Location"] == "/accounts/2fa/authenticate/"
    assert KNOWN_BROWSER_COOKIE not in client.cookies
    code = format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))
    response = client.post("/accounts/2fa/authenticate/", {"code": code}, REMOTE_ADDR=PROXY)
    assert response.status_code == 302
    cookie = response.cookies[KNOWN_BROWSER_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
