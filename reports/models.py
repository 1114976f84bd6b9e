"""Reports read the other apps' tables; they own no data, only the permissions to see them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    """No table: it carries the report permissions that roles are granted."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        permissions = [("view_occupancy_report", _("Can see and download the occupancy report"))]

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
