"""The exam catalog in Django admin, as the admin who keeps it; orders are read-only there."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from clinic.models import Clinic
from exams import services
from exams.models import Analyte, Exam, ReferenceRange
from staff import roles
from staff.models import CareUnit, User
from tests.factories import CareUnitFactory, make_blood_count, make_patient

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def as_admin(make_user: Callable[..., User], client_for: Callable[[User], Client]) -> Client:
    """A member of the Admin role (not a superuser), with the second factor the admin requires."""
    admin = make_user(roles.ADMIN, is_staff=True)
    TOTP.activate(admin, generate_totp_secret())
    return client_for(admin)


def test_the_catalog_pages_open_for_an_admin(as_admin: Client, clinic: Clinic, doctor: User) -> None:
    exam = make_blood_count()
    analyte = exam.analytes.get(code="HGB")
    CareUnitFactory(clinic=clinic, kind=CareUnit.Kind.LABORATORY)
    order = services.order_create(patient=make_patient(by=doctor), exam=exam, clinic=clinic, by=doctor)

    for path in ("exam", "analyte", "examorder"):
        changelist = as_admin.get(f"/admin/exams/{path}/", **EN)
        assert changelist.status_code == 200, path
        assert changelist.context["cl"].result_count >= 1, path
    assert (
        as_admin.get("/admin/exams/exam/?kind__exact=lab&is_active__exact=1&q=40304361").context["cl"].result_count == 1
    )
    exam_page = as_admin.get(f"/admin/exams/exam/{exam.pk}/change/", **EN).content.decode()
    assert "Hemoglobina" in exam_page and "analytes-TOTAL_FORMS" in exam_page
    analyte_page = as_admin.get(f"/admin/exams/analyte/{analyte.pk}/change/", **EN).content.decode()
    assert "ranges-TOTAL_FORMS" in analyte_page
    assert as_admin.get("/admin/exams/exam/add/").status_code == 200
    assert as_admin.get("/admin/exams/analyte/add/").status_code == 200
    assert as_admin.get("/admin/exams/examorder/add/").status_code == 403
    order_page = as_admin.get(f"/admin/exams/examorder/{order.pk}/change/", **EN).content.decode()
    assert 'name="status"' not in order_page  # orders move only through the services


def test_an_admin_adds_an_exam_with_an_analyte_and_its_ranges(as_admin: Client) -> None:
    data = {
        "code": "40302040",
        "name": "Glicose",
        "kind": "lab",
        "specimen": "blood",
        "is_active": "on",
        "preparation": "Jejum de 8 horas.",
        "turnaround_hours": "4",
        "analytes-TOTAL_FORMS": "1",
        "analytes-INITIAL_FORMS": "0",
        "analytes-0-position": "1",
        "analytes-0-code": "GLI",
        "analytes-0-name": "Glicose",
        "analytes-0-value_kind": "number",
        "analytes-0-unit": "mg/dL",
        "analytes-0-decimals": "0",
    }
    assert as_admin.post("/admin/exams/exam/add/", data, **EN).status_code == 302
    analyte = Analyte.objects.get(exam__code="40302040")
    ranges = {
        "exam": analyte.exam_id,
        "code": "GLI",
        "name": "Glicose",
        "value_kind": "number",
        "unit": "mg/dL",
        "decimals": "0",
        "position": "1",
        "ranges-TOTAL_FORMS": "1",
        "ranges-INITIAL_FORMS": "0",
        "ranges-0-sex": "",
        "ranges-0-age_from": "18",
        "ranges-0-low": "110",
        "ranges-0-high": "70",
    }

    refused = as_admin.post(f"/admin/exams/analyte/{analyte.pk}/change/", ranges, **EN)
    assert refused.status_code == 200  # high below low: the range's own constraint refuses it
    assert "reference_range_low_high" in refused.content.decode()
    assert ReferenceRange.objects.count() == 0

    ranges |= {"ranges-0-low": "70", "ranges-0-high": "99", "ranges-0-critical_high": "400"}
    assert as_admin.post(f"/admin/exams/analyte/{analyte.pk}/change/", ranges, **EN).status_code == 302
    stored = ReferenceRange.objects.get()
    assert (stored.age_from, stored.low, stored.high) == (18, 70, 99)
    assert Exam.objects.get(code="40302040").preparation == "Jejum de 8 horas."
