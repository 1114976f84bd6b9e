"""factory_boy factories for every app, with Brazilian data from Faker's pt_BR locale."""

from __future__ import annotations

import io
import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from faker import Faker
from pypdf import PdfWriter

from beds.models import Admission, Bed, RoomSex, Ward, WardKind, WardRoom
from beds.services import admission_request
from clinic.brazil import cpf_check_digits
from clinic.models import Clinic, Floor, Room
from exams.models import Analyte, Exam, ExamKind, ReferenceRange, Specimen
from patients import services
from patients.models import Patient
from staff.demo import DEMO_PASSWORD
from staff.models import CareUnit, Practitioner, Specialty, User

fake = Faker("pt_BR")
_cpf_sequence = itertools.count(500_000_000)


def unique_cpf() -> str:
    nine = f"{next(_cpf_sequence):09d}"
    return nine + cpf_check_digits(nine)


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = factory.Sequence(lambda n: f"Clínica {fake.city()} {n}")
    code = factory.Sequence(lambda n: f"CL-{n:03d}")
    street = factory.LazyFunction(fake.street_name)
    number = factory.LazyFunction(fake.building_number)
    district = factory.LazyFunction(fake.bairro)
    city = factory.LazyFunction(fake.city)
    uf = factory.LazyFunction(fake.estado_sigla)
    cep = factory.LazyFunction(lambda: fake.postcode(formatted=False))
    time_zone = "America/Sao_Paulo"


class FloorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Floor

    clinic = factory.SubFactory(ClinicFactory)
    level = factory.Sequence(lambda n: n)
    name = factory.LazyAttribute(lambda o: f"Andar {o.level}")


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    floor = factory.SubFactory(FloorFactory)
    clinic = factory.LazyAttribute(lambda o: o.floor.clinic)
    code = factory.Sequence(lambda n: f"R{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Sala {o.code}")
    kind = Room.Kind.CONSULTING


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.LazyFunction(fake.first_name)
    last_name = factory.LazyFunction(fake.last_name)
    email = factory.LazyAttribute(lambda o: f"{o.username}@clinica.test")
    password = factory.django.Password(DEMO_PASSWORD)

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))

    @factory.post_generation
    def clinics(self, create: bool, extracted: list[Clinic] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.clinics.set(extracted)


def patient_data(**overrides: Any) -> dict[str, Any]:
    """Valid keyword arguments for ``patient_register`` (without ``by``)."""
    sex = overrides.pop("sex", fake.random_element(["F", "M"]))
    data: dict[str, Any] = {
        "full_name": fake.name_female() if sex == "F" else fake.name_male(),
        "social_name": "",
        "birth_date": fake.date_between(date(1940, 1, 1), date(2020, 12, 31)),
        "sex": sex,
        "cpf": unique_cpf(),
        "cns": "",
        "mobile_phone": f"+55119{fake.numerify('########')}",
        "home_phone": "",
        "email": fake.email(),
        "cep": fake.postcode(formatted=False),
        "street": fake.street_name(),
        "number": fake.building_number(),
        "complement": "",
        "district": fake.bairro(),
        "city": fake.city(),
        "uf": fake.estado_sigla(),
        "reminder_channel": "sms",
        "home_clinic": None,
    }
    data.update(overrides)
    if "reminder_channel" not in overrides and not data["mobile_phone"]:
        data["reminder_channel"] = "email" if data["email"] else "none"
    return data


def make_patient(*, by: User | None = None, **overrides: Any) -> Patient:
    """A patient registered through the real service (so hashes and search name are right)."""
    author = by or UserFactory()
    return services.patient_register(by=author, **patient_data(**overrides))


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"Especialidade {n}")
    code = factory.Sequence(lambda n: f"especialidade-{n}")
    default_duration = 30


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner

    user = factory.SubFactory(UserFactory)
    council = "CRM"
    council_number = factory.Sequence(lambda n: f"{100000 + n}")
    council_uf = "SP"


class WardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ward

    floor = factory.SubFactory(FloorFactory)
    clinic = factory.LazyAttribute(lambda o: o.floor.clinic)
    code = factory.Sequence(lambda n: f"W{n:03d}")
    name = factory.LazyAttribute(lambda o: f"Enfermaria {o.code}")
    kind = WardKind.GENERAL


class WardRoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WardRoom

    ward = factory.SubFactory(WardFactory)
    code = factory.Sequence(lambda n: f"{100 + n}")
    sex = RoomSex.ANY


class BedFactory(factory.django.DjangoModelFactory):
    """A free bed; its ``in_service_since`` is a year back so reports count it."""

    class Meta:
        model = Bed

    room = factory.SubFactory(WardRoomFactory)
    code = factory.Sequence(lambda n: f"B{n:04d}")
    in_service_since = factory.LazyFunction(lambda: timezone.now() - timedelta(days=365))


def make_request(*, patient: Patient | None = None, by: User | None = None, **overrides: Any) -> Admission:
    """An admission request made through the real service (a general-ward bed unless told otherwise)."""
    if patient is None:
        patient = make_patient(by=by)
    clinic = overrides.pop("clinic", None) or (patient.home_clinic or ClinicFactory())
    return admission_request(
        patient=patient,
        clinic=clinic,
        by=by,
        ward_kind=overrides.pop("ward_kind", WardKind.GENERAL),
        **overrides,
    )


class CareUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareUnit

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Laboratório {n}")
    kind = CareUnit.Kind.LABORATORY


class ExamFactory(factory.django.DjangoModelFactory):
    """A lab exam without analytes; add them with AnalyteFactory (or use ``make_blood_count``)."""

    class Meta:
        model = Exam

    code = factory.Sequence(lambda n: f"T{n:06d}")
    name = factory.Sequence(lambda n: f"Exame {n}")
    kind = ExamKind.LAB
    specimen = Specimen.BLOOD
    turnaround_hours = 4


class AnalyteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Analyte

    exam = factory.SubFactory(ExamFactory)
    code = factory.Sequence(lambda n: f"A{n}")
    name = factory.Sequence(lambda n: f"Analito {n}")
    unit = "mg/dL"
    decimals = 1
    position = factory.Sequence(lambda n: n)


class ReferenceRangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferenceRange

    analyte = factory.SubFactory(AnalyteFactory)
    low = Decimal("10")
    high = Decimal("20")


def make_blood_count() -> Exam:
    """A small full blood count: haemoglobin by sex (adults), leukocytes for anyone, with critical limits."""
    exam = ExamFactory(code="40304361", name="Hemograma completo")
    hgb = AnalyteFactory(exam=exam, code="HGB", name="Hemoglobina", unit="g/dL", position=1)
    ReferenceRangeFactory(analyte=hgb, sex="F", age_from=18, low=Decimal("12.0"), high=Decimal("16.0"))
    ReferenceRangeFactory(
        analyte=hgb, sex="M", age_from=18, low=Decimal("13.5"), high=Decimal("17.5"), critical_low=Decimal("7.0")
    )
    ReferenceRangeFactory(analyte=hgb, age_from=0, age_to=18, low=Decimal("11.0"), high=Decimal("15.5"))
    wbc = AnalyteFactory(exam=exam, code="WBC", name="Leucócitos", unit="/mm³", decimals=0, position=2)
    ReferenceRangeFactory(
        analyte=wbc,
        low=Decimal("4000"),
        high=Decimal("11000"),
        critical_low=Decimal("1000"),
        critical_high=Decimal("30000"),
    )
    return exam


def pdf_bytes(*, pages: int = 1) -> bytes:
    """A real PDF of blank A4 pages, as pypdf writes it: what the upload check takes for a PDF."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_pdf_upload(name: str = "laudo.pdf") -> SimpleUploadedFile:
    """An uploaded one-page PDF, as a browser sends it."""
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")
