"""A manager draws up a ward's week on a tablet: the rota page in Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine

from staff import roles
from staff.demo import DEMO_PASSWORD
from staff.models import CareUnit, Shift
from staff.tests.test_rota_views import MONDAY, NOW, at, put_on
from tests.factories import ClinicFactory, UserFactory


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_manager_draws_up_the_week_on_a_tablet(new_page: Callable[..., Any]) -> None:
    from playwright.sync_api import expect

    clinic = ClinicFactory(name="Clínica Paulista")
    ward = CareUnit.objects.create(clinic=clinic, name="Enfermaria", kind=CareUnit.Kind.WARD)
    UserFactory(username="gestora", role=roles.MANAGER, clinics=[clinic])
    joana = UserFactory(role=roles.WARD_NURSE, clinics=[clinic], first_name="Joana", last_name="Prado")
    UserFactory(role=roles.WARD_NURSE, clinics=[clinic], first_name="Ana", last_name="Brito")
    put_on(joana, ward, at(MONDAY, 7))

    page = new_page(locale="en")
    page.set_viewport_size({"width": 820, "height": 1180})
    page.goto("/accounts/login/")
    page.fill("#id_login", "gestora")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.get_by_role("button", name="Open menu").click()  # the menu folds on a tablet
    page.get_by_test_id("menu-group").filter(has_text="Management").click()
    page.click("[data-testid=menu] a[href='/staff/rota/']")
    expect(page.get_by_test_id("rota-title")).to_contain_text("Enfermaria")
    expect(page.get_by_test_id("rota-title")).to_contain_text("2026-W11")
    page.evaluate("window.notReloaded = true")

    # A clash is explained in the form, in place.
    form = page.get_by_test_id("shift-form")
    form.locator("#id_user").select_option(label="Joana Prado")
    form.locator("#id_day").fill("2026-03-09")
    form.locator("#id_start_time").fill("13:00")
    form.locator("#id_end_time").fill("15:00")
    form.get_by_role("button", name="Add shift").click()
    expect(page.get_by_test_id("shift-form-errors")).to_contain_text("Joana Prado already has a shift then")

    # A night shift for Ana is added, and the next person of the same shift is one choice away.
    form = page.get_by_test_id("shift-form")
    form.locator("#id_user").select_option(label="Ana Brito")
    form.locator("#id_day").fill("2026-03-10")
    form.locator("#id_start_time").fill("19:00")
    form.locator("#id_end_time").fill("07:00")
    form.get_by_role("button", name="Add shift").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Shift added: Ana Brito, Tue 10/03 19:00-07:00.")
    expect(page.get_by_test_id("rota-row")).to_have_count(2)
    expect(page.get_by_test_id("rota-counts")).to_contain_text("1")
    assert page.evaluate("window.notReloaded") is True

    # Joana's shift is removed after a confirmation.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=re.compile("Remove the shift of Joana Prado")).click()
    expect(page.get_by_test_id("notice")).to_contain_text("Shift removed: Joana Prado")
    expect(page.get_by_test_id("rota-row")).to_have_count(1)

    # The week is copied to the next one, which is shown.
    page.get_by_role("button", name="Copy to next week").click()
    expect(page.get_by_test_id("notice")).to_contain_text("1 shift copied to the week of 03/16/2026.")
    expect(page.get_by_test_id("rota-title")).to_contain_text("2026-W12")
    expect(page).to_have_url(re.compile(r"week=2026-W12"))
    assert Shift.objects.filter(user__first_name="Ana").count() == 2
