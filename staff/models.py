"""Staff accounts. Practitioners, working hours, shifts and leave join this app in later issues."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from clinic.models import Clinic


class User(AbstractUser):
    """A member of staff. Patients have no accounts."""

    email = models.EmailField(_("e-mail address"), blank=True)
    clinics = models.ManyToManyField(
        Clinic,
        blank=True,
        related_name="staff",
        verbose_name=_("clinics"),
        help_text=_(
            "The clinics this person works in; they see only these clinics' data unless a role says otherwise."
        ),
    )
    history = HistoricalRecords(excluded_fields=["password", "last_login"], m2m_fields=[clinics])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        # Roles holding this permission (Admin, by the roles migration) must enrol and use TOTP.
        permissions = [("require_two_factor", _("Must sign in with a second factor (TOTP)"))]
        constraints = [
            models.UniqueConstraint(
                models.functions.Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username
