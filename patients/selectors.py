"""Reads of the patient registry, and the one place a patient is fetched on behalf of a user."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from django.contrib.postgres.search import TrigramWordDistance, TrigramWordSimilarity
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.http import Http404

from clinic.access import require, sees_allergies
from clinic.brazil import cpf_is_valid, only_digits
from clinic.crypto import blind_index
from messaging.services import address_normal
from patients.models import (
    Allergy,
    ChartAccess,
    Condition,
    Medication,
    Patient,
    PatientDocument,
    PatientStatusChange,
    ReminderChannel,
)
from patients.normalize import phone_e164, search_text
from staff.models import User

MIN_NAME_LENGTH = 3
# A search shows at most this many patients, the best first; more means "type more".
NAME_SEARCH_CANDIDATES = 200
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class SearchQuery:
    """What a search box text means: a CPF, a phone, a birth date or (part of) a name."""

    kind: str  # "cpf" | "phone" | "birth_date" | "name" | "empty" | "too_short"
    value: str = ""
    birth_date: date | None = None


def parse_search(text: str) -> SearchQuery:
    text = (text or "").strip()
    if not text:
        return SearchQuery("empty")
    match = _DATE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return SearchQuery("birth_date", birth_date=date(year, month, day))
        except ValueError:
            return SearchQuery("name", search_text(text))
    digits = only_digits(text)
    looks_numeric = len(digits) >= 8 and not re.search(r"[A-Za-zÀ-ÿ]", text)
    if looks_numeric and len(digits) == 11 and cpf_is_valid(digits) and not text.startswith("+"):
        return SearchQuery("cpf", digits)
    if looks_numeric:
        return SearchQuery("phone", phone_e164(text))
    normal = search_text(text)
    if len(normal.replace(" ", "")) < MIN_NAME_LENGTH:
        return SearchQuery("too_short", normal)
    return SearchQuery("name", normal)


def patient_search(*, text: str = "", birth_date: date | None = None) -> QuerySet[Patient]:
    """Patients matching a search box text (name, CPF or phone) and an optional birth date.

    Names match accent- and case-insensitively, in part: every typed word must match a word of
    the name (the GIN trigram index finds them), and they are ranked by how well each typed word
    matches. A single word is searched among the ``NAME_SEARCH_CANDIDATES`` names nearest to it
    (a walk of the GiST trigram index in distance order), so "maria", a tenth of all patients,
    costs no more than a rare surname. CPF and phones match exactly through their blind indexes.
    """
    query = parse_search(text)
    patients = Patient.objects.all()
    if query.kind == "birth_date":
        birth_date = query.birth_date
    if birth_date is not None:
        patients = patients.filter(birth_date=birth_date)
    if query.kind == "cpf":
        # Eleven digits can be both a valid CPF and a mobile number with its area code: match either.
        condition = Q(cpf_hash=blind_index(query.value))
        phone = phone_e164(query.value)
        if phone:
            digest = blind_index(phone)
            condition |= Q(mobile_phone_hash=digest) | Q(home_phone_hash=digest)
        return patients.filter(condition)
    if query.kind == "phone":
        if not query.value:
            return patients.none()
        digest = blind_index(query.value)
        return patients.filter(Q(mobile_phone_hash=digest) | Q(home_phone_hash=digest))
    if query.kind == "name":
        words = [w for w in query.value.split() if len(w) >= MIN_NAME_LENGTH] or [query.value]
        if birth_date is None and len(words) == 1:
            # The subquery has no other condition, so the planner cannot trade the nearest-first
            # walk for a scan of every match.
            # search_name is already lower case; lower() names the expression of the GiST index.
            nearest = Patient.objects.order_by(TrigramWordDistance(words[0], Lower("search_name"))).values("pk")
            # One more than is shown, so the page knows whether there are more.
            patients = patients.filter(pk__in=nearest[: NAME_SEARCH_CANDIDATES + 1])
        for word in words:
            patients = patients.filter(Q(search_name__trigram_word_similar=word) | Q(search_name__contains=word))
        # Each typed word scores by how well it matches its best word of the name, so "maria silva"
        # puts "Maria ... Silva" before "Maria ... Silveira".
        rank = sum(
            (TrigramWordSimilarity(word, "search_name") for word in words[1:]),
            TrigramWordSimilarity(words[0], "search_name"),
        )
        return patients.annotate(rank=rank).order_by("-rank", "full_name", "id")
    if query.kind in {"empty", "birth_date"} and birth_date is not None:
        return patients.order_by("full_name", "id")
    return patients.none()


def patient_search_ids(*, text: str = "", birth_date: date | None = None) -> tuple[list[int], bool]:
    """The ids of the best ``NAME_SEARCH_CANDIDATES`` matches in rank order, and whether there were more.

    One query, however many patients match: the search page pages through these ids instead of
    counting every match.
    """
    ids = list(
        patient_search(text=text, birth_date=birth_date).values_list("pk", flat=True)[: NAME_SEARCH_CANDIDATES + 1]
    )
    return ids[:NAME_SEARCH_CANDIDATES], len(ids) > NAME_SEARCH_CANDIDATES


def patients_in_order(ids: list[int]) -> list[Patient]:
    found = Patient.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def patient_possible_duplicates(
    *, full_name: str, birth_date: date | None, phones: list[str], exclude_pk: int | None = None
) -> QuerySet[Patient]:
    """Registered patients who may be the same person: same name and birth date, or same phone."""
    condition = Q()
    if full_name and birth_date:
        condition |= Q(search_name__startswith=search_text(full_name), birth_date=birth_date)
    hashes = [blind_index(p) for p in (phone_e164(p) for p in phones) if p]
    if hashes:
        condition |= Q(mobile_phone_hash__in=hashes) | Q(home_phone_hash__in=hashes)
    if not condition:
        return Patient.objects.none()
    found = Patient.objects.filter(condition)
    if exclude_pk is not None:
        found = found.exclude(pk=exclude_pk)
    return found.order_by("full_name")[:10]  # type: ignore[return-value]


def patient_for_user(user: User, pk: int) -> Patient:
    """The patient ``pk`` if ``user`` may open patient records.

    The registry is the network's master patient index: a patient is registered once and found
    from any clinic, so reception never registers a duplicate (clinic/access.py). What is bound to
    a clinic (its appointments, beds, exams) is scoped by the apps that own it.
    """
    require(user, "patients.view_patient")
    try:
        return Patient.objects.select_related("home_clinic").get(pk=pk)
    except Patient.DoesNotExist as error:
        raise Http404 from error


def patient_allergies(user: User, patient: Patient) -> list[Allergy] | None:
    """The patient's active allergies, for the banner on every page of the patient; None when
    ``user`` may not see them (reception, billing: see clinic/access.py), so no banner is shown."""
    if not sees_allergies(user):
        return None
    return list(patient.allergies.filter(active=True).order_by("-severity", "id"))


def patient_history(patient: Patient) -> dict[str, list[Condition] | list[Medication] | list[Allergy]]:
    return {
        "conditions": list(patient.conditions.select_related("recorded_by")),
        "medications": list(patient.medications.select_related("recorded_by")),
        "allergies": list(patient.allergies.select_related("recorded_by")),
    }


def patient_documents(patient: Patient) -> QuerySet[PatientDocument]:
    return patient.documents.select_related("uploaded_by")


def patient_status_changes(patient: Patient, limit: int = 20) -> list[PatientStatusChange]:
    return list(patient.status_changes.select_related("changed_by")[:limit])


def document_for_user(user: User, pk: int) -> PatientDocument:
    """A document of the registry: like the patient, it is the network's (clinic/access.py)."""
    require(user, "patients.download_patientdocument")
    try:
        return PatientDocument.objects.select_related("patient").get(pk=pk)
    except PatientDocument.DoesNotExist as error:
        raise Http404 from error


def chart_access_entries(patient: Patient) -> QuerySet[ChartAccess]:
    return ChartAccess.objects.filter(patient=patient).select_related("user", "document")


def message_address(patient: Patient) -> tuple[str, str] | None:
    """The channel and address to write to ``patient`` by (their preferred channel), or None when they
    opted out or have no usable contact on it. Reminders and "your result is ready" go the same way."""
    channel = patient.reminder_channel
    if channel == ReminderChannel.NONE:
        return None
    to = patient.email if channel == ReminderChannel.EMAIL else patient.mobile_phone
    if not to:
        return None
    try:
        return channel, address_normal(channel=channel, to=to)
    except ValidationError:
        return None
