"""Sign-in, lockout, the second factor for admins, roles and clinic scoping."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from clinic.models import Clinic
from staff import roles
from staff.demo import DEMO_PASSWORD
from staff.models import User
from tests.factories import ClinicFactory

pytestmark = pytest.mark.django_db


def _sign_in(client: Client, login: str, password: str = DEMO_PASSWORD) -> Any:
    return client.post("/accounts/login/", {"login": login, "password": password}, HTTP_ACCEPT_LANGUAGE="en")


def test_sign_in_with_user_name_and_password(make_user: Callable[..., User]) -> None:
    user = make_user(roles.RECEPTION)
    client = Client()
    response = _sign_in(client, user.username)
    assert response.status_code == 302
    assert client.get("/").context["user"] == user


def test_wrong_password_is_refused_with_a_message(make_user: Callable[..., User]) -> None:
    user = make_user(roles.RECEPTION)
    client = Client()
    response = _sign_in(client, user.username, "not-the-password")
    assert response.status_code == 200
    assert not response.context["user"].is_authenticated
    assert response.context["form"].non_field_errors()


def test_repeated_failures_lock_the_account_out(settings: object, make_user: Callable[..., User]) -> None:
    user = make_user(roles.RECEPTION)
    client = Client()
    for _ in range(5):
        _sign_in(client, user.username, "wrong-password-123")
    response = _sign_in(client, user.username)  # now even the right password is refused
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not Client().get("/").wsgi_request.user.is_authenticated


def test_a_locked_account_does_not_lock_its_colleagues_on_the_same_computer(make_user: Callable[..., User]) -> None:
    locked, other = make_user(roles.RECEPTION), make_user(roles.RECEPTION)
    client = Client()
    for _ in range(5):
        _sign_in(client, locked.username, "wrong-password-123")
    assert _sign_in(client, other.username).status_code == 302


def test_signup_is_closed() -> None:
    response = Client().post(
        "/accounts/signup/",
        {
            "username": "intruder",
            "email": "x@example.com",
            "password1": "A-long-pass-123",
            "password2": "A-long-pass-123",
        },
    )
    assert "account/signup_closed.html" in [t.name for t in response.templates]
    assert not User.objects.filter(username="intruder").exists()


def test_password_reset_sends_an_email(make_user: Callable[..., User], mailoutbox: list) -> None:
    user = make_user(roles.RECEPTION)
    response = Client().post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    assert "/accounts/password/reset/key/" in mailoutbox[0].body


def test_admin_without_second_factor_must_set_it_up(make_user: Callable[..., User]) -> None:
    admin = make_user(roles.ADMIN, is_staff=True)
    client = Client()
    _sign_in(client, admin.username)
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    # allauth asks for the password again before a second factor is enrolled.
    response = client.get("/accounts/2fa/totp/activate/")
    assert response["Location"].startswith("/accounts/reauthenticate/")
    response = client.post(response["Location"], {"password": DEMO_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/2fa/totp/activate/"
    assert "form" in response.context


@pytest.mark.parametrize(("role", "is_staff"), [(roles.ADMIN, False), (roles.DOCTOR, True)])
def test_admin_role_or_admin_site_access_requires_the_second_factor(
    role: str, is_staff: bool, make_user: Callable[..., User], client_for: Callable
) -> None:
    client = client_for(make_user(role, is_staff=is_staff))
    assert client.get("/").headers["Location"] == "/accounts/2fa/totp/activate/"


def test_admin_with_totp_must_give_the_code(make_user: Callable[..., User]) -> None:
    admin = make_user(roles.ADMIN, is_staff=True)
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)
    client = Client()
    response = _sign_in(client, admin.username)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert not client.get("/").wsgi_request.user.is_authenticated
    code = format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))
    response = client.post("/accounts/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_wrong_totp_code_is_refused(make_user: Callable[..., User]) -> None:
    admin = make_user(roles.ADMIN, is_staff=True)
    TOTP.activate(admin, generate_totp_secret())
    client = Client()
    _sign_in(client, admin.username)
    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not client.get("/").wsgi_request.user.is_authenticated


def test_other_roles_are_not_forced_into_mfa(make_user: Callable[..., User], client_for: Callable) -> None:
    client = client_for(make_user(roles.DOCTOR))
    assert client.get("/patients/").status_code == 200


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        (roles.RECEPTION, ["/patients/", "/patients/new/", "/clinics/"], ["/admin/"]),
        (roles.DOCTOR, ["/patients/", "/clinics/"], ["/patients/new/", "/admin/"]),
        (roles.MANAGER, ["/clinics/"], ["/patients/", "/patients/new/"]),
    ],
)
def test_menu_shows_what_the_role_may_use(
    role: str, visible: list[str], hidden: list[str], make_user: Callable[..., User], client_for: Callable
) -> None:
    response = client_for(make_user(role)).get("/")
    menu_links = {entry.url for entry in response.context["menu"]}
    assert set(visible) <= menu_links
    assert not set(hidden) & menu_links
    for path in hidden:
        assert f'href="{path}"' not in response.content.decode()


def test_changing_the_role_changes_the_menu(make_user: Callable[..., User], client_for: Callable) -> None:
    user = make_user(roles.MANAGER)
    client = client_for(user)
    assert "/patients/new/" not in {e.url for e in client.get("/").context["menu"]}
    user.groups.set([Group.objects.get(name=roles.RECEPTION)])
    assert "/patients/new/" in {e.url for e in client.get("/").context["menu"]}


def test_staff_see_only_their_clinics(make_user: Callable[..., User], client_for: Callable, clinic: Clinic) -> None:
    other = ClinicFactory(name="Clínica de Outra Cidade")
    client = client_for(make_user(roles.RECEPTION, clinics=[clinic]))
    listing = client.get("/clinics/").content.decode()
    assert clinic.name in listing
    assert other.name not in listing
    assert client.get(f"/clinics/{other.pk}/").status_code == 404


def test_a_role_can_see_every_clinic(make_user: Callable[..., User], client_for: Callable, clinic: Clinic) -> None:
    other = ClinicFactory(name="Clínica de Outra Cidade")
    client = client_for(make_user(roles.MANAGER, clinics=[clinic]))
    assert other.name in client.get("/clinics/").content.decode()
    assert client.get(f"/clinics/{other.pk}/").status_code == 200


def test_clinic_list_query_count_is_constant(
    make_user: Callable[..., User], client_for: Callable, django_assert_max_num_queries: Callable
) -> None:
    client = client_for(make_user(roles.MANAGER))
    ClinicFactory.create_batch(3)
    with django_assert_max_num_queries(10) as few:
        client.get("/clinics/")
    ClinicFactory.create_batch(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/clinics/")
