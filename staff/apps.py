from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "staff"
    verbose_name = _("Staff")

    def ready(self) -> None:
        from clinic.rotation import EXTRA_ROTATIONS
        from staff.services import totp_secrets_reencrypt

        EXTRA_ROTATIONS["mfa.Authenticator (TOTP secrets)"] = totp_secrets_reencrypt
